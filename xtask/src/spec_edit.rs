//! `docs-import --write`: a draft merged into the spec's text. The draft's
//! path item and schemas are inserted as text at the end of `paths` and of
//! `components.schemas`, so the file's order and comments stay as they are;
//! the result is parsed back and checked before it is returned.

use serde_json::Value as Json;
use serde_yaml::{Mapping, Value as Yaml};

use crate::import::{Draft, todo_comments};
use crate::spec;

/// What the merge did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The new spec text.
    pub text: String,
    /// `POST /path/ (operationId)` of the operation added.
    pub operation: String,
    /// Schemas added, by name.
    pub added: Vec<String>,
    /// Draft schemas left out because the spec has an identical one (draft name, spec name).
    pub reused: Vec<(String, String)>,
    /// Operations removed by `--replace`.
    pub replaced: Vec<String>,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// A line that opens a key at `indent` (not blank, not a comment).
fn is_key_at(line: &str, indent: usize) -> bool {
    let t = line.trim_start();
    !t.is_empty() && !t.starts_with('#') && indent_of(line) == indent
}

fn key_of(line: &str) -> String {
    let t = line.trim();
    let k = t.split_once(':').map(|(k, _)| k).unwrap_or(t);
    k.trim_matches(|c| c == '"' || c == '\'').to_string()
}

/// The line range `[start, end)` of the block opened by the key line at
/// `start` (`indent` is that line's indentation); the end is the next line
/// at that indentation or less, with the comments just above it left out.
fn block_end(lines: &[&str], start: usize, indent: usize) -> usize {
    let mut end = lines.len();
    for (i, l) in lines.iter().enumerate().skip(start + 1) {
        let t = l.trim_start();
        if !t.is_empty() && !t.starts_with('#') && indent_of(l) <= indent {
            end = i;
            break;
        }
    }
    // Leave blank lines and comments that precede the next key to it.
    while end > start + 1 {
        let t = lines[end - 1].trim_start();
        if t.is_empty() || (t.starts_with('#') && indent_of(lines[end - 1]) <= indent) {
            end -= 1;
        } else {
            break;
        }
    }
    end
}

/// The child key line `key` at `indent` inside `[from, to)`.
fn find_key(lines: &[&str], from: usize, to: usize, indent: usize, key: &str) -> Option<usize> {
    (from..to).find(|&i| is_key_at(lines[i], indent) && key_of(lines[i]) == key)
}

fn yaml_block(value: &Yaml, indent: usize) -> String {
    let text = serde_yaml::to_string(value).unwrap_or_default();
    let pad = " ".repeat(indent);
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("{pad}{l}\n")
            }
        })
        .collect()
}

/// Replaces `$ref`s to `from` with `to` everywhere in `v`.
fn rename_refs(v: &mut Yaml, from: &str, to: &str) {
    match v {
        Yaml::Mapping(m) => {
            for (k, val) in m.iter_mut() {
                if k.as_str() == Some("$ref") && val.as_str() == Some(from) {
                    *val = Yaml::String(to.to_string());
                } else {
                    rename_refs(val, from, to);
                }
            }
        }
        Yaml::Sequence(items) => items.iter_mut().for_each(|i| rename_refs(i, from, to)),
        _ => {}
    }
}

/// Removes the operation `method` of path `path` from the text lines (and
/// the path item when it is left empty), with the TODO comments above it.
fn remove_operation(lines: &mut Vec<String>, path: &str, method: &str) -> bool {
    let view: Vec<&str> = lines.iter().map(String::as_str).collect();
    let Some(paths) = find_key(&view, 0, view.len(), 0, "paths") else {
        return false;
    };
    let paths_end = block_end(&view, paths, 0);
    let Some(item) = find_key(&view, paths + 1, paths_end, 2, path) else {
        return false;
    };
    let item_end = block_end(&view, item, 2);
    let Some(op) = find_key(&view, item + 1, item_end, 4, method) else {
        return false;
    };
    let op_end = block_end(&view, op, 4);
    let mut start = op;
    while start > item + 1
        && view[start - 1]
            .trim_start()
            .starts_with("# TODO(docs-import)")
    {
        start -= 1;
    }
    lines.drain(start..op_end);
    // An item with no operation left goes too.
    let view: Vec<&str> = lines.iter().map(String::as_str).collect();
    let item_end = block_end(&view, item, 2);
    if !(item + 1..item_end)
        .any(|i| !view[i].trim().is_empty() && !view[i].trim_start().starts_with('#'))
    {
        lines.drain(item..item_end);
    }
    true
}

