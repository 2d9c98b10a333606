//! Helpers shared by the integration tests.
#![allow(dead_code)]

use douyin_goodlife::{Client, RetryConfig};
use serde_json::Value;

/// The token every test client sends.
pub const TOKEN: &str = "clt.test-token-0123456789";

/// A client for a local test server, sending [`TOKEN`], one attempt per call.
pub fn client(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .access_token(TOKEN)
        .retry(RetryConfig::disabled())
        .build()
        .expect("client builds")
}

/// A fixture from `tests/fixtures/`.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The spec, parsed.
pub fn spec() -> Value {
    let path = format!("{}/openapi/goodlife.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("spec readable");
    serde_yaml::from_str(&text).expect("spec is YAML")
}

/// A successful answer for each operation id (the spec's own example).
pub fn spec_example(operation_id: &str) -> Value {
    let spec = spec();
    for (_, item) in spec["paths"].as_object().unwrap() {
        for (_, op) in item.as_object().unwrap() {
            if op["operationId"] == operation_id {
                return op["responses"]["200"]["content"]["application/json"]["example"].clone();
            }
        }
    }
    panic!("no operation {operation_id}")
}
