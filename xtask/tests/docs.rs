//! `docs-check` and `docs-import` against the real pages and the real spec,
//! and against mutated copies of each page: every mutation must be reported
//! with exactly the expected line(s).

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;
use xtask::{check, import, lint, page, spec};

const P000: &str = "docs/pages/000_749cb723812f7896.txt";
const P001: &str = "docs/pages/001_958dba95a70bb30b.txt";
const P002: &str = "docs/pages/002_02d09cde1af34224.txt";
const PAGES: [&str; 3] = [P000, P001, P002];

fn read(rel: &str) -> String {
    std::fs::read_to_string(xtask::root().join(rel)).unwrap()
}

fn real_spec() -> Value {
    spec::load(&xtask::default_spec()).unwrap()
}

/// Applies `from → to` once to the page (the mutation must apply) and returns
/// the differences docs-check reports against the real spec.
fn mutate(rel: &str, from: &str, to: &str) -> Vec<String> {
    let text = read(rel);
    assert!(
        text.contains(from),
        "{rel}: mutation source {from:?} not found"
    );
    let mutated = text.replacen(from, to, 1);
    let page =
        page::parse(&mutated).unwrap_or_else(|e| panic!("{rel}: mutated page does not parse: {e}"));
    check::check(&page, &real_spec(), rel).differences
}

#[test]
fn unmodified_pages_match_the_spec() {
    let spec = real_spec();
    for rel in PAGES {
        let page = page::parse(&read(rel)).unwrap();
        let report = check::check(&page, &spec, rel);
        assert_eq!(report.differences, Vec::<String>::new(), "{rel}");
        assert!(report.operation.is_some());
    }
}

#[test]
fn pages_parse_into_what_they_show() {
    let p = page::parse(&read(P002)).unwrap();
    assert_eq!(p.method, "POST");
    assert_eq!(p.path, "/api/trade/v2/fulfillment/query_user_certificates/");
    assert_eq!(p.scope, "industry_open.trade.certificate_query");
    let headers: Vec<_> = p
        .headers
        .iter()
        .map(|h| (h.name.as_str(), h.ty.as_str(), h.required))
        .collect();
    assert_eq!(
        headers,
        [
            ("access-token", "String", true),
            ("content-type", "String", true),
            ("Rpc-Transit-Life-Account", "String", false)
        ]
    );
    assert_eq!(p.body.len(), 8);
    assert_eq!(p.body[4].name, "page_dimension");
    assert_eq!(p.body[4].ty, "Enum");
    assert!(p.body[4].collapsed);
    assert_eq!(p.body[4].example.as_deref(), Some("xxx"));
    assert_eq!(p.errors.len(), 28);
    assert_eq!(
        (p.errors[26].code, p.errors[26].advice.as_str()),
        (5000001, "")
    );
    assert_eq!(
        (
            p.errors[27].code,
            p.errors[27].message.as_str(),
            p.errors[27].advice.as_str()
        ),
        (3000001, "以实际错误信息为准", "")
    );
    let ex = p.request_example.unwrap();
    assert_eq!(
        ex.body.unwrap()["time_range"]["start_time"],
        6722899695214972123u64
    );
    assert!(p.response_example.unwrap()["data"]["orders"][0]["certificates"].is_array());

    let q = page::parse(&read(P001)).unwrap();
    let query: Vec<_> = q
        .query
        .iter()
        .map(|h| (h.name.as_str(), h.ty.as_str(), h.required))
        .collect();
    assert_eq!(
        query,
        [
            ("account_id", "Int64", true),
            ("Base", "Struct", false),
            ("out_spu_id", "String", false),
            ("spu_id", "Int64", false)
        ]
    );
    let fields: Vec<_> = q
        .response_fields
        .iter()
        .map(|h| (h.name.as_str(), h.required))
        .collect();
    assert_eq!(
        fields,
        [("BaseResp", true), ("data", false), ("extra", false)]
    );
    assert_eq!(q.request_example.unwrap().query.len(), 3);
}

// ---- 000: reservation order query (POST, body) ------------------------------

#[test]
fn p000_added_parameter() {
    assert_eq!(
        mutate(
            P000,
            "book_idString\n",
            "book_idString\nchannel必填Int64\n渠道\n"
        ),
        ["new request parameter body.channel (Int64, required)"]
    );
}

#[test]
fn p000_removed_parameter() {
    assert_eq!(
        mutate(P000, "book_idString\n抖音预定单(服务单)id\n", ""),
        ["request parameter body.book_id (String, optional) is in the spec but not on the page"]
    );
}

