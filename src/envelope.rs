//! The envelope check: the one place that decides whether a call failed.
//!
//! A call succeeds only when every error field present in the answer is 0. When
//! several are non-zero, the first in this order decides (the others are
//! usually the same code echoed):
//!
//! 1. `extra.error_code` — the platform envelope, which also carries
//!    `sub_error_code`, `sub_description` and `logid`;
//! 2. `data.error_code` — the business answer;
//! 3. `BaseResp.StatusCode` — the RPC status of the SPU endpoint;
//! 4. `err_no` — the top-level code of the `err_no` / `err_msg` / `log_id` answer.
//!
//! Where each response type keeps these fields is generated from the spec
//! (`build/operations.rs`), so a new operation needs no code here.
//!
//! Bodies that do not decode into the documented type are first read as plain
//! JSON: if they carry a non-zero code they are an [`Error::Api`] (error answers
//! often omit `data`); otherwise they are an [`Error::Decode`] naming the JSON
//! path of the failure, with the body (capped) and the `logid`.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::code::ErrorCode;
use crate::error::{CodeSource, Error, capped_body};
use crate::response::Response;
use crate::types;

/// The error-bearing fields of an answer, whatever its operation.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Codes {
    pub extra_code: Option<i64>,
    pub sub_code: Option<i64>,
    pub extra_desc: Option<String>,
    pub sub_desc: Option<String>,
    pub logid: Option<String>,
    pub now: Option<i64>,
    pub data_code: Option<i64>,
    pub data_desc: Option<String>,
    pub base_code: Option<i64>,
    pub base_msg: Option<String>,
    pub err_no: Option<i64>,
    pub err_msg: Option<String>,
    pub log_id: Option<String>,
}

impl Codes {
    pub(crate) fn with_extra(mut self, extra: Option<&types::Extra>) -> Self {
        if let Some(e) = extra {
            self.extra_code = e.error_code;
            self.sub_code = e.sub_error_code;
            self.extra_desc = e.description.clone();
            self.sub_desc = e.sub_description.clone();
            self.logid = e.logid.clone();
            self.now = e.now;
        }
        self
    }

    /// Reads the fields from any JSON value, leniently (codes given as numeric
    /// strings count; anything else is ignored).
    pub(crate) fn from_value(v: &Value) -> Self {
        let int = |p: &str| v.pointer(p).and_then(lenient_int);
        let text = |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_string);
        Codes {
            extra_code: int("/extra/error_code"),
            sub_code: int("/extra/sub_error_code"),
            extra_desc: text("/extra/description"),
            sub_desc: text("/extra/sub_description"),
            logid: text("/extra/logid"),
            now: int("/extra/now"),
            data_code: int("/data/error_code"),
            data_desc: text("/data/description"),
            base_code: int("/BaseResp/StatusCode"),
            base_msg: text("/BaseResp/StatusMessage"),
            err_no: int("/err_no"),
            err_msg: text("/err_msg"),
            log_id: text("/log_id"),
        }
    }

    /// The failure these codes describe, if any.
    pub(crate) fn failure(
        &self,
        operation: &'static str,
        header_logid: Option<&str>,
    ) -> Option<Error> {
        let nonzero = |c: Option<i64>| c.filter(|c| *c != 0);
        let (code, source_field, desc) = if let Some(c) = nonzero(self.extra_code) {
            (
                c,
                CodeSource::Extra,
                self.extra_desc.clone().or(self.data_desc.clone()),
            )
        } else if let Some(c) = nonzero(self.data_code) {
            (
                c,
                CodeSource::Data,
                self.data_desc.clone().or(self.extra_desc.clone()),
            )
        } else if let Some(c) = nonzero(self.base_code) {
            (c, CodeSource::BaseResp, self.base_msg.clone())
        } else if let Some(c) = nonzero(self.err_no) {
            (c, CodeSource::ErrNo, self.err_msg.clone())
        } else {
            return None;
        };
        let code = ErrorCode::from_code(code);
        let description = desc
            .filter(|d| !d.trim().is_empty())
            .or_else(|| code.message().map(str::to_string))
            .unwrap_or_default();
        Some(Error::Api {
            operation,
            code,
            sub_code: nonzero(self.sub_code),
            description,
            sub_description: self.sub_desc.clone().filter(|d| !d.is_empty()),
            logid: self.logid(header_logid),
            source_field,
            attempts: 1,
        })
    }

    fn logid(&self, header_logid: Option<&str>) -> Option<String> {
        self.logid
            .clone()
            .filter(|l| !l.is_empty())
            .or_else(|| self.log_id.clone().filter(|l| !l.is_empty()))
            .or_else(|| header_logid.map(str::to_string))
    }
}

