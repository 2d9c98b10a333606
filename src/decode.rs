//! Decoding of answer bodies, exactly as the client does it after an HTTP 200:
//! JSON into the generated type, then the envelope check. Useful for recorded
//! answers, fixtures and tests.
//!
//! ```
//! use douyin_goodlife::{ErrorCode, decode};
//!
//! let body = br#"{"extra":{"error_code":2190008,"description":"","logid":"L1"}}"#;
//! let err = decode::reservation_orders(body).unwrap_err();
//! assert_eq!(err.code(), Some(ErrorCode::AccessTokenExpired));
//! assert_eq!(err.logid(), Some("L1"));
//! ```

use crate::envelope::Envelope;
use crate::error::Error;
use crate::response::Response;
use crate::types;

fn decode<T: Envelope>(operation: &'static str, body: &[u8]) -> Result<Response<T::Data>, Error> {
    crate::operation::decode_answer::<T>(operation, body, None)
}

/// An answer of any operation, decoded as its documented type and handed back
/// as JSON (the `data` object).
///
/// ```
/// use douyin_goodlife::{Operation, decode};
///
/// let body = br#"{"data":{"error_code":0,"verify_token":"t-1"},"extra":{"error_code":0,"logid":"L2"}}"#;
/// let answer = decode::answer(Operation::CertificatePrepare, body).unwrap();
/// assert_eq!(answer.data()["verify_token"], "t-1");
/// assert_eq!(answer.logid(), Some("L2"));
/// ```
pub fn answer(
    operation: crate::Operation,
    body: &[u8],
) -> Result<Response<serde_json::Value>, Error> {
    let spec = operation.spec();
    let decode = crate::generated_ops::json_decoder(operation);
    crate::operation::downcast(spec, decode(spec.id, body, None)?)
}

/// An answer of `query_reservation_orders`.
pub fn reservation_orders(body: &[u8]) -> Result<Response<types::QueryOrderData>, Error> {
    decode::<types::QueryOrderResponse>("query_reservation_orders", body)
}

/// An answer of `get_food_order_spu_detail`.
pub fn food_order_spu(body: &[u8]) -> Result<Response<types::SpuDetailData>, Error> {
    decode::<types::SpuDetailResponse>("get_food_order_spu_detail", body)
}

/// An answer of `query_user_certificates`.
pub fn user_certificates(body: &[u8]) -> Result<Response<types::UserCertificatesData>, Error> {
    decode::<types::QueryUserCertificatesResponse>("query_user_certificates", body)
}

/// An answer of `get_client_token` (the token is a redacting [`crate::Secret`]).
pub fn client_token(body: &[u8]) -> Result<Response<types::ClientTokenData>, Error> {
    decode::<types::ClientTokenResponse>("get_client_token", body)
}
