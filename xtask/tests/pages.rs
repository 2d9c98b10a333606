//! Every page in docs/pages/ read, imported and checked. The expected facts
//! below were written down by hand from reading each page, not from the
//! reader's output.

use std::collections::BTreeSet;

use serde_json::Value;
use xtask::page::{Layout, Page};
use xtask::{check, import, page, spec, spec_edit};

mod common;

fn read(rel: &str) -> String {
    std::fs::read_to_string(xtask::root().join(rel)).unwrap()
}

fn real_spec_text() -> String {
    read("openapi/goodlife.yaml")
}

/// `Some(true)` required, `Some(false)` optional, `None` the page leaves it blank.
type Req = Option<bool>;
const REQ: Req = Some(true);
const OPT: Req = Some(false);

/// What a page states about its operation.
struct Expect {
    file: &'static str,
    layout: Layout,
    title: &'static str,
    method: &'static str,
    /// The path the page gives ("" when it gives none).
    path: &'static str,
    /// The path to import it under when the page gives none.
    path_for_import: &'static str,
    scope: &'static str,
    permission: &'static str,
    qps: Option<u32>,
    /// (location, name, type as the page writes it, required).
    params: &'static [(&'static str, &'static str, &'static str, Req)],
}

const ACCESS: (&str, &str, &str, Req) = ("header", "access-token", "String", REQ);
const CONTENT: (&str, &str, &str, Req) = ("header", "content-type", "String", REQ);
const ACCOUNT_HEADER: (&str, &str, &str, Req) =
    ("header", "Rpc-Transit-Life-Account", "String", OPT);

