//! The `goodlife` binary against the sandbox: every command's stdout and exit
//! code (0 success, 1 API error, 2 invalid input with nothing sent, 3 transport
//! or decode failure).

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::Duration;

use douyin_goodlife::mock::{Fault, MockServer, Operation, sample};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_goodlife");

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {:?}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }
}

/// A command with a clean environment (no DOUYIN_* from the caller).
fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).kill_on_drop(true);
    for var in [
        "DOUYIN_BASE_URL",
        "DOUYIN_ACCESS_TOKEN",
        "DOUYIN_CLIENT_KEY",
        "DOUYIN_CLIENT_SECRET",
        "DOUYIN_TIMEOUT",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

async fn run_cmd(mut cmd: Command) -> Run {
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("goodlife finished within 60 s")
        .expect("goodlife ran");
    Run {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

async fn goodlife(args: &[&str]) -> Run {
    run_cmd(command(args)).await
}

/// Runs `cmd` with `input` on its stdin.
async fn run_with_stdin(mut cmd: Command, input: &[u8]) -> Run {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("goodlife ran");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).await.expect("write stdin");
    drop(stdin);
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("goodlife finished within 60 s")
        .expect("goodlife ran");
    Run {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

/// `DOUYIN_ACCESS_TOKEN=<fresh token> goodlife --base-url <server> ARGS…`
async fn against(server: &MockServer, args: &[&str]) -> Run {
    let base = server.base_url();
    let mut cmd = command(&[&["--base-url", base.as_str()][..], args].concat());
    cmd.env("DOUYIN_ACCESS_TOKEN", server.issue_token());
    run_cmd(cmd).await
}

/// `goodlife ARGS…` with the sandbox's client key and secret in the environment.
async fn with_credentials(args: &[&str]) -> Run {
    let mut cmd = command(args);
    cmd.env("DOUYIN_CLIENT_KEY", sample::CLIENT_KEY)
        .env("DOUYIN_CLIENT_SECRET", sample::CLIENT_SECRET);
    run_cmd(cmd).await
}

/// `goodlife ARGS…` with `token` as DOUYIN_ACCESS_TOKEN.
async fn with_token(token: &str, args: &[&str]) -> Run {
    let mut cmd = command(args);
    cmd.env("DOUYIN_ACCESS_TOKEN", token);
    run_cmd(cmd).await
}

const DAY_START: &str = "1732896000";
const DAY_END: &str = "1732982400";

fn orders_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "orders",
        "--account-id",
        sample::ACCOUNT_ID,
        "--poi-id",
        sample::POI_ID,
        "--start-time",
        DAY_START,
        "--end-time",
        DAY_END,
    ];
    v.extend_from_slice(extra);
    v
}

fn day_orders(server: &MockServer) -> Vec<String> {
    server.dataset().merchants[0].pois[0]
        .orders
        .iter()
        .filter(|o| (sample::DAY_START..sample::DAY_END).contains(&o.book_time.unwrap()))
        .map(|o| o.book_id.clone().unwrap())
        .collect()
}

#[test]
fn the_day_constants_match_the_sample() {
    assert_eq!(DAY_START, sample::DAY_START.to_string());
    assert_eq!(DAY_END, sample::DAY_END.to_string());
}

#[tokio::test]
async fn orders_prints_the_data_object_of_one_page() {
    let server = MockServer::start().await;
    let run = against(
        &server,
        &orders_args(&["--page-size", "20", "--page-num", "2"]),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "stderr: {}", run.stderr);
    let data = run.json();
    let expected = day_orders(&server);
    assert_eq!(data["total"], Value::from(expected.len()));
    assert_eq!(data["error_code"], 0);
    let ids: Vec<&str> = data["order_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["book_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        expected[20..40]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    let sent = server.received();
    assert_eq!(sent.len(), 1);
    let body = sent[0].json().unwrap();
    assert_eq!(
        (body["page_num"].as_i64(), body["page_size"].as_i64()),
        (Some(2), Some(20))
    );
}

#[tokio::test]
async fn orders_all_prints_every_order_across_pages_as_one_array() {
    let server = MockServer::start().await;
    let run = against(&server, &orders_args(&["--page-size", "20", "--all"])).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.is_empty(),
        "no progress bar when stderr is not a terminal: {}",
        run.stderr
    );
    let expected = day_orders(&server);
    let items = run.json();
    let ids: Vec<String> = items
        .as_array()
        .expect("an array")
        .iter()
        .map(|o| o["book_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, expected);
    let pages: Vec<i64> = server
        .received()
        .iter()
        .map(|r| r.json().unwrap()["page_num"].as_i64().unwrap())
        .collect();
    assert_eq!(
        pages,
        (1..=expected.len().div_ceil(20) as i64).collect::<Vec<_>>()
    );
    assert!(pages.len() >= 6, "several pages: {pages:?}");
}

#[tokio::test]
async fn certificates_prints_one_page_or_every_voucher_order() {
    let server = MockServer::start().await;
    let base = [
        "certificates",
        "--account-id",
        sample::ACCOUNT_ID,
        "--open-id",
        sample::OPEN_ID,
    ];
    let user = &server.dataset().merchants[0].users[0];
    let total: usize = user.orders.iter().map(|o| o.order.certificates.len()).sum();

    let one = against(
        &server,
        &[&base[..], &["--page-size", "10", "--page-dimension", "2"]].concat(),
    )
    .await;
    assert_eq!(one.code, 0, "{}", one.stderr);
    let data = one.json();
    assert_eq!(data["total"], Value::from(user.orders.len()));
    assert_eq!(data["orders"].as_array().unwrap().len(), 10);

    let all = against(
        &server,
        &[&base[..], &["--page-size", "20", "--all"]].concat(),
    )
    .await;
    assert_eq!(all.code, 0, "{}", all.stderr);
    let orders = all.json();
    let certs: Vec<&Value> = orders
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["certificates"].as_array().unwrap())
        .collect();
    assert_eq!(certs.len(), total);
    let ids: BTreeSet<&str> = certs
        .iter()
        .map(|c| c["certificate_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), total, "every voucher once");
    assert_eq!(
        server.received_count(Operation::QueryUserCertificates),
        1 + total.div_ceil(20)
    );

    let filtered = against(
        &server,
        &[
            &base[..],
            &[
                "--start-time",
                "1730390400",
                "--end-time",
                "1730649600",
                "--life-account",
                sample::ACCOUNT_ID,
            ],
        ]
        .concat(),
    )
    .await;
    assert_eq!(filtered.code, 0, "{}", filtered.stderr);
    let sent = server.received().pop().unwrap();
    assert_eq!(
        sent.header("rpc-transit-life-account"),
        Some(sample::ACCOUNT_ID)
    );
    assert_eq!(sent.json().unwrap()["time_range"]["end_time"], 1730649600);
}

#[tokio::test]
async fn spu_prints_the_data_object_by_either_id() {
    let server = MockServer::start().await;
    let account = sample::ROOT_ACCOUNT_ID.to_string();
    let spu_id = sample::SPU_ID.to_string();
    let by_out = against(
        &server,
        &[
            "spu",
            "--account-id",
            &account,
            "--out-spu-id",
            sample::OUT_SPU_ID,
        ],
    )
    .await;
    let by_id = against(
        &server,
        &["spu", "--account-id", &account, "--spu-id", &spu_id],
    )
    .await;
    assert_eq!(
        (by_out.code, by_id.code),
        (0, 0),
        "{} {}",
        by_out.stderr,
        by_id.stderr
    );
    let data = by_out.json();
    assert_eq!(data["spu_online"]["spu"]["spu_name"], "芝芝葡萄");
    assert_eq!(
        data["spu_online"]["spu"]["spu_id"],
        Value::from(sample::SPU_ID)
    );
    assert_eq!(data, by_id.json());

    let neither = against(&server, &["spu", "--account-id", &account]).await;
    assert_eq!(neither.code, 2, "{}", neither.stderr);
    assert_eq!(
        server.received().len(),
        2,
        "nothing sent for the invalid call"
    );
}

#[tokio::test]
async fn an_api_error_exits_1_with_code_description_and_logid_on_stderr() {
    let server = MockServer::start().await;
    let run = against(
        &server,
        &[
            "orders",
            "--account-id",
            "42",
            "--poi-id",
            "p",
            "--start-time",
            "1",
            "--end-time",
            "2",
        ],
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "nothing on stdout: {}", run.stdout);
    assert!(run.stderr.contains("2119005"), "{}", run.stderr);
    assert!(run.stderr.contains("应用未获商家授权"), "{}", run.stderr);
    let logid = run
        .stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("logid:"))
        .map(str::trim)
        .expect("a logid line");
    assert_eq!(logid.len(), 34, "{logid}");
    assert!(logid.chars().all(|c| c.is_ascii_hexdigit()), "{logid}");

    // An injected code goes the same way, with the retry count.
    server
        .inject(Fault::Code(2100004))
        .on(Operation::GetFoodOrderSpuDetail);
    let account = sample::ROOT_ACCOUNT_ID.to_string();
    let busy = against(
        &server,
        &["spu", "--account-id", &account, "--out-spu-id", "x"],
    )
    .await;
    assert_eq!(busy.code, 1, "{}", busy.stderr);
    assert!(
        busy.stderr.contains("2100004") && busy.stderr.contains("attempts:    3"),
        "{}",
        busy.stderr
    );
}

#[tokio::test]
async fn invalid_input_exits_2_and_the_server_receives_nothing() {
    let server = MockServer::start().await;
    let cases: Vec<Vec<&str>> = vec![
        orders_args(&["--page-size", "51"]),
        orders_args(&["--page-size", "0"]),
        orders_args(&["--page-size", "-1"]),
        orders_args(&["--page-num", "0"]),
        vec![
            "orders",
            "--account-id",
            "",
            "--poi-id",
            "p",
            "--start-time",
            "1",
            "--end-time",
            "2",
        ],
        vec![
            "orders",
            "--account-id",
            "a",
            "--poi-id",
            "p",
            "--start-time",
            "5",
            "--end-time",
            "5",
        ],
        vec![
            "orders",
            "--account-id",
            "a",
            "--poi-id",
            "p",
            "--start-time",
            "x",
            "--end-time",
            "5",
        ],
        vec![
            "certificates",
            "--account-id",
            "a",
            "--open-id",
            "o",
            "--biz-type",
            "3",
        ],
        vec![
            "certificates",
            "--account-id",
            "a",
            "--open-id",
            "o",
            "--start-time",
            "1",
        ],
        vec!["spu", "--account-id", "0", "--spu-id", "1"],
        vec!["explain", "not-a-number"],
    ];
    for args in cases {
        let run = against(&server, &args).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        assert!(!run.stderr.is_empty());
    }
    let page_size = against(&server, &orders_args(&["--page-size", "51"])).await;
    assert!(
        page_size.stderr.contains("page_size"),
        "{}",
        page_size.stderr
    );

    // With credentials, not even a token is fetched for a bad query.
    let base = server.base_url();
    let run = with_credentials(
        &[
            &["--base-url", &base][..],
            &orders_args(&["--page-size", "51"]),
        ]
        .concat(),
    )
    .await;
    assert_eq!(run.code, 2);
    // And no credentials at all is invalid input too.
    let run = goodlife(&[&["--base-url", &base][..], &orders_args(&[])].concat()).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    for named in [
        "DOUYIN_ACCESS_TOKEN",
        "--access-token-file",
        "DOUYIN_CLIENT_SECRET",
        "--client-secret-file",
    ] {
        assert!(run.stderr.contains(named), "{named}: {}", run.stderr);
    }
    assert_eq!(server.received().len(), 0, "the server received nothing");
}

#[tokio::test]
async fn a_dead_port_or_a_timeout_exits_3() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}");
    let run = with_token(
        "clt.x",
        &[&["--base-url", &base][..], &orders_args(&[])].concat(),
    )
    .await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("transport"), "{}", run.stderr);

    let server = MockServer::start().await;
    server.inject(Fault::Delay(Duration::from_secs(30)));
    let run = against(
        &server,
        &[&["--timeout", "0.2"][..], &orders_args(&[])].concat(),
    )
    .await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    server.clear_faults();
    server.inject(Fault::MalformedJson);
    let run = against(&server, &orders_args(&[])).await;
    assert_eq!(run.code, 3, "a decode failure: {}", run.stderr);
    assert!(run.stderr.contains("decode"), "{}", run.stderr);
}

#[tokio::test]
async fn token_prints_a_working_token_and_credentials_work_from_the_environment() {
    let server = MockServer::start().await;
    let base = server.base_url();
    let run = with_credentials(&["--base-url", &base, "token"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let token = run.stdout.trim();
    assert!(
        token.starts_with("clt.") && !token.contains(char::is_whitespace),
        "{token:?}"
    );
    let works = with_token(
        token,
        &[&["--base-url", &base][..], &orders_args(&[])].concat(),
    )
    .await;
    assert_eq!(works.code, 0, "{}", works.stderr);

    let mut cmd = command(&[
        "--base-url",
        &base,
        "--client-key",
        sample::CLIENT_KEY,
        "token",
    ]);
    cmd.env("DOUYIN_CLIENT_SECRET", "nope");
    let wrong = run_cmd(cmd).await;
    assert_eq!(wrong.code, 1);
    assert!(wrong.stderr.contains("10013"), "{}", wrong.stderr);
    assert!(
        !wrong.stderr.contains("nope"),
        "the secret is never printed: {}",
        wrong.stderr
    );
    let none = goodlife(&["--base-url", &base, "token"]).await;
    assert_eq!(none.code, 2);

    // From the environment, with tracing on: a token is fetched, and neither the
    // secret nor the token reaches stderr.
    server.reset_received();
    let mut cmd = command(&[&["-vv"][..], &orders_args(&[])].concat());
    cmd.env("DOUYIN_BASE_URL", &base)
        .env("DOUYIN_CLIENT_KEY", sample::CLIENT_KEY)
        .env("DOUYIN_CLIENT_SECRET", sample::CLIENT_SECRET);
    let run = run_cmd(cmd).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["total"], Value::from(day_orders(&server).len()));
    assert_eq!(server.received_count(Operation::GetClientToken), 1);
    let fetched = server.received()[1]
        .header("access-token")
        .unwrap()
        .to_string();
    assert!(!run.stderr.is_empty(), "-vv logs to stderr");
    assert!(
        !run.stderr.contains(sample::CLIENT_SECRET),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&fetched), "{}", run.stderr);
}

#[tokio::test]
async fn explain_describes_known_codes_and_exits_1_for_unknown_ones() {
    let run = goodlife(&["explain", "2190008"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("AccessTokenExpired"), "{}", run.stdout);
    assert!(run.stdout.contains("access_token过期"), "{}", run.stdout);
    assert!(run.stdout.contains("refresh_token"), "{}", run.stdout);
    assert!(
        run.stdout.contains("规范token刷新机制"),
        "the advice: {}",
        run.stdout
    );

    let json = goodlife(&["explain", "2119003", "--json"]).await;
    assert_eq!(json.code, 0);
    let v = json.json();
    assert_eq!(v["class"], "retryable");
    assert_eq!(v["retryable"], true);
    assert_eq!(v["message"], "请求太过频繁,请稍后再试");
    let ops: BTreeSet<&str> = v["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap())
        .collect();
    assert_eq!(
        ops,
        BTreeSet::from(["query_reservation_orders", "query_user_certificates"])
    );

    let unknown = goodlife(&["explain", "42"]).await;
    assert_eq!(unknown.code, 1);
    assert!(unknown.stdout.is_empty());
    assert!(unknown.stderr.contains("42"));
}

#[tokio::test]
async fn mock_serves_in_the_foreground_with_a_working_token() {
    let mut child = command(&["mock", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut env = Vec::new();
    while env.len() < 4 {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the sandbox prints its settings within 30 s")
            .expect("read")
            .expect("a line");
        let (name, value) = line
            .strip_prefix("export ")
            .and_then(|l| l.split_once('='))
            .unwrap_or_else(|| panic!("an export line: {line}"));
        env.push((name.to_string(), value.to_string()));
    }
    let names: Vec<&str> = env.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "DOUYIN_BASE_URL",
            "DOUYIN_ACCESS_TOKEN",
            "DOUYIN_CLIENT_KEY",
            "DOUYIN_CLIENT_SECRET"
        ]
    );
    assert!(env[0].1.starts_with("http://127.0.0.1:"));

    let mut cmd = command(&orders_args(&["--all"]));
    cmd.envs(env.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let run = run_cmd(cmd).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.json().as_array().unwrap().len() > 100);
    child.kill().await.expect("stop the sandbox");
}

#[tokio::test]
async fn demo_runs_the_tour_and_exits_0() {
    let run = goodlife(&["demo"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for needle in [
        "1. token",
        "2. orders",
        "3. attr_value",
        "4. spu",
        "5. vouchers",
        "answered on attempt 3",
        "token refreshed (1 fetch)",
        "2119005 MerchantNotAuthorized",
        "advice:",
    ] {
        assert!(
            run.stdout.contains(needle),
            "{needle:?} missing from:\n{}",
            run.stdout
        );
    }
    assert!(!run.stdout.contains("clt."), "the token is not printed");
}

/// A file holding `bytes`, in `dir`.
fn secret_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_secret_on_argv_is_refused_with_exit_2_and_never_echoed() {
    let server = MockServer::start().await;
    let base = server.base_url();
    // Working values: were they used, the commands would succeed.
    let token = server.issue_token();
    let secret = sample::CLIENT_SECRET;
    let orders = orders_args(&[]);
    let secret_eq = format!("--client-secret={secret}");
    let token_eq = format!("--access-token={token}");
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (
            [
                &["--base-url", &base, "--client-key", sample::CLIENT_KEY][..],
                &["--client-secret", secret],
                &orders,
            ]
            .concat(),
            secret,
            "--client-secret",
        ),
        (
            vec![
                "--base-url",
                &base,
                "--client-key",
                sample::CLIENT_KEY,
                &secret_eq,
                "token",
            ],
            secret,
            "--client-secret",
        ),
        // After the subcommand, as the global option it used to be.
        (
            [
                &["--base-url", &base][..],
                &orders,
                &["--access-token", &token],
            ]
            .concat(),
            &token,
            "--access-token",
        ),
        (
            [&["--base-url", &base, &token_eq][..], &orders].concat(),
            &token,
            "--access-token",
        ),
        // Even when the rest of the line is wrong too, and for commands that
        // need no secret: the refusal comes first.
        (
            vec!["--client-secret", secret, "orders", "--no-such-flag"],
            secret,
            "--client-secret",
        ),
        (
            vec!["--access-token", "-dash-token", "explain", "2190008"],
            "-dash-token",
            "--access-token",
        ),
        (
            vec!["sign", "spi", "--query", "a=1", "--client-secret", secret],
            secret,
            "--client-secret",
        ),
        (
            vec!["--client-secret", "--help"],
            "Usage",
            "--client-secret",
        ),
    ];
    for (args, value, option) in cases {
        let run = goodlife(&args).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        assert!(
            !run.stderr.contains(value),
            "{args:?} echoes the value: {}",
            run.stderr
        );
        let (env, file) = match option {
            "--client-secret" => ("DOUYIN_CLIENT_SECRET", "--client-secret-file"),
            _ => ("DOUYIN_ACCESS_TOKEN", "--access-token-file"),
        };
        assert!(
            run.stderr.contains(option) && run.stderr.contains(env) && run.stderr.contains(file),
            "{args:?}: names the option, the variable and the file option: {}",
            run.stderr
        );
    }
    assert_eq!(server.received().len(), 0, "nothing was sent");

    // After `--` nothing is an option: no refusal, clap's own error (a stray
    // positional argument), still exit 2 and nothing sent.
    let run = goodlife(&["explain", "--", "--access-token"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        !run.stderr.contains("DOUYIN_ACCESS_TOKEN"),
        "{}",
        run.stderr
    );

    // The options offered instead are in the help, the refused ones are not.
    let help = goodlife(&["--help"]).await;
    assert_eq!(help.code, 0);
    assert!(
        help.stdout.contains("--client-secret-file <FILE>"),
        "{}",
        help.stdout
    );
    assert!(
        help.stdout.contains("--access-token-file <FILE>"),
        "{}",
        help.stdout
    );
    assert!(
        !help.stdout.contains("--client-secret <"),
        "{}",
        help.stdout
    );
    assert!(!help.stdout.contains("--access-token <"), "{}", help.stdout);
}

#[tokio::test]
async fn secrets_are_read_from_files_or_stdin() {
    let server = MockServer::start().await;
    let base = server.base_url();
    let dir = tempfile::tempdir().unwrap();
    let secret_path = secret_file(
        &dir,
        "secret",
        format!("{}\n", sample::CLIENT_SECRET).as_bytes(),
    );
    let with_key = ["--base-url", &base, "--client-key", sample::CLIENT_KEY];

    // --client-secret-FILE: `token` fetches one (the trailing newline is not
    // part of the secret, or the sandbox would refuse it).
    let run = goodlife(
        &[
            &with_key[..],
            &["--client-secret-file", &secret_path, "token"],
        ]
        .concat(),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let fetched = run.stdout.trim().to_string();
    assert!(fetched.starts_with("clt."), "{fetched:?}");
    // The file wins over the environment variable.
    let mut cmd = command(
        &[
            &with_key[..],
            &["--client-secret-file", &secret_path],
            &orders_args(&[]),
        ]
        .concat(),
    );
    cmd.env("DOUYIN_CLIENT_SECRET", "wrong-secret");
    let run = run_cmd(cmd).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["total"], Value::from(day_orders(&server).len()));
    // `-` reads stdin, here with a CRLF ending.
    let cmd = command(&[&with_key[..], &["--client-secret-file", "-", "token"]].concat());
    let run = run_with_stdin(cmd, format!("{}\r\n", sample::CLIENT_SECRET).as_bytes()).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.trim().starts_with("clt."), "{}", run.stdout);
    assert_eq!(server.received_count(Operation::GetClientToken), 3);

    // --access-token-file: the token is sent as is, nothing is fetched.
    server.reset_received();
    let token = server.issue_token();
    let token_path = secret_file(&dir, "token", format!("{token}\n").as_bytes());
    let run = goodlife(
        &[
            &["--base-url", &base, "--access-token-file", &token_path][..],
            &orders_args(&[]),
        ]
        .concat(),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let cmd = command(
        &[
            &["--base-url", &base, "--access-token-file", "-"][..],
            &orders_args(&[]),
        ]
        .concat(),
    );
    let run = run_with_stdin(cmd, token.as_bytes()).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sent = server.received();
    assert_eq!(sent.len(), 2);
    assert_eq!(server.received_count(Operation::GetClientToken), 0);
    for req in &sent {
        assert_eq!(req.header("access-token"), Some(token.as_str()));
    }

    // `goodlife sign` takes the global option too.
    let body = secret_file(&dir, "body.json", b"{}");
    let run = goodlife(&[
        "--client-secret-file",
        &secret_path,
        "sign",
        "webhook",
        "--body-file",
        &body,
    ])
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut cmd = command(&["sign", "webhook", "--body-file", &body]);
    cmd.env("DOUYIN_CLIENT_SECRET", sample::CLIENT_SECRET);
    assert_eq!(run.stdout, run_cmd(cmd).await.stdout, "the same secret");
}

#[tokio::test]
async fn an_unreadable_or_empty_secret_file_is_invalid_input_and_not_shown() {
    let server = MockServer::start().await;
    let base = server.base_url();
    let dir = tempfile::tempdir().unwrap();
    let empty = secret_file(&dir, "empty", b"");
    let newline = secret_file(&dir, "newline", b"\n");
    // Not UTF-8: the error must not quote what it read.
    let binary = secret_file(&dir, "binary", b"MARKER-secret-5f\xff\xfe");
    let missing = dir.path().join("missing").to_str().unwrap().to_owned();
    let a_dir = dir.path().to_str().unwrap().to_owned();
    let with_key = ["--base-url", &base, "--client-key", sample::CLIENT_KEY];
    for option in ["--client-secret-file", "--access-token-file"] {
        // Without a client key for the token: it is what is read then.
        let before: &[&str] = if option == "--access-token-file" {
            &with_key[..2]
        } else {
            &with_key
        };
        for file in [&empty, &newline, &binary, &missing, &a_dir] {
            let args = [before, &[option, file.as_str()], &orders_args(&[])].concat();
            let run = goodlife(&args).await;
            assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
            assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
            assert!(run.stderr.contains(option), "{args:?}: {}", run.stderr);
            assert!(!run.stderr.contains("MARKER"), "{args:?}: {}", run.stderr);
        }
        // An empty stdin too.
        let args = [before, &[option, "-"], &orders_args(&[])].concat();
        let run = run_with_stdin(command(&args), b"").await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(option) && run.stderr.contains("stdin is empty"),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert_eq!(server.received().len(), 0, "nothing was sent");
}

#[tokio::test]
async fn credentials_win_over_a_fixed_token_as_in_from_env() {
    let server = MockServer::start().await;
    let base = server.base_url();
    let fixed = server.issue_token();
    let env_run = |vars: Vec<(&'static str, String)>, args: Vec<String>| {
        let mut cmd = command(&args.iter().map(String::as_str).collect::<Vec<_>>());
        cmd.envs(vars);
        run_cmd(cmd)
    };
    let orders: Vec<String> = [&["--base-url", base.as_str()][..], &orders_args(&[])]
        .concat()
        .into_iter()
        .map(String::from)
        .collect();
    let key = ("DOUYIN_CLIENT_KEY", sample::CLIENT_KEY.to_string());
    let secret = ("DOUYIN_CLIENT_SECRET", sample::CLIENT_SECRET.to_string());
    let token = ("DOUYIN_ACCESS_TOKEN", fixed.clone());

    // The fixed token alone: sent as is, nothing fetched. (First: a fetched
    // token replaces the ones issued before.)
    let run = env_run(vec![token.clone()], orders.clone()).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(server.received_count(Operation::GetClientToken), 0);
    assert_eq!(
        server.received()[0].header("access-token"),
        Some(fixed.as_str())
    );

    // Empty variables count as unset.
    let run = env_run(
        vec![
            ("DOUYIN_CLIENT_KEY", String::new()),
            ("DOUYIN_CLIENT_SECRET", String::new()),
            token.clone(),
        ],
        orders.clone(),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(server.received_count(Operation::GetClientToken), 0);
    assert_eq!(server.received().len(), 2, "the fixed token worked twice");

    // Both in the environment: a token is fetched with the credentials, and
    // sent instead of the fixed one.
    server.reset_received();
    let run = env_run(
        vec![key.clone(), secret.clone(), token.clone()],
        orders.clone(),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(server.received_count(Operation::GetClientToken), 1);
    let sent = server.received();
    let used = sent.last().unwrap().header("access-token").unwrap();
    assert!(used.starts_with("clt.") && used != fixed, "{used}");

    // Also when the token comes from --access-token-file: one order.
    server.reset_received();
    let dir = tempfile::tempdir().unwrap();
    let token_path = secret_file(&dir, "token", fixed.as_bytes());
    let with_file = [
        vec!["--access-token-file".to_string(), token_path.clone()],
        orders.clone(),
    ]
    .concat();
    let run = env_run(vec![key.clone(), secret.clone()], with_file).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(server.received_count(Operation::GetClientToken), 1);

    // Half the credentials is an error even with a token (as from_env says),
    // naming what is missing; nothing is sent.
    server.reset_received();
    let run = env_run(vec![key.clone(), token.clone()], orders.clone()).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("DOUYIN_CLIENT_SECRET"),
        "{}",
        run.stderr
    );
    let run = env_run(vec![secret.clone(), token.clone()], orders.clone()).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("DOUYIN_CLIENT_KEY"), "{}", run.stderr);
    assert_eq!(server.received().len(), 0, "nothing sent");

    // The order is documented in the help.
    let help = goodlife(&["--help"]).await;
    assert!(
        help.stdout.contains("with the client secret wins")
            && help
                .stdout
                .contains("a fixed access token is used only when neither is set"),
        "{}",
        help.stdout
    );
}
