//! (g) and (h): what the build costs as the spec grows, and the edit-compile
//! loop.
//!
//! * (g): a synthetic spec of 100 operations, the real ones copied under new
//!   names (`<id>_copyN`, paths `…/copyN/`, and copies of the component schemas
//!   they reference, `$ref`s rewritten), so the generated types grow as they do
//!   for real new endpoints. The crate (the files git knows) is copied to a
//!   scratch directory with its `openapi/goodlife.yaml` replaced, and
//!   `cargo build --release --lib` of that copy is timed at three sizes (the real
//!   spec's, about 50 and 100 operations) with the dependencies already built in
//!   the target directory: what is timed is the build script's run and the
//!   SDK's own compilation. No knob in the product points it at another spec.
//! * (h): in the checkout itself, `cargo build --lib` (dev profile,
//!   incremental, as a developer builds) after touching the spec.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime};

use serde_json::Value;

use super::{Options, Report, Row, Spread, Verdict, cargo, load_average, secs};

/// The goal of (g): seconds of release build per added operation.
const GROWTH_GOAL: f64 = 0.3;
/// The goal of (h): seconds of the dev rebuild after touching the spec.
const EDIT_GOAL: f64 = 10.0;
/// (g) is linear when the per-operation cost of the upper segment is at most
/// this many times that of the lower one.
const LINEAR_TOLERANCE: f64 = 1.5;

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];
const SCHEMA_REF: &str = "#/components/schemas/";
/// The envelope's schemas, which every endpoint shares (build/operations.rs
/// requires `extra` to be `Extra`): not copied.
const SHARED: [&str; 2] = ["Extra", "BaseResp"];

/// The operations of a spec, in order: (path, method).
fn operations(spec: &Value) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for method in item.as_object().into_iter().flatten().map(|(m, _)| m) {
            if METHODS.contains(&method.as_str()) {
                ops.push((path.clone(), method.clone()));
            }
        }
    }
    ops
}

/// Every component schema named by a `$ref` in `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref"
                    && let Some(name) = x.as_str().and_then(|r| r.strip_prefix(SCHEMA_REF))
                {
                    if !SHARED.contains(&name) && !out.iter().any(|n| n == name) {
                        out.push(name.to_string());
                    }
                } else {
                    refs(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

/// `v` with every `$ref` to a schema of `names` pointing at its copy.
fn rewrite(v: &mut Value, names: &[String], suffix: &str) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k == "$ref"
                    && let Some(name) = x.as_str().and_then(|r| r.strip_prefix(SCHEMA_REF))
                    && names.iter().any(|n| n == name)
                {
                    *x = Value::from(format!("{SCHEMA_REF}{name}{suffix}"));
                } else {
                    rewrite(x, names, suffix);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rewrite(x, names, suffix)),
        _ => {}
    }
}

/// The spec with `total` operations: its own, then copies of them in order
/// (copy N of operation `x` is `x_copyN` at `<path>copyN/`), each copy with its
/// own copies of the schemas it reaches (`<Schema>CopyN`, shared by the
/// operations of copy N as the originals are shared; the envelope's `Extra`
/// and `BaseResp` shared by all, as real endpoints share them). The extensions stay as
/// they are: they name fields (pagination, idempotency key), not types.
pub(super) fn synthetic_spec(spec: &Value, total: usize) -> Result<Value, String> {
    let originals = operations(spec);
    let n0 = originals.len();
    if n0 == 0 {
        return Err("the spec has no operations".into());
    }
    let mut out = spec.clone();
    let schemas = spec["components"]["schemas"].clone();
    for i in 0..total.saturating_sub(n0) {
        let copy = i / n0 + 1;
        let (path, method) = &originals[i % n0];
        let mut op = spec["paths"][path][method].clone();
        // The schemas this operation reaches, transitively.
        let mut names = Vec::new();
        refs(&op, &mut names);
        let mut k = 0;
        while k < names.len() {
            let schema = schemas
                .get(&names[k])
                .ok_or(format!("{method} {path}: no schema {}", names[k]))?;
            refs(schema, &mut names);
            k += 1;
        }
        let suffix = format!("Copy{copy}");
        rewrite(&mut op, &names, &suffix);
        let id = op["operationId"]
            .as_str()
            .ok_or(format!("{method} {path}: no operationId"))?;
        op["operationId"] = Value::from(format!("{id}_copy{copy}"));
        let into = out["components"]["schemas"]
            .as_object_mut()
            .ok_or("the spec has no components.schemas")?;
        for name in &names {
            let mut schema = schemas[name.as_str()].clone();
            rewrite(&mut schema, &names, &suffix);
            into.insert(format!("{name}{suffix}"), schema);
        }
        let new_path = if path.ends_with('/') {
            format!("{path}copy{copy}/")
        } else {
            format!("{path}/copy{copy}")
        };
        let paths = out["paths"]
            .as_object_mut()
            .ok_or("the spec has no paths")?;
        let item = paths
            .entry(new_path)
            .or_insert_with(|| Value::Object(Default::default()));
        item[method.as_str()] = op;
    }
    Ok(out)
}

