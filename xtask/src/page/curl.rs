//! The `请求示例` curl command, taken apart.

use super::{RequestExample, json};

/// What the curl text gave: the example, or why there is none.
pub enum Curl {
    /// The example; `cut` when the body (or the whole command) stops early.
    Example(RequestExample, bool),
    /// The command stops before its URL.
    CutBeforeUrl,
    /// The body is not JSON (a syntax error, not a cut).
    BadBody(String),
}

/// Host, path and query of `https://host/path?query` or `/path?query`.
pub fn split_url(url: &str) -> (String, String, String) {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let (host, path_query) = if rest.starts_with('/') {
        ("", rest)
    } else {
        match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        }
    };
    let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
    (host.to_string(), path.to_string(), query.to_string())
}

/// Takes apart `curl --request M 'URL' … --data '{…}'`.
pub fn parse(s: &str, line: usize) -> Curl {
    let mut ex = RequestExample {
        line,
        ..Default::default()
    };
    if let Some(rest) = s.split_once("--request ").map(|(_, r)| r) {
        ex.method = rest
            .split_whitespace()
            .next()
            .map(|m| m.trim_matches('\'').to_ascii_uppercase());
    }
    // The URL: the first quoted text that starts with http or '/'. Pages do not
    // always close the quote, so it ends at the first space, backslash or quote.
    let Some(url) = s
        .split('\'')
        .skip(1)
        .map(str::trim_start)
        .find(|p| p.starts_with("http") || p.starts_with('/'))
        .map(|p| {
            p.split(|c: char| c.is_whitespace() || c == '\\' || c == '\'')
                .next()
                .unwrap_or("")
        })
    else {
        return Curl::CutBeforeUrl;
    };
    let (_, path, query) = split_url(url);
    ex.path = path;
    ex.query = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_string(), v.to_string())
        })
        .collect();
    let mut cut = false;
    for flag in ["--data-raw '", "--data '", "-d '"] {
        if let Some((_, rest)) = s.split_once(flag) {
            let (body, closed) = match rest.rfind('\'') {
                Some(end) => (&rest[..end], true),
                None => (rest, false),
            };
            match json::read(body) {
                Ok(e) => {
                    cut = e.cut || !closed;
                    ex.body = e.values.into_iter().next();
                }
                Err(e) => return Curl::BadBody(e.message),
            }
            break;
        }
    }
    if ex.method.is_none() && ex.body.is_some() {
        ex.method = Some("POST".into());
    }
    Curl::Example(ex, cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unclosed_url_quote() {
        let Curl::Example(ex, _) = parse(
            "curl --location --request GET 'https://h/p/?a=1&b=x\\ --header 'x: y' \\",
            7,
        ) else {
            panic!("no example")
        };
        assert_eq!(ex.method.as_deref(), Some("GET"));
        assert_eq!(ex.path, "/p/");
        assert_eq!(
            ex.query,
            vec![("a".into(), "1".into()), ("b".into(), "x".into())]
        );
    }

    #[test]
    fn cut_commands() {
        assert!(matches!(parse("curl --", 3), Curl::CutBeforeUrl));
        let Curl::Example(ex, cut) = parse("curl 'https://h/p/' --data '{\"a\":1,\"b\":[{\"c\"", 3)
        else {
            panic!("no example")
        };
        assert!(cut);
        assert_eq!(ex.method.as_deref(), Some("POST"));
        assert_eq!(ex.body, Some(serde_json::json!({"a": 1, "b": [{}]})));
    }
}
