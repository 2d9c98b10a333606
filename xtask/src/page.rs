//! Reader for a Douyin documentation page saved as text (`docs/pages/*.txt`).
//!
//! Douyin publishes three layouts, all read here:
//! * [`Layout::Seed`]: a title line, a `基本信息` table of `name | value |` rows,
//!   parameters as `name必填Type` / `nameType` lines followed by their
//!   description lines, a curl `请求示例`, `响应参数`, a JSON `响应示例` and a
//!   `HTTP 状态码 | 错误码 | …` table.
//! * [`Layout::Newer`]: the site's left menu first (`  • …` lines, the last one
//!   is the title), then a `名称描述` table whose cells each sit on their own
//!   line (`HTTP URL`, then the URL on the next line), then parameters as in
//!   the seed layout.
//! * [`Layout::Older`]: tables of `参数名称 / 参数类型 / 参数描述 / 必需`
//!   columns with one cell per line (empty cells left out).
//!
//! [`read`] never fails: lines it cannot place are listed in
//! [`Page::unplaced`], malformed lines in [`Page::problems`], and a page
//! saved only up to a point is marked [`Page::cut`]. [`parse`] is the strict
//! form for complete pages.

use serde_json::Value;

mod curl;
pub mod json;
mod lines;
mod reader;

pub use curl::split_url;
pub use lines::{param_line, qps_in};

/// The parameter and field types a page can show after a name.
pub const PAGE_TYPES: &[&str] = &[
    "Boolean", "String", "Struct", "Double", "Object", "Number", "Int64", "Int32", "Int16", "Int8",
    "Float", "Array", "Enum", "Bool", "List", "Long", "Map",
];

/// Lower-case type words of the older tables (`string`, `list`, …).
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

/// A line the reader could not place, and the section it sat in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unplaced {
    /// 1-based line number.
    pub line: usize,
    /// The line, trimmed.
    pub text: String,
    /// Why it was not placed.
    pub why: String,
}

/// The layout a page was published in (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// `name | value |` basic info, `name必填Type` parameter lines.
    #[default]
    Seed,
    /// Left menu, then a `名称描述` table with one cell per line.
    Newer,
    /// `参数名称 / 参数类型 / 参数描述 / 必需` tables, one cell per line.
    Older,
}

/// One parameter (request) or field (response) of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Wire name.
    pub name: String,
    /// Type as the page writes it (`String`, `Int64`, `Array<String>`, `list`, …);
    /// empty when the page gives none.
    pub ty: String,
    /// Marked `必填` / `是`.
    pub required: bool,
    /// The page states whether it is required (older tables may leave the cell empty).
    pub required_known: bool,
    /// Description lines under it.
    pub description: Vec<String>,
    /// Text of a `示例:` line under it.
    pub example: Option<String>,
    /// The page collapsed its children (`展开子属性`).
    pub collapsed: bool,
    /// It is on the last line of a cut page (its name, type or cells may be cut).
    pub cut: bool,
    /// 1-based line of the parameter.
    pub line: usize,
}

impl Param {
    fn new(name: &str, ty: &str, required: Option<bool>, line: usize) -> Param {
        Param {
            name: name.to_string(),
            ty: ty.to_string(),
            required: required.unwrap_or(false),
            required_known: required.is_some(),
            description: Vec::new(),
            example: None,
            collapsed: false,
            cut: false,
            line,
        }
    }
}

impl Param {
    /// The bounds its description states: (`最大为50`, `最大200`, `最多20个`,
    /// `不超过100`; `最小传10`, `至少1`) as (max, min).
    pub fn stated_limits(&self) -> (Option<i64>, Option<i64>) {
        let text = self.description.join(" ");
        let after = |words: &[&str]| {
            words.iter().find_map(|w| {
                let i = text.find(w)?;
                let rest =
                    text[i + w.len()..].trim_start_matches(['为', '传', '值', ' ', ':', '：']);
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                digits.parse().ok()
            })
        };
        (
            after(&["最大", "最多", "不超过", "上限"]),
            after(&["最小", "至少", "下限"]),
        )
    }
}