#[test]
fn p000_retyped_parameter() {
    assert_eq!(
        mutate(P000, "poi_id必填String", "poi_id必填Int64"),
        ["type of body.poi_id changed: String → Int64"]
    );
}

#[test]
fn p000_required_became_optional() {
    assert_eq!(
        mutate(P000, "page_num必填Int32", "page_numInt32"),
        ["body.page_num changed: required → optional"]
    );
}

#[test]
fn p000_new_error_row() {
    assert_eq!(
        mutate(
            P000,
            "200 | 2119005 |",
            "200 | 2119004 | 应用无权限 | 申请权限 |\n200 | 2119005 |"
        ),
        [
            "error code 2119004 not in x-error-codes",
            "error code 2119004 not in x-error-code-catalog"
        ]
    );
}

#[test]
fn p000_removed_error_row() {
    assert_eq!(
        mutate(
            P000,
            "200 | 28001019 | 应用该能力已被封禁 | 该能力被封禁,联系平台处理 |\n",
            ""
        ),
        ["error code 28001019 is in x-error-codes but not on the page"]
    );
}

#[test]
fn p000_second_row_of_a_listed_twice_code_removed() {
    assert_eq!(
        mutate(
            P000,
            "200 | 5000001 | 服务器打瞌睡了,请稍后再试。 | |\n",
            ""
        ),
        [
            "error code 5000001 has a row in x-error-codes not on the page: \"服务器打瞌睡了,请稍后再试。\" / \"\""
        ]
    );
}

#[test]
fn p000_changed_advice_and_message() {
    assert_eq!(
        mutate(
            P000,
            "| 2100005 | 参数不合法 | 更换参数 |",
            "| 2100005 | 参数不合法 | 检查参数 |"
        ),
        ["advice of error code 2100005 changed: \"更换参数\" → \"检查参数\""]
    );
    assert_eq!(
        mutate(
            P000,
            "| 28003017 | quota已用完 |",
            "| 28003017 | 配额已用完 |"
        ),
        ["message of error code 28003017 changed: \"quota已用完\" → \"配额已用完\""]
    );
}

#[test]
fn p000_error_rows_reordered() {
    assert_eq!(
        mutate(
            P000,
            "200 | 28001005 | 系统内部错误,请重试 | 请求重试,若依然无解请向平台提交反馈 |\n200 | 28001003 | access_token无效 | 重新请求生成access_token |\n",
            "200 | 28001003 | access_token无效 | 重新请求生成access_token |\n200 | 28001005 | 系统内部错误,请重试 | 请求重试,若依然无解请向平台提交反馈 |\n"
        ),
        ["order of the error table differs from x-error-codes"]
    );
}

#[test]
fn p000_renamed_response_field() {
    assert_eq!(
        mutate(P000, "\"sku_ame\"", "\"sku_name\""),
        [
            "response field data.order_list[].products[].sku_name missing from spec (spec fields not on the page here: sku_ame; renamed?)"
        ]
    );
}

#[test]
fn p000_retyped_response_field() {
    assert_eq!(
        mutate(
            P000,
            "\"total\": 2317873180824548400",
            "\"total\": \"2317873180824548400\""
        ),
        ["type of response field data.total changed: integer → string"]
    );
}

#[test]
fn p000_changed_scope_permission_title() {
    assert_eq!(
        mutate(
            P000,
            "Scope | life.capacity.comprehensive_reserve_query_order |",
            "Scope | life.capacity.reserve_query |"
        ),
        [
            "scope changed: life.capacity.comprehensive_reserve_query_order → life.capacity.reserve_query"
        ]
    );
    assert_eq!(
        mutate(P000, "权限要求 | 预约单查询 |", "权限要求 | 订单查询 |"),
        ["permission (权限要求) changed: 预约单查询 → 订单查询"]
    );
    assert_eq!(
        mutate(P000, "综合预约品订单查询\n", "预约订单查询\n"),
        ["title changed: 综合预约品订单查询 → 预约订单查询"]
    );
}

