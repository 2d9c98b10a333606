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

pub use curl::split_url;

/// The parameter and field types a page can show after a name.
pub const PAGE_TYPES: &[&str] = &[
    "Boolean", "String", "Struct", "Double", "Object", "Number", "Int64", "Int32", "Int16", "Int8",
    "Float", "Array", "Enum", "Bool", "List", "Long", "Map",
];

/// Lower-case type words of the older tables (`string`, `list`, …).
const TABLE_TYPES: &[&str] = &[
    "string", "int", "int8", "int16", "int32", "int64", "integer", "long", "bool", "boolean",
    "float", "double", "number", "struct", "object", "list", "array", "map", "enum",
];

/// Column headings of the one-cell-per-line tables.
const COLUMN_WORDS: &[&str] = &[
    "参数名称",
    "参数类型",
    "参数描述",
    "必需",
    "必须",
    "必填",
    "参数",
    "描述",
    "字段",
    "类型",
    "说明",
    "值设置",
    "示例",
    "是否必填",
];

/// A malformed line (or a whole-page problem when `line` is 0).
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
    /// The `权限要求` cell's first line (the `申请权限` cell when that row is given).
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

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Section {
    Intro,
    Text,
    Limits,
    Sla,
    BasicInfo,
    Request,
    Headers,
    Query,
    PathParams,
    Body,
    Table,
    RequestExample,
    Response,
    ResponseBody,
    ResponseExample,
    Errors,
}

/// Lines of the page copy that carry no information.
const NOISE: &[&str] = &[
    "抖音开放平台Logo",
    "开发者文档",
    "“/”唤起搜索",
    "控制台",
    "收藏",
    "我的收藏",
    "暂无",
    "暂无数据",
    "切换单列布局",
    "点击纠错",
    "正常响应示例异常响应示例",
    "正常响应示例",
    "异常响应示例",
    "名称 | 描述 |",
    "名称描述",
    "请求响应",
];

/// Headings of free-text sections.
const TEXT_HEADINGS: &[&str] = &[
    "接口说明",
    "开票说明",
    "业务场景",
    "注意事项",
    "签名规则",
    "场景和接口",
    "开发者响应请求",
    "验签方式",
];

/// Basic-info row names.
const BASIC_KEYS: &[&str] = &["HTTP URL", "HTTP Method", "Scope", "权限要求", "申请权限"];

/// Splits `name必填Type` / `nameType` / `nameArray<String>` into (name, required, type).
pub fn param_line(line: &str) -> Option<(String, bool, String)> {
    let mut candidates: Vec<(&str, &str)> = Vec::new();
    if line.ends_with('>') {
        for generic in ["Array<", "List<", "Map<"] {
            if let Some(i) = line.rfind(generic) {
                candidates.push((&line[..i], &line[i..]));
            }
        }
    }
    for ty in PAGE_TYPES {
        if let Some(rest) = line.strip_suffix(ty) {
            candidates.push((rest, &line[rest.len()..]));
        }
    }
    for (rest, ty) in candidates {
        let (name, required) = match rest.strip_suffix("必填") {
            Some(n) => (n, true),
            None => (rest, false),
        };
        if is_name(name) {
            return Some((name.to_string(), required, ty.to_string()));
        }
    }
    None
}

/// A wire name: ASCII letters, digits, `_`, `-`, `.`, not starting with a digit.
fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '.')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
}

fn is_table_type(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    TABLE_TYPES.contains(&l.as_str())
        || ((l.starts_with("array<") || l.starts_with("list<") || l.starts_with("map<"))
            && l.ends_with('>'))
}

/// `是` / `否` / `是(仅作应用标识用)` / `是 验签用` → required.
fn required_cell(s: &str) -> Option<bool> {
    for (word, v) in [("是", true), ("否", false), ("必填", true), ("选填", false)] {
        if let Some(rest) = s.strip_prefix(word)
            && (rest.is_empty() || rest.starts_with(['(', '（', ' ', ',', '，']))
        {
            return Some(v);
        }
    }
    None
}

/// Table cells of `a | b | c |` (an empty cell before a leading `|` and after
/// the last `|` dropped).
fn cells(line: &str) -> Vec<String> {
    let line = line.strip_prefix('|').unwrap_or(line);
    let mut cells: Vec<String> = line.split('|').map(|c| c.trim().to_string()).collect();
    while cells.len() > 1 && cells.last().is_some_and(|c| c.is_empty()) {
        cells.pop();
    }
    cells
}

