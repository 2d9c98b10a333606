//! Secret canary: a sandbox that accepts only a canary
//! `client_secret` and hands out canary tokens; every path of the SDK and of
//! the `goodlife` CLI is driven against it, everything they print or log is
//! captured, and no canary (nor any token the sandbox issued) may appear. Only
//! `goodlife token` prints a token, on stdout, because that is what it is for.
//!
//! Also: TLS certificates are verified by default, and nothing in the SDK turns
//! that off.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use douyin_goodlife::mock::{Fault, MockServer, Operation, sample};
use douyin_goodlife::{
    AccessToken, CertificateQuery, Client, ClientBuilder, Credentials, Error, MemoryTokenStore,
    OrderQuery, RefreshPolicy, RetryConfig, Secret, SpuQuery, StoreLock, TokenStore, types,
};
use futures::StreamExt;
use futures::future::BoxFuture;
use serde_json::json;

/// The client secret the sandbox accepts.
const SECRET: &str = "CANARY-secret-4d1e7a";
/// A fixed token configured on a client.
const FIXED_TOKEN: &str = "clt.CANARY-fixed-90b3";
/// A token the token endpoint hands out (injected into its answer).
const FETCHED_TOKEN: &str = "clt.CANARY-fetched-2c58";
/// A wrong secret, for the refused-credentials path.
const WRONG_SECRET: &str = "CANARY-wrong-secret-77aa";
/// Common to all canaries.
const CANARY: &str = "CANARY";

// ---- capture ---------------------------------------------------------------

/// Every log line of this test binary, at TRACE, from every crate, span
/// opens and closes included.
fn logs() -> &'static common::Capture {
    common::capture_logs(tracing_subscriber::fmt::format::FmtSpan::FULL)
}

/// Everything shown, with where it came from.
#[derive(Default)]
struct Shown(Vec<(String, String)>);

impl Shown {
    fn add(&mut self, what: impl Into<String>, text: impl Into<String>) {
        self.0.push((what.into(), text.into()));
    }

    /// `Display`, `Debug`, `{:#?}` and the source chain of an error.
    fn error(&mut self, what: &str, e: &Error) {
        use std::error::Error as _;
        let mut text = format!("{e}\n{e:?}\n{e:#?}");
        let mut source = e.source();
        while let Some(s) = source {
            text.push_str(&format!("\n{s}\n{s:?}"));
            source = s.source();
        }
        self.add(format!("error {what}"), text);
    }

    fn debug(&mut self, what: &str, v: &dyn std::fmt::Debug) {
        self.add(format!("debug {what}"), format!("{v:?}\n{v:#?}"));
    }

    /// Fails naming the first place any of `needles` shows.
    fn assert_clean(&self, needles: &[String]) {
        for (what, text) in &self.0 {
            for needle in needles {
                assert!(!needle.is_empty());
                assert!(
                    !text.contains(needle.as_str()),
                    "{what} shows {needle:?}:\n{text}"
                );
            }
        }
    }
}

fn variant(e: &Error) -> String {
    format!("{e:?}")
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_string()
}

// ---- the SDK ---------------------------------------------------------------

fn day_query() -> OrderQuery {
    OrderQuery::new(
        sample::ACCOUNT_ID,
        sample::POI_ID,
        sample::DAY_START,
        sample::DAY_END,
    )
}

fn vouchers() -> CertificateQuery {
    CertificateQuery::new(sample::ACCOUNT_ID, sample::OPEN_ID)
}

fn spu() -> SpuQuery {
    SpuQuery::by_out_spu_id(sample::ROOT_ACCOUNT_ID, sample::OUT_SPU_ID)
}

fn fast_retries() -> RetryConfig {
    RetryConfig::default()
        .min_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5))
        .too_frequent_delay(Duration::from_millis(5))
}

fn builder(server: &MockServer, secret: &str) -> ClientBuilder {
    Client::builder()
        .base_url(server.base_url())
        .credentials(sample::CLIENT_KEY, secret)
        .timeout(Duration::from_millis(500))
        .retry(fast_retries())
}

/// The token endpoint's answer handing out `token`.
fn token_answer(token: &str) -> String {
    json!({
        "data": {"access_token": token, "expires_in": 7200, "error_code": 0, "description": ""},
        "message": "success"
    })
    .to_string()
}

