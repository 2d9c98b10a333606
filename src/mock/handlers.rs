//! What the sandbox answers: token checks, parameter checks, the dataset
//! queries, and the envelope every answer is wrapped in.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use hyper::HeaderMap;
use serde_json::{Map, Value, json};

use super::Operation;
use super::clock::MockClock;
use super::dataset::{Dataset, Rng, civil_from_days};
use super::faults::Faults;
use super::server::{ReceivedRequest, parse_query};
use crate::code::{ERROR_TABLE, ErrorCode};
use crate::types::{
    CertificateOrder, QueryOrderData, SpuDetailData, SpuOnline, UserCertificatesData,
};
use crate::validate::limits;

/// Lifetime of a client token, seconds.
pub(crate) const TOKEN_LIFETIME: i64 = 7200;
/// How long a superseded token stays valid, seconds.
const GRACE: i64 = 300;
/// Token fetches allowed per [`RATE_WINDOW`] seconds.
const RATE_LIMIT: usize = 500;
const RATE_WINDOW: i64 = 300;
/// Default `page_size` of the voucher query when none is sent.
const DEFAULT_CERT_PAGE_SIZE: i64 = 20;
/// Most requests kept by [`State::record`]; older ones are dropped.
const MAX_RECORDED: usize = 100_000;

/// An answer body and what goes with it.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    pub logid: String,
}

impl Answer {
    fn json(value: &Value, logid: &str) -> Self {
        Self::raw(value.to_string().into_bytes(), logid)
    }

    pub(crate) fn raw(body: Vec<u8>, logid: &str) -> Self {
        Self {
            status: 200,
            body,
            logid: logid.to_string(),
        }
    }
}

/// A refusal: the code and what exactly was wrong.
#[derive(Debug)]
struct Refusal {
    code: i64,
    detail: Option<String>,
}

fn refuse(code: i64, detail: impl Into<String>) -> Refusal {
    Refusal {
        code,
        detail: Some(detail.into()),
    }
}

struct Issued {
    token: String,
    issued_ms: i64,
}

#[derive(Default)]
struct TokenBook {
    /// The two newest tokens, newest last.
    newest: VecDeque<Issued>,
    /// Times of recent fetches (ms), for the rate limit.
    fetches: VecDeque<i64>,
    issued_total: u64,
}

pub(crate) struct State {
    pub dataset: Arc<Dataset>,
    pub clock: MockClock,
    pub faults: Arc<Faults>,
    client_key: String,
    client_secret: String,
    tokens: Mutex<TokenBook>,
    received: Mutex<VecDeque<ReceivedRequest>>,
    counts: Mutex<Vec<usize>>,
    logid_seq: AtomicU64,
    salt: u64,
    /// The voucher verification flow (prepare → verify → get → cancel).
    pub verification: Mutex<super::verification::Verification>,
    /// Where the flow's events go for webhook delivery, if anywhere.
    pub events: Option<tokio::sync::mpsc::UnboundedSender<(String, Value)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn op_index(op: Operation) -> usize {
    op.index()
}

impl State {
    pub(crate) fn new(
        dataset: Arc<Dataset>,
        clock: MockClock,
        client_key: String,
        client_secret: String,
    ) -> Self {
        use std::hash::{BuildHasher, RandomState};
        let salt = RandomState::new().hash_one(dataset.seed);
        let dataset_seed = dataset.seed;
        Self {
            dataset,
            clock,
            faults: Arc::default(),
            client_key,
            client_secret,
            tokens: Mutex::default(),
            received: Mutex::default(),
            counts: Mutex::new(vec![0; Operation::ALL.len()]),
            logid_seq: AtomicU64::new(0),
            salt,
            verification: Mutex::new(super::verification::Verification::seeded(dataset_seed)),
            events: None,
        }
    }

    // ---- recording -------------------------------------------------------

    pub(crate) fn record(&self, request: ReceivedRequest) {
        if let Some(op) = request.operation {
            lock(&self.counts)[op_index(op)] += 1;
        }
        let mut received = lock(&self.received);
        if received.len() == MAX_RECORDED {
            received.pop_front();
        }
        received.push_back(request);
    }

