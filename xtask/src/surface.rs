//! `api-surface`: the public API of the generated client as a text listing
//! (`openapi/api-surface.txt`, committed), and the spec exported as JSON
//! (`openapi/goodlife.json`, committed), so every spec change shows its API
//! change in review and `--check` catches a stale copy.
//!
//! The client is generated here with the same progenitor settings as
//! `build.rs` ([`settings`], from the one file both include) and the tokens are
//! walked with `syn`.

use std::fmt::Write as _;
use std::path::Path;

use progenitor::Generator;
use quote::ToTokens;
use syn::{Fields, ImplItem, Item, Visibility};

// `generation_settings()`: the same file `build.rs` includes.
include!("../../openapi/generation.rs");

/// The progenitor settings of the SDK (shared with `build.rs`).
pub fn settings() -> progenitor::GenerationSettings {
    generation_settings()
}

/// Generates the client for a spec (YAML text) and lists its public API.
pub fn surface(spec_text: &str) -> Result<String, String> {
    // Same route as build.rs: YAML → JSON value → openapiv3.
    let raw: serde_json::Value =
        serde_yaml::from_str(spec_text).map_err(|e| format!("invalid YAML: {e}"))?;
    let spec: openapiv3::OpenAPI =
        serde_json::from_value(raw).map_err(|e| format!("not an OpenAPI 3.0 document: {e}"))?;
    let mut generator = Generator::new(&settings());
    let tokens = generator
        .generate_tokens(&spec)
        .map_err(|e| format!("progenitor: {e}"))?;
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    let mut out = String::new();
    out.push_str("# Public API of the client generated from openapi/goodlife.yaml (progenitor, build.rs settings).\n");
    out.push_str(
        "# Written by `cargo xtask api-surface`; CI runs `cargo xtask api-surface --check`.\n",
    );
    out.push_str("# Generated code lives in `douyin_goodlife::generated`; its `types` are re-exported as `douyin_goodlife::types`.\n");
    items(&file.items, "", &mut out);
    Ok(out)
}

/// The spec (YAML text) as pretty JSON, keys in spec order, with a final newline.
pub fn spec_json(spec_text: &str) -> Result<String, String> {
    let v: serde_yaml::Value =
        serde_yaml::from_str(spec_text).map_err(|e| format!("invalid YAML: {e}"))?;
    let mut s = serde_json::to_string_pretty(&v).map_err(|e| format!("cannot write JSON: {e}"))?;
    s.push('\n');
    Ok(s)
}

/// The committed files `api-surface` maintains, relative to the repository root.
pub const OUTPUTS: [&str; 2] = ["openapi/api-surface.txt", "openapi/goodlife.json"];

/// What [`sync`] did or found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// At least one output differs from the spec (only set with `check`).
    pub stale: bool,
    /// Lines to print: one status per file, and the changed lines of stale files.
    pub lines: Vec<String>,
}

/// Regenerates [`OUTPUTS`] from `root/openapi/goodlife.yaml`; with `check`,
/// writes nothing and reports which are stale, with their changed lines.
pub fn sync(root: &Path, check: bool) -> Result<SyncReport, String> {
    let spec_path = root.join("openapi/goodlife.yaml");
    let text =
        std::fs::read_to_string(&spec_path).map_err(|e| format!("{}: {e}", spec_path.display()))?;
    let contents = [surface(&text)?, spec_json(&text)?];
    let mut report = SyncReport::default();
    for (rel, content) in OUTPUTS.iter().zip(contents) {
        let path = root.join(rel);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == content {
            report.lines.push(format!("{rel}: up to date"));
        } else if check {
            report.stale = true;
            report.lines.push(format!(
                "{rel} is stale; run `cargo xtask api-surface` and commit it"
            ));
            report.lines.extend(
                diff(&current, &content)
                    .into_iter()
                    .take(40)
                    .map(|l| format!("  {l}")),
            );
        } else {
            std::fs::write(&path, content).map_err(|e| format!("{rel}: {e}"))?;
            report.lines.push(format!("wrote {rel}"));
        }
    }
    Ok(report)
}

