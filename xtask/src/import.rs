//! `docs-import`: a draft spec operation (`paths` + `components.schemas`) for a
//! page not yet in the spec. Structures the page collapsed, and response
//! trees the page shows only as an example, are inferred from its examples;
//! every description the page does not give reads `TODO`, and what the page
//! lacks is listed in [`Draft::todos`] (rendered as `# TODO(docs-import)`
//! comments).

use serde_json::Value as Json;
use serde_yaml::{Mapping, Value as Yaml};

use crate::page::{Page, Param};

/// The draft for one page.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The operation id chosen for it.
    pub operation_id: String,
    /// Method, lower case.
    pub method: String,
    /// Path template.
    pub path: String,
    /// `{paths: {…}, components: {schemas: {…}}}`.
    pub doc: Yaml,
    /// What a human must still do, one line each.
    pub todos: Vec<String>,
}

/// What `draft_with` needs besides the page.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Codes of the spec's `x-error-code-catalog`: only these go into
    /// `x-error-codes` (the build refuses others); the rest become TODOs.
    pub catalog: Vec<i64>,
    /// Schema names the spec already has (the draft picks other names).
    pub taken: Vec<String>,
    /// Path to use when the page gives none.
    pub path: Option<String>,
    /// Method to use when the page gives none.
    pub method: Option<String>,
}

/// Why a page cannot be imported.
pub fn refusal(page: &Page, ctx: &Context) -> Option<String> {
    let method = ctx.method.clone().unwrap_or_else(|| page.method.clone());
    let has_path = ctx.path.is_some() || page.has_operation();
    if page.callback && ctx.path.is_none() {
        return Some(format!(
            "a callback page: Douyin sends {} to the developer's URL ({}); it is not an OpenAPI operation, nothing to import",
            if method.is_empty() {
                "requests"
            } else {
                &method
            },
            page.url
        ));
    }
    if method.is_empty() && page.url_line == 0 && ctx.path.is_none() {
        return Some(
            "no HTTP method and path: a rules page (conventions shared by many operations), nothing to import"
                .into(),
        );
    }
    match (method.is_empty(), has_path) {
        (false, true) => None,
        (true, true) => Some("the page gives no HTTP Method; give one with --method".into()),
        (_, false) => Some(format!(
            "{}; give the path with --path{}",
            if page.path_cut {
                format!(
                    "the HTTP URL is cut at line {} ({})",
                    page.url_line, page.url
                )
            } else {
                "the page gives no path (the HTTP URL cell is empty)".to_string()
            },
            if method.is_empty() {
                " and the method with --method"
            } else {
                ""
            }
        )),
    }
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
        "List" => {
            let item = match crate::spec::page_item_type(ty) {
                Some(it) if it != "Struct" && it != "List" => page_type_schema(it, "TODO"),
                _ => map(vec![("type", s("string")), ("description", s("TODO"))]),
            };
            vec![("type", s("array")), ("items", item)]
        }
        _ => vec![("type", s("object"))],
    };
    let mut entries = base;
    entries.push(("description", s(desc)));
    map(entries)
}

/// The bounds the page states for a parameter, as schema keywords.
fn with_limits(mut schema: Yaml, p: &Param) -> Yaml {
    let (max, min) = p.stated_limits();
    let (kmax, kmin) = match crate::spec::normalize_page_type(&p.ty) {
        "List" => ("maxItems", "minItems"),
        "String" => ("maxLength", "minLength"),
        "Struct" | "Bool" => return schema,
        _ => ("maximum", "minimum"),
    };
    if let Yaml::Mapping(m) = &mut schema {
        if let Some(v) = max {
            m.insert(s(kmax), Yaml::Number(v.into()));
        }
        if let Some(v) = min {
            m.insert(s(kmin), Yaml::Number(v.into()));
        }
    }
    schema
}

struct Builder {
    prefix: String,
    schemas: Mapping,
    taken: Vec<String>,
}