    pub(crate) fn received(&self) -> Vec<ReceivedRequest> {
        lock(&self.received).iter().cloned().collect()
    }

    pub(crate) fn received_count(&self, op: Operation) -> usize {
        lock(&self.counts)[op_index(op)]
    }

    pub(crate) fn reset_received(&self) {
        lock(&self.received).clear();
        *lock(&self.counts) = vec![0; Operation::ALL.len()];
    }

    /// Hands what the verification flow did to the webhook sender (or
    /// forgets it when none is configured).
    pub(crate) fn flush_events(&self) {
        let events = lock(&self.verification).drain_events();
        if let Some(tx) = &self.events {
            for event in events {
                let _ = tx.send(event);
            }
        }
    }

    // ---- identifiers -----------------------------------------------------

    /// A fresh log id in Douyin's shape: the time (China) as
    /// `yyyyMMddHHmmss` and 20 upper-case hex digits.
    pub(crate) fn logid(&self) -> String {
        let seq = self.logid_seq.fetch_add(1, Ordering::Relaxed);
        let mut rng = Rng::new(self.salt ^ seq.wrapping_mul(0x2545_F491_4F6C_DD1D));
        let local = self.clock.unix() + 8 * 3600;
        let (y, mo, d) = civil_from_days(local.div_euclid(86_400));
        let s = local.rem_euclid(86_400);
        format!(
            "{y:04}{mo:02}{d:02}{:02}{:02}{:02}{:016X}{:04X}",
            s / 3600,
            s % 3600 / 60,
            s % 60,
            rng.next_u64(),
            seq & 0xFFFF
        )
    }

    // ---- tokens ----------------------------------------------------------

    pub(crate) fn issue_token(&self) -> String {
        let now = self.clock.unix_millis();
        let mut book = lock(&self.tokens);
        book.issued_total += 1;
        let mut rng = Rng::new(
            self.salt.rotate_left(17) ^ book.issued_total.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let tail: String = (0..56)
            .map(|_| ALPHABET[(rng.next_u64() % ALPHABET.len() as u64) as usize] as char)
            .collect();
        let token = format!("clt.{tail}");
        book.newest.push_back(Issued {
            token: token.clone(),
            issued_ms: now,
        });
        while book.newest.len() > 2 {
            book.newest.pop_front();
        }
        token
    }

    /// Checks a presented token: `None` when valid, else the code.
    fn token_problem(&self, token: &str) -> Option<Refusal> {
        let now = self.clock.unix_millis();
        let book = lock(&self.tokens);
        let Some(pos) = book.newest.iter().position(|i| i.token == token) else {
            return Some(refuse(
                2190002,
                "access_token is unknown or was replaced by newer tokens",
            ));
        };
        if now >= book.newest[pos].issued_ms + TOKEN_LIFETIME * 1000 {
            return Some(refuse(2190008, "access_token expired"));
        }
        if pos + 1 < book.newest.len() && now >= book.newest[pos + 1].issued_ms + GRACE * 1000 {
            return Some(refuse(
                2190002,
                "access_token was replaced by a newer token more than 5 minutes ago",
            ));
        }
        None
    }

    // ---- answers ---------------------------------------------------------

    /// The answer to a request for `op` that no fault replaced.
    pub(crate) fn answer(
        &self,
        op: Operation,
        headers: &HeaderMap,
        query: Option<&str>,
        body: &[u8],
        logid: &str,
    ) -> Answer {
        if op == Operation::GetClientToken {
            return self.client_token(headers, body, logid);
        }
        let result = self.business(op, headers, query, body);
        let now = self.clock.unix();
        let value = match result {
            Ok(mut data) => {
                data.insert("error_code".into(), json!(0));
                data.insert("description".into(), json!(""));
                success_envelope(op, data, logid, now)
            }
            Err(refusal) => error_envelope(op, refusal.code, &describe(op, &refusal), logid, now),
        };
        Answer::json(&value, logid)
    }

    /// The answer of a [`Fault::Code`](super::Fault::Code).
    pub(crate) fn fault_code(&self, op: Operation, code: i64, logid: &str) -> Answer {
        let now = self.clock.unix();
        let description = describe(op, &Refusal { code, detail: None });
        let value = if op == Operation::GetClientToken {
            token_error(code, &description, logid, now)
        } else {
            error_envelope(op, code, &description, logid, now)
        };
        Answer::json(&value, logid)
    }

    fn business(
        &self,
        op: Operation,
        headers: &HeaderMap,
        query: Option<&str>,
        body: &[u8],
    ) -> Result<Map<String, Value>, Refusal> {
        let spu = op == Operation::GetFoodOrderSpuDetail;
        let generic = !matches!(
            op,
            Operation::QueryReservationOrders
                | Operation::GetFoodOrderSpuDetail
                | Operation::QueryUserCertificates
        );
        let token = headers
            .get("access-token")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Err(refuse(
                if generic {
                    op_code(op, crate::ErrorClass::RefreshToken, 2190002)
                } else if spu {
                    2190002
                } else {
                    28001003
                },
                "the access-token header is missing",
            ));
        };
        if let Some(problem) = self.token_problem(token) {
            return Err(problem);
        }
        // The pages list `content-type: application/json` on every call, GET
        // included; a GET carries no body, and generated clients (OpenAPI
        // cannot declare the header) send none. A bodyless GET without the
        // header is accepted (`received()` shows it absent); a wrong one is not.
        let bodyless_get = op.method() == "GET" && body.is_empty();
        let missing = headers.get(hyper::header::CONTENT_TYPE).is_none();
        if !(is_json_content_type(headers) || bodyless_get && missing) {
            return Err(refuse(
                if generic {
                    op_code(op, crate::ErrorClass::InvalidRequest, 2100005)
                } else if spu {
                    2100005
                } else {
                    28001007
                },
                "content-type must be application/json",
            ));
        }
        match op {
            Operation::QueryReservationOrders => self.orders(&parse_body(body)?),
            Operation::GetFoodOrderSpuDetail => self.spu(&parse_query(query)),
            Operation::QueryUserCertificates => self.certificates(headers, &parse_body(body)?),
            _ => self.answer_from_spec(op, headers, query, body),
        }
    }

