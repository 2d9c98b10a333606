//! `lint`: the spec's own rules, beyond what OpenAPI validators check.
//!
//! * every operation has an `operationId`, a summary and description, an
//!   `x-douyin-scope` (empty only when `security: []`), an `x-douyin-doc` whose
//!   file exists (or, for an operation the project holds no page of, whose
//!   `source` names where its facts come from), and a non-empty `x-error-codes` whose codes are in the root
//!   `x-error-code-catalog`;
//! * every schema property and parameter has a type (or `$ref`) and a description;
//! * every integer has a `format` (`int32` or `int64`);
//! * no `enum:` on an integer reachable from a response (a code Douyin adds
//!   must still decode; use `x-enum-descriptions`);
//! * every `example` validates against its schema.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::example::validate;
use crate::spec::{self, resolve};

/// Every problem found, as `location: problem`. `root` is where the files
/// named by `x-douyin-doc.file` are looked up.
pub fn lint(spec: &Value, root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let catalog: Vec<i64> = spec["x-error-code-catalog"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["code"].as_i64())
        .collect();

    for op in spec::operations(spec) {
        let loc = format!("{} {}", op.method.to_ascii_uppercase(), op.path);
        let o = op.op;
        if op.id().is_empty() {
            out.push(format!("{loc}: no operationId"));
        }
        for key in ["summary", "description"] {
            if o[key].as_str().is_none_or(|s| s.trim().is_empty()) {
                out.push(format!("{loc}: no {key}"));
            }
        }
        let public = o["security"].as_array().is_some_and(|a| a.is_empty());
        match o["x-douyin-scope"].as_str() {
            None => out.push(format!("{loc}: no x-douyin-scope")),
            Some("") if !public => out.push(format!(
                "{loc}: empty x-douyin-scope on an authenticated operation"
            )),
            _ => {}
        }
        match (
            o["x-douyin-doc"]["title"].as_str(),
            o["x-douyin-doc"]["file"].as_str(),
        ) {
            (Some(t), Some(f)) if !t.is_empty() => {
                if !root.join(f).is_file() {
                    out.push(format!("{loc}: x-douyin-doc.file {f} does not exist"));
                }
            }
            // No page in the project: the source of every fact is named.
            (Some(t), None)
                if !t.is_empty()
                    && o["x-douyin-doc"]["source"]
                        .as_str()
                        .is_some_and(|s| !s.trim().is_empty()) => {}
            _ => out.push(format!(
                "{loc}: no x-douyin-doc {{title, file}} (or {{title, source}} without a page)"
            )),
        }
        match o["x-error-codes"].as_array() {
            None => out.push(format!("{loc}: no x-error-codes")),
            Some(rows) if rows.is_empty() => out.push(format!("{loc}: x-error-codes is empty")),
            Some(rows) => {
                for (i, r) in rows.iter().enumerate() {
                    let Some(code) = r["code"].as_i64() else {
                        out.push(format!("{loc}: x-error-codes[{i}] has no integer code"));
                        continue;
                    };
                    if !r["message"].is_string() || !r["advice"].is_string() {
                        out.push(format!(
                            "{loc}: x-error-codes[{i}] ({code}) needs string message and advice"
                        ));
                    }
                    if !catalog.contains(&code) {
                        out.push(format!(
                            "{loc}: error code {code} is not in x-error-code-catalog"
                        ));
                    }
                }
            }
        }
        for (i, p) in o["parameters"].as_array().into_iter().flatten().enumerate() {
            let p = resolve(spec, p);
            let name = p["name"].as_str().unwrap_or("?");
            let ploc = format!("{loc}: parameter {name}");
            if p["description"]
                .as_str()
                .is_none_or(|d| d.trim().is_empty())
            {
                out.push(format!("{ploc}: no description"));
            }
            if p["schema"].is_null() {
                out.push(format!("{ploc}: no schema"));
            } else {
                schema_rules(spec, &p["schema"], &ploc, &mut out);
                if let Some(ex) = p.get("example") {
                    for e in validate(spec, &p["schema"], ex, "") {
                        out.push(format!("{loc}: parameters[{i}] example: {e}"));
                    }
                }
            }
        }
        let body = resolve(spec, &o["requestBody"]);
        for (media, m) in body["content"].as_object().into_iter().flatten() {
            examples(spec, m, &format!("{loc}: requestBody {media}"), &mut out);
        }
        match o["responses"].as_object() {
            None => out.push(format!("{loc}: no responses")),
            Some(responses) => {
                for (status, r) in responses {
                    let r = resolve(spec, r);
                    for (media, m) in r["content"].as_object().into_iter().flatten() {
                        let rloc = format!("{loc}: response {status} {media}");
                        examples(spec, m, &rloc, &mut out);
                        let mut seen = BTreeSet::new();
                        response_enums(spec, &m["schema"], &rloc, &mut seen, &mut out);
                    }
                }
            }
        }
    }

    for (name, schema) in spec["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let loc = format!("components.schemas.{name}");
        if schema["description"]
            .as_str()
            .is_none_or(|d| d.trim().is_empty())
        {
            out.push(format!("{loc}: no description"));
        }
        schema_rules(spec, schema, &loc, &mut out);
        if let Some(ex) = schema.get("example") {
            for e in validate(spec, schema, ex, "") {
                out.push(format!("{loc}: example: {e}"));
            }
        }
    }
    out
}

