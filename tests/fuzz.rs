//! Decoder fuzzing (proptest, stable Rust): every response type and the envelope
//! check are fed
//! (a) arbitrary bytes,
//! (b) JSON generated from the spec's schemas with one value of a wrong type at a
//!     random path — the error must name exactly that path,
//! (c) the doc examples with random mutations (fields removed, nulls, numbers
//!     beyond i64, floats for ints, huge strings, deep nesting, bad escapes),
//! and `attr_value` decoding is fed arbitrary strings.
//! Property: never a panic; every failure is a typed error with a path.
//!
//! 10,000 cases per target by default; a long run:
//! `FUZZ_CASES=1000000 cargo test --release --test fuzz`.
//! Failing inputs are kept by proptest under `tests/fuzz.proptest-regressions`
//! and replayed first on every run.

mod common;

use douyin_goodlife::{Error, decode, types};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use serde_json::{Value, json};

fn config() -> Config {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::default()
    }
}

type Decoder = fn(&[u8]) -> Result<(), Error>;

/// (operation id, decoder) for every response type.
const DECODERS: [(&str, Decoder); 4] = [
    ("query_reservation_orders", |b| {
        decode::reservation_orders(b).map(drop)
    }),
    ("get_food_order_spu_detail", |b| {
        decode::food_order_spu(b).map(drop)
    }),
    ("query_user_certificates", |b| {
        decode::user_certificates(b).map(drop)
    }),
    ("get_client_token", |b| decode::client_token(b).map(drop)),
];

/// Every failure is typed: a decode error with a path and the body kept, or an
/// API error (a non-zero code was found).
fn assert_typed(op: &str, body: &[u8], result: Result<(), Error>) {
    match result {
        Ok(()) => {}
        Err(Error::Decode {
            path,
            body: kept,
            operation,
            ..
        }) => {
            assert_eq!(operation, op);
            assert!(!path.is_empty(), "empty path");
            let expect =
                String::from_utf8_lossy(&body[..body.len().min(douyin_goodlife::BODY_CAP)]);
            assert!(
                expect.starts_with(kept.as_str()) || kept.len() <= expect.len(),
                "body kept"
            );
        }
        Err(Error::Api { operation, .. }) => assert_eq!(operation, op),
        Err(other) => panic!("{op}: untyped failure {other:?}"),
    }
}

// ---------------------------------------------------------------- (a) bytes

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        for (op, dec) in DECODERS {
            assert_typed(op, &bytes, dec(&bytes));
        }
    }

    #[test]
    fn arbitrary_json_text_never_panics(text in "[{}\\[\\]\":,0-9a-z_\\-. ]{0,200}") {
        for (op, dec) in DECODERS {
            assert_typed(op, text.as_bytes(), dec(text.as_bytes()));
        }
    }
}

// ------------------------------------------------ (b) schema-driven, one wrong type

/// A small deterministic generator (xorshift), seeded by proptest.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

struct Gen<'s> {
    spec: &'s Value,
    rng: Rng,
}

/// The spec and the example fixtures, parsed once per test binary.
fn spec() -> &'static Value {
    static SPEC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    SPEC.get_or_init(common::spec)
}

fn example(file: &str) -> Value {
    static FIXTURES: std::sync::OnceLock<Vec<(String, Value)>> = std::sync::OnceLock::new();
    let all = FIXTURES.get_or_init(|| {
        EXAMPLES
            .iter()
            .map(|(_, f)| (f.to_string(), common::fixture(f)))
            .collect()
    });
    all.iter().find(|(f, _)| f == file).unwrap().1.clone()
}

/// The JSON shape a schema node has.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Int,
    Str,
    Bool,
    Obj,
    Arr,
}