#[test]
fn p000_changed_path_and_method() {
    assert_eq!(
        mutate(
            P000,
            "https://open.douyin.com/goodlife/v1/comprehensive/trade/query/order/ |",
            "https://open.douyin.com/goodlife/v2/comprehensive/trade/query/order/ |"
        ),
        [
            "path changed: /goodlife/v1/comprehensive/trade/query/order/ → /goodlife/v2/comprehensive/trade/query/order/"
        ]
    );
    assert_eq!(
        mutate(P000, "HTTP Method | POST |", "HTTP Method | PUT |"),
        ["method changed: POST → PUT"]
    );
    assert_eq!(
        mutate(
            P000,
            "https://open.douyin.com/goodlife",
            "https://open.example.com/goodlife"
        ),
        [
            "host open.example.com not in servers (https://open.douyin.com, https://open-sandbox.douyin.com)"
        ]
    );
}

#[test]
fn p000_removed_header() {
    assert_eq!(
        mutate(
            P000,
            "content-type必填String\n固定值\"application/json\"\n",
            ""
        ),
        [
            "request parameter header.content-type (String, required) is in the spec but not on the page"
        ]
    );
}

// ---- 001: SPU detail (GET, query) ----------------------------------------

#[test]
fn p001_retyped_query_parameter() {
    assert_eq!(
        mutate(P001, "account_id必填Int64", "account_id必填String"),
        ["type of query.account_id changed: Int64 → String"]
    );
}

#[test]
fn p001_added_and_removed_query_parameter() {
    assert_eq!(
        mutate(
            P001,
            "spu_idInt64\n",
            "spu_idInt64\n抖音 spu id\nsku_idInt64\n"
        ),
        ["new request parameter query.sku_id (Int64, optional)"]
    );
    assert_eq!(
        mutate(P001, "out_spu_idString\n外部 spu id\n", ""),
        [
            "request parameter query.out_spu_id (String, optional) is in the spec but not on the page"
        ]
    );
}

#[test]
fn p001_request_example_parameter() {
    assert_eq!(
        mutate(
            P001,
            "&spu_id=2802896672038864081",
            "&spu_id=2802896672038864081&sku_id=1"
        ),
        ["request example parameter query.sku_id missing from spec"]
    );
}

#[test]
fn p001_response_field_became_optional() {
    assert_eq!(
        mutate(P001, "BaseResp必填Struct", "BaseRespStruct"),
        ["response field BaseResp changed: required → optional"]
    );
}

#[test]
fn p001_renamed_nested_response_field() {
    assert_eq!(
        mutate(P001, "\"spu_name\"", "\"spu_title\""),
        [
            "response field data.spu_online.spu.spu_title missing from spec (spec fields not on the page here: spu_name; renamed?)"
        ]
    );
}

#[test]
fn p001_new_error_row_and_scope() {
    assert_eq!(
        mutate(
            P001,
            "200 | 2100005 | 参数不合法 | 更换参数 |\n",
            "200 | 2100005 | 参数不合法 | 更换参数 |\n200 | 2119003 | 请求太过频繁,请稍后再试 | 重试 |\n"
        ),
        ["error code 2119003 not in x-error-codes"]
    );
    assert_eq!(
        mutate(
            P001,
            "Scope | life.capacity.ordering.goods.query |",
            "Scope | life.capacity.ordering.goods |"
        ),
        ["scope changed: life.capacity.ordering.goods.query → life.capacity.ordering.goods"]
    );
}

#[test]
fn p001_changed_advice_and_path() {
    assert_eq!(
        mutate(
            P001,
            "| 2190004 | 应用未获得该能力, 请去https://open.douyin.com/申请 | 应用申请接口权限 |",
            "| 2190004 | 应用未获得该能力, 请去https://open.douyin.com/申请 | 申请接口权限 |"
        ),
        ["advice of error code 2190004 changed: \"应用申请接口权限\" → \"申请接口权限\""]
    );
    assert_eq!(
        mutate(
            P001,
            "/goodlife/v1/goods/foodorder/spu/detail/ |",
            "/goodlife/v1/goods/foodorder/spu/get/ |"
        ),
        [
            "path changed: /goodlife/v1/goods/foodorder/spu/detail/ → /goodlife/v1/goods/foodorder/spu/get/"
        ]
    );
}

// ---- 002: a user's vouchers (POST, header + body) ---------------------------

#[test]
fn p002_removed_parameter() {
    assert_eq!(
        mutate(P002, "poi_idString\n示例:xxx\n适用门店poi_id\n", ""),
        ["request parameter body.poi_id (String, optional) is in the spec but not on the page"]
    );
    assert_eq!(
        mutate(
            P002,
            "Rpc-Transit-Life-AccountString\n来客商户根账户ID\n",
            ""
        ),
        [
            "request parameter header.Rpc-Transit-Life-Account (String, optional) is in the spec but not on the page"
        ]
    );
}

