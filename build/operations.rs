//! `OUT_DIR/operations.rs`: everything per operation, from the spec and from
//! the types progenitor generated for it.
//!
//! * the [`Operation`] enum and the `SPECS` table (`crate::spec`);
//! * one request struct per operation, with `new(required…)` and `with_…`
//!   setters, and its conversion into the pipeline's raw request;
//! * the envelope of every response type (where its codes and `data` are),
//!   read from the generated structs, so typify's choices (optional or not,
//!   field names) are followed, not guessed;
//! * one async method per operation on `Client`, and a stream for every
//!   operation that declares `x-douyin-pagination`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use quote::ToTokens;
use serde_json::Value;

/// A field of a generated struct: its Rust name, wire name and type.
struct GenField {
    ident: String,
    wire: String,
    ty: syn::Type,
}

/// What the generated code tells about the types.
struct Generated {
    /// operationId -> (body type, response type), as `types::X`.
    methods: BTreeMap<String, (Option<String>, String)>,
    /// type name (without `types::`) -> fields.
    structs: BTreeMap<String, Vec<GenField>>,
}

fn ty_text(ty: &syn::Type) -> String {
    ty.to_token_stream().to_string().replace(' ', "")
}

/// The single generic argument of `Wrapper<T>` when `ty`'s last segment is
/// `wrapper`.
fn generic_arg<'a>(ty: &'a syn::Type, wrapper: &str) -> Option<&'a syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != wrapper {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &seg.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

fn last_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    for attr in attrs {
        if !attr.path().is_ident("serde") {
            continue;
        }
        let mut found = None;
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let lit: syn::LitStr = meta.value()?.parse()?;
                found = Some(lit.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
        if found.is_some() {
            return found;
        }
    }
    None
}

fn read_generated(file: &syn::File) -> Result<Generated, String> {
    let mut methods = BTreeMap::new();
    let mut structs = BTreeMap::new();
    for item in &file.items {
        match item {
            syn::Item::Impl(imp) if ty_text(&imp.self_ty) == "Client" && imp.trait_.is_none() => {
                for it in &imp.items {
                    let syn::ImplItem::Fn(f) = it else { continue };
                    let name = f.sig.ident.to_string();
                    let mut body = None;
                    for arg in &f.sig.inputs {
                        if let syn::FnArg::Typed(pt) = arg
                            && let syn::Pat::Ident(pi) = &*pt.pat
                            && pi.ident == "body"
                        {
                            let inner = match &*pt.ty {
                                syn::Type::Reference(r) => &*r.elem,
                                other => other,
                            };
                            body = Some(ty_text(inner));
                        }
                    }
                    let syn::ReturnType::Type(_, ret) = &f.sig.output else {
                        continue;
                    };
                    let Some(ok) = generic_arg(ret, "Result") else {
                        continue;
                    };
                    let Some(value) = generic_arg(ok, "ResponseValue") else {
                        continue;
                    };
                    methods.insert(name, (body, ty_text(value)));
                }
            }
            syn::Item::Mod(m) if m.ident == "types" => {
                let Some((_, items)) = &m.content else {
                    continue;
                };
                for it in items {
                    let syn::Item::Struct(s) = it else { continue };
                    let syn::Fields::Named(named) = &s.fields else {
                        continue;
                    };
                    let fields = named
                        .named
                        .iter()
                        .filter_map(|f| {
                            let ident = f.ident.as_ref()?.to_string();
                            let wire = serde_rename(&f.attrs)
                                .unwrap_or_else(|| ident.trim_start_matches("r#").to_string());
                            Some(GenField {
                                ident,
                                wire,
                                ty: f.ty.clone(),
                            })
                        })
                        .collect();
                    structs.insert(s.ident.to_string(), fields);
                }
            }
            _ => {}
        }
    }
    Ok(Generated { methods, structs })
}

fn resolve<'a>(raw: &'a Value, schema: &'a Value) -> &'a Value {
    let mut s = schema;
    for _ in 0..16 {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.trim_start_matches("#/components/schemas/");
                s = &raw["components"]["schemas"][name];
            }
            None => return s,
        }
    }
    s
}

fn lit(s: &str) -> String {
    format!("{s:?}")
}

fn opt_lit<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or("None".into(), |v| format!("Some({v})"))
}

fn opt_str(v: Option<&str>) -> String {
    v.map_or("None".into(), |v| format!("Some({})", lit(v)))
}

fn kind_of(schema: &Value) -> &'static str {
    match schema["type"].as_str() {
        Some("string") => "String",
        Some("integer") => "Integer",
        Some("number") => "Number",
        Some("boolean") => "Boolean",
        Some("array") => "Array",
        Some("object") => "Object",
        _ if schema.get("properties").is_some() => "Object",
        _ => "Any",
    }
}