impl<'s> Gen<'s> {
    fn resolve(&self, schema: &'s Value) -> &'s Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.rsplit('/').next().unwrap();
                &self.spec["components"]["schemas"][name]
            }
            None => schema,
        }
    }

    fn kind(schema: &Value) -> Kind {
        match schema["type"].as_str() {
            Some("integer") => Kind::Int,
            Some("string") => Kind::Str,
            Some("boolean") => Kind::Bool,
            Some("array") => Kind::Arr,
            _ => Kind::Obj,
        }
    }

    /// A value valid for `schema`; records the path and kind of every node.
    fn valid(&mut self, schema: &'s Value, path: &str, nodes: &mut Vec<(String, Kind)>) -> Value {
        let schema = self.resolve(schema);
        let kind = Self::kind(schema);
        if !path.is_empty() {
            nodes.push((path.to_string(), kind));
        }
        match kind {
            Kind::Int => {
                let name = path.rsplit('.').next().unwrap_or("");
                if matches!(name, "error_code" | "StatusCode" | "sub_error_code") {
                    json!(0)
                } else {
                    json!(self.rng.next() as i64)
                }
            }
            Kind::Str => {
                let pool = [
                    "",
                    "a",
                    "芝芝葡萄",
                    "clt.x",
                    "😀",
                    "\"quoted\"",
                    "line\nbreak",
                ];
                json!(pool[self.rng.below(pool.len() as u64) as usize])
            }
            Kind::Bool => json!(self.rng.chance(50)),
            Kind::Arr => {
                let n = self.rng.below(3);
                let items: Vec<Value> = (0..n)
                    .map(|i| self.valid(&schema["items"], &format!("{path}[{i}]"), nodes))
                    .collect();
                Value::Array(items)
            }
            Kind::Obj => {
                let required: Vec<String> = schema["required"]
                    .as_array()
                    .map(|r| {
                        r.iter()
                            .filter_map(|s| s.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                let mut out = serde_json::Map::new();
                if let Some(props) = schema["properties"].as_object() {
                    for (name, prop) in props {
                        if required.contains(name) || self.rng.chance(75) {
                            let p = if path.is_empty() {
                                name.clone()
                            } else {
                                format!("{path}.{name}")
                            };
                            let v = self.valid(prop, &p, nodes);
                            out.insert(name.clone(), v);
                        }
                    }
                }
                Value::Object(out)
            }
        }
    }

    /// A value of a type `kind` does not accept (never `null`: optional fields
    /// accept it).
    fn wrong(&mut self, kind: Kind) -> Value {
        let options: Vec<Value> = match kind {
            Kind::Int => vec![
                json!("7"),
                json!(true),
                json!(1.5),
                json!({}),
                json!([]),
                json!(u64::MAX),
            ],
            Kind::Str => vec![json!(1), json!(false), json!({}), json!([])],
            Kind::Bool => vec![json!(1), json!("true"), json!({}), json!([])],
            Kind::Obj => vec![json!(1), json!("x"), json!([]), json!(true)],
            Kind::Arr => vec![json!(1), json!("x"), json!({}), json!(true)],
        };
        options[self.rng.below(options.len() as u64) as usize].clone()
    }
}

fn response_schema<'s>(spec: &'s Value, operation: &str) -> &'s Value {
    for (_, item) in spec["paths"].as_object().unwrap() {
        for (_, op) in item.as_object().unwrap() {
            if op["operationId"] == operation {
                return &op["responses"]["200"]["content"]["application/json"]["schema"];
            }
        }
    }
    panic!("{operation}")
}

/// The node at a `a.b[1].c` path, if the document still has it.
fn node_mut<'a>(root: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    let mut cur = Some(root);
    for seg in path.split('.') {
        let (name, indexes) = match seg.find('[') {
            Some(i) => (&seg[..i], &seg[i..]),
            None => (seg, ""),
        };
        cur = cur.and_then(|c| c.get_mut(name));
        for idx in indexes.split('[').filter(|s| !s.is_empty()) {
            let i: usize = idx.trim_end_matches(']').parse().unwrap();
            cur = cur.and_then(|c| c.get_mut(i));
        }
    }
    cur
}

