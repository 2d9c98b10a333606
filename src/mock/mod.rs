//! An offline sandbox of the goodlife API (feature `mock`): a real HTTP server
//! on `127.0.0.1` that serves every operation of the spec: the orders, SPU and
//! voucher queries from a deterministic seeded dataset, the verification flow
//! from seeded scannable codes, and any other operation from its response
//! example after checking the request against the spec; enforces what the pages say, answers errors exactly as Douyin does
//! (HTTP 200, `extra.error_code`, `extra.description`, a fresh `extra.logid`,
//! also `data.error_code`), and fails on demand.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), douyin_goodlife::Error> {
//! use douyin_goodlife::mock::{Fault, MockServer, Operation, sample};
//! use douyin_goodlife::{Client, ErrorCode, OrderQuery};
//!
//! let server = MockServer::start().await;
//! let client = Client::builder()
//!     .base_url(server.base_url())
//!     .access_token(server.issue_token())
//!     .build()?;
//! let query = OrderQuery::new(sample::ACCOUNT_ID, sample::POI_ID, sample::DAY_START, sample::DAY_END);
//!
//! let page = client.query_reservation_orders(&query).await?;
//! assert_eq!(page.order_list.len(), 50);
//!
//! // The next call to this operation answers 2119005.
//! server.inject(Fault::Code(2119005)).on(Operation::QueryReservationOrders).times(1);
//! let err = client.query_reservation_orders(&query).await.unwrap_err();
//! assert_eq!(err.code(), Some(ErrorCode::MerchantNotAuthorized));
//! assert!(err.logid().is_some());
//! assert_eq!(server.received().len(), 2);
//! # Ok(()) }
//! ```
//!
//! What it enforces, per operation:
//!
//! | check | orders / vouchers | SPU | token |
//! |---|---|---|---|
//! | `access-token` missing | 28001003 | 2190002 | — |
//! | unknown or superseded token | 2190002 | 2190002 | — |
//! | expired token (2 h, on the server's [`MockClock`]) | 2190008 | 2190008 | — |
//! | `content-type` not `application/json` (a bodyless GET may omit it) | 28001007 | 2100005 | 10002 |
//! | body not JSON, wrong type | 28001007 | 2100005 | 10002 |
//! | required parameter missing | 4000001 | 2100005 | 10002 |
//! | `page_size` outside 1..=50, `page` < 1, bad enum, `end_time` ≤ `start_time` | 2100005 | — | — |
//! | unknown account (or `Rpc-Transit-Life-Account` not the merchant's) | 2119005 | 2190004 | — |
//! | unknown SPU | — | 2100005 | — |
//! | unknown `client_key` / wrong secret / > 500 fetches in 5 min | — | — | 10003 / 10013 / 10020 |
//!
//! Tokens follow the platform's rules: each lives 7200 s; fetching a new one
//! leaves the previous one valid for a 5-minute grace period, and only the two
//! newest are ever valid.

mod clock;
mod dataset;
mod faults;
mod handlers;
mod server;
mod verification;
mod webhook;

use std::net::SocketAddr;
use std::sync::Arc;

pub use clock::MockClock;
pub use dataset::{DEFAULT_SEED, Dataset, Merchant, Poi, User, VoucherOrder};
pub use faults::{Fault, Injection};
pub use server::ReceivedRequest;
pub use verification::ScannableCode;
pub use webhook::{DeliveryReport, WebhookSender};