#[test]
fn p002_added_header() {
    assert_eq!(
        mutate(
            P002,
            "Rpc-Transit-Life-AccountString\n",
            "Rpc-Transit-Life-AccountString\n来客商户根账户ID\nX-Trace-Id必填String\n"
        ),
        ["new request parameter header.X-Trace-Id (String, required)"]
    );
}

#[test]
fn p002_retyped_enum_parameter() {
    assert_eq!(
        mutate(P002, "page_dimensionEnum", "page_dimensionInt32"),
        ["type of body.page_dimension changed: Enum → Int32"]
    );
}

#[test]
fn p002_new_field_in_collapsed_request_struct() {
    assert_eq!(
        mutate(
            P002,
            "\"end_time\":4421298513066835414}",
            "\"end_time\":4421298513066835414,\"tz\":\"+08:00\"}"
        ),
        ["request example field body.time_range.tz missing from spec"]
    );
}

#[test]
fn p002_retyped_request_example_field() {
    assert_eq!(
        mutate(P002, "\"page_dimension\":1,", "\"page_dimension\":\"1\","),
        ["type of request example field body.page_dimension changed: integer → string"]
    );
}

#[test]
fn p001_undeclared_top_level_response_field() {
    assert_eq!(
        mutate(
            P001,
            "{ \"BaseResp\": {",
            "{ \"message\": \"success\", \"BaseResp\": {"
        ),
        ["response field message missing from spec"]
    );
}

#[test]
fn p002_renamed_deep_response_field() {
    assert_eq!(
        mutate(P002, "\"crossed_amount\"", "\"crossed_price\""),
        [
            "response field data.orders[].certificates[].times_card_info.ladder_times_card_info[].crossed_price missing from spec (spec fields not on the page here: crossed_amount; renamed?)"
        ]
    );
}

#[test]
fn p002_changed_advice_new_row_scope_path() {
    assert_eq!(
        mutate(
            P002,
            "| 10000 | 参数错误 | 参数不符合规范。请根据提示检查参数。 |",
            "| 10000 | 参数错误 | 检查参数 |"
        ),
        [
            "advice of error code 10000 changed: \"参数不符合规范。请根据提示检查参数。\" → \"检查参数\""
        ]
    );
    assert_eq!(
        mutate(
            P002,
            "200 | 3000001 | 以实际错误信息为准 |",
            "200 | 3000001 | 以实际错误信息为准 |\n200 | 13000 | 服务降级 | 稍后重试 |"
        ),
        ["error code 13000 has a row not in x-error-codes: \"服务降级\" / \"稍后重试\""]
    );
    assert_eq!(
        mutate(
            P002,
            "Scope | industry_open.trade.certificate_query |",
            "Scope | industry_open.trade.certificate |"
        ),
        ["scope changed: industry_open.trade.certificate_query → industry_open.trade.certificate"]
    );
    assert_eq!(
        mutate(
            P002,
            "fulfillment/query_user_certificates/ |",
            "fulfillment/query_user_certificates_v2/ |"
        ),
        [
            "path changed: /api/trade/v2/fulfillment/query_user_certificates/ → /api/trade/v2/fulfillment/query_user_certificates_v2/"
        ]
    );
}

#[test]
fn p002_response_data_became_optional() {
    assert_eq!(
        mutate(P002, "data必填Struct", "dataStruct"),
        ["response field data changed: required → optional"]
    );
}

#[test]
fn unknown_page_points_at_docs_import() {
    let text = read(P001)
        .replace("foodorder/spu/detail/ |", "foodorder/sku/detail/ |")
        .replace("点单标品查询\n", "点单商品查询\n");
    let page = page::parse(&text).unwrap();
    let report = check::check(&page, &real_spec(), "docs/pages/new.txt");
    assert_eq!(report.status, check::Status::NotInSpec);
    assert_eq!(
        report.lines("docs/pages/new.txt", &page),
        [
            "docs/pages/new.txt: GET /goodlife/v1/goods/foodorder/sku/detail/ not in the spec (cargo xtask docs-import --write docs/pages/new.txt)"
        ]
    );
}

// ---- pages that cannot be parsed ----------------------------------------

