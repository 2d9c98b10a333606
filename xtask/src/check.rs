//! `docs-check`: compares a documentation page with the spec's operation for
//! the same method and path, one difference per line.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Map, Value};

use crate::page::{Page, Param, Part};
use crate::spec::{
    self, Operation, json_kind, normalize_page_type, page_item_type, page_type, resolve,
    schema_kind,
};

/// Collects differences, dropping repeats (an example with many array items
/// reports a missing field once).
#[derive(Default)]
struct Diffs {
    lines: Vec<String>,
    seen: BTreeSet<String>,
    /// Paths already reported as new or retyped by the parameter / field
    /// lists, so the example check does not say the same thing again.
    reported_paths: BTreeSet<String>,
    /// (line index, location, name, new on the page?) of parameter lines, to
    /// pair a parameter that moved between locations.
    moves: Vec<(usize, String, String, bool)>,
    /// Remarks that are not differences.
    notes: Vec<String>,
}

impl Diffs {
    fn push(&mut self, line: String) {
        if self.seen.insert(line.clone()) {
            self.lines.push(line);
        }
    }

    fn note(&mut self, line: String) {
        if !self.notes.contains(&line) {
            self.notes.push(line);
        }
    }
}

/// What docs-check made of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Compared with the spec's operation.
    Checked,
    /// The page's method and path are not in the spec.
    NotInSpec,
    /// A rules page (no method or path): nothing to check.
    Rules,
    /// A webhook or SPI page: Douyin calls the developer's URL.
    Callback,
    /// The page gives no complete path and no spec operation has its title.
    NoPath,
}

/// The outcome of checking one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// What was done with the page.
    pub status: Status,
    /// The operation the page was compared with (`POST /path/ (operationId)`), if found.
    pub operation: Option<String>,
    /// One line per difference; empty when the spec covers the page exactly.
    pub differences: Vec<String>,
    /// What could not be checked (a cut page) and other remarks; never failures.
    pub notes: Vec<String>,
}

impl Report {
    /// The lines docs-check prints for this report, each prefixed with `file: `.
    pub fn lines(&self, file: &str, page: &Page) -> Vec<String> {
        let mut out = Vec::new();
        match self.status {
            Status::Checked if self.differences.is_empty() => out.push(format!(
                "{file}: ok ({})",
                self.operation.clone().unwrap_or_default()
            )),
            Status::Checked => out.extend(self.differences.iter().map(|d| format!("{file}: {d}"))),
            Status::NotInSpec => out.push(format!(
                "{file}: {} {} not in the spec (cargo xtask docs-import --write {file})",
                page.method, page.path
            )),
            Status::Rules => out.push(format!("{file}: rules page: nothing to check")),
            Status::Callback => out.push(format!(
                "{file}: callback page ({} to the developer's URL): nothing to check",
                page.method
            )),
            Status::NoPath => out.push(format!(
                "{file}: {}: nothing to check (cargo xtask docs-import --path PATH --write {file})",
                self.notes.first().cloned().unwrap_or_default()
            )),
        }
        if self.status != Status::NoPath {
            out.extend(self.notes.iter().map(|n| format!("{file}: note: {n}")));
        }
        out
    }
}

fn base_name(file: &str) -> &str {
    Path::new(file)
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or(file)
}

/// Finds the operation for a page: by method and path, else by the page's file
/// name in `x-douyin-doc.file`, else by title in `x-douyin-doc.title`.
fn find_operation<'a>(spec: &'a Value, page: &Page, file: &str) -> Option<Operation<'a>> {
    let ops = spec::operations(spec);
    let method = page.method.to_ascii_lowercase();
    if page.has_operation()
        && let Some(op) = ops
            .iter()
            .find(|o| o.path == page.path && o.method == method)
    {
        return Some(*op);
    }
    let base = base_name(file);
    let method_fits = |o: &Operation<'_>| method.is_empty() || o.method == method;
    let path_fits = |o: &Operation<'_>| !page.path_cut || o.path.starts_with(&page.path);
    let by_file = ops.iter().find(|o| {
        o.op["x-douyin-doc"]["file"]
            .as_str()
            .is_some_and(|f| base_name(f) == base)
    });
    by_file
        .or_else(|| {
            // By title only for a page without a complete path: two pages
            // may share a title (订单查询) for different paths.
            if page.title.is_empty() || page.has_operation() {
                return None;
            }
            let by_title: Vec<&Operation<'_>> = ops
                .iter()
                .filter(|o| {
                    o.op["x-douyin-doc"]["title"].as_str() == Some(page.title.as_str())
                        && method_fits(o)
                        && path_fits(o)
                })
                .collect();
            // A title shared by several operations names none of them.
            match by_title.as_slice() {
                [one] => Some(*one),
                _ => None,
            }
        })
        .copied()
}