/// A `crate::spec::Rule` literal for `schema`.
fn rule(raw: &Value, schema: &Value, depth: usize) -> String {
    let s = resolve(raw, schema);
    let enums: Vec<String> = s["enum"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(lit).collect())
        .unwrap_or_default();
    let items = if kind_of(s) == "Array" && depth < 4 {
        format!("Some(&{})", rule(raw, &s["items"], depth + 1))
    } else {
        "None".into()
    };
    let int = |k: &str| s[k].as_i64().or_else(|| s[k].as_f64().map(|f| f as i64));
    format!(
        "crate::spec::Rule {{ kind: crate::spec::Kind::{}, minimum: {}, maximum: {}, min_length: {}, max_length: {}, min_items: {}, max_items: {}, enum_values: &[{}], items: {} }}",
        kind_of(s),
        opt_lit(int("minimum")),
        opt_lit(int("maximum")),
        opt_lit(s["minLength"].as_u64()),
        opt_lit(s["maxLength"].as_u64()),
        opt_lit(s["minItems"].as_u64()),
        opt_lit(s["maxItems"].as_u64()),
        enums.join(", "),
        items
    )
}

/// Whether a schema says anything validation can check.
fn constrained(s: &Value) -> bool {
    [
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "enum",
    ]
    .iter()
    .any(|k| s.get(*k).is_some())
}