/// Sets the value at a path (a no-op when an earlier mutation removed it).
fn set_path(root: &mut Value, path: &str, v: Value) {
    if let Some(node) = node_mut(root, path) {
        *node = v;
    }
}

fn one_wrong_type(seed: u64) {
    let spec = spec();
    for (op, dec) in DECODERS {
        let schema = response_schema(spec, op);
        let mut g = Gen {
            spec,
            rng: Rng(seed | 1),
        };
        let mut nodes = Vec::new();
        let mut doc = g.valid(schema, "", &mut nodes);
        let bytes = serde_json::to_vec(&doc).unwrap();
        // The valid document decodes (`data` may be absent: then only that).
        match dec(&bytes) {
            Ok(()) => {}
            Err(Error::Decode { path, .. }) if path == "data" && doc.get("data").is_none() => {}
            Err(e) => panic!("{op}: valid document refused: {e:?}\n{doc}"),
        }
        if nodes.is_empty() {
            continue;
        }
        let (path, kind) = nodes[g.rng.below(nodes.len() as u64) as usize].clone();
        let bad = g.wrong(kind);
        set_path(&mut doc, &path, bad.clone());
        let bytes = serde_json::to_vec(&doc).unwrap();
        let field = path.rsplit('.').next().unwrap_or("");
        let lenient_code = bad.as_str().and_then(|s| s.parse::<i64>().ok());
        // What the real API sends (a numeric string for an integer, a number
        // for a string) is repaired and decodes as the documented value.
        let repairable = matches!(
            (kind, &bad),
            (Kind::Int, Value::String(_)) | (Kind::Str, Value::Number(_))
        );
        if repairable {
            match dec(&bytes) {
                Ok(()) => {}
                Err(Error::Decode { path, .. }) if path == "data" && doc.get("data").is_none() => {}
                Err(Error::Api { code, .. })
                    if matches!(field, "error_code" | "StatusCode" | "err_no")
                        && lenient_code == Some(code.code()) => {}
                other => panic!("{op}: repairable {kind:?} {bad} at {path} gave {other:?}"),
            }
            continue;
        }
        match dec(&bytes) {
            // By design a code sent as a numeric string still counts
            // (`envelope::Codes::from_value`).
            Err(Error::Api { code, .. })
                if matches!(field, "error_code" | "StatusCode")
                    && lenient_code == Some(code.code()) => {}
            Err(Error::Decode {
                path: got, logid, ..
            }) => {
                assert_eq!(got, path, "{op}: wrong {kind:?} {bad} at {path}");
                // A logid present in the document is kept.
                if let Some(l) = doc
                    .pointer("/extra/logid")
                    .and_then(Value::as_str)
                    .filter(|l| !l.is_empty())
                {
                    assert_eq!(logid.as_deref(), Some(l), "{op}: logid kept");
                }
            }
            other => panic!("{op}: wrong {kind:?} {bad} at {path} gave {other:?}"),
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_wrong_type_anywhere_is_a_decode_error_at_that_path(seed in any::<u64>()) {
        one_wrong_type(seed);
    }
}

// ---------------------------------------------------- (c) mutated doc examples

const EXAMPLES: [(&str, &str); 3] = [
    ("query_reservation_orders", "orders_page_example.json"),
    ("get_food_order_spu_detail", "spu_page_example.json"),
    ("query_user_certificates", "certificates_page_example.json"),
];

fn all_paths(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                out.push(p.clone());
                all_paths(c, &p, out);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                let p = format!("{path}[{i}]");
                out.push(p.clone());
                all_paths(c, &p, out);
            }
        }
        _ => {}
    }
}

fn remove_path(root: &mut Value, path: &str) {
    let (parent, last) = match path.rfind('.') {
        Some(i) => (Some(&path[..i]), &path[i + 1..]),
        None => (None, path),
    };
    if last.contains('[') {
        return;
    }
    let target = match parent {
        Some(p) => node_mut(root, p),
        None => Some(root),
    };
    if let Some(Value::Object(m)) = target {
        m.remove(last);
    }
}

