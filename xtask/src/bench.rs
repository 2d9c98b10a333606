//! `cargo xtask bench`: runs every benchmark and writes
//! `BENCHMARKS.md` from what they measured.
//!
//! 1. builds the bench targets (`cargo bench --features mock --no-run`);
//! 2. (a), (b): runs the criterion bench `benches/client.rs` and reads its
//!    samples (`CRITERION_HOME/<group>/<bench>/new/sample.json`);
//! 3. (c): starts the sandbox in its own process (`whole serve-mock`), then
//!    alternates runs of the SDK (`whole calls`) and of the Python SDK
//!    `bytedance` 1.0.0 (`bench/python/voucher_calls.py`, in a venv under
//!    `target/bench/`) against it; then, against `whole serve-fixed`, alternates
//!    `certificate_prepare` runs of the SDK (`whole calls --op prepare`) and of
//!    Douyin's official Node SDK `@open-dy/open_api_sdk` 1.1.0
//!    (`bench/node/prepare_calls.js`, installed by `npm ci` in `bench/node`) at
//!    concurrency 1 and 16 (`bench/node.rs`);
//! 4. (d): `whole token`: 1,000 concurrent calls on a cold client, per run;
//! 5. (e): `whole stream` processes against `whole serve-orders` (page
//!    numbers), and `whole records` against `whole serve-records` (the
//!    verification history's cursor stream);
//! 6. (f): `cargo build --release --lib` in an empty target directory, then
//!    rebuilds after touching `openapi/goodlife.yaml`;
//! 7. (g): the release build of a copy of the crate with synthetic specs of
//!    up to 100 operations, per added operation (`bench/growth.rs`);
//! 8. (h): the dev rebuild after touching the spec (`bench/growth.rs`).
//!
//! Nothing in the report is typed by hand: every number comes from this run.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::time::{Instant, SystemTime};

use serde_json::Value;

mod growth;
mod node;
mod profile;

const USAGE: &str = "\
cargo xtask bench [--quick] [--only LETTERS] [--out FILE] [--build-dir DIR]

  Runs the benchmarks (a)-(h) and writes BENCHMARKS.md (the full run).
  --quick          fewer and shorter runs, for trying things; writes target/bench/BENCHMARKS.quick.md
  --only abcdefgh  only these figures (implies not writing BENCHMARKS.md unless --out is given)
  --out FILE       where to write the report
  --build-dir DIR  the empty target directory of (f), then (g)'s (default /tmp/bench-build-target; it is deleted first)
";

/// Options of one run.
struct Options {
    quick: bool,
    only: String,
    out: PathBuf,
    build_dir: PathBuf,
}

impl Options {
    fn parse(args: &[String], root: &Path) -> Result<Options, String> {
        let mut quick = false;
        let mut only = None;
        let mut out = None;
        let mut build_dir = PathBuf::from("/tmp/bench-build-target");
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--quick" => quick = true,
                "--only" => only = Some(it.next().ok_or("--only needs letters")?.clone()),
                "--out" => out = Some(PathBuf::from(it.next().ok_or("--out needs a file")?)),
                "--build-dir" => {
                    build_dir = PathBuf::from(it.next().ok_or("--build-dir needs a directory")?)
                }
                "-h" | "--help" => return Err(String::new()),
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        let partial = quick || only.is_some();
        let out = out.unwrap_or_else(|| {
            if partial {
                root.join("target/bench/BENCHMARKS.quick.md")
            } else {
                root.join("BENCHMARKS.md")
            }
        });
        Ok(Options {
            quick,
            only: only.unwrap_or_else(|| "abcdefgh".into()),
            out,
            build_dir,
        })
    }

    fn wants(&self, figure: char) -> bool {
        self.only.contains(figure)
    }
}

/// Entry point of `cargo xtask bench`.
pub fn run(args: &[String]) -> ExitCode {
    let root = checkout_root();
    let opts = match Options::parse(args, &root) {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("error: {e}\n");
            }
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run_all(&root, &opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// The checkout the command runs in (`git rev-parse --show-toplevel` from the
/// current directory), else the one this xtask was built from.
fn checkout_root() -> PathBuf {
    Command::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .filter(|p| p.join("Cargo.toml").exists() && p.join("xtask").exists())
        .unwrap_or_else(xtask::root)
}

/// Minimum, median and maximum of a set of measurements.
#[derive(Clone, Copy, Debug)]
struct Spread {
    n: usize,
    min: f64,
    median: f64,
    max: f64,
}

impl Spread {
    fn of(values: &[f64]) -> Option<Spread> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(Spread {
            n,
            min: v[0],
            median,
            max: v[n - 1],
        })
    }

    fn show(&self, unit: fn(f64) -> String) -> String {
        format!(
            "{} / {} / {}",
            unit(self.min),
            unit(self.median),
            unit(self.max)
        )
    }
}

/// A duration in nanoseconds, shown with a fitting unit.
fn time_ns(ns: f64) -> String {
    if ns < 0.0 {
        return format!("−{}", time_ns(-ns));
    }
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn secs(s: f64) -> String {
    format!("{s:.1} s")
}

fn per_sec(x: f64) -> String {
    format!("{x:.0}/s")
}

fn mb(bytes: f64) -> String {
    format!("{:.1} MB", bytes / 1e6)
}

fn count(x: f64) -> String {
    format!("{x:.0}")
}

/// How a figure compares with its goal.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Met,
    Missed,
    NotMeasured,
}

impl Verdict {
    fn from_goal(met: bool) -> Verdict {
        if met { Verdict::Met } else { Verdict::Missed }
    }

    fn word(self) -> &'static str {
        match self {
            Verdict::Met => "**met**",
            Verdict::Missed => "**missed**",
            Verdict::NotMeasured => "**not measured**",
        }
    }
}

