//! Parser for a Douyin documentation page saved as text (`docs/pages/*.txt`).
//!
//! The format is what the Douyin Open Platform page looks like when copied as
//! text: a title, a `基本信息` table (`HTTP URL | … |`, `HTTP Method | … |`,
//! `Scope | … |`, `权限要求 | … |`), the request parameters (`请求头`, then
//! `Query…`/`Body…`/`Path…` sections of `name必填Type` / `nameType` lines, each
//! followed by its description lines), a `请求示例` curl line, the response
//! fields (`响应参数`), a one-line JSON `响应示例` and the `错误码` table.

use serde_json::Value;

/// The parameter and field types a page can show after a name.
pub const PAGE_TYPES: &[&str] = &[
    "Boolean", "String", "Struct", "Double", "Object", "Number", "Int64", "Int32", "Int16", "Int8",
    "Float", "Array", "Enum", "Bool", "List", "Long", "Map",
];

/// A page that failed to parse: the 1-based line and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number (0 when the problem is the whole page).
    pub line: usize,
    /// What was expected.
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// One parameter (request) or field (response) line of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Wire name.
    pub name: String,
    /// Page type (`String`, `Int64`, `Struct`, …).
    pub ty: String,
    /// Marked `必填`.
    pub required: bool,
    /// Description lines under it.
    pub description: Vec<String>,
    /// Text of a `示例:` line under it.
    pub example: Option<String>,
    /// The page collapsed its children (`展开子属性`).
    pub collapsed: bool,
    /// 1-based line of the parameter.
    pub line: usize,
}

/// One row of the `错误码` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorRow {
    /// HTTP status column.
    pub status: u16,
    /// Douyin error code.
    pub code: i64,
    /// 错误码描述.
    pub message: String,
    /// 排查建议 (empty when the cell is missing or blank).
    pub advice: String,
    /// 1-based line.
    pub line: usize,
}

/// The `请求示例` curl command, taken apart.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RequestExample {
    /// `--request` method, upper case.
    pub method: Option<String>,
    /// Path of the example URL.
    pub path: String,
    /// Query string pairs of the example URL.
    pub query: Vec<(String, String)>,
    /// The `--data` JSON body.
    pub body: Option<Value>,
    /// 1-based line.
    pub line: usize,
}

/// A parsed documentation page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    /// The page title (first line).
    pub title: String,
    /// Free text between the title and `基本信息`.
    pub intro: Vec<String>,
    /// The `HTTP URL` row.
    pub url: String,
    /// Host of the URL (`open.douyin.com`).
    pub host: String,
    /// Path of the URL (`/goodlife/v1/…/`).
    pub path: String,
    /// The `HTTP Method` row, upper case.
    pub method: String,
    /// The `Scope` row.
    pub scope: String,
    /// The `权限要求` row.
    pub permission: String,
    /// `请求头` lines.
    pub headers: Vec<Param>,
    /// `Query` section lines.
    pub query: Vec<Param>,
    /// `Path` section lines.
    pub path_params: Vec<Param>,
    /// Request `Body` section lines.
    pub body: Vec<Param>,
    /// The `请求示例`.
    pub request_example: Option<RequestExample>,
    /// Top-level response fields (`响应参数`).
    pub response_fields: Vec<Param>,
    /// The `响应示例` JSON.
    pub response_example: Option<Value>,
    /// 1-based line of the response example.
    pub response_example_line: usize,
    /// The `错误码` rows, in page order.
    pub errors: Vec<ErrorRow>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Section {
    Intro,
    BasicInfo,
    Request,
    Headers,
    Query,
    PathParams,
    Body,
    RequestExample,
    Response,
    ResponseBody,
    ResponseExample,
    Errors,
}

/// UI text the page copy contains that carries no information.
const NOISE: &[&str] = &[
    "收藏",
    "我的收藏接口说明",
    "接口说明",
    "暂无",
    "切换单列布局",
    "点击纠错",
    "正常响应示例异常响应示例",
    "正常响应示例",
    "异常响应示例",
];

