//! (c), the Node peer: Douyin's official Node SDK (npm `@open-dy/open_api_sdk`,
//! pinned in `bench/node/package.json`) against the Rust SDK on
//! `certificate_prepare` (a GET), same server, same run.
//!
//! `npm ci` in `bench/node` (its `node_modules/` is ignored by git) unless the
//! pinned versions are installed there already; then one `whole serve-fixed`
//! process, and for concurrency 1 and 16, runs alternating `whole calls --op
//! prepare` and `node bench/node/prepare_calls.js`, both preparing the
//! sandbox's first scannable code (`whole prepare-code`). Client CPU comes from
//! each client process itself (timed part only), server CPU from
//! `/proc/PID/stat` of the server around each run. Without node or npm, or when
//! the install or a run fails, the rows say "not measured" and why.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::{
    Options, Report, Row, ServerProcess, Spread, Verdict, count, cpu_seconds, f64_of, json_lines,
    median, per_sec,
};

const WHAT_RATE: &str = "`certificate_prepare` (GET) calls/s, concurrency 1 / 16";
const GOAL_RATE: &str = "≥ 5× the Node SDK at 16";
const WHAT_CPU: &str = "`certificate_prepare` client CPU per call, concurrency 1 / 16";
const GOAL_CPU: &str = "≥ 10× less than the Node SDK";
/// The concurrencies measured.
const CONCURRENCY: [usize; 2] = [1, 16];

/// CPU time per call, in µs, with one decimal below 100.
fn cpu_us(x: f64) -> String {
    if x < 100.0 {
        format!("{x:.1} µs")
    } else {
        format!("{x:.0} µs")
    }
}