/// One line of the table.
struct Row {
    id: &'static str,
    what: String,
    value: String,
    baseline: String,
    ratio: String,
    goal: String,
    verdict: Verdict,
    runs: String,
}

/// The report being assembled.
#[derive(Default)]
struct Report {
    rows: Vec<Row>,
    /// Per-figure notes: how it was measured, spreads, where the time goes.
    notes: Vec<(String, Vec<String>)>,
}

impl Report {
    fn note(&mut self, figure: &str, lines: Vec<String>) {
        self.notes.push((figure.to_string(), lines));
    }

    fn not_measured(&mut self, id: &'static str, what: &str, goal: &str, why: String) {
        self.rows.push(Row {
            id,
            what: what.into(),
            value: "—".into(),
            baseline: "—".into(),
            ratio: "—".into(),
            goal: goal.into(),
            verdict: Verdict::NotMeasured,
            runs: "—".into(),
        });
        self.note(id, vec![format!("Not measured: {why}")]);
    }
}

fn run_all(root: &Path, opts: &Options) -> Result<(), String> {
    let started = Instant::now();
    let bench_dir = root.join("target/bench");
    std::fs::create_dir_all(&bench_dir).map_err(|e| format!("{}: {e}", bench_dir.display()))?;
    let machine = Machine::read(root);
    eprintln!("bench: {}", machine.line());
    let mut report = Report::default();
    let exes = if "abcde".chars().any(|f| opts.wants(f)) {
        eprintln!("bench: building the bench targets (release)");
        Some(build_benches(root)?)
    } else {
        None
    };

    if let Some(exes) = &exes {
        if opts.wants('a') || opts.wants('b') {
            criterion_figures(
                root,
                &exes.client,
                &exes.whole,
                &bench_dir,
                opts,
                &mut report,
            )?;
        }
        if opts.wants('c') {
            python_peer(root, &exes.whole, &bench_dir, opts, &mut report)?;
            node::node_peer(root, &exes.whole, opts, &mut report)?;
        }
        if opts.wants('d') {
            single_flight(&exes.whole, opts, &mut report)?;
        }
        if opts.wants('e') {
            streaming(&exes.whole, opts, &mut report)?;
        }
    }
    if opts.wants('f') {
        build_cost(root, opts, &mut report)?;
    }
    if opts.wants('g') {
        // In (f)'s target directory when (f) ran: its dependencies are built.
        let grown = growth::growth(root, &opts.build_dir, opts, &mut report);
        let _ = std::fs::remove_dir_all(&opts.build_dir);
        grown?;
    }
    if opts.wants('h') {
        growth::edit_loop(root, opts, &mut report)?;
    }

    let load_end = load_average();
    let text = render(
        &machine,
        &load_end,
        started.elapsed().as_secs_f64(),
        opts,
        &report,
    );
    if let Some(dir) = opts.out.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&opts.out, &text).map_err(|e| format!("{}: {e}", opts.out.display()))?;
    println!("{text}");
    eprintln!("bench: wrote {}", opts.out.display());
    Ok(())
}

/// What the report says about the machine and the run.
struct Machine {
    date: String,
    cores: usize,
    cpu: String,
    memory: String,
    rustc: String,
    commit: String,
    load_start: String,
}

impl Machine {
    fn read(root: &Path) -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|rest| rest.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        let cores = std::thread::available_parallelism().map_or(0, usize::from);
        let memory = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                m.lines()
                    .find_map(|l| l.strip_prefix("MemTotal:"))
                    .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            })
            .map_or_else(
                || "unknown".into(),
                |kib| format!("{:.0} GiB", kib / 1024.0 / 1024.0),
            );
        let commit = output_line(
            Command::new("git")
                .args(["rev-parse", "--short", "HEAD"])
                .current_dir(root),
        );
        let dirty = Command::new("git")
            .args(["status", "--porcelain", "--untracked-files=no"])
            .current_dir(root)
            .output()
            .map(|o| !o.stdout.is_empty())
            .unwrap_or(false);
        Machine {
            date: output_line(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])),
            cores,
            cpu,
            memory,
            rustc: output_line(Command::new("rustc").arg("-V")),
            commit: if dirty {
                format!("{commit} (with uncommitted changes)")
            } else {
                commit
            },
            load_start: load_average(),
        }
    }

    fn line(&self) -> String {
        format!(
            "{} cores ({}), {}, {}, commit {}, load {}",
            self.cores, self.cpu, self.memory, self.rustc, self.commit, self.load_start
        )
    }
}

