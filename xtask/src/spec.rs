//! Reading the OpenAPI spec as plain JSON values (the `x-…` extensions are
//! what most checks need), with `$ref` resolution.

use std::path::Path;

use serde_json::Value;

/// HTTP methods an OpenAPI path item can hold, in spec order.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Reads a YAML (or JSON) spec into a JSON value.
pub fn load(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses YAML (or JSON) spec text into a JSON value.
pub fn parse(text: &str) -> Result<Value, String> {
    serde_yaml::from_str(text).map_err(|e| format!("invalid YAML: {e}"))
}

/// Follows `$ref: "#/…"` pointers until a value without `$ref`.
pub fn resolve<'a>(spec: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..32 {
        let Some(r) = v.get("$ref").and_then(Value::as_str) else {
            return v;
        };
        match r.strip_prefix('#').and_then(|p| spec.pointer(p)) {
            Some(target) => v = target,
            None => return &Value::Null,
        }
    }
    v
}

/// One operation of the spec.
#[derive(Debug, Clone, Copy)]
pub struct Operation<'a> {
    /// Path template.
    pub path: &'a str,
    /// Method, lower case.
    pub method: &'a str,
    /// The operation object.
    pub op: &'a Value,
}

impl Operation<'_> {
    /// `operationId` or "".
    pub fn id(&self) -> &str {
        self.op["operationId"].as_str().unwrap_or_default()
    }
}

/// Every operation, in spec order.
pub fn operations(spec: &Value) -> Vec<Operation<'_>> {
    let mut out = Vec::new();
    if let Some(paths) = spec["paths"].as_object() {
        for (path, item) in paths {
            for m in METHODS {
                if let Some(op) = item.get(*m) {
                    out.push(Operation {
                        path,
                        method: m,
                        op,
                    });
                }
            }
        }
    }
    out
}

/// The page's name for the type of a schema: `String`, `Int64`, `Int32`,
/// `Struct`, `Bool`, `Double`, `Float`, `List`; `x-douyin-type` wins.
pub fn page_type(spec: &Value, schema: &Value) -> String {
    if let Some(t) = schema.get("x-douyin-type").and_then(Value::as_str) {
        return t.to_string();
    }
    let s = resolve(spec, schema);
    if let Some(t) = s.get("x-douyin-type").and_then(Value::as_str) {
        return t.to_string();
    }
    if let Some(t) = s.get("type").and_then(Value::as_str) {
        return match (t, s.get("format").and_then(Value::as_str)) {
            ("string", _) => "String",
            ("integer", Some("int32")) => "Int32",
            ("integer", _) => "Int64",
            ("number", Some("float")) => "Float",
            ("number", _) => "Double",
            ("boolean", _) => "Bool",
            ("array", _) => "List",
            ("object", _) => "Struct",
            (other, _) => other,
        }
        .to_string();
    }
    if s.get("properties").is_some() {
        "Struct".into()
    } else {
        "?".into()
    }
}

/// Page types that mean the same thing (`Boolean` = `Bool`, `Long` = `Int64`,
/// `Array<String>` = `List`, the older tables' `string` = `String`, …).
pub fn normalize_page_type(t: &str) -> &str {
    let lower = t.to_ascii_lowercase();
    if lower.starts_with("array<") || lower.starts_with("list<") {
        return "List";
    }
    if lower.starts_with("map<") {
        return "Struct";
    }
    match lower.as_str() {
        "string" => "String",
        "bool" | "boolean" => "Bool",
        "int64" | "long" | "int" | "integer" => "Int64",
        "int32" => "Int32",
        "int16" => "Int16",
        "int8" => "Int8",
        "object" | "map" | "struct" => "Struct",
        "array" | "list" => "List",
        "number" | "double" => "Double",
        "float" => "Float",
        "enum" => "Enum",
        _ => t,
    }
}

/// The item type of `Array<String>` / `List<Int64>` (normalized), if the page gives one.
pub fn page_item_type(t: &str) -> Option<&'static str> {
    let open = t.find('<')?;
    let inner = t.get(open + 1..t.len().checked_sub(1)?)?;
    let n = normalize_page_type(inner);
    [
        "String", "Bool", "Int64", "Int32", "Int16", "Int8", "Struct", "List", "Double", "Float",
        "Enum",
    ]
    .into_iter()
    .find(|k| *k == n)
}

/// The JSON kind of a value, in JSON-Schema words.
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The JSON-Schema type of a schema (after `$ref`), `object` when it only has properties.
pub fn schema_kind<'a>(spec: &'a Value, schema: &'a Value) -> Option<&'a str> {
    let s = resolve(spec, schema);
    s.get("type")
        .and_then(Value::as_str)
        .or_else(|| s.get("properties").map(|_| "object"))
}