const PAGES: &[Expect] = &[
    Expect {
        file: "docs/pages/000_749cb723812f7896.txt",
        layout: Layout::Seed,
        title: "综合预约品订单查询",
        method: "POST",
        path: "/goodlife/v1/comprehensive/trade/query/order/",
        path_for_import: "",
        scope: "life.capacity.comprehensive_reserve_query_order",
        permission: "预约单查询",
        qps: None,
        params: &[
            ACCESS,
            CONTENT,
            ("body", "account_id", "String", REQ),
            ("body", "end_time", "Int64", REQ),
            ("body", "page_num", "Int32", REQ),
            ("body", "page_size", "Int32", REQ),
            ("body", "poi_id", "String", REQ),
            ("body", "start_time", "Int64", REQ),
            ("body", "book_id", "String", OPT),
        ],
    },
    Expect {
        file: "docs/pages/001_958dba95a70bb30b.txt",
        layout: Layout::Seed,
        title: "点单标品查询",
        method: "GET",
        path: "/goodlife/v1/goods/foodorder/spu/detail/",
        path_for_import: "",
        scope: "life.capacity.ordering.goods.query",
        permission: "点单相关商品查询",
        qps: None,
        params: &[
            ACCESS,
            CONTENT,
            ("query", "account_id", "Int64", REQ),
            ("query", "Base", "Struct", OPT),
            ("query", "out_spu_id", "String", OPT),
            ("query", "spu_id", "Int64", OPT),
        ],
    },
    Expect {
        file: "docs/pages/002_02d09cde1af34224.txt",
        layout: Layout::Seed,
        title: "查询用户券列表",
        method: "POST",
        path: "/api/trade/v2/fulfillment/query_user_certificates/",
        path_for_import: "",
        scope: "industry_open.trade.certificate_query",
        permission: "核销工具类小程序才能调用此api",
        qps: None,
        params: &[
            ACCESS,
            CONTENT,
            ACCOUNT_HEADER,
            ("body", "account_id", "String", REQ),
            ("body", "open_id", "String", REQ),
            ("body", "biz_type", "Int32", OPT),
            ("body", "page", "Int32", OPT),
            ("body", "page_dimension", "Enum", OPT),
            ("body", "page_size", "Int32", OPT),
            ("body", "poi_id", "String", OPT),
            ("body", "time_range", "Struct", OPT),
        ],
    },
    Expect {
        file: "docs/pages/certificate_prepare.txt",
        layout: Layout::Seed,
        title: "验券准备",
        method: "GET",
        path: "/goodlife/v1/fulfilment/certificate/prepare/",
        path_for_import: "",
        scope: "life.capacity.fulfilment",
        permission: "",
        qps: None,
        params: &[
            ACCESS,
            CONTENT,
            ("query", "code", "String", OPT),
            ("query", "encrypted_data", "String", OPT),
            ("query", "poi_id", "String", OPT),
        ],
    },
    Expect {
        file: "docs/pages/certificate_prepare_v2.txt",
        layout: Layout::Newer,
        title: "验券准备",
        method: "",
        path: "",
        path_for_import: "/goodlife/v1/fulfilment/certificate/prepare/",
        scope: "",
        permission: "",
        qps: Some(200),
        params: &[],
    },
    Expect {
        file: "docs/pages/certificate_verify.txt",
        layout: Layout::Older,
        title: "验券",
        method: "POST",
        path: "",
        path_for_import: "/goodlife/v1/fulfilment/certificate/verify/",
        scope: "",
        permission: "团购核销",
        qps: None,
        params: &[
            // The 请求头 table has a 必须 column but leaves it empty.
            ("header", "content-type", "String", None),
            ("header", "access-token", "String", None),
            ("body", "verify_token", "string", REQ),
            ("body", "poi_id", "string", REQ),
            ("body", "account_id", "string", OPT),
            // The page is cut before its 必需 cell.
            ("body", "encrypted_codes", "list", None),
        ],
    },
    Expect {
        file: "docs/pages/certificate_cancel.txt",
        layout: Layout::Newer,
        title: "撤销核销",
        method: "POST",
        path: "/goodlife/v1/fulfilment/certificate/cancel/",
        path_for_import: "",
        scope: "life.capacity.fulfilment",
        permission: "团购核销",
        qps: None,
        params: &[
            ACCESS,
            CONTENT,
            ("body", "certificate_id", "String", REQ),
            ("body", "verify_id", "String", REQ),
            ("body", "account_id", "String", OPT),
            ("body", "batch_cancel_info", "Struct", OPT),
            ("body", "batch_cancel_info_list", "List", OPT),
            ("body", "cancel_token", "String", OPT),
            ("body", "shop_order_id", "String", OPT),
            ("body", "times_card_cancel_count", "Int64", OPT),
        ],
    },
    Expect {
        file: "docs/pages/certificate_get.txt",
        layout: Layout::Newer,
        title: "券状态查询",
        method: "GET",
        path: "/goodlife/v1/fulfilment/certificate/get/",
        path_for_import: "",
        scope: "life.capacity.fulfilment",
        permission: "团购核销",
        qps: None,
        params: &[
            ACCESS,
            CONTENT,
            ("query", "encrypted_code", "String", REQ),
            ("query", "account_id", "String", OPT),
        ],
    },
    Expect {
        file: "docs/pages/certificate_query.txt",
        layout: Layout::Newer,
        title: "券状态批量查询",
        method: "GET",
        path: "/goodlife/v1/fulfilment/certificate/query/",
        path_for_import: "",
        scope: "life.capacity.fulfilment",
        permission: "团购核销",
        qps: None,
        params: &[
            ACCESS,
            CONTENT,
            ("query", "account_id", "String", OPT),
            ("query", "encrypted_code", "String", OPT),
            ("query", "order_id", "String", OPT),
        ],
    },
    Expect {
        file: "docs/pages/trade_order_query.txt",
        layout: Layout::Newer,
        title: "订单查询",
        method: "GET",
        path: "/goodlife/v1/trade/order/query/",
        path_for_import: "",
        scope: "life.capacity.order.query",
        // The 权限要求 cell only says how to apply: it names no permission.
        permission: "",
        qps: Some(20),
        // Cut in the content-type description: no query parameters shown.
        params: &[ACCESS, CONTENT],
    },
    Expect {
        file: "docs/pages/hermes_trade_order_query.txt",
        layout: Layout::Seed,
        title: "订单查询",
        method: "GET",
        path: "/goodlife/v1/hermes/trade/order/query/",
        path_for_import: "",
        scope: "life.capacity.order.query",
        permission: "订单查询",
        qps: None,
        params: &[
            ACCESS,
            CONTENT,
            ACCOUNT_HEADER,
            ("query", "account_id", "String", REQ),
            ("query", "create_order_end_time", "Int64", OPT),
            ("query", "create_order_start_time", "Int64", OPT),
            ("query", "ext_order_id", "String", OPT),
            ("query", "get_secret_number", "Bool", OPT),
            ("query", "open_id", "String", OPT),
            ("query", "order_id", "String", OPT),
            ("query", "order_status", "Int32", OPT),
            ("query", "page_num", "Int32", OPT),
            ("query", "page_size", "Int32", OPT),
            ("query", "update_order_end_time", "Int64", OPT),
            ("query", "update_order_start_time", "Int64", OPT),
        ],
    },
    Expect {
        file: "docs/pages/open_platform_encrypt_batch.txt",
        layout: Layout::Newer,
        title: "开放平台加密",
        method: "POST",
        path: "/goodlife/v1/open/common_biz/crypto/encrypt/batch/",
        path_for_import: "",
        scope: "life.capacity.open.common_biz.crypto.encrypt.batch",
        permission: "开放平台加密接口",
        qps: Some(100),
        params: &[
            ACCESS,
            CONTENT,
            ACCOUNT_HEADER,
            ("body", "account_id", "String", REQ),
            ("body", "plain_texts", "List", REQ),
        ],
    },
    Expect {
        file: "docs/pages/trip_certificate_verify.txt",
        layout: Layout::Newer,
        // The menu's last item is 接口说明: the page shows no title.
        title: "",
        method: "POST",
        path: "/goodlife/v1/trip/certificate/verify/",
        path_for_import: "",
        // The page ends in this cell.
        scope: "life.capacity",
        permission: "",
        qps: None,
        params: &[],
    },
    Expect {
        file: "docs/pages/client_token.txt",
        layout: Layout::Newer,
        title: "生成 client-token",
        method: "POST",
        path: "/oauth/client_token/",
        path_for_import: "",
        scope: "",
        permission: "",
        qps: None,
        params: &[
            CONTENT,
            ("body", "client_key", "String", REQ),
            ("body", "client_secret", "String", REQ),
            ("body", "grant_type", "String", REQ),
        ],
    },
];