/// Splits `name必填Type` / `nameType` into (name, required, type).
pub fn param_line(line: &str) -> Option<(String, bool, String)> {
    for ty in PAGE_TYPES {
        let Some(rest) = line.strip_suffix(ty) else {
            continue;
        };
        let (name, required) = match rest.strip_suffix("必填") {
            Some(n) => (n, true),
            None => (rest, false),
        };
        let mut chars = name.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        {
            return Some((name.to_string(), required, ty.to_string()));
        }
    }
    None
}

/// Table cells of `a | b | c |` (the trailing empty cell after the last `|` dropped).
fn cells(line: &str) -> Vec<String> {
    let mut cells: Vec<String> = line.split('|').map(|c| c.trim().to_string()).collect();
    if cells.len() > 1 && cells.last().is_some_and(|c| c.is_empty()) {
        cells.pop();
    }
    cells
}

/// Host and path of `https://host/path?query`.
fn split_url(url: &str) -> (String, String, String) {
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

/// Parses a page. `Err` names the first line that does not fit the format.
pub fn parse(text: &str) -> Result<Page, ParseError> {
    let mut page = Page::default();
    let mut section = Section::Intro;
    let mut basic_info_line = 0;
    let mut json_lines: Vec<(usize, String)> = Vec::new();
    let mut example_lines: Vec<(usize, String)> = Vec::new();
    let mut error_header_seen = false;

    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if n == 1 {
            if line.is_empty() {
                return Err(ParseError {
                    line: 1,
                    message: "the first line must be the page title".into(),
                });
            }
            page.title = line.to_string();
            continue;
        }
        if line.is_empty() {
            continue;
        }
        // Section markers.
        let next = match line {
            "基本信息" => Some(Section::BasicInfo),
            "请求参数" => Some(Section::Request),
            "请求头" => Some(Section::Headers),
            "请求示例" => Some(Section::RequestExample),
            "响应参数" => Some(Section::Response),
            "响应示例" => Some(Section::ResponseExample),
            "错误码" => Some(Section::Errors),
            _ => None,
        };
        let next = next.or_else(|| {
            let in_request = matches!(
                section,
                Section::Request
                    | Section::Headers
                    | Section::Query
                    | Section::PathParams
                    | Section::Body
            );
            let strip = |p: &str| {
                line.strip_prefix(p)
                    .is_some_and(|r| r.is_empty() || r == "展开全部子属性")
            };
            if strip("Body") {
                if in_request {
                    Some(Section::Body)
                } else if section == Section::Response {
                    Some(Section::ResponseBody)
                } else {
                    None
                }
            } else if in_request && strip("Query") {
                Some(Section::Query)
            } else if in_request && strip("Path") {
                Some(Section::PathParams)
            } else {
                None
            }
        });
        if let Some(s) = next {
            if s == Section::BasicInfo {
                basic_info_line = n;
            }
            section = s;
            continue;
        }
        if NOISE.contains(&line) {
            continue;
        }
        match section {
            Section::Intro => page.intro.push(line.to_string()),
            Section::BasicInfo => {
                let c = cells(line);
                if c.len() < 2 {
                    return Err(ParseError {
                        line: n,
                        message: format!("expected a `name | value |` row, found {line:?}"),
                    });
                }
                let value = c[1].clone();
                match c[0].as_str() {
                    "HTTP URL" => page.url = value,
                    "HTTP Method" => page.method = value.to_ascii_uppercase(),
                    "Scope" => page.scope = value,
                    "权限要求" => page.permission = value,
                    _ => {}
                }
            }
            Section::Headers
            | Section::Query
            | Section::PathParams
            | Section::Body
            | Section::ResponseBody => {
                let list = match section {
                    Section::Headers => &mut page.headers,
                    Section::Query => &mut page.query,
                    Section::PathParams => &mut page.path_params,
                    Section::Body => &mut page.body,
                    _ => &mut page.response_fields,
                };
                if let Some((name, required, ty)) = param_line(line) {
                    list.push(Param {
                        name,
                        ty,
                        required,
                        description: Vec::new(),
                        example: None,
                        collapsed: false,
                        line: n,
                    });
                    continue;
                }
                let Some(last) = list.last_mut() else {
                    return Err(ParseError {
                        line: n,
                        message: format!(
                            "expected a parameter line like `name必填String`, found {line:?}"
                        ),
                    });
                };
                if line == "展开子属性" {
                    last.collapsed = true;
                } else if let Some(ex) = line
                    .strip_prefix("示例:")
                    .or_else(|| line.strip_prefix("示例："))
                {
                    last.example = Some(ex.trim().to_string());
                } else {
                    last.description.push(line.to_string());
                }
            }
            Section::Request | Section::Response => {
                return Err(ParseError {
                    line: n,
                    message: format!("unexpected line {line:?} before the first parameter section"),
                });
            }
            Section::RequestExample => example_lines.push((n, line.to_string())),
            Section::ResponseExample => json_lines.push((n, line.to_string())),
            Section::Errors => {
                if !line.contains('|') {
                    continue;
                }
                let c = cells(line);
                if c.first().is_some_and(|h| h.starts_with("HTTP")) {
                    error_header_seen = true;
                    continue;
                }
                if c.iter().all(|x| x.chars().all(|ch| ch == '-' || ch == ':')) {
                    continue;
                }
                if !error_header_seen {
                    return Err(ParseError {
                        line: n,
                        message: "error row before the `HTTP 状态码 | 错误码 | …` header".into(),
                    });
                }
                if c.len() < 3 || c.len() > 4 {
                    return Err(ParseError {
                        line: n,
                        message: format!(
                            "expected `status | code | message | advice |`, found {} cells",
                            c.len()
                        ),
                    });
                }
                let status = c[0].parse::<u16>().map_err(|_| ParseError {
                    line: n,
                    message: format!("HTTP status {:?} is not a number", c[0]),
                })?;
                let code = c[1].parse::<i64>().map_err(|_| ParseError {
                    line: n,
                    message: format!("error code {:?} is not an integer", c[1]),
                })?;
                page.errors.push(ErrorRow {
                    status,
                    code,
                    message: c[2].clone(),
                    advice: c.get(3).cloned().unwrap_or_default(),
                    line: n,
                });
            }
        }
    }

    if page.url.is_empty() {
        return Err(ParseError {
            line: basic_info_line,
            message: "no `HTTP URL | … |` row in the 基本信息 table".into(),
        });
    }
    if page.method.is_empty() {
        return Err(ParseError {
            line: basic_info_line,
            message: "no `HTTP Method | … |` row in the 基本信息 table".into(),
        });
    }
    if !matches!(
        page.method.as_str(),
        "GET" | "POST" | "PUT" | "DELETE" | "PATCH"
    ) {
        return Err(ParseError {
            line: basic_info_line,
            message: format!("unknown HTTP method {:?}", page.method),
        });
    }
    let (host, path, _) = split_url(&page.url);
    if !path.starts_with('/') || path.contains(char::is_whitespace) {
        return Err(ParseError {
            line: basic_info_line,
            message: format!("HTTP URL {:?} has no path", page.url),
        });
    }
    page.host = host;
    page.path = path;

    if let Some((n, _)) = json_lines.first() {
        let joined: String = json_lines
            .iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let v: Value = serde_json::from_str(&joined).map_err(|e| ParseError {
            line: n + e.line() - 1,
            message: format!("response example is not JSON: {e}"),
        })?;
        page.response_example = Some(v);
        page.response_example_line = *n;
    }
    if let Some((n, _)) = example_lines.first() {
        let joined: String = example_lines
            .iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        page.request_example = Some(parse_curl(&joined, *n)?);
    }
    Ok(page)
}