/// One row of an error-code table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorRow {
    /// HTTP status column (200 when the table has none).
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
    /// The `--data` JSON body (the complete part when cut).
    pub body: Option<Value>,
    /// 1-based line.
    pub line: usize,
}

/// Where a page's content sits, in page order; used to say what a cut page lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// `基本信息`.
    BasicInfo,
    /// `请求头`.
    Headers,
    /// `Path`, `Query`, `Body` of the request.
    RequestParams,
    /// `请求示例`.
    RequestExample,
    /// `响应参数`.
    ResponseFields,
    /// `响应示例`.
    ResponseExample,
    /// `错误码`.
    Errors,
}

/// A page as read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    /// The layout it was published in.
    pub layout: Layout,
    /// The page title (first line, or the menu's last item).
    pub title: String,
    /// The site's left menu items (newer layouts).
    pub menu: Vec<String>,
    /// Free text between the title and `基本信息`.
    pub intro: Vec<String>,
    /// Free text of other sections after `基本信息`.
    pub notes: Vec<String>,
    /// The `HTTP URL` cell, as written.
    pub url: String,
    /// Host of the URL (`open.douyin.com`; empty when the page gives a bare path).
    pub host: String,
    /// Path of the URL (`/goodlife/v1/…/`); empty when the page gives none.
    pub path: String,
    /// The URL is on the last line of a cut page and may be cut itself.
    pub path_cut: bool,
    /// The URL is the developer's (a webhook or SPI page: `地址由服务商提供`).
    pub callback: bool,
    /// 1-based line of the URL cell (0 when absent).
    pub url_line: usize,
    /// The `HTTP Method` cell, upper case.
    pub method: String,
    /// The `Scope` cell.
    pub scope: String,
    /// The `Scope` cell is on the last line of a cut page.
    pub scope_cut: bool,
    /// 1-based line of the `Scope` row (0 when the page has none).
    pub scope_line: usize,
    /// The permission the page names: the `申请权限` cell when that row is given,
    /// else the `权限要求` cell's first line that is not an instruction
    /// (`需要申请权限 ,路径:…`); empty when it names none.
    pub permission: String,
    /// Every line of the `权限要求` and `申请权限` cells.
    pub permission_lines: Vec<String>,
    /// `使用限制` lines other than the QPS one (`无` left out).
    pub limits: Vec<String>,
    /// `支持的最大QPS:200` of `使用限制` (else the `接口 SLA` table's figure).
    pub qps: Option<u32>,
    /// 1-based line of the QPS figure.
    pub qps_line: usize,
    /// Every QPS figure the page states, with its line.
    pub qps_figures: Vec<(u32, usize)>,
    /// `请求头` lines.
    pub headers: Vec<Param>,
    /// `Query` section lines.
    pub query: Vec<Param>,
    /// `Path` section lines.
    pub path_params: Vec<Param>,
    /// Request `Body` section lines.
    pub body: Vec<Param>,
    /// Other field tables (`content 内容` of a webhook), by heading.
    pub tables: Vec<(String, Vec<Param>)>,
    /// The `请求示例`.
    pub request_example: Option<RequestExample>,
    /// The request example stops early (command or body cut).
    pub request_example_cut: bool,
    /// Top-level response fields (`响应参数`).
    pub response_fields: Vec<Param>,
    /// The first `响应示例` JSON (the complete part when cut).
    pub response_example: Option<Value>,
    /// The response example stops early.
    pub response_example_cut: bool,
    /// Further response examples (`发码中`, `发码成功`, …).
    pub other_response_examples: Vec<Value>,
    /// 1-based line of the response example.
    pub response_example_line: usize,
    /// The error-code rows, in page order.
    pub errors: Vec<ErrorRow>,
    /// The page ends before its error table: only its top was saved.
    pub cut: bool,
    /// The parts the page shows, in page order.
    pub parts: Vec<Part>,
    /// 1-based number of the last non-empty line.
    pub last_line: usize,
    /// Lines that could not be placed.
    pub unplaced: Vec<Unplaced>,
    /// Malformed lines (a table row that is not one, JSON that is not JSON).
    pub problems: Vec<ParseError>,
    /// 1-based line of `基本信息` (0 when absent).
    pub basic_info_line: usize,
    /// Every integer of 4 or more digits in the page text (error codes named in prose).
    pub numbers: Vec<i64>,
}

