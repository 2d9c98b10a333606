//! What the benches share: the 50-order page, a minimal keep-alive server that
//! answers it, the hand-written reqwest + serde_json baseline, and the reading
//! of `/proc/self/status`.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use douyin_goodlife::mock::{MockServer, sample};
use douyin_goodlife::types;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde::Serialize;

/// The token the fixed-page server is called with (it checks none).
pub const BENCH_TOKEN: &str = "clt.bench-token";

/// The reqwest client settings of the SDK's default client (`client.rs`:
/// `default_http`), so that the baseline sends through an identical client.
pub fn reqwest_like_sdk() -> reqwest::Client {
    #[cfg(feature = "rustls-ring")]
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(douyin_goodlife::DEFAULT_TIMEOUT)
        .connect_timeout(douyin_goodlife::DEFAULT_CONNECT_TIMEOUT)
        .user_agent(concat!("douyin-goodlife-rust/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("reqwest client")
}

/// The first page (50 orders, each with `industry_info_list` and a JSON
/// `attr_value`) of the sandbox's busiest POI on its last day, as the sandbox
/// answers it: the body both the fixed-page server and the decode bench use.
pub fn sandbox_order_page() -> Bytes {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let server = MockServer::start().await;
        let token = server.issue_token();
        let body = OrderQueryBody::sample(1);
        let response = reqwest_like_sdk()
            .post(format!("{}{}", server.base_url(), ORDER_PATH))
            .header("access-token", token)
            .json(&body)
            .send()
            .await
            .expect("sandbox answers");
        let bytes = response.bytes().await.expect("sandbox body");
        let page = douyin_goodlife::decode::reservation_orders(&bytes).expect("a valid page");
        assert_eq!(page.order_list.len(), 50, "the sample page has 50 orders");
        assert!(
            page.order_list
                .iter()
                .all(|o| o.industry_info_list.iter().any(|i| i.attr_value.is_some())),
            "every order carries industry info with an attr_value"
        );
        bytes
    })
}

/// Path of the reservation order query.
pub const ORDER_PATH: &str = "/goodlife/v1/comprehensive/trade/query/order/";

/// The order query body as one writes it by hand.
#[derive(Serialize)]
pub struct OrderQueryBody {
    pub account_id: &'static str,
    pub poi_id: &'static str,
    pub start_time: i64,
    pub end_time: i64,
    pub page_num: i32,
    pub page_size: i32,
}

impl OrderQueryBody {
    /// The sandbox's sample query, at `page_num`.
    pub fn sample(page_num: i32) -> Self {
        Self {
            account_id: sample::ACCOUNT_ID,
            poi_id: sample::POI_ID,
            start_time: sample::DAY_START,
            end_time: sample::DAY_END,
            page_num,
            page_size: 50,
        }
    }
}

/// The SDK's query equal to [`OrderQueryBody::sample`]`(1)`.
pub fn sdk_query() -> douyin_goodlife::OrderQuery {
    douyin_goodlife::OrderQuery::new(
        sample::ACCOUNT_ID,
        sample::POI_ID,
        sample::DAY_START,
        sample::DAY_END,
    )
}

/// The baseline: the same request written by hand with reqwest + serde_json
/// into the same generated structs, with the checks a careful hand-written
/// client makes (HTTP status, `extra.error_code`, `data.error_code`).
pub async fn baseline_order_query(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    body: &OrderQueryBody,
) -> Result<types::QueryOrderData, String> {
    let response = http
        .post(url)
        .header("access-token", token)
        .json(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status()));
    }
    let bytes = response.bytes().await.map_err(|e| e.to_string())?;
    let parsed: types::QueryOrderResponse =
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    if let Some(code) = parsed.extra.as_ref().and_then(|e| e.error_code)
        && code != 0
    {
        return Err(format!("error_code {code}"));
    }
    let data = parsed.data.ok_or("no data")?;
    match data.error_code {
        Some(code) if code != 0 => Err(format!("data.error_code {code}")),
        _ => Ok(data),
    }
}

/// A minimal HTTP/1.1 keep-alive server on 127.0.0.1 answering every request
/// with `body` (`application/json`), on its own thread and single-threaded
/// runtime. Stops when the returned guard is dropped.
pub struct FixedServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FixedServer {
    /// Starts serving `body`.
    pub fn start(body: Bytes) -> FixedServer {
        serve_on_thread(move |_path, _request_body| body.clone())
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FixedServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Serves `answer(path_and_query, request_body)` for every request, on a thread of its
/// own with a single-threaded runtime.
pub fn serve_on_thread<F>(answer: F) -> FixedServer
where
    F: Fn(&str, &[u8]) -> Bytes + Send + Sync + 'static,
{
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
                .await
                .expect("bind 127.0.0.1");
            addr_tx
                .send(listener.local_addr().expect("address"))
                .expect("address sent");
            tokio::select! {
                _ = accept_loop(listener, std::sync::Arc::new(answer)) => {}
                _ = stop_rx => {}
            }
        });
    });
    let addr = addr_rx.recv().expect("server started");
    FixedServer {
        addr,
        stop: Some(stop_tx),
        thread: Some(thread),
    }
}

/// Accepts connections and serves `answer` on each, keep-alive.
pub async fn accept_loop<F>(listener: tokio::net::TcpListener, answer: std::sync::Arc<F>)
where
    F: Fn(&str, &[u8]) -> Bytes + Send + Sync + 'static,
{
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let answer = answer.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let answer = answer.clone();
                async move {
                    // The path with its query string, if any.
                    let path = req
                        .uri()
                        .path_and_query()
                        .map_or_else(|| req.uri().path().to_string(), |p| p.as_str().to_string());
                    let body = req
                        .into_body()
                        .collect()
                        .await
                        .map(|c| c.to_bytes())
                        .unwrap_or_default();
                    let mut response = Response::new(Full::new(answer(&path, &body)));
                    response.headers_mut().insert(
                        hyper::header::CONTENT_TYPE,
                        hyper::header::HeaderValue::from_static("application/json"),
                    );
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        });
    }
}

/// `VmRSS` and `VmHWM` of this process, KiB, from `/proc/self/status`.
pub fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// CPU time (user + system) of process `pid` (`"self"` for this one), in
/// seconds, from `/proc/PID/stat` (clock ticks of 1/100 s).
pub fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at field 3.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime is field 14, stime 15: indexes 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}