/// Well-known identifiers of the sandbox's dataset (the same for every seed).
pub mod sample {
    /// The `client_key` the sandbox's `/oauth/client_token/` accepts.
    pub const CLIENT_KEY: &str = "awsandbox00000001";
    /// The `client_secret` that goes with [`CLIENT_KEY`]. Public on purpose:
    /// it opens nothing but the local sandbox.
    pub const CLIENT_SECRET: &str = "sandbox-secret-0123456789abcdef";
    /// The first merchant's account id (its root account id is
    /// [`ROOT_ACCOUNT_ID`]).
    pub const ACCOUNT_ID: &str = "7136075595087087628";
    /// [`ACCOUNT_ID`] as the integer the SPU endpoint takes.
    pub const ROOT_ACCOUNT_ID: i64 = 7_136_075_595_087_087_628;
    /// The first merchant's busiest POI: 100–160 reservation orders a day.
    pub const POI_ID: &str = "7165843214867499039";
    /// A user with 34 voucher orders (more than 50 vouchers) at the first merchant.
    pub const OPEN_ID: &str = "ba253642-0590-40bc-9bdf-9a1334b94059";
    /// The first merchant's first SPU, by Douyin id.
    pub const SPU_ID: i64 = 7_391_430_754_955_397_000;
    /// The same SPU, by the merchant's own id.
    pub const OUT_SPU_ID: &str = "zhizhiputao";
    /// Start of the dataset's month: 2024-11-01 00:00 China time, unix seconds.
    pub const MONTH_START: i64 = 1_730_390_400;
    /// End of the dataset's month (exclusive): 2024-12-01 00:00 China time.
    pub const MONTH_END: i64 = 1_732_982_400;
    /// Start of its last day, 2024-11-30 00:00 China time.
    pub const DAY_START: i64 = 1_732_896_000;
    /// End of that day (exclusive).
    pub const DAY_END: i64 = 1_732_982_400;
}

/// The operations the sandbox serves: every operation of the spec.
pub use crate::Operation;

/// Configuration of a [`MockServer`]: port, seed, clock, credentials.
#[derive(Debug)]
pub struct MockServerBuilder {
    port: u16,
    seed: u64,
    clock: MockClock,
    client_key: String,
    client_secret: String,
    webhook_url: Option<String>,
}

impl Default for MockServerBuilder {
    fn default() -> Self {
        Self {
            port: 0,
            seed: DEFAULT_SEED,
            clock: MockClock::system(),
            client_key: sample::CLIENT_KEY.into(),
            client_secret: sample::CLIENT_SECRET.into(),
            webhook_url: None,
        }
    }
}

impl MockServerBuilder {
    /// The port on 127.0.0.1 (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The dataset's seed (default [`DEFAULT_SEED`]).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The clock deciding token expiry and `extra.now` (default: the system
    /// clock, movable with [`MockClock::advance`]).
    pub fn clock(mut self, clock: MockClock) -> Self {
        self.clock = clock;
        self
    }

    /// The one `client_key` / `client_secret` pair the token endpoint accepts
    /// (default [`sample::CLIENT_KEY`] / [`sample::CLIENT_SECRET`]).
    pub fn credentials(
        mut self,
        client_key: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.client_key = client_key.into();
        self.client_secret = client_secret.into();
        self
    }

    /// Delivers signed webhooks to `url` for what happens in the sandbox (a
    /// voucher verified or cancelled: `life_trade_certificate_notify`), signed
    /// with the sandbox's client secret, each with a fresh `Msg-Id`; see
    /// [`MockServer::next_delivery`] and [`MockServer::redeliver`].
    pub fn webhook_url(mut self, url: impl Into<String>) -> Self {
        self.webhook_url = Some(url.into());
        self
    }

    /// Binds 127.0.0.1 and starts serving on the current tokio runtime.
    pub async fn start(self) -> std::io::Result<MockServer> {
        let dataset = Dataset::for_seed(self.seed);
        let (events_tx, mut events_rx) =
            tokio::sync::mpsc::unbounded_channel::<(String, serde_json::Value)>();
        let (done_tx, done_rx) = tokio::sync::mpsc::unbounded_channel();
        let sender = self.webhook_url.map(|url| {
            Arc::new(WebhookSender::new(
                url,
                self.client_key.clone(),
                self.client_secret.clone(),
            ))
        });
        let mut state =
            handlers::State::new(dataset, self.clock, self.client_key, self.client_secret);
        let mut tasks = Vec::new();
        if let Some(sender) = &sender {
            state.events = Some(events_tx);
            let sender = sender.clone();
            // One delivery at a time, in the order things happened.
            tasks.push(tokio::spawn(async move {
                while let Some((event, content)) = events_rx.recv().await {
                    let report = sender.deliver(&event, content).await;
                    if done_tx.send(report).is_err() {
                        break;
                    }
                }
            }));
        }
        let state = Arc::new(state);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await?;
        let addr = listener.local_addr()?;
        tasks.push(tokio::spawn(server::serve(listener, state.clone())));
        Ok(MockServer {
            addr,
            state,
            tasks,
            webhook: sender,
            deliveries: tokio::sync::Mutex::new(done_rx),
        })
    }
}

