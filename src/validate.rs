//! Validation before send: every request is checked and converted into the
//! generated wire type here, so nothing malformed reaches the network.
//!
//! The limits (`minimum`, `maximum`, `minLength`) are the spec's schema keywords,
//! emitted by `build.rs` (and held in `spec::OperationSpec`); a spec change moves the check.
//!
//! What is checked, each failure an [`Error::InvalidRequest`] naming the wire
//! field:
//!
//! | check | fields |
//! |---|---|
//! | page size within the spec's `minimum`/`maximum` (1..=50) | `page_size` |
//! | page number ≥ 1 | `page_num`, `page` |
//! | required ids non-empty (`minLength: 1`), not only white space, ≤ 1 MiB | `account_id`, `poi_id`, `open_id`, `book_id`, `out_spu_id`, `Rpc-Transit-Life-Account` |
//! | documented values only (the spec's `minimum`/`maximum`: 1..=2) | `biz_type`, `page_dimension` |
//! | times ≥ 0, in seconds (below [`MILLIS_THRESHOLD`]), `start < end` (the end is named) | `start_time`/`end_time`, `time_range.start_time`/`time_range.end_time` |
//! | one of the two ids; ids ≥ 1 | `spu_id` (named when both are missing), `out_spu_id`, `account_id` |
//! | header value legal in HTTP | `Rpc-Transit-Life-Account` |

use crate::error::Error;
use crate::request::{CertificateQuery, OrderQuery, SpuQuery, TimeRange};
use crate::time::MILLIS_THRESHOLD;
use crate::types;

/// The constraints of one request field, from the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limit {
    /// Wire name of the field.
    pub field: &'static str,
    /// `minimum`, inclusive.
    pub minimum: Option<i64>,
    /// `maximum`, inclusive.
    pub maximum: Option<i64>,
    /// `minLength`, in characters.
    pub min_length: Option<u64>,
}

/// Field limits generated from `openapi/goodlife.yaml`, named
/// `SCHEMA__FIELD` (bodies) and `OPERATION__PARAMETER` (query and headers).
#[allow(missing_docs, dead_code)]
pub(crate) mod limits {
    use super::Limit;
    include!(concat!(env!("OUT_DIR"), "/limits.rs"));
}

/// Largest query-string value, once percent-encoded: a URL (`http::Uri`, under
/// reqwest and hyper) holds at most 65,534 bytes, so a longer `out_spu_id` could
/// not be sent at all. Refused before sending, naming the field.
pub const MAX_QUERY_VALUE_BYTES: usize = 60 * 1024;

/// The length of `value` percent-encoded as a query value (an upper bound:
/// every byte other than an unreserved one counts as `%XX`).
fn query_encoded_len(value: &str) -> usize {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~ ".contains(&b) {
                1
            } else {
                3
            }
        })
        .sum()
}

/// Largest string accepted in any request field (1 MiB); longer input is refused
/// before sending.
pub const MAX_STRING_BYTES: usize = 1 << 20;

impl Limit {
    /// Checks an integer against `minimum`/`maximum`, naming `field`.
    pub(crate) fn check_int(&self, field: &'static str, value: i64) -> Result<(), Error> {
        within(field, value, self.minimum, self.maximum, "be", "")
    }

    /// Checks a string against `minLength` and [`MAX_STRING_BYTES`].
    pub(crate) fn check_str(&self, field: &'static str, value: &str) -> Result<(), Error> {
        check_text(field, value)?;
        if let Some(min) = self.min_length
            && (value.chars().count() as u64) < min
        {
            return Err(Error::invalid(
                field,
                if min == 1 {
                    "must not be empty".to_string()
                } else {
                    format!("must have at least {min} characters")
                },
            ));
        }
        Ok(())
    }
}