    /// Any operation without a dataset: the request is checked against the
    /// spec (parameters, body, limits) as the SDK checks it, and the answer
    /// is the operation's response example.
    fn answer_from_spec(
        &self,
        op: Operation,
        headers: &HeaderMap,
        query: Option<&str>,
        body: &[u8],
    ) -> Result<Map<String, Value>, Refusal> {
        use crate::spec::Location;
        let spec = op.spec();
        let bad = op_code(op, crate::ErrorClass::InvalidRequest, 2100005);
        let pairs = parse_query(query);
        let mut params = Vec::with_capacity(spec.params.len());
        for param in spec.params {
            let values: Vec<&str> = match param.location {
                Location::Query => pairs
                    .iter()
                    .filter(|(k, _)| k == param.name)
                    .map(|(_, v)| v.as_str())
                    .collect(),
                Location::Header => headers
                    .get_all(param.name)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .collect(),
                _ => Vec::new(),
            };
            if values.is_empty() {
                params.push(None);
                continue;
            }
            let value = wire_value(param, &values)
                .map_err(|reason| refuse(bad, format!("{}: {reason}", param.name)))?;
            params.push(Some(value));
        }
        let body = match spec.body {
            Some(_) if !body.is_empty() => Some(Value::Object(
                parse_body(body).map_err(|r| refuse(bad, r.detail.unwrap_or_default()))?,
            )),
            _ => None,
        };
        let raw = crate::operation::RawRequest::new(params, body);
        if let Err(e) = crate::validate::request(spec, &raw) {
            let detail = match e {
                crate::Error::InvalidRequest { field, reason } => format!("{field}: {reason}"),
                other => other.to_string(),
            };
            return Err(refuse(bad, detail));
        }
        let example: Value = serde_json::from_str(spec.response_example).unwrap_or(Value::Null);
        let example_data = match example.get("data") {
            Some(Value::Object(data)) => data.clone(),
            _ => Map::new(),
        };
        // The spec's own example request gets the spec's example answer, also
        // on operations with state (its verify_token was never prepared here):
        // generated clients and docs can call every operation from the spec.
        if is_example_request(spec, &raw) {
            return Ok(example_data);
        }
        let body_value = raw.body.clone();
        let flow = lock(&self.verification).handle(
            spec.id,
            &pairs,
            body_value.as_ref(),
            self.clock.unix(),
        );
        match flow {
            Some(Ok(Value::Object(data))) => return Ok(data),
            Some(Ok(_)) => return Ok(Map::new()),
            Some(Err((code, description))) => return Err(refuse(code, description)),
            None => {}
        }
        Ok(example_data)
    }