fn req(required: bool) -> &'static str {
    if required { "required" } else { "optional" }
}

/// A parameter as the spec describes it.
struct SpecParam {
    name: String,
    ty: String,
    /// The page type of an array's items.
    item_ty: Option<String>,
    required: bool,
    /// `x-douyin-not-on-page`: why the spec has it though the page does not list it.
    not_on_page: Option<String>,
    /// The schema's `maximum`/`maxItems`/`maxLength` and `minimum`/`minItems`/`minLength`.
    limits: Limits,
}

/// The bounds a schema sets (or a page's description states).
#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
struct Limits {
    max: Option<i64>,
    min: Option<i64>,
}

/// The bound keywords of a schema, by its kind.
fn schema_limits(spec: &Value, schema: &Value) -> Limits {
    let s = resolve(spec, schema);
    let (max, min) = match schema_kind(spec, s) {
        Some("array") => ("maxItems", "minItems"),
        Some("string") => ("maxLength", "minLength"),
        _ => ("maximum", "minimum"),
    };
    Limits {
        max: s[max].as_i64(),
        min: s[min].as_i64(),
    }
}

fn page_limits(p: &Param) -> Limits {
    let (max, min) = p.stated_limits();
    Limits { max, min }
}

fn limit_name(kind: &str, max: bool) -> &'static str {
    match (kind, max) {
        ("List", true) => "maxItems",
        ("List", false) => "minItems",
        ("String", true) => "maxLength",
        ("String", false) => "minLength",
        (_, true) => "maximum",
        (_, false) => "minimum",
    }
}