/// Pages without an operation, and what they are.
const OTHERS: &[(&str, &str)] = &[
    (
        "docs/pages/webhook_trade_certificate_notify.txt",
        "callback",
    ),
    ("docs/pages/spi_tripartite_code_create.txt", "callback"),
    ("docs/pages/spi_signature_rules.txt", "rules"),
    ("docs/pages/webhooks.txt", "rules"),
    ("docs/pages/openapi_call_convention.txt", "rules"),
    ("docs/pages/common_status_codes.txt", "rules"),
];

fn params_of(p: &Page) -> Vec<(String, String, String, Req)> {
    let mut out = Vec::new();
    for (loc, list) in [
        ("header", &p.headers),
        ("path", &p.path_params),
        ("query", &p.query),
        ("body", &p.body),
    ] {
        for q in list {
            let req = q.required_known.then_some(q.required);
            out.push((loc.to_string(), q.name.clone(), q.ty.clone(), req));
        }
    }
    out
}

#[test]
fn every_page_is_covered_here() {
    let mut files: BTreeSet<String> = std::fs::read_dir(xtask::root().join("docs/pages"))
        .unwrap()
        .map(|e| format!("docs/pages/{}", e.unwrap().file_name().to_string_lossy()))
        .filter(|f| f.ends_with(".txt"))
        .collect();
    for e in PAGES {
        assert!(files.remove(e.file), "{} listed twice or missing", e.file);
    }
    for (f, _) in OTHERS {
        assert!(files.remove(*f), "{f} listed twice or missing");
    }
    assert_eq!(files, BTreeSet::new(), "pages with no expectations");
    assert_eq!(PAGES.len(), 14);
}

#[test]
fn pages_state_what_was_read_by_hand() {
    for e in PAGES {
        let p = page::read(&read(e.file));
        assert_eq!(p.layout, e.layout, "{}", e.file);
        assert_eq!(p.title, e.title, "{}", e.file);
        assert_eq!(p.method, e.method, "{}", e.file);
        if e.path.is_empty() {
            assert!(!p.has_operation(), "{}", e.file);
        } else {
            assert_eq!(p.path, e.path, "{}", e.file);
        }
        assert_eq!(p.scope, e.scope, "{}", e.file);
        assert_eq!(p.permission, e.permission, "{}", e.file);
        assert_eq!(p.qps, e.qps, "{}", e.file);
        let want: Vec<(String, String, String, Req)> = e
            .params
            .iter()
            .map(|(l, n, t, r)| (l.to_string(), n.to_string(), t.to_string(), *r))
            .collect();
        assert_eq!(params_of(&p), want, "{}", e.file);
        assert_eq!(p.problems, [], "{}", e.file);
        assert_eq!(p.unplaced, [], "{}", e.file);
    }
}