fn check_text(field: &'static str, value: &str) -> Result<(), Error> {
    if value.len() > MAX_STRING_BYTES {
        return Err(Error::invalid(
            field,
            format!(
                "is {} bytes long, more than the {MAX_STRING_BYTES} accepted",
                value.len()
            ),
        ));
    }
    if value.trim().is_empty() && !value.is_empty() {
        return Err(Error::invalid(field, "must not be only white space"));
    }
    Ok(())
}

fn conv<T, E: std::fmt::Display>(field: &'static str, r: Result<T, E>) -> Result<T, Error> {
    r.map_err(|e| Error::invalid(field, e.to_string()))
}

fn nonzero_u32(limit: &Limit, field: &'static str, v: i32) -> Result<std::num::NonZeroU32, Error> {
    limit.check_int(field, v.into())?;
    u32::try_from(v)
        .ok()
        .and_then(std::num::NonZeroU32::new)
        .ok_or_else(|| Error::invalid(field, format!("must be at least 1, got {v}")))
}

fn nonzero_u64(limit: &Limit, field: &'static str, v: i64) -> Result<std::num::NonZeroU64, Error> {
    limit.check_int(field, v)?;
    u64::try_from(v)
        .ok()
        .and_then(std::num::NonZeroU64::new)
        .ok_or_else(|| Error::invalid(field, format!("must be at least 1, got {v}")))
}

