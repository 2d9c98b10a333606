//! Decoding of `attr_value`: industry information stored as a JSON document
//! inside a string (the spec marks it `x-json-string: true`).
//!
//! The reservation order page documents no particular `attr_key`, so there are
//! no typed structs per key: decode into your own type with
//! [`IndustryInfo::decode_attr_value`](crate::types::IndustryInfo::decode_attr_value),
//! or read it as [`serde_json::Value`].
//!
//! ```
//! use douyin_goodlife::types::IndustryInfo;
//!
//! #[derive(serde::Deserialize, Debug)]
//! struct Arrival { arrive_time: String, people: u32 }
//!
//! let info = IndustryInfo {
//!     attr_key: Some("arrival_info".into()),
//!     attr_value: Some(r#"{"arrive_time":"14:00","people":2}"#.into()),
//!     ..Default::default()
//! };
//! let a: Arrival = info.decode_attr_value()?;
//! assert_eq!((a.arrive_time.as_str(), a.people), ("14:00", 2));
//!
//! let bad = IndustryInfo {
//!     attr_key: Some("k".into()),
//!     attr_value: Some(r#"{"people":"two"}"#.into()),
//!     ..Default::default()
//! };
//! let err = bad.decode_attr_value::<Arrival>().unwrap_err();
//! assert_eq!(err.attr_key(), "k");
//! assert_eq!(err.path(), "people");
//! # Ok::<(), douyin_goodlife::AttrValueError>(())
//! ```

use serde::de::DeserializeOwned;

use crate::types::{BookedProduct, IndustryInfo, ReservationOrder};

/// An `attr_value` that is absent or does not decode as the requested type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("attr_value of attr_key {attr_key:?} does not decode at `{path}`: {message}")]
pub struct AttrValueError {
    attr_key: String,
    path: String,
    message: String,
}

impl AttrValueError {
    /// The `attr_key` of the item.
    pub fn attr_key(&self) -> &str {
        &self.attr_key
    }

    /// The JSON path inside the value where decoding failed (`.` for the root).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What the decoder said.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl IndustryInfo {
    /// Decodes `attr_value` (a JSON document in a string) into `T`.
    pub fn decode_attr_value<T: DeserializeOwned>(&self) -> Result<T, AttrValueError> {
        let key = self.attr_key.clone().unwrap_or_default();
        let Some(text) = self.attr_value.as_deref() else {
            return Err(AttrValueError {
                attr_key: key,
                path: ".".into(),
                message: "attr_value is absent".into(),
            });
        };
        serde_json::from_str::<T>(text).map_err(|e| AttrValueError {
            attr_key: key,
            path: crate::json_path::render(&crate::json_path::of_error(text.as_bytes(), &e)),
            message: e.to_string(),
        })
    }

    /// `attr_value` as untyped JSON.
    pub fn attr_value_json(&self) -> Result<serde_json::Value, AttrValueError> {
        self.decode_attr_value()
    }
}

impl ReservationOrder {
    /// The industry information item with this `attr_key`, if any.
    pub fn industry_info(&self, attr_key: &str) -> Option<&IndustryInfo> {
        self.industry_info_list
            .iter()
            .find(|i| i.attr_key.as_deref() == Some(attr_key))
    }
}

impl BookedProduct {
    /// The SKU name. The wire field is `sku_ame` (a typo the API ships).
    pub fn sku_name(&self) -> Option<&str> {
        self.sku_ame.as_deref()
    }
}
