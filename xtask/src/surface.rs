//! `api-surface`: the whole public API of the SDK as a text listing
//! (`openapi/api-surface.txt`, committed), and the spec exported as JSON
//! (`openapi/goodlife.json`, committed), so every change of the public API,
//! from the spec or from hand-written code, shows in review and `--check`
//! catches a stale copy.
//!
//! The listing has three parts, each sorted by item name within its module:
//!
//! * the generated types: progenitor with the settings of `build.rs`
//!   ([`settings`], from the one file both include), only its `types` module,
//!   as `build.rs` compiles it;
//! * the generated operations: `build/operations.rs`, included here as it is
//!   in `build.rs`, run on the same input; its output is parsed with `syn`;
//! * the generated tables: `build/tables.rs` (the `ErrorCode` enum and
//!   `ERROR_TABLE`, the `validate::limits` constants), likewise;
//! * the hand-written API: every module of the library, from `src/lib.rs`
//!   following its `mod` declarations, per file; test-only code is left out,
//!   other `cfg`-gated items are kept and marked with their `cfg`; calls of a
//!   file's own `macro_rules!` are expanded and their items listed.
//!
//! Listed: `pub` items (not `pub(crate)`) with their signatures, public fields
//! and variants, `pub use` re-exports one path a line, the `pub` members of
//! inherent impls of public types, and trait impls of public types or public
//! traits (not those of the crate's internal traits).

mod expand;
mod listing;

#[path = "../../build/operations.rs"]
mod operations;

#[path = "../../build/tables.rs"]
mod tables;

use std::path::Path;

use progenitor::Generator;

use listing::{Ctx, Section};

// `generation_settings()`: the same file `build.rs` includes.
include!("../../openapi/generation.rs");

/// The progenitor settings of the SDK (shared with `build.rs`).
pub fn settings() -> progenitor::GenerationSettings {
    generation_settings()
}

/// The header of `openapi/api-surface.txt`.
const HEADER: &str = "\
# Public API of douyin-goodlife: the types and operations generated from openapi/goodlife.yaml, and the hand-written API of src/.
# Written by `cargo xtask api-surface`; CI runs `cargo xtask api-surface --check`: regenerate and commit it with every API change.
# Generated types: progenitor with the build.rs settings, only its `types` module (re-exported as `douyin_goodlife::types`).
# Generated operations: build/operations.rs as build.rs runs it: `Operation`, `requests::*Request` (re-exported as `douyin_goodlife::requests`), the `Client` methods.
# Generated tables: build/tables.rs as build.rs runs it: `ErrorCode` and `ERROR_TABLE` (src/code.rs), the `validate::limits` constants.
# Hand-written: per file of the library's module tree, the `pub` items, `pub use` re-exports, `pub` methods of inherent impls and trait impls of public types.
# Sorted by name within each module; `#[cfg(...)]` marks feature-gated items; `#[cfg(test)]` code is left out.
";