/// A `[start, end)` window of unix seconds: each end within its spec limits and
/// below [`MILLIS_THRESHOLD`] (a millisecond value by mistake), and
/// `start < end`, else the end is named.
fn time_window(
    (start_limit, start_field, start): (&Limit, &'static str, i64),
    (end_limit, end_field, end): (&Limit, &'static str, i64),
) -> Result<(), Error> {
    for (limit, field, value) in [
        (start_limit, start_field, start),
        (end_limit, end_field, end),
    ] {
        limit.check_int(field, value)?;
        if value >= MILLIS_THRESHOLD {
            return Err(Error::invalid(
                field,
                format!("{value} looks like milliseconds; this field is unix seconds"),
            ));
        }
    }
    if start >= end {
        return Err(Error::invalid(
            end_field,
            format!("must be after {start_field} ({start}), got {end}"),
        ));
    }
    Ok(())
}

impl OrderQuery {
    /// Checks the query as [`Client::query_reservation_orders`] would, without
    /// sending anything.
    ///
    /// [`Client::query_reservation_orders`]: crate::Client::query_reservation_orders
    pub fn validate(&self) -> Result<(), Error> {
        self.to_wire().map(drop)
    }

    pub(crate) fn to_wire(&self) -> Result<types::QueryOrderRequest, Error> {
        use limits::*;
        QUERY_ORDER_REQUEST__ACCOUNT_ID.check_str("account_id", &self.account_id)?;
        QUERY_ORDER_REQUEST__POI_ID.check_str("poi_id", &self.poi_id)?;
        let page_num = nonzero_u32(&QUERY_ORDER_REQUEST__PAGE_NUM, "page_num", self.page_num)?;
        let page_size = nonzero_u32(&QUERY_ORDER_REQUEST__PAGE_SIZE, "page_size", self.page_size)?;
        time_window(
            (
                &QUERY_ORDER_REQUEST__START_TIME,
                "start_time",
                self.start_time,
            ),
            (&QUERY_ORDER_REQUEST__END_TIME, "end_time", self.end_time),
        )?;
        let book_id = match &self.book_id {
            Some(id) => {
                QUERY_ORDER_REQUEST__BOOK_ID.check_str("book_id", id)?;
                Some(conv("book_id", id.as_str().try_into())?)
            }
            None => None,
        };
        Ok(types::QueryOrderRequest {
            account_id: conv("account_id", self.account_id.as_str().try_into())?,
            poi_id: conv("poi_id", self.poi_id.as_str().try_into())?,
            start_time: self.start_time,
            end_time: self.end_time,
            page_num,
            page_size,
            book_id,
        })
    }
}

/// The wire form of an SPU query: `account_id`, `out_spu_id`, `spu_id`.
pub(crate) type SpuWire = (
    std::num::NonZeroU64,
    Option<types::GetFoodOrderSpuDetailOutSpuId>,
    Option<std::num::NonZeroU64>,
);

impl SpuQuery {
    /// Checks the query without sending anything.
    pub fn validate(&self) -> Result<(), Error> {
        self.to_wire().map(drop)
    }

    pub(crate) fn to_wire(&self) -> Result<SpuWire, Error> {
        use limits::*;
        let account_id = nonzero_u64(
            &GET_FOOD_ORDER_SPU_DETAIL__ACCOUNT_ID,
            "account_id",
            self.account_id,
        )?;
        if self.spu_id.is_none() && self.out_spu_id.is_none() {
            return Err(Error::invalid(
                "spu_id",
                "one of spu_id and out_spu_id is required",
            ));
        }
        let spu_id = match self.spu_id {
            Some(id) => Some(nonzero_u64(
                &GET_FOOD_ORDER_SPU_DETAIL__SPU_ID,
                "spu_id",
                id,
            )?),
            None => None,
        };
        let out_spu_id = match &self.out_spu_id {
            Some(id) => {
                GET_FOOD_ORDER_SPU_DETAIL__OUT_SPU_ID.check_str("out_spu_id", id)?;
                let encoded = query_encoded_len(id);
                if encoded > MAX_QUERY_VALUE_BYTES {
                    return Err(Error::invalid(
                        "out_spu_id",
                        format!(
                            "is {encoded} bytes percent-encoded, more than the {MAX_QUERY_VALUE_BYTES} a URL has room for"
                        ),
                    ));
                }
                Some(conv("out_spu_id", id.as_str().try_into())?)
            }
            None => None,
        };
        Ok((account_id, out_spu_id, spu_id))
    }
}

/// The wire form of a voucher query: the optional header and the body.
pub(crate) type CertificateWire = (
    Option<types::QueryUserCertificatesRpcTransitLifeAccount>,
    types::QueryUserCertificatesRequest,
);

impl CertificateQuery {
    /// Checks the query without sending anything.
    pub fn validate(&self) -> Result<(), Error> {
        self.to_wire().map(drop)
    }

    pub(crate) fn to_wire(&self) -> Result<CertificateWire, Error> {
        use limits::*;
        QUERY_USER_CERTIFICATES_REQUEST__ACCOUNT_ID.check_str("account_id", &self.account_id)?;
        QUERY_USER_CERTIFICATES_REQUEST__OPEN_ID.check_str("open_id", &self.open_id)?;
        let opt = |limit: &Limit, field: &'static str, v: Option<i32>| match v {
            Some(v) => nonzero_u32(limit, field, v).map(Some),
            None => Ok(None),
        };
        let biz_type = opt(
            &QUERY_USER_CERTIFICATES_REQUEST__BIZ_TYPE,
            "biz_type",
            self.biz_type,
        )?;
        let page = opt(&QUERY_USER_CERTIFICATES_REQUEST__PAGE, "page", self.page)?;
        let page_dimension = opt(
            &QUERY_USER_CERTIFICATES_REQUEST__PAGE_DIMENSION,
            "page_dimension",
            self.page_dimension,
        )?;
        let page_size = opt(
            &QUERY_USER_CERTIFICATES_REQUEST__PAGE_SIZE,
            "page_size",
            self.page_size,
        )?;
        let poi_id = match &self.poi_id {
            Some(p) => {
                QUERY_USER_CERTIFICATES_REQUEST__POI_ID.check_str("poi_id", p)?;
                Some(conv("poi_id", p.as_str().try_into())?)
            }
            None => None,
        };
        let time_range = match self.time_range {
            Some(TimeRange {
                start_time,
                end_time,
            }) => {
                time_window(
                    (&TIME_RANGE__START_TIME, "time_range.start_time", start_time),
                    (&TIME_RANGE__END_TIME, "time_range.end_time", end_time),
                )?;
                Some(types::TimeRange {
                    start_time,
                    end_time,
                })
            }
            None => None,
        };
        let header = match &self.life_account {
            Some(a) => {
                QUERY_USER_CERTIFICATES__RPC_TRANSIT_LIFE_ACCOUNT
                    .check_str("Rpc-Transit-Life-Account", a)?;
                if reqwest::header::HeaderValue::from_str(a).is_err() {
                    return Err(Error::invalid(
                        "Rpc-Transit-Life-Account",
                        "holds characters not allowed in an HTTP header",
                    ));
                }
                Some(conv("Rpc-Transit-Life-Account", a.as_str().try_into())?)
            }
            None => None,
        };
        let body = types::QueryUserCertificatesRequest {
            account_id: conv("account_id", self.account_id.as_str().try_into())?,
            open_id: conv("open_id", self.open_id.as_str().try_into())?,
            biz_type,
            // The spec's default (1) applies when the caller gave none.
            page: page.unwrap_or(std::num::NonZeroU32::MIN),
            page_dimension,
            page_size,
            poi_id,
            time_range,
        };
        Ok((header, body))
    }
}

/// Checks a request against everything its operation's spec says: required
/// parameters and body fields, types, `minimum`/`maximum`,
/// `minLength`/`maxLength`, `minItems`/`maxItems`, string `enum`s,
/// `x-douyin-one-of-required`, header legality and URL length. The first
/// failure is [`Error::InvalidRequest`] naming the wire field; nothing is sent.
pub(crate) fn request(
    spec: &'static crate::spec::OperationSpec,
    raw: &crate::operation::RawRequest,
) -> Result<(), Error> {
    use crate::spec::Location;
    for (i, param) in spec.params.iter().enumerate() {
        match raw.params.get(i).and_then(Option::as_ref) {
            None if param.required => return Err(Error::invalid(param.name, "is required")),
            None => {}
            Some(value) => {
                check_value(param.name, &param.rule, value)?;
                match (param.location, value) {
                    (Location::Header, serde_json::Value::String(s))
                        if reqwest::header::HeaderValue::from_str(s).is_err() =>
                    {
                        return Err(Error::invalid(
                            param.name,
                            "holds characters not allowed in an HTTP header",
                        ));
                    }
                    (Location::Query | Location::Path, v) => {
                        let text = match v {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        if query_encoded_len(&text) > MAX_QUERY_VALUE_BYTES {
                            return Err(Error::invalid(
                                param.name,
                                format!(
                                    "is too long for a URL ({} bytes encoded, at most {MAX_QUERY_VALUE_BYTES})",
                                    query_encoded_len(&text)
                                ),
                            ));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    match (&raw.body, spec.body) {
        (None, Some(body)) if body.required => return Err(Error::invalid("body", "is required")),
        (Some(value), Some(body)) => {
            if !value.is_object() {
                return Err(Error::invalid("body", "must be a JSON object"));
            }
            for field in body.fields {
                check_field(field, field.segments, value)?;
            }
        }
        _ => {}
    }
    for group in spec.one_of_required {
        let given = group.iter().any(|name| {
            raw.get(spec, name)
                .is_some_and(|v| !matches!(v, serde_json::Value::String(s) if s.is_empty()))
        });
        if !given && let Some(first) = group.first() {
            return Err(Error::invalid(
                first,
                format!("one of {} is required", group.join(", ")),
            ));
        }
    }
    Ok(())
}

/// Walks `segments` into `value` and checks the field wherever it is.
fn check_field(
    field: &'static crate::spec::FieldSpec,
    segments: &'static [crate::spec::Segment],
    value: &serde_json::Value,
) -> Result<(), Error> {
    use crate::spec::Segment;
    match segments.split_first() {
        None => check_value(field.path, &field.rule, value),
        Some((Segment::Key(key), rest)) => match value.get(*key) {
            None | Some(serde_json::Value::Null) => {
                if rest.is_empty() && field.required && value.is_object() {
                    Err(Error::invalid(field.path, "is required"))
                } else {
                    Ok(())
                }
            }
            Some(inner) => check_field(field, rest, inner),
        },
        Some((Segment::Items, rest)) => {
            for item in value.as_array().into_iter().flatten() {
                check_field(field, rest, item)?;
            }
            Ok(())
        }
    }
}

/// Checks one value against its rule.
fn check_value(
    field: &'static str,
    rule: &crate::spec::Rule,
    value: &serde_json::Value,
) -> Result<(), Error> {
    use crate::spec::Kind;
    use serde_json::Value;
    match (rule.kind, value) {
        (_, Value::Null) => Ok(()),
        (Kind::String, Value::String(s)) => {
            check_text(field, s)?;
            let chars = s.chars().count() as u64;
            if let Some(min) = rule.min_length
                && chars < min
            {
                return Err(Error::invalid(
                    field,
                    if min == 1 {
                        "must not be empty".to_string()
                    } else {
                        format!("must have at least {min} characters")
                    },
                ));
            }
            within(field, chars, None, rule.max_length, "have", " characters")?;
            if !rule.enum_values.is_empty() && !rule.enum_values.contains(&s.as_str()) {
                return Err(Error::invalid(
                    field,
                    format!("must be one of {}, got {s:?}", rule.enum_values.join(", ")),
                ));
            }
            Ok(())
        }
        (Kind::Integer, Value::Number(n)) => {
            let Some(v) = n.as_i64() else {
                return Err(Error::invalid(
                    field,
                    format!("must be an integer, got {n}"),
                ));
            };
            Limit {
                field,
                minimum: rule.minimum,
                maximum: rule.maximum,
                min_length: None,
            }
            .check_int(field, v)
        }
        (Kind::Number, Value::Number(n)) => {
            let v = n.as_f64().unwrap_or(f64::NAN);
            if let Some(min) = rule.minimum
                && v < min as f64
            {
                return Err(Error::invalid(
                    field,
                    format!("must be at least {min}, got {n}"),
                ));
            }
            if let Some(max) = rule.maximum
                && v > max as f64
            {
                return Err(Error::invalid(
                    field,
                    format!("must be at most {max}, got {n}"),
                ));
            }
            Ok(())
        }
        (Kind::Boolean, Value::Bool(_)) | (Kind::Object, Value::Object(_)) | (Kind::Any, _) => {
            Ok(())
        }
        (Kind::Array, Value::Array(items)) => {
            let n = items.len() as u64;
            within(field, n, rule.min_items, rule.max_items, "have", " items")?;
            if let Some(item_rule) = rule.items {
                for item in items {
                    check_value(field, item_rule, item)?;
                }
            }
            Ok(())
        }
        (kind, other) => Err(Error::invalid(
            field,
            format!("must be {}, got {}", kind_name(kind), json_kind(other)),
        )),
    }
}

/// `value` within `[min, max]`, else "must {verb} at least {min}{unit}, got
/// {value}" (or "at most").
fn within<T: PartialOrd + std::fmt::Display + Copy>(
    field: &'static str,
    value: T,
    min: Option<T>,
    max: Option<T>,
    verb: &str,
    unit: &str,
) -> Result<(), Error> {
    if let Some(min) = min
        && value < min
    {
        return Err(Error::invalid(
            field,
            format!("must {verb} at least {min}{unit}, got {value}"),
        ));
    }
    if let Some(max) = max
        && value > max
    {
        return Err(Error::invalid(
            field,
            format!("must {verb} at most {max}{unit}, got {value}"),
        ));
    }
    Ok(())
}

fn kind_name(kind: crate::spec::Kind) -> &'static str {
    use crate::spec::Kind;
    match kind {
        Kind::String => "a string",
        Kind::Integer => "an integer",
        Kind::Number => "a number",
        Kind::Boolean => "a boolean",
        Kind::Array => "an array",
        Kind::Object => "an object",
        Kind::Any => "a value",
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
