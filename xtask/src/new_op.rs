//! `cargo xtask new-operation`: proves that an operation added to the spec in
//! plain OpenAPI needs nothing else.
//!
//! It copies the crate (the files git knows) to a scratch directory, merges
//! the operations of `tests/fixtures/new_operation/spec.yaml` into the copy's
//! `openapi/goodlife.yaml`, puts `tests/fixtures/new_operation/test.rs` in the
//! copy's `tests/`, and runs that test (all features, as the test suite). The copy's Rust
//! sources are untouched: the typed methods, request types, streams, CLI
//! subcommands and sandbox routes the test uses come from the spec alone.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const FIXTURE_SPEC: &str = "tests/fixtures/new_operation/spec.yaml";
const FIXTURE_TEST: &str = "tests/fixtures/new_operation/test.rs";

pub fn run(root: &Path) -> ExitCode {
    match run_inner(root) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: new-operation: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_inner(root: &Path) -> Result<(), String> {
    let scratch = root.join("target").join("new-operation");
    let copy = scratch.join("crate");
    if copy.exists() {
        std::fs::remove_dir_all(&copy)
            .map_err(|e| format!("cannot clear {}: {e}", copy.display()))?;
    }
    let files = Command::new("git")
        .args(["ls-files", "--cached", "--others", "--exclude-standard"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !files.status.success() {
        return Err("git ls-files failed".into());
    }
    for file in String::from_utf8_lossy(&files.stdout).lines() {
        let from = root.join(file);
        if !from.is_file() {
            continue;
        }
        let to = copy.join(file);
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::copy(&from, &to).map_err(|e| format!("cannot copy {file}: {e}"))?;
    }

    // Merge the fixture's paths and schemas into the copy's spec.
    let spec_path = copy.join("openapi/goodlife.yaml");
    let spec_text = std::fs::read_to_string(&spec_path).map_err(|e| e.to_string())?;
    let mut spec: serde_json::Value =
        serde_yaml::from_str(&spec_text).map_err(|e| format!("spec: {e}"))?;
    let fixture_text =
        std::fs::read_to_string(root.join(FIXTURE_SPEC)).map_err(|e| e.to_string())?;
    let fixture: serde_json::Value =
        serde_yaml::from_str(&fixture_text).map_err(|e| format!("{FIXTURE_SPEC}: {e}"))?;
    for (section, target) in [("paths", "/paths"), ("components", "/components/schemas")] {
        let source = if section == "paths" {
            &fixture["paths"]
        } else {
            &fixture["components"]["schemas"]
        };
        let into = spec
            .pointer_mut(target)
            .and_then(serde_json::Value::as_object_mut)
            .ok_or(format!("the spec has no {target}"))?;
        for (k, v) in source.as_object().into_iter().flatten() {
            if into.insert(k.clone(), v.clone()).is_some() {
                return Err(format!("the spec already has {target}/{k}"));
            }
        }
    }
    // JSON is YAML: build.rs reads it as is.
    let merged = serde_json::to_string_pretty(&spec).map_err(|e| e.to_string())?;
    std::fs::write(&spec_path, merged).map_err(|e| e.to_string())?;
    std::fs::copy(root.join(FIXTURE_TEST), copy.join("tests/new_operation.rs"))
        .map_err(|e| e.to_string())?;

    // The main target dir: the dependencies are built once for both.
    let target: PathBuf = root.join("target");
    eprintln!(
        "new-operation: testing a copy with the fixture operations merged in ({})",
        copy.display()
    );
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "test",
            "--package",
            "douyin-goodlife",
            "--all-features",
            "--test",
            "new_operation",
        ])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(&copy)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("the fixture operations' test failed in the copy".into());
    }
    Ok(())
}
