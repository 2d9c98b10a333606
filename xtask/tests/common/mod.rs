//! Shared by the test crates: the real spec with some operations taken out,
//! for tests that import a page whose operation the spec already has.

use std::collections::BTreeSet;

use serde_json::Value;

/// `text` without the path items of `paths`, and without the component
/// schemas that only they referenced. Every other line is kept as it is.
pub fn spec_without(text: &str, paths: &[&str]) -> String {
    let before = xtask::spec::parse(text).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    for path in paths {
        let head = format!("  {path}:");
        let at = lines
            .iter()
            .position(|l| *l == head)
            .unwrap_or_else(|| panic!("{path} is not a path item of the spec"));
        let end = block_end(&lines, at, 2);
        lines.drain(at..end);
    }
    let after = xtask::spec::parse(&(lines.join("\n") + "\n")).unwrap();
    let (was, is) = (reachable(&before), reachable(&after));
    for name in was.difference(&is) {
        let schemas = lines.iter().position(|l| *l == "  schemas:").unwrap();
        let head = format!("    {name}:");
        let at = schemas
            + lines[schemas..]
                .iter()
                .position(|l| *l == head)
                .unwrap_or_else(|| panic!("schema {name} not found in the spec's text"));
        let end = block_end(&lines, at, 4);
        lines.drain(at..end);
    }
    let text = lines.join("\n") + "\n";
    let spec = xtask::spec::parse(&text).unwrap();
    for path in paths {
        assert!(spec["paths"].get(*path).is_none(), "{path} still there");
    }
    text
}

/// The first line after `at` indented `indent` spaces or less.
fn block_end(lines: &[&str], at: usize, indent: usize) -> usize {
    (at + 1..lines.len())
        .find(|&i| {
            let l = lines[i];
            !l.trim().is_empty() && l.len() - l.trim_start().len() <= indent
        })
        .unwrap_or(lines.len())
}

/// The component schemas reachable from outside `components.schemas`.
fn reachable(spec: &Value) -> BTreeSet<String> {
    let mut roots = spec.clone();
    roots["components"]["schemas"] = Value::Null;
    let mut todo = Vec::new();
    refs(&roots, &mut todo);
    let mut seen = BTreeSet::new();
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone()) {
            refs(&spec["components"]["schemas"][name.as_str()], &mut todo);
        }
    }
    seen
}

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x.as_str()) {
                    ("$ref", Some(r)) => {
                        if let Some(name) = r.strip_prefix("#/components/schemas/") {
                            out.push(name.to_string());
                        }
                    }
                    _ => refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}
