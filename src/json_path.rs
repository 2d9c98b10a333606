//! The JSON path of a decode failure, from the position serde_json reports.
//!
//! An answer decodes once, straight from its text (`serde_json::from_str`).
//! When that fails, serde_json's error says where (line and column), not in
//! which field; a walk over the text finds the value there and its path
//! (`data.order_list[0].status`). The generated types' `Deserialize` is then
//! compiled for one deserializer only, not also for a path-tracking wrapper
//! around it: that second copy of every answer type's decoder was a fifth of
//! the library's build.
//!
//! serde_json reports a value's failure just past the value (past the closing
//! quote of a string, the last digit of a number, the `}` of an object missing
//! a field), or at its first byte when it is an array or an object where a
//! scalar is due. The walk returns the innermost value ending there, else the
//! one starting there, else the innermost container holding the position. It
//! is iterative (no recursion on hostile nesting), reads at most the whole
//! text, and never fails: a position it cannot place is the root, `.`.

/// One step of a path: a member of an object or an element of an array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Key(String),
    Index(usize),
}

/// The path as text: keys joined by `.`, indices as `[i]`; `.` for the root.
pub(crate) fn render(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    if out.is_empty() { ".".into() } else { out }
}

/// The path of the value where `error` arose in `text` (the text it was
/// decoded from).
pub(crate) fn of_error(text: &[u8], error: &serde_json::Error) -> Vec<Step> {
    at(text, offset(text, error.line(), error.column()))
}

/// The byte offset of serde_json's position: `line` counts from 1, `column`
/// is the number of bytes read on that line. Clamped to the text.
fn offset(text: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    let mut lines = line.saturating_sub(1);
    while lines > 0 {
        match text[start..].iter().position(|&b| b == b'\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
        lines -= 1;
    }
    start.saturating_add(column).min(text.len())
}

/// An open container: whether it is an array, and where it starts.
#[derive(Clone, Copy)]
struct Open {
    array: bool,
    start: usize,
}

/// The path of the value at byte offset `p` of `text` (see the module doc).
pub(crate) fn at(text: &[u8], p: usize) -> Vec<Step> {
    // `path` holds one step per open container: the member being read.
    let mut path: Vec<Step> = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    let mut starting: Option<Vec<Step>> = None;
    let mut i = 0;
    'value: loop {
        i = skip_ws(text, i);
        let s = i;
        let Some(&b) = text.get(i) else {
            break 'value;
        };
        let mut e = match b {
            b'{' | b'[' => {
                if s == p && starting.is_none() {
                    starting = Some(path.clone());
                }
                let array = b == b'[';
                open.push(Open { array, start: s });
                i = skip_ws(text, i + 1);
                let close = if array { b']' } else { b'}' };
                if text.get(i) == Some(&close) {
                    open.pop();
                    i + 1
                } else if array {
                    path.push(Step::Index(0));
                    continue 'value;
                } else {
                    match key(text, i) {
                        Some((k, next)) => {
                            path.push(Step::Key(k));
                            i = next;
                            continue 'value;
                        }
                        None => break 'value,
                    }
                }
            }
            b'"' => match string_end(text, i) {
                Some(end) => end,
                None => break 'value,
            },
            _ => {
                let end = scalar_end(text, i);
                if end == s {
                    break 'value;
                }
                end
            }
        };
        // The value at `path` spans s..e; then its container goes on.
        let mut s = s;
        loop {
            if e == p {
                return path;
            }
            if e > p {
                if s <= p {
                    return path;
                }
                break 'value;
            }
            let Some(&Open { array, start }) = open.last() else {
                break 'value;
            };
            i = skip_ws(text, e);
            match (text.get(i), array) {
                (Some(b','), true) => {
                    if let Some(Step::Index(n)) = path.last_mut() {
                        *n = n.saturating_add(1);
                    }
                    i += 1;
                    continue 'value;
                }
                (Some(b','), false) => match key(text, skip_ws(text, i + 1)) {
                    Some((k, next)) => {
                        if let Some(last) = path.last_mut() {
                            *last = Step::Key(k);
                        }
                        i = next;
                        continue 'value;
                    }
                    None => break 'value,
                },
                (Some(b']'), true) | (Some(b'}'), false) => {
                    // The container is complete: it is the value now.
                    s = start;
                    e = i + 1;
                    open.pop();
                    path.pop();
                }
                _ => break 'value,
            }
        }
    }
    if let Some(path) = starting {
        return path;
    }
    // Inside a container (between its members) or in text that is not JSON:
    // the innermost open container.
    path.truncate(open.len().saturating_sub(1).min(path.len()));
    path
}