    fn orders(&self, body: &Map<String, Value>) -> Result<Map<String, Value>, Refusal> {
        use limits::*;
        let account_id = required_str(body, "account_id")?;
        let poi_id = required_str(body, "poi_id")?;
        let start = required_int(body, "start_time")?;
        let end = required_int(body, "end_time")?;
        let page_num = required_int(body, "page_num")?;
        let page_size = required_int(body, "page_size")?;
        let book_id = optional_str(body, "book_id")?;
        within(&QUERY_ORDER_REQUEST__PAGE_NUM, page_num)?;
        within(&QUERY_ORDER_REQUEST__PAGE_SIZE, page_size)?;
        within(&QUERY_ORDER_REQUEST__START_TIME, start)?;
        within(&QUERY_ORDER_REQUEST__END_TIME, end)?;
        if end <= start {
            return Err(refuse(
                2100005,
                format!("end_time ({end}) must be after start_time ({start})"),
            ));
        }
        let merchant = self.dataset.merchant(&account_id).ok_or_else(|| {
            refuse(
                2119005,
                format!("account {account_id} has not authorized this application"),
            )
        })?;
        let orders = merchant
            .pois
            .iter()
            .find(|p| p.poi_id == poi_id)
            .map(|p| p.orders.as_slice())
            .unwrap_or_default();
        let from = orders.partition_point(|o| o.book_time.unwrap_or_default() < start);
        let to = orders.partition_point(|o| o.book_time.unwrap_or_default() < end);
        let matching: Vec<_> = orders[from..to]
            .iter()
            .filter(|o| {
                book_id
                    .as_deref()
                    .is_none_or(|b| o.book_id.as_deref() == Some(b))
            })
            .collect();
        let page = page_slice(&matching, page_num, page_size);
        let data = QueryOrderData {
            description: None,
            error_code: None,
            order_list: page.iter().map(|o| (*o).clone()).collect(),
            total: Some(matching.len() as i64),
        };
        to_map(&data)
    }

    fn spu(&self, query: &[(String, String)]) -> Result<Map<String, Value>, Refusal> {
        let get = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let int = |name: &'static str| -> Result<Option<i64>, Refusal> {
            match get(name) {
                None => Ok(None),
                Some(v) => match v.trim().parse::<i64>() {
                    Ok(n) if n >= 1 => Ok(Some(n)),
                    _ => Err(refuse(
                        2100005,
                        format!("{name} must be a positive integer, got {v:?}"),
                    )),
                },
            }
        };
        let account_id =
            int("account_id")?.ok_or_else(|| refuse(2100005, "account_id is required"))?;
        let spu_id = int("spu_id")?;
        let out_spu_id = match get("out_spu_id") {
            Some("") => return Err(refuse(2100005, "out_spu_id must not be empty")),
            other => other,
        };
        if spu_id.is_none() && out_spu_id.is_none() {
            return Err(refuse(2100005, "one of spu_id and out_spu_id is required"));
        }
        let merchant = self
            .dataset
            .merchant(&account_id.to_string())
            .ok_or_else(|| {
                refuse(
                    2190004,
                    format!("account {account_id} has not granted this capability"),
                )
            })?;
        let spu = merchant
            .spus
            .iter()
            .find(|s| {
                spu_id.is_none_or(|id| s.spu_id == Some(id))
                    && out_spu_id.is_none_or(|out| s.out_spu_id.as_deref() == Some(out))
            })
            .ok_or_else(|| refuse(2100005, "no such spu"))?;
        to_map(&SpuDetailData {
            description: None,
            error_code: None,
            spu_online: Some(SpuOnline {
                spu: Some(spu.clone()),
                status: Some(1),
            }),
        })
    }