fn output_line(cmd: &mut Command) -> String {
    cmd.output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The 1, 5 and 15-minute load averages.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

struct Executables {
    client: PathBuf,
    whole: PathBuf,
}

/// Builds both bench targets and returns their executables.
fn build_benches(root: &Path) -> Result<Executables, String> {
    let out = Command::new(cargo())
        .args([
            "bench",
            "--features",
            "mock",
            "--no-run",
            "--bench",
            "client",
            "--bench",
            "whole",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(root)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err("building the benches failed".into());
    }
    let mut client = None;
    let mut whole = None;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        let Some(exe) = msg["executable"].as_str() else {
            continue;
        };
        match msg["target"]["name"].as_str() {
            Some("client") => client = Some(PathBuf::from(exe)),
            Some("whole") => whole = Some(PathBuf::from(exe)),
            _ => {}
        }
    }
    Ok(Executables {
        client: client.ok_or("cargo named no executable for bench `client`")?,
        whole: whole.ok_or("cargo named no executable for bench `whole`")?,
    })
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Per-iteration times (ns) of one criterion benchmark: each sample's time
/// divided by its iteration count.
struct Criterion {
    per_iter: Spread,
    iterations: f64,
}

fn read_criterion(dir: &Path, group: &str, bench: &str) -> Result<Criterion, String> {
    let file = dir.join(group).join(bench).join("new/sample.json");
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let nums = |key: &str| -> Vec<f64> {
        v[key]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default()
    };
    let (iters, times) = (nums("iters"), nums("times"));
    let per_iter: Vec<f64> = iters
        .iter()
        .zip(&times)
        .filter(|(i, _)| **i > 0.0)
        .map(|(i, t)| t / i)
        .collect();
    Ok(Criterion {
        per_iter: Spread::of(&per_iter).ok_or_else(|| format!("{}: no samples", file.display()))?,
        iterations: iters.iter().sum(),
    })
}

fn criterion_figures(
    root: &Path,
    exe: &Path,
    whole: &Path,
    bench_dir: &Path,
    opts: &Options,
    report: &mut Report,
) -> Result<(), String> {
    let home = bench_dir.join("criterion");
    let _ = std::fs::remove_dir_all(&home);
    eprintln!("bench: (a) and (b): criterion");
    let mut cmd = Command::new(exe);
    cmd.arg("--bench")
        .current_dir(root)
        .env("CRITERION_HOME", &home);
    if opts.quick {
        cmd.env("BENCH_QUICK", "1");
    }
    if !opts.wants('a') {
        cmd.arg("b_decode");
    } else if !opts.wants('b') {
        cmd.arg("a_order_query");
    }
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    if !status.success() {
        return Err(format!("{} failed ({status})", exe.display()));
    }

    if opts.wants('a') {
        let mut notes = vec![
            "Server: a minimal hyper HTTP/1.1 keep-alive server on 127.0.0.1 (its own thread) \
             answering every request with the same bytes: the sandbox's 50-order page (industry \
             info and `attr_value` on every order). Client side: one single-threaded tokio runtime. \
             `sdk` = `Client::query_reservation_orders` (validation, token, retry loop, deadline, \
             tracing span, envelope check); `baseline` = the same POST hand-written with reqwest + \
             serde_json into the same generated `QueryOrderResponse`, checking HTTP status and both \
             error codes, through a reqwest client built with the SDK's settings. Figures are \
             criterion's per-iteration sample times; the ratio is of the medians."
                .to_string(),
        ];
        for c in [1u32, 64] {
            let group = format!("a_order_query_c{c}");
            let sdk = read_criterion(&home, &group, "sdk")?;
            let base = read_criterion(&home, &group, "baseline")?;
            let ratio = sdk.per_iter.median / base.per_iter.median;
            let unit = if c == 1 {
                "time per call".to_string()
            } else {
                format!("time for {c} concurrent calls")
            };
            // At concurrency 1 the goal is on the SDK's own work (SDK minus
            // baseline), at 64 on the ratio.
            let own = sdk.per_iter.median - base.per_iter.median;
            let (goal, met) = if c == 1 {
                ("SDK's own work ≤ 8 µs", own <= 8_000.0)
            } else {
                ("≤ 1.03×", ratio <= 1.03)
            };
            report.rows.push(Row {
                id: "a",
                what: format!("order query (50-order page), concurrency {c}: {unit}"),
                value: if c == 1 {
                    format!(
                        "{} (own work {})",
                        time_ns(sdk.per_iter.median),
                        time_ns(own)
                    )
                } else {
                    time_ns(sdk.per_iter.median)
                },
                baseline: time_ns(base.per_iter.median),
                ratio: format!("{ratio:.3}×"),
                goal: goal.into(),
                verdict: Verdict::from_goal(met),
                runs: format!("{} + {} samples", sdk.per_iter.n, base.per_iter.n),
            });
            notes.push(format!(
                "Concurrency {c}: sdk {} samples ({} iterations), min/median/max {}; baseline {} samples \
                 ({} iterations), {}. SDK minus baseline: {} per {}.",
                sdk.per_iter.n,
                count(sdk.iterations),
                sdk.per_iter.show(time_ns),
                base.per_iter.n,
                count(base.iterations),
                base.per_iter.show(time_ns),
                time_ns(sdk.per_iter.median - base.per_iter.median),
                if c == 1 { "call".to_string() } else { format!("{c} calls") },
            ));
            if !met {
                notes.push(format!(
                    "Missed at concurrency {c}: the SDK's own work per call is broken down below \
                     (time, then callgrind's instruction counts); criterion runs `baseline` and \
                     `sdk` one after the other, so a change of load between them (see the load \
                     averages above) moves this figure."
                ));
            }
        }
        let http = read_criterion(&home, "a_order_query_c1", "http_only")?;
        let typed = read_criterion(&home, "b_decode", "typed").ok();
        let sdk = read_criterion(&home, "a_order_query_c1", "sdk")?;
        let base = read_criterion(&home, "a_order_query_c1", "baseline")?;
        notes.push(format!(
            "Where a call's time goes (concurrency 1, medians): the HTTP exchange alone (reqwest, \
             body as bytes, no decoding: {} samples) {}; {}the baseline's total {}; the SDK's own \
             work (validation, token, retry loop and deadline timer, tracing span, generated client \
             and hooks, envelope check) adds {} ({:.1}% of the SDK call).",
            http.per_iter.n,
            time_ns(http.per_iter.median),
            typed.map_or(String::new(), |t| format!(
                "typed decode of the page (figure b) {}; ",
                time_ns(t.per_iter.median)
            )),
            time_ns(base.per_iter.median),
            time_ns(sdk.per_iter.median - base.per_iter.median),
            100.0 * (sdk.per_iter.median - base.per_iter.median) / sdk.per_iter.median,
        ));
        match profile::own_work(whole, opts.quick) {
            Ok(lines) => notes.extend(lines),
            Err(e) => notes.push(format!("No instruction profile: {e}.")),
        }
        report.note("a", notes);
    }
    if opts.wants('b') {
        let typed = read_criterion(&home, "b_decode", "typed")?;
        let value = read_criterion(&home, "b_decode", "value")?;
        let speedup = value.per_iter.median / typed.per_iter.median;
        report.rows.push(Row {
            id: "b",
            what: "decode of the 50-order page (`decode::reservation_orders`)".into(),
            value: time_ns(typed.per_iter.median),
            baseline: format!("{} (`Value`)", time_ns(value.per_iter.median)),
            ratio: format!("{speedup:.2}× faster"),
            goal: "≥ 4× faster".into(),
            verdict: Verdict::from_goal(speedup >= 4.0),
            runs: format!("{} + {} samples", typed.per_iter.n, value.per_iter.n),
        });
        let page_len = std::fs::metadata(home.join("page.json"))
            .map(|m| m.len())
            .ok();
        report.note(
            "b",
            vec![
                format!(
                    "The same bytes (the sandbox's 50-order page{}) through \
                     `douyin_goodlife::decode::reservation_orders` (typed decode + envelope check, \
                     exactly what the client does after an HTTP 200) and through \
                     `serde_json::from_slice::<serde_json::Value>`.",
                    page_len.map_or(String::new(), |n| format!(", {n} bytes"))
                ),
                format!(
                    "typed: {} samples ({} iterations), min/median/max {}; Value: {} samples ({} \
                     iterations), {}.",
                    typed.per_iter.n,
                    count(typed.iterations),
                    typed.per_iter.show(time_ns),
                    value.per_iter.n,
                    count(value.iterations),
                    value.per_iter.show(time_ns)
                ),
            ],
        );
    }
    Ok(())
}

/// A server process of the `whole` bench; stops when dropped.
struct ServerProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    url: String,
}

impl ServerProcess {
    fn start(exe: &Path, args: &[&str]) -> Result<ServerProcess, String> {
        let mut child = Command::new(exe)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("server: {e}"))?;
        let url = line
            .trim()
            .strip_prefix("listening ")
            .ok_or_else(|| format!("server said {line:?}"))?
            .to_string();
        Ok(ServerProcess { child, stdin, url })
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // Closing its standard input stops it; kill it if it lingers.
        drop(self.stdin.take());
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a measuring process and returns the JSON lines it printed.
fn json_lines(cmd: &mut Command) -> Result<Vec<Value>, String> {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{cmd:?} failed ({})", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect())
}

/// CPU time (user + system, seconds) of process `pid` from `/proc/PID/stat`
/// (clock ticks of 1/100 s).
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn f64_of(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::NAN)
}

/// Makes the Python venv with the pinned requirements; `Err` says why not.
fn python_venv(root: &Path, bench_dir: &Path) -> Result<PathBuf, String> {
    let venv = bench_dir.join("venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .map_err(|e| format!("`python3 -m venv` could not run: {e}"))?;
        if !status.success() {
            return Err(format!("`python3 -m venv` failed ({status})"));
        }
    }
    let out = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(root.join("bench/python/requirements.txt"))
        .output()
        .map_err(|e| format!("pip could not run: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`pip install -r bench/python/requirements.txt` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(python)
}

/// What alternating SDK / Python runs against one server measured.
#[derive(Default)]
struct PeerRuns {
    rust: Vec<f64>,
    py: Vec<f64>,
    errors: (f64, f64),
    package: String,
    /// CPU time per call (µs): (client, server), for the SDK and for Python.
    cpu_rust: (Vec<f64>, Vec<f64>),
    cpu_py: (Vec<f64>, Vec<f64>),
}

fn median(v: &[f64]) -> f64 {
    Spread::of(v).map_or(f64::NAN, |s| s.median)
}

fn us(x: f64) -> String {
    format!("{x:.0} µs")
}

impl PeerRuns {
    fn cpu_line(&self) -> String {
        format!(
            "CPU time per call (medians of the runs; clients from their own process, the server \
             from /proc/PID/stat of its process; both share the 2 cores): SDK client {} + server \
             {}; Python client {} + server {}.",
            us(median(&self.cpu_rust.0)),
            us(median(&self.cpu_rust.1)),
            us(median(&self.cpu_py.0)),
            us(median(&self.cpu_py.1)),
        )
    }
}

/// `runs` alternating runs of `whole calls` and of the Python driver, 16
/// concurrent callers each, against a server started with `server_args`.
fn peer_runs(
    root: &Path,
    whole: &Path,
    python: &Path,
    server_args: &[&str],
    runs: usize,
    seconds: u64,
) -> Result<PeerRuns, String> {
    let server = ServerProcess::start(whole, server_args)?;
    let server_pid = server.child.id().to_string();
    let mut m = PeerRuns::default();
    for run in 0..runs {
        eprintln!("bench: (c) {} run {}/{runs}", server_args[0], run + 1);
        let server_cpu = cpu_seconds(&server_pid);
        let r = json_lines(Command::new(whole).args([
            "calls",
            "--url",
            &server.url,
            "--concurrency",
            "16",
            "--seconds",
            &seconds.to_string(),
        ]))?;
        let r = r.last().ok_or("`whole calls` printed nothing")?;
        let calls = f64_of(r, "calls").max(1.0);
        m.rust.push(f64_of(r, "calls_per_second"));
        m.errors.0 += f64_of(r, "errors");
        m.cpu_rust.0.push(f64_of(r, "cpu_seconds") * 1e6 / calls);
        m.cpu_rust
            .1
            .push((cpu_seconds(&server_pid) - server_cpu) * 1e6 / calls);

        let server_cpu = cpu_seconds(&server_pid);
        let p = json_lines(
            Command::new(python)
                .arg(root.join("bench/python/voucher_calls.py"))
                .args([
                    "--url",
                    &server.url,
                    "--threads",
                    "16",
                    "--seconds",
                    &seconds.to_string(),
                ]),
        )
        .map_err(|e| format!("the Python driver failed: {e}"))?;
        let p = p.last().ok_or("the Python driver printed nothing")?;
        let calls = f64_of(p, "calls").max(1.0);
        m.py.push(f64_of(p, "calls_per_second"));
        m.errors.1 += f64_of(p, "errors");
        m.cpu_py.0.push(f64_of(p, "cpu_seconds") * 1e6 / calls);
        m.cpu_py
            .1
            .push((cpu_seconds(&server_pid) - server_cpu) * 1e6 / calls);
        m.package = p["package"].as_str().unwrap_or_default().to_string();
    }
    Ok(m)
}

fn python_peer(
    root: &Path,
    whole: &Path,
    bench_dir: &Path,
    opts: &Options,
    report: &mut Report,
) -> Result<(), String> {
    const WHAT: &str = "voucher query calls/s at concurrency 16";
    const GOAL: &str = "≥ 20× the Python SDK";
    eprintln!("bench: (c) the Python SDK peer");
    let python = match python_venv(root, bench_dir) {
        Ok(p) => p,
        Err(why) => {
            report.not_measured("c", WHAT, GOAL, why);
            return Ok(());
        }
    };
    let (runs, seconds) = if opts.quick { (2, 3) } else { (5, 8) };
    let fixed = match peer_runs(root, whole, &python, &["serve-fixed"], runs, seconds) {
        Ok(m) => m,
        Err(why) => {
            report.not_measured("c", WHAT, GOAL, why);
            return Ok(());
        }
    };
    let sandbox_runs = if opts.quick { 1 } else { 3 };
    let sandbox = peer_runs(root, whole, &python, &["serve-mock"], sandbox_runs, seconds);
    let (Some(rs), Some(ps)) = (Spread::of(&fixed.rust), Spread::of(&fixed.py)) else {
        return Err("(c) measured nothing".into());
    };
    let ratio = rs.median / ps.median;
    report.rows.push(Row {
        id: "c",
        what: WHAT.into(),
        value: per_sec(rs.median),
        baseline: format!("{} (Python `{}`)", per_sec(ps.median), fixed.package),
        ratio: format!("{ratio:.1}×"),
        goal: GOAL.into(),
        verdict: Verdict::from_goal(ratio >= 20.0),
        runs: format!("{} + {} runs of {seconds} s", rs.n, ps.n),
    });
    let mut notes = vec![
        format!(
            "Server: `whole serve-fixed`, its own process: a minimal keep-alive hyper server on \
             127.0.0.1 answering `/oauth/client_token/` and the voucher query with the sandbox's \
             own answers (captured from `MockServer` at its start), so that the clients, not the \
             server, are measured. Both clients send `query_user_certificates` for the sandbox's \
             sample user (server's default page of 20 vouchers) from 16 concurrent callers for \
             {seconds} s per run, runs alternating SDK / Python, each after a warm-up call per \
             caller (token fetch, connection). SDK: `credentials(..)` (token fetched once, cached \
             in memory), default multi-threaded tokio runtime, 16 tasks (`whole calls`). Python: \
             `bytedance` 1.0.0's generated \
             `locallife.general_ability.self_operated_trading.write_off.fulfill_tool.query_user_certificates`, \
             pointed at the server with its `api_domains` option, client token fetched from \
             `/oauth/client_token/` through its own cache (`access_token_type` \"file\"), a \
             requests.Session with a pool of 16 connections, 16 threads \
             (`bench/python/voucher_calls.py`, requirements pinned in \
             `bench/python/requirements.txt`)."
        ),
        format!(
            "SDK calls/s min/median/max {}; Python {}. Failed calls: SDK {}, Python {}.",
            rs.show(per_sec),
            ps.show(per_sec),
            count(fixed.errors.0),
            count(fixed.errors.1)
        ),
        format!("Where the time goes: {}", fixed.cpu_line()),
    ];
    match sandbox {
        Ok(sb) => {
            let (r, p) = (median(&sb.rust), median(&sb.py));
            notes.push(format!(
                "The same against the full sandbox (`whole serve-mock`: `MockServer` with its \
                 token, parameter and account checks and request recording), {} run(s) each: SDK \
                 {}, Python {}, ratio {:.1}×. {} There the sandbox's own work bounds the SDK's rate.",
                sb.rust.len(),
                per_sec(r),
                per_sec(p),
                r / p,
                sb.cpu_line()
            ));
        }
        Err(e) => notes.push(format!("Against the full sandbox: not measured ({e}).")),
    }
    if ratio < 20.0 {
        notes.push(format!(
            "Missed: {ratio:.1}× < 20×. Per call the SDK client spends {} of CPU and the server {}; \
             on 2 shared cores the SDK's rate is bounded by both together, Python's by its client \
             ({} per call under one interpreter lock).",
            us(median(&fixed.cpu_rust.0)),
            us(median(&fixed.cpu_rust.1)),
            us(median(&fixed.cpu_py.0)),
        ));
    }
    report.note("c", notes);
    Ok(())
}

fn single_flight(whole: &Path, opts: &Options, report: &mut Report) -> Result<(), String> {
    eprintln!("bench: (d) token single-flight");
    let runs = if opts.quick { 3 } else { 20 };
    let lines = json_lines(Command::new(whole).args([
        "token",
        "--runs",
        &runs.to_string(),
        "--calls",
        "1000",
    ]))?;
    let tokens: Vec<f64> = lines.iter().map(|l| f64_of(l, "token_requests")).collect();
    let ok: Vec<f64> = lines.iter().map(|l| f64_of(l, "calls_ok")).collect();
    let secs_: Vec<f64> = lines.iter().map(|l| f64_of(l, "seconds")).collect();
    let (Some(t), Some(k), Some(s)) = (Spread::of(&tokens), Spread::of(&ok), Spread::of(&secs_))
    else {
        return Err("(d) measured nothing".into());
    };
    let met = t.min == 1.0 && t.max == 1.0 && k.min == 1000.0;
    report.rows.push(Row {
        id: "d",
        what: "1,000 concurrent calls on a cold client: token requests at the server".into(),
        value: if t.min == t.max {
            format!("{} in every run", count(t.min))
        } else {
            format!("{} to {}", count(t.min), count(t.max))
        },
        baseline: "—".into(),
        ratio: "—".into(),
        goal: "exactly 1".into(),
        verdict: Verdict::from_goal(met),
        runs: format!("{} runs", t.n),
    });
    report.note(
        "d",
        vec![
            "Each run: a fresh sandbox (in-process) and a fresh `Client` with `credentials(..)` \
             (no token cached), 1,000 `get_food_order_spu` calls spawned at once on a \
             multi-threaded runtime; the sandbox counts `/oauth/client_token/` requests."
                .into(),
            format!(
                "Token requests min/median/max {}; successful calls per run {}; wall time for the \
                 1,000 calls {}.",
                t.show(count),
                k.show(count),
                s.show(|x| format!("{:.0} ms", x * 1e3))
            ),
        ],
    );
    Ok(())
}

/// One streamed listing of (e): which servers and client modes measure it.
struct Listing {
    /// `whole` server mode, and the client mode that streams from it.
    server: &'static str,
    client: &'static str,
    /// The client's count flag and the JSON key it reports the count in.
    flag: &'static str,
    key: &'static str,
    /// What is streamed (for the row) and one item's name.
    what: &'static str,
    item: &'static str,
    /// How the run is made (for the notes).
    how: &'static str,
}

const LISTINGS: [Listing; 2] = [
    Listing {
        server: "serve-orders",
        client: "stream",
        flag: "--orders",
        key: "orders",
        what: "`orders_stream` (page numbers)",
        item: "order",
        how: "`whole stream`: every order through `orders_stream` (one page in flight, 50 orders \
              a page, each the sandbox's order with industry info, `book_id` unique per page), \
              from `whole serve-orders`",
    },
    Listing {
        server: "serve-records",
        client: "records",
        flag: "--records",
        key: "records",
        what: "`certificate_verify_record_query_stream` (cursor of the last record)",
        item: "record",
        how: "`whole records`: every record of the verification history through the generated \
              cursor stream `certificate_verify_record_query_stream` (one page in flight, 50 \
              records a page, the spec's example record with a unique `verify_id` and `cursor`), \
              from `whole serve-records`",
    },
];

fn streaming(whole: &Path, opts: &Options, report: &mut Report) -> Result<(), String> {
    for listing in &LISTINGS {
        stream_listing(whole, opts, report, listing)?;
    }
    Ok(())
}

fn stream_listing(
    whole: &Path,
    opts: &Options,
    report: &mut Report,
    listing: &Listing,
) -> Result<(), String> {
    eprintln!("bench: (e) streaming, {}", listing.client);
    let (runs, items) = if opts.quick {
        (2, 20_000)
    } else {
        (5, 100_000)
    };
    let server = ServerProcess::start(whole, &[listing.server, "--total", &items.to_string()])?;
    let mut growth = Vec::new();
    let mut per_item = Vec::new();
    let mut before = Vec::new();
    let mut total = Vec::new();
    for run in 0..runs {
        eprintln!("bench: (e) run {}/{runs}", run + 1);
        let lines = json_lines(Command::new(whole).args([
            listing.client,
            "--url",
            &server.url,
            listing.flag,
            &items.to_string(),
        ]))?;
        let l = lines
            .last()
            .ok_or(format!("`whole {}` printed nothing", listing.client))?;
        let rss_before = f64_of(l, "rss_before_kib") * 1024.0;
        let hwm_after = f64_of(l, "hwm_after_kib") * 1024.0;
        growth.push(hwm_after - rss_before);
        before.push(rss_before);
        total.push(f64_of(l, "seconds"));
        per_item.push(f64_of(l, "seconds") * 1e9 / f64_of(l, listing.key));
    }
    drop(server);
    let (Some(g), Some(p), Some(b), Some(t)) = (
        Spread::of(&growth),
        Spread::of(&per_item),
        Spread::of(&before),
        Spread::of(&total),
    ) else {
        return Err("(e) measured nothing".into());
    };
    let pages = items / 50;
    report.rows.push(Row {
        id: "e",
        what: format!(
            "{} over {} {}s ({pages} pages): peak RSS growth; time per {}",
            listing.what,
            count(items as f64),
            listing.item,
            listing.item
        ),
        value: format!(
            "{} (max of runs); {} per {}",
            mb(g.max),
            time_ns(p.median),
            listing.item
        ),
        baseline: format!("RSS before streaming {}", mb(b.median)),
        ratio: "—".into(),
        goal: "growth < 50 MB".into(),
        verdict: Verdict::from_goal(g.max < 50e6),
        runs: format!("{} runs", g.n),
    });
    report.note(
        "e",
        vec![
            format!(
                "{}: each run is its own process ({}), another process on 127.0.0.1 serving {} \
                 in all: `VmRSS` from /proc/self/status before the stream is polled, then every \
                 item, then `VmHWM` (the process's peak). Growth = peak after − RSS before.",
                listing.what,
                listing.how,
                count(items as f64)
            ),
            format!(
                "Growth min/median/max {}; RSS before {}; time per {} {}; whole stream {}.",
                g.show(mb),
                b.show(mb),
                listing.item,
                p.show(time_ns),
                t.show(secs)
            ),
        ],
    );
    Ok(())
}

/// Runs `cargo build --release --lib` with `target_dir`; returns seconds and
/// the number of crates compiled.
fn timed_build(root: &Path, target_dir: &Path, timings: bool) -> Result<(f64, usize), String> {
    let started = Instant::now();
    let out = Command::new(cargo())
        .args([
            "build",
            "--release",
            "--lib",
            "--package",
            "douyin-goodlife",
        ])
        .args(timings.then_some("--timings"))
        .env("CARGO_TARGET_DIR", target_dir)
        .env_remove("CARGO_INCREMENTAL")
        .env("CARGO_TERM_COLOR", "never")
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run cargo build: {e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("cargo build --release --lib failed:\n{stderr}"));
    }
    let compiled = stderr
        .lines()
        .filter(|l| l.trim_start().starts_with("Compiling "))
        .count();
    Ok((seconds, compiled))
}

/// The number of operations in the spec.
fn operation_count(root: &Path) -> usize {
    std::fs::read_to_string(root.join("openapi/goodlife.yaml"))
        .map(|t| t.matches("operationId:").count())
        .unwrap_or(0)
}

/// Writes the floor crate into `dir` (with the SDK's Cargo.lock, so versions
/// match) and times its clean release build in `dir/target`.
fn floor_build(root: &Path, dir: &Path) -> Result<(f64, usize), String> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("src")).map_err(|e| format!("{}: {e}", dir.display()))?;
    let manifest = r#"[package]
name = "floor"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
reqwest = { version = "0.13", default-features = false, features = ["json", "query", "rustls-no-provider"] }
rustls = { version = "0.23", default-features = false, features = ["ring", "std", "tls12"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
tokio = { version = "1", features = ["rt", "time", "sync", "macros"] }
"#;
    let main = r#"#[derive(serde::Deserialize, Debug)]
struct Answer {
    data: Option<serde_json::Value>,
    extra: Option<Extra>,
}

#[derive(serde::Deserialize, Debug)]
struct Extra {
    error_code: Option<i64>,
    logid: Option<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let answer: Result<Answer, _> = async {
        client
            .get("https://open.douyin.com/goodlife/v1/fulfilment/certificate/prepare/")
            .query(&[("code", "1")])
            .send()
            .await?
            .json()
            .await
    }
    .await;
    println!("{answer:?}");
}
"#;
    std::fs::write(dir.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("src/main.rs"), main).map_err(|e| e.to_string())?;
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let out = Command::new(cargo())
        .args(["build", "--release"])
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("CARGO_INCREMENTAL")
        .env("CARGO_TERM_COLOR", "never")
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run cargo build: {e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("the floor crate did not build:\n{stderr}"));
    }
    let compiled = stderr
        .lines()
        .filter(|l| l.trim_start().starts_with("Compiling "))
        .count();
    Ok((seconds, compiled))
}

/// The slowest compilation units of a `cargo build --timings` report, and the
/// sum of all units' durations.
fn slowest_units(html: &Path) -> Result<(Vec<String>, f64), String> {
    let text = std::fs::read_to_string(html).map_err(|e| format!("{}: {e}", html.display()))?;
    let start = text
        .find("const UNIT_DATA = ")
        .ok_or("no UNIT_DATA in the timings report")?
        + "const UNIT_DATA = ".len();
    let end = text[start..].find("\n];").ok_or("UNIT_DATA does not end")? + start + 2;
    let units: Vec<Value> =
        serde_json::from_str(&text[start..end]).map_err(|e| format!("UNIT_DATA: {e}"))?;
    let mut timed: Vec<(f64, String)> = units
        .iter()
        .map(|u| {
            let target = u["target"].as_str().unwrap_or("").trim();
            let name = format!(
                "{} {}{}",
                u["name"].as_str().unwrap_or("?"),
                u["version"].as_str().unwrap_or(""),
                if target.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", target.replace('"', ""))
                }
            );
            (u["duration"].as_f64().unwrap_or(0.0), name)
        })
        .collect();
    let busy = timed.iter().map(|(d, _)| d).sum();
    timed.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok((
        timed
            .iter()
            .take(6)
            .map(|(d, n)| format!("{n} {}", secs(*d)))
            .collect(),
        busy,
    ))
}