/// The sandbox server. Stops when dropped.
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<handlers::State>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    webhook: Option<Arc<WebhookSender>>,
    deliveries: tokio::sync::Mutex<
        tokio::sync::mpsc::UnboundedReceiver<Result<DeliveryReport, crate::Error>>,
    >,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("base_url", &self.base_url())
            .field("seed", &self.state.dataset.seed)
            .finish_non_exhaustive()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl MockServer {
    /// Starts a server on a free port of 127.0.0.1 with the default seed and
    /// the system clock.
    ///
    /// # Panics
    /// When 127.0.0.1 cannot be bound (use [`MockServer::builder`] to get the
    /// error instead) or outside a tokio runtime.
    pub async fn start() -> MockServer {
        match MockServer::builder().start().await {
            Ok(server) => server,
            Err(e) => panic!("cannot start the goodlife sandbox on 127.0.0.1: {e}"),
        }
    }

    /// A builder to choose the port, seed, clock or credentials.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// `http://127.0.0.1:PORT`, for [`ClientBuilder::base_url`](crate::ClientBuilder::base_url).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    /// The dataset it serves.
    pub fn dataset(&self) -> &Dataset {
        &self.state.dataset
    }

    /// The clock deciding token expiry: [`MockClock::advance`] it to expire
    /// tokens without waiting.
    pub fn clock(&self) -> &MockClock {
        &self.state.clock
    }

    /// Issues a token as `/oauth/client_token/` would (it counts as the newest
    /// token of the configured `client_key`), without a request.
    pub fn issue_token(&self) -> String {
        self.state.issue_token()
    }

    /// Makes the next matching requests fail with `fault`. By default it applies
    /// to the three business operations, without limit; narrow it with
    /// [`Injection::on`] and [`Injection::times`]. Rules are tried in the order
    /// they were added; a request consumes at most one.
    pub fn inject(&self, fault: Fault) -> Injection {
        self.state.faults.add(fault)
    }

    /// The seeded codes a till can "scan" to drive the verification flow
    /// (`certificate_prepare` → `certificate_verify` → `certificate_get` →
    /// `certificate_cancel`), with their current `encrypted_data`.
    pub fn scannable_codes(&self) -> Vec<ScannableCode> {
        self.state
            .verification
            .lock()
            .map(|v| v.scannable())
            .unwrap_or_default()
    }

    /// The next webhook delivery's report (in the order things happened),
    /// waiting for it; `None` without [`MockServerBuilder::webhook_url`].
    pub async fn next_delivery(&self) -> Option<Result<DeliveryReport, crate::Error>> {
        self.webhook.as_ref()?;
        self.deliveries.lock().await.recv().await
    }

    /// Delivers an earlier webhook again, byte for byte, with the same
    /// `Msg-Id` (as Douyin does when a receiver timed out), so that a
    /// receiver's de-duplication is tested.
    pub async fn redeliver(&self, msg_id: &str) -> Result<DeliveryReport, crate::Error> {
        match &self.webhook {
            Some(sender) => sender.redeliver(msg_id).await,
            None => Err(crate::Error::Config(
                "the sandbox delivers no webhooks (MockServerBuilder::webhook_url)".into(),
            )),
        }
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.state.faults.clear();
    }

    /// Every request received so far, in order of arrival.
    pub fn received(&self) -> Vec<ReceivedRequest> {
        self.state.received()
    }

    /// How many requests reached `operation`.
    pub fn received_count(&self, operation: Operation) -> usize {
        self.state.received_count(operation)
    }

    /// Forgets the received requests.
    pub fn reset_received(&self) {
        self.state.reset_received();
    }
}