impl Page {
    /// The page has a method and a path: an operation.
    pub fn has_operation(&self) -> bool {
        !self.method.is_empty() && !self.path.is_empty() && !self.path_cut
    }

    /// The page shows this part.
    pub fn shows(&self, part: Part) -> bool {
        self.parts.contains(&part)
    }

    /// The page is complete up to and including `part` (something after it is shown).
    pub fn complete_through(&self, part: Part) -> bool {
        !self.cut || self.parts.iter().any(|p| *p > part)
    }

    /// The request parameters of one location are all on the page.
    pub fn request_params_complete(&self) -> bool {
        self.complete_through(Part::RequestParams)
    }

    /// The response fields are all on the page.
    pub fn response_complete(&self) -> bool {
        self.complete_through(Part::ResponseFields) && !self.response_example_cut
    }

    /// What the page lacks, one sentence each (empty for a complete page).
    pub fn lacks(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.title.is_empty() {
            out.push("no title (the menu's last item is a section name)".to_string());
        }
        if self.method.is_empty() {
            out.push("no HTTP Method".into());
        }
        if self.callback {
            out.push(format!(
                "no path: the HTTP URL is the developer's ({})",
                self.url
            ));
        } else if self.path_cut {
            out.push(format!(
                "the HTTP URL is cut at line {} ({})",
                self.url_line, self.url
            ));
        } else if self.path.is_empty() {
            out.push(if self.url_line > 0 {
                "no path: the HTTP URL cell is empty".to_string()
            } else {
                "no HTTP URL".to_string()
            });
        }
        if self.scope_cut {
            out.push(format!("the Scope cell may be cut ({})", self.scope));
        }
        if !self.cut {
            return out;
        }
        let last = self.parts.last().copied();
        let ended = |p: Part| last == Some(p);
        if !self.request_params_complete() {
            out.push(if ended(Part::Headers) {
                "no query or body parameters: the page is cut in the request headers".into()
            } else if ended(Part::RequestParams) {
                "the request parameters are cut: later ones are missing".into()
            } else {
                "no request parameters: the page is cut before them".into()
            });
        }
        if self.request_example.is_none() && !self.complete_through(Part::RequestExample) {
            out.push("no request example: the page is cut before it".into());
        } else if self.request_example_cut {
            out.push("the request example is cut".into());
        }
        if self.response_fields.is_empty() && self.response_example.is_none() {
            out.push("no response fields: the page is cut before them".into());
        } else if self.response_example.is_none() {
            out.push("no response example: the page is cut before it".into());
        } else if self.response_example_cut {
            out.push("no complete response tree: the example is cut (read up to the cut)".into());
        }
        out.push("no error table: the page is cut before 错误码".into());
        out
    }
}

/// Reads a page; never fails (see [`Page::unplaced`] and [`Page::problems`]).
pub fn read(text: &str) -> Page {
    reader::read(text)
}