fn build_cost(root: &Path, opts: &Options, report: &mut Report) -> Result<(), String> {
    eprintln!(
        "bench: (f) clean release build in {}",
        opts.build_dir.display()
    );
    if opts.build_dir.exists() {
        std::fs::remove_dir_all(&opts.build_dir)
            .map_err(|e| format!("{}: {e}", opts.build_dir.display()))?;
    }
    let load_before = load_average();
    let (clean, crates) = timed_build(root, &opts.build_dir, true)?;
    let slowest = slowest_units(&opts.build_dir.join("cargo-timings/cargo-timing.html"));
    let spec = root.join("openapi/goodlife.yaml");
    let mut rebuilds = Vec::new();
    let mut rebuilt = 0;
    for _ in 0..if opts.quick { 1 } else { 3 } {
        std::fs::File::options()
            .append(true)
            .open(&spec)
            .and_then(|f| f.set_modified(SystemTime::now()))
            .map_err(|e| format!("cannot touch {}: {e}", spec.display()))?;
        let (s, n) = timed_build(root, &opts.build_dir, false)?;
        rebuilds.push(s);
        rebuilt = n;
    }
    if !opts.wants('g') {
        let _ = std::fs::remove_dir_all(&opts.build_dir);
    }
    // The floor, built the same way in the same run: what any typed Douyin
    // client needs without code generation.
    let floor_dir = opts.build_dir.with_extension("floor");
    let (floor, floor_crates) = floor_build(root, &floor_dir)?;
    let _ = std::fs::remove_dir_all(&floor_dir);
    let ratio = clean / floor.max(0.001);
    let r = Spread::of(&rebuilds).ok_or("(f) measured nothing")?;
    report.rows.push(Row {
        id: "f",
        what: format!(
            "clean release build of the library (default features, {} operations); rebuild after touching the spec",
            operation_count(root)
        ),
        value: format!("clean {}; rebuild {}", secs(clean), secs(r.median)),
        baseline: format!("floor crate {}", secs(floor)),
        ratio: format!("{ratio:.2}×"),
        goal: "≤ 1.5× the floor".into(),
        verdict: Verdict::from_goal(ratio <= 1.5),
        runs: format!("1 clean + {} rebuilds; 1 floor", r.n),
    });
    report.note(
        "f",
        vec![format!(
            "The floor: a crate of reqwest (json, query, rustls without a provider) + rustls \
             (ring) + serde + serde_json + tokio (rt, time, sync) with one typed call and no code \
             generation, the SDK's Cargo.lock versions, `cargo build --release` in an empty \
             target directory right after the SDK's: {floor_crates} crates in {}.",
            secs(floor)
        )],
    );
    let mut notes = vec![
        format!(
            "`cargo build --release --lib` (default features: rustls with ring) with \
             CARGO_TARGET_DIR an empty directory ({}): {} crates compiled in {} (1 run: a clean \
             build takes minutes, and the registry sources were already downloaded). Load average \
             when it started: {load_before}.",
            opts.build_dir.display(),
            crates,
            secs(clean)
        ),
        format!(
            "Then `openapi/goodlife.yaml`'s modification time set to now and the same command \
             again, {} times: {} crate(s) rebuilt (build script re-run: progenitor over the spec), \
             min/median/max {}.",
            r.n,
            rebuilt,
            r.show(secs)
        ),
    ];
    match slowest {
        Ok((units, busy)) => notes.push(format!(
            "Where the clean build's time goes (cargo --timings; the units' own durations add up to \
             {} on {} cores for {} of wall time), slowest units: {}.",
            secs(busy),
            std::thread::available_parallelism().map_or(0, usize::from),
            secs(clean),
            units.join("; ")
        )),
        Err(e) => notes.push(format!("cargo --timings could not be read: {e}")),
    }
    if ratio > 1.5 {
        notes.push(format!(
            "Missed: the clean build took {} against the floor's {} ({ratio:.2}×, goal ≤ 1.5×); \
             the slowest units above are where it goes.",
            secs(clean),
            secs(floor)
        ));
    }
    report.note("f", notes);
    Ok(())
}