#[test]
fn details_of_the_new_layouts() {
    let prepare = page::read(&read("docs/pages/certificate_prepare.txt"));
    assert_eq!(prepare.host, "");
    assert_eq!(prepare.permission_lines, Vec::<String>::new());
    let ex = prepare.request_example.unwrap();
    assert_eq!(
        ex.query,
        [
            ("poi_id".to_string(), "7o3Ol8TOYL".to_string()),
            ("encrypted_data".into(), "3KIziZFQNL".into()),
            ("code".into(), "1WBp9FN8Qp".into())
        ]
    );

    let v2 = page::read(&read("docs/pages/certificate_prepare_v2.txt"));
    assert!(v2.path_cut);
    assert_eq!(
        v2.url,
        "https://open.douyin.com/goodlife/v1/fulfilment/certi"
    );
    assert_eq!((v2.qps, v2.qps_line), (Some(200), 56));
    assert_eq!(v2.menu.len(), 30);

    let trade = page::read(&read("docs/pages/trade_order_query.txt"));
    assert_eq!(trade.qps_figures, [(500, 50), (20, 67)]);
    assert_eq!(
        trade.permission_lines,
        ["需要申请权限 ,路径:抖音开放平台-开发者平台/服务商平台>控制台>应用详情>解决方案"]
    );
    assert_eq!(
        trade.lacks(),
        [
            "no query or body parameters: the page is cut in the request headers",
            "no request example: the page is cut before it",
            "no response fields: the page is cut before them",
            "no error table: the page is cut before 错误码",
        ]
    );

    let get = page::read(&read("docs/pages/certificate_get.txt"));
    assert!(get.response_example_cut);
    let ex = get.response_example.unwrap();
    assert_eq!(ex["extra"]["now"], 1733380660);
    assert_eq!(ex["data"]["certificate"]["code"], "E9RFq2xnKC");
    assert_eq!(
        ex["data"]["certificate"]["use_time_info"]["use_time_type"],
        1
    );
    assert_eq!(
        get.permission_lines,
        [
            "团购核销",
            "1.需要申请权限 路径:抖音开放平台-开发者平台/服务商平台>控制台>应用详情>解决方案",
            "2.需要商家授权,路径:抖音来客>店铺管理>第三方应用授权"
        ]
    );

    let token = page::read(&read("docs/pages/client_token.txt"));
    let rows: Vec<_> = token
        .errors
        .iter()
        .map(|r| (r.status, r.code, r.message.as_str(), r.advice.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            (200, 10002, "参数错误", "检查参数是否漏传"),
            (
                200,
                10003,
                "client_key 不存在",
                "检查 client_key 参数是否正确"
            ),
            (
                200,
                10013,
                "client_key 或者 client_secret 报错",
                "检查 client_key 和 client_secret 是否正确"
            ),
        ]
    );
    assert!(!token.cut);
    assert!(token.numbers.contains(&10020));

    let trip = page::read(&read("docs/pages/trip_certificate_verify.txt"));
    assert!(trip.scope_cut);

    let verify = page::read(&read("docs/pages/certificate_verify.txt"));
    assert_eq!(verify.url_line, 51);
    assert_eq!(verify.permission_lines[0], "团购核销");

    let encrypt = page::read(&read("docs/pages/open_platform_encrypt_batch.txt"));
    let body = encrypt.request_example.unwrap().body.unwrap();
    assert_eq!(body["plain_texts"][0]["text_type"], 1);
    assert_eq!(
        encrypt.response_example.unwrap()["data"]["results"][0]["error_code"],
        4526792973983330300u64
    );

    let status = page::read(&read("docs/pages/common_status_codes.txt"));
    assert_eq!(status.errors.len(), 29);
    assert_eq!(
        (status.errors[1].code, status.errors[1].message.as_str()),
        (28001005, "系统繁忙,此时请开发者稍候再试")
    );
    assert_eq!(
        (status.errors[28].code, status.errors[28].message.as_str()),
        (2190001, "quota 已用完")
    );

    let hook = page::read(&read("docs/pages/webhook_trade_certificate_notify.txt"));
    assert!(hook.callback);
    let body: Vec<_> = hook
        .body
        .iter()
        .map(|p| (p.name.as_str(), p.ty.as_str()))
        .collect();
    assert_eq!(
        body,
        [
            ("event", "string"),
            ("client_key", "string"),
            ("content", "string"),
            ("log_id", "string")
        ]
    );
}

/// The operations the spec gained by hand from these pages. The import tests
/// take them out of their copy so that each page's own draft is merged and
/// checked; the other pages' operations (000, 001, 002, client_token) stay.
const TRANSCRIBED: &[&str] = &[
    "/goodlife/v1/fulfilment/certificate/prepare/",
    "/goodlife/v1/fulfilment/certificate/verify/",
    "/goodlife/v1/fulfilment/certificate/cancel/",
    "/goodlife/v1/fulfilment/certificate/get/",
    "/goodlife/v1/fulfilment/certificate/query/",
    "/goodlife/v1/trade/order/query/",
];

/// A copy of the real spec without the [`TRANSCRIBED`] operations, with every
/// page that has an operation imported as `--write` would (path from the
/// expectations where the page gives none).
fn spec_with_imports() -> (String, Vec<String>) {
    static MERGED: std::sync::OnceLock<(String, Vec<String>)> = std::sync::OnceLock::new();
    MERGED
        .get_or_init(|| import_all(common::spec_without(&real_spec_text(), TRANSCRIBED)))
        .clone()
}

