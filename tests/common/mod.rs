//! Helpers shared by the integration tests.
#![allow(dead_code)]

use douyin_goodlife::{Client, OrderQuery, RetryConfig};
use serde_json::{Value, json};
use wiremock::{MockServer, Request, ResponseTemplate};

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

/// A successful order page without orders, with `total` and logid `L-ok`.
pub fn orders_ok(total: i64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "data": {"error_code": 0, "description": "success", "order_list": [], "total": total},
        "extra": {"error_code": 0, "description": "success", "logid": "L-ok", "now": 1}
    }))
}

/// An order-query answer carrying `code` in `extra` and `data`, logid `L-err`.
pub fn orders_error(code: i64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "data": {"error_code": code, "description": "no"},
        "extra": {"error_code": code, "description": "no", "logid": "L-err"}
    }))
}

/// A successful `client_token` answer.
pub fn token_answer(token: &str, expires_in: i64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "data": {"access_token": token, "expires_in": expires_in, "error_code": 0, "description": ""},
        "message": "success"
    }))
}

/// A valid reservation order query.
pub fn order_query() -> OrderQuery {
    OrderQuery::new("acc", "poi", 1_732_896_000, 1_732_982_400)
}

/// The requests a wiremock server received on `path`.
pub async fn requests_to(server: &MockServer, path: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == path)
        .collect()
}