/// `npm ci` in `bench/node` unless every pinned dependency is installed at
/// its version; returns `node --version`, or why the peer cannot run.
fn install(dir: &Path) -> Result<String, String> {
    let node = Command::new("node")
        .arg("--version")
        .output()
        .map_err(|e| format!("`node` could not run: {e}"))?;
    if !node.status.success() {
        return Err(format!("`node --version` failed ({})", node.status));
    }
    let version = String::from_utf8_lossy(&node.stdout).trim().to_string();
    let manifest = std::fs::read_to_string(dir.join("package.json"))
        .map_err(|e| format!("{}: {e}", dir.join("package.json").display()))?;
    let manifest: Value =
        serde_json::from_str(&manifest).map_err(|e| format!("bench/node/package.json: {e}"))?;
    let installed = manifest["dependencies"].as_object().is_some_and(|deps| {
        deps.iter().all(|(name, pinned)| {
            std::fs::read_to_string(dir.join("node_modules").join(name).join("package.json"))
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                .is_some_and(|p| p["version"] == *pinned)
        })
    });
    if !installed {
        eprintln!("bench: (c) npm ci in bench/node");
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(dir)
            .output()
            .map_err(|e| format!("`npm` could not run: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "`npm ci` in bench/node failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    Ok(version)
}

/// What the runs at one concurrency measured: per run, calls/s and CPU per
/// call (µs) of the client and of the server.
#[derive(Default)]
struct Side {
    rate: Vec<f64>,
    client_cpu: Vec<f64>,
    server_cpu: Vec<f64>,
    errors: f64,
}

impl Side {
    fn push(&mut self, line: &Value, server_cpu_seconds: f64) {
        let calls = f64_of(line, "calls").max(1.0);
        self.rate.push(f64_of(line, "calls_per_second"));
        self.client_cpu
            .push(f64_of(line, "cpu_seconds") * 1e6 / calls);
        self.server_cpu.push(server_cpu_seconds * 1e6 / calls);
        self.errors += f64_of(line, "errors");
    }
}

#[derive(Default)]
struct AtConcurrency {
    sdk: Side,
    node: Side,
    /// Sockets the Node SDK opened during its timed parts (keep-alive: 0).
    node_new_connections: f64,
    node_first_error: Option<String>,
}

struct Measured {
    at: Vec<(usize, AtConcurrency)>,
    package: String,
    runs: usize,
    seconds: u64,
}

fn measure(root: &Path, whole: &Path, runs: usize, seconds: u64) -> Result<Measured, String> {
    let code = json_lines(Command::new(whole).arg("prepare-code"))?
        .last()
        .and_then(|l| l["code"].as_str().map(str::to_string))
        .ok_or("`whole prepare-code` printed no code")?;
    let server = ServerProcess::start(whole, &["serve-fixed"])?;
    let server_pid = server.child.id().to_string();
    let script = root.join("bench/node/prepare_calls.js");
    let mut at = Vec::new();
    let mut package = String::new();
    for c in CONCURRENCY {
        let (cs, secs) = (c.to_string(), seconds.to_string());
        let mut m = AtConcurrency::default();
        for run in 0..runs {
            eprintln!(
                "bench: (c) Node peer, concurrency {c}, run {}/{runs}",
                run + 1
            );
            let before = cpu_seconds(&server_pid);
            let r = json_lines(Command::new(whole).args([
                "calls",
                "--url",
                &server.url,
                "--op",
                "prepare",
                "--code",
                &code,
                "--concurrency",
                &cs,
                "--seconds",
                &secs,
            ]))?;
            let r = r
                .last()
                .ok_or("`whole calls --op prepare` printed nothing")?;
            m.sdk.push(r, cpu_seconds(&server_pid) - before);

            let before = cpu_seconds(&server_pid);
            let n = json_lines(
                Command::new("node")
                    .arg(&script)
                    .args([
                        "--url",
                        &server.url,
                        "--code",
                        &code,
                        "--concurrency",
                        &cs,
                        "--seconds",
                        &secs,
                        "--warmup",
                        "1",
                    ])
                    .current_dir(root.join("bench/node")),
            )
            .map_err(|e| format!("the Node driver failed: {e}"))?;
            let n = n.last().ok_or("the Node driver printed nothing")?;
            m.node.push(n, cpu_seconds(&server_pid) - before);
            m.node_new_connections += f64_of(n, "connections_timed");
            if let Some(e) = n["first_error"].as_str() {
                m.node_first_error.get_or_insert_with(|| e.to_string());
            }
            package = n["package"].as_str().unwrap_or_default().to_string();
        }
        at.push((c, m));
    }
    Ok(Measured {
        at,
        package,
        runs,
        seconds,
    })
}

/// Adds the Node peer's rows and notes to `report`.
pub(super) fn node_peer(
    root: &Path,
    whole: &Path,
    opts: &Options,
    report: &mut Report,
) -> Result<(), String> {
    eprintln!("bench: (c) the Node SDK peer");
    let not_measured = |report: &mut Report, why: String| {
        report.not_measured("c", WHAT_RATE, GOAL_RATE, why);
        report.rows.push(Row {
            id: "c",
            what: WHAT_CPU.into(),
            value: "—".into(),
            baseline: "—".into(),
            ratio: "—".into(),
            goal: GOAL_CPU.into(),
            verdict: Verdict::NotMeasured,
            runs: "—".into(),
        });
    };
    let node_version = match install(&root.join("bench/node")) {
        Ok(v) => v,
        Err(why) => {
            not_measured(report, why);
            return Ok(());
        }
    };
    let (runs, seconds) = if opts.quick { (1, 3) } else { (5, 6) };
    let m = match measure(root, whole, runs, seconds) {
        Ok(m) => m,
        Err(why) => {
            not_measured(report, why);
            return Ok(());
        }
    };
    let ratios =
        |f: fn(&AtConcurrency) -> f64| -> Vec<f64> { m.at.iter().map(|(_, a)| f(a)).collect() };
    let rate_ratio = ratios(|a| median(&a.sdk.rate) / median(&a.node.rate));
    let cpu_ratio = ratios(|a| median(&a.node.client_cpu) / median(&a.sdk.client_cpu));
    let both = |f: &dyn Fn(&AtConcurrency) -> String| -> String {
        m.at.iter()
            .map(|(_, a)| f(a))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    let join = |v: &[f64], unit: &str| -> String {
        v.iter()
            .map(|r| format!("{r:.1}×{unit}"))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    let at16 = CONCURRENCY.iter().position(|&c| c == 16).unwrap_or(0);
    let errors: f64 = m.at.iter().map(|(_, a)| a.sdk.errors + a.node.errors).sum();
    let runs_cell = format!(
        "{} + {} runs of {} s at each concurrency",
        m.runs, m.runs, m.seconds
    );
    let peer = format!("(Node `{}`, {node_version})", m.package);
    report.rows.push(Row {
        id: "c",
        what: WHAT_RATE.into(),
        value: both(&|a| per_sec(median(&a.sdk.rate))),
        baseline: format!("{} {peer}", both(&|a| per_sec(median(&a.node.rate)))),
        ratio: join(&rate_ratio, ""),
        goal: GOAL_RATE.into(),
        verdict: Verdict::from_goal(rate_ratio[at16] >= 5.0 && errors == 0.0),
        runs: runs_cell.clone(),
    });
    report.rows.push(Row {
        id: "c",
        what: WHAT_CPU.into(),
        value: both(&|a| cpu_us(median(&a.sdk.client_cpu))),
        baseline: format!(
            "{} (Node SDK)",
            both(&|a| cpu_us(median(&a.node.client_cpu)))
        ),
        ratio: join(&cpu_ratio, " less"),
        goal: GOAL_CPU.into(),
        verdict: Verdict::from_goal(cpu_ratio.iter().all(|&r| r >= 10.0) && errors == 0.0),
        runs: runs_cell,
    });

    let mut notes = vec![format!(
        "Server: `whole serve-fixed` in its own process (a minimal keep-alive hyper server on \
         127.0.0.1), answering `/oauth/client_token/` and \
         `/goodlife/v1/fulfilment/certificate/prepare/` with the sandbox's own answers, captured \
         from `MockServer` at its start (the prepare answer of its first scannable code, \
         `whole prepare-code`), so that the clients, not the server, are measured. Both clients \
         prepare that code (`?code=`) from C concurrent callers for {} s per run, C = 1 and 16, \
         runs alternating SDK / Node against the same server process. SDK: `whole calls --op \
         prepare` (`Client::certificate_prepare` with `CertificatePrepareRequest::new().with_code(..)`, \
         `credentials(..)`: token fetched once and cached in memory, default multi-threaded tokio \
         runtime, C tasks, one warm-up call per task first). Node: \
         `bench/node/prepare_calls.js` under {node_version}, `{}` as pinned in \
         `bench/node/package.json` / `package-lock.json`, installed by `npm ci`: its `Client` and \
         `CertificatePrepareRequest`, the client token from its credential package's \
         `getClientToken()` (fetched from the server's `/oauth/client_token/` once, then kept in \
         memory) passed as the request's `accessToken`, C async callers on one event loop, after \
         1 s of warm-up (token, connections, V8's compiled code). A call fails when the SDK \
         throws or the answer has no voucher; the Rust SDK checks the envelope and \
         `data.error_code`, the Node script checks `data.error_code` itself.",
        m.seconds, m.package
    )];
    notes.push(
        "The Node SDK has no base-URL option: each method sends to the constant \
         `https://open.douyin.com` (protocol and host are fixed in its code, as is the credential \
         package's token URL). The script points it at the server underneath: \
         `https.Agent.prototype.createConnection` opens a plain TCP connection to the server's \
         port instead of TLS, so neither side pays for TLS and the SDK's own code runs as \
         published. Its HTTP layer (httpx under `@alicloud/tea-typescript`) keeps connections in \
         its own keep-alive agent: C callers reuse C sockets."
            .into(),
    );
    for (c, a) in &m.at {
        let (Some(sr), Some(nr), Some(sc), Some(nc)) = (
            Spread::of(&a.sdk.rate),
            Spread::of(&a.node.rate),
            Spread::of(&a.sdk.client_cpu),
            Spread::of(&a.node.client_cpu),
        ) else {
            continue;
        };
        notes.push(format!(
            "Concurrency {c}: calls/s min/median/max SDK {}, Node {}; client CPU per call SDK {}, \
             Node {}; server CPU per call (its process, same runs) SDK {}, Node {}. Failed calls: \
             SDK {}, Node {}{}. Sockets the Node SDK opened during its timed parts: {}.",
            sr.show(per_sec),
            nr.show(per_sec),
            sc.show(cpu_us),
            nc.show(cpu_us),
            cpu_us(median(&a.sdk.server_cpu)),
            cpu_us(median(&a.node.server_cpu)),
            count(a.sdk.errors),
            count(a.node.errors),
            a.node_first_error
                .as_ref()
                .map_or(String::new(), |e| format!(" (first Node error: {e})")),
            count(a.node_new_connections),
        ));
    }
    if rate_ratio[at16] < 5.0 {
        let a = &m.at[at16].1;
        notes.push(format!(
            "Missed: {:.1}× < 5× at concurrency 16. Per call the SDK client spends {} of CPU and \
             the server {}; on 2 shared cores the SDK's rate is bounded by both together, the Node \
             SDK's by its one event loop ({} per call).",
            rate_ratio[at16],
            cpu_us(median(&a.sdk.client_cpu)),
            cpu_us(median(&a.sdk.server_cpu)),
            cpu_us(median(&a.node.client_cpu)),
        ));
    }
    if cpu_ratio.iter().any(|&r| r < 10.0) {
        notes.push(format!(
            "Missed: client CPU per call {} less than the Node SDK's (goal ≥ 10× at each \
             concurrency).",
            join(&cpu_ratio, "")
        ));
    }
    if errors > 0.0 {
        notes.push(format!(
            "Missed: {} call(s) failed; a run with failed calls meets no goal.",
            count(errors)
        ));
    }
    report.note("c: the Node SDK peer", notes);
    Ok(())
}
