//! What a line of a page is: headings, table words, `name必填Type`
//! parameter lines, `a | b |` cells, QPS figures.

use super::{PAGE_TYPES, Part};

pub(super) const TABLE_TYPES: &[&str] = &[
    "string", "int", "int8", "int16", "int32", "int64", "integer", "long", "bool", "boolean",
    "float", "double", "number", "struct", "object", "list", "array", "map", "enum",
];

/// Column headings of the one-cell-per-line tables.
pub(super) const COLUMN_WORDS: &[&str] = &[
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
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Section {
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
pub(super) const NOISE: &[&str] = &[
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
pub(super) const TEXT_HEADINGS: &[&str] = &[
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
pub(super) const BASIC_KEYS: &[&str] =
    &["HTTP URL", "HTTP Method", "Scope", "权限要求", "申请权限"];

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
pub(super) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '.')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
}

pub(super) fn is_table_type(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    TABLE_TYPES.contains(&l.as_str())
        || ((l.starts_with("array<") || l.starts_with("list<") || l.starts_with("map<"))
            && l.ends_with('>'))
}

/// `是` / `否` / `是(仅作应用标识用)` / `是 验签用` → required.
pub(super) fn required_cell(s: &str) -> Option<bool> {
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
pub(super) fn cells(line: &str) -> Vec<String> {
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
pub(super) fn heading(line: &str, in_response: bool) -> Option<Section> {
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

pub(super) fn part_of(s: Section) -> Option<Part> {
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