/// `支持的最大QPS:200` / `QPS：200` / `最大qps 500` → 200.
pub fn qps_in(line: &str) -> Option<u32> {
    let lower = line.to_ascii_lowercase();
    let i = lower.find("qps")?;
    let rest = &line[i + 3..];
    let rest = rest.trim_start_matches([' ', ':', '：', '=', '为']);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Heading of a line, given whether the response part has begun.
fn heading(line: &str, in_response: bool) -> Option<Section> {
    let strip = |p: &str| {
        line.strip_prefix(p)
            .is_some_and(|r| r.is_empty() || r == "展开全部子属性" || r == " 请求" || r == " 参数")
    };
    Some(match line {
        "基本信息" => Section::BasicInfo,
        "请求参数" => Section::Request,
        "请求头" | "请求头字段" | "Header 中的 sign 参数" => Section::Headers,
        "请求体字段" => Section::Body,
        "URL 中的参数" => Section::Query,
        "请求示例" | "请求体示例" => Section::RequestExample,
        "响应参数" => Section::Response,
        "错误码" => Section::Errors,
        "使用限制" => Section::Limits,
        "接口 SLA" | "接口SLA" => Section::Sla,
        l if TEXT_HEADINGS.contains(&l) => Section::Text,
        l if l.ends_with("响应示例") && l.chars().count() <= 12 => Section::ResponseExample,
        _ if strip("Body") => {
            if in_response {
                Section::ResponseBody
            } else {
                Section::Body
            }
        }
        _ if strip("Query") => Section::Query,
        _ if strip("Path") => Section::PathParams,
        _ => return None,
    })
}

fn part_of(s: Section) -> Option<Part> {
    Some(match s {
        Section::BasicInfo => Part::BasicInfo,
        Section::Headers => Part::Headers,
        Section::Query | Section::PathParams | Section::Body => Part::RequestParams,
        Section::RequestExample => Part::RequestExample,
        Section::ResponseBody => Part::ResponseFields,
        Section::ResponseExample => Part::ResponseExample,
        Section::Errors => Part::Errors,
        _ => return None,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ErrorTable {
    None,
    /// `status | code | message | advice |` (or without the status column).
    Pipe {
        status: bool,
    },
    /// `HTTP 状态码错误码错误码描述排查建议`, then `20010002`, message, advice lines.
    Cells,
}

struct Reader {
    page: Page,
    section: Section,
    in_response: bool,
    basic_key: Option<&'static str>,
    /// One-cell-per-line table state of the current parameter section.
    table_columns: Vec<String>,
    table_row_open: bool,
    error_table: ErrorTable,
    /// Error row of the cell layout awaiting message / advice: (index, cells seen).
    error_cells: Option<usize>,
    sla_pending: bool,
    request_lines: Vec<(usize, String)>,
    /// Response example blocks (separated by label lines).
    response_blocks: Vec<Vec<(usize, String)>>,
    table_heading: Option<String>,
    content_started: bool,
    revision: usize,
    qps_from_limit: bool,
}

/// Reads a page; never fails (see [`Page::unplaced`] and [`Page::problems`]).
pub fn read(text: &str) -> Page {
    let lines: Vec<&str> = text.lines().collect();
    let mut r = Reader {
        page: Page::default(),
        section: Section::Intro,
        in_response: false,
        basic_key: None,
        table_columns: Vec::new(),
        table_row_open: false,
        error_table: ErrorTable::None,
        error_cells: None,
        sla_pending: false,
        request_lines: Vec::new(),
        response_blocks: Vec::new(),
        table_heading: None,
        content_started: false,
        revision: 0,
        qps_from_limit: false,
    };
    r.page.last_line = lines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map(|i| i + 1)
        .unwrap_or(0);
    let mut numbers = Vec::new();
    for (i, raw) in lines.iter().enumerate() {
        r.line(i + 1, raw, &lines[i + 1..]);
        collect_numbers(raw, &mut numbers);
    }
    numbers.sort_unstable();
    numbers.dedup();
    r.page.numbers = numbers;
    r.finish()
}

fn collect_numbers(line: &str, out: &mut Vec<i64>) {
    for tok in line.split(|c: char| !c.is_ascii_digit()) {
        if tok.len() >= 4
            && tok.len() <= 12
            && let Ok(n) = tok.parse()
        {
            out.push(n);
        }
    }
}

impl Reader {
    fn unplaced(&mut self, n: usize, line: &str, why: &str) {
        self.page.unplaced.push(Unplaced {
            line: n,
            text: line.to_string(),
            why: why.to_string(),
        });
    }

    fn problem(&mut self, n: usize, message: String) {
        self.page.problems.push(ParseError { line: n, message });
    }

    fn line(&mut self, n: usize, raw: &str, rest: &[&str]) {
        let line = raw.trim();
        if line.is_empty() {
            return;
        }
        // The site's left menu: `  • item` (two spaces; deeper bullets are content).
        if raw.starts_with("  •") && !raw.starts_with("   ") {
            if self.content_started {
                self.new_revision();
            }
            let item = line.trim_start_matches('•').trim();
            if self.revision == 0 {
                self.page.menu.push(item.to_string());
                self.page.layout = Layout::Newer;
            }
            return;
        }
        if line == "抖音开放平台Logo" && self.content_started {
            self.new_revision();
            return;
        }
        // `我的收藏接口说明`, `我的收藏抖音侧向…`, `发券收藏我的收藏`.
        let mut line = line;
        for p in ["我的收藏", "收藏"] {
            if let Some(r) = line.strip_prefix(p)
                && !r.is_empty()
            {
                line = r;
                break;
            }
        }
        if NOISE.contains(&line) {
            return;
        }
        if !self.content_started {
            self.content_started = true;
            if self.page.title.is_empty() && self.revision == 0 {
                let from_menu = self.page.menu.last().cloned();
                match from_menu {
                    Some(m) if !TEXT_HEADINGS.contains(&m.as_str()) => self.page.title = m,
                    Some(_) => {}
                    None if heading(line, false).is_none() => {
                        let t = line
                            .strip_suffix("收藏我的收藏")
                            .or_else(|| line.strip_suffix("收藏"))
                            .unwrap_or(line);
                        self.page.title = t.trim().to_string();
                        return;
                    }
                    None => {}
                }
            }
        }
        if let Some(next) = heading(line, self.in_response) {
            self.enter(n, next);
            return;
        }
        match self.section {
            Section::Intro | Section::Text => self.text(n, line),
            Section::Limits => {
                if let Some(q) = qps_in(line) {
                    self.qps(q, n, true);
                } else if line != "无" {
                    self.page.limits.push(line.to_string());
                }
            }
            Section::Sla => {
                if let Some(q) = qps_in(line) {
                    self.qps(q, n, false);
                } else if line.to_ascii_lowercase().contains("qps") {
                    self.sla_pending = true;
                } else if self.sla_pending
                    && let Ok(q) = line.parse::<u32>()
                {
                    self.sla_pending = false;
                    self.qps(q, n, false);
                } else if !matches!(line, "指标" | "数值") {
                    self.page.notes.push(line.to_string());
                }
            }
            Section::BasicInfo => self.basic_info(n, line),
            Section::Request | Section::Response => {
                let next_is_column = rest
                    .iter()
                    .map(|l| l.trim())
                    .find(|l| !l.is_empty())
                    .is_some_and(|l| COLUMN_WORDS.contains(&l));
                if next_is_column {
                    let name = line.split_whitespace().next().unwrap_or(line).to_string();
                    self.page.tables.push((name.clone(), Vec::new()));
                    self.table_heading = Some(name);
                    self.section = Section::Table;
                    self.table_columns.clear();
                    self.table_row_open = false;
                } else if self.section == Section::Response {
                    self.page.notes.push(line.to_string());
                } else {
                    self.unplaced(n, line, "before the first parameter section");
                }
            }
            Section::Headers
            | Section::Query
            | Section::PathParams
            | Section::Body
            | Section::Table
            | Section::ResponseBody => self.param(n, line),
            Section::RequestExample => self.request_lines.push((n, line.to_string())),
            Section::ResponseExample => {
                let label = !line.starts_with(['{', '}', '[', ']', '"', ',', '-'])
                    && !line.starts_with(|c: char| c.is_ascii_alphanumeric());
                if label {
                    if self.response_blocks.last().is_some_and(|b| !b.is_empty()) {
                        self.response_blocks.push(Vec::new());
                    }
                } else {
                    if self.response_blocks.is_empty() {
                        self.response_blocks.push(Vec::new());
                    }
                    if let Some(b) = self.response_blocks.last_mut() {
                        b.push((n, line.to_string()));
                    }
                }
            }
            Section::Errors => self.error_line(n, line),
        }
    }

    fn new_revision(&mut self) {
        self.revision += 1;
        self.section = Section::Text;
        self.in_response = false;
        self.basic_key = None;
    }

    fn qps(&mut self, q: u32, n: usize, limit: bool) {
        self.page.qps_figures.push((q, n));
        // The first 使用限制 figure wins over the 接口 SLA table.
        if (limit && !self.qps_from_limit) || (!limit && self.page.qps.is_none()) {
            self.page.qps = Some(q);
            self.page.qps_line = n;
            self.qps_from_limit |= limit;
        }
    }

    fn enter(&mut self, n: usize, next: Section) {
        self.basic_key = None;
        self.table_columns.clear();
        self.table_row_open = false;
        self.error_cells = None;
        self.sla_pending = false;
        match next {
            Section::BasicInfo if self.page.basic_info_line == 0 => self.page.basic_info_line = n,
            Section::Request | Section::Headers => self.in_response = false,
            Section::Response | Section::ResponseBody => self.in_response = true,
            Section::Errors => self.error_table = ErrorTable::None,
            Section::ResponseExample => self.response_blocks.push(Vec::new()),
            _ => {}
        }
        if let Some(p) = part_of(next)
            && !self.page.parts.contains(&p)
        {
            self.page.parts.push(p);
        }
        self.section = next;
    }

    fn text(&mut self, n: usize, line: &str) {
        if line.contains('|') {
            let c = cells(line);
            let first = c.first().map(String::as_str).unwrap_or("");
            if first.starts_with("HTTP") || first == "错误码" {
                self.enter(n, Section::Errors);
                self.error_line(n, line);
                return;
            }
        }
        if self.page.basic_info_line == 0 {
            self.page.intro.push(line.to_string());
        } else {
            self.page.notes.push(line.to_string());
        }
    }

    fn basic_info(&mut self, n: usize, line: &str) {
        if line.contains('|') {
            let c = cells(line);
            if c.iter().all(|x| x.chars().all(|ch| ch == '-' || ch == ':')) {
                return; // `---|---|` or a lone `|` (an empty cell).
            }
            let key = c[0].as_str();
            let Some(k) = BASIC_KEYS.iter().find(|k| **k == key) else {
                if self.basic_key.is_none() && self.page.url_line > 0 {
                    self.page.notes.push(line.to_string());
                } else {
                    self.unplaced(n, line, "not a 基本信息 row");
                }
                return;
            };
            let value = c.get(1).cloned().unwrap_or_default();
            self.basic_key = None;
            self.basic_value(k, &value, n);
            return;
        }
        if let Some(k) = BASIC_KEYS.iter().find(|k| **k == line) {
            if self.page.layout == Layout::Seed {
                self.page.layout = Layout::Newer;
            }
            self.basic_key = Some(k);
            match *k {
                "HTTP URL" => self.page.url_line = n,
                "Scope" => self.page.scope_line = n,
                _ => {}
            }
            return;
        }
        let Some(k) = self.basic_key else {
            // Prose after the table (`服务商/商家侧 SPI 接口配置`): a text section.
            self.section = Section::Text;
            self.text(n, line);
            return;
        };
        let first = match k {
            "HTTP URL" => self.page.url.is_empty(),
            "HTTP Method" => self.page.method.is_empty(),
            "Scope" => self.page.scope.is_empty(),
            _ => true,
        };
        if first || matches!(k, "权限要求" | "申请权限") {
            self.basic_value(k, line, n);
        } else {
            self.unplaced(n, line, &format!("a second line in the {k} cell"));
        }
    }

    fn basic_value(&mut self, key: &str, value: &str, n: usize) {
        let value = value.trim();
        match key {
            "HTTP URL" => {
                self.page.url = value.to_string();
                self.page.url_line = n;
            }
            "HTTP Method" => self.page.method = value.to_ascii_uppercase(),
            "Scope" => {
                self.page.scope_line = n;
                self.page.scope = value.to_string();
                self.page.scope_cut = n == self.page.last_line;
            }
            "申请权限" => {
                if !value.is_empty() {
                    self.page.permission = value.to_string();
                    self.page.permission_lines.push(value.to_string());
                }
            }
            _ => {
                let v = value.trim_start_matches(['•', '-']).trim();
                if !v.is_empty() {
                    if self.page.permission.is_empty() {
                        self.page.permission = v.to_string();
                    }
                    self.page.permission_lines.push(v.to_string());
                }
            }
        }
    }

    fn list(&mut self) -> &mut Vec<Param> {
        match self.section {
            Section::Headers => &mut self.page.headers,
            Section::Query => &mut self.page.query,
            Section::PathParams => &mut self.page.path_params,
            Section::Body => &mut self.page.body,
            Section::Table => {
                if self.page.tables.is_empty() {
                    self.page.tables.push((String::new(), Vec::new()));
                }
                let last = self.page.tables.len() - 1;
                &mut self.page.tables[last].1
            }
            _ => &mut self.page.response_fields,
        }
    }

    fn param(&mut self, n: usize, line: &str) {
        let cut = n == self.page.last_line;
        // One-cell-per-line table (older layout).
        if COLUMN_WORDS.contains(&line) && !self.table_row_open {
            self.table_columns.push(line.to_string());
            if line == "参数名称" || line == "字段" {
                self.page.layout = Layout::Older;
            }
            return;
        }
        if !self.table_columns.is_empty() {
            self.table_cell(n, line, cut);
            return;
        }
        if let Some((name, required, ty)) = param_line(line) {
            let mut p = Param::new(&name, &ty, Some(required), n);
            p.cut = cut;
            self.list().push(p);
            return;
        }
        let Some(last) = self.list().last_mut() else {
            self.unplaced(n, line, "expected a parameter line like `name必填String`");
            return;
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

    fn table_cell(&mut self, n: usize, line: &str, cut: bool) {
        let has_type_column = self
            .table_columns
            .iter()
            .any(|c| c == "参数类型" || c == "类型");
        let open_needs_type = self.table_row_open
            && has_type_column
            && self.list().last().is_some_and(|p| p.ty.is_empty());
        if open_needs_type && is_table_type(line) {
            if let Some(p) = self.list().last_mut() {
                p.ty = line.to_string();
            }
            return;
        }
        if is_name(line) && !(open_needs_type && is_table_type(line)) {
            let ty = if has_type_column { "" } else { "String" };
            let mut p = Param::new(line, ty, None, n);
            p.cut = cut;
            self.list().push(p);
            self.table_row_open = true;
            return;
        }
        if self.table_row_open
            && let Some(req) = required_cell(line)
        {
            if let Some(p) = self.list().last_mut() {
                p.required = req;
                p.required_known = true;
            }
            self.table_row_open = false;
            return;
        }
        let open = self.table_row_open;
        match self.list().last_mut() {
            Some(p) if open || !p.required_known => p.description.push(line.to_string()),
            _ => self.unplaced(n, line, "a table cell outside a row"),
        }
    }

    fn error_line(&mut self, n: usize, line: &str) {
        if !line.contains('|') {
            if line.starts_with("HTTP 状态码") || line.starts_with("HTTP状态码") {
                self.error_table = ErrorTable::Cells;
                self.error_cells = None;
                return;
            }
            if self.error_table == ErrorTable::Cells {
                self.error_cell(n, line);
            } else {
                self.page.notes.push(line.to_string());
            }
            return;
        }
        let c = cells(line);
        let first = c.first().map(String::as_str).unwrap_or("");
        if first.starts_with("HTTP") {
            self.error_table = ErrorTable::Pipe { status: true };
            return;
        }
        if first == "错误码" {
            self.error_table = ErrorTable::Pipe { status: false };
            return;
        }
        if c.iter().all(|x| x.chars().all(|ch| ch == '-' || ch == ':')) {
            return;
        }
        let ErrorTable::Pipe { status } = self.error_table else {
            self.problem(
                n,
                "error row before the `HTTP 状态码 | 错误码 | …` header".into(),
            );
            return;
        };
        let (min, max) = if status { (3, 4) } else { (2, 3) };
        if c.len() < min || c.len() > max {
            self.problem(
                n,
                format!(
                    "expected `{}code | message | advice |`, found {} cells",
                    if status { "status | " } else { "" },
                    c.len()
                ),
            );
            return;
        }
        let (status_v, rest) = if status {
            match c[0].parse::<u16>() {
                Ok(s) => (s, &c[1..]),
                Err(_) => {
                    self.problem(n, format!("HTTP status {:?} is not a number", c[0]));
                    return;
                }
            }
        } else {
            (200, &c[..])
        };
        let Ok(code) = rest[0].parse::<i64>() else {
            self.problem(n, format!("error code {:?} is not an integer", rest[0]));
            return;
        };
        self.page.errors.push(ErrorRow {
            status: status_v,
            code,
            message: rest.get(1).cloned().unwrap_or_default(),
            advice: rest.get(2).cloned().unwrap_or_default(),
            line: n,
        });
    }

    /// One cell of the one-cell-per-line error table: `20010002` is status 200
    /// and code 10002; the message and advice follow on their own lines.
    fn error_cell(&mut self, n: usize, line: &str) {
        let digits = line.len() > 3 && line.chars().all(|c| c.is_ascii_digit());
        if digits
            && let (Ok(status), Ok(code)) = (line[..3].parse::<u16>(), line[3..].parse::<i64>())
            && (100..600).contains(&status)
        {
            self.page.errors.push(ErrorRow {
                status,
                code,
                message: String::new(),
                advice: String::new(),
                line: n,
            });
            self.error_cells = Some(0);
            return;
        }
        match (self.error_cells, self.page.errors.last_mut()) {
            (Some(0), Some(row)) => {
                row.message = line.to_string();
                self.error_cells = Some(1);
            }
            (Some(1), Some(row)) => {
                row.advice = line.to_string();
                self.error_cells = Some(2);
            }
            _ => self.unplaced(n, line, "an error-table cell outside a row"),
        }
    }

    fn finish(mut self) -> Page {
        let page = &mut self.page;
        page.cut = !page.parts.contains(&Part::Errors);
        if page.url.contains("服务商提供") || page.url.contains("开发者提供") {
            page.callback = true;
        } else if !page.url.is_empty() {
            let (host, path, _) = split_url(&page.url);
            if path.starts_with('/') && !path.contains(char::is_whitespace) {
                page.host = host;
                page.path = path;
                page.path_cut = page.cut && page.url_line == page.last_line;
            } else {
                let (line, url) = (page.basic_info_line, page.url.clone());
                self.problem(line, format!("HTTP URL {url:?} has no path"));
            }
        }
        let page = &mut self.page;
        if !page.method.is_empty()
            && !matches!(
                page.method.as_str(),
                "GET" | "POST" | "PUT" | "DELETE" | "PATCH"
            )
        {
            let (line, m) = (page.basic_info_line, page.method.clone());
            page.method.clear();
            self.problem(line, format!("unknown HTTP method {m:?}"));
        }
        let blocks = std::mem::take(&mut self.response_blocks);
        let mut first = true;
        for block in blocks.into_iter().filter(|b| !b.is_empty()) {
            let n = block[0].0;
            let joined: String = block
                .iter()
                .map(|(_, l)| l.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            match json::read(&joined) {
                Ok(ex) => {
                    let mut values = ex.values.into_iter();
                    if first && let Some(v) = values.next() {
                        self.page.response_example = Some(v);
                        self.page.response_example_line = n;
                        self.page.response_example_cut = ex.cut;
                        first = false;
                    }
                    self.page.other_response_examples.extend(values);
                }
                Err(e) => self.problem(
                    n + e.line - 1,
                    format!("response example is not JSON: {}", e.message),
                ),
            }
        }
        let lines = std::mem::take(&mut self.request_lines);
        if let Some((n, _)) = lines.first() {
            let joined: String = lines
                .iter()
                .map(|(_, l)| l.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            match curl::parse(&joined, *n) {
                curl::Curl::Example(ex, cut) => {
                    self.page.request_example = Some(ex);
                    self.page.request_example_cut = cut;
                }
                curl::Curl::CutBeforeUrl => self.page.request_example_cut = true,
                curl::Curl::BadBody(m) => {
                    self.problem(*n, format!("request example body is not JSON: {m}"))
                }
            }
        }
        let page = &mut self.page;
        page.problems.sort_by_key(|p| p.line);
        if page.layout == Layout::Seed && !page.menu.is_empty() {
            page.layout = Layout::Newer;
        }
        self.page
    }
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