/// Text-level mutations serde_json::Value cannot express.
fn raw_mutation(text: &str, which: u64, at: usize) -> Vec<u8> {
    let at = (0..=at.min(text.len()))
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    let (a, b) = text.split_at(at);
    match which % 5 {
        0 => format!("{a}\"\\ud800\"{b}").into_bytes(),
        1 => {
            let mut v = a.as_bytes().to_vec();
            v.extend_from_slice(&[0xff, 0xfe, b'"']);
            v.extend_from_slice(b.as_bytes());
            v
        }
        2 => text
            .replacen(": 1", ": 99999999999999999999999", 1)
            .into_bytes(),
        3 => format!("{a}{}{b}", "[".repeat(2_000)).into_bytes(),
        _ => text.as_bytes()[..at].to_vec(),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mutated_doc_examples_never_panic(seed in any::<u64>(), raw in any::<bool>()) {
        let mut rng = Rng(seed | 1);
        for (op, file) in EXAMPLES {
            let dec = DECODERS.iter().find(|(o, _)| *o == op).unwrap().1;
            let mut doc = example(file);
            let mut paths = Vec::new();
            all_paths(&doc, "", &mut paths);
            let bytes = if raw {
                let text = serde_json::to_string_pretty(&doc).unwrap();
                let at = rng.below(text.len() as u64) as usize;
                raw_mutation(&text, rng.next(), at)
            } else {
                for _ in 0..=rng.below(3) {
                    let p = paths[rng.below(paths.len() as u64) as usize].clone();
                    match rng.below(6) {
                        0 => remove_path(&mut doc, &p),
                        1 => set_path(&mut doc, &p, Value::Null),
                        2 => set_path(&mut doc, &p, json!(1.0e30)),
                        3 => set_path(&mut doc, &p, json!(1.5)),
                        4 => set_path(&mut doc, &p, json!("x".repeat(20_000))),
                        _ => {
                            let mut deep = json!(1);
                            for _ in 0..200 { deep = json!([deep]); }
                            set_path(&mut doc, &p, deep);
                        }
                    }
                }
                serde_json::to_vec(&doc).unwrap_or_default()
            };
            assert_typed(op, &bytes, dec(&bytes));
        }
    }

    #[test]
    fn attr_value_arbitrary_strings_never_panic(s in any::<String>(), key in "[a-z_]{0,12}") {
        let info = types::IndustryInfo { attr_key: Some(key.clone()), attr_value: Some(s), ..Default::default() };
        match info.attr_value_json() {
            Ok(_) => {}
            Err(e) => {
                assert_eq!(e.attr_key(), key);
                assert!(!e.path().is_empty());
            }
        }
    }

    #[test]
    fn attr_value_json_like_strings_decode_or_name_a_path(s in "\\{(\"[a-z]{1,3}\":(1|\"x\"|\\[1,2\\]|\\{\\}|null),?){0,4}\\}?") {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct T { a: Option<i64>, b: Option<String> }
        let info = types::IndustryInfo { attr_key: Some("k".into()), attr_value: Some(s), ..Default::default() };
        if let Err(e) = info.decode_attr_value::<T>() {
            assert!(!e.path().is_empty());
            assert_eq!(e.attr_key(), "k");
        }
    }
}

// ------------------------------------------------------------ regressions

#[test]
fn regression_deeply_nested_body_is_a_decode_error() {
    let body = format!("{{\"data\":{}", "[".repeat(1_000_000));
    let err = decode::reservation_orders(body.as_bytes()).unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[test]
fn regression_lone_surrogate_escape_is_a_decode_error() {
    let err =
        decode::user_certificates(br#"{"data":{"description":"\ud800"},"extra":{}}"#).unwrap_err();
    let Error::Decode { path, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(path, "data.description");
}
