//! `cargo xtask …`: developer workflows for douyin-goodlife. Run `cargo xtask help`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use xtask::{check, import, lint, page, spec, surface};

mod bench;
mod new_op;

const HELP: &str = "\
cargo xtask <command>

  docs-check [--spec FILE] PAGE...   compare doc pages with the spec, one difference per line
                                     (exit 0 = covered exactly or nothing to check, 1 = differences,
                                     2 = page not parsable); cut pages: what is shown is checked
  docs-import [--spec FILE] [--write [--replace]] [--path P] [--method M] PAGE
                                     print a draft operation (paths + components) for a page;
                                     lines it could not read and what the page lacks go to stderr
                                     (exit 1 when the page has no method and path: rules, callbacks);
                                     --write merges it into the spec (--replace: overwrite an
                                     operation with the same method+path or operationId)
  api-surface [--check]              write openapi/api-surface.txt (the public API) and openapi/goodlife.json
                                     (--check: fail when either is stale)
  lint [--spec FILE]                 the spec's own rules (operation metadata, types, formats, examples)
  new-operation                      prove a spec-only operation works: merge tests/fixtures/new_operation
                                     into a copy of the crate and run its test there (no Rust change)
  bench [--quick] [--only abcdefgh]  run the benchmarks and write BENCHMARKS.md (`cargo xtask bench --help`)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprint!("{HELP}");
        return ExitCode::from(2);
    };
    let (spec_path, rest) = match take_spec(rest) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match cmd.as_str() {
        "docs-check" => docs_check(&spec_path, &rest),
        "docs-import" => docs_import(&spec_path, &rest),
        "api-surface" => api_surface(&rest),
        "lint" => run_lint(&spec_path),
        "bench" => bench::run(&rest),
        "new-operation" => new_op::run(&xtask::root()),
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        other => {
            eprintln!("error: unknown command {other:?}\n\n{HELP}");
            ExitCode::from(2)
        }
    }
}

/// Splits `--spec FILE` off the arguments.
fn take_spec(args: &[String]) -> Result<(PathBuf, Vec<String>), String> {
    let mut spec = xtask::default_spec();
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--spec" {
            spec = PathBuf::from(it.next().ok_or("--spec needs a file")?);
        } else if let Some(v) = a.strip_prefix("--spec=") {
            spec = PathBuf::from(v);
        } else {
            rest.push(a.clone());
        }
    }
    Ok((spec, rest))
}

fn load_spec(path: &Path) -> Result<serde_json::Value, ExitCode> {
    spec::load(path).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })
}

fn read_text(file: &str) -> Result<String, String> {
    std::fs::read_to_string(file).map_err(|e| format!("{file}: cannot read: {e}"))
}

fn docs_check(spec_path: &Path, pages: &[String]) -> ExitCode {
    if pages.is_empty() {
        eprintln!("error: docs-check needs at least one PAGE");
        return ExitCode::from(2);
    }
    let spec = match load_spec(spec_path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut worst = 0u8;
    for file in pages {
        let page = match read_text(file) {
            Ok(t) => page::read(&t),
            Err(e) => {
                println!("{e}");
                worst = 2;
                continue;
            }
        };
        if let Some(e) = page.problems.first() {
            println!("{file}:{}: cannot parse page: {}", e.line, e.message);
            worst = 2;
            continue;
        }
        let report = check::check(&page, &spec, file);
        for line in report.lines(file, &page) {
            println!("{line}");
        }
        if report.status == check::Status::Checked && !report.differences.is_empty() {
            worst = worst.max(1);
        }
    }
    ExitCode::from(worst)
}

fn docs_import(spec_path: &Path, args: &[String]) -> ExitCode {
    let mut write = false;
    let mut replace = false;
    let mut ctx = import::Context::default();
    let mut files = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--write" => write = true,
            "--replace" => replace = true,
            "--path" | "--method" => {
                let Some(v) = it.next() else {
                    eprintln!("error: {a} needs a value");
                    return ExitCode::from(2);
                };
                if a == "--path" {
                    ctx.path = Some(v.clone());
                } else {
                    ctx.method = Some(v.to_ascii_uppercase());
                }
            }
            other if other.starts_with("--") => {
                eprintln!("error: unknown option {other:?}");
                return ExitCode::from(2);
            }
            _ => files.push(a.clone()),
        }
    }
    let [file] = files.as_slice() else {
        eprintln!(
            "error: docs-import needs exactly one PAGE (docs-import [--write [--replace]] [--path P] [--method M] PAGE)"
        );
        return ExitCode::from(2);
    };
    let page = match read_text(file) {
        Ok(t) => page::read(&t),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    for u in &page.unplaced {
        eprintln!("{file}:{}: not read ({}): {}", u.line, u.why, u.text);
    }
    for p in &page.problems {
        eprintln!("{file}:{}: not read: {}", p.line, p.message);
    }
    for l in page.lacks() {
        eprintln!("{file}: the page lacks: {l}");
    }
    if let Some(why) = import::refusal(&page, &ctx) {
        eprintln!("error: {file}: {why}");
        return ExitCode::from(1);
    }
    let spec_text = std::fs::read_to_string(spec_path).unwrap_or_default();
    let spec_json = spec::parse(&spec_text).unwrap_or_default();
    ctx.catalog = spec_json["x-error-code-catalog"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["code"].as_i64()).collect())
        .unwrap_or_default();
    ctx.taken = spec_json["components"]["schemas"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let draft = import::draft_with(&page, file, &ctx);
    if !write {
        print!("{}", import::render(&draft, file));
        return ExitCode::SUCCESS;
    }
    if spec_text.is_empty() {
        eprintln!("error: {}: cannot read the spec", spec_path.display());
        return ExitCode::from(2);
    }
    match xtask::spec_edit::merge(&spec_text, &draft, file, replace) {
        Ok(m) => {
            if let Err(e) = std::fs::write(spec_path, &m.text) {
                eprintln!("error: {}: cannot write: {e}", spec_path.display());
                return ExitCode::from(2);
            }
            for r in &m.replaced {
                println!("replaced {r}");
            }
            println!(
                "added {} to {} with {} schema(s){}; {} TODO(s) marked `# TODO(docs-import)`",
                m.operation,
                spec_path.display(),
                m.added.len(),
                if m.reused.is_empty() {
                    String::new()
                } else {
                    format!(" ({} reused)", m.reused.len())
                },
                draft.todos.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {file}: {e}");
            ExitCode::from(1)
        }
    }
}

fn api_surface(args: &[String]) -> ExitCode {
    let check = args.iter().any(|a| a == "--check");
    if let Some(a) = args.iter().find(|a| *a != "--check") {
        eprintln!("error: unknown argument {a:?}");
        return ExitCode::from(2);
    }
    match surface::sync(&xtask::root(), check) {
        Ok(report) => {
            for line in &report.lines {
                println!("{line}");
            }
            if report.stale {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run_lint(spec_path: &Path) -> ExitCode {
    let spec = match load_spec(spec_path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let problems = lint::lint(&spec, &xtask::root());
    let shown = spec_path
        .strip_prefix(xtask::root())
        .unwrap_or(spec_path)
        .display()
        .to_string();
    if problems.is_empty() {
        println!(
            "{shown}: lint ok ({} operations)",
            spec::operations(&spec).len()
        );
        ExitCode::SUCCESS
    } else {
        for p in &problems {
            println!("{shown}: {p}");
        }
        ExitCode::from(1)
    }
}