/// A generated response type: where its codes and its `data` are.
pub(crate) trait Envelope: DeserializeOwned {
    /// The `data` object handed to the caller.
    type Data;
    /// The error-bearing fields.
    fn codes(&self) -> Codes;
    /// The `data` object, if present.
    fn into_data(self) -> Option<Self::Data>;
}

/// A code field of a generated type, whatever integer type and optionality
/// typify gave it.
pub(crate) trait AsCode {
    fn as_code(&self) -> Option<i64>;
}

impl AsCode for i64 {
    fn as_code(&self) -> Option<i64> {
        Some(*self)
    }
}

impl AsCode for i32 {
    fn as_code(&self) -> Option<i64> {
        Some(i64::from(*self))
    }
}

impl AsCode for u64 {
    fn as_code(&self) -> Option<i64> {
        i64::try_from(*self).ok()
    }
}

impl<T: AsCode> AsCode for Option<T> {
    fn as_code(&self) -> Option<i64> {
        self.as_ref().and_then(AsCode::as_code)
    }
}

/// A text field of a generated type.
pub(crate) trait AsText {
    fn as_text(&self) -> Option<String>;
}

impl AsText for String {
    fn as_text(&self) -> Option<String> {
        Some(self.clone())
    }
}

impl<T: AsText> AsText for Option<T> {
    fn as_text(&self) -> Option<String> {
        self.as_ref().and_then(AsText::as_text)
    }
}

/// `extra.now` in seconds: some answers give milliseconds (13 digits), read
/// by magnitude; a value that is neither (doc filler) is kept as given.
pub(crate) fn unix_seconds(now: i64) -> i64 {
    if (100_000_000_000..100_000_000_000_000).contains(&now) {
        now / 1000
    } else {
        now
    }
}

/// An integer given as a JSON number or a numeric string.
pub(crate) fn lenient_int(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// Checks a decoded answer. Only the reading of its codes and its `data` is
/// per type; the decision is [`accept`], compiled once.
pub(crate) fn check<T: Envelope>(
    operation: &'static str,
    value: T,
    header_logid: Option<&str>,
) -> Result<Response<T::Data>, Error> {
    let (logid, now) = accept(operation, value.codes(), header_logid)?;
    match value.into_data() {
        Some(data) => Ok(Response::new(data, logid, now)),
        None => Err(missing_data(operation, logid)),
    }
}

/// The failure `codes` describe, else the answer's `logid` and `extra.now`
/// (in seconds).
#[inline(never)]
fn accept(
    operation: &'static str,
    codes: Codes,
    header_logid: Option<&str>,
) -> Result<(Option<String>, Option<i64>), Error> {
    if let Some(err) = codes.failure(operation, header_logid) {
        return Err(err);
    }
    Ok((codes.logid(header_logid), codes.now.map(unix_seconds)))
}

#[inline(never)]
fn missing_data(operation: &'static str, logid: Option<String>) -> Error {
    Error::Decode {
        operation,
        path: "data".into(),
        message: "missing field `data` in a successful answer".into(),
        body: String::new(),
        logid,
    }
}

/// An answer type parsed from text, reporting only whether it decodes: the
/// slow paths (repair, error paths) take one, so that they are compiled once
/// rather than once per answer type.
pub(crate) type Probe<'a> = &'a dyn Fn(&str) -> Result<(), serde_json::Error>;

/// The [`Probe`] of `T`.
pub(crate) fn probe<T: DeserializeOwned>(text: &str) -> Result<(), serde_json::Error> {
    serde_json::from_str::<T>(text).map(drop)
}

/// Classifies a 200 body that did not decode as the type `probe` parses.
#[inline(never)]
pub(crate) fn undecodable(
    operation: &'static str,
    body: &[u8],
    header_logid: Option<&str>,
    probe: Probe<'_>,
) -> Error {
    let loose = serde_json::from_slice::<Value>(body).ok();
    let codes = loose.as_ref().map(Codes::from_value).unwrap_or_default();
    if let Some(err) = codes.failure(operation, header_logid) {
        return err;
    }
    let (path, message) = decode_path(body, probe);
    Error::Decode {
        operation,
        path,
        message,
        body: capped_body(body),
        logid: codes.logid(header_logid),
    }
}

/// The JSON path and message of the first failure of `probe` on `body`.
pub(crate) fn decode_path(body: &[u8], probe: Probe<'_>) -> (String, String) {
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        Err(e) => return (".".into(), format!("the body is not UTF-8: {e}")),
    };
    match probe(text) {
        Err(e) => (
            crate::json_path::render(&crate::json_path::of_error(body, &e)),
            e.to_string(),
        ),
        Ok(()) => (
            ".".into(),
            "the body does not match the documented type".into(),
        ),
    }
}