fn skip_ws(text: &[u8], mut i: usize) -> usize {
    while matches!(text.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The end (exclusive) of the string starting at `i`, or `None` when it does
/// not close.
fn string_end(text: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        match text.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
}

/// The end (exclusive) of a number or literal starting at `i`.
fn scalar_end(text: &[u8], i: usize) -> usize {
    let mut j = i;
    while let Some(b) = text.get(j) {
        if matches!(
            b,
            b',' | b']' | b'}' | b':' | b'"' | b' ' | b'\t' | b'\n' | b'\r'
        ) {
            break;
        }
        j += 1;
    }
    j
}

/// An object's key at `i` and the offset just past its `:`.
fn key(text: &[u8], i: usize) -> Option<(String, usize)> {
    if text.get(i) != Some(&b'"') {
        return None;
    }
    let end = string_end(text, i)?;
    let k: String = serde_json::from_slice(&text[i..end]).ok()?;
    let colon = skip_ws(text, end);
    (text.get(colon) == Some(&b':')).then_some((k, colon + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn path_of<T: serde::de::DeserializeOwned>(text: &str) -> String {
        let e = serde_json::from_str::<T>(text).err().expect("decodes");
        render(&of_error(text.as_bytes(), &e))
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Item {
        id: i64,
        name: Option<String>,
        tags: Option<Vec<String>>,
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Page {
        list: Vec<Item>,
        total: Option<u32>,
        inner: Option<Box<Page>>,
    }

    #[test]
    fn a_failing_scalar_is_named_by_its_path() {
        let ok = r#"{"id":1,"name":"a","tags":["x"]}"#;
        let bad = format!(r#"{{"list":[{ok},{{"id":"x"}}],"total":1}}"#);
        assert_eq!(path_of::<Page>(&bad), "list[1].id");
        assert_eq!(path_of::<Page>(r#"{"list":[],"total":-1}"#), "total");
        assert_eq!(path_of::<Page>(r#"{"list":[],"total":1.5}"#), "total");
        assert_eq!(
            path_of::<Page>(r#"{"list":[{"id":1,"tags":["a",7]}]}"#),
            "list[0].tags[1]"
        );
        assert_eq!(
            path_of::<Page>(r#"{"list":[],"inner":{"list":[{"id":null}]}}"#),
            "inner.list[0].id"
        );
        assert_eq!(path_of::<Page>(r#"{"list":[{"id":true}]}"#), "list[0].id");
    }

    #[test]
    fn containers_where_scalars_are_due_and_missing_fields() {
        assert_eq!(
            path_of::<Page>(r#"{"list":[{"id":{"a":1}}]}"#),
            "list[0].id"
        );
        assert_eq!(path_of::<Page>(r#"{"list":[{"id":[1]}]}"#), "list[0].id");
        assert_eq!(path_of::<Page>(r#"{"list":[{"name":"a"}]}"#), "list[0]");
        assert_eq!(path_of::<Page>(r#"{"total":1}"#), ".");
        assert_eq!(path_of::<Page>(r#"{"list":{}}"#), "list");
    }

    #[test]
    fn whitespace_newlines_and_escaped_keys() {
        let text = "{\n  \"list\": [\n    {\"id\": 1},\n    {\"id\": \"z\"}\n  ]\n}";
        assert_eq!(path_of::<Page>(text), "list[1].id");
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Odd {
            #[serde(rename = "a\"b")]
            ab: i64,
        }
        assert_eq!(path_of::<Odd>(r#"{"a\"b":"x"}"#), "a\"b");
    }

    #[test]
    fn text_that_is_not_json_or_is_cut_never_panics() {
        assert_eq!(path_of::<Page>(""), ".");
        assert_eq!(path_of::<Page>("not json"), ".");
        assert_eq!(path_of::<Page>(r#"{"list":[{"id":1"#), "list[0].id");
        for cut in 0..40 {
            let text = r#"{"list":[{"id":1,"tags":["a"]}],"total":"#;
            let _ = render(&at(text.as_bytes(), cut));
        }
        let deep = "[".repeat(100_000);
        assert!(render(&at(deep.as_bytes(), 50_000)).starts_with("[0][0]"));
        assert_eq!(render(&at(b"\"unterminated", 3)), ".");
    }
}