impl Builder {
    /// Registers a component schema under a free name and returns a `$ref` to it.
    fn component(&mut self, name: &str, schema: Yaml) -> Yaml {
        let mut n = format!("{}{}", self.prefix, name);
        let mut i = 2;
        while self.schemas.contains_key(s(&n)) || self.taken.contains(&n) {
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
            // Example values are random filler: integers near 2^63 are common,
            // so every integer is an int64; strings (10 random characters) stay
            // strings, never enums.
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
                _ => with_limits(page_type_schema(&p.ty, &d), p),
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

/// Builds the draft for a page with no catalog (every error row becomes a
/// TODO); `file` is recorded in `x-douyin-doc.file`.
pub fn draft(page: &Page, file: &str) -> Draft {
    draft_with(page, file, &Context::default())
}

/// The envelope a response has, from its top-level field names.
pub fn envelope(names: &[&str]) -> Option<&'static str> {
    let has = |n: &str| names.contains(&n);
    if has("BaseResp") {
        Some("base_resp")
    } else if has("err_no") || (has("err_msg") && has("log_id")) {
        Some("err_no")
    } else if has("data") && has("extra") {
        Some("goodlife")
    } else {
        None
    }
}

/// `x-douyin-pagination` from the request parameter names and the example's `data`.
fn pagination(page: &Page) -> Option<Yaml> {
    let params: Vec<&str> = page
        .query
        .iter()
        .chain(&page.body)
        .map(|p| p.name.as_str())
        .collect();
    let find = |names: &[&str]| {
        names
            .iter()
            .find(|n| params.contains(n))
            .map(|n| n.to_string())
    };
    let size = find(&["page_size", "size", "count", "limit"])?;
    let data = page
        .response_example
        .as_ref()
        .and_then(|e| e.get("data"))
        .and_then(Json::as_object);
    let data_field = |names: &[&str]| {
        data.and_then(|d| {
            names
                .iter()
                .find(|n| d.contains_key(**n))
                .map(|n| n.to_string())
        })
        .unwrap_or_else(|| "TODO".to_string())
    };
    let items = data
        .and_then(|d| d.iter().find(|(_, v)| v.is_array()).map(|(k, _)| k.clone()))
        .unwrap_or_else(|| "TODO".to_string());
    if let Some(cursor) = find(&["cursor", "page_token"]) {
        return Some(map(vec![
            ("kind", s("cursor")),
            ("cursor", s(&cursor)),
            ("size", s(&size)),
            ("next_cursor", s(&data_field(&["next_cursor", "cursor"]))),
            ("has_more", s(&data_field(&["has_more"]))),
            ("items", s(&items)),
        ]));
    }
    let pg = find(&["page_num", "page", "page_no", "page_index"])?;
    Some(map(vec![
        ("kind", s("page")),
        ("page", s(&pg)),
        ("size", s(&size)),
        (
            "total",
            s(&data_field(&["total", "total_count", "total_num"])),
        ),
        ("items", s(&items)),
    ]))
}

/// Path words of operations that change something.
const WRITE_WORDS: &[&str] = &[
    "verify", "cancel", "create", "update", "delete", "modify", "save", "add", "bind", "unbind",
    "refund", "apply", "confirm", "submit", "publish", "sync", "upload",
];

/// Builds the draft for a page; `file` is recorded in `x-douyin-doc.file`.
pub fn draft_with(page: &Page, file: &str, ctx: &Context) -> Draft {
    let path = ctx.path.clone().unwrap_or_else(|| page.path.clone());
    let method = ctx
        .method
        .clone()
        .unwrap_or_else(|| page.method.clone())
        .to_ascii_lowercase();
    let id = operation_id(&path);
    let mut b = Builder {
        prefix: pascal(&id),
        schemas: Mapping::new(),
        taken: ctx.taken.clone(),
    };
    let mut todos: Vec<String> = page
        .lacks()
        .into_iter()
        .map(|l| format!("the page lacks: {l}"))
        .collect();
    for u in &page.unplaced {
        todos.push(format!("line {} not read ({}): {}", u.line, u.why, u.text));
    }

    if let Some(p) = &ctx.path
        && !page.has_operation()
    {
        todos.push(format!(
            "the path {p} was given with --path: the page shows none; check it"
        ));
    }
    if let Some(m) = &ctx.method
        && page.method.is_empty()
    {
        todos.push(format!(
            "the method {m} was given with --method: the page shows none; check it"
        ));
    }
    let title = if page.title.is_empty() {
        todos.push("x-douyin-doc.title: the page shows no title".into());
        "TODO".to_string()
    } else {
        page.title.clone()
    };
    let authenticated = page
        .headers
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case("access-token"))
        || (page.headers.is_empty() && !page.complete_through(crate::page::Part::Headers));
    let scope = if page.scope.is_empty() && authenticated {
        todos.push("x-douyin-scope: the page gives no Scope".into());
        "TODO".to_string()
    } else {
        page.scope.clone()
    };
    if page.scope_cut {
        todos.push(format!(
            "x-douyin-scope: {:?} ends the page and may be cut",
            page.scope
        ));
    }
    if page.permission.is_empty() {
        todos.push("x-douyin-permission: the page's 权限要求 cell is empty".into());
    }
    let mut op: Vec<(&str, Yaml)> = vec![
        ("operationId", s(&id)),
        ("summary", s(&format!("{title} — TODO: English summary"))),
        (
            "description",
            s(&if page.intro.is_empty() {
                format!("{title}。TODO: describe")
            } else {
                page.intro.join("\n")
            }),
        ),
    ];
    if !authenticated {
        op.push(("security", Yaml::Sequence(Vec::new())));
    }
    op.push(("x-douyin-scope", s(&scope)));
    op.push(("x-douyin-permission", s(&page.permission)));
    op.push((
        "x-douyin-doc",
        map(vec![("title", s(&title)), ("file", s(file))]),
    ));
    if let Some(q) = page.qps {
        op.push(("x-douyin-qps", Yaml::Number(q.into())));
    }

    let mut headers = Vec::new();
    let mut parameters = Vec::new();
    for h in &page.headers {
        let mut desc = description(h);
        let standard = h.name.eq_ignore_ascii_case("access-token")
            || h.name.eq_ignore_ascii_case("content-type");
        let mut h = h.clone();
        if !h.required_known && standard {
            // The OpenAPI call convention requires both on every call.
            h.required = true;
            desc = format!(
                "{desc} (TODO: the page leaves 必须 blank; required by the OpenAPI call convention)"
            );
        } else if !h.required_known {
            desc = format!("{desc} (TODO: the page does not say whether it is required)");
        }
        let h = &h;
        let ty = if h.ty.is_empty() {
            "String"
        } else {
            crate::spec::normalize_page_type(&h.ty)
        };
        if h.name.eq_ignore_ascii_case("access-token")
            || h.name.eq_ignore_ascii_case("content-type")
        {
            let mut e = vec![
                ("name", s(&h.name)),
                ("type", s(ty)),
                ("required", Yaml::Bool(h.required)),
            ];
            if h.name.eq_ignore_ascii_case("content-type") {
                e.push(("value", s("application/json")));
            }
            e.push(("description", s(&desc)));
            headers.push(map(e));
        } else {
            parameters.push(map(vec![
                ("name", s(&h.name)),
                ("in", s("header")),
                ("required", Yaml::Bool(h.required)),
                ("description", s(&desc)),
                ("schema", page_type_schema(ty, &desc)),
            ]));
        }
    }
    op.push(("x-douyin-headers", Yaml::Sequence(headers)));

    let mut unsupported = Vec::new();
    for (loc, list) in [("path", &page.path_params), ("query", &page.query)] {
        for q in list {
            if q.cut {
                todos.push(format!(
                    "{loc}.{}: line {} ends the page (it may be cut)",
                    q.name, q.line
                ));
            }
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
                (
                    "schema",
                    with_limits(page_type_schema(&q.ty, &description(q)), q),
                ),
            ]));
        }
    }
    if !unsupported.is_empty() {
        op.push((
            "x-douyin-unsupported-parameters",
            Yaml::Sequence(unsupported),
        ));
    }

    // Error rows: only codes the catalog has (the build refuses others).
    let mut rows = Vec::new();
    let mut missing: Vec<&crate::page::ErrorRow> = Vec::new();
    for r in &page.errors {
        if ctx.catalog.contains(&r.code) {
            let mut m = Mapping::new();
            m.insert(s("code"), Yaml::Number(r.code.into()));
            m.insert(s("message"), s(&r.message));
            m.insert(s("advice"), s(&r.advice));
            rows.push(Yaml::Mapping(m));
        } else {
            missing.push(r);
        }
    }
    if !missing.is_empty() {
        todos.push(
            "x-error-code-catalog needs these codes (name them, pick a class), then add their rows to x-error-codes:".into(),
        );
        for r in missing {
            todos.push(format!(
                "  - {{code: {}, message: {:?}, advice: {:?}}}",
                r.code, r.message, r.advice
            ));
        }
    }
    if page.errors.is_empty() {
        todos
            .push("x-error-codes: the page shows no error table; add the operation's codes".into());
    }
    op.push(("x-error-codes", Yaml::Sequence(rows)));

    // Response envelope, pagination, writes.
    let top: Vec<&str> = if page.response_fields.is_empty() {
        page.response_example
            .as_ref()
            .and_then(Json::as_object)
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default()
    } else {
        page.response_fields
            .iter()
            .map(|f| f.name.as_str())
            .collect()
    };
    if let Some(e) = envelope(&top) {
        op.push(("x-douyin-envelope", s(e)));
    }
    if let Some(p) = pagination(page) {
        op.push(("x-douyin-pagination", p));
    }
    let words: Vec<&str> = path.split(['/', '_']).collect();
    if method != "get" && WRITE_WORDS.iter().any(|w| words.contains(w)) {
        op.push(("x-douyin-write", Yaml::Bool(true)));
        if let Some(k) = page
            .body
            .iter()
            .find(|p| p.description.iter().any(|d| d.contains("幂等")))
        {
            op.push(("x-douyin-idempotency-key", s(&k.name)));
        } else {
            todos.push("x-douyin-write: true was inferred from the path; the page names no idempotency field".into());
        }
    }

    if !parameters.is_empty() {
        op.push(("parameters", Yaml::Sequence(parameters)));
    }
    for p in &page.body {
        if p.cut {
            todos.push(format!(
                "body.{}: line {} ends the page (it may be cut)",
                p.name, p.line
            ));
        }
        if !p.required_known {
            todos.push(format!(
                "body.{}: the page does not say whether it is required",
                p.name
            ));
        }
    }
    if !page.body.is_empty() {
        let example = page.request_example.as_ref().and_then(|e| e.body.as_ref());
        let schema = b.object(
            "Request",
            &format!("{title} 请求体 / TODO: describe the request body"),
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
    let mut resp_desc = format!("{title} 响应 / TODO: describe the answer");
    if page.response_example_cut {
        resp_desc.push_str(" (TODO: the page's example is cut; fields after the cut are missing)");
    }
    let resp_schema = match (&page.response_fields.is_empty(), &page.response_example) {
        // No field table: the tree comes from the example.
        (true, Some(ex @ Json::Object(_))) => b.infer("response", ex, &resp_desc),
        (true, _) => b.component(
            "Response",
            map(vec![("type", s("object")), ("description", s(&resp_desc))]),
        ),
        (false, _) => b.object(
            "Response",
            &resp_desc,
            &page.response_fields,
            page.response_example.as_ref(),
        ),
    };
    let mut media = vec![("schema", resp_schema)];
    if let Some(ex) = &page.response_example
        && !page.response_example_cut
    {
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

    let doc = map(vec![
        (
            "paths",
            map(vec![(path.as_str(), map(vec![(method.as_str(), map(op))]))]),
        ),
        (
            "components",
            map(vec![("schemas", Yaml::Mapping(b.schemas))]),
        ),
    ]);
    Draft {
        operation_id: id,
        method,
        path,
        doc,
        todos,
    }
}

/// The `# TODO(docs-import)` comment lines of a draft, indented by `indent`.
pub fn todo_comments(draft: &Draft, file: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = format!(
        "{pad}# TODO(docs-import): drafted from {file}; replace every TODO, then run\n{pad}#   cargo xtask docs-check {file} && cargo xtask lint\n"
    );
    for t in &draft.todos {
        out.push_str(&format!("{pad}# TODO(docs-import): {t}\n"));
    }
    out
}

/// The draft as YAML text with a header comment and its TODOs.
pub fn render(draft: &Draft, file: &str) -> String {
    let mut out = format!(
        "# Draft for {file} ({} {}), from `cargo xtask docs-import`.\n\
         # Merge it with `cargo xtask docs-import --write {file}` (or paste `paths` and\n\
         # `components.schemas` into openapi/goodlife.yaml).\n",
        draft.method.to_ascii_uppercase(),
        draft.path
    );
    out.push_str(&todo_comments(draft, file, 0));
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
    fn envelopes_from_top_level_fields() {
        assert_eq!(envelope(&["data", "extra"]), Some("goodlife"));
        assert_eq!(envelope(&["BaseResp", "data", "extra"]), Some("base_resp"));
        assert_eq!(
            envelope(&["err_no", "err_msg", "log_id", "data"]),
            Some("err_no")
        );
        assert_eq!(envelope(&["data", "message"]), None);
    }

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