/// Merges `draft` into the spec text. Refuses an operation the spec already
/// has (same method and path, or same operationId) unless `replace`.
pub fn merge(spec_text: &str, draft: &Draft, file: &str, replace: bool) -> Result<Merged, String> {
    let before = spec::parse(spec_text)?;
    let ops = spec::operations(&before);
    let label = format!(
        "{} {} ({})",
        draft.method.to_ascii_uppercase(),
        draft.path,
        draft.operation_id
    );
    let clashes: Vec<(String, String, String)> = ops
        .iter()
        .filter(|o| {
            (o.path == draft.path && o.method == draft.method) || o.id() == draft.operation_id
        })
        .map(|o| (o.path.to_string(), o.method.to_string(), o.id().to_string()))
        .collect();
    if !clashes.is_empty() && !replace {
        let (p, m, id) = &clashes[0];
        return Err(format!(
            "the spec already has {} {p} ({id}); the draft {label} would overwrite it (use --replace)",
            m.to_ascii_uppercase()
        ));
    }
    let mut lines: Vec<String> = spec_text.lines().map(String::from).collect();
    let mut replaced = Vec::new();
    for (p, m, id) in &clashes {
        if remove_operation(&mut lines, p, m) {
            replaced.push(format!("{} {p} ({id})", m.to_ascii_uppercase()));
        } else {
            return Err(format!(
                "cannot find {} {p} in the spec's text to replace it",
                m.to_ascii_uppercase()
            ));
        }
    }

    // Schemas: reuse an identical one, never two of a name.
    let existing: Json = before["components"]["schemas"].clone();
    let mut doc = draft.doc.clone();
    let mut reused = Vec::new();
    let names: Vec<Yaml> = doc["components"]["schemas"]
        .as_mapping()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let mut keep = Mapping::new();
    // Children come before their parents, so a parent is compared after its
    // children's references were pointed at reused schemas.
    for k in &names {
        let name = k.as_str().unwrap_or_default().to_string();
        let v = doc["components"]["schemas"][name.as_str()].clone();
        let as_json: Json = serde_json::to_value(&v).unwrap_or(Json::Null);
        let same = existing.as_object().and_then(|m| {
            m.iter()
                .find(|(_, e)| **e == as_json)
                .map(|(n, _)| n.clone())
        });
        if let Some(spec_name) = same {
            rename_refs(
                &mut doc,
                &format!("#/components/schemas/{name}"),
                &format!("#/components/schemas/{spec_name}"),
            );
            reused.push((name, spec_name));
            continue;
        }
        if existing.get(&name).is_some() {
            return Err(format!("schema {name} is already in the spec"));
        }
        keep.insert(k.clone(), v);
    }
    let added: Vec<String> = keep
        .keys()
        .filter_map(|k| k.as_str().map(String::from))
        .collect();

    // The operation, under its path item.
    let op = doc["paths"][draft.path.as_str()][draft.method.as_str()].clone();
    let mut method_block = todo_comments(draft, file, 4);
    let mut one = Mapping::new();
    one.insert(Yaml::String(draft.method.clone()), op.clone());
    method_block.push_str(&yaml_block(&Yaml::Mapping(one), 4));

    let view: Vec<&str> = lines.iter().map(String::as_str).collect();
    let paths = find_key(&view, 0, view.len(), 0, "paths").ok_or("the spec has no `paths:`")?;
    if view[paths].trim() != "paths:" {
        return Err("`paths:` is not a block mapping; cannot insert as text".into());
    }
    let paths_end = block_end(&view, paths, 0);
    let insert: (usize, String) = match find_key(&view, paths + 1, paths_end, 2, &draft.path) {
        Some(item) => (block_end(&view, item, 2), method_block),
        None => (paths_end, format!("  {}:\n{method_block}", draft.path)),
    };
    lines.splice(insert.0..insert.0, insert.1.lines().map(String::from));

    if !keep.is_empty() {
        let view: Vec<&str> = lines.iter().map(String::as_str).collect();
        let block = yaml_block(&Yaml::Mapping(keep), 4);
        match find_key(&view, 0, view.len(), 0, "components") {
            Some(c) => {
                let c_end = block_end(&view, c, 0);
                match find_key(&view, c + 1, c_end, 2, "schemas") {
                    Some(sch) if view[sch].trim() == "schemas:" => {
                        let end = block_end(&view, sch, 2);
                        lines.splice(end..end, block.lines().map(String::from));
                    }
                    Some(_) => return Err("`components.schemas` is not a block mapping".into()),
                    None => {
                        let text = format!("  schemas:\n{block}");
                        lines.splice(c_end..c_end, text.lines().map(String::from));
                    }
                }
            }
            None => {
                lines.push("components:".into());
                lines.push("  schemas:".into());
                lines.extend(block.lines().map(String::from));
            }
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');

    // Parse it back: the operation is there as drafted, nothing else moved.
    let after = spec::parse(&text).map_err(|e| format!("the merged spec does not parse: {e}"))?;
    let got = &after["paths"][draft.path.as_str()][draft.method.as_str()];
    let want: Json = serde_json::to_value(&op).map_err(|e| e.to_string())?;
    if *got != want {
        return Err("the merged spec does not hold the drafted operation as drafted".into());
    }
    let count = spec::operations(&after).len();
    let expected = ops.len() + 1 - replaced.len();
    if count != expected {
        return Err(format!(
            "the merged spec has {count} operations, expected {expected}"
        ));
    }
    Ok(Merged {
        text,
        operation: label,
        added,
        reused,
        replaced,
    })
}
