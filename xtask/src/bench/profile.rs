//! (a) in instructions: `whole hot` under `valgrind --tool=callgrind`, once
//! through the SDK and once through the hand-written baseline, the same
//! number of calls against the same fixed-page server thread. Instruction
//! counts do not move with the machine's load, so the difference per call is
//! the SDK's own work as a repeatable figure, and the functions whose counts
//! differ most are where it goes.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

/// How many functions the note names.
const TOP: usize = 8;

/// The note's lines, or why there is no profile (no valgrind, a failed run).
pub(super) fn own_work(whole: &Path, quick: bool) -> Result<Vec<String>, String> {
    let calls: u64 = if quick { 200 } else { 1000 };
    let dir = std::env::temp_dir().join(format!("goodlife-callgrind-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let result = (|| {
        let sdk = run(whole, &dir, "sdk", calls)?;
        let base = run(whole, &dir, "baseline", calls)?;
        Ok(describe(&sdk, &base, calls))
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Exclusive instruction counts by function, and the program's total.
struct Profile {
    total: u64,
    by_function: HashMap<String, u64>,
}

fn run(whole: &Path, dir: &Path, side: &str, calls: u64) -> Result<Profile, String> {
    eprintln!("bench: (a) callgrind, {side}, {calls} calls");
    let out_file = dir.join(format!("callgrind.{side}"));
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(whole)
        .args(["hot", "--side", side, "--calls", &calls.to_string()])
        .output()
        .map_err(|e| format!("valgrind could not be run ({e})"))?;
    if !status.status.success() {
        return Err(format!(
            "`whole hot --side {side}` under callgrind failed: {}",
            String::from_utf8_lossy(&status.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ));
    }
    let annotated = Command::new("callgrind_annotate")
        .arg("--threshold=100")
        .arg(&out_file)
        .output()
        .map_err(|e| format!("callgrind_annotate could not be run ({e})"))?;
    Ok(parse(&String::from_utf8_lossy(&annotated.stdout)))
}

/// `callgrind_annotate` lines: `  1,234 (12.3%)  file:function [object]`.
fn parse(text: &str) -> Profile {
    let mut total = 0;
    let mut by_function = HashMap::new();
    for line in text.lines() {
        let line = line.trim_start();
        let Some((count, rest)) = line.split_once(' ') else {
            continue;
        };
        let Ok(n) = count.replace(',', "").parse::<u64>() else {
            continue;
        };
        let Some((_, name)) = rest.split_once(")  ") else {
            continue;
        };
        let name = name.rsplit_once(" [").map_or(name, |(n, _)| n).trim();
        if name == "PROGRAM TOTALS" {
            total = n;
        } else {
            // `file:function`: the file ends at the first lone colon.
            let bytes = name.as_bytes();
            let lone = (0..bytes.len()).find(|&i| {
                bytes[i] == b':'
                    && bytes.get(i + 1) != Some(&b':')
                    && (i == 0 || bytes[i - 1] != b':')
            });
            let short = lone.map_or(name, |i| &name[i + 1..]);
            *by_function.entry(short.to_string()).or_insert(0) += n;
        }
    }
    Profile { total, by_function }
}

fn describe(sdk: &Profile, base: &Profile, calls: u64) -> Vec<String> {
    let per_call = |n: i64| n as f64 / calls as f64;
    let own = per_call(sdk.total as i64 - base.total as i64);
    let mut diff: Vec<(i64, &str)> = sdk
        .by_function
        .iter()
        .map(|(f, &n)| {
            let b = base.by_function.get(f).copied().unwrap_or(0);
            (n as i64 - b as i64, f.as_str())
        })
        .collect();
    diff.sort_by_key(|d| std::cmp::Reverse(d.0));
    let top: Vec<String> = diff
        .iter()
        .take(TOP)
        .map(|(n, f)| format!("{} ({:.0})", shorten(f), per_call(*n)))
        .collect();
    vec![
        format!(
            "The SDK's own work in instructions (callgrind, `whole hot`: {calls} calls through \
             the SDK, then {calls} through the baseline, against the same fixed-page server \
             thread): SDK {:.0} instructions per call, baseline {:.0}; the SDK adds {own:.0} \
             per call ({:.1}%).",
            per_call(sdk.total as i64),
            per_call(base.total as i64),
            100.0 * own / per_call(base.total as i64).max(1.0),
        ),
        format!(
            "Where those instructions go (the {TOP} functions whose own counts grow most from \
             baseline to SDK, instructions per call): {}.",
            top.join("; ")
        ),
    ]
}

/// A function name without generic parameters (a leading `<Type as
/// Trait>` kept) and closure suffixes.
fn shorten(name: &str) -> String {
    let qualified = name.starts_with('<');
    let keep = if qualified { 1 } else { 0 };
    let mut out = String::new();
    let mut depth = 0usize;
    for ch in name.chars() {
        match ch {
            '<' => {
                depth += 1;
                if depth <= keep {
                    out.push(ch);
                }
            }
            '>' => {
                if depth <= keep {
                    out.push(ch);
                }
                depth = depth.saturating_sub(1);
            }
            _ if depth <= keep => out.push(ch),
            _ => {}
        }
    }
    let out = out.replace("::{{closure}}", "").replace("`", "'");
    format!("`{}`", out.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotate_lines_are_read_and_differences_ranked() {
        let sdk = parse(
            "2,000 (100.0%)  PROGRAM TOTALS\n\
             1,500 (75.00%)  ./malloc/malloc.c:_int_malloc [/usr/lib/libc.so.6]\n\
             500 (25.00%)  ???:douyin_goodlife::operation::encode [/x/whole]\n",
        );
        let base = parse(
            "1,200 (100.0%)  PROGRAM TOTALS\n\
             1,200 (100.0%)  ./malloc/malloc.c:_int_malloc [/usr/lib/libc.so.6]\n",
        );
        assert_eq!(sdk.total, 2000);
        assert_eq!(sdk.by_function["_int_malloc"], 1500);
        let lines = describe(&sdk, &base, 100);
        assert!(lines[0].contains("the SDK adds 8 per call"), "{}", lines[0]);
        assert!(
            lines[1].contains("`douyin_goodlife::operation::encode` (5); `_int_malloc` (3)"),
            "{}",
            lines[1]
        );
    }

    #[test]
    fn generic_parameters_are_dropped_from_names() {
        assert_eq!(
            shorten("<tracing::instrument::Instrumented<T> as Future>::poll"),
            "`<tracing::instrument::Instrumented as Future>::poll`"
        );
        assert_eq!(
            shorten("douyin_goodlife::client::Client::execute::{{closure}}"),
            "`douyin_goodlife::client::Client::execute`"
        );
    }
}