/// Generates the code for a spec (YAML text), reads the hand-written sources
/// under `root/src`, and lists the public API of both.
pub fn surface(root: &Path, spec_text: &str) -> Result<String, String> {
    // Same route as build.rs: YAML → JSON value → openapiv3.
    let raw: serde_json::Value =
        serde_yaml::from_str(spec_text).map_err(|e| format!("invalid YAML: {e}"))?;
    let spec: openapiv3::OpenAPI = serde_json::from_value(raw.clone())
        .map_err(|e| format!("not an OpenAPI 3.0 document: {e}"))?;
    let mut generator = Generator::new(&settings());
    let tokens = generator
        .generate_tokens(&spec)
        .map_err(|e| format!("progenitor: {e}"))?;
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    let ops_text =
        operations::operations(&raw, &file).map_err(|e| format!("build/operations.rs: {e}"))?;
    let ops: syn::File = syn::parse_file(&ops_text)
        .map_err(|e| format!("build/operations.rs: its output does not parse: {e}"))?;
    let types: &[syn::Item] = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "types" => m.content.as_ref().map(|c| &c.1[..]),
            _ => None,
        })
        .ok_or("progenitor generated no `types` module")?;
    let parse_table = |name: &str, text: Result<String, String>| -> Result<syn::File, String> {
        let text = text.map_err(|e| format!("build/tables.rs: {e}"))?;
        syn::parse_file(&text).map_err(|e| format!("build/tables.rs: {name} does not parse: {e}"))
    };
    let error_codes = parse_table("error_codes.rs", tables::error_codes(&raw))?;
    let limits = parse_table("limits.rs", tables::limits(&raw))?;
    let sources = source_files(root)?;

    let mut ctx = Ctx::new();
    ctx.learn(types);
    ctx.learn(&ops.items);
    ctx.learn(&error_codes.items);
    ctx.learn(&limits.items);
    for s in &sources {
        ctx.learn(&s.file.items);
    }

    let mut out = String::from(HEADER);
    out.push_str("\n## Generated types (progenitor, `types` module)\n");
    let mut sections = Vec::new();
    listing::walk(
        types,
        "types",
        &|p, _| format!("mod {p}"),
        "",
        &ctx,
        &mut sections,
    );
    render(&sections, &mut out);

    out.push_str("\n## Generated operations (build/operations.rs)\n");
    let mut sections = Vec::new();
    listing::walk(
        &ops.items,
        "",
        &|p, _| {
            if p.is_empty() {
                "// OUT_DIR/operations.rs".to_string()
            } else {
                format!("mod {p}")
            }
        },
        "",
        &ctx,
        &mut sections,
    );
    render(&sections, &mut out);

    out.push_str("\n## Generated tables (build/tables.rs)\n");
    let mut sections = Vec::new();
    for (file, title) in [
        (
            &error_codes,
            "// OUT_DIR/error_codes.rs (included by src/code.rs)",
        ),
        (
            &limits,
            "// OUT_DIR/limits.rs (included as validate::limits)",
        ),
    ] {
        listing::walk(
            &file.items,
            "",
            &|_, _| title.to_string(),
            "",
            &ctx,
            &mut sections,
        );
    }
    render(&sections, &mut out);

    out.push_str("\n## Hand-written (src/)\n");
    let mut sections = Vec::new();
    for s in &sources {
        let rel = s.rel.clone();
        listing::walk(
            &s.file.items,
            "",
            &|p, cfg| {
                let cfg = cfg.trim();
                let cfg = if cfg.is_empty() {
                    String::new()
                } else {
                    format!("  {cfg}")
                };
                if p.is_empty() {
                    format!("// {rel}{cfg}")
                } else {
                    format!("// {rel}: mod {p}{cfg}")
                }
            },
            &s.cfg,
            &ctx,
            &mut sections,
        );
    }
    render(&sections, &mut out);
    Ok(out)
}

fn render(sections: &[Section], out: &mut String) {
    for s in sections {
        s.render(out);
    }
}

/// A file of the library's module tree.
struct SourceFile {
    /// Its path from the repository root, with `/` (`src/mock/mod.rs`).
    rel: String,
    /// The `cfg` marks of its module declarations, outermost first.
    cfg: String,
    file: syn::File,
}

/// Every file of the library's module tree under `root`, from `src/lib.rs`
/// through its `mod` declarations (not test-only ones), sorted by path.
fn source_files(root: &Path) -> Result<Vec<SourceFile>, String> {
    let mut out = Vec::new();
    load(root, "src/lib.rs".into(), String::new(), 0, &mut out)?;
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

fn load(
    root: &Path,
    rel: String,
    cfg: String,
    depth: usize,
    out: &mut Vec<SourceFile>,
) -> Result<(), String> {
    if depth > 32 {
        return Err(format!("{rel}: modules nested more than 32 deep"));
    }
    if out.iter().any(|s| s.rel == rel) {
        return Err(format!("{rel}: declared as a module twice"));
    }
    let text = std::fs::read_to_string(root.join(&rel)).map_err(|e| format!("{rel}: {e}"))?;
    let mut file = syn::parse_file(&text).map_err(|e| format!("{rel}: does not parse: {e}"))?;
    expand::expand_local_macros(&mut file.items);
    let mut children = Vec::new();
    file_modules(
        root,
        &rel,
        &file.items,
        &child_dir(&rel),
        &cfg,
        &mut children,
    )?;
    out.push(SourceFile { rel, cfg, file });
    for (child, child_cfg) in children {
        load(root, child, child_cfg, depth + 1, out)?;
    }
    Ok(())
}

/// The directory of a file's path (`src/mock` for `src/mock/mod.rs`).
fn dir_of(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(d, _)| d)
}