fn examples(spec: &Value, media: &Value, loc: &str, out: &mut Vec<String>) {
    if let Some(ex) = media.get("example") {
        for e in validate(spec, &media["schema"], ex, "") {
            out.push(format!("{loc} example: {e}"));
        }
    }
    for (name, ex) in media["examples"].as_object().into_iter().flatten() {
        let ex = resolve(spec, ex);
        for e in validate(spec, &media["schema"], &ex["value"], "") {
            out.push(format!("{loc} example {name}: {e}"));
        }
    }
}

/// Type, description and integer-format rules for a schema and its inline children.
fn schema_rules(spec: &Value, schema: &Value, loc: &str, out: &mut Vec<String>) {
    if schema.get("$ref").is_some() {
        if resolve(spec, schema).is_null() {
            out.push(format!("{loc}: $ref does not resolve"));
        }
        return;
    }
    let ty = schema["type"].as_str();
    if ty.is_none() && schema.get("properties").is_none() && schema.get("allOf").is_none() {
        out.push(format!("{loc}: no type"));
    }
    if ty == Some("integer") && !matches!(schema["format"].as_str(), Some("int32" | "int64")) {
        out.push(format!("{loc}: integer without format int32/int64"));
    }
    for (name, p) in schema["properties"].as_object().into_iter().flatten() {
        let ploc = format!("{loc}.{name}");
        if p.get("$ref").is_none()
            && p["description"]
                .as_str()
                .is_none_or(|d| d.trim().is_empty())
        {
            out.push(format!("{ploc}: no description"));
        }
        schema_rules(spec, p, &ploc, out);
    }
    if let Some(items) = schema.get("items") {
        schema_rules(spec, items, &format!("{loc}[]"), out);
    } else if ty == Some("array") {
        out.push(format!("{loc}: array without items"));
    }
    if let Some(ap) = schema.get("additionalProperties").filter(|a| a.is_object()) {
        schema_rules(spec, ap, &format!("{loc}.*"), out);
    }
}

/// Integers with `enum:` reachable from a response schema.
fn response_enums(
    spec: &Value,
    schema: &Value,
    loc: &str,
    seen: &mut BTreeSet<String>,
    out: &mut Vec<String>,
) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        if !seen.insert(r.to_string()) {
            return;
        }
        let name = r.rsplit('/').next().unwrap_or(r);
        return response_enums(
            spec,
            resolve(spec, schema),
            &format!("components.schemas.{name}"),
            seen,
            out,
        );
    }
    if schema["type"].as_str() == Some("integer") && schema.get("enum").is_some() {
        out.push(format!(
            "{loc}: enum on a response integer (use x-enum-descriptions so new values still decode)"
        ));
    }
    for (name, p) in schema["properties"].as_object().into_iter().flatten() {
        response_enums(spec, p, &format!("{loc}.{name}"), seen, out);
    }
    if let Some(items) = schema.get("items") {
        response_enums(spec, items, &format!("{loc}[]"), seen, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_spec_is_clean() {
        let root = crate::root();
        let spec = spec::load(&crate::default_spec()).unwrap();
        assert_eq!(lint(&spec, &root), Vec::<String>::new());
    }

    #[test]
    fn each_rule_fires() {
        let text = r##"
openapi: 3.0.3
info: {title: t, version: "1"}
x-error-code-catalog: [{code: 1, name: A, class: retryable}]
paths:
  /a/:
    post:
      summary: s
      x-douyin-doc: {title: T, file: no/such/file.txt}
      x-error-codes: [{code: 2, message: m, advice: a}]
      parameters:
        - {name: q, in: query, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/R"}
              example: {n: "x", extra: 1}
components:
  schemas:
    R:
      type: object
      description: r
      properties:
        n: {type: integer, format: int64, enum: [1, 2], description: n}
        s: {description: untyped}
        t: {type: string}
"##;
        let spec = spec::parse(text).unwrap();
        let got = lint(&spec, Path::new("/nonexistent"));
        let want = [
            "POST /a/: no operationId",
            "POST /a/: no description",
            "POST /a/: no x-douyin-scope",
            "POST /a/: x-douyin-doc.file no/such/file.txt does not exist",
            "POST /a/: error code 2 is not in x-error-code-catalog",
            "POST /a/: parameter q: no description",
            "POST /a/: parameter q: integer without format int32/int64",
            "POST /a/: response 200 application/json example: extra: not a property of the schema",
            "POST /a/: response 200 application/json example: n: string where the schema wants integer",
            "components.schemas.R.n: enum on a response integer (use x-enum-descriptions so new values still decode)",
            "components.schemas.R.s: no type",
            "components.schemas.R.t: no description",
        ];
        for w in want {
            assert!(
                got.iter().any(|g| g.ends_with(w) || g == w),
                "missing {w:?} in {got:#?}"
            );
        }
        assert_eq!(got.len(), want.len(), "{got:#?}");
    }
}