/// Every required or constrained field of a body schema, nested ones too.
fn body_fields(
    raw: &Value,
    schema: &Value,
    prefix: &str,
    segments: &[String],
    depth: usize,
    out: &mut Vec<String>,
) {
    let s = resolve(raw, schema);
    if depth > 6 {
        return;
    }
    let required: Vec<&str> = s["required"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(props) = s["properties"].as_object() else {
        return;
    };
    for (name, p) in props {
        let ps = resolve(raw, p);
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let mut segs = segments.to_vec();
        segs.push(format!("crate::spec::Segment::Key({})", lit(name)));
        let is_required = required.contains(&name.as_str());
        let kind = kind_of(ps);
        if is_required || constrained(ps) || kind != "Object" {
            out.push(format!(
                "crate::spec::FieldSpec {{ path: {}, segments: &[{}], required: {}, rule: {} }}",
                lit(&path),
                segs.join(", "),
                is_required,
                rule(raw, ps, 0)
            ));
        }
        if kind == "Object" {
            body_fields(raw, ps, &path, &segs, depth + 1, out);
        } else if kind == "Array" {
            let items = resolve(raw, &ps["items"]);
            if kind_of(items) == "Object" {
                let mut isegs = segs.clone();
                isegs.push("crate::spec::Segment::Items".into());
                body_fields(raw, items, &format!("{path}[]"), &isegs, depth + 1, out);
            }
        }
    }
}

fn pascal(id: &str) -> String {
    id.split(['_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn snake_ident(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.push('_');
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    const KEYWORDS: &[&str] = &[
        "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn",
        "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
        "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
        "where", "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final",
        "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
    ];
    if KEYWORDS.contains(&out.as_str()) {
        out = format!("r#{out}");
    }
    if out == "body" || out == "r#self" || out == "r#super" || out == "r#crate" {
        out.push_str("_param");
    }
    out
}

/// The Rust type of a parameter value, and whether it is a string (so the
/// constructor takes `impl Into<String>`).
fn param_type(raw: &Value, schema: &Value) -> (&'static str, bool) {
    let s = resolve(raw, schema);
    match kind_of(s) {
        "String" => ("String", true),
        "Integer" => ("i64", false),
        "Number" => ("f64", false),
        "Boolean" => ("bool", false),
        "Array" => match kind_of(resolve(raw, &s["items"])) {
            "Integer" => ("Vec<i64>", false),
            "String" => ("Vec<String>", false),
            _ => ("Vec<serde_json::Value>", false),
        },
        _ => ("serde_json::Value", false),
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string()
}

fn doc(text: &str, indent: &str) -> String {
    let mut s = String::new();
    for line in text.trim().lines() {
        let line = line.trim_end();
        if line.is_empty() {
            let _ = writeln!(s, "{indent}///");
        } else {
            let _ = writeln!(
                s,
                "{indent}/// {}",
                line.replace('`', "'")
                    .replace('[', "\\[")
                    .replace(']', "\\]")
            );
        }
    }
    s
}

fn json_text(v: &Value) -> Option<String> {
    if v.is_null() {
        None
    } else {
        serde_json::to_string(v).ok()
    }
}

/// The response-type envelope: codes and `data`, from the generated struct.
fn envelope_impl(
    generated: &Generated,
    response_ty: &str,
    envelope: &str,
    id: &str,
) -> Result<(String, String), String> {
    let name = response_ty.trim_start_matches("types::");
    let fields = generated
        .structs
        .get(name)
        .ok_or(format!("{id}: the response type {response_ty} is not a generated struct (give the 200 answer an object schema)"))?;
    let find = |wire: &str| fields.iter().find(|f| f.wire == wire);
    // `(access expression yielding Option<&T>, T)`.
    let access = |f: &GenField| -> (String, syn::Type) {
        match generic_arg(&f.ty, "Option") {
            Some(inner) => (format!("self.{}.as_ref()", f.ident), inner.clone()),
            None => (format!("Some(&self.{})", f.ident), f.ty.clone()),
        }
    };
    let mut body = String::from("        let mut c = crate::envelope::Codes::default();\n");
    if let Some(extra) = find("extra") {
        let (acc, ty) = access(extra);
        if last_ident(&ty).as_deref() != Some("Extra") {
            return Err(format!(
                "{id}: `extra` of {response_ty} must be $ref: '#/components/schemas/Extra'"
            ));
        }
        let _ = writeln!(body, "        c = c.with_extra({acc});");
    }
    let (data_ty, into_data) = match find("data") {
        Some(data) => {
            let (acc, ty) = access(data);
            let dname = last_ident(&ty).unwrap_or_default();
            if let Some(dfields) = generated.structs.get(&dname) {
                let mut inner = String::new();
                for (wire, slot, conv) in [
                    (
                        "error_code",
                        "data_code",
                        "crate::envelope::AsCode::as_code",
                    ),
                    (
                        "description",
                        "data_desc",
                        "crate::envelope::AsText::as_text",
                    ),
                ] {
                    if let Some(f) = dfields.iter().find(|f| f.wire == wire) {
                        let _ = writeln!(inner, "            c.{slot} = {conv}(&d.{});", f.ident);
                    }
                }
                if !inner.is_empty() {
                    let _ = write!(
                        body,
                        "        if let Some(d) = {acc} {{\n{inner}        }}\n"
                    );
                }
            }
            let into = if generic_arg(&data.ty, "Option").is_some() {
                format!("self.{}", data.ident)
            } else {
                format!("Some(self.{})", data.ident)
            };
            (
                format!("types::{}", ty_text(&ty).trim_start_matches("types::")),
                into,
            )
        }
        None => (response_ty.to_string(), "Some(self)".to_string()),
    };
    if envelope == "BaseResp" {
        let base = find("BaseResp").ok_or(format!(
            "{id}: x-douyin-envelope base_resp but {response_ty} has no `BaseResp`"
        ))?;
        let (acc, ty) = access(base);
        let bname = last_ident(&ty).unwrap_or_default();
        let bfields = generated.structs.get(&bname).ok_or(format!(
            "{id}: `BaseResp` of {response_ty} must be an object schema"
        ))?;
        let mut inner = String::new();
        for (wire, slot, conv) in [
            (
                "StatusCode",
                "base_code",
                "crate::envelope::AsCode::as_code",
            ),
            (
                "StatusMessage",
                "base_msg",
                "crate::envelope::AsText::as_text",
            ),
        ] {
            if let Some(f) = bfields.iter().find(|f| f.wire == wire) {
                let _ = writeln!(inner, "            c.{slot} = {conv}(&b.{});", f.ident);
            }
        }
        let _ = write!(
            body,
            "        if let Some(b) = {acc} {{\n{inner}        }}\n"
        );
    }
    if envelope == "ErrNo" {
        for (wire, slot, conv) in [
            ("err_no", "err_no", "crate::envelope::AsCode::as_code"),
            ("err_msg", "err_msg", "crate::envelope::AsText::as_text"),
            ("log_id", "log_id", "crate::envelope::AsText::as_text"),
        ] {
            if let Some(f) = find(wire) {
                let _ = writeln!(body, "        c.{slot} = {conv}(&self.{});", f.ident);
            }
        }
    }
    body.push_str("        c\n");
    let code = format!(
        "impl crate::envelope::Envelope for {response_ty} {{\n    type Data = {data_ty};\n    fn codes(&self) -> crate::envelope::Codes {{\n{body}    }}\n    fn into_data(self) -> Option<Self::Data> {{\n        {into_data}\n    }}\n}}\n\n"
    );
    Ok((code, data_ty))
}

/// The item type of `data.<items>` (a `Vec<T>` or `Option<Vec<T>>`).
fn item_type(
    generated: &Generated,
    data_ty: &str,
    items: &str,
    id: &str,
) -> Result<String, String> {
    let dname = data_ty.trim_start_matches("types::");
    let fields = generated
        .structs
        .get(dname)
        .ok_or(format!("{id}: pagination needs an object `data`"))?;
    let f = fields.iter().find(|f| f.wire == items).ok_or(format!(
        "{id}: x-douyin-pagination names `{items}`, which `data` does not have"
    ))?;
    let ty = generic_arg(&f.ty, "Option").unwrap_or(&f.ty);
    let inner = generic_arg(ty, "Vec").ok_or(format!("{id}: `data.{items}` is not an array"))?;
    let t = ty_text(inner);
    Ok(if t.contains("::") {
        t
    } else {
        format!("types::{t}")
    })
}

pub fn operations(raw: &Value, file: &syn::File) -> Result<String, String> {
    let generated = read_generated(file)?;
    let root_auth = raw["security"].as_array().is_some_and(|a| !a.is_empty());

    let mut variants = String::new();
    let mut specs = Vec::new();
    let mut structs = String::new();
    let mut envelopes = String::new();
    let mut methods = String::new();
    let mut dynamic = String::new();
    let mut decodes = String::new();
    let mut streams = String::new();
    let mut seen_envelopes: Vec<String> = Vec::new();
    let mut ids = Vec::new();

    let paths = raw["paths"].as_object().ok_or("no paths")?;
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            if !matches!(method.as_str(), "get" | "post" | "put" | "delete" | "patch") {
                continue;
            }
            let id = op["operationId"]
                .as_str()
                .ok_or(format!("{method} {path}: no operationId"))?
                .to_string();
            if !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(format!("operationId {id:?} must be snake_case ASCII"));
            }
            let variant = pascal(&id);
            let req_ty = format!("{variant}Request");
            let (body_ty, response_ty) = generated
                .methods
                .get(&id)
                .cloned()
                .ok_or(format!("{id}: progenitor generated no method for it"))?;
            let summary = op["summary"].as_str().unwrap_or_default();
            let auth = match op.get("security") {
                Some(Value::Array(a)) => !a.is_empty(),
                _ => root_auth,
            };

            // ---- envelope ------------------------------------------------
            let resp_schema = &op["responses"]["200"]["content"]["application/json"]["schema"];
            let resp = resolve(raw, resp_schema);
            let envelope = match op["x-douyin-envelope"].as_str() {
                Some("goodlife") => "Goodlife",
                Some("base_resp") => "BaseResp",
                Some("err_no") => "ErrNo",
                Some(other) => {
                    return Err(format!(
                        "{id}: x-douyin-envelope {other:?} is not goodlife, base_resp or err_no"
                    ));
                }
                None if resp["properties"].get("BaseResp").is_some() => "BaseResp",
                None if resp["properties"].get("err_no").is_some() => "ErrNo",
                None => "Goodlife",
            };
            let (env_code, data_ty) = envelope_impl(&generated, &response_ty, envelope, &id)?;
            if !seen_envelopes.contains(&response_ty) {
                envelopes.push_str(&env_code);
                seen_envelopes.push(response_ty.clone());
            }

            // ---- parameters ----------------------------------------------
            let mut params = Vec::new();
            let mut fields = String::new();
            let mut ctor_args = Vec::new();
            let mut ctor_init = Vec::new();
            let mut setters = String::new();
            let mut to_raw = Vec::new();
            let mut names = Vec::new();
            for p in op["parameters"].as_array().into_iter().flatten() {
                let p = resolve(raw, p);
                let name = p["name"]
                    .as_str()
                    .ok_or(format!("{id}: a parameter has no name"))?;
                let location = match p["in"].as_str() {
                    Some("query") => "Query",
                    Some("header") => "Header",
                    Some("path") => "Path",
                    other => {
                        return Err(format!(
                            "{id}: parameter {name} in {other:?} is not supported"
                        ));
                    }
                };
                let required = p["required"].as_bool().unwrap_or(false) || location == "Path";
                let schema = &p["schema"];
                let explode = p["explode"].as_bool().unwrap_or(true);
                let desc = p["description"].as_str().unwrap_or_default();
                let example = json_text(if p["example"].is_null() {
                    &resolve(raw, schema)["example"]
                } else {
                    &p["example"]
                });
                params.push(format!(
                    "crate::spec::ParamSpec {{ name: {}, location: crate::spec::Location::{location}, required: {required}, rule: {}, explode: {explode}, description: {}, example: {} }}",
                    lit(name),
                    rule(raw, schema, 0),
                    lit(&first_line(desc)),
                    opt_str(example.as_deref())
                ));
                let ident = snake_ident(name);
                if names.contains(&ident) {
                    return Err(format!("{id}: two parameters map to the Rust name {ident}"));
                }
                names.push(ident.clone());
                let (ty, is_string) = param_type(raw, schema);
                let field_doc = doc(
                    &format!("`{name}` ({}): {}", location.to_lowercase(), desc),
                    "    ",
                );
                let setter_ident = format!("with_{}", ident.trim_start_matches("r#"));
                if required {
                    let _ = writeln!(fields, "{field_doc}    pub {ident}: {ty},");
                    if is_string {
                        ctor_args.push(format!("{ident}: impl Into<String>"));
                        ctor_init.push(format!("{ident}: {ident}.into()"));
                    } else {
                        ctor_args.push(format!("{ident}: {ty}"));
                        ctor_init.push(ident.clone());
                    }
                    let _ = write!(
                        setters,
                        "    /// Sets `{name}`.\n    pub fn {setter_ident}(mut self, value: impl Into<{ty}>) -> Self {{\n        self.{ident} = value.into();\n        self\n    }}\n"
                    );
                    to_raw.push(format!(
                        "Some(serde_json::Value::from(self.{ident}.clone()))"
                    ));
                } else {
                    let _ = writeln!(fields, "{field_doc}    pub {ident}: Option<{ty}>,");
                    ctor_init.push(format!("{ident}: None"));
                    let _ = write!(
                        setters,
                        "    /// Sets `{name}`.\n    pub fn {setter_ident}(mut self, value: impl Into<{ty}>) -> Self {{\n        self.{ident} = Some(value.into());\n        self\n    }}\n"
                    );
                    to_raw.push(format!("self.{ident}.clone().map(serde_json::Value::from)"));
                }
            }

            // ---- body ----------------------------------------------------
            let rb = &op["requestBody"];
            let body_schema = &rb["content"]["application/json"]["schema"];
            let body_required = rb["required"].as_bool().unwrap_or(false);
            let (body_spec, body_example, body_raw) = match &body_ty {
                Some(bt) => {
                    let mut out = Vec::new();
                    body_fields(raw, body_schema, "", &[], 0, &mut out);
                    let spec = format!(
                        "Some(crate::spec::BodySpec {{ required: {body_required}, fields: &[{}] }})",
                        out.join(", ")
                    );
                    let ex = &rb["content"]["application/json"]["example"];
                    let ex = if ex.is_null() {
                        &resolve(raw, body_schema)["example"]
                    } else {
                        ex
                    };
                    let bt = if bt.starts_with("types::") {
                        bt.clone()
                    } else {
                        format!("types::{bt}")
                    };
                    if body_required {
                        let _ = write!(fields, "    /// The JSON body.\n    pub body: {bt},\n");
                        ctor_args.push(format!("body: {bt}"));
                        ctor_init.push("body".into());
                        let _ = write!(
                            setters,
                            "    /// Sets the JSON body.\n    pub fn with_body(mut self, body: {bt}) -> Self {{\n        self.body = body;\n        self\n    }}\n"
                        );
                        (
                            spec,
                            json_text(ex),
                            "Some(crate::operation::body_value(&self.body)?)".to_string(),
                        )
                    } else {
                        let _ = write!(
                            fields,
                            "    /// The JSON body.\n    pub body: Option<{bt}>,\n"
                        );
                        ctor_init.push("body: None".into());
                        let _ = write!(
                            setters,
                            "    /// Sets the JSON body.\n    pub fn with_body(mut self, body: {bt}) -> Self {{\n        self.body = Some(body);\n        self\n    }}\n"
                        );
                        (spec, json_text(ex), "match &self.body { Some(b) => Some(crate::operation::body_value(b)?), None => None }".to_string())
                    }
                }
                None => ("None".to_string(), None, "None".to_string()),
            };
            let body_only = body_ty
                .clone()
                .filter(|_| params.is_empty() && body_required);

            // ---- extensions ----------------------------------------------
            let one_of: Vec<String> = match &op["x-douyin-one-of-required"] {
                Value::Array(a) if a.iter().all(Value::is_string) && !a.is_empty() => {
                    vec![format!(
                        "&[{}]",
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(lit)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )]
                }
                Value::Array(a) => a
                    .iter()
                    .filter_map(Value::as_array)
                    .map(|g| {
                        format!(
                            "&[{}]",
                            g.iter()
                                .filter_map(Value::as_str)
                                .map(lit)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let text = |v: &Value, k: &str| -> Result<String, String> {
                v[k].as_str()
                    .map(str::to_string)
                    .ok_or(format!("{id}: x-douyin-pagination needs `{k}`"))
            };
            let pg = &op["x-douyin-pagination"];
            let pagination = match pg["kind"].as_str() {
                None if pg.is_null() => None,
                Some("page") => {
                    let unless = match pg["count_unless"].as_object().and_then(|m| m.iter().next())
                    {
                        Some((k, v)) => format!(
                            "Some(({}, {}))",
                            lit(k),
                            v.as_i64()
                                .ok_or(format!("{id}: count_unless needs an integer"))?
                        ),
                        None => "None".into(),
                    };
                    Some(format!(
                        "Some(crate::spec::PaginationSpec::Page {{ page: {}, size: {}, total: {}, items: {}, count: {}, count_unless: {unless} }})",
                        lit(&text(pg, "page")?),
                        lit(&text(pg, "size")?),
                        lit(&text(pg, "total")?),
                        lit(&text(pg, "items")?),
                        opt_str(pg["count"].as_str())
                    ))
                }
                Some("cursor") => Some(format!(
                    "Some(crate::spec::PaginationSpec::Cursor {{ cursor: {}, size: {}, next_cursor: {}, has_more: {}, items: {} }})",
                    lit(&text(pg, "cursor")?),
                    lit(&text(pg, "size")?),
                    lit(&text(pg, "next_cursor")?),
                    lit(&text(pg, "has_more")?),
                    lit(&text(pg, "items")?)
                )),
                Some("item-cursor") => Some(format!(
                    "Some(crate::spec::PaginationSpec::ItemCursor {{ cursor: {}, size: {}, items: {}, item_cursor: {} }})",
                    lit(&text(pg, "cursor")?),
                    lit(&text(pg, "size")?),
                    lit(&text(pg, "items")?),
                    lit(&text(pg, "item_cursor")?)
                )),
                other => {
                    return Err(format!(
                        "{id}: x-douyin-pagination kind {other:?} is not page, cursor or item-cursor"
                    ));
                }
            };
            let write_op = op["x-douyin-write"].as_bool().unwrap_or(false);
            let idem = op["x-douyin-idempotency-key"].as_str();
            let qps = op["x-douyin-qps"].as_u64().map(|q| q.min(u32::MAX as u64));
            let rp = &op["x-douyin-retry"];
            let retry_plan = if rp.is_null() {
                "None".to_string()
            } else {
                let max = rp["max_attempts"]
                    .as_u64()
                    .ok_or(format!("{id}: x-douyin-retry needs max_attempts"))?;
                let steps: Vec<String> = rp["schedule"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|s| {
                        format!(
                            "crate::spec::RetryStep {{ times: {}, interval_ms: {} }}",
                            opt_lit(s["times"].as_u64()),
                            s["interval_ms"].as_u64().unwrap_or(0)
                        )
                    })
                    .collect();
                format!(
                    "Some(crate::spec::RetryPlan {{ max_attempts: {}, schedule: &[{}] }})",
                    max.min(1000),
                    steps.join(", ")
                )
            };
            let vr = &op["x-douyin-verify-results"];
            let item_results = if vr.is_null() {
                "None".to_string()
            } else {
                let already: Vec<String> = vr["already_verified"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_i64)
                    .map(|c| c.to_string())
                    .collect();
                format!(
                    "Some(crate::spec::ItemResultsSpec {{ items: {}, result: {}, message: {}, already_done: &[{}] }})",
                    lit(vr["items"].as_str().unwrap_or("verify_results")),
                    lit(vr["result"].as_str().unwrap_or("result")),
                    lit(vr["message"].as_str().unwrap_or("msg")),
                    already.join(", ")
                )
            };
            let resp_example = &op["responses"]["200"]["content"]["application/json"]["example"];
            let resp_example = json_text(resp_example).unwrap_or_else(|| "{}".into());

            specs.push(format!(
                "    crate::spec::OperationSpec {{\n        operation: Operation::{variant},\n        id: {},\n        method: {},\n        path: {},\n        summary: {},\n        scope: {},\n        auth: {auth},\n        params: &[{}],\n        body: {body_spec},\n        one_of_required: &[{}],\n        envelope: crate::spec::EnvelopeKind::{envelope},\n        pagination: {},\n        write: {write_op},\n        idempotency_key: {},\n        qps: {},\n        retry_plan: {retry_plan},\n        item_results: {item_results},\n        response_example: {},\n        body_example: {},\n    }},\n",
                lit(&id),
                lit(&method.to_uppercase()),
                lit(path),
                lit(summary),
                lit(op["x-douyin-scope"].as_str().unwrap_or_default()),
                params.join(", "),
                one_of.join(", "),
                pagination.clone().unwrap_or_else(|| "None".into()),
                opt_str(idem),
                opt_lit(qps),
                lit(&resp_example),
                opt_str(body_example.as_deref()),
            ));

            let index = ids.len();
            ids.push(id.clone());
            let _ = write!(
                variants,
                "    /// `{} {path}`: {}\n    {variant},\n",
                method.to_uppercase(),
                summary.replace('`', "'")
            );

            // ---- request struct ------------------------------------------
            let _ = write!(
                structs,
                "/// The request of [`Client::{id}`](crate::Client::{id}): `{} {path}`.\n///\n{}#[derive(Clone, Debug, PartialEq)]\n#[non_exhaustive]\npub struct {req_ty} {{\n{fields}}}\n\nimpl {req_ty} {{\n    /// A request with its required fields; set the others with the `with_…` methods.\n    #[allow(clippy::too_many_arguments)]\n    pub fn new({}) -> Self {{\n        Self {{ {} }}\n    }}\n{setters}}}\n\n",
                method.to_uppercase(),
                doc(summary, ""),
                ctor_args.join(", "),
                ctor_init.join(", ")
            );
            let _ = write!(
                structs,
                "impl crate::operation::OperationRequest for {req_ty} {{\n    type Response = {response_ty};\n    const OPERATION: Operation = Operation::{variant};\n    const OPERATION_ID: &'static str = {id_lit};\n    fn to_raw(&self) -> Result<crate::operation::RawRequest, crate::Error> {{\n        Ok(crate::operation::RawRequest::new(vec![{}], {body_raw}))\n    }}\n}}\n\n",
                to_raw.join(", "),
                id_lit = lit(&id)
            );
            if let Some(bt) = &body_only {
                let bt = if bt.starts_with("types::") {
                    bt.clone()
                } else {
                    format!("types::{bt}")
                };
                let _ = write!(
                    structs,
                    "impl crate::operation::IntoRequest<{req_ty}> for {bt} {{\n    fn into_request(self) -> Result<{req_ty}, crate::Error> {{\n        Ok({req_ty}::new(self))\n    }}\n}}\n\n"
                );
            }

            // ---- client methods ------------------------------------------
            let _ = write!(
                methods,
                "    /// {}\n    ///\n    /// `{} {path}`{}. Validated against the spec before sending; retried,\n    /// token-refreshed and envelope-checked like every call.\n    pub async fn {id}(&self, request: impl crate::operation::IntoRequest<requests::{req_ty}>) -> Result<crate::Response<{data_ty}>, crate::Error> {{\n        let request = request.into_request()?;\n        self.call_typed(&request).await\n    }}\n\n",
                summary.replace('`', "'"),
                method.to_uppercase(),
                if op["x-douyin-scope"].as_str().is_some_and(|s| !s.is_empty()) {
                    format!(
                        ", scope `{}`",
                        op["x-douyin-scope"].as_str().unwrap_or_default()
                    )
                } else {
                    String::new()
                }
            );
            // The dynamic entry points (`call_json`, `decode::answer`, `stream_json`):
            // one small function per operation behind a table, not one `match` of
            // every operation, so that no function (and no future) grows with the
            // spec and the compile time of each operation is its own. A JSON
            // call is the one erased pipeline with the operation's JSON decoder.
            let _ = write!(decodes, "crate::operation::decode_json::<{response_ty}>, ");
            if let Some(pg) = &pagination {
                let items_field = op["x-douyin-pagination"]["items"]
                    .as_str()
                    .unwrap_or_default();
                let item_ty = item_type(&generated, &data_ty, items_field, &id)?;
                let items_ident = generated.structs[data_ty.trim_start_matches("types::")]
                    .iter()
                    .find(|f| f.wire == items_field)
                    .map(|f| (f.ident.clone(), generic_arg(&f.ty, "Option").is_some()))
                    .ok_or(format!("{id}: no items field"))?;
                let take = if items_ident.1 {
                    format!("data.{}.unwrap_or_default()", items_ident.0)
                } else {
                    format!("data.{}", items_ident.0)
                };
                let _ = pg;
                let _ = write!(
                    methods,
                    "    /// Every item of [`{id}`](Self::{id}), page after page, as a stream\n    /// (one page in memory; see [`ListStream`](crate::ListStream)).\n    pub fn {id}_stream(&self, request: impl crate::operation::IntoRequest<requests::{req_ty}>) -> crate::ListStream<{item_ty}> {{\n        crate::pagination::spec_stream::<requests::{req_ty}>(self.clone(), request.into_request())\n    }}\n\n"
                );
                let dfields = &generated.structs[data_ty.trim_start_matches("types::")];
                let getter = |wire: &str, conv: &str| -> String {
                    match dfields.iter().find(|f| f.wire == wire) {
                        Some(f) => format!("{conv}(&data.{})", f.ident),
                        // A path into `data` (`page.total`): read from its JSON.
                        None if wire.contains('.') => {
                            format!("{conv}(&crate::pagination::json_path(data, {}))", lit(wire))
                        }
                        None => "None".to_string(),
                    }
                };
                let pgv = &op["x-douyin-pagination"];
                let total = getter(
                    pgv["total"].as_str().unwrap_or("total"),
                    "crate::envelope::AsCode::as_code",
                );
                let next = getter(
                    pgv["next_cursor"].as_str().unwrap_or("\0"),
                    "crate::pagination::as_json",
                );
                let more = getter(
                    pgv["has_more"].as_str().unwrap_or("\0"),
                    "crate::pagination::as_bool",
                );
                let _ = write!(
                    structs,
                    "impl crate::pagination::Paged for {req_ty} {{\n    type Item = {item_ty};\n    fn items(data: {data_ty}) -> Vec<{item_ty}> {{\n        {take}\n    }}\n    #[allow(unused_variables)]\n    fn total(data: &{data_ty}) -> Option<i64> {{\n        {total}\n    }}\n    #[allow(unused_variables)]\n    fn next_cursor(data: &{data_ty}) -> Option<serde_json::Value> {{\n        {next}\n    }}\n    #[allow(unused_variables)]\n    fn has_more(data: &{data_ty}) -> Option<bool> {{\n        {more}\n    }}\n}}\n\n"
                );
                let _ = write!(
                    dynamic,
                    "fn stream_{id}(client: crate::Client, raw: crate::operation::RawRequest) -> crate::pagination::JsonStream {{\n    crate::pagination::json_stream::<requests::{req_ty}>(client, raw)\n}}\n\n"
                );
                let _ = write!(streams, "Some(stream_{id}), ");
            } else {
                streams.push_str("None, ");
            }
            let _ = index;
        }
    }

    let n = ids.len();
    let mut s = String::from(
        "// @generated by build.rs from openapi/goodlife.yaml. Do not edit.\n\n#[allow(unused_imports)]\nuse crate::types;\n\n",
    );
    s.push_str("/// Every operation of the spec, by its `operationId`.\n#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]\n#[non_exhaustive]\npub enum Operation {\n");
    s.push_str(&variants);
    s.push_str("}\n\n");
    let _ = write!(
        s,
        "impl Operation {{\n    /// Every operation, in spec order.\n    pub const ALL: [Operation; {n}] = [{}];\n\n",
        ids.iter()
            .map(|i| format!("Operation::{}", pascal(i)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    s.push_str("    /// Its index in [`Operation::ALL`].\n    pub const fn index(self) -> usize {\n        self as usize\n    }\n\n");
    s.push_str("    /// What the spec says about it.\n    pub fn spec(self) -> &'static crate::spec::OperationSpec {\n        &SPECS[self as usize]\n    }\n}\n\n");
    let _ = writeln!(
        s,
        "pub(crate) static SPECS: [crate::spec::OperationSpec; {n}] = ["
    );
    for sp in &specs {
        s.push_str(sp);
    }
    s.push_str("];\n\n");
    s.push_str("/// The request types, one per operation.\npub mod requests {\n    #![allow(unused_imports)]\n    use super::Operation;\n    use crate::types;\n\n");
    for line in structs.lines() {
        if line.is_empty() {
            s.push('\n');
        } else {
            let _ = writeln!(s, "    {line}");
        }
    }
    s.push_str("}\n\n");
    s.push_str(&envelopes);
    s.push_str("#[allow(clippy::too_many_arguments)]\nimpl crate::Client {\n");
    s.push_str("    #![allow(unused_imports)]\n");
    s.push_str(&methods);
    s.push_str("}\n\n");
    s.push_str(&dynamic);
    let _ = write!(
        s,
        "static DECODES: [crate::operation::DecodeFn; {n}] = [{decodes}];\nstatic STREAMS: [Option<fn(crate::Client, crate::operation::RawRequest) -> crate::pagination::JsonStream>; {n}] = [{streams}];\n\n"
    );
    s.push_str("pub(crate) fn json_decoder(operation: Operation) -> crate::operation::DecodeFn {\n    DECODES[operation as usize]\n}\n\n");
    s.push_str("pub(crate) fn stream_dynamic(client: crate::Client, operation: Operation, raw: crate::operation::RawRequest) -> Option<crate::pagination::JsonStream> {\n    STREAMS[operation as usize].map(|stream| stream(client, raw))\n}\n");
    Ok(s)
}