/// Lines only in `old` (`-`) or only in `new` (`+`), in order: enough to see
/// what a spec change did to the API.
pub fn diff(old: &str, new: &str) -> Vec<String> {
    let o: Vec<&str> = old.lines().collect();
    let n: Vec<&str> = new.lines().collect();
    let mut out: Vec<String> = o
        .iter()
        .filter(|l| !n.contains(l))
        .map(|l| format!("- {l}"))
        .collect();
    out.extend(
        n.iter()
            .filter(|l| !o.contains(l))
            .map(|l| format!("+ {l}")),
    );
    out
}

fn is_pub(v: &Visibility) -> bool {
    matches!(v, Visibility::Public(_))
}

/// One line of Rust for a token tree: whitespace collapsed, `::std::…` paths shortened.
fn flat(tokens: impl ToTokens) -> String {
    let ty: syn::Type = match syn::parse2(tokens.to_token_stream()) {
        Ok(t) => t,
        Err(_) => return simplify(&tokens.to_token_stream().to_string()),
    };
    let file: syn::File = syn::parse_quote!(type X = #ty;);
    let text = prettyplease::unparse(&file);
    let text = text
        .trim()
        .trim_start_matches("type X = ")
        .trim_end_matches(';');
    simplify(text)
}

fn simplify(text: &str) -> String {
    let mut s = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for (from, to) in [
        ("( ", "("),
        (", )", ")"),
        (",)", ")"),
        ("< ", "<"),
        (", >", ">"),
        (",>", ">"),
        ("{ ", "{"),
        (", }", "}"),
        (" }", "}"),
        (",}", "}"),
        (" , ", ", "),
        (" :: ", "::"),
        ("::std::string::", ""),
        ("::std::vec::", ""),
        ("::std::option::", ""),
        ("::std::num::", ""),
        ("::std::collections::", ""),
        ("::std::", "std::"),
    ] {
        s = s.replace(from, to);
    }
    s
}

fn signature(sig: &syn::Signature) -> String {
    let f: syn::File = syn::parse_quote!(#sig {});
    let text = prettyplease::unparse(&f);
    simplify(text.trim().trim_end_matches("{}").trim())
}

fn derives(attrs: &[syn::Attribute]) -> Vec<String> {
    let mut out = Vec::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let _ = a.parse_nested_meta(|m| {
            let p = m.path.to_token_stream().to_string().replace(' ', "");
            out.push(p.rsplit("::").next().unwrap_or(&p).to_string());
            Ok(())
        });
    }
    out.sort();
    out
}

/// `rename = "…"` of a `#[serde(…)]` attribute.
fn wire_name(attrs: &[syn::Attribute]) -> Option<String> {
    let mut name = None;
    for a in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = a.parse_nested_meta(|m| {
            if m.path.is_ident("rename") {
                let lit: syn::LitStr = m.value()?.parse()?;
                name = Some(lit.value());
            } else if m.input.peek(syn::Token![=]) {
                let _: syn::Expr = m.value()?.parse()?;
            } else if m.input.peek(syn::token::Paren) {
                let content;
                syn::parenthesized!(content in m.input);
                let _: proc_macro2::TokenStream = content.parse()?;
            }
            Ok(())
        });
    }
    name
}

fn fields(fields: &Fields, indent: &str, out: &mut String) {
    match fields {
        Fields::Named(named) => {
            for f in named.named.iter().filter(|f| is_pub(&f.vis)) {
                let vis = "pub ";
                let name = f.ident.as_ref().map(|i| i.to_string()).unwrap_or_default();
                let wire = wire_name(&f.attrs)
                    .map(|w| format!("  (wire {w:?})"))
                    .unwrap_or_default();
                let _ = writeln!(out, "{indent}{vis}{name}: {}{wire}", flat(&f.ty));
            }
        }
        Fields::Unnamed(unnamed) => {
            for (i, f) in unnamed.unnamed.iter().enumerate() {
                let vis = if is_pub(&f.vis) { "pub " } else { "" };
                let _ = writeln!(out, "{indent}{vis}{i}: {}", flat(&f.ty));
            }
        }
        Fields::Unit => {}
    }
}