/// The files git knows, copied from `root` to `to` (no target/, no .git).
fn copy_crate(root: &Path, to: &Path) -> Result<(), String> {
    if to.exists() {
        std::fs::remove_dir_all(to).map_err(|e| format!("cannot clear {}: {e}", to.display()))?;
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
        let dest = to.join(file);
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::copy(&from, &dest).map_err(|e| format!("cannot copy {file}: {e}"))?;
    }
    Ok(())
}

/// One timed build of the SDK's library.
struct Build {
    seconds: f64,
    /// `OUT_DIR` of the SDK's build script.
    out_dir: Option<PathBuf>,
    /// cargo --timings durations of the SDK's build-script run and lib.
    script_run: Option<f64>,
    lib: Option<f64>,
}

/// `cargo build [--release] --lib --package douyin-goodlife --timings` in
/// `dir`, with `target_dir`.
fn build(dir: &Path, target_dir: &Path, release: bool) -> Result<Build, String> {
    let started = Instant::now();
    let out = Command::new(cargo())
        .args([
            "build",
            "--lib",
            "--package",
            "douyin-goodlife",
            "--timings",
        ])
        .args(release.then_some("--release"))
        .args(["--message-format", "json-render-diagnostics"])
        .env("CARGO_TARGET_DIR", target_dir)
        .env_remove("CARGO_INCREMENTAL")
        .env("CARGO_TERM_COLOR", "never")
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run cargo build: {e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    if !out.status.success() {
        return Err(format!(
            "cargo build --lib in {} failed:\n{}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let out_dir = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["reason"] == "build-script-executed")
        .filter(|m| {
            m["package_id"]
                .as_str()
                .is_some_and(|p| p.contains("douyin-goodlife"))
        })
        .find_map(|m| m["out_dir"].as_str().map(PathBuf::from));
    let (script_run, lib) = sdk_units(&target_dir.join("cargo-timings/cargo-timing.html"));
    Ok(Build {
        seconds,
        out_dir,
        script_run,
        lib,
    })
}

/// The durations of the SDK's build-script run and of its lib in a cargo
/// --timings report.
fn sdk_units(html: &Path) -> (Option<f64>, Option<f64>) {
    let Ok(text) = std::fs::read_to_string(html) else {
        return (None, None);
    };
    let Some(start) = text
        .find("const UNIT_DATA = ")
        .map(|i| i + "const UNIT_DATA = ".len())
    else {
        return (None, None);
    };
    let Some(end) = text[start..].find("\n];").map(|i| i + start + 2) else {
        return (None, None);
    };
    let units: Vec<Value> = serde_json::from_str(&text[start..end]).unwrap_or_default();
    let mut script = None;
    let mut lib = None;
    for u in units.iter().filter(|u| u["name"] == "douyin-goodlife") {
        let target = u["target"].as_str().unwrap_or_default();
        let d = u["duration"].as_f64();
        if target.contains("(run)") {
            script = d;
        } else if target.trim().is_empty() || target.contains("lib") {
            lib = d;
        }
    }
    (script, lib)
}

/// Bytes and lines of the generated `.rs` files in `out_dir`, per file.
fn generated_size(out_dir: &Path) -> Vec<(String, u64, usize)> {
    let mut files: Vec<(String, u64, usize)> = std::fs::read_dir(out_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .filter_map(|e| {
            let text = std::fs::read_to_string(e.path()).ok()?;
            Some((
                e.file_name().to_string_lossy().into_owned(),
                text.len() as u64,
                text.lines().count(),
            ))
        })
        .collect();
    files.sort();
    files
}

/// Least-squares line through `points`: (slope, intercept, R²).
fn fit(points: &[(f64, f64)]) -> (f64, f64, f64) {
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let syy: f64 = points.iter().map(|p| (p.1 - my).powi(2)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let r2 = if sxx > 0.0 && syy > 0.0 {
        sxy * sxy / (sxx * syy)
    } else {
        1.0
    };
    (slope, my - slope * mx, r2)
}

fn kb(bytes: f64) -> String {
    format!("{:.1} kB", bytes / 1e3)
}

fn touch(file: &Path) -> Result<(), String> {
    std::fs::File::options()
        .append(true)
        .open(file)
        .and_then(|f| f.set_modified(SystemTime::now()))
        .map_err(|e| format!("cannot touch {}: {e}", file.display()))
}

/// One size of (g): its operation count and its timed builds.
struct Point {
    ops: usize,
    builds: Vec<Build>,
    size: Vec<(String, u64, usize)>,
}

impl Point {
    fn seconds(&self) -> f64 {
        Spread::of(&self.builds.iter().map(|b| b.seconds).collect::<Vec<_>>())
            .map_or(0.0, |s| s.median)
    }

    fn bytes(&self) -> u64 {
        self.size.iter().map(|f| f.1).sum()
    }
}

/// (g): the release build of the SDK crate at three spec sizes, in
/// `target_dir` (its dependencies are built by a first, untimed build when
/// they are not there yet).
pub(super) fn growth(
    root: &Path,
    target_dir: &Path,
    opts: &Options,
    report: &mut Report,
) -> Result<(), String> {
    let spec_text = std::fs::read_to_string(root.join("openapi/goodlife.yaml"))
        .map_err(|e| format!("openapi/goodlife.yaml: {e}"))?;
    let spec: Value =
        serde_yaml::from_str(&spec_text).map_err(|e| format!("openapi/goodlife.yaml: {e}"))?;
    let n0 = operations(&spec).len();
    let mut sizes = vec![n0];
    for target in [50, 100] {
        if target > *sizes.last().unwrap_or(&0) {
            sizes.push(target);
        }
    }
    let copy = opts.build_dir.with_extension("growth-crate");
    eprintln!(
        "bench: (g) the crate copied to {}, built at {sizes:?} operations in {}",
        copy.display(),
        target_dir.display()
    );
    copy_crate(root, &copy)?;
    let copy_spec = copy.join("openapi/goodlife.yaml");
    let load_before = load_average();
    // Dependencies and the build script's own compilation, untimed.
    let warm = build(&copy, target_dir, true)?;
    let runs = if opts.quick { 1 } else { 2 };
    let mut points = Vec::new();
    for &ops in &sizes {
        let synthetic = synthetic_spec(&spec, ops)?;
        let got = operations(&synthetic).len();
        if got != ops {
            return Err(format!(
                "the synthetic spec has {got} operations, not {ops}"
            ));
        }
        let text = serde_json::to_string_pretty(&synthetic).map_err(|e| e.to_string())?;
        std::fs::write(&copy_spec, text).map_err(|e| e.to_string())?;
        let mut builds = Vec::new();
        for run in 0..runs {
            if run > 0 {
                touch(&copy_spec)?;
            }
            let b = build(&copy, target_dir, true)?;
            eprintln!("bench: (g) {ops} operations: {}", secs(b.seconds));
            builds.push(b);
        }
        let size = builds
            .iter()
            .find_map(|b| b.out_dir.as_deref())
            .or(warm.out_dir.as_deref())
            .map(generated_size)
            .unwrap_or_default();
        points.push(Point { ops, builds, size });
    }
    let _ = std::fs::remove_dir_all(&copy);

    let xy: Vec<(f64, f64)> = points.iter().map(|p| (p.ops as f64, p.seconds())).collect();
    let (slope, intercept, r2) = fit(&xy);
    let segments: Vec<f64> = xy
        .windows(2)
        .map(|w| (w[1].1 - w[0].1) / (w[1].0 - w[0].0))
        .collect();
    let linear = segments.windows(2).all(|s| {
        s[1] <= s[0].abs() * LINEAR_TOLERANCE + 0.05 && s[0] <= s[1].abs() * LINEAR_TOLERANCE + 0.05
    });
    let first = &points[0];
    let last = &points[points.len() - 1];
    let added = (last.ops - first.ops).max(1) as f64;
    let bytes_per_op = (last.bytes() as f64 - first.bytes() as f64) / added;
    let lines_of = |p: &Point| p.size.iter().map(|f| f.2).sum::<usize>() as f64;
    let lines_per_op = (lines_of(last) - lines_of(first)) / added;
    report.rows.push(Row {
        id: "g",
        what: format!(
            "release build of the SDK crate (build script run + lib, dependencies built) as the \
             spec grows: {} operations (the real ones, then copies under new names)",
            sizes
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(" / ")
        ),
        value: format!(
            "{:.2} s per added operation (fit, R² {r2:.3}); {}; generated code {} per operation",
            slope,
            points
                .iter()
                .map(|p| format!("{} ops {}", p.ops, secs(p.seconds())))
                .collect::<Vec<_>>()
                .join(", "),
            kb(bytes_per_op)
        ),
        baseline: format!("the real spec ({n0} operations) {}", secs(first.seconds())),
        ratio: format!(
            "{:.2}× at {} operations",
            last.seconds() / first.seconds().max(0.001),
            last.ops
        ),
        goal: format!("≤ {GROWTH_GOAL} s per operation, linear"),
        verdict: Verdict::from_goal(slope <= GROWTH_GOAL && linear),
        runs: format!("{runs} build(s) per size"),
    });
    let mut notes = vec![
        format!(
            "The synthetic specs: the real spec's {n0} operations, then copies of them in order \
             (`<operationId>_copyN` at `<path>copyN/`), each copy with its own copies of the \
             component schemas it reaches (`<Schema>CopyN`, `$ref`s rewritten; the operations of \
             copy N share them as the originals do; the envelope's `Extra` and `BaseResp` are shared \
             by all, as real endpoints share them), extensions unchanged (pagination, \
             idempotency key and one-of fields name fields, which the copied schemas keep). \
             Written as JSON into a copy of the crate ({}, the files git knows) in place of \
             `openapi/goodlife.yaml`.",
            copy.display()
        ),
        format!(
            "Each size: `cargo build --release --lib --package douyin-goodlife --timings` of the \
             copy with CARGO_TARGET_DIR {}, the dependencies and the build script's binary already \
             built (a first, untimed build), so a build is the build script's run (progenitor \
             over the spec, build/operations.rs) and the SDK's compilation; {runs} build(s) per \
             size (each after setting the spec's modification time), median taken. Load average \
             before: {load_before}.",
            target_dir.display()
        ),
        format!(
            "Least-squares fit over the sizes: {:.3} s per operation + {} (R² {r2:.3}); per-operation \
             cost of each segment: {}; linear = no segment costs more than {LINEAR_TOLERANCE}× \
             another per operation: {}.",
            slope,
            secs(intercept),
            xy.windows(2)
                .zip(&segments)
                .map(|(w, s)| format!("{:.0}→{:.0} ops {s:.3} s/op", w[0].0, w[1].0))
                .collect::<Vec<_>>()
                .join(", "),
            if linear { "yes" } else { "no" }
        ),
    ];
    for p in &points {
        let runs: Vec<f64> = p.builds.iter().map(|b| b.seconds).collect();
        let spread = Spread::of(&runs).map(|s| s.show(secs)).unwrap_or_default();
        let split = |f: fn(&Build) -> Option<f64>| {
            let v: Vec<f64> = p.builds.iter().filter_map(f).collect();
            Spread::of(&v).map_or("?".into(), |s| secs(s.median))
        };
        notes.push(format!(
            "{} operations: wall min/median/max {spread}; of it (cargo --timings, medians) build \
             script run {}, lib {}; generated code {} in {} lines ({}), {} per operation.",
            p.ops,
            split(|b| b.script_run),
            split(|b| b.lib),
            kb(p.bytes() as f64),
            lines_of(p),
            p.size
                .iter()
                .map(|(f, b, l)| format!("{f} {} / {l} lines", kb(*b as f64)))
                .collect::<Vec<_>>()
                .join(", "),
            kb(p.bytes() as f64 / p.ops as f64)
        ));
    }
    notes.push(format!(
        "Generated code per added operation: {} and {lines_per_op:.0} lines (codegen.rs is the \
         types as one line of tokens, so its lines do not count; operations.rs is formatted).",
        kb(bytes_per_op)
    ));
    report.note("g", notes);
    Ok(())
}

/// (h): the dev-profile rebuild of the library after touching the spec, in
/// the checkout and its own target directory, as a developer edits the spec.
pub(super) fn edit_loop(root: &Path, opts: &Options, report: &mut Report) -> Result<(), String> {
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    eprintln!("bench: (h) dev rebuilds after touching the spec");
    let spec = root.join("openapi/goodlife.yaml");
    // Whatever the last edit left: an untimed dev build first.
    build(root, &target_dir, false)?;
    let load_before = load_average();
    let mut builds = Vec::new();
    for _ in 0..if opts.quick { 1 } else { 3 } {
        touch(&spec)?;
        let b = build(root, &target_dir, false)?;
        eprintln!("bench: (h) dev rebuild {}", secs(b.seconds));
        builds.push(b);
    }
    let wall = Spread::of(&builds.iter().map(|b| b.seconds).collect::<Vec<_>>())
        .ok_or("(h) measured nothing")?;
    let part =
        |f: fn(&Build) -> Option<f64>| Spread::of(&builds.iter().filter_map(f).collect::<Vec<_>>());
    let script = part(|b| b.script_run);
    let lib = part(|b| b.lib);
    let show = |s: Option<Spread>| s.map_or("?".into(), |s| s.show(secs));
    report.rows.push(Row {
        id: "h",
        what: "edit-compile loop: `cargo build --lib` (dev profile) after touching the spec".into(),
        value: format!(
            "{} (build script run {}, lib {})",
            secs(wall.median),
            script.map_or("?".into(), |s| secs(s.median)),
            lib.map_or("?".into(), |s| secs(s.median))
        ),
        baseline: "—".into(),
        ratio: "—".into(),
        goal: format!("≤ {EDIT_GOAL} s"),
        verdict: Verdict::from_goal(wall.median <= EDIT_GOAL),
        runs: format!("{} rebuilds", wall.n),
    });
    report.note(
        "h",
        vec![
            format!(
                "In the checkout, CARGO_TARGET_DIR {}: `cargo build --lib --package \
                 douyin-goodlife --timings` (dev profile, incremental as cargo's default, default \
                 features) once untimed, then {} times `openapi/goodlife.yaml`'s modification \
                 time set to now and the same command, timed. Load average before: {load_before}.",
                target_dir.display(),
                wall.n
            ),
            format!(
                "Wall min/median/max {}; of it (cargo --timings) the build script's run \
                 (progenitor over the spec, build/operations.rs, build/tables.rs) {}, the lib's \
                 compilation {}.",
                wall.show(secs),
                show(script),
                show(lib)
            ),
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_operations_and_their_schemas() {
        let spec: Value = serde_json::json!({
            "paths": {
                "/a/": {"get": {"operationId": "a", "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}}},
            },
            "components": {"schemas": {
                "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}},
                "B": {"type": "string"},
                "C": {"type": "string"},
            }}
        });
        let s = synthetic_spec(&spec, 3).unwrap();
        assert_eq!(operations(&s).len(), 3);
        assert_eq!(s["paths"]["/a/copy2/"]["get"]["operationId"], "a_copy2");
        assert_eq!(
            s["paths"]["/a/copy1/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
                ["$ref"],
            "#/components/schemas/ACopy1"
        );
        assert_eq!(
            s["components"]["schemas"]["ACopy2"]["properties"]["b"]["$ref"],
            "#/components/schemas/BCopy2"
        );
        assert!(s["components"]["schemas"].get("CCopy1").is_none());
        let (slope, _, r2) = fit(&[(10.0, 1.0), (50.0, 5.0), (100.0, 10.0)]);
        assert!((slope - 0.1).abs() < 1e-9 && (r2 - 1.0).abs() < 1e-9);
    }
}
