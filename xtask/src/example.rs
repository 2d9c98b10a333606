//! Validation of an example value against an OpenAPI 3.0 schema, for the
//! keywords this spec uses: `type`, `format` (int32/int64 ranges), `properties`
//! (unknown keys are errors: an example key that is not a property is a typo),
//! `required`, `items`, `minimum`, `maximum`, `minLength`, `maxLength`, `enum`,
//! `nullable`, `additionalProperties`.

use serde_json::Value;

use crate::spec::{json_kind, resolve};

/// Every problem of `value` against `schema`, as `path: problem`.
pub fn validate(spec: &Value, schema: &Value, value: &Value, path: &str) -> Vec<String> {
    let mut out = Vec::new();
    walk(spec, schema, value, path, &mut out);
    out
}

fn at(path: &str) -> &str {
    if path.is_empty() { "(root)" } else { path }
}

fn walk(spec: &Value, schema: &Value, value: &Value, path: &str, out: &mut Vec<String>) {
    let s = resolve(spec, schema);
    if s.is_null() {
        out.push(format!("{}: schema reference does not resolve", at(path)));
        return;
    }
    if value.is_null() {
        if !s["nullable"].as_bool().unwrap_or(false) {
            out.push(format!("{}: null but the schema is not nullable", at(path)));
        }
        return;
    }
    let ty = s["type"]
        .as_str()
        .or_else(|| s.get("properties").map(|_| "object"));
    let kind = json_kind(value);
    if let Some(ty) = ty {
        let fits = kind == ty || (kind == "integer" && ty == "number");
        if !fits {
            out.push(format!("{}: {kind} where the schema wants {ty}", at(path)));
            return;
        }
    }
    if let Some(allowed) = s["enum"].as_array()
        && !allowed.contains(value)
    {
        out.push(format!(
            "{}: {value} is not one of {}",
            at(path),
            Value::Array(allowed.clone())
        ));
    }
    match value {
        Value::Number(n) => {
            if ty == Some("integer") {
                let fits = match s["format"].as_str() {
                    Some("int32") => n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
                    Some("int64") => n.as_i64().is_some(),
                    _ => true,
                };
                if !fits {
                    out.push(format!(
                        "{}: {n} does not fit {}",
                        at(path),
                        s["format"].as_str().unwrap_or("")
                    ));
                }
            }
            let x = n.as_f64().unwrap_or_default();
            if let Some(min) = s["minimum"].as_f64()
                && x < min
            {
                out.push(format!("{}: {n} is below the minimum {min}", at(path)));
            }
            if let Some(max) = s["maximum"].as_f64()
                && x > max
            {
                out.push(format!("{}: {n} is above the maximum {max}", at(path)));
            }
        }
        Value::String(text) => {
            let len = text.chars().count() as u64;
            if let Some(min) = s["minLength"].as_u64()
                && len < min
            {
                out.push(format!("{}: shorter than minLength {min}", at(path)));
            }
            if let Some(max) = s["maxLength"].as_u64()
                && len > max
            {
                out.push(format!("{}: longer than maxLength {max}", at(path)));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(spec, &s["items"], item, &format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            let props = s["properties"].as_object();
            for req in s["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !map.contains_key(req) {
                    out.push(format!("{}: required property {req} missing", at(path)));
                }
            }
            for (k, v) in map {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match props.and_then(|p| p.get(k)) {
                    Some(p) => walk(spec, p, v, &child, out),
                    None => match s.get("additionalProperties") {
                        Some(Value::Bool(true)) => {}
                        Some(ap @ Value::Object(_)) => walk(spec, ap, v, &child, out),
                        _ => out.push(format!("{child}: not a property of the schema")),
                    },
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Value {
        json!({"components": {"schemas": {
            "R": {"type": "object", "required": ["a"], "properties": {
                "a": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 50},
                "b": {"type": "array", "items": {"$ref": "#/components/schemas/I"}}
            }},
            "I": {"type": "object", "properties": {"s": {"type": "string", "minLength": 1}}}
        }}})
    }

    #[test]
    fn accepts_a_valid_example() {
        let s = spec();
        let v = json!({"a": 5, "b": [{"s": "x"}]});
        assert_eq!(
            validate(&s, &json!({"$ref": "#/components/schemas/R"}), &v, ""),
            Vec::<String>::new()
        );
    }

    #[test]
    fn reports_each_problem_with_its_path() {
        let s = spec();
        let v = json!({"a": 3000000000u64, "b": [{"s": ""}, {"t": 1}], "c": true});
        let got = validate(&s, &json!({"$ref": "#/components/schemas/R"}), &v, "");
        assert_eq!(
            got,
            vec![
                "a: 3000000000 does not fit int32",
                "a: 3000000000 is above the maximum 50",
                "b[0].s: shorter than minLength 1",
                "b[1].t: not a property of the schema",
                "c: not a property of the schema",
            ]
        );
        let missing = validate(
            &s,
            &json!({"$ref": "#/components/schemas/R"}),
            &json!({"a": "1"}),
            "",
        );
        assert_eq!(missing, vec!["a: string where the schema wants integer"]);
        let req = validate(
            &s,
            &json!({"$ref": "#/components/schemas/R"}),
            &json!({}),
            "",
        );
        assert_eq!(req, vec!["(root): required property a missing"]);
    }
}