/// Strict reading for complete pages: `Err` names the first malformed line,
/// or the missing title, URL or method.
pub fn parse(text: &str) -> Result<Page, ParseError> {
    let page = read(text);
    if let Some(e) = page.problems.first() {
        return Err(e.clone());
    }
    if page.title.is_empty() {
        return Err(ParseError {
            line: 1,
            message: "the first line must be the page title".into(),
        });
    }
    if page.url.is_empty() {
        return Err(ParseError {
            line: page.basic_info_line,
            message: "no `HTTP URL | … |` row in the 基本信息 table".into(),
        });
    }
    if page.method.is_empty() {
        return Err(ParseError {
            line: page.basic_info_line,
            message: "no `HTTP Method | … |` row in the 基本信息 table".into(),
        });
    }
    if page.path.is_empty() {
        return Err(ParseError {
            line: page.url_line,
            message: format!("HTTP URL {:?} has no path", page.url),
        });
    }
    Ok(page)
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
        assert_eq!(
            param_line("codes必填Array<String>"),
            Some(("codes".into(), true, "Array<String>".into()))
        );
        assert_eq!(
            param_line("tagsList"),
            Some(("tags".into(), false, "List".into()))
        );
        assert_eq!(param_line("商户ID"), None);
        assert_eq!(param_line("String"), None);
    }

    #[test]
    fn qps_figures() {
        assert_eq!(qps_in("SLA:支持的最大QPS:200;"), Some(200));
        assert_eq!(qps_in("SLA：支持的最大QPS：20；"), Some(20));
        assert_eq!(qps_in("可承载最大qps"), None);
        assert_eq!(qps_in("无"), None);
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
    fn rows_beginning_with_a_bar_and_empty_cells() {
        let p = read(
            "T\n基本信息\n| HTTP URL | https://h/p/ |\n| HTTP Method | get |\n权限要求 |\n|\n| Scope | s.a |\n",
        );
        assert_eq!((p.path.as_str(), p.method.as_str()), ("/p/", "GET"));
        assert_eq!((p.scope.as_str(), p.permission.as_str()), ("s.a", ""));
        assert_eq!(p.unplaced, []);
    }

    #[test]
    fn keys_with_colons_and_instruction_only_permissions() {
        let p = read(
            "T\n基本信息\n名称描述\nHTTP URL：\nhttps://h/p/\nHTTP Method:\nget\nScope | a.b |\n权限要求\n• 需要申请权限 ,路径:控制台\n",
        );
        assert_eq!(
            (p.path.as_str(), p.method.as_str(), p.scope.as_str()),
            ("/p/", "GET", "a.b")
        );
        assert_eq!(p.permission, "");
        assert_eq!(p.permission_lines, ["需要申请权限 ,路径:控制台"]);
        assert_eq!(p.unplaced, []);
    }

    #[test]
    fn cells_per_line_error_table() {
        let p = read(
            "T\n基本信息\n名称描述\nHTTP URL\nhttps://h/p/\nHTTP Method\nPOST\n错误码\nHTTP 状态码错误码错误码描述排查建议\n20010002\n参数错误\n检查参数\n20010003\nkey 不存在\n",
        );
        let rows: Vec<_> = p
            .errors
            .iter()
            .map(|r| (r.status, r.code, r.message.as_str(), r.advice.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                (200, 10002, "参数错误", "检查参数"),
                (200, 10003, "key 不存在", "")
            ]
        );
        assert_eq!(p.layout, Layout::Newer);
    }

    #[test]
    fn every_truncation_reads_without_panic() {
        let text = "抖音开放平台Logo\n  • a\n  • 标题\n    基本信息\n    名称描述\n    HTTP URL\n    https://h/p/\n    HTTP Method\n    POST\n    请求参数\n    Body 请求\n    参数名称\n    参数类型\n    参数描述\n    必需\n    a\n    string\n    说明\n    是\n    请求示例\n    curl --request POST 'https://h/p/' --data '{\"a\":\"x\"}'\n    响应示例\n    { \"data\": {\"a\": [1, 2]}, \"extra\": {} }\n    错误码\n    HTTP 状态码错误码错误码描述排查建议\n    20010002\n    参数错误\n";
        for (i, _) in text.char_indices() {
            let _ = read(&text[..i]);
        }
        let p = read(text);
        assert_eq!(p.body[0].name, "a");
        assert!(p.body[0].required && p.body[0].required_known);
        assert!(!p.cut);
    }
}