/// The real spec as it is, with the pages whose operation it lacks imported:
/// what `docs-check` compares a page with once those are written.
fn real_spec_with_imports() -> (String, Vec<String>) {
    static MERGED: std::sync::OnceLock<(String, Vec<String>)> = std::sync::OnceLock::new();
    MERGED.get_or_init(|| import_all(real_spec_text())).clone()
}

fn import_all(mut text: String) -> (String, Vec<String>) {
    let mut ids = Vec::new();
    for e in PAGES {
        let p = page::read(&read(e.file));
        let spec = spec::parse(&text).unwrap();
        let present = spec::operations(&spec).iter().any(|o| {
            o.path
                == if e.path.is_empty() {
                    e.path_for_import
                } else {
                    e.path
                }
        });
        if present {
            continue;
        }
        let ctx = import::Context {
            catalog: spec["x-error-code-catalog"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|c| c["code"].as_i64())
                .collect(),
            taken: spec["components"]["schemas"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect(),
            path: (!e.path_for_import.is_empty()).then(|| e.path_for_import.to_string()),
            method: e.method.is_empty().then(|| "GET".to_string()),
        };
        assert_eq!(import::refusal(&p, &ctx), None, "{}", e.file);
        let draft = import::draft_with(&p, e.file, &ctx);
        let merged = spec_edit::merge(&text, &draft, e.file, false)
            .unwrap_or_else(|err| panic!("{}: {err}", e.file));
        ids.push(draft.operation_id.clone());
        text = merged.text;
    }
    (text, ids)
}

#[test]
fn every_page_with_an_operation_imports_and_checks_clean() {
    let (text, ids) = spec_with_imports();
    assert_eq!(
        ids,
        [
            "fulfilment_certificate_prepare",
            "fulfilment_certificate_verify",
            "fulfilment_certificate_cancel",
            "fulfilment_certificate_get",
            "fulfilment_certificate_query",
            "trade_order_query",
            "hermes_trade_order_query",
            "open_common_biz_crypto_encrypt_batch",
            "trip_certificate_verify",
        ]
    );
    let spec = spec::parse(&text).unwrap();
    for e in PAGES {
        let p = page::read(&read(e.file));
        let report = check::check(&p, &spec, e.file);
        assert_eq!(report.status, check::Status::Checked, "{}", e.file);
        let expected: &[&str] = match e.file {
            // v2 states QPS 200; the draft came from the older revision.
            "docs/pages/certificate_prepare_v2.txt" => {
                &["QPS limit 200 (line 56) is not in the spec (x-douyin-qps)"]
            }
            _ => &[],
        };
        assert_eq!(report.differences, expected, "{}", e.file);
    }

    // The real spec has the other six by hand: it takes only three drafts,
    // and every page checks clean against it too.
    let (real, ids) = real_spec_with_imports();
    assert_eq!(
        ids,
        [
            "hermes_trade_order_query",
            "open_common_biz_crypto_encrypt_batch",
            "trip_certificate_verify",
        ]
    );
    let real = spec::parse(&real).unwrap();
    for e in PAGES {
        let report = check::check(&page::read(&read(e.file)), &real, e.file);
        assert_eq!(report.status, check::Status::Checked, "{}", e.file);
        assert_eq!(report.differences, Vec::<String>::new(), "{}", e.file);
    }

    // The drafts generate a client and are lint-clean but for their TODOs.
    let api: openapiv3::OpenAPI = serde_json::from_value(spec.clone()).unwrap();
    let mut generator = progenitor::Generator::new(&xtask::surface::settings());
    generator.generate_tokens(&api).unwrap();
    let problems: Vec<String> = xtask::lint::lint(&spec, &xtask::root())
        .into_iter()
        .filter(|p| !p.ends_with("x-error-codes is empty"))
        .collect();
    assert_eq!(problems, Vec::<String>::new());
}

fn op<'a>(spec: &'a Value, path: &str, method: &str) -> &'a Value {
    &spec["paths"][path][method]
}