fn items(list: &[Item], module: &str, out: &mut String) {
    let prefix = if module.is_empty() {
        String::new()
    } else {
        format!("{module}::")
    };
    for item in list {
        match item {
            Item::Mod(m) if is_pub(&m.vis) => {
                let name = format!("{prefix}{}", m.ident);
                let _ = writeln!(out, "\nmod {name}");
                if let Some((_, inner)) = &m.content {
                    items(inner, &name, out);
                }
            }
            Item::Struct(st) if is_pub(&st.vis) => {
                let d = derives(&st.attrs);
                let d = if d.is_empty() {
                    String::new()
                } else {
                    format!("  derive({})", d.join(", "))
                };
                let _ = writeln!(
                    out,
                    "struct {prefix}{}{}{d}",
                    st.ident,
                    flat_generics(&st.generics)
                );
                fields(&st.fields, "    ", out);
            }
            Item::Enum(en) if is_pub(&en.vis) => {
                let d = derives(&en.attrs);
                let d = if d.is_empty() {
                    String::new()
                } else {
                    format!("  derive({})", d.join(", "))
                };
                let _ = writeln!(
                    out,
                    "enum {prefix}{}{}{d}",
                    en.ident,
                    flat_generics(&en.generics)
                );
                for v in &en.variants {
                    let wire = wire_name(&v.attrs)
                        .map(|w| format!("  (wire {w:?})"))
                        .unwrap_or_default();
                    let _ = writeln!(out, "    variant {}{wire}", v.ident);
                    fields(&v.fields, "        ", out);
                }
            }
            Item::Type(t) if is_pub(&t.vis) => {
                let _ = writeln!(out, "type {prefix}{} = {}", t.ident, flat(&t.ty));
            }
            Item::Const(c) if is_pub(&c.vis) => {
                let _ = writeln!(out, "const {prefix}{}: {}", c.ident, flat(&c.ty));
            }
            Item::Fn(f) if is_pub(&f.vis) => {
                let _ = writeln!(
                    out,
                    "{prefix}{}",
                    signature(&f.sig).trim_start_matches("pub ")
                );
            }
            Item::Trait(t) if is_pub(&t.vis) => {
                let _ = writeln!(out, "trait {prefix}{}", t.ident);
            }
            Item::Use(u) if is_pub(&u.vis) => {
                let _ = writeln!(
                    out,
                    "use {}",
                    simplify(&u.tree.to_token_stream().to_string())
                );
            }
            Item::Impl(im) => {
                let self_ty = flat(&im.self_ty);
                let header = match &im.trait_ {
                    Some((_, path, _)) => format!("impl {} for {self_ty}", flat_path(path)),
                    None => format!("impl {self_ty}"),
                };
                let methods: Vec<String> =
                    im.items
                        .iter()
                        .filter_map(|i| match i {
                            ImplItem::Fn(f) if im.trait_.is_none() && is_pub(&f.vis) => Some(
                                format!("    {}", signature(&f.sig).trim_start_matches("pub ")),
                            ),
                            ImplItem::Const(c) if im.trait_.is_none() && is_pub(&c.vis) => {
                                Some(format!("    const {}: {}", c.ident, flat(&c.ty)))
                            }
                            _ => None,
                        })
                        .collect();
                if im.trait_.is_some() || !methods.is_empty() {
                    let _ = writeln!(out, "{header}");
                    for m in methods {
                        let _ = writeln!(out, "{m}");
                    }
                }
            }
            _ => {}
        }
    }
}

fn flat_generics(g: &syn::Generics) -> String {
    if g.params.is_empty() {
        String::new()
    } else {
        simplify(&g.to_token_stream().to_string()).replace(" ", "")
    }
}

