//! Build script: turns `openapi/goodlife.yaml` into Rust.
//!
//! * `OUT_DIR/codegen.rs`: the progenitor client and its types.
//! * `OUT_DIR/error_codes.rs`: the `ErrorCode` enum and the per-operation error
//!   table, from the spec's `x-error-code-catalog` and `x-error-codes`
//!   (build/tables.rs).
//! * `OUT_DIR/operations.rs`: per operation, the spec as data, a request type,
//!   the envelope of its answer, a `Client` method and a stream (build/operations.rs).
//! * `OUT_DIR/limits.rs`: the schema keywords (`minimum`, `maximum`, `minLength`)
//!   of every request field, so request validation moves with the spec
//!   (build/tables.rs).
//!
//! Nothing here is hand-edited output: change the spec or these settings.

use std::path::PathBuf;

use progenitor::Generator;
use serde_json::Value;

const SPEC: &str = "openapi/goodlife.yaml";

include!("openapi/generation.rs");

#[path = "build/operations.rs"]
mod operations;

#[path = "build/tables.rs"]
mod tables;

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=openapi/generation.rs");
    println!("cargo:rerun-if-changed=build/operations.rs");
    println!("cargo:rerun-if-changed=build/tables.rs");
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

    // The JsonSchema derive only with feature `schemars`: schemars is then not a
    // public dependency by default, and the build is lighter.
    let settings = generation_settings_with(std::env::var_os("CARGO_FEATURE_SCHEMARS").is_some());
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

    write(&out.join("error_codes.rs"), &tables::error_codes(&raw)?)?;
    write(&out.join("limits.rs"), &tables::limits(&raw)?)?;
    Ok(())
}

fn write(path: &std::path::Path, content: &str) -> Result<(), String> {
    std::fs::write(path, content).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