#[test]
fn drafts_carry_the_extensions() {
    let (text, _) = spec_with_imports();
    let spec = spec::parse(&text).unwrap();
    let cancel = op(&spec, "/goodlife/v1/fulfilment/certificate/cancel/", "post");
    assert_eq!(cancel["x-douyin-write"], true);
    assert_eq!(cancel["x-douyin-idempotency-key"], "cancel_token");
    assert_eq!(cancel["x-douyin-envelope"], Value::Null);
    assert_eq!(cancel["x-error-codes"], serde_json::json!([]));
    let verify = op(&spec, "/goodlife/v1/fulfilment/certificate/verify/", "post");
    assert_eq!(verify["x-douyin-idempotency-key"], "verify_token");
    // The page leaves 必须 blank; the call convention requires both headers.
    let headers: Vec<(&str, bool)> = verify["x-douyin-headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap(),
                h["required"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(headers, [("content-type", true), ("access-token", true)]);
    assert_eq!(verify["x-douyin-scope"], "TODO");
    let get = op(&spec, "/goodlife/v1/fulfilment/certificate/get/", "get");
    assert_eq!(get["x-douyin-envelope"], "goodlife");
    assert_eq!(get["x-douyin-write"], Value::Null);
    let encrypt = op(
        &spec,
        "/goodlife/v1/open/common_biz/crypto/encrypt/batch/",
        "post",
    );
    assert_eq!(encrypt["x-douyin-qps"], 100);
    assert_eq!(encrypt["x-douyin-write"], Value::Null);
    let hermes = op(&spec, "/goodlife/v1/hermes/trade/order/query/", "get");
    assert_eq!(
        hermes["x-douyin-pagination"],
        serde_json::json!({"kind": "page", "page": "page_num", "size": "page_size", "total": "TODO", "items": "TODO"})
    );
    let trade = op(&spec, "/goodlife/v1/trade/order/query/", "get");
    assert_eq!(trade["x-douyin-qps"], 20);
    let token_like = op(&spec, "/goodlife/v1/trip/certificate/verify/", "post");
    assert_eq!(token_like["x-douyin-doc"]["title"], "TODO");

    // The cut example's integers near 2^63 are int64, its random strings strings.
    let results = spec::resolve(
        &spec,
        &spec["components"]["schemas"]["OpenCommonBizCryptoEncryptBatchData"]["properties"]["results"]
            ["items"],
    );
    assert_eq!(results["properties"]["error_code"]["format"], "int64");
    assert_eq!(results["properties"]["error_msg"]["type"], "string");
    assert_eq!(results["properties"]["error_msg"].get("enum"), None);

    // TODO comments sit above each inserted operation.
    assert!(text.contains(
        "    # TODO(docs-import): the page lacks: no error table: the page is cut before 错误码\n    # TODO(docs-import): x-error-codes: the page shows no error table; add the operation's codes\n    get:\n      operationId: fulfilment_certificate_get\n"
    ));
}

// ---- mutations of the new layouts: the precise line docs-check prints ------

/// Applies `from → to` once (it must apply) and checks the page against the
/// real spec, with the pages whose operation it lacks imported.
fn mutate(rel: &str, from: &str, to: &str) -> check::Report {
    let text = read(rel);
    assert!(text.contains(from), "{rel}: {from:?} not found");
    let p = page::read(&text.replacen(from, to, 1));
    let (spec_text, _) = real_spec_with_imports();
    check::check(&p, &spec::parse(&spec_text).unwrap(), rel)
}

fn diffs(rel: &str, from: &str, to: &str) -> Vec<String> {
    mutate(rel, from, to).differences
}

const GET: &str = "docs/pages/certificate_get.txt";
const VERIFY: &str = "docs/pages/certificate_verify.txt";
const ENCRYPT: &str = "docs/pages/open_platform_encrypt_batch.txt";
const HERMES: &str = "docs/pages/hermes_trade_order_query.txt";

#[test]
fn newer_layout_retyped_and_required_parameters() {
    assert_eq!(
        diffs(GET, "encrypted_code必填String", "encrypted_code必填Int64"),
        ["type of query.encrypted_code changed: String → Int64"]
    );
    assert_eq!(
        diffs(GET, "    account_idString", "    account_id必填String"),
        ["query.account_id changed: optional → required"]
    );
}

#[test]
fn newer_layout_parameters_moved_to_the_body() {
    assert_eq!(
        diffs(GET, "    Query\n", "    Body\n"),
        [
            "location of request parameter encrypted_code changed: query → body",
            "location of request parameter account_id changed: query → body"
        ]
    );
}

#[test]
fn newer_layout_basic_info_cells() {
    assert_eq!(
        diffs(
            GET,
            "    life.capacity.fulfilment\n    权限要求",
            "    life.capacity.fulfilment.read\n    权限要求"
        ),
        ["scope changed: life.capacity.fulfilment → life.capacity.fulfilment.read"]
    );
    assert_eq!(
        diffs(GET, "\n    团购核销\n", "\n    券码查询\n"),
        ["permission (权限要求) changed: 团购核销 → 券码查询"]
    );
    // A URL without host is the same operation.
    assert_eq!(
        diffs(
            GET,
            "    https://open.douyin.com/goodlife/v1/fulfilment/certificate/get/\n",
            "    /goodlife/v1/fulfilment/certificate/get/\n"
        ),
        Vec::<String>::new()
    );
}

#[test]
fn qps_with_chinese_punctuation() {
    assert_eq!(
        diffs(
            ENCRYPT,
            "SLA:支持的最大QPS:100;",
            "SLA：支持的最大QPS：50；"
        ),
        ["x-douyin-qps changed: 100 → 50"]
    );
}

#[test]
fn array_types() {
    assert_eq!(
        diffs(
            ENCRYPT,
            "plain_texts必填List",
            "plain_texts必填Array<String>"
        ),
        ["type of body.plain_texts changed: List<Struct> → Array<String>"]
    );
    assert_eq!(
        diffs(HERMES, "ext_order_idString", "ext_order_idArray<String>"),
        ["type of query.ext_order_id changed: String → Array<String>"]
    );
}

#[test]
fn cut_response_differences_are_notes() {
    let r = mutate(
        GET,
        "\"certificate\": { \"code\"",
        "\"certificate\": { \"foo\": 1, \"code\"",
    );
    assert_eq!(r.differences, Vec::<String>::new());
    // The page's certificate is cut after code, used_status_type and
    // use_time_info; the spec's FulfilmentCertificate has the rest.
    assert!(
        r.notes.contains(
            &"response field data.certificate.foo missing from spec (spec fields not on the page here: amount, certificate_id, encrypted_code, expire_time, sku, start_time, status, time_card, verify, verify_records; renamed?) (the page's response is cut: not a failure)"
                .to_string()
        ),
        "{:?}",
        r.notes
    );
}

#[test]
fn older_layout_cells() {
    assert_eq!(
        diffs(
            VERIFY,
            "    poi_id\n    string\n",
            "    poi_id\n    int64\n"
        ),
        ["type of body.poi_id changed: String → int64"]
    );
    assert_eq!(
        diffs(
            VERIFY,
            "可以参考:门店关联及匹配能力\n    是\n",
            "可以参考:门店关联及匹配能力\n    否\n"
        ),
        ["body.poi_id changed: required → optional"]
    );
    assert_eq!(
        diffs(
            VERIFY,
            "    encrypted_codes\n",
            "    verify_channel\n    string\n    核销渠道\n    是\n    encrypted_codes\n"
        ),
        ["new request parameter body.verify_channel (string, required)"]
    );
    // order_id is in the spec (optional) but after the page's cut: a row for it
    // is compared like any other.
    assert_eq!(
        diffs(
            VERIFY,
            "    encrypted_codes\n",
            "    order_id\n    string\n    订单id\n    是\n    encrypted_codes\n"
        ),
        ["body.order_id changed: optional → required"]
    );
}

#[test]
fn older_layout_removed_row_on_a_cut_page_is_not_a_failure() {
    let r = mutate(
        VERIFY,
        "    account_id\n    string\n    核销\n    商户根账户ID(云连锁场景接入需传入,其余场景可不传)\n    否\n",
        "",
    );
    assert_eq!(r.differences, Vec::<String>::new());
    // account_id joins the spec's parameters the page is cut before.
    assert!(
        r.notes.contains(
            &"not checked (the page is cut before them): body.account_id, body.code_with_time_list, body.codes, body.order_id, body.verify_sign_list"
                .to_string()
        ),
        "{:?}",
        r.notes
    );
}

#[test]
fn seed_layout_rows_beginning_with_a_bar() {
    assert_eq!(
        diffs(
            HERMES,
            "HTTP URL | https://open.douyin.com/goodlife/v1/hermes/trade/order/query/ |\nHTTP Method | GET |\nScope | life.capacity.order.query |",
            "| HTTP URL | https://open.douyin.com/goodlife/v1/hermes/trade/order/query/ |\n| HTTP Method | GET |\n| Scope | life.capacity.order.read |"
        ),
        ["scope changed: life.capacity.order.query → life.capacity.order.read"]
    );
    // The page's cell is empty (not checked); the spec has 团购核销.
    assert_eq!(
        diffs(
            "docs/pages/certificate_prepare.txt",
            "权限要求 |\n|\n",
            "权限要求 | 券码查询 |\n"
        ),
        ["permission (权限要求) changed: 团购核销 → 券码查询"]
    );
    assert_eq!(
        diffs(
            "docs/pages/certificate_prepare.txt",
            "权限要求 |\n|\n",
            "权限要求 | 团购核销 |\n"
        ),
        Vec::<String>::new()
    );
}

#[test]
fn cells_per_line_error_table() {
    assert_eq!(
        diffs(
            "docs/pages/client_token.txt",
            "client_key 不存在",
            "client_key 无效"
        ),
        ["message of error code 10003 changed: \"client_key 不存在\" → \"client_key 无效\""]
    );
}

// ---- no panics on truncated pages ------------------------------------------

#[test]
fn truncated_pages_never_panic() {
    let real = spec::parse(&real_spec_text()).unwrap();
    let (merged, _) = spec_with_imports();
    let merged = spec::parse(&merged).unwrap();
    let ctx = import::Context::default();
    for entry in std::fs::read_dir(xtask::root().join("docs/pages")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "txt") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let file = path.display().to_string();
        for (i, (at, _)) in text.char_indices().enumerate() {
            let p = page::read(&text[..at]);
            if i % 23 == 0 {
                let _ = check::check(&p, &real, &file);
                let _ = check::check(&p, &merged, &file);
                if import::refusal(&p, &ctx).is_none() {
                    let d = import::draft_with(&p, &file, &ctx);
                    let _ = import::render(&d, &file);
                }
            }
        }
    }
}

#[test]
fn limits_stated_in_descriptions() {
    assert_eq!(
        diffs(HERMES, "建议最小传10,最大200", "建议最小传10,最大100"),
        ["maximum of query.page_size changed: 200 → 100"]
    );
    assert_eq!(
        diffs(HERMES, "建议最小传10,最大200", "建议最小传20,最大200"),
        ["minimum of query.page_size changed: 10 → 20"]
    );
    let (text, _) = spec_with_imports();
    let spec = spec::parse(&text).unwrap();
    let page_size = &op(&spec, "/goodlife/v1/hermes/trade/order/query/", "get")["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "page_size")
        .unwrap()["schema"];
    assert_eq!(
        (&page_size["maximum"], &page_size["minimum"]),
        (&200.into(), &10.into())
    );
}

#[test]
fn either_qps_figure_of_a_page_is_accepted() {
    let (text, _) = spec_with_imports();
    let p = page::read(&read("docs/pages/trade_order_query.txt"));
    assert!(
        text.contains("      x-douyin-qps: 20\n"),
        "the draft has 使用限制's figure"
    );
    for (figure, expected) in [
        ("20", Vec::<String>::new()),
        ("500", Vec::new()),
        ("300", vec!["x-douyin-qps changed: 300 → 20".to_string()]),
    ] {
        let t = text.replacen(
            "      x-douyin-qps: 20\n",
            &format!("      x-douyin-qps: {figure}\n"),
            1,
        );
        let r = check::check(
            &p,
            &spec::parse(&t).unwrap(),
            "docs/pages/trade_order_query.txt",
        );
        assert_eq!(r.differences, expected, "{figure}");
    }
}

#[test]
fn pages_without_an_operation_are_read_and_refused() {
    let spec = spec::parse(&real_spec_text()).unwrap();
    for (file, kind) in OTHERS {
        let p = page::read(&read(file));
        assert!(!p.has_operation(), "{file}");
        let why = import::refusal(&p, &import::Context::default()).unwrap();
        let status = check::check(&p, &spec, file).status;
        match *kind {
            "callback" => {
                assert!(p.callback, "{file}");
                assert_eq!(p.method, "POST", "{file}");
                assert!(
                    why.starts_with("a callback page: Douyin sends POST"),
                    "{why}"
                );
                assert_eq!(status, check::Status::Callback, "{file}");
            }
            _ => {
                assert_eq!((p.method.as_str(), p.url.as_str()), ("", ""), "{file}");
                assert!(
                    why.starts_with("no HTTP method and path: a rules page"),
                    "{why}"
                );
                assert_eq!(status, check::Status::Rules, "{file}");
            }
        }
    }
    let spi = page::read(&read("docs/pages/spi_tripartite_code_create.txt"));
    assert_eq!(
        (spi.title.as_str(), spi.permission.as_str()),
        ("发券", "三方码发布")
    );
    assert_eq!(spi.other_response_examples.len(), 3);
    assert_eq!(spi.response_example.unwrap()["data"]["result"], 0);
}

#[test]
fn pages_with_a_line_removed_or_garbled_never_panic() {
    let real = spec::parse(&real_spec_text()).unwrap();
    let ctx = import::Context::default();
    for entry in std::fs::read_dir(xtask::root().join("docs/pages")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "txt") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for i in 0..lines.len() {
            for replacement in [
                None,
                Some("| | |"),
                Some("{\"a\": [1,"),
                Some("  • 接口说明"),
            ] {
                let mut l = lines.clone();
                match replacement {
                    None => {
                        l.remove(i);
                    }
                    Some(r) => l[i] = r,
                }
                let p = page::read(&l.join("\n"));
                let _ = check::check(&p, &real, "x.txt");
                if import::refusal(&p, &ctx).is_none() {
                    let _ = import::render(&import::draft_with(&p, "x.txt", &ctx), "x.txt");
                }
            }
        }
    }
}
