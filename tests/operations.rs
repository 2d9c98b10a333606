//! Table-driven over every operation of the spec: the example request goes out
//! as the spec says and decodes; the envelope's codes are typed and a
//! rejection is retried; every limit the schema states is checked before
//! sending (naming the field, nothing sent) and by the sandbox.

use std::sync::Arc;
use std::time::Duration;

use douyin_goodlife::mock::{Fault, MockServer};
use douyin_goodlife::spec::{self, Kind, Location, OperationSpec, Rule, Segment};
use douyin_goodlife::{
    Client, CodeSource, ERROR_TABLE, Error, ErrorClass, ErrorCode, RetryConfig, Sleeper,
};
use futures::future::BoxFuture;
use serde_json::{Map, Value};

#[derive(Debug)]
struct NoSleep;

impl Sleeper for NoSleep {
    fn sleep(&self, _: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

fn business() -> impl Iterator<Item = &'static OperationSpec> {
    spec::operations().iter().filter(|op| op.auth)
}

fn example_params(op: &OperationSpec) -> Map<String, Value> {
    op.params
        .iter()
        .filter_map(|p| Some((p.name.to_string(), serde_json::from_str(p.example?).ok()?)))
        .collect()
}

fn example_body(op: &OperationSpec) -> Option<Value> {
    op.body_example.and_then(|b| serde_json::from_str(b).ok())
}

async fn setup() -> (MockServer, Client) {
    let server = MockServer::start().await;
    let client = Client::builder()
        .base_url(server.base_url())
        .access_token(server.issue_token())
        .retry(RetryConfig::default().sleeper(Arc::new(NoSleep)))
        .build()
        .unwrap();
    (server, client)
}

#[tokio::test]
async fn every_example_request_goes_out_as_the_spec_says_and_decodes() {
    let (server, client) = setup().await;
    let mut called = 0;
    for op in business() {
        server.reset_received();
        let params = example_params(op);
        let answer = client
            .call_json(op.operation, &params, example_body(op))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", op.id));
        assert!(answer.data().is_object(), "{}", op.id);
        assert!(answer.logid().is_some(), "{}: logid", op.id);
        let sent = server.received();
        assert_eq!(sent.len(), 1, "{}", op.id);
        let r = &sent[0];
        assert_eq!(r.operation, Some(op.operation));
        assert_eq!(r.method, op.method, "{}", op.id);
        assert_eq!(r.path, op.path, "{}", op.id);
        assert_eq!(
            r.header("content-type"),
            Some("application/json"),
            "{}",
            op.id
        );
        assert!(
            r.header("access-token")
                .is_some_and(|t| t.starts_with("clt."))
        );
        assert!(r.header("api-version").is_none(), "only documented headers");
        let query = r.query_pairs();
        for p in op.params {
            let Some(example) = params.get(p.name) else {
                continue;
            };
            let text = match example {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            match p.location {
                Location::Query => assert!(
                    query.iter().any(|(k, v)| k == p.name && *v == text),
                    "{}: query {} = {text} in {query:?}",
                    op.id,
                    p.name
                ),
                Location::Header => assert_eq!(r.header(p.name), Some(text.as_str()), "{}", op.id),
                _ => {}
            }
        }
        match example_body(op) {
            Some(body) => assert_eq!(r.json(), Some(body), "{}: body bytes", op.id),
            None => assert!(r.body.is_empty(), "{}: no body", op.id),
        }
        called += 1;
    }
    assert!(called >= 9, "{called} operations");
}

/// The first code of `op`'s error table in `class`.
fn code_of(op: &OperationSpec, class: ErrorClass) -> Option<ErrorCode> {
    ERROR_TABLE
        .iter()
        .filter(|r| r.operation == op.id)
        .map(|r| ErrorCode::from_code(r.code))
        .find(|c| c.class() == class)
}

#[tokio::test]
async fn envelope_codes_are_typed_and_rejections_retried_for_every_operation() {
    let (server, client) = setup().await;
    for op in business() {
        let params = example_params(op);
        if let Some(code) = code_of(op, ErrorClass::InvalidRequest) {
            server
                .inject(Fault::Code(code.code()))
                .on(op.operation)
                .times(1);
            let err = client
                .call_json(op.operation, &params, example_body(op))
                .await
                .unwrap_err();
            match &err {
                Error::Api {
                    code: got,
                    logid,
                    source_field,
                    attempts,
                    ..
                } => {
                    assert_eq!(*got, code, "{}", op.id);
                    assert!(logid.is_some(), "{}", op.id);
                    let expected = match op.envelope {
                        spec::EnvelopeKind::ErrNo => CodeSource::ErrNo,
                        _ => CodeSource::Extra,
                    };
                    assert_eq!(*source_field, expected, "{}", op.id);
                    assert_eq!(*attempts, 1, "{}: not retried", op.id);
                }
                other => panic!("{}: {other:?}", op.id),
            }
        }
        if let Some(code) = code_of(op, ErrorClass::Retryable) {
            server.reset_received();
            server
                .inject(Fault::Code(code.code()))
                .on(op.operation)
                .times(1);
            client
                .call_json(op.operation, &params, example_body(op))
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", op.id));
            assert_eq!(
                server.received_count(op.operation),
                2,
                "{}: retried once",
                op.id
            );
        }
    }
}

/// A value that breaks `rule`, if the rule states a limit.
fn violation(rule: &Rule) -> Option<Value> {
    if let Some(min) = rule.minimum
        && rule.kind == Kind::Integer
    {
        return Some(Value::from(min.checked_sub(1)?));
    }
    if let Some(max) = rule.maximum
        && rule.kind == Kind::Integer
    {
        return Some(Value::from(max.checked_add(1)?));
    }
    if rule.kind == Kind::String {
        if let Some(max) = rule.max_length {
            return Some(Value::String("x".repeat(usize::try_from(max).ok()? + 1)));
        }
        if rule.min_length == Some(1) {
            return Some(Value::String(String::new()));
        }
        if !rule.enum_values.is_empty() {
            return Some(Value::String("not-a-documented-value".into()));
        }
    }
    if rule.kind == Kind::Array
        && let Some(max) = rule.max_items
    {
        return Some(Value::Array(vec![
            Value::String("x".into());
            usize::try_from(max).ok()? + 1
        ]));
    }
    None
}

#[tokio::test]
async fn every_stated_limit_is_checked_before_sending_and_by_the_sandbox() {
    let (server, client) = setup().await;
    let http = reqwest::Client::new();
    let token = server.issue_token();
    let mut checked = 0;
    for op in business() {
        // Parameters.
        for p in op.params {
            let Some(bad) = violation(&p.rule) else {
                continue;
            };
            let mut params = example_params(op);
            params.insert(p.name.to_string(), bad.clone());
            server.reset_received();
            let err = client
                .call_json(op.operation, &params, example_body(op))
                .await
                .unwrap_err();
            assert!(
                matches!(&err, Error::InvalidRequest { field, .. } if *field == p.name),
                "{}: {} = {bad}: {err:?}",
                op.id,
                p.name
            );
            assert!(server.received().is_empty(), "{}: nothing sent", op.id);
            if p.location == Location::Query && op.method == "GET" {
                // The sandbox refuses it too when it arrives anyway.
                let text = match &bad {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let mut url =
                    reqwest::Url::parse(&format!("{}{}", server.base_url(), op.path)).unwrap();
                for (k, v) in &params {
                    if k != p.name {
                        let v = match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        url.query_pairs_mut().append_pair(k, &v);
                    }
                }
                url.query_pairs_mut().append_pair(p.name, &text);
                let answer: Value = http
                    .get(url)
                    .header("access-token", &token)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let code = answer["extra"]["error_code"]
                    .as_i64()
                    .or(answer["err_no"].as_i64());
                assert!(
                    code.is_some_and(|c| c != 0),
                    "{}: sandbox took {} = {text}: {answer}",
                    op.id,
                    p.name
                );
            }
            checked += 1;
        }
        // Top-level body fields.
        let (Some(body_spec), Some(body)) = (op.body, example_body(op)) else {
            continue;
        };
        for f in body_spec.fields {
            let [Segment::Key(key)] = f.segments else {
                continue;
            };
            let Some(bad) = violation(&f.rule) else {
                continue;
            };
            let mut body = body.clone();
            body[*key] = bad.clone();
            server.reset_received();
            let err = client
                .call_json(op.operation, &example_params(op), Some(body))
                .await
                .unwrap_err();
            assert!(
                matches!(&err, Error::InvalidRequest { field, .. } if *field == f.path),
                "{}: body {} = {bad}: {err:?}",
                op.id,
                f.path
            );
            assert!(server.received().is_empty());
            checked += 1;
        }
        // A required field left out.
        if let Some(p) = op.params.iter().find(|p| p.required) {
            let mut params = example_params(op);
            params.remove(p.name);
            let err = client
                .call_json(op.operation, &params, example_body(op))
                .await
                .unwrap_err();
            assert!(
                matches!(&err, Error::InvalidRequest { field, reason, .. } if *field == p.name && reason.contains("required")),
                "{err:?}"
            );
        }
    }
    assert!(checked >= 10, "{checked} limits checked");
}