/// Takes apart the page's curl line: `--request M 'URL'`, `--data '{…}'`.
fn parse_curl(s: &str, line: usize) -> Result<RequestExample, ParseError> {
    let mut ex = RequestExample {
        line,
        ..Default::default()
    };
    if let Some(rest) = s.split_once("--request ").map(|(_, r)| r) {
        ex.method = rest
            .split_whitespace()
            .next()
            .map(|m| m.to_ascii_uppercase());
    }
    // The URL: the first quoted text that starts with http or '/'. Pages do not
    // always close the quote, so it ends at the first space, backslash or quote.
    let url = s
        .split('\'')
        .map(str::trim_start)
        .find(|p| p.starts_with("http") || p.starts_with('/'))
        .map(|p| {
            p.split(|c: char| c.is_whitespace() || c == '\\' || c == '\'')
                .next()
                .unwrap_or("")
        })
        .ok_or_else(|| ParseError {
            line,
            message: "request example has no quoted URL".into(),
        })?;
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
    for flag in ["--data-raw '", "--data '", "-d '"] {
        if let Some((_, rest)) = s.split_once(flag) {
            let end = rest.rfind('\'').unwrap_or(rest.len());
            let body: Value = serde_json::from_str(&rest[..end]).map_err(|e| ParseError {
                line,
                message: format!("request example body is not JSON: {e}"),
            })?;
            ex.body = Some(body);
            break;
        }
    }
    Ok(ex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_lines() {
        assert_eq!(
            param_line("account_id必填String"),
            Some(("account_id".into(), true, "String".into()))
        );
        assert_eq!(
            param_line("book_idString"),
            Some(("book_id".into(), false, "String".into()))
        );
        assert_eq!(
            param_line("BaseStruct"),
            Some(("Base".into(), false, "Struct".into()))
        );
        assert_eq!(
            param_line("Rpc-Transit-Life-AccountString"),
            Some(("Rpc-Transit-Life-Account".into(), false, "String".into()))
        );
        assert_eq!(
            param_line("page_dimensionEnum"),
            Some(("page_dimension".into(), false, "Enum".into()))
        );
        assert_eq!(param_line("商户ID"), None);
        assert_eq!(param_line("String"), None);
    }

    #[test]
    fn error_rows_with_missing_advice() {
        let text = "T\n基本信息\nHTTP URL | https://h/p/ |\nHTTP Method | GET |\n错误码\nHTTP 状态码 | 错误码 | 错误码描述 | 排查建议 |\n---|---|---|---|\n200 | 1 | a | b |\n200 | 2 | c | |\n200 | 3 | d |";
        let p = parse(text).unwrap();
        let rows: Vec<_> = p
            .errors
            .iter()
            .map(|r| (r.code, r.message.as_str(), r.advice.as_str(), r.line))
            .collect();
        assert_eq!(
            rows,
            vec![(1, "a", "b", 8), (2, "c", "", 9), (3, "d", "", 10)]
        );
    }

    #[test]
    fn bad_error_code_names_the_line() {
        let text = "T\n基本信息\nHTTP URL | https://h/p/ |\nHTTP Method | GET |\n错误码\nHTTP 状态码 | 错误码 | 错误码描述 | 排查建议 |\n---|---|---|---|\n200 | x1 | a | b |";
        let e = parse(text).unwrap_err();
        assert_eq!(e.line, 8);
        assert!(e.message.contains("\"x1\""), "{e}");
    }

    #[test]
    fn missing_url_is_an_error() {
        let e = parse("T\n基本信息\nHTTP Method | GET |\n").unwrap_err();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn unclosed_url_quote_in_curl() {
        let ex = parse_curl(
            "curl --location --request GET 'https://h/p/?a=1&b=x\\ --header 'x: y' \\",
            7,
        )
        .unwrap();
        assert_eq!(ex.method.as_deref(), Some("GET"));
        assert_eq!(ex.path, "/p/");
        assert_eq!(
            ex.query,
            vec![("a".into(), "1".into()), ("b".into(), "x".into())]
        );
    }
}
