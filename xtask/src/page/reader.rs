//! The line-by-line reader behind [`read`](super::read).

use super::lines::{
    BASIC_KEYS, COLUMN_WORDS, NOISE, Section, TEXT_HEADINGS, cells, heading, is_name,
    is_table_type, param_line, part_of, qps_in, required_cell,
};
use super::{ErrorRow, Layout, Page, Param, ParseError, Part, Unplaced, curl, json, split_url};

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

/// Reads a page line by line.
pub(super) fn read(text: &str) -> Page {
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
            let key = c[0].trim_end_matches([':', '：']).trim();
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
        let bare = line.trim_end_matches([':', '：']).trim_end();
        if let Some(k) = BASIC_KEYS.iter().find(|k| **k == bare) {
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
                    // `需要申请权限 ,路径:…` tells how to get it; it names no permission.
                    let instruction = v.starts_with("需要")
                        || v.starts_with(|c: char| c.is_ascii_digit())
                        || v.starts_with('<');
                    if self.page.permission.is_empty() && !instruction {
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
