//! The `cargo xtask docs-import` and `docs-check` binaries on the real pages:
//! exit codes, what goes to stderr, and `--write` on a temporary copy of the spec.

use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::spec;

mod common;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(xtask::root())
        .output()
        .unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A fresh copy of the real spec in a directory of its own, without the path
/// items of `without` (and the schemas only they used).
fn spec_copy(name: &str, without: &[&str]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-import-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("goodlife.yaml");
    let real = std::fs::read_to_string(xtask::default_spec()).unwrap();
    std::fs::write(&path, common::spec_without(&real, without)).unwrap();
    path
}

const GET_PATH: &str = "/goodlife/v1/fulfilment/certificate/get/";
const VERIFY_PATH: &str = "/goodlife/v1/fulfilment/certificate/verify/";

fn operation_count(text: &str) -> usize {
    spec::operations(&spec::parse(text).unwrap()).len()
}

fn cleanup(spec: &Path) {
    let _ = std::fs::remove_dir_all(spec.parent().unwrap());
}

#[test]
fn docs_check_runs_on_every_page() {
    let mut args = vec!["docs-check".to_string()];
    let mut files: Vec<String> = std::fs::read_dir(xtask::root().join("docs/pages"))
        .unwrap()
        .map(|e| format!("docs/pages/{}", e.unwrap().file_name().to_string_lossy()))
        .filter(|f| f.ends_with(".txt"))
        .collect();
    files.sort();
    args.extend(files);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&args);
    assert_eq!(out.code, 0, "{}", out.stdout);
    for line in [
        "docs/pages/webhooks.txt: rules page: nothing to check",
        "docs/pages/common_status_codes.txt: rules page: nothing to check",
        "docs/pages/webhook_trade_certificate_notify.txt: callback page (POST to the developer's URL): nothing to check",
        "docs/pages/hermes_trade_order_query.txt: GET /goodlife/v1/hermes/trade/order/query/ not in the spec (cargo xtask docs-import --write docs/pages/hermes_trade_order_query.txt)",
        "docs/pages/certificate_get.txt: ok (GET /goodlife/v1/fulfilment/certificate/get/ (certificate_get))",
        "docs/pages/client_token.txt: ok (POST /oauth/client_token/ (get_client_token))",
        "docs/pages/certificate_verify.txt: ok (POST /goodlife/v1/fulfilment/certificate/verify/ (certificate_verify))",
        "docs/pages/certificate_verify.txt: note: the page gives no complete method and path; compared with POST /goodlife/v1/fulfilment/certificate/verify/ (certificate_verify), found by x-douyin-doc.file",
        "docs/pages/certificate_prepare_v2.txt: note: the page gives no complete method and path; compared with GET /goodlife/v1/fulfilment/certificate/prepare/ (certificate_prepare), found by x-douyin-doc.title",
    ] {
        assert!(
            out.stdout.lines().any(|l| l == line),
            "{line}\n{}",
            out.stdout
        );
    }

    // Without the verify operation, a page without a path finds nothing.
    let spec_path = spec_copy("check", &[VERIFY_PATH]);
    let shown = spec_path.display().to_string();
    let out = run(&[
        "docs-check",
        "--spec",
        &shown,
        "docs/pages/certificate_verify.txt",
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(
        out.stdout,
        "docs/pages/certificate_verify.txt: the page gives no path (the HTTP URL cell is empty) and no spec operation has x-douyin-doc.title \"验券\": nothing to check (cargo xtask docs-import --path PATH --write docs/pages/certificate_verify.txt)\n"
    );
    cleanup(&spec_path);
}

#[test]
fn pages_without_an_operation_are_refused_clearly() {
    let out = run(&["docs-import", "docs/pages/webhooks.txt"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains(
        "error: docs/pages/webhooks.txt: no HTTP method and path: a rules page (conventions shared by many operations), nothing to import"
    ), "{}", out.stderr);
    assert_eq!(out.stdout, "");

    let out = run(&["docs-import", "docs/pages/spi_tripartite_code_create.txt"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains(
        "error: docs/pages/spi_tripartite_code_create.txt: a callback page: Douyin sends POST to the developer's URL (地址由服务商提供); it is not an OpenAPI operation, nothing to import"
    ), "{}", out.stderr);

    let out = run(&["docs-import", "docs/pages/certificate_verify.txt"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains(
        "error: docs/pages/certificate_verify.txt: the page gives no path (the HTTP URL cell is empty); give the path with --path"
    ), "{}", out.stderr);

    let out = run(&["docs-import", "docs/pages/certificate_prepare_v2.txt"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains(
        "the HTTP URL is cut at line 62 (https://open.douyin.com/goodlife/v1/fulfilment/certi); give the path with --path and the method with --method"
    ), "{}", out.stderr);
}

#[test]
fn unread_lines_and_what_a_page_lacks_go_to_stderr() {
    let out = run(&["docs-import", "docs/pages/spi_signature_rules.txt"]);
    assert!(out.stderr.contains(
        "docs/pages/spi_signature_rules.txt:53: not read (expected a parameter line like `name必填String`): 调用路径为抖音调用服务商的接口,会传递以下内容在 Header 中\n"
    ), "{}", out.stderr);

    let out = run(&[
        "docs-import",
        "--path",
        "/goodlife/v1/fulfilment/certificate/verify/",
        "docs/pages/certificate_verify.txt",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("operationId: fulfilment_certificate_verify\n")
    );
    assert!(
        out.stdout
            .contains("x-douyin-idempotency-key: verify_token\n")
    );
    assert!(out.stdout.contains(
        "# TODO(docs-import): body.encrypted_codes: the page does not say whether it is required\n"
    ));
    for l in [
        "docs/pages/certificate_verify.txt: the page lacks: the request parameters are cut: later ones are missing",
        "docs/pages/certificate_verify.txt: the page lacks: no response fields: the page is cut before them",
        "docs/pages/certificate_verify.txt: the page lacks: no error table: the page is cut before 错误码",
    ] {
        assert!(out.stderr.lines().any(|x| x == l), "{l}\n{}", out.stderr);
    }

    let out = run(&["docs-import", "docs/pages/certificate_get.txt"]);
    assert_eq!(out.code, 0);
    assert!(out.stderr.contains(
        "docs/pages/certificate_get.txt: the page lacks: no complete response tree: the example is cut (read up to the cut)\n"
    ));
    // Codes the catalog lacks are TODOs, not rows the build would refuse.
    let out = run(&["docs-import", "docs/pages/client_token.txt"]);
    assert!(out.stdout.contains("x-error-codes:\n"), "{}", out.stdout);
    assert!(out.stdout.contains("- code: 10002\n"));
}

#[test]
fn write_adds_the_operation_and_keeps_the_file() {
    // The real spec has certificate_get by hand; import the page into a copy without it.
    let spec_path = spec_copy("write", &[GET_PATH]);
    let shown = spec_path.display().to_string();
    let before = std::fs::read_to_string(&spec_path).unwrap();
    let ops_before = operation_count(&before);

    let out = run(&[
        "docs-import",
        "--spec",
        &shown,
        "--write",
        "docs/pages/certificate_get.txt",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!(
            "added GET /goodlife/v1/fulfilment/certificate/get/ (fulfilment_certificate_get) to {shown} with 5 schema(s); 3 TODO(s) marked `# TODO(docs-import)`\n"
        )
    );
    let after = std::fs::read_to_string(&spec_path).unwrap();
    // Every line of the old file is still there, in order (comments included).
    let mut rest = after.lines();
    for line in before.lines() {
        assert!(rest.any(|l| l == line), "lost or moved: {line:?}");
    }
    let spec = spec::parse(&after).unwrap();
    assert_eq!(spec::operations(&spec).len(), ops_before + 1);
    let op = &spec["paths"]["/goodlife/v1/fulfilment/certificate/get/"]["get"];
    assert_eq!(op["operationId"], "fulfilment_certificate_get");
    assert_eq!(op["x-douyin-doc"]["file"], "docs/pages/certificate_get.txt");
    // Inserted after the last operation, before components.
    let at = after
        .find("  /goodlife/v1/fulfilment/certificate/get/:")
        .unwrap();
    assert!(at > after.find("  /oauth/client_token/:").unwrap());
    assert!(at < after.find("\ncomponents:").unwrap());
    assert!(after.contains("    FulfilmentCertificateGetResponse:\n"));

    // The same operation again is refused; the file is untouched.
    let out = run(&[
        "docs-import",
        "--spec",
        &shown,
        "--write",
        "docs/pages/certificate_get.txt",
    ]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains(
        "the spec already has GET /goodlife/v1/fulfilment/certificate/get/ (fulfilment_certificate_get); the draft GET /goodlife/v1/fulfilment/certificate/get/ (fulfilment_certificate_get) would overwrite it (use --replace)"
    ), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&spec_path).unwrap(), after);

    // The same operationId under another path is refused too.
    let out = run(&[
        "docs-import",
        "--spec",
        &shown,
        "--write",
        "--path",
        "/goodlife/v2/fulfilment/certificate/get/",
        "docs/pages/certificate_get.txt",
    ]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("(use --replace)"), "{}", out.stderr);

    // --replace overwrites it: still one operation there, new schemas named apart.
    let out = run(&[
        "docs-import",
        "--spec",
        &shown,
        "--write",
        "--replace",
        "docs/pages/certificate_get.txt",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with(
        "replaced GET /goodlife/v1/fulfilment/certificate/get/ (fulfilment_certificate_get)\n"
    ));
    let replaced = std::fs::read_to_string(&spec_path).unwrap();
    let spec = spec::parse(&replaced).unwrap();
    assert_eq!(spec::operations(&spec).len(), ops_before + 1);
    assert_eq!(
        replaced
            .matches("  /goodlife/v1/fulfilment/certificate/get/:\n")
            .count(),
        1
    );
    assert_eq!(
        replaced
            .matches("# TODO(docs-import): drafted from docs/pages/certificate_get.txt")
            .count(),
        1
    );
    // Identical schemas are reused, never added under a second name.
    assert!(!replaced.contains("FulfilmentCertificateGetResponse2:"));
    let mut rest = replaced.lines();
    for line in before.lines() {
        assert!(rest.any(|l| l == line), "lost or moved: {line:?}");
    }

    // docs-check against the merged copy: the page checks clean.
    let out = run(&[
        "docs-check",
        "--spec",
        &shown,
        "docs/pages/certificate_get.txt",
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(
        out.stdout,
        "docs/pages/certificate_get.txt: ok (GET /goodlife/v1/fulfilment/certificate/get/ (fulfilment_certificate_get))\n"
    );
    cleanup(&spec_path);
}

#[test]
fn write_into_an_existing_path_item() {
    let spec_path = spec_copy("item", &[]);
    let shown = spec_path.display().to_string();
    let before = std::fs::read_to_string(&spec_path).unwrap();
    let ops_before = operation_count(&before);
    // A POST under an existing GET's path joins that path item.
    let out = run(&[
        "docs-import",
        "--spec",
        &shown,
        "--write",
        "--path",
        "/goodlife/v1/goods/foodorder/spu/detail/",
        "--method",
        "POST",
        "docs/pages/certificate_prepare_v2.txt",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = std::fs::read_to_string(&spec_path).unwrap();
    assert_eq!(
        text.matches("  /goodlife/v1/goods/foodorder/spu/detail/:\n")
            .count(),
        1
    );
    let spec = spec::parse(&text).unwrap();
    assert_eq!(spec::operations(&spec).len(), ops_before + 1);
    let item = &spec["paths"]["/goodlife/v1/goods/foodorder/spu/detail/"];
    assert_eq!(item["get"]["operationId"], "get_food_order_spu_detail");
    assert_eq!(item["post"]["operationId"], "goods_foodorder_spu_detail");
    assert_eq!(item["post"]["x-douyin-qps"], 200);
    let mut rest = text.lines();
    for line in before.lines() {
        assert!(rest.any(|l| l == line), "lost or moved: {line:?}");
    }
    cleanup(&spec_path);
}