    fn certificates(
        &self,
        headers: &HeaderMap,
        body: &Map<String, Value>,
    ) -> Result<Map<String, Value>, Refusal> {
        use limits::*;
        let account_id = required_str(body, "account_id")?;
        let open_id = required_str(body, "open_id")?;
        let page = optional_int(body, "page")?.unwrap_or(1);
        let page_size = optional_int(body, "page_size")?.unwrap_or(DEFAULT_CERT_PAGE_SIZE);
        let biz_type = optional_int(body, "biz_type")?.unwrap_or(1);
        let dimension = optional_int(body, "page_dimension")?.unwrap_or(1);
        let poi_id = optional_str(body, "poi_id")?;
        within(&QUERY_USER_CERTIFICATES_REQUEST__PAGE, page)?;
        within(&QUERY_USER_CERTIFICATES_REQUEST__PAGE_SIZE, page_size)?;
        within(&QUERY_USER_CERTIFICATES_REQUEST__BIZ_TYPE, biz_type)?;
        within(&QUERY_USER_CERTIFICATES_REQUEST__PAGE_DIMENSION, dimension)?;
        let range = match body.get("time_range") {
            None | Some(Value::Null) => None,
            Some(Value::Object(tr)) => {
                let start = required_int(tr, "start_time")?;
                let end = required_int(tr, "end_time")?;
                within(&TIME_RANGE__START_TIME, start)?;
                within(&TIME_RANGE__END_TIME, end)?;
                if end <= start {
                    return Err(refuse(
                        2100005,
                        format!(
                            "time_range.end_time ({end}) must be after time_range.start_time ({start})"
                        ),
                    ));
                }
                Some((start, end))
            }
            Some(_) => return Err(refuse(2100005, "time_range must be an object")),
        };
        let merchant = self.dataset.merchant(&account_id).ok_or_else(|| {
            refuse(
                2119005,
                format!("account {account_id} has not authorized this application"),
            )
        })?;
        if let Some(life) = headers.get("rpc-transit-life-account") {
            let life = life.to_str().unwrap_or_default().trim();
            if life != merchant.account_id {
                return Err(refuse(
                    2119005,
                    format!(
                        "Rpc-Transit-Life-Account {life} is not the root account of {account_id}"
                    ),
                ));
            }
        }
        // The user's orders, filtered, each with the vouchers that match.
        let orders: Vec<CertificateOrder> = merchant
            .users
            .iter()
            .find(|u| u.open_id == open_id)
            .map(|u| u.orders.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|o| poi_id.as_deref().is_none_or(|p| o.poi_id == p))
            .filter_map(|o| {
                let certificates: Vec<_> = o
                    .order
                    .certificates
                    .iter()
                    .filter(|c| {
                        range.is_none_or(|(s, e)| c.start_time.is_some_and(|t| (s..e).contains(&t)))
                    })
                    .cloned()
                    .collect();
                (!certificates.is_empty()).then(|| CertificateOrder {
                    certificates,
                    ..o.order.clone()
                })
            })
            .collect();
        let (page_orders, total) = if dimension == 2 {
            (page_slice(&orders, page, page_size).to_vec(), orders.len())
        } else {
            // By voucher: the page holds `page_size` vouchers, regrouped by order.
            let flat: Vec<(usize, &crate::types::Certificate)> = orders
                .iter()
                .enumerate()
                .flat_map(|(i, o)| o.certificates.iter().map(move |c| (i, c)))
                .collect();
            let mut grouped: Vec<CertificateOrder> = Vec::new();
            let mut last = None;
            for (i, cert) in page_slice(&flat, page, page_size) {
                if last != Some(*i) {
                    grouped.push(CertificateOrder {
                        certificates: Vec::new(),
                        ..orders[*i].clone()
                    });
                    last = Some(*i);
                }
                if let Some(g) = grouped.last_mut() {
                    g.certificates.push((*cert).clone());
                }
            }
            (grouped, flat.len())
        };
        to_map(&UserCertificatesData {
            description: None,
            error_code: None,
            orders: page_orders,
            total: Some(total as i64),
        })
    }