fn flat_path(p: &syn::Path) -> String {
    let ty: syn::Type = syn::Type::Path(syn::TypePath {
        qself: None,
        path: p.clone(),
    });
    flat(ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surface_lists_types_fields_and_methods() {
        let text = std::fs::read_to_string(crate::default_spec()).unwrap();
        let s = surface(&text).unwrap();
        assert!(s.contains("\nstruct types::QueryOrderRequest"), "{s}");
        assert!(
            s.contains("    pub page_size: NonZeroU32\n") || s.contains("    pub page_size: "),
            "{s}"
        );
        assert!(
            s.contains("    pub base_resp: ") && s.contains("(wire \"BaseResp\")"),
            "{s}"
        );
        for op in [
            "query_reservation_orders",
            "get_food_order_spu_detail",
            "query_user_certificates",
            "get_client_token",
        ] {
            assert!(
                s.contains(&format!("    async fn {op}<'a>(&'a self")),
                "missing {op}: {s}"
            );
        }
        // A field added to the spec shows up as one new line.
        let changed = text.replacen(
            "        book_id:\n          type: string\n          minLength: 1\n",
            "        book_id:\n          type: string\n          minLength: 1\n        channel:\n          type: string\n          description: test\n",
            1,
        );
        assert_ne!(changed, text, "test fixture no longer matches the spec");
        let s2 = surface(&changed).unwrap();
        let added: Vec<&str> = s2.lines().filter(|l| !s.lines().any(|o| o == *l)).collect();
        assert_eq!(added, vec!["    pub channel: Option<String>"]);
    }

    #[test]
    fn sync_writes_then_check_catches_a_stale_surface() {
        let root = std::env::temp_dir().join(format!("xtask-surface-{}", std::process::id()));
        std::fs::create_dir_all(root.join("openapi")).unwrap();
        let spec = std::fs::read_to_string(crate::default_spec()).unwrap();
        std::fs::write(root.join("openapi/goodlife.yaml"), &spec).unwrap();

        let first = sync(&root, true).unwrap();
        assert!(first.stale, "missing files are stale");
        let wrote = sync(&root, false).unwrap();
        assert_eq!(
            wrote.lines,
            [
                "wrote openapi/api-surface.txt",
                "wrote openapi/goodlife.json"
            ]
        );
        let clean = sync(&root, true).unwrap();
        assert_eq!(
            clean,
            SyncReport {
                stale: false,
                lines: vec![
                    "openapi/api-surface.txt: up to date".into(),
                    "openapi/goodlife.json: up to date".into()
                ]
            }
        );

        // Retype a response field: both files go stale, the surface shows the Rust change.
        let changed = spec.replacen(
            "        sku_ame:\n          type: string\n",
            "        sku_ame:\n          type: integer\n          format: int64\n",
            1,
        );
        assert_ne!(changed, spec);
        std::fs::write(root.join("openapi/goodlife.yaml"), &changed).unwrap();
        let stale = sync(&root, true).unwrap();
        assert!(stale.stale);
        assert!(stale.lines.contains(
            &"openapi/api-surface.txt is stale; run `cargo xtask api-surface` and commit it".into()
        ));
        assert!(
            stale
                .lines
                .contains(&"  -     pub sku_ame: Option<String>".into()),
            "{:#?}",
            stale.lines
        );
        assert!(
            stale
                .lines
                .contains(&"  +     pub sku_ame: Option<i64>".into()),
            "{:#?}",
            stale.lines
        );
        assert!(stale.lines.contains(
            &"openapi/goodlife.json is stale; run `cargo xtask api-surface` and commit it".into()
        ));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn json_export_keeps_spec_order() {
        let j =
            spec_json("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\nx-a: {2: two}\n")
                .unwrap();
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(v["x-a"]["2"], "two");
        assert!(
            j.find("openapi").unwrap() < j.find("info").unwrap()
                && j.find("info").unwrap() < j.find("paths").unwrap()
        );
    }
}