fn render(
    machine: &Machine,
    load_end: &str,
    elapsed: f64,
    opts: &Options,
    report: &Report,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Benchmarks\n");
    let _ = writeln!(
        s,
        "Written by `cargo xtask bench`{} on {} — every number below comes from that one run; \
         run the command again to refresh this file (do not edit it by hand).\n",
        if opts.quick { " --quick" } else { "" },
        machine.date
    );
    let _ = writeln!(
        s,
        "**Machine:** {} cores, {}, {} memory; {}; commit {}. Load average (1/5/15 min) at the \
         start {}, at the end {}; the run took {:.0} s. Every server is on 127.0.0.1; every loop \
         is bounded in count and time.\n",
        machine.cores,
        machine.cpu,
        machine.memory,
        machine.rustc,
        machine.commit,
        machine.load_start,
        load_end,
        elapsed
    );
    let _ = writeln!(
        s,
        "| # | what | SDK | baseline (same run) | ratio | goal | result | runs |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
    for r in &report.rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.id,
            r.what,
            r.value,
            r.baseline,
            r.ratio,
            r.goal,
            r.verdict.word(),
            r.runs
        );
    }
    let met = report
        .rows
        .iter()
        .filter(|r| r.verdict == Verdict::Met)
        .count();
    let missed: Vec<&str> = report
        .rows
        .iter()
        .filter(|r| r.verdict == Verdict::Missed)
        .map(|r| r.id)
        .collect();
    let _ = writeln!(
        s,
        "\n{met} of {} lines met their goal{}.\n",
        report.rows.len(),
        if missed.is_empty() {
            String::new()
        } else {
            format!("; missed: {}", missed.join(", "))
        }
    );
    let _ = writeln!(s, "## How each figure was measured, runs and spread\n");
    let _ = writeln!(
        s,
        "Spreads are min / median / max over the runs (criterion: over its samples, each the \
         mean of many iterations). Ratios compare medians.\n"
    );
    for (figure, lines) in &report.notes {
        let _ = writeln!(s, "### ({figure})\n");
        for l in lines {
            let _ = writeln!(s, "- {l}");
        }
        let _ = writeln!(s);
    }
    s
}