    fn client_token(&self, headers: &HeaderMap, body: &[u8], logid: &str) -> Answer {
        let now_ms = self.clock.unix_millis();
        let now = now_ms.div_euclid(1000);
        let refusal = |code: i64, detail: &str| {
            let description = describe(
                Operation::GetClientToken,
                &Refusal {
                    code,
                    detail: Some(detail.to_string()),
                },
            );
            Answer::json(&token_error(code, &description, logid, now), logid)
        };
        if !is_json_content_type(headers) {
            return refusal(10002, "content-type must be application/json");
        }
        let parsed = serde_json::from_slice::<Value>(body).ok();
        let field = |name: &str| {
            parsed
                .as_ref()
                .and_then(|v| v.get(name))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let (Some(key), Some(secret), Some(grant)) = (
            field("client_key"),
            field("client_secret"),
            field("grant_type"),
        ) else {
            return refusal(
                10002,
                "client_key, client_secret and grant_type are required",
            );
        };
        if grant != "client_credential" {
            return refusal(10002, "grant_type must be client_credential");
        }
        if key != self.client_key {
            return refusal(10003, "unknown client_key");
        }
        if secret != self.client_secret {
            return refusal(10013, "wrong client_key or client_secret");
        }
        {
            let mut book = lock(&self.tokens);
            while book
                .fetches
                .front()
                .is_some_and(|t| *t <= now_ms - RATE_WINDOW * 1000)
            {
                book.fetches.pop_front();
            }
            if book.fetches.len() >= RATE_LIMIT {
                drop(book);
                return refusal(10020, "more than 500 client_token requests in 5 minutes");
            }
            book.fetches.push_back(now_ms);
        }
        let token = self.issue_token();
        let value = json!({
            "data": {
                "access_token": token,
                "expires_in": TOKEN_LIFETIME,
                "error_code": 0,
                "description": "",
            },
            "message": "success",
            "extra": {"logid": logid, "now": now},
        });
        Answer::json(&value, logid)
    }
}

fn extra(code: i64, description: &str, logid: &str, now: i64) -> Value {
    json!({
        "error_code": code,
        "description": description,
        "sub_error_code": 0,
        "sub_description": "",
        "logid": logid,
        "now": now,
    })
}

fn error_envelope(op: Operation, code: i64, description: &str, logid: &str, now: i64) -> Value {
    use crate::spec::EnvelopeKind;
    let data = json!({"error_code": code, "description": description});
    match op.spec().envelope {
        EnvelopeKind::ErrNo => json!({
            "err_no": code,
            "err_msg": description,
            "log_id": logid,
            "data": data,
        }),
        kind => {
            let mut v = json!({"data": data, "extra": extra(code, description, logid, now)});
            if kind == EnvelopeKind::BaseResp {
                v["BaseResp"] = json!({"StatusCode": code, "StatusMessage": description});
            }
            v
        }
    }
}

/// A success answer of `op` in its spec's envelope.
fn success_envelope(op: Operation, data: Map<String, Value>, logid: &str, now: i64) -> Value {
    use crate::spec::EnvelopeKind;
    match op.spec().envelope {
        EnvelopeKind::ErrNo => json!({"err_no": 0, "err_msg": "", "log_id": logid, "data": data}),
        kind => {
            let mut v = json!({"data": data, "extra": extra(0, "", logid, now)});
            if kind == EnvelopeKind::BaseResp {
                v["BaseResp"] = json!({"StatusCode": 0, "StatusMessage": ""});
            }
            v
        }
    }
}

/// The first code of `op`'s error table in `class`, else `fallback`.
fn op_code(op: Operation, class: crate::ErrorClass, fallback: i64) -> i64 {
    ERROR_TABLE
        .iter()
        .filter(|r| r.operation == op.operation_id())
        .map(|r| ErrorCode::from_code(r.code))
        .find(|c| c.class() == class)
        .map_or(fallback, ErrorCode::code)
}

/// Whether a request is the spec's example: every parameter sent is its
/// example value, every parameter with an example is sent, and the body is
/// the body example.
fn is_example_request(
    spec: &crate::spec::OperationSpec,
    raw: &crate::operation::RawRequest,
) -> bool {
    let parse = |text: Option<&str>| text.and_then(|t| serde_json::from_str::<Value>(t).ok());
    let params = spec
        .params
        .iter()
        .zip(&raw.params)
        .all(|(p, v)| match (parse(p.example), v) {
            (Some(example), Some(v)) => &example == v,
            (None, None) => true,
            _ => false,
        });
    params && parse(spec.body_example) == raw.body
}

/// A query or header value as the JSON value its parameter's rule wants.
fn wire_value(param: &crate::spec::ParamSpec, values: &[&str]) -> Result<Value, String> {
    use crate::spec::Kind;
    fn scalar(kind: Kind, text: &str) -> Result<Value, String> {
        match kind {
            Kind::Integer => text
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| format!("must be an integer, got {text:?}")),
            Kind::Number => text
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| format!("must be a number, got {text:?}")),
            Kind::Boolean => match text {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(format!("must be true or false, got {text:?}")),
            },
            _ => Ok(Value::String(text.to_string())),
        }
    }
    match param.rule.kind {
        Kind::Array => {
            let item = param.rule.items.map_or(Kind::String, |r| r.kind);
            let parts: Vec<&str> = if param.explode {
                values.to_vec()
            } else {
                values.iter().flat_map(|v| v.split(',')).collect()
            };
            parts
                .iter()
                .map(|p| scalar(item, p))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        kind => match values {
            [one] => scalar(kind, one),
            _ => Err("is given more than once".to_string()),
        },
    }
}