/// Where the modules a file declares live: its directory for `lib.rs`,
/// `main.rs` and `mod.rs`, else a directory named after it.
fn child_dir(rel: &str) -> String {
    let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    match name {
        "lib.rs" | "main.rs" | "mod.rs" => dir.to_string(),
        other => join(dir, other.trim_end_matches(".rs")),
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// `a/b/../c` → `a/c`; `None` when it leaves the root.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The files of the `mod name;` declarations in `items` (and in their inline
/// modules), with their inherited `cfg` marks.
fn file_modules(
    root: &Path,
    rel: &str,
    items: &[syn::Item],
    dir: &str,
    cfg: &str,
    out: &mut Vec<(String, String)>,
) -> Result<(), String> {
    for item in items {
        let syn::Item::Mod(m) = item else { continue };
        if listing::cfg_test(&m.attrs) {
            continue;
        }
        let cfg = format!("{cfg}{}", listing::cfg_marks(&m.attrs));
        let name = m.ident.to_string();
        if let Some((_, inner)) = &m.content {
            file_modules(root, rel, inner, &join(dir, &name), &cfg, out)?;
            continue;
        }
        let not_string = || format!("{rel}: `mod {name}`: #[path] is not a string");
        let file = match m.attrs.iter().find(|a| a.path().is_ident("path")) {
            Some(a) => {
                let syn::Meta::NameValue(nv) = &a.meta else {
                    return Err(not_string());
                };
                let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(lit),
                    ..
                }) = &nv.value
                else {
                    return Err(not_string());
                };
                normalize(&join(dir_of(rel), &lit.value())).ok_or(format!(
                    "{rel}: `mod {name}`: #[path] leaves the repository"
                ))?
            }
            None => {
                let flat = join(dir, &format!("{name}.rs"));
                let nested = join(dir, &format!("{name}/mod.rs"));
                if root.join(&flat).is_file() {
                    flat
                } else if root.join(&nested).is_file() {
                    nested
                } else {
                    return Err(format!(
                        "{rel}: `mod {name}`: neither {flat} nor {nested} exists"
                    ));
                }
            }
        };
        out.push((file, cfg));
    }
    Ok(())
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
    let contents = [surface(root, &text)?, spec_json(&text)?];
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system temp dir, unique per test.
    fn temp_root(name: &str) -> std::path::PathBuf {
        let root =
            std::env::temp_dir().join(format!("xtask-surface-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("openapi")).unwrap();
        root
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }

    /// The block that starts with the line `header`: it and its indented lines.
    fn block_of<'a>(s: &'a str, header: &str) -> Vec<&'a str> {
        let mut lines = s.lines().skip_while(|l| *l != header);
        let mut out: Vec<&str> = lines.next().into_iter().collect();
        out.extend(lines.take_while(|l| l.starts_with("    ")));
        out
    }

    fn current() -> (String, String) {
        let text = std::fs::read_to_string(crate::default_spec()).unwrap();
        let s = surface(&crate::root(), &text).unwrap();
        (text, s)
    }

    #[test]
    fn surface_lists_types_fields_and_wire_names() {
        let (text, s) = current();
        assert!(s.contains("\nstruct types::QueryOrderRequest"), "{s}");
        assert!(s.contains("    pub page_size: "), "{s}");
        assert!(
            s.contains("    pub base_resp: ") && s.contains("(wire \"BaseResp\")"),
            "{s}"
        );
        // Only the `types` module: progenitor's client is not compiled, not listed.
        assert!(!s.contains("ResponseValue"), "{s}");
        assert!(!s.contains("fn new_with_client"), "{s}");
        // A field added to the spec shows up as one new line.
        let changed = text.replacen(
            "        book_id:\n          type: string\n          minLength: 1\n",
            "        book_id:\n          type: string\n          minLength: 1\n        channel:\n          type: string\n          description: test\n",
            1,
        );
        assert_ne!(changed, text, "test fixture no longer matches the spec");
        let s2 = surface(&crate::root(), &changed).unwrap();
        let added: Vec<&str> = s2.lines().filter(|l| !s.lines().any(|o| o == *l)).collect();
        assert_eq!(added, vec!["    pub channel: Option<String>"]);
    }

    #[test]
    fn surface_lists_the_generated_operations() {
        let (_, s) = current();
        let client = block_of(&s, "impl crate::Client");
        assert!(
            client.contains(&"    async fn certificate_prepare(&self, request: impl crate::operation::IntoRequest<requests::CertificatePrepareRequest>) -> Result<crate::Response<types::CertificatePrepareData>, crate::Error>"),
            "{client:#?}"
        );
        assert!(
            client
                .iter()
                .any(|l| l.starts_with("    fn query_reservation_orders_stream(&self, ")),
            "{client:#?}"
        );
        assert_eq!(
            block_of(
                &s,
                "#[non_exhaustive] struct requests::CertificatePrepareRequest  derive(Clone, Debug, PartialEq)"
            ),
            [
                "#[non_exhaustive] struct requests::CertificatePrepareRequest  derive(Clone, Debug, PartialEq)",
                "    pub encrypted_data: Option<String>",
                "    pub code: Option<String>",
                "    pub poi_id: Option<String>",
            ]
        );
        let methods = block_of(&s, "impl CertificatePrepareRequest");
        assert!(methods.contains(&"    fn new() -> Self"), "{methods:#?}");
        assert!(
            methods.contains(&"    fn with_code(mut self, value: impl Into<String>) -> Self"),
            "{methods:#?}"
        );
        let op = block_of(
            &s,
            "#[non_exhaustive] enum Operation  derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)",
        );
        for v in [
            "CertificatePrepare",
            "QueryReservationOrders",
            "GetClientToken",
        ] {
            assert!(op.contains(&format!("    variant {v}").as_str()), "{op:#?}");
        }
        assert!(
            block_of(&s, "impl Operation")
                .contains(&"    fn spec(self) -> &'static crate::spec::OperationSpec"),
            "{s}"
        );
        // The public trait's impls are listed, the crate's internal ones not.
        assert!(s.contains("\nimpl crate::operation::IntoRequest<CertificateCancelRequest> for types::CertificateCancelRequest\n"));
        assert!(!s.contains("OperationRequest for"), "{s}");
        assert!(!s.contains("Envelope for"), "{s}");
        assert!(!s.contains("call_dynamic"), "{s}");
    }

    #[test]
    fn surface_lists_the_generated_tables() {
        let (_, s) = current();
        let tables = s
            .split_once("\n## Generated tables (build/tables.rs)\n")
            .and_then(|(_, t)| t.split_once("\n## Hand-written (src/)\n"))
            .map(|(t, _)| t)
            .unwrap();
        let codes = block_of(
            tables,
            "#[non_exhaustive] enum ErrorCode  derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)",
        );
        assert!(
            codes.contains(&"    variant MerchantNotAuthorized"),
            "{codes:#?}"
        );
        assert_eq!(codes.last(), Some(&"        0: i64"), "{codes:#?}");
        let methods = block_of(tables, "impl ErrorCode");
        assert!(
            methods.contains(&"    const fn from_code(code: i64) -> Self"),
            "{methods:#?}"
        );
        assert!(
            tables.contains("\nstatic ERROR_TABLE: &[ErrorRow]\n"),
            "{tables}"
        );
        assert!(
            tables.contains("\nconst QUERY_ORDER_REQUEST__PAGE_SIZE: Limit\n"),
            "{tables}"
        );
    }

    #[test]
    fn surface_lists_the_hand_written_api() {
        let (_, s) = current();
        let hand = s
            .split_once("\n## Hand-written (src/)\n")
            .map(|(_, h)| h)
            .unwrap();
        assert!(hand.contains("\n// src/client.rs\n"), "{hand}");
        let client = block_of(hand, "impl Client");
        assert!(
            client.contains(&"    fn builder() -> ClientBuilder"),
            "{client:#?}"
        );
        // `pub(crate)` members are not public API.
        assert!(
            !client.iter().any(|l| l.contains("fn http(")),
            "{client:#?}"
        );
        assert!(hand.contains("\nuse client::ClientBuilder\n"), "{hand}");
        assert!(
            hand.contains("\nconst PRODUCTION_BASE_URL: &str\n"),
            "{hand}"
        );
        assert!(hand.contains("\ntrait TokenStore: "), "{hand}");
        assert!(
            hand.contains("\nimpl std::fmt::Debug for Client\n"),
            "{hand}"
        );
        // Feature-gated code is kept and marked, test code is left out.
        assert!(
            hand.contains("\n// src/mock/mod.rs  #[cfg(feature = \"mock\")]\n"),
            "{hand}"
        );
        assert!(
            hand.contains("\n#[cfg(feature = \"redis\")] use redis_store::RedisTokenStore\n"),
            "{hand}"
        );
        assert!(
            hand.contains("    #[cfg(feature = \"chrono\")] fn to_chrono(self)"),
            "{hand}"
        );
        assert!(!hand.contains("mod tests"), "{hand}");
        assert!(!hand.contains("#[cfg(test)]"), "{hand}");
        // The binary's modules are not the library's API.
        assert!(!hand.contains("src/cli/"), "{hand}");
        // Stable: no absolute paths, the same text twice.
        assert!(!s.contains(&crate::root().display().to_string()), "{s}");
        assert_eq!(s, current().1);
    }

    #[test]
    fn module_tree_errors_are_reported() {
        let root = temp_root("modtree");
        let spec = std::fs::read_to_string(crate::default_spec()).unwrap();
        std::fs::create_dir_all(root.join("src/a")).unwrap();
        std::fs::write(root.join("src/lib.rs"), "pub mod a;\nmod gone;\n").unwrap();
        std::fs::write(root.join("src/a/mod.rs"), "pub fn f() {}\n").unwrap();
        let err = surface(&root, &spec).unwrap_err();
        assert!(
            err.contains("`mod gone`: neither src/gone.rs nor src/gone/mod.rs exists"),
            "{err}"
        );

        std::fs::write(
            root.join("src/lib.rs"),
            "pub mod a;\n#[cfg(test)]\nmod gone;\n#[path = \"../../x.rs\"]\nmod out;\n",
        )
        .unwrap();
        let err = surface(&root, &spec).unwrap_err();
        assert!(err.contains("leaves the repository"), "{err}");

        std::fs::write(
            root.join("src/lib.rs"),
            "pub mod a;\n#[cfg(test)]\nmod gone;\n",
        )
        .unwrap();
        std::fs::write(root.join("src/a/mod.rs"), "pub fn f( {}\n").unwrap();
        let err = surface(&root, &spec).unwrap_err();
        assert!(err.starts_with("src/a/mod.rs: does not parse"), "{err}");

        std::fs::write(root.join("src/a/mod.rs"), "pub fn f(x: u8) -> u8 { x }\n").unwrap();
        let s = surface(&root, &spec).unwrap();
        assert!(
            s.ends_with("\n// src/a/mod.rs\nfn f(x: u8) -> u8\n\n// src/lib.rs\nmod a\n"),
            "{s}"
        );
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn sync_writes_then_check_catches_a_stale_surface() {
        let root = temp_root("sync");
        let spec = std::fs::read_to_string(crate::default_spec()).unwrap();
        std::fs::write(root.join("openapi/goodlife.yaml"), &spec).unwrap();
        copy_dir(&crate::root().join("src"), &root.join("src"));

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
        let clean = SyncReport {
            stale: false,
            lines: vec![
                "openapi/api-surface.txt: up to date".into(),
                "openapi/goodlife.json: up to date".into(),
            ],
        };
        assert_eq!(sync(&root, true).unwrap(), clean);

        // A change that is not API (a private item, a body) keeps it up to date.
        let client_rs = root.join("src/client.rs");
        let original = std::fs::read_to_string(&client_rs).unwrap();
        std::fs::write(
            &client_rs,
            format!("{original}\nfn private_helper() -> u8 {{ 1 }}\n"),
        )
        .unwrap();
        assert_eq!(sync(&root, true).unwrap(), clean);

        // A changed pub signature in hand-written code makes it stale.
        let changed = original.replacen(
            "pub fn builder() -> ClientBuilder {",
            "pub fn builder(sandbox: bool) -> ClientBuilder {\n        let _ = sandbox;",
            1,
        );
        assert_ne!(
            changed, original,
            "test fixture no longer matches src/client.rs"
        );
        std::fs::write(&client_rs, changed).unwrap();
        let stale = sync(&root, true).unwrap();
        assert!(stale.stale);
        assert_eq!(
            stale.lines,
            [
                "openapi/api-surface.txt is stale; run `cargo xtask api-surface` and commit it",
                "  -     fn builder() -> ClientBuilder",
                "  +     fn builder(sandbox: bool) -> ClientBuilder",
                "openapi/goodlife.json: up to date",
            ]
        );
        std::fs::write(&client_rs, &original).unwrap();
        assert_eq!(sync(&root, true).unwrap(), clean);

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

    #[test]
    fn normalize_and_child_dirs() {
        assert_eq!(
            normalize("src/bin/../cli/mod.rs").as_deref(),
            Some("src/cli/mod.rs")
        );
        assert_eq!(normalize("src/../../x.rs"), None);
        assert_eq!(child_dir("src/lib.rs"), "src");
        assert_eq!(child_dir("src/mock/mod.rs"), "src/mock");
        assert_eq!(child_dir("src/client.rs"), "src/client");
    }
}
