//! The two signatures Douyin puts on its calls to a merchant's server, computed
//! over the raw bytes received (never over re-serialized JSON).
//!
//! - Webhooks (`X-Douyin-Signature`): lowercase hex of
//!   `sha1(client_secret + raw body)`.
//! - SPI calls, newer rule (`x-life-sign`): lowercase hex of `sha256(str1)`, where
//!   `str1` is the client secret, then every URL parameter but `sign` as
//!   `key=value` sorted by key, then for a POST `http_body=<raw body>` last, all
//!   joined with `&`. Keys and values are signed URL-decoded: the page (cut
//!   before its Go and Java demos) says `key=value` of the URL parameters, and
//!   a parameter's value is its decoded text, as Go's `URL.Query()` or a Java
//!   servlet's `getParameter` returns it. An encoding that does not decode
//!   (a bad `%XX`, not UTF-8) or a repeated key is refused.
//!
//! ```
//! use douyin_goodlife::webhook::signature::{spi_signature, webhook_signature};
//! use secrecy::SecretString;
//!
//! let secret = SecretString::from("yyyyyy");
//! let sig = webhook_signature(&secret, br#"{"event":"verify_webhook"}"#);
//! assert_eq!(sig.len(), 40);
//!
//! let sig = spi_signature(&secret, "POST", "timestamp=1624293280123&client_key=xxxxxx&sign=old", b"zzzzzz")?;
//! // sha256("yyyyyy&client_key=xxxxxx&timestamp=1624293280123&http_body=zzzzzz")
//! assert_eq!(sig.len(), 64);
//! # Ok::<(), douyin_goodlife::webhook::VerifyError>(())
//! ```

use secrecy::{ExposeSecret, SecretString};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::VerifyError;

/// The webhook signature Douyin sends in `X-Douyin-Signature`: lowercase hex of
/// `sha1(client_secret + body)`, `body` being the raw bytes of the request body.
pub fn webhook_signature(secret: &SecretString, body: &[u8]) -> String {
    let mut h = Sha1::new();
    h.update(secret.expose_secret().as_bytes());
    h.update(body);
    to_hex(&h.finalize())
}

/// The SPI signature Douyin sends in `x-life-sign` (the newer rule): lowercase
/// hex of `sha256(str1)`.
///
/// `method` is the HTTP method (only `POST`, in any case, appends
/// `http_body=<body>`); `query` is the raw URL query string (without `?`);
/// `body` is the raw request body. Fails with
/// [`VerifyError::InvalidParameter`] when the query is not valid
/// percent-encoding or repeats a key.
pub fn spi_signature(
    secret: &SecretString,
    method: &str,
    query: &str,
    body: &[u8],
) -> Result<String, VerifyError> {
    let params = parse_query(query)?;
    Ok(spi_signature_of_params(secret, method, &params, body))
}

/// [`spi_signature`] over already-decoded parameters (any order; `sign` is left out).
pub(crate) fn spi_signature_of_params(
    secret: &SecretString,
    method: &str,
    params: &[(String, String)],
    body: &[u8],
) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().filter(|(k, _)| k != "sign").collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut h = Sha256::new();
    h.update(secret.expose_secret().as_bytes());
    for (k, v) in sorted {
        h.update(b"&");
        h.update(k.as_bytes());
        h.update(b"=");
        h.update(v.as_bytes());
    }
    if method.eq_ignore_ascii_case("POST") {
        h.update(b"&http_body=");
        h.update(body);
    }
    to_hex(&h.finalize())
}

/// Splits a URL query string into decoded `(key, value)` pairs, as Go's
/// `url.ParseQuery` does (`+` is a space, `%XX` a byte), but strictly: a bad
/// escape, a value that is not UTF-8 or a repeated key fails.
pub(crate) fn parse_query(query: &str) -> Result<Vec<(String, String)>, VerifyError> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut out: Vec<(String, String)> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = percent_decode(k).ok_or(VerifyError::InvalidParameter("query"))?;
        let v = percent_decode(v).ok_or(VerifyError::InvalidParameter("query"))?;
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(VerifyError::InvalidParameter("query"));
        }
        out.push((k, v));
    }
    Ok(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = hex_value(*bytes.get(i + 1)?)?;
                let lo = hex_value(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Lowercase hex.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    s
}

/// Whether a received signature header equals the expected lowercase hex, in
/// constant time (surrounding whitespace ignored, hex case-insensitive).
pub(crate) fn signature_matches(expected_hex: &str, received: &[u8]) -> bool {
    let received = received.trim_ascii().to_ascii_lowercase();
    bool::from(expected_hex.as_bytes().ct_eq(&received))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding() {
        let p = parse_query("b=%E4%BD%A0+x&a=1&&c").unwrap();
        assert_eq!(
            p,
            vec![
                ("b".into(), "你 x".into()),
                ("a".into(), "1".into()),
                ("c".into(), String::new())
            ]
        );
        assert!(parse_query("a=%zz").is_err());
        assert!(parse_query("a=%e4").is_err());
        assert!(parse_query("a=%").is_err());
        assert!(parse_query("a=1&a=2").is_err());
    }

    #[test]
    fn hex_and_compare() {
        assert_eq!(to_hex(&[0, 0xab, 0x10]), "00ab10");
        assert!(signature_matches("00ab10", b" 00AB10\n"));
        assert!(!signature_matches("00ab10", b"00ab11"));
        assert!(!signature_matches("00ab10", b"00ab1"));
    }
}
