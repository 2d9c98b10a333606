//! The real API is looser than its docs: integers arrive as numeric strings
//! (`"expires_in": "7200"`), ids as numbers where strings are documented, and
//! `null` where an array or object is. An answer that does not decode as its
//! documented type is repaired here, one failing value at a time, before it
//! counts as malformed:
//!
//! - a string holding a number, where a number is expected → the number;
//! - a number, where a string is expected → its digits;
//! - `null`, where an array is expected → `[]`;
//! - `null`, where an object or anything else is expected → the member is
//!   dropped (an optional field is then absent).
//!
//! Anything else (a non-numeric string where an integer is due, a missing
//! required field) stays an [`Error::Decode`](crate::Error::Decode) naming the
//! path. Only the slow path pays: a well-formed answer decodes once, as before.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::envelope::{Probe, probe};
use crate::json_path::{self, Step};

/// How many values one answer may have repaired.
const MAX_REPAIRS: usize = 256;

/// `body` decoded as `T` after repairs, with the repaired body as JSON, or
/// `None` when it cannot be.
pub(crate) fn repair<T: DeserializeOwned>(body: &[u8]) -> Option<(T, Value)> {
    let (text, value) = repair_with(body, &probe::<T>)?;
    serde_json::from_str(&text)
        .ok()
        .map(|decoded| (decoded, value))
}

/// `body` repaired until `probe` decodes it: the repaired text and the
/// repaired body as JSON, or `None` when it cannot be. Compiled once for every
/// answer type (the probe is the only per-type part).
pub(crate) fn repair_with(body: &[u8], probe: Probe<'_>) -> Option<(String, Value)> {
    let mut value: Value = serde_json::from_slice(body).ok()?;
    for _ in 0..MAX_REPAIRS {
        // Decoded from text as the fast path decodes, so that the answer
        // types' `Deserialize` is compiled for that one deserializer only;
        // the failing value's path comes from the error's position.
        let text = serde_json::to_string(&value).ok()?;
        let error = match probe(&text) {
            Ok(()) => return Some((text, value)),
            Err(e) => e,
        };
        let path = json_path::of_error(text.as_bytes(), &error);
        if !fix(&mut value, &path, &error.to_string()) {
            return None;
        }
    }
    None
}

/// Repairs the value at `path`; `false` when nothing could be done.
fn fix(root: &mut Value, path: &[Step], message: &str) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut node = root;
    for step in parents {
        node = match (step, node) {
            (Step::Key(k), Value::Object(map)) => match map.get_mut(k) {
                Some(v) => v,
                None => return false,
            },
            (Step::Index(i), Value::Array(items)) => match items.get_mut(*i) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    let slot = match (last, &mut *node) {
        (Step::Key(k), Value::Object(map)) => map.get_mut(k),
        (Step::Index(i), Value::Array(items)) => items.get_mut(*i),
        _ => None,
    };
    let Some(slot) = slot else { return false };
    let wants_string = message.contains("expected a string")
        || message.contains("expected a borrowed string")
        || message.contains("expected string");
    match slot {
        Value::String(s) if !wants_string => match number(s) {
            Some(n) => {
                *slot = n;
                true
            }
            None => false,
        },
        Value::Number(n) if wants_string => {
            *slot = Value::String(n.to_string());
            true
        }
        Value::Null if message.contains("sequence") => {
            *slot = Value::Array(Vec::new());
            true
        }
        Value::Null => match (last, node) {
            (Step::Key(k), Value::Object(map)) => map.remove(k).is_some(),
            _ => false,
        },
        _ => false,
    }
}

/// A JSON number from a numeric string (integers kept exact).
fn number(text: &str) -> Option<Value> {
    let t = text.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Some(Value::from(i));
    }
    if let Ok(u) = t.parse::<u64>() {
        return Some(Value::from(u));
    }
    t.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types;

    #[test]
    fn numeric_strings_nulls_and_numbers_for_strings_are_repaired() {
        let body = br#"{"data":{"access_token":"clt.x","expires_in":"7200","error_code":"0"},"extra":null}"#;
        let (t, json): (types::ClientTokenResponse, _) = repair(body).unwrap();
        // The JSON handed back by `call_json` is the repaired body.
        assert_eq!(json["data"]["expires_in"], 7200);
        assert!(json["extra"].is_null());
        let data = t.data.unwrap();
        assert_eq!(data.expires_in, Some(7200));
        assert_eq!(data.error_code, Some(0));
        assert!(t.extra.is_none());

        let body = br#"{"data":{"order_list":null,"total":"0","error_code":0},"extra":{"logid":123,"now":"1732947576"}}"#;
        let (o, json): (types::QueryOrderResponse, _) = repair(body).unwrap();
        assert_eq!(json["extra"]["logid"], "123");
        let data = o.data.unwrap();
        assert!(data.order_list.is_empty());
        assert_eq!(data.total, Some(0));
        let extra = o.extra.unwrap();
        assert_eq!(extra.logid.as_deref(), Some("123"));
        assert_eq!(extra.now, Some(1_732_947_576));
    }

    #[test]
    fn a_non_numeric_string_is_not_repaired() {
        let body = br#"{"data":{"expires_in":"soon"}}"#;
        assert!(repair::<types::ClientTokenResponse>(body).is_none());
        assert!(repair::<types::ClientTokenResponse>(b"not json").is_none());
    }
}
