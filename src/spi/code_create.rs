//! 发券 (issue codes for a third-party voucher): the SPI call Douyin makes
//! after a user buys, and the answer it expects (`docs/pages/spi_tripartite_code_create.txt`).
//!
//! Douyin retries the call (10 s, 30 s, 60 s, 120 s, 120 s, 240 s) while the
//! answer's `error_code` is not 0 or does not come within 8 s, so the handler
//! must be idempotent.
//!
//! ```
//! use douyin_goodlife::spi::{CodeCreateResponse, IssuedCertificate};
//!
//! let answer = CodeCreateResponse::issued(vec![IssuedCertificate::new("a111", "a")]);
//! assert_eq!(
//!     serde_json::to_string(&answer)?,
//!     r#"{"data":{"error_code":0,"description":"success","result":1,"certificates":[{"certificate_id":"a111","code":"a"}]}}"#
//! );
//! assert_eq!(
//!     serde_json::to_string(&CodeCreateResponse::issuing())?,
//!     r#"{"data":{"error_code":0,"description":"success","result":0}}"#
//! );
//! # Ok::<(), serde_json::Error>(())
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `result`: the codes are being issued; report them within ten minutes
/// through the 发码回调 API (发码中).
pub const CODE_CREATE_ISSUING: i64 = 0;
/// `result`: the codes are issued and in the answer (发码成功).
pub const CODE_CREATE_ISSUED: i64 = 1;

/// The body of a 发券 call.
///
/// The page publishes no field list for the request (its parameter table is
/// empty), so the body is kept whole, as received; read fields with
/// [`CodeCreateRequest::get`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
#[non_exhaustive]
pub struct CodeCreateRequest {
    /// Every field of the body.
    pub fields: Map<String, Value>,
}

impl CodeCreateRequest {
    /// A top-level field of the body.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.get(name)
    }
}

/// The answer to a 发券 call: `{"data": {...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CodeCreateResponse {
    /// The business answer.
    pub data: CodeCreateData,
}

/// `data` of [`CodeCreateResponse`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CodeCreateData {
    /// 0 when the request was handled (the outcome is then in `result`); any
    /// other value makes Douyin retry and ignore the rest of `data`.
    pub error_code: i64,
    /// A description (`success`).
    pub description: String,
    /// [`CODE_CREATE_ISSUING`], [`CODE_CREATE_ISSUED`] or another documented value.
    pub result: i64,
    /// The issued codes of a group-buying voucher (团购三方码), with `result` 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<IssuedCertificate>,
    /// The issued entries of a scenic-spot pre-sale voucher (景区预售券), as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voucher: Option<Value>,
}

/// One issued code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IssuedCertificate {
    /// The merchant's id of the voucher.
    pub certificate_id: String,
    /// The code the user shows.
    pub code: String,
}

impl IssuedCertificate {
    /// A code and its id.
    pub fn new(certificate_id: impl Into<String>, code: impl Into<String>) -> Self {
        IssuedCertificate {
            certificate_id: certificate_id.into(),
            code: code.into(),
        }
    }
}

impl CodeCreateResponse {
    fn ok(result: i64) -> Self {
        CodeCreateResponse {
            data: CodeCreateData {
                error_code: 0,
                description: "success".to_owned(),
                result,
                certificates: Vec::new(),
                voucher: None,
            },
        }
    }

    /// `result` 0: issuing; the codes follow through the callback API.
    pub fn issuing() -> Self {
        Self::ok(CODE_CREATE_ISSUING)
    }

    /// `result` 1 with the issued group-buying codes.
    pub fn issued(certificates: Vec<IssuedCertificate>) -> Self {
        let mut r = Self::ok(CODE_CREATE_ISSUED);
        r.data.certificates = certificates;
        r
    }

    /// `result` 1 with a scenic-spot `voucher` object, as the page's example shapes it.
    pub fn issued_voucher(voucher: Value) -> Self {
        let mut r = Self::ok(CODE_CREATE_ISSUED);
        r.data.voucher = Some(voucher);
        r
    }

    /// A non-zero `error_code`: Douyin will retry the call.
    pub fn retry_later(error_code: i64, description: impl Into<String>) -> Self {
        let mut r = Self::ok(CODE_CREATE_ISSUING);
        r.data.error_code = error_code;
        r.data.description = description.into();
        r
    }
}
