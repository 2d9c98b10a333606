//! `docs-import`: a draft spec operation (`paths` + `components.schemas`) for a
//! page not yet in the spec. Structures the page collapsed are inferred from
//! its examples; every description the page does not give reads `TODO`.

use serde_json::Value as Json;
use serde_yaml::{Mapping, Value as Yaml};

use crate::page::{Page, Param};

/// The draft for one page.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The operation id chosen for it.
    pub operation_id: String,
    /// `{paths: {…}, components: {schemas: {…}}}`.
    pub doc: Yaml,
}

fn s(v: &str) -> Yaml {
    Yaml::String(v.to_string())
}

fn map(entries: Vec<(&str, Yaml)>) -> Yaml {
    let mut m = Mapping::new();
    for (k, v) in entries {
        m.insert(s(k), v);
    }
    Yaml::Mapping(m)
}

fn pascal(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// `comprehensive_trade_query_order` from `/goodlife/v1/comprehensive/trade/query/order/`:
/// the path segments after the last version segment (`v1`, `v2`), joined.
pub fn operation_id(path: &str) -> String {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let is_version =
        |s: &str| s.len() >= 2 && s.starts_with('v') && s[1..].chars().all(|c| c.is_ascii_digit());
    let start = segs
        .iter()
        .rposition(|s| is_version(s))
        .map(|i| i + 1)
        .unwrap_or(0);
    let rest: Vec<&str> = segs[start..]
        .iter()
        .filter(|s| !["api", "goodlife"].contains(s))
        .copied()
        .collect();
    let id = rest.join("_").replace('-', "_").to_ascii_lowercase();
    if id.is_empty() {
        "operation".into()
    } else {
        id
    }
}

fn description(p: &Param) -> String {
    match (p.description.is_empty(), &p.example) {
        (false, _) => p.description.join(" "),
        (true, Some(ex)) => format!("TODO: describe {} (e.g. {ex})", p.name),
        (true, None) => format!("TODO: describe {}", p.name),
    }
}

/// A schema for a page type, with a description.
fn page_type_schema(ty: &str, desc: &str) -> Yaml {
    let base: Vec<(&str, Yaml)> = match crate::spec::normalize_page_type(ty) {
        "String" => vec![("type", s("string"))],
        "Int64" => vec![("type", s("integer")), ("format", s("int64"))],
        "Int32" | "Int16" | "Int8" => vec![("type", s("integer")), ("format", s("int32"))],
        "Enum" => vec![
            ("type", s("integer")),
            ("format", s("int32")),
            ("x-douyin-type", s("Enum")),
        ],
        "Bool" => vec![("type", s("boolean"))],
        "Double" => vec![("type", s("number")), ("format", s("double"))],
        "Float" => vec![("type", s("number")), ("format", s("float"))],
        "List" => vec![
            ("type", s("array")),
            (
                "items",
                map(vec![("type", s("string")), ("description", s("TODO"))]),
            ),
        ],
        _ => vec![("type", s("object"))],
    };
    let mut entries = base;
    entries.push(("description", s(desc)));
    map(entries)
}

struct Builder {
    prefix: String,
    schemas: Mapping,
}

impl Builder {
    /// Registers a component schema under a free name and returns a `$ref` to it.
    fn component(&mut self, name: &str, schema: Yaml) -> Yaml {
        let mut n = format!("{}{}", self.prefix, name);
        let mut i = 2;
        while self.schemas.contains_key(s(&n)) {
            n = format!("{}{}{i}", self.prefix, name);
            i += 1;
        }
        self.schemas.insert(s(&n), schema);
        map(vec![("$ref", s(&format!("#/components/schemas/{n}")))])
    }

    /// A schema inferred from an example value. Objects become components.
    fn infer(&mut self, key: &str, value: &Json, desc: &str) -> Yaml {
        match value {
            Json::Object(m) => {
                let mut props = Mapping::new();
                for (k, v) in m {
                    props.insert(s(k), self.infer(k, v, &format!("TODO: describe {k}")));
                }
                let schema = map(vec![
                    ("type", s("object")),
                    ("description", s(desc)),
                    ("properties", Yaml::Mapping(props)),
                ]);
                self.component(&pascal(key), schema)
            }
            Json::Array(items) => {
                let mut merged = Json::Null;
                for it in items {
                    merge(&mut merged, it);
                }
                let item = if merged.is_null() {
                    map(vec![("type", s("string")), ("description", s("TODO"))])
                } else {
                    self.infer(
                        &format!("{key}_item"),
                        &merged,
                        &format!("TODO: describe one {key} item"),
                    )
                };
                map(vec![
                    ("type", s("array")),
                    ("description", s(desc)),
                    ("items", item),
                ])
            }
            Json::Bool(_) => map(vec![("type", s("boolean")), ("description", s(desc))]),
            Json::Number(n) if n.is_i64() || n.is_u64() => map(vec![
                ("type", s("integer")),
                ("format", s("int64")),
                ("description", s(desc)),
            ]),
            Json::Number(_) => map(vec![
                ("type", s("number")),
                ("format", s("double")),
                ("description", s(desc)),
            ]),
            Json::String(_) | Json::Null => {
                map(vec![("type", s("string")), ("description", s(desc))])
            }
        }
    }

    /// The object schema of a page parameter list, children of `Struct`s taken
    /// from `example` (the page collapses them).
    fn object(&mut self, name: &str, desc: &str, params: &[Param], example: Option<&Json>) -> Yaml {
        let mut props = Mapping::new();
        let mut required = Vec::new();
        for p in params {
            let d = description(p);
            let ex = example.and_then(|e| e.get(&p.name));
            let schema = match (crate::spec::normalize_page_type(&p.ty), ex) {
                ("Struct" | "List", Some(v @ (Json::Object(_) | Json::Array(_)))) => {
                    self.infer(&p.name, v, &d)
                }
                _ => page_type_schema(&p.ty, &d),
            };
            props.insert(s(&p.name), schema);
            if p.required {
                required.push(s(&p.name));
            }
        }
        let mut entries = vec![("type", s("object")), ("description", s(desc))];
        if !required.is_empty() {
            entries.push(("required", Yaml::Sequence(required)));
        }
        entries.push(("properties", Yaml::Mapping(props)));
        self.component(name, map(entries))
    }
}

fn merge(into: &mut Json, from: &Json) {
    match (into, from) {
        (Json::Object(a), Json::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(e) => merge(e, v),
                    None => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Json::Array(a), Json::Array(b)) => a.extend(b.iter().cloned()),
        (slot @ Json::Null, v) => *slot = v.clone(),
        _ => {}
    }
}

/// Builds the draft for a page; `file` is recorded in `x-douyin-doc.file`.
pub fn draft(page: &Page, file: &str) -> Draft {
    let id = operation_id(&page.path);
    let mut b = Builder {
        prefix: pascal(&id),
        schemas: Mapping::new(),
    };

    let mut op: Vec<(&str, Yaml)> = vec![
        ("operationId", s(&id)),
        (
            "summary",
            s(&format!("{} — TODO: English summary", page.title)),
        ),
        (
            "description",
            s(&if page.intro.is_empty() {
                format!("{}。TODO: describe", page.title)
            } else {
                page.intro.join("\n")
            }),
        ),
        ("x-douyin-scope", s(&page.scope)),
        ("x-douyin-permission", s(&page.permission)),
        (
            "x-douyin-doc",
            map(vec![("title", s(&page.title)), ("file", s(file))]),
        ),
    ];

    let mut headers = Vec::new();
    let mut parameters = Vec::new();
    for h in &page.headers {
        if h.name.eq_ignore_ascii_case("access-token")
            || h.name.eq_ignore_ascii_case("content-type")
        {
            let mut e = vec![
                ("name", s(&h.name)),
                ("type", s(&h.ty)),
                ("required", Yaml::Bool(h.required)),
            ];
            if h.name.eq_ignore_ascii_case("content-type") {
                e.push(("value", s("application/json")));
            }
            e.push(("description", s(&description(h))));
            headers.push(map(e));
        } else {
            parameters.push(map(vec![
                ("name", s(&h.name)),
                ("in", s("header")),
                ("required", Yaml::Bool(h.required)),
                ("description", s(&description(h))),
                ("schema", page_type_schema(&h.ty, &description(h))),
            ]));
        }
    }
    op.push(("x-douyin-headers", Yaml::Sequence(headers)));

    let mut unsupported = Vec::new();
    for (loc, list) in [("path", &page.path_params), ("query", &page.query)] {
        for q in list {
            if matches!(crate::spec::normalize_page_type(&q.ty), "Struct" | "List") {
                unsupported.push(map(vec![
                    ("name", s(&q.name)),
                    ("in", s(loc)),
                    ("type", s(&q.ty)),
                    ("required", Yaml::Bool(q.required)),
                    (
                        "description",
                        s(&format!(
                            "{} — no query-string form; not sent",
                            description(q)
                        )),
                    ),
                ]));
                continue;
            }
            parameters.push(map(vec![
                ("name", s(&q.name)),
                ("in", s(loc)),
                ("required", Yaml::Bool(loc == "path" || q.required)),
                ("description", s(&description(q))),
                ("schema", page_type_schema(&q.ty, &description(q))),
            ]));
        }
    }
    if !unsupported.is_empty() {
        op.push((
            "x-douyin-unsupported-parameters",
            Yaml::Sequence(unsupported),
        ));
    }
    let rows = page
        .errors
        .iter()
        .map(|r| {
            let mut m = Mapping::new();
            m.insert(s("code"), Yaml::Number(r.code.into()));
            m.insert(s("message"), s(&r.message));
            m.insert(s("advice"), s(&r.advice));
            Yaml::Mapping(m)
        })
        .collect();
    op.push(("x-error-codes", Yaml::Sequence(rows)));
    if !parameters.is_empty() {
        op.push(("parameters", Yaml::Sequence(parameters)));
    }
    if !page.body.is_empty() {
        let example = page.request_example.as_ref().and_then(|e| e.body.as_ref());
        let schema = b.object(
            "Request",
            &format!("{} 请求体 / TODO: describe the request body", page.title),
            &page.body,
            example,
        );
        op.push((
            "requestBody",
            map(vec![
                ("required", Yaml::Bool(true)),
                (
                    "content",
                    map(vec![("application/json", map(vec![("schema", schema)]))]),
                ),
            ]),
        ));
    }
    let resp_schema = b.object(
        "Response",
        &format!("{} 响应 / TODO: describe the answer", page.title),
        &page.response_fields,
        page.response_example.as_ref(),
    );
    let mut media = vec![("schema", resp_schema)];
    if let Some(ex) = &page.response_example {
        media.push(("example", serde_yaml::to_value(ex).unwrap_or(Yaml::Null)));
    }
    op.push((
        "responses",
        map(vec![(
            "200",
            map(vec![
                ("description", s("HTTP 200 for success and for errors alike; see `extra.error_code` and `data.error_code`.")),
                ("content", map(vec![("application/json", map(media))])),
            ]),
        )]),
    ));

    let method = page.method.to_ascii_lowercase();
    let doc = map(vec![
        (
            "paths",
            map(vec![(
                page.path.as_str(),
                map(vec![(method.as_str(), map(op))]),
            )]),
        ),
        (
            "components",
            map(vec![("schemas", Yaml::Mapping(b.schemas))]),
        ),
    ]);
    Draft {
        operation_id: id,
        doc,
    }
}

/// The draft as YAML text with a header comment, plus a comment listing the
/// `x-error-code-catalog` entries `catalog` lacks.
pub fn render(draft: &Draft, page: &Page, file: &str, catalog: &[i64]) -> String {
    let mut out = format!(
        "# Draft for {file} ({} {}), from `cargo xtask docs-import`.\n\
         # Paste `paths` and `components.schemas` into openapi/goodlife.yaml, replace\n\
         # every TODO, then run `cargo xtask docs-check {file}` and `cargo xtask lint`.\n",
        page.method, page.path
    );
    let mut missing: Vec<i64> = page
        .errors
        .iter()
        .map(|r| r.code)
        .filter(|c| !catalog.contains(c))
        .collect();
    missing.dedup();
    let mut seen = Vec::new();
    missing.retain(|c| {
        let new = !seen.contains(c);
        seen.push(*c);
        new
    });
    if !missing.is_empty() {
        out.push_str("# x-error-code-catalog needs these codes (name them, pick a class):\n");
        for c in missing {
            out.push_str(&format!("#   - {{code: {c}, name: TODO, class: TODO}}\n"));
        }
    }
    out.push_str(&serde_yaml::to_string(&draft.doc).unwrap_or_default());
    out
}

/// Merges a draft into a spec (as parsed JSON): its path item and schemas.
pub fn merge_into(spec: &mut Json, draft: &Draft) -> Result<(), String> {
    let d: Json = serde_json::to_value(&draft.doc).map_err(|e| e.to_string())?;
    for (path, item) in d["paths"].as_object().into_iter().flatten() {
        let paths = spec
            .as_object_mut()
            .ok_or("spec is not a mapping")?
            .entry("paths")
            .or_insert_with(|| Json::Object(Default::default()));
        let slot = paths
            .as_object_mut()
            .ok_or("paths is not a mapping")?
            .entry(path.clone())
            .or_insert_with(|| Json::Object(Default::default()));
        for (m, op) in item.as_object().into_iter().flatten() {
            slot.as_object_mut()
                .ok_or("path item is not a mapping")?
                .insert(m.clone(), op.clone());
        }
    }
    let components = spec
        .as_object_mut()
        .ok_or("spec is not a mapping")?
        .entry("components")
        .or_insert_with(|| Json::Object(Default::default()));
    let schemas = components
        .as_object_mut()
        .ok_or("components is not a mapping")?
        .entry("schemas")
        .or_insert_with(|| Json::Object(Default::default()));
    for (name, schema) in d["components"]["schemas"].as_object().into_iter().flatten() {
        schemas
            .as_object_mut()
            .ok_or("schemas is not a mapping")?
            .insert(name.clone(), schema.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_from_paths() {
        assert_eq!(
            operation_id("/goodlife/v1/comprehensive/trade/query/order/"),
            "comprehensive_trade_query_order"
        );
        assert_eq!(
            operation_id("/goodlife/v1/goods/foodorder/spu/detail/"),
            "goods_foodorder_spu_detail"
        );
        assert_eq!(
            operation_id("/api/trade/v2/fulfillment/query_user_certificates/"),
            "fulfillment_query_user_certificates"
        );
        assert_eq!(operation_id("/oauth/client_token/"), "oauth_client_token");
    }
}