fn token_error(code: i64, description: &str, logid: &str, now: i64) -> Value {
    json!({
        "data": {"error_code": code, "description": description},
        "message": "error",
        "extra": {"logid": logid, "now": now},
    })
}

/// The description of a refusal: the message of the operation's own error
/// table (else the catalog's), then the detail.
fn describe(op: Operation, refusal: &Refusal) -> String {
    let message = ERROR_TABLE
        .iter()
        .find(|r| r.operation == op.operation_id() && r.code == refusal.code)
        .map(|r| r.message)
        .or_else(|| ErrorCode::from_code(refusal.code).message())
        .unwrap_or("sandbox fault");
    match &refusal.detail {
        Some(detail) => format!("{message}: {detail}"),
        None => message.to_string(),
    }
}

fn is_json_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

fn parse_body(body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(refuse(28001007, "the body must be a JSON object")),
        Err(e) => Err(refuse(28001007, format!("the body is not JSON: {e}"))),
    }
}

fn required_str(body: &Map<String, Value>, name: &str) -> Result<String, Refusal> {
    optional_str(body, name)?.ok_or_else(|| refuse(4000001, format!("{name} is required")))
}

fn optional_str(body: &Map<String, Value>, name: &str) -> Result<Option<String>, Refusal> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(refuse(2100005, format!("{name} must not be empty")))
        }
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(refuse(
            2100005,
            format!("{name} must be a string, got {other}"),
        )),
    }
}

fn required_int(body: &Map<String, Value>, name: &str) -> Result<i64, Refusal> {
    optional_int(body, name)?.ok_or_else(|| refuse(4000001, format!("{name} is required")))
}

fn optional_int(body: &Map<String, Value>, name: &str) -> Result<Option<i64>, Refusal> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| refuse(2100005, format!("{name} must be an integer, got {v}"))),
    }
}

/// The spec's `minimum` / `maximum` of a field.
fn within(limit: &crate::validate::Limit, value: i64) -> Result<(), Refusal> {
    let name = limit.field;
    if let Some(min) = limit.minimum
        && value < min
    {
        return Err(refuse(
            2100005,
            format!("{name} must be at least {min}, got {value}"),
        ));
    }
    if let Some(max) = limit.maximum
        && value > max
    {
        return Err(refuse(
            2100005,
            format!("{name} must be at most {max}, got {value}"),
        ));
    }
    Ok(())
}

/// Items of page `page` (from 1) of `size`; empty past the end.
fn page_slice<T>(items: &[T], page: i64, size: i64) -> &[T] {
    let (Ok(page), Ok(size)) = (usize::try_from(page - 1), usize::try_from(size)) else {
        return &[];
    };
    let start = page.saturating_mul(size).min(items.len());
    let end = start.saturating_add(size).min(items.len());
    &items[start..end]
}

fn to_map<T: serde::Serialize>(data: &T) -> Result<Map<String, Value>, Refusal> {
    match serde_json::to_value(data) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(refuse(5000001, "sandbox: cannot serialize the answer")),
    }
}