/// Compares one list of page parameters with the spec's, under `loc`
/// (`header`, `query`, `body`, `path`). `complete`: the page shows every
/// parameter of this location (it is not cut inside or before them).
fn compare_params(loc: &str, page: &[Param], spec: &[SpecParam], complete: bool, out: &mut Diffs) {
    let eq = |a: &str, b: &str| {
        if loc == "header" {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    let mut unstated = Vec::new();
    for p in page {
        let path = format!("{loc}.{}", p.name);
        if p.cut {
            out.note(format!(
                "{path} not checked: line {} ends the page (it may be cut)",
                p.line
            ));
            continue;
        }
        let page_ty = normalize_page_type(&p.ty);
        match spec.iter().find(|s| eq(&s.name, &p.name)) {
            None => {
                out.reported_paths.insert(path.clone());
                let ty = if p.ty.is_empty() {
                    "type not given"
                } else {
                    &p.ty
                };
                let r = if p.required_known {
                    req(p.required)
                } else {
                    "required-ness not given"
                };
                out.moves
                    .push((out.lines.len(), loc.to_string(), p.name.clone(), true));
                out.push(format!("new request parameter {path} ({ty}, {r})"));
            }
            Some(s) => {
                let item_differs = match (page_item_type(&p.ty), s.item_ty.as_deref()) {
                    (Some(a), Some(b)) => a != normalize_page_type(b),
                    _ => false,
                };
                if !p.ty.is_empty() && (normalize_page_type(&s.ty) != page_ty || item_differs) {
                    out.reported_paths.insert(path.clone());
                    let spec_ty = match &s.item_ty {
                        Some(it) if item_differs => format!("{}<{it}>", s.ty),
                        _ => s.ty.clone(),
                    };
                    out.push(format!("type of {path} changed: {spec_ty} → {}", p.ty));
                }
                let stated = page_limits(p);
                for (is_max, page_v, spec_v) in [
                    (true, stated.max, s.limits.max),
                    (false, stated.min, s.limits.min),
                ] {
                    let kw = limit_name(page_ty, is_max);
                    match (page_v, spec_v) {
                        (Some(a), Some(b)) if a != b => {
                            out.push(format!("{kw} of {path} changed: {b} → {a}"))
                        }
                        (Some(a), None) => out.note(format!(
                            "{path}: the page states {a} as its {kw}; the spec sets none"
                        )),
                        _ => {}
                    }
                }
                if !p.required_known {
                    unstated.push(path);
                } else if s.required != p.required {
                    out.push(format!(
                        "{path} changed: {} → {}",
                        req(s.required),
                        req(p.required)
                    ));
                }
            }
        }
    }
    if !unstated.is_empty() {
        out.note(format!(
            "required-ness not checked (the page leaves it blank): {}",
            unstated.join(", ")
        ));
    }
    let mut unchecked = Vec::new();
    for s in spec {
        if !page.iter().any(|p| eq(&s.name, &p.name)) {
            if !complete {
                unchecked.push(format!("{loc}.{}", s.name));
                continue;
            }
            out.moves
                .push((out.lines.len(), loc.to_string(), s.name.clone(), false));
            out.push(format!(
                "request parameter {loc}.{} ({}, {}) is in the spec but not on the page",
                s.name,
                s.ty,
                req(s.required)
            ));
        }
    }
    if !unchecked.is_empty() {
        out.note(format!(
            "not checked (the page is cut before them): {}",
            unchecked.join(", ")
        ));
    }
}

/// Turns a parameter reported both new in one location and missing from
/// another into one "location changed" line.
fn pair_moves(out: &mut Diffs) {
    let mut drop = BTreeSet::new();
    let moves = std::mem::take(&mut out.moves);
    for (i, loc, name, new) in &moves {
        if !*new {
            continue;
        }
        if let Some((j, from, _, _)) = moves
            .iter()
            .find(|(j, l, n, nw)| !nw && n == name && l != loc && !drop.contains(j))
        {
            out.lines[*i] = format!("location of request parameter {name} changed: {from} → {loc}");
            drop.insert(*j);
        }
    }
    let mut k = 0;
    out.lines.retain(|_| {
        let keep = !drop.contains(&k);
        k += 1;
        keep
    });
}

/// Properties of an object schema as spec parameters.
fn schema_params(spec: &Value, schema: &Value) -> Vec<SpecParam> {
    let s = resolve(spec, schema);
    let required: Vec<&str> = s["required"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    s["properties"]
        .as_object()
        .map(|props| {
            props
                .iter()
                .map(|(name, p)| SpecParam {
                    name: name.clone(),
                    ty: page_type(spec, p),
                    item_ty: item_type(spec, p),
                    not_on_page: p["x-douyin-not-on-page"].as_str().map(String::from),
                    limits: schema_limits(spec, p),
                    required: required.contains(&name.as_str()),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Merges the objects of an example array into one value holding every key
/// seen, so each field path is checked once.
fn merge(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => a.extend(b.iter().cloned()),
        (slot @ Value::Null, v) => *slot = v.clone(),
        _ => {}
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Compares every JSON path of an example with a schema. `what` is the noun
/// used in the output (`response field`, `request example field`).
fn compare_example(
    spec: &Value,
    schema: &Value,
    value: &Value,
    path: &str,
    what: &str,
    out: &mut Diffs,
) {
    let s = resolve(spec, schema);
    let Some(kind) = schema_kind(spec, s) else {
        return;
    };
    match value {
        Value::Null => {}
        Value::Object(map) if kind == "object" => {
            let empty = Map::new();
            let props = s["properties"].as_object().unwrap_or(&empty);
            if props.is_empty() && s.get("additionalProperties").is_some() {
                for (k, v) in map {
                    compare_example(
                        spec,
                        &s["additionalProperties"],
                        v,
                        &join(path, k),
                        what,
                        out,
                    );
                }
                return;
            }
            let absent: Vec<&str> = props
                .keys()
                .filter(|k| !map.contains_key(*k))
                .map(String::as_str)
                .collect();
            for (k, v) in map {
                let child = join(path, k);
                match props.get(k) {
                    Some(p) => compare_example(spec, p, v, &child, what, out),
                    None => {
                        if out.reported_paths.contains(&child) {
                            continue;
                        }
                        out.reported_paths.insert(child.clone());
                        let hint = if absent.is_empty() {
                            String::new()
                        } else {
                            format!(
                                " (spec fields not on the page here: {}; renamed?)",
                                absent.join(", ")
                            )
                        };
                        out.push(format!("{what} {child} missing from spec{hint}"));
                    }
                }
            }
        }
        Value::Array(items) if kind == "array" => {
            let mut merged = Value::Null;
            for item in items {
                merge(&mut merged, item);
            }
            if !merged.is_null() {
                compare_example(spec, &s["items"], &merged, &format!("{path}[]"), what, out);
            } else {
                for item in items {
                    compare_example(spec, &s["items"], item, &format!("{path}[]"), what, out);
                }
            }
        }
        v => {
            let vk = json_kind(v);
            let fits = vk == kind || (vk == "integer" && kind == "number");
            if !fits && !out.reported_paths.contains(path) {
                out.reported_paths.insert(path.to_string());
                out.push(format!("type of {what} {path} changed: {kind} → {vk}"));
            }
        }
    }
}

/// Parameters of an operation in one location (`query`, `header`, `path`),
/// path-level parameters included; for `header`, also `x-douyin-headers` and
/// the `access-token` of an apiKey security scheme.
fn op_params(spec: &Value, op: &Operation<'_>, loc: &str) -> Vec<SpecParam> {
    let mut out = Vec::new();
    let item = &spec["paths"][op.path];
    for list in [&item["parameters"], &op.op["parameters"]] {
        for p in list.as_array().into_iter().flatten() {
            let p = resolve(spec, p);
            if p["in"].as_str() == Some(loc) {
                out.push(SpecParam {
                    name: p["name"].as_str().unwrap_or_default().to_string(),
                    ty: page_type(spec, &p["schema"]),
                    item_ty: item_type(spec, &p["schema"]),
                    not_on_page: None,
                    limits: schema_limits(spec, &p["schema"]),
                    required: p["required"].as_bool().unwrap_or(false),
                });
            }
        }
    }
    for p in op.op["x-douyin-unsupported-parameters"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if p["in"].as_str() == Some(loc) {
            out.push(SpecParam {
                name: p["name"].as_str().unwrap_or_default().to_string(),
                ty: p["type"].as_str().unwrap_or("?").to_string(),
                item_ty: None,
                not_on_page: None,
                limits: Limits::default(),
                required: p["required"].as_bool().unwrap_or(false),
            });
        }
    }
    if loc == "header" {
        for h in op.op["x-douyin-headers"].as_array().into_iter().flatten() {
            out.push(SpecParam {
                name: h["name"].as_str().unwrap_or_default().to_string(),
                ty: h["type"].as_str().unwrap_or("String").to_string(),
                item_ty: None,
                not_on_page: None,
                limits: Limits::default(),
                required: h["required"].as_bool().unwrap_or(false),
            });
        }
        let security = op.op.get("security").unwrap_or(&spec["security"]);
        for req in security.as_array().into_iter().flatten() {
            for name in req.as_object().into_iter().flatten().map(|(k, _)| k) {
                let scheme = &spec["components"]["securitySchemes"][name];
                if scheme["type"] == "apiKey" && scheme["in"] == "header" {
                    let h = scheme["name"].as_str().unwrap_or_default();
                    if !out.iter().any(|p| p.name.eq_ignore_ascii_case(h)) {
                        out.push(SpecParam {
                            name: h.to_string(),
                            ty: "String".into(),
                            item_ty: None,
                            not_on_page: None,
                            limits: Limits::default(),
                            required: true,
                        });
                    }
                }
            }
        }
    }
    out
}

/// The page type of an array schema's items.
fn item_type(spec: &Value, schema: &Value) -> Option<String> {
    let s = resolve(spec, schema);
    (schema_kind(spec, s) == Some("array")).then(|| page_type(spec, &s["items"]))
}

fn json_schema<'a>(spec: &'a Value, content_holder: &'a Value) -> &'a Value {
    let content = &resolve(spec, content_holder)["content"];
    let media = content
        .get("application/json")
        .or_else(|| content.as_object().and_then(|m| m.values().next()));
    media.map(|m| &m["schema"]).unwrap_or(&Value::Null)
}

fn report(status: Status, notes: Vec<String>) -> Report {
    Report {
        status,
        operation: None,
        differences: Vec::new(),
        notes,
    }
}

/// Compares a page with the spec. `file` is how the page is named in output
/// and matched against `x-douyin-doc.file` when the path changed.
pub fn check(page: &Page, spec: &Value, file: &str) -> Report {
    let mut out = Diffs::default();
    let found = find_operation(spec, page, file);
    if !page.has_operation() && found.is_none() {
        if page.callback {
            return report(Status::Callback, Vec::new());
        }
        if page.url_line == 0 && page.method.is_empty() {
            return report(Status::Rules, Vec::new());
        }
        let why = if page.path_cut {
            format!(
                "the HTTP URL is cut at line {} ({})",
                page.url_line, page.url
            )
        } else if page.path.is_empty() {
            "the page gives no path (the HTTP URL cell is empty)".to_string()
        } else {
            "the page gives no HTTP Method".to_string()
        };
        return report(
            Status::NoPath,
            vec![format!(
                "{why} and no spec operation has x-douyin-doc.title {:?}",
                page.title
            )],
        );
    }
    let Some(op) = found else {
        return report(Status::NotInSpec, Vec::new());
    };
    let label = format!(
        "{} {} ({})",
        op.method.to_ascii_uppercase(),
        op.path,
        op.id()
    );
    if !page.has_operation() {
        out.note(format!(
            "the page gives no complete method and path; compared with {label}, found by {}",
            if op.op["x-douyin-doc"]["file"]
                .as_str()
                .is_some_and(|f| base_name(f) == base_name(file))
            {
                "x-douyin-doc.file"
            } else {
                "x-douyin-doc.title"
            }
        ));
    }
    if page.has_operation() && op.path != page.path {
        out.push(format!("path changed: {} → {}", op.path, page.path));
    }
    if !page.method.is_empty() && op.method != page.method.to_ascii_lowercase() {
        out.push(format!(
            "method changed: {} → {}",
            op.method.to_ascii_uppercase(),
            page.method
        ));
    }
    let doc_title = op.op["x-douyin-doc"]["title"].as_str().unwrap_or_default();
    if page.title.is_empty() {
        out.note("title not checked: the page shows none".into());
    } else if doc_title != page.title {
        out.push(format!("title changed: {doc_title} → {}", page.title));
    }
    check_basic_info(page, spec, &op, &mut out);

    // Request parameters.
    let headers_complete = page.complete_through(Part::Headers);
    let params_complete = page.request_params_complete();
    compare_params(
        "header",
        &page.headers,
        &op_params(spec, &op, "header"),
        headers_complete,
        &mut out,
    );
    compare_params(
        "path",
        &page.path_params,
        &op_params(spec, &op, "path"),
        params_complete,
        &mut out,
    );
    compare_params(
        "query",
        &page.query,
        &op_params(spec, &op, "query"),
        params_complete,
        &mut out,
    );
    let body_schema = json_schema(spec, &op.op["requestBody"]);
    let body_params = if body_schema.is_null() {
        Vec::new()
    } else {
        schema_params(spec, body_schema)
    };
    compare_params("body", &page.body, &body_params, params_complete, &mut out);
    pair_moves(&mut out);

    if let Some(ex) = &page.request_example {
        let spec_query = op_params(spec, &op, "query");
        for (k, _) in &ex.query {
            let p = format!("query.{k}");
            if !spec_query.iter().any(|s| &s.name == k) && out.reported_paths.insert(p.clone()) {
                out.push(format!("request example parameter {p} missing from spec"));
            }
        }
        if let Some(body) = &ex.body {
            if body_schema.is_null() {
                out.push("request example has a body; the spec has no JSON requestBody".into());
            } else {
                compare_example(
                    spec,
                    body_schema,
                    body,
                    "body",
                    "request example field",
                    &mut out,
                );
            }
        }
    }

    // Response: on a cut page what differs is reported as a note.
    let before = out.lines.len();
    compare_response(page, spec, &op, &mut out);
    if !page.response_complete() {
        let cut: Vec<String> = out.lines.drain(before..).collect();
        for d in cut {
            out.note(format!("{d} (the page's response is cut: not a failure)"));
        }
    }

    if page.shows(Part::Errors) {
        compare_errors(spec, op.op, page, &mut out);
    } else if !spec_error_rows(op.op).is_empty() {
        out.note("error codes not checked: the page is cut before 错误码".into());
    }
    Report {
        status: Status::Checked,
        operation: Some(label),
        differences: out.lines,
        notes: out.notes,
    }
}

/// Scope, permission, host and QPS.
fn check_basic_info(page: &Page, spec: &Value, op: &Operation<'_>, out: &mut Diffs) {
    let scope = op.op["x-douyin-scope"].as_str().unwrap_or_default();
    if page.scope_cut {
        if !scope.starts_with(&page.scope) {
            out.push(format!("scope changed: {scope} → {}… (cut)", page.scope));
        }
    } else if page.scope_line == 0 {
        if !scope.is_empty() {
            out.note(format!(
                "scope not checked: the page has no Scope row{}",
                if page.complete_through(Part::BasicInfo) {
                    ""
                } else {
                    " (it is cut in 基本信息)"
                }
            ));
        }
    } else if scope != page.scope {
        out.push(format!("scope changed: {scope} → {}", page.scope));
    }
    let permission = op.op["x-douyin-permission"].as_str().unwrap_or_default();
    if page.permission.is_empty() {
        if !permission.is_empty() && !page.permission_lines.iter().any(|l| l == permission) {
            out.note(if page.permission_lines.is_empty() {
                "permission not checked: the page's 权限要求 cell is empty".to_string()
            } else {
                "permission not checked: the page's 权限要求 cell only says how to apply"
                    .to_string()
            });
        }
    } else if permission != page.permission
        && !page.permission_lines.iter().any(|l| l == permission)
        && permission != page.permission_lines.join("\n")
    {
        out.push(format!(
            "permission (权限要求) changed: {permission} → {}",
            page.permission
        ));
    }
    if let Some(servers) = spec["servers"].as_array()
        && !page.host.is_empty()
    {
        let hosts: Vec<&str> = servers.iter().filter_map(|s| s["url"].as_str()).collect();
        if !hosts.iter().any(|u| {
            u.split_once("://")
                .map(|(_, h)| h)
                .unwrap_or(u)
                .trim_end_matches('/')
                == page.host
        }) {
            out.push(format!(
                "host {} not in servers ({})",
                page.host,
                hosts.join(", ")
            ));
        }
    }
    let spec_qps = op.op["x-douyin-qps"].as_u64();
    let stated = |s: u64| page.qps_figures.iter().any(|(q, _)| u64::from(*q) == s);
    match (page.qps, spec_qps) {
        // Any figure the page states (使用限制 or its 接口 SLA table) will do.
        (Some(q), Some(s)) if !stated(s) => out.push(format!("x-douyin-qps changed: {s} → {q}")),
        (Some(q), None) => out.push(format!(
            "QPS limit {q} (line {}) is not in the spec (x-douyin-qps)",
            page.qps_line
        )),
        _ => {}
    }
    let figures: BTreeSet<u32> = page.qps_figures.iter().map(|(q, _)| *q).collect();
    if figures.len() > 1 {
        let all: Vec<String> = page
            .qps_figures
            .iter()
            .map(|(q, l)| format!("{q} (line {l})"))
            .collect();
        out.note(format!(
            "the page states several QPS figures: {}; x-douyin-qps may be any of them",
            all.join(", ")
        ));
    }
}

fn compare_response(page: &Page, spec: &Value, op: &Operation<'_>, out: &mut Diffs) {
    let ok = op.op["responses"]
        .get("200")
        .or_else(|| op.op["responses"].get("default"));
    let resp_schema = ok.map(|r| json_schema(spec, r)).unwrap_or(&Value::Null);
    if resp_schema.is_null() {
        if !page.response_fields.is_empty() || page.response_example.is_some() {
            out.push("the spec's operation has no JSON 200 response schema".into());
        }
        return;
    }
    let spec_fields = schema_params(spec, resp_schema);
    for f in &page.response_fields {
        match spec_fields.iter().find(|s| s.name == f.name) {
            None => {
                out.reported_paths.insert(f.name.clone());
                out.push(format!(
                    "new response field {} ({}, {})",
                    f.name,
                    f.ty,
                    req(f.required)
                ))
            }
            Some(s) => {
                if normalize_page_type(&s.ty) != normalize_page_type(&f.ty) {
                    out.reported_paths.insert(f.name.clone());
                    out.push(format!(
                        "type of response field {} changed: {} → {}",
                        f.name, s.ty, f.ty
                    ));
                }
                if s.required != f.required {
                    out.push(format!(
                        "response field {} changed: {} → {}",
                        f.name,
                        req(s.required),
                        req(f.required)
                    ));
                }
            }
        }
    }
    // A page that shows no field table (only an example) is compared by the example.
    if !page.response_fields.is_empty() || page.complete_through(Part::ResponseFields) {
        for s in &spec_fields {
            if s.not_on_page.is_some() {
                continue;
            }
            if !page.response_fields.iter().any(|f| f.name == s.name) {
                out.push(format!(
                    "response field {} ({}) is in the spec but not on the page",
                    s.name, s.ty
                ));
            }
        }
    }
    if let Some(ex) = &page.response_example {
        compare_example(spec, resp_schema, ex, "", "response field", out);
    }
}

/// The spec's `x-error-codes` rows of an operation as (code, message, advice).
pub fn spec_error_rows(op: &Value) -> Vec<(i64, String, String)> {
    op["x-error-codes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["code"].as_i64().unwrap_or_default(),
                r["message"].as_str().unwrap_or_default().to_string(),
                r["advice"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn compare_errors(spec: &Value, op: &Value, page: &Page, out: &mut Diffs) {
    let rows = spec_error_rows(op);
    let before = out.lines.len();
    let mut codes: Vec<i64> = Vec::new();
    for r in page
        .errors
        .iter()
        .map(|r| r.code)
        .chain(rows.iter().map(|r| r.0))
    {
        if !codes.contains(&r) {
            codes.push(r);
        }
    }
    for code in codes {
        let on_page: Vec<_> = page.errors.iter().filter(|r| r.code == code).collect();
        let in_spec: Vec<_> = rows.iter().filter(|r| r.0 == code).collect();
        if in_spec.is_empty() {
            out.push(format!("error code {code} not in x-error-codes"));
            continue;
        }
        if on_page.is_empty() {
            // A code the page names in its prose (`错误码 10020`) is on the page.
            if !page.numbers.contains(&code) {
                out.push(format!(
                    "error code {code} is in x-error-codes but not on the page"
                ));
            }
            continue;
        }
        for (p, s) in on_page.iter().zip(in_spec.iter()) {
            if p.message != s.1 {
                out.push(format!(
                    "message of error code {code} changed: {:?} → {:?}",
                    s.1, p.message
                ));
            }
            if p.advice != s.2 {
                out.push(format!(
                    "advice of error code {code} changed: {:?} → {:?}",
                    s.2, p.advice
                ));
            }
        }
        for p in on_page.iter().skip(in_spec.len()) {
            out.push(format!(
                "error code {code} has a row not in x-error-codes: {:?} / {:?}",
                p.message, p.advice
            ));
        }
        for s in in_spec.iter().skip(on_page.len()) {
            out.push(format!(
                "error code {code} has a row in x-error-codes not on the page: {:?} / {:?}",
                s.1, s.2
            ));
        }
    }
    for r in &page.errors {
        if r.status != 200 {
            out.push(format!(
                "error code {} has HTTP status {} (the spec assumes 200)",
                r.code, r.status
            ));
        }
    }
    if let Some(catalog) = spec["x-error-code-catalog"].as_array() {
        let mut reported = BTreeSet::new();
        for r in &page.errors {
            if !catalog.iter().any(|c| c["code"].as_i64() == Some(r.code))
                && reported.insert(r.code)
            {
                out.push(format!("error code {} not in x-error-code-catalog", r.code));
            }
        }
    }
    if out.lines.len() == before {
        let page_order: Vec<i64> = page.errors.iter().map(|r| r.code).collect();
        // Codes the page names only in its prose have no place in its table.
        let spec_order: Vec<i64> = rows
            .iter()
            .map(|r| r.0)
            .filter(|c| page_order.contains(c))
            .collect();
        if page_order != spec_order {
            out.push("order of the error table differs from x-error-codes".into());
        }
    }
}