#[test]
fn unparsable_pages_name_the_line() {
    let cases = [
        (
            P000,
            "200 | 28001003 |",
            "200 | x28001003 |",
            52,
            "error code \"x28001003\" is not an integer",
        ),
        (
            P000,
            "\"extra\": {",
            "\"extra\": ",
            46,
            "response example is not JSON",
        ),
        (
            P001,
            "HTTP URL | https://open.douyin.com/goodlife/v1/goods/foodorder/spu/detail/ |\n",
            "",
            4,
            "no `HTTP URL",
        ),
        (
            P002,
            "--data '{\"poi_id\"",
            "--data '{poi_id",
            47,
            "request example body is not JSON",
        ),
    ];
    for (rel, from, to, line, msg) in cases {
        let text = read(rel);
        assert!(text.contains(from));
        let err = page::parse(&text.replacen(from, to, 1)).unwrap_err();
        assert_eq!(err.line, line, "{rel}: {err}");
        assert!(err.message.contains(msg), "{rel}: {err}");
    }
}

// ---- the binary: output lines and exit codes ------------------------------

fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-docs-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("000_749cb723812f7896.txt");
    std::fs::write(&path, text).unwrap();
    path
}

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(xtask::root())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn binary_exit_codes() {
    let (code, out) = run(&["docs-check", P000, P001, P002]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(out.lines().all(|l| l.contains(": ok (")), "{out}");

    let changed = scratch(
        "changed",
        &read(P000).replacen("poi_id必填String", "poi_id必填Int64", 1),
    );
    let shown = changed.display().to_string();
    let (code, out) = run(&["docs-check", &shown, P001]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        out.lines().next().unwrap(),
        format!("{shown}: type of body.poi_id changed: String → Int64")
    );

    let broken = scratch(
        "broken",
        &read(P000).replacen("200 | 28001003 |", "200 | x |", 1),
    );
    let shown = broken.display().to_string();
    let (code, out) = run(&["docs-check", &shown, P001]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.starts_with(&format!("{shown}:52: cannot parse page: error code \"x\"")),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(changed.parent().unwrap());
    let _ = std::fs::remove_dir_all(broken.parent().unwrap());
}

// ---- docs-import ------------------------------------------------------------

/// The real spec's catalog and schema names, as `docs-import` passes them.
fn context() -> import::Context {
    let spec = real_spec();
    import::Context {
        catalog: spec["x-error-code-catalog"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["code"].as_i64().unwrap())
            .collect(),
        taken: spec["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect(),
        ..Default::default()
    }
}

const SKELETON: &str =
    "openapi: 3.0.3\ninfo: {title: empty, version: \"1\"}\npaths: {}\ncomponents: {schemas: {}}\n";

#[test]
fn imported_pages_are_accepted_by_docs_check() {
    for rel in PAGES {
        let page = page::parse(&read(rel)).unwrap();
        let draft = import::draft_with(&page, rel, &context());
        // The printed text is what a developer pastes: parse it back.
        let text = import::render(&draft, rel);
        let printed = spec::parse(&text).unwrap();
        let mut merged = spec::parse(SKELETON).unwrap();
        let reparsed = import::Draft {
            doc: serde_yaml::to_value(&printed).unwrap(),
            ..draft.clone()
        };
        import::merge_into(&mut merged, &reparsed).unwrap();

        let report = check::check(&page, &merged, rel);
        assert_eq!(report.differences, Vec::<String>::new(), "{rel}\n{text}");

        // It is a valid OpenAPI document progenitor can generate a client from.
        let api: openapiv3::OpenAPI = serde_json::from_value(merged.clone()).unwrap();
        let mut generator = progenitor::Generator::new(&xtask::surface::settings());
        generator
            .generate_tokens(&api)
            .unwrap_or_else(|e| panic!("{rel}: progenitor: {e}"));

        // Lint-clean apart from the catalog the draft cannot name.
        let problems: Vec<String> = lint::lint(&merged, &xtask::root())
            .into_iter()
            .filter(|p| !p.contains("not in x-error-code-catalog"))
            .collect();
        assert_eq!(problems, Vec::<String>::new(), "{rel}");
    }
}

#[test]
fn imported_draft_still_catches_a_mutation() {
    let page = page::parse(&read(P002)).unwrap();
    let mut merged = spec::parse(SKELETON).unwrap();
    import::merge_into(&mut merged, &import::draft_with(&page, P002, &context())).unwrap();
    let mutated =
        page::parse(&read(P002).replacen("open_id必填String", "open_id必填Int64", 1)).unwrap();
    assert_eq!(
        check::check(&mutated, &merged, P002).differences,
        ["type of body.open_id changed: String → Int64"]
    );
}
