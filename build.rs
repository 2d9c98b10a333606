//! Build script: turns `openapi/goodlife.yaml` into Rust.
//!
//! * `OUT_DIR/codegen.rs`: the progenitor client and its types.
//! * `OUT_DIR/error_codes.rs`: the `ErrorCode` enum and the per-operation error
//!   table, from the spec's `x-error-code-catalog` and `x-error-codes`.
//! * `OUT_DIR/operations.rs`: per operation, the spec as data, a request type,
//!   the envelope of its answer, a `Client` method and a stream (build/operations.rs).
//! * `OUT_DIR/limits.rs`: the schema keywords (`minimum`, `maximum`, `minLength`)
//!   of every request field, so request validation moves with the spec.
//!
//! Nothing here is hand-edited output: change the spec or these settings.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use progenitor::Generator;
use serde_json::Value;

const SPEC: &str = "openapi/goodlife.yaml";

include!("openapi/generation.rs");

#[path = "build/operations.rs"]
mod operations;

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=openapi/generation.rs");
    println!("cargo:rerun-if-changed=build/operations.rs");
    if let Err(msg) = run() {
        // One readable line instead of a panic backtrace.
        eprintln!("error: {SPEC}: {msg}");
        println!("cargo:warning={SPEC}: {msg}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let text = std::fs::read_to_string(SPEC).map_err(|e| format!("cannot read: {e}"))?;
    let raw: Value = serde_yaml::from_str(&text).map_err(|e| format!("invalid YAML: {e}"))?;
    let spec: openapiv3::OpenAPI = serde_json::from_value(raw.clone())
        .map_err(|e| format!("not a valid OpenAPI 3.0 document: {e}"))?;
    if !spec.openapi.starts_with("3.0.") {
        return Err(format!("expected openapi 3.0.x, found {}", spec.openapi));
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);

    let settings = generation_settings();
    let mut generator = Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .map_err(|e| format!("progenitor could not generate a client: {e}"))?;
    let ast: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    // Only the types are compiled: every call goes through the SDK's own
    // pipeline (src/operation.rs); progenitor's methods are read, above, for
    // their body and answer types.
    write(
        &out.join("operations.rs"),
        &operations::operations(&raw, &ast)?,
    )?;
    let types: Vec<syn::Item> = ast
        .items
        .into_iter()
        .filter(|item| matches!(item, syn::Item::Mod(m) if m.ident == "types"))
        .collect();
    let types = syn::File {
        shebang: None,
        attrs: Vec::new(),
        items: types,
    };
    write(&out.join("codegen.rs"), &quote::quote!(#types).to_string())?;

    write(&out.join("error_codes.rs"), &error_codes(&raw)?)?;
    write(&out.join("limits.rs"), &limits(&raw)?)?;
    Ok(())
}

fn write(path: &std::path::Path, content: &str) -> Result<(), String> {
    std::fs::write(path, content).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

struct Row {
    operation: String,
    code: i64,
    message: String,
    advice: String,
}

fn operations(raw: &Value) -> Vec<(&Value, String)> {
    let mut ops = Vec::new();
    if let Some(paths) = raw["paths"].as_object() {
        for item in paths.values() {
            if let Some(item) = item.as_object() {
                for (method, op) in item {
                    if matches!(method.as_str(), "get" | "post" | "put" | "delete" | "patch") {
                        let id = op["operationId"].as_str().unwrap_or_default().to_string();
                        ops.push((op, id));
                    }
                }
            }
        }
    }
    ops
}

fn error_codes(raw: &Value) -> Result<String, String> {
    // Catalog: code -> (name, class), in the spec's order.
    let catalog = raw["x-error-code-catalog"]
        .as_array()
        .ok_or("missing root x-error-code-catalog")?;
    let mut names: BTreeMap<i64, (String, String)> = BTreeMap::new();
    let mut order = Vec::new();
    for entry in catalog {
        let code = entry["code"]
            .as_i64()
            .ok_or("x-error-code-catalog entry without integer code")?;
        let name = entry["name"]
            .as_str()
            .ok_or(format!("catalog code {code} has no name"))?;
        let class = entry["class"]
            .as_str()
            .ok_or(format!("catalog code {code} has no class"))?;
        if !is_class(class) {
            return Err(format!("catalog code {code}: unknown class {class:?}"));
        }
        if names
            .insert(code, (name.to_string(), class.to_string()))
            .is_some()
        {
            return Err(format!("catalog lists code {code} twice"));
        }
        order.push(code);
    }

    let mut rows = Vec::new();
    for (op, id) in operations(raw) {
        if id.is_empty() {
            return Err("an operation has no operationId".into());
        }
        let list = op["x-error-codes"]
            .as_array()
            .ok_or(format!("operation {id} has no x-error-codes"))?;
        for r in list {
            let code = r["code"]
                .as_i64()
                .ok_or(format!("{id}: x-error-codes row without code"))?;
            if !names.contains_key(&code) {
                return Err(format!("{id}: code {code} is not in x-error-code-catalog"));
            }
            rows.push(Row {
                operation: id.clone(),
                code,
                message: r["message"].as_str().unwrap_or_default().to_string(),
                advice: r["advice"].as_str().unwrap_or_default().to_string(),
            });
        }
    }
    for code in &order {
        if !rows.iter().any(|r| r.code == *code) {
            return Err(format!("catalog code {code} is documented by no operation"));
        }
    }

    let first = |code: i64, pick: fn(&Row) -> &str| -> String {
        rows.iter()
            .filter(|r| r.code == code)
            .map(pick)
            .find(|s| !s.is_empty())
            .unwrap_or_default()
            .to_string()
    };

    let mut s = String::new();
    s.push_str("// @generated by build.rs from openapi/goodlife.yaml. Do not edit.\n\n");
    s.push_str("/// A Douyin error code: one variant per code the spec documents, and\n");
    s.push_str("/// [`ErrorCode::Unknown`] for any other value, so a new code still decodes.\n");
    s.push_str("#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]\n");
    s.push_str("#[non_exhaustive]\npub enum ErrorCode {\n");
    for code in &order {
        let (name, class) = &names[code];
        let msg = first(*code, |r| &r.message);
        let adv = first(*code, |r| &r.advice);
        writeln!(s, "    /// `{code}` ({class}): {}", doc_escape(&msg)).unwrap();
        if !adv.is_empty() {
            writeln!(
                s,
                "    ///\n    /// 排查建议 / advice: {}",
                doc_escape(&adv)
            )
            .unwrap();
        }
        writeln!(s, "    {name},").unwrap();
    }
    s.push_str(
        "    /// A code the spec does not document; the value is kept.\n    Unknown(i64),\n}\n\n",
    );

    s.push_str("impl ErrorCode {\n");
    s.push_str("    /// Every documented code, in the order of the spec's catalog.\n");
    s.push_str("    pub const DOCUMENTED: &'static [ErrorCode] = &[\n");
    for code in &order {
        writeln!(s, "        ErrorCode::{},", names[code].0).unwrap();
    }
    s.push_str("    ];\n\n");

    s.push_str("    /// The variant for a numeric code (`Unknown` when undocumented).\n");
    s.push_str("    pub const fn from_code(code: i64) -> Self {\n        match code {\n");
    for code in &order {
        writeln!(s, "            {code} => ErrorCode::{},", names[code].0).unwrap();
    }
    s.push_str("            other => ErrorCode::Unknown(other),\n        }\n    }\n\n");

    s.push_str(
        "    /// The numeric code.\n    pub const fn code(self) -> i64 {\n        match self {\n",
    );
    for code in &order {
        writeln!(s, "            ErrorCode::{} => {code},", names[code].0).unwrap();
    }
    s.push_str("            ErrorCode::Unknown(c) => c,\n        }\n    }\n\n");

    s.push_str("    /// The variant's name (`\"Unknown\"` for undocumented codes).\n");
    s.push_str("    pub const fn name(self) -> &'static str {\n        match self {\n");
    for code in &order {
        let n = &names[code].0;
        writeln!(s, "            ErrorCode::{n} => {n:?},").unwrap();
    }
    s.push_str("            ErrorCode::Unknown(_) => \"Unknown\",\n        }\n    }\n\n");

    s.push_str("    /// The documented message (错误码描述): the first non-empty text among the\n");
    s.push_str("    /// rows that list the code, in spec order. `None` for undocumented codes.\n");
    s.push_str("    pub const fn message(self) -> Option<&'static str> {\n        match self {\n");
    for code in &order {
        writeln!(
            s,
            "            ErrorCode::{} => Some({:?}),",
            names[code].0,
            first(*code, |r| &r.message)
        )
        .unwrap();
    }
    s.push_str("            ErrorCode::Unknown(_) => None,\n        }\n    }\n\n");

    s.push_str("    /// The documented advice (排查建议): the first non-empty advice among the\n");
    s.push_str("    /// rows that list the code. `None` when no row gives one.\n");
    s.push_str("    pub const fn advice(self) -> Option<&'static str> {\n        match self {\n");
    for code in &order {
        let adv = first(*code, |r| &r.advice);
        if adv.is_empty() {
            writeln!(s, "            ErrorCode::{} => None,", names[code].0).unwrap();
        } else {
            writeln!(
                s,
                "            ErrorCode::{} => Some({adv:?}),",
                names[code].0
            )
            .unwrap();
        }
    }
    s.push_str("            ErrorCode::Unknown(_) => None,\n        }\n    }\n\n");

    s.push_str("    /// What the code means for a client (retry, refresh the token, …).\n");
    s.push_str("    pub const fn class(self) -> ErrorClass {\n        match self {\n");
    for code in &order {
        let (n, class) = &names[code];
        writeln!(
            s,
            "            ErrorCode::{n} => ErrorClass::{},",
            class_variant(class)
        )
        .unwrap();
    }
    s.push_str("            ErrorCode::Unknown(_) => ErrorClass::Unknown,\n        }\n    }\n\n");

    s.push_str("    /// The operation ids whose error tables list this code.\n");
    s.push_str("    pub fn operations(self) -> &'static [&'static str] {\n        match self {\n");
    for code in &order {
        let mut ops: Vec<&str> = Vec::new();
        for r in rows.iter().filter(|r| r.code == *code) {
            if !ops.contains(&r.operation.as_str()) {
                ops.push(&r.operation);
            }
        }
        writeln!(s, "            ErrorCode::{} => &{:?},", names[code].0, ops).unwrap();
    }
    s.push_str("            ErrorCode::Unknown(_) => &[],\n        }\n    }\n}\n\n");

    s.push_str("/// Every row of every operation's error table, in spec order:\n");
    s.push_str("/// `(operation id, code, message, advice)`.\n");
    s.push_str("pub static ERROR_TABLE: &[ErrorRow] = &[\n");
    for r in &rows {
        writeln!(
            s,
            "    ErrorRow {{ operation: {:?}, code: {}, message: {:?}, advice: {:?} }},",
            r.operation, r.code, r.message, r.advice
        )
        .unwrap();
    }
    s.push_str("];\n");
    Ok(s)
}

fn is_class(c: &str) -> bool {
    matches!(
        c,
        "retryable"
            | "refresh_token"
            | "invalid_request"
            | "permission"
            | "quota"
            | "rate_limited"
            | "credentials"
    )
}

fn class_variant(c: &str) -> &'static str {
    match c {
        "retryable" => "Retryable",
        "refresh_token" => "RefreshToken",
        "invalid_request" => "InvalidRequest",
        "permission" => "Permission",
        "quota" => "Quota",
        "rate_limited" => "RateLimited",
        _ => "Credentials",
    }
}

/// Puts documentation text in a code span, so URLs and markup in Douyin's
/// messages are shown as written.
fn doc_escape(s: &str) -> String {
    format!("`{}`", s.replace('\n', " ").replace('`', "'"))
}

/// Emits one `Limit` constant per constrained request field, named
/// `SCHEMA__FIELD` (body schemas) or `OPERATION__PARAM` (query and header
/// parameters), all upper case.
fn limits(raw: &Value) -> Result<String, String> {
    let mut s =
        String::from("// @generated by build.rs from openapi/goodlife.yaml. Do not edit.\n\n");
    let mut emit = |owner: &str, field: &str, schema: &Value| {
        let min = schema["minimum"].as_i64();
        let max = schema["maximum"].as_i64();
        let min_len = schema["minLength"].as_u64();
        if min.is_none() && max.is_none() && min_len.is_none() {
            return;
        }
        let ident = format!("{}__{}", upper(owner), upper(field));
        writeln!(
            s,
            "/// Limits of `{owner}.{field}` from the spec.\npub const {ident}: Limit = Limit {{ field: {field:?}, minimum: {}, maximum: {}, min_length: {} }};",
            opt(min),
            opt(max),
            opt(min_len)
        )
        .unwrap();
    };
    if let Some(schemas) = raw["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            if let Some(props) = schema["properties"].as_object() {
                for (field, p) in props {
                    emit(name, field, p);
                }
            }
        }
    }
    for (op, id) in operations(raw) {
        if let Some(params) = op["parameters"].as_array() {
            for p in params {
                let name = p["name"]
                    .as_str()
                    .ok_or(format!("{id}: parameter without name"))?;
                emit(&id, name, &p["schema"]);
            }
        }
    }
    Ok(s)
}

fn upper(s: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(if c == '-' {
            '_'
        } else {
            c.to_ascii_uppercase()
        });
    }
    out
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    match v {
        Some(v) => format!("Some({v})"),
        None => "None".into(),
    }
}
