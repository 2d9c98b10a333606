//! `cargo xtask …`: developer workflows for douyin-goodlife. Run `cargo xtask help`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use xtask::{check, import, lint, page, spec, surface};

mod bench;
mod new_op;

const HELP: &str = "\
cargo xtask <command>

  docs-check [--spec FILE] PAGE...   compare doc pages with the spec, one difference per line
                                     (exit 0 = covered exactly, 1 = differences, 2 = page not parsable)
  docs-import [--spec FILE] PAGE     print a draft operation (paths + components) for a page
  api-surface [--check]              write openapi/api-surface.txt and openapi/goodlife.json
                                     (--check: fail when either is stale)
  lint [--spec FILE]                 the spec's own rules (operation metadata, types, formats, examples)
  new-operation                      prove a spec-only operation works: merge tests/fixtures/new_operation
                                     into a copy of the crate and run its test there (no Rust change)
  bench [--quick] [--only abcdef]    run the benchmarks and write BENCHMARKS.md (`cargo xtask bench --help`)
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

fn read_page(file: &str) -> Result<page::Page, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: cannot read: {e}"))?;
    page::parse(&text).map_err(|e| format!("{file}:{}: cannot parse page: {}", e.line, e.message))
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
        let page = match read_page(file) {
            Ok(p) => p,
            Err(e) => {
                println!("{e}");
                worst = 2;
                continue;
            }
        };
        let report = check::check(&page, &spec, file);
        if report.differences.is_empty() {
            println!("{file}: ok ({})", report.operation.unwrap_or_default());
        } else {
            for d in &report.differences {
                println!("{file}: {d}");
            }
            worst = worst.max(1);
        }
    }
    ExitCode::from(worst)
}

fn docs_import(spec_path: &Path, args: &[String]) -> ExitCode {
    let [file] = args else {
        eprintln!("error: docs-import needs exactly one PAGE");
        return ExitCode::from(2);
    };
    let page = match read_page(file) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let catalog: Vec<i64> = spec::load(spec_path)
        .ok()
        .and_then(|s| {
            s["x-error-code-catalog"]
                .as_array()
                .map(|a| a.iter().filter_map(|c| c["code"].as_i64()).collect())
        })
        .unwrap_or_default();
    let draft = import::draft(&page, file);
    print!("{}", import::render(&draft, &page, file, &catalog));
    ExitCode::SUCCESS
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
