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

/// Every log line of a test binary, captured into memory (for asserting that
/// no secret is ever logged).
#[derive(Clone, Default)]
pub struct Capture(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Capture {
    /// What was logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Installs (once per test binary) a global TRACE subscriber of every crate
/// writing into a [`Capture`], with the given span events.
pub fn capture_logs(span_events: tracing_subscriber::fmt::format::FmtSpan) -> &'static Capture {
    static CAPTURE: std::sync::OnceLock<Capture> = std::sync::OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture = Capture::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(span_events)
            .with_ansi(false)
            .with_writer(capture.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("first subscriber");
        capture
    })
}

/// `hashlib.<algo>(data).hexdigest()` computed by python3 (an implementation
/// independent of the SDK's), `data` sent on stdin; no trailing newline.
pub fn python_digest(algo: &str, data: &[u8]) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("python3")
        .args([
            "-c",
            &format!(
                "import hashlib,sys;sys.stdout.write(hashlib.{algo}(sys.stdin.buffer.read()).hexdigest())"
            ),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}