/// A store whose lock is always held elsewhere.
#[derive(Debug, Default)]
struct LockedStore(MemoryTokenStore);

impl TokenStore for LockedStore {
    fn load<'a>(&'a self, k: &'a str) -> BoxFuture<'a, Result<Option<AccessToken>, Error>> {
        self.0.load(k)
    }
    fn save<'a>(&'a self, k: &'a str, t: &'a AccessToken) -> BoxFuture<'a, Result<(), Error>> {
        self.0.save(k, t)
    }
    fn invalidate<'a>(
        &'a self,
        k: &'a str,
        t: &'a AccessToken,
    ) -> BoxFuture<'a, Result<bool, Error>> {
        self.0.invalidate(k, t)
    }
    fn try_lock<'a>(
        &'a self,
        _: &'a str,
        _: Duration,
    ) -> BoxFuture<'a, Result<Option<StoreLock>, Error>> {
        Box::pin(async { Ok(None) })
    }
    fn unlock<'a>(&'a self, k: &'a str, l: StoreLock) -> BoxFuture<'a, Result<(), Error>> {
        self.0.unlock(k, l)
    }
}

/// Drives every path of the library; returns the error variants seen.
async fn drive_the_sdk(server: &MockServer, shown: &mut Shown) -> Vec<String> {
    let mut variants = Vec::new();
    let mut err = |shown: &mut Shown, what: &str, e: Error| {
        shown.error(what, &e);
        variants.push(variant(&e));
    };
    let orders = Operation::QueryReservationOrders;

    // Builders and clients, cold.
    let b = builder(server, SECRET);
    shown.debug("credentials builder", &b);
    let client = b.build().unwrap();
    shown.debug("client (cold)", &client);

    // Token refresh: the first token fetched is a canary the sandbox does not
    // know (2190002): invalidated, a real one fetched, the call replayed.
    server
        .inject(Fault::Body(token_answer(FETCHED_TOKEN)))
        .on(Operation::GetClientToken)
        .times(1);
    let page = client.query_reservation_orders(&day_query()).await.unwrap();
    shown.debug("orders page", &page);
    assert_eq!(
        server.received_count(Operation::GetClientToken),
        2,
        "refreshed"
    );
    // 2190008 once: refreshed again.
    server.inject(Fault::Code(2190008)).on(orders).times(1);
    client.query_reservation_orders(&day_query()).await.unwrap();
    assert_eq!(server.received_count(Operation::GetClientToken), 3);
    // Retries: 503, a reset, 2119003, a timeout, each once.
    for fault in [
        Fault::Status(503),
        Fault::ConnectionReset,
        Fault::Code(2119003),
        Fault::NoAnswer,
    ] {
        server.inject(fault).on(orders).times(1);
        client.query_reservation_orders(&day_query()).await.unwrap();
    }
    shown.debug("client (warm)", &client);
    let token = client.access_token().await.unwrap();
    shown.debug("access token", &token);
    shown.debug("spu", &client.get_food_order_spu(&spu()).await.unwrap());
    shown.debug(
        "vouchers",
        &client.query_user_certificates(&vouchers()).await.unwrap(),
    );
    // Streams, item and page at a time.
    let mut stream = client.orders_stream(day_query());
    shown.debug("order stream", &stream);
    let mut n = 0;
    while let Some(order) = stream.next().await {
        let order = order.unwrap();
        n += 1;
        if n == 1 {
            // An `attr_value` read as the wrong type: Error::AttrValue.
            let info = order
                .industry_info_list
                .first()
                .expect("the sandbox fills industry_info_list");
            let e: Error = info.decode_attr_value::<Vec<u8>>().unwrap_err().into();
            err(shown, "attr_value", e);
        }
    }
    assert!(n > 50);
    let mut pages = client.certificates_stream(vouchers()).pages();
    while let Some(page) = pages.next().await {
        shown.debug("voucher page", &page.unwrap());
    }

    // Every error variant.
    server.inject(Fault::Code(2119005)).on(orders).times(1);
    err(
        shown,
        "api",
        client
            .query_reservation_orders(&day_query())
            .await
            .unwrap_err(),
    );
    server.inject(Fault::Status(500)).on(orders).times(3);
    err(
        shown,
        "http",
        client
            .query_reservation_orders(&day_query())
            .await
            .unwrap_err(),
    );
    server.inject(Fault::MalformedJson).on(orders).times(1);
    err(
        shown,
        "decode",
        client
            .query_reservation_orders(&day_query())
            .await
            .unwrap_err(),
    );
    server.inject(Fault::ResetAfterHeaders).on(orders).times(3);
    err(
        shown,
        "transport",
        client
            .query_reservation_orders(&day_query())
            .await
            .unwrap_err(),
    );
    let slow = builder(server, SECRET)
        .timeout(Duration::from_secs(30))
        .deadline(Duration::from_millis(300))
        .build()
        .unwrap();
    server.inject(Fault::NoAnswer).on(orders).times(1);
    err(
        shown,
        "deadline",
        slow.query_reservation_orders(&day_query())
            .await
            .unwrap_err(),
    );
    err(
        shown,
        "invalid",
        client
            .query_reservation_orders(&OrderQuery::new("", "poi", 1, 2))
            .await
            .unwrap_err(),
    );
    err(
        shown,
        "config",
        Client::builder()
            .build()
            .unwrap()
            .access_token()
            .await
            .unwrap_err(),
    );
    err(
        shown,
        "config",
        Client::builder()
            .credentials("", SECRET)
            .build()
            .unwrap_err(),
    );
    // A first page that is empty although its total says 5.
    server
        .inject(Fault::Body(
            json!({"data": {"error_code": 0, "description": "", "order_list": [], "total": 5},
                   "extra": {"error_code": 0, "logid": "L-canary", "now": 1}})
            .to_string(),
        ))
        .on(orders)
        .times(1);
    let first = client.orders_stream(day_query()).next().await;
    err(shown, "pagination", first.unwrap().unwrap_err());
    let locked = builder(server, SECRET)
        .token_store(Arc::new(LockedStore::default()))
        .refresh_policy(
            RefreshPolicy::default().lock_wait(Duration::from_millis(30), Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    err(
        shown,
        "token store",
        locked.access_token().await.unwrap_err(),
    );

    // The token endpoint: wrong secret, rate limit, an answer echoing the
    // secret, an undecodable answer holding a token, a 500.
    let wrong = builder(server, WRONG_SECRET).build().unwrap();
    shown.debug("wrong-secret client", &wrong);
    err(shown, "10013", wrong.access_token().await.unwrap_err());
    for answer in [
        Fault::Code(10020),
        Fault::Body(
            json!({"data": {"error_code": 10013, "description": format!("bad secret {SECRET}")},
                   "extra": {"error_code": 10013, "sub_error_code": 1, "sub_description": SECRET}})
            .to_string(),
        ),
        Fault::Body(
            json!({"data": {"access_token": FETCHED_TOKEN, "expires_in": FETCHED_TOKEN, "error_code": 0}})
                .to_string(),
        ),
        Fault::Status(500),
    ] {
        let fresh = builder(server, SECRET).build().unwrap();
        // Every fetch gets it (a transient one would be retried away).
        server.inject(answer).on(Operation::GetClientToken);
        err(
            shown,
            "token endpoint",
            fresh.query_reservation_orders(&day_query()).await.unwrap_err(),
        );
        server.clear_faults();
    }

    // A fixed canary token: the sandbox does not know it (2190002, never
    // refreshed), and echoes it in an answer.
    let fixed_builder = Client::builder()
        .base_url(server.base_url())
        .access_token(FIXED_TOKEN)
        .retry(RetryConfig::disabled());
    shown.debug("fixed-token builder", &fixed_builder);
    let fixed = fixed_builder.build().unwrap();
    shown.debug("fixed-token client", &fixed);
    err(
        shown,
        "unknown token",
        fixed
            .query_reservation_orders(&day_query())
            .await
            .unwrap_err(),
    );
    server
        .inject(Fault::Body(
            json!({"data": {"error_code": 2190002, "description": format!("token {FIXED_TOKEN} invalid")},
                   "extra": {"error_code": 2190002, "sub_description": FIXED_TOKEN}})
            .to_string(),
        ))
        .on(orders)
        .times(1);
    err(
        shown,
        "echoed token",
        fixed
            .query_reservation_orders(&day_query())
            .await
            .unwrap_err(),
    );
    server
        .inject(Fault::Body(
            json!({"data": {"order_list": FIXED_TOKEN}}).to_string(),
        ))
        .on(orders)
        .times(1);
    err(
        shown,
        "decode echoing the token",
        fixed
            .query_reservation_orders(&day_query())
            .await
            .unwrap_err(),
    );
    shown.debug("fixed token", &fixed.access_token().await.unwrap());

    // The public types holding secrets, built directly.
    shown.debug("credentials", &Credentials::new(sample::CLIENT_KEY, SECRET));
    let now = SystemTime::now();
    shown.debug(
        "AccessToken::new",
        &AccessToken::new(FIXED_TOKEN, now, Some(now + Duration::from_secs(60))),
    );
    shown.debug("Secret", &Secret::from(SECRET));
    let request: types::ClientTokenRequest = serde_json::from_value(json!({
        "client_key": sample::CLIENT_KEY, "client_secret": SECRET, "grant_type": "client_credential"
    }))
    .unwrap();
    shown.debug("ClientTokenRequest", &request);
    let data: types::ClientTokenData = serde_json::from_value(json!({
        "access_token": FETCHED_TOKEN, "expires_in": 7200, "error_code": 0, "description": ""
    }))
    .unwrap();
    shown.debug("ClientTokenData", &data);
    let response: types::ClientTokenResponse = serde_json::from_value(json!({
        "data": {"access_token": FETCHED_TOKEN}, "message": "success"
    }))
    .unwrap();
    shown.debug("ClientTokenResponse", &response);
    let store = MemoryTokenStore::new();
    store
        .save(
            "key",
            &AccessToken::new(FETCHED_TOKEN, now, Some(now + Duration::from_secs(60))),
        )
        .await
        .unwrap();
    shown.debug("MemoryTokenStore holding a token", &store);
    shown.debug("RetryConfig", &fast_retries());
    shown.debug("RefreshPolicy", &RefreshPolicy::default());
    shown.debug("MockServer", server);
    shown.debug("received requests", &server.received());
    variants
}

// ---- the CLI ---------------------------------------------------------------

const BIN: &str = env!("CARGO_BIN_EXE_goodlife");

struct Run {
    args: String,
    code: i32,
    stdout: String,
    stderr: String,
}

/// `goodlife -vvv ARGS…` with `env` as its only DOUYIN_* variables.
async fn goodlife(env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.arg("-vvv").args(args).kill_on_drop(true);
    for var in [
        "DOUYIN_BASE_URL",
        "DOUYIN_ACCESS_TOKEN",
        "DOUYIN_CLIENT_KEY",
        "DOUYIN_CLIENT_SECRET",
        "DOUYIN_TIMEOUT",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("goodlife finished within 60 s")
        .expect("goodlife ran");
    Run {
        args: args.join(" "),
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs the CLI's commands; `goodlife token`'s stdout (the one place a token
/// may show) is returned apart from everything else.
async fn drive_the_cli(server: &MockServer, shown: &mut Shown) -> Vec<String> {
    let base = server.base_url();
    let creds = [
        ("DOUYIN_BASE_URL", base.as_str()),
        ("DOUYIN_CLIENT_KEY", sample::CLIENT_KEY),
        ("DOUYIN_CLIENT_SECRET", SECRET),
        ("DOUYIN_TIMEOUT", "2"),
    ];
    let (start, end) = (sample::DAY_START.to_string(), sample::DAY_END.to_string());
    let orders = [
        "orders",
        "--account-id",
        sample::ACCOUNT_ID,
        "--poi-id",
        sample::POI_ID,
        "--start-time",
        &start,
        "--end-time",
        &end,
    ];
    let orders_all = [&orders[..], &["--all"]].concat();
    let root = sample::ROOT_ACCOUNT_ID.to_string();
    let spu = [
        "spu",
        "--account-id",
        &root,
        "--out-spu-id",
        sample::OUT_SPU_ID,
    ];
    let certificates = [
        "certificates",
        "--account-id",
        sample::ACCOUNT_ID,
        "--open-id",
        sample::OPEN_ID,
        "--all",
    ];
    let mut printed_tokens = Vec::new();
    let mut record = |shown: &mut Shown, run: Run, code: i32| {
        assert_eq!(
            run.code, code,
            "goodlife {}: exit code\nstdout: {}\nstderr: {}",
            run.args, run.stdout, run.stderr
        );
        // Refused input sends (and logs) nothing.
        assert!(
            code == 2 || run.stderr.contains("TRACE") || run.stderr.contains("DEBUG"),
            "goodlife -vvv {} logs: {}",
            run.args,
            run.stderr
        );
        shown.add(format!("goodlife {} stderr", run.args), run.stderr);
        if run.args == "token" {
            assert!(code == 0 || run.stdout.is_empty(), "{}", run.stdout);
            if code == 0 {
                printed_tokens.push(run.stdout.trim().to_string());
            }
        } else {
            shown.add(format!("goodlife {} stdout", run.args), run.stdout);
        }
    };
    let orders_api = Operation::QueryReservationOrders;

    // `token`, handed the canary: prints it on stdout only.
    server
        .inject(Fault::Body(token_answer(FETCHED_TOKEN)))
        .on(Operation::GetClientToken)
        .times(1);
    let run = goodlife(&creds, &["token"]).await;
    assert_eq!(run.stdout.trim(), FETCHED_TOKEN);
    record(shown, run, 0);
    let run = goodlife(&creds, &["token"]).await;
    assert!(run.stdout.starts_with("clt."), "{}", run.stdout);
    record(shown, run, 0);

    // Queries: the canary token is fetched first, refused, and replaced.
    server
        .inject(Fault::Body(token_answer(FETCHED_TOKEN)))
        .on(Operation::GetClientToken)
        .times(1);
    record(shown, goodlife(&creds, &orders_all).await, 0);
    server.inject(Fault::Status(503)).on(orders_api).times(1);
    record(shown, goodlife(&creds, &orders).await, 0);
    record(shown, goodlife(&creds, &spu).await, 0);
    record(shown, goodlife(&creds, &certificates).await, 0);

    // Errors: API (exit 1), HTTP (3), transport (3), bad input (2), refused
    // credentials and an answer echoing the secret (1), a canary token the
    // sandbox does not know (1).
    server.inject(Fault::Code(2119005)).on(orders_api).times(1);
    record(shown, goodlife(&creds, &orders).await, 1);
    server.inject(Fault::Status(500)).on(orders_api).times(3);
    record(shown, goodlife(&creds, &orders).await, 3);
    server
        .inject(Fault::ConnectionReset)
        .on(orders_api)
        .times(3);
    record(shown, goodlife(&creds, &orders).await, 3);
    record(
        shown,
        goodlife(&creds, &[&orders[..], &["--page-size", "0"]].concat()).await,
        2,
    );
    let wrong = [
        ("DOUYIN_BASE_URL", base.as_str()),
        ("DOUYIN_CLIENT_KEY", sample::CLIENT_KEY),
        ("DOUYIN_CLIENT_SECRET", WRONG_SECRET),
    ];
    record(shown, goodlife(&wrong, &orders).await, 1);
    server
        .inject(Fault::Body(
            json!({"data": {"error_code": 10013, "description": format!("bad secret {SECRET}")},
                   "extra": {"error_code": 10013, "sub_error_code": 7, "sub_description": SECRET}})
            .to_string(),
        ))
        .on(Operation::GetClientToken)
        .times(1);
    record(shown, goodlife(&creds, &["token"]).await, 1);
    let fixed = [
        ("DOUYIN_BASE_URL", base.as_str()),
        ("DOUYIN_ACCESS_TOKEN", FIXED_TOKEN),
    ];
    record(shown, goodlife(&fixed, &orders).await, 1);
    let dead = {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        format!("http://127.0.0.1:{port}")
    };
    let dead_env = [
        ("DOUYIN_BASE_URL", dead.as_str()),
        ("DOUYIN_CLIENT_KEY", sample::CLIENT_KEY),
        ("DOUYIN_CLIENT_SECRET", SECRET),
    ];
    record(shown, goodlife(&dead_env, &orders).await, 3);

    // Secrets on argv are refused before anything runs, without an echo; from
    // files they work (and are not shown either).
    let base_only = [("DOUYIN_BASE_URL", base.as_str())];
    let key_only = [
        ("DOUYIN_BASE_URL", base.as_str()),
        ("DOUYIN_CLIENT_KEY", sample::CLIENT_KEY),
    ];
    let secret_eq = format!("--client-secret={SECRET}");
    record(
        shown,
        goodlife(
            &key_only,
            &[&["--client-secret", SECRET][..], &orders].concat(),
        )
        .await,
        2,
    );
    record(shown, goodlife(&key_only, &[&secret_eq, "token"]).await, 2);
    record(
        shown,
        goodlife(
            &base_only,
            &[&orders[..], &["--access-token", FIXED_TOKEN]].concat(),
        )
        .await,
        2,
    );
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, FIXED_TOKEN).unwrap();
    let secret_file = secret_file.to_str().unwrap();
    let token_file = token_file.to_str().unwrap();
    record(
        shown,
        goodlife(
            &key_only,
            &[&["--client-secret-file", secret_file][..], &orders].concat(),
        )
        .await,
        0,
    );
    // The canary token is unknown to the sandbox: an API error (exit 1).
    record(
        shown,
        goodlife(
            &base_only,
            &[&["--access-token-file", token_file][..], &orders].concat(),
        )
        .await,
        1,
    );
    printed_tokens
}

#[tokio::test]
async fn no_canary_in_any_output() {
    let capture = logs();
    tokio::time::timeout(Duration::from_secs(120), async {
        let server = MockServer::builder()
            .credentials(sample::CLIENT_KEY, SECRET)
            .start()
            .await
            .unwrap();
        let mut shown = Shown::default();

        let variants = drive_the_sdk(&server, &mut shown).await;
        let mut all: Vec<&str> = variants.iter().map(String::as_str).collect();
        all.sort();
        all.dedup();
        assert_eq!(
            all,
            [
                "Api",
                "AttrValue",
                "Config",
                "Deadline",
                "Decode",
                "Http",
                "InvalidRequest",
                "Pagination",
                "TokenStore",
                "Transport"
            ],
            "every error variant was shown"
        );

        let printed = drive_the_cli(&server, &mut shown).await;

        let logs = capture.text();
        assert!(
            logs.contains("douyin_goodlife.call") && logs.contains("token_fetch"),
            "TRACE logs were captured"
        );
        shown.add("tracing at TRACE", logs);

        // The canaries, and every token the sandbox saw or issued.
        let mut needles: Vec<String> = vec![CANARY.into()];
        for req in server.received() {
            if let Some(t) = req.header("access-token")
                && t.len() >= 16
            {
                needles.push(t.to_string());
            }
        }
        needles.extend(printed.iter().cloned());
        needles.sort();
        needles.dedup();
        assert!(needles.len() >= 5, "sandbox tokens collected: {needles:?}");
        shown.assert_clean(&needles);
        // Not vacuous: redaction is visible, and the sandbox's own answers
        // (logids) did reach the output.
        let everything: String = shown.0.iter().map(|(_, t)| t.as_str()).collect();
        assert!(everything.contains("[REDACTED]"));
        assert!(everything.contains("logid"));
        assert!(
            everything.len() > 100_000,
            "{} bytes shown",
            everything.len()
        );
    })
    .await
    .expect("the canary test finished within 120 s");
}

// ---- TLS ---------------------------------------------------------------------

/// A self-signed certificate for 127.0.0.1 (made by `openssl`), as rustls wants it.
#[cfg(feature = "rustls-ring")]
fn self_signed() -> (
    rustls::pki_types::CertificateDer<'static>,
    rustls::pki_types::PrivateKeyDer<'static>,
) {
    use rustls::pki_types::pem::PemObject;
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl on PATH (.ci/run installs it)");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    (
        rustls::pki_types::CertificateDer::from_pem_file(&cert).unwrap(),
        rustls::pki_types::PrivateKeyDer::from_pem_file(&key).unwrap(),
    )
}

/// What the TLS server saw of one connection.
#[cfg(feature = "rustls-ring")]
#[derive(Debug, PartialEq)]
enum Seen {
    /// The handshake failed (the client refused the certificate).
    HandshakeFailed(String),
    /// A request arrived and was answered 503.
    Request,
}

/// An HTTPS server on 127.0.0.1 with a self-signed certificate, answering 503
/// to `connections` connections, each reported on the channel.
#[cfg(feature = "rustls-ring")]
fn tls_server(connections: usize) -> (u16, std::sync::mpsc::Receiver<Seen>) {
    use std::io::{Read, Write};
    let (cert, key) = self_signed();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap(),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for tcp in listener.incoming().take(connections) {
            let Ok(mut tcp) = tcp else { continue };
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
            let mut conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let seen = loop {
                if !conn.is_handshaking() {
                    break None;
                }
                if let Err(e) = conn.complete_io(&mut tcp) {
                    break Some(Seen::HandshakeFailed(e.to_string()));
                }
            };
            let seen = seen.unwrap_or_else(|| {
                let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tls.write_all(
                    b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
                let _ = tls.flush();
                Seen::Request
            });
            let _ = tx.send(seen);
        }
    });
    (port, rx)
}

#[cfg(feature = "rustls-ring")]
#[tokio::test]
async fn tls_certificates_are_verified_by_default() {
    tokio::time::timeout(Duration::from_secs(30), async {
        let (port, seen) = tls_server(2);
        let base = format!("https://127.0.0.1:{port}");
        let query = day_query();

        // The SDK's default client refuses the self-signed certificate.
        let client = Client::builder()
            .base_url(&base)
            .access_token(FIXED_TOKEN)
            .retry(RetryConfig::disabled())
            .build()
            .unwrap();
        let e = client.query_reservation_orders(&query).await.unwrap_err();
        let Error::Transport { source, .. } = &e else {
            panic!("{e:?}")
        };
        let chain = format!("{:?}", source).to_lowercase();
        assert!(chain.contains("certificate"), "{chain}");
        let got = seen.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(matches!(got, Seen::HandshakeFailed(_)), "{got:?}");

        // Only an explicitly named reqwest option, on a client the caller
        // builds and hands over, accepts it: the same server then answers.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let insecure = reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(true)
            .build()
            .unwrap();
        let client = Client::builder()
            .base_url(&base)
            .access_token(FIXED_TOKEN)
            .http_client(insecure)
            .retry(RetryConfig::disabled())
            .build()
            .unwrap();
        let e = client.query_reservation_orders(&query).await.unwrap_err();
        assert!(
            matches!(e, Error::Http { status: 503, .. }),
            "the server works once verification is off: {e:?}"
        );
        assert_eq!(
            seen.recv_timeout(Duration::from_secs(5)).unwrap(),
            Seen::Request
        );
    })
    .await
    .expect("within 30 s");
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_switch_turns_certificate_verification_off() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files.push(root.join("build.rs"));
    assert!(files.len() > 10);
    // Nothing in the library, the CLI or the code generator disables or
    // replaces certificate verification.
    let forbidden = [
        "danger",
        "accept_invalid",
        "insecure",
        "dangerous(",
        "servercertverifier",
        "no_verify",
        "noverify",
        "verify_none",
        "tls_built_in_root_certs(false)",
    ];
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap().to_lowercase();
        for word in forbidden {
            assert!(
                !text.contains(word),
                "{} mentions {word:?}: a way to turn TLS verification off?",
                file.display()
            );
        }
        // A public function about TLS or verification would have to be named
        // `danger_…`; there is none.
        for line in text.lines() {
            let line = line.trim_start();
            if let Some(rest) = line.strip_prefix("pub fn ") {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let suspicious = ["tls", "verif", "invalid_cert", "root_cert", "hostname"]
                    .iter()
                    .any(|w| name.contains(w));
                assert!(
                    !suspicious || name.starts_with("danger_"),
                    "{}: pub fn {name}",
                    file.display()
                );
            }
        }
    }
    // No Cargo feature and no CLI flag for it either.
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let features = manifest
        .split("[features]")
        .nth(1)
        .and_then(|s| s.split("\n[").next())
        .expect("a [features] table");
    for word in ["insecure", "danger", "no-verify", "accept-invalid"] {
        assert!(!features.contains(word), "feature {word:?}");
    }
    let help = std::process::Command::new(BIN)
        .arg("--help")
        .output()
        .expect("goodlife --help");
    let help = String::from_utf8_lossy(&help.stdout).to_lowercase();
    assert!(help.contains("--base-url"), "{help}");
    // (`certificate-verify` is the voucher operation, not a TLS switch.)
    for word in [
        "insecure",
        "danger",
        "--no-verify",
        "--skip-verify",
        "verify-tls",
        "tls-verify",
        "accept-invalid",
        "cacert",
    ] {
        assert!(!help.contains(word), "goodlife --help offers {word:?}");
    }
}
