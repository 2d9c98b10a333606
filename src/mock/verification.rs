//! The sandbox's group-buying verification flow as a pure state machine: no
//! HTTP, no clock of its own. The HTTP sandbox hands it one decoded request
//! at a time (`operationId`, query pairs, JSON body, the sandbox clock) and
//! wraps what it answers in the envelope.
//!
//! The flow follows the pages (docs/pages/certificate_*.txt) and the spec:
//!
//! * `certificate_prepare` (by the QR code's `encrypted_data` or a plaintext
//!   `code`) returns the order's unused vouchers and a fresh `verify_token`
//!   good for one verify. A successful verify spends the QR code: the order's
//!   `encrypted_data` is refreshed (see [`Verification::scannable`]).
//! * `certificate_verify` with that token marks the vouchers used and answers
//!   `verify_results[]` with `result` 0, `certificate_id` and `verify_id`. A
//!   repeat with the same token and codes (a retry) answers `result` 1208 per
//!   voucher (already verified); the token used for other codes, or an
//!   unknown token, is an error (4000002).
//! * `certificate_cancel` within 3600 s of the verify makes the voucher unused
//!   again; later it fails with 4000100 (`CancelWindowExpired`, a code the
//!   spec chose: the pages document none). The same `cancel_token` within an
//!   hour answers like the first cancel.
//! * `certificate_get` / `certificate_query` show the vouchers' status
//!   (`status` 1 unused, 2 used: the pages are cut before the values, these
//!   are the sandbox's).
//! * `trade_order_query` lists the seeded orders, paged by `page_num` /
//!   `page_size`.
//!
//! Bad or missing fields are errors naming the field: 4000001 for a missing
//! one, 2100005 for a malformed one. Every answer's shape is the spec's
//! schema for the operation (the unit tests check it against
//! openapi/goodlife.yaml).

// The HTTP sandbox wires this in; until then only the tests use it.

use std::collections::{BTreeMap, VecDeque};

use serde_json::{Value, json};

use super::dataset::Rng;
use super::sample;

/// A missing parameter (the goodlife pages' 4000001).
const MISSING: i64 = 4_000_001;
/// A malformed parameter (the common status code 2100005).
const INVALID: i64 = 2_100_005;
/// A business refusal: unknown token, code or voucher (4000002).
const REFUSED: i64 = 4_000_002;
/// Cancel more than an hour after the verify (catalog `CancelWindowExpired`).
const CANCEL_WINDOW_EXPIRED: i64 = 4_000_100;
/// An account the application is not authorized for (2119005).
const NOT_AUTHORIZED: i64 = 2_119_005;
/// `verify_results[].result` of a voucher verified before.
const ALREADY_VERIFIED: i64 = 1208;
/// How long after a verify it can be cancelled, and how long a
/// `cancel_token` is remembered (seconds).
const CANCEL_WINDOW: i64 = 3600;
/// The webhook event of voucher messages (webhook_trade_certificate_notify).
const CERTIFICATE_EVENT: &str = "life_trade_certificate_notify";
/// `status` / `item_status` of an unused voucher in the sandbox.
const UNUSED: i64 = 1;
/// `status` / `item_status` of a used voucher in the sandbox.
const USED: i64 = 2;
/// Tokens remembered at most; the oldest is forgotten first, so a client
/// that prepares without end does not grow the sandbox without end.
const MAX_TOKENS: usize = 10_000;

/// An error answer: `(error_code, description)`.
type Refusal = (i64, String);

/// A code the sandbox lists on start, for a developer to "scan".
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScannableCode {
    /// The QR code's `object_id`, for `certificate_prepare?encrypted_data=`;
    /// refreshed after each successful verify of the order.
    pub encrypted_data: String,
    /// The plaintext code of the order's first voucher, for
    /// `certificate_prepare?code=`.
    pub code: String,
    /// The goods' title.
    pub title: String,
    /// How many vouchers the order has.
    pub vouchers: usize,
}

/// One seeded order (one QR code).
#[derive(Clone, Debug)]
struct Order {
    order_id: String,
    title: String,
    sku_id: String,
    /// Price of one voucher in fen, before and after discounts.
    original: i64,
    pay: i64,
    created: i64,
    /// Bumped by each successful verify: the QR code is refreshed.
    generation: u64,
    /// Indexes into `Verification::vouchers`.
    vouchers: Vec<usize>,
}

/// The active verification of a voucher.
#[derive(Clone, Debug)]
struct Verified {
    verify_id: String,
    verify_time: i64,
    poi_id: String,
}

/// One voucher.
#[derive(Clone, Debug)]
struct Voucher {
    order: usize,
    certificate_id: String,
    order_item_id: String,
    encrypted_code: String,
    code: String,
    verified: Option<Verified>,
    /// When its state last changed (unix seconds).
    updated: i64,
}

/// What a `verify_token` is good for.
#[derive(Clone, Debug)]
enum Token {
    /// Minted by prepare for this order; not used yet.
    Prepared { order: usize },
    /// Used by a verify of these codes (sorted); its results, to answer a
    /// retry.
    Used {
        codes: Vec<String>,
        results: Vec<Value>,
    },
}

/// A cancel remembered under its `cancel_token`.
#[derive(Clone, Debug)]
struct CancelMemo {
    at: i64,
    certificate_id: String,
    verify_id: String,
    answer: Value,
}

/// The verification flow's state: seeded orders and vouchers, the tokens
/// handed out, and the webhook events not drained yet.
#[derive(Clone, Debug)]
pub(crate) struct Verification {
    seed: u64,
    orders: Vec<Order>,
    vouchers: Vec<Voucher>,
    tokens: BTreeMap<String, Token>,
    /// The tokens in the order they were minted (oldest first).
    token_order: VecDeque<String>,
    cancels: BTreeMap<String, CancelMemo>,
    /// Numbers minted so far (tokens, verify ids).
    minted: u64,
    events: Vec<(String, Value)>,
}

/// Goods the seeded orders are for: title and voucher count.
const GOODS: [(&str, usize); 4] = [
    ("双人下午茶套餐", 1),
    ("100元代金券", 3),
    ("单人精致午餐", 1),
    ("亲子游乐畅玩次卡", 2),
];

impl Verification {
    /// A deterministic state for `seed`: four orders, one with three
    /// vouchers and one with two.
    pub(crate) fn seeded(seed: u64) -> Self {
        let mut rng = Rng::new(seed ^ 0x005E_ED0F_CE27);
        let mut orders = Vec::new();
        let mut vouchers = Vec::new();
        for (oi, (title, count)) in GOODS.iter().enumerate() {
            let original = 5_000 + (rng.next_u64() % 200) as i64 * 100;
            let pay = original - (rng.next_u64() % 20) as i64 * 100;
            let created = sample::MONTH_END - 86_400 + (oi as i64) * 3_600;
            let order_id = format!("10802411{:011}", rng.next_u64() % 100_000_000_000);
            let mut ids = Vec::new();
            for vi in 0..*count {
                ids.push(vouchers.len());
                vouchers.push(Voucher {
                    order: oi,
                    certificate_id: format!("73021877{:011}", rng.next_u64() % 100_000_000_000),
                    order_item_id: format!("{order_id}{vi}"),
                    encrypted_code: format!(
                        "CgwIARC{:016x}{:016x}",
                        rng.next_u64(),
                        rng.next_u64()
                    ),
                    code: format!("{:012}", rng.next_u64() % 1_000_000_000_000),
                    verified: None,
                    updated: created,
                });
            }
            orders.push(Order {
                order_id,
                title: (*title).to_string(),
                sku_id: format!("17813528{:08}", rng.next_u64() % 100_000_000),
                original,
                pay,
                created,
                generation: 0,
                vouchers: ids,
            });
        }
        Verification {
            seed,
            orders,
            vouchers,
            tokens: BTreeMap::new(),
            token_order: VecDeque::new(),
            cancels: BTreeMap::new(),
            minted: 0,
            events: Vec::new(),
        }
    }

    /// The codes a developer can prepare now, one per order (listed by
    /// `goodlife mock` on start).
    pub(crate) fn scannable(&self) -> Vec<ScannableCode> {
        (0..self.orders.len())
            .map(|oi| {
                let order = &self.orders[oi];
                ScannableCode {
                    encrypted_data: self.encrypted_data(oi, order.generation),
                    code: order
                        .vouchers
                        .first()
                        .map(|&v| self.vouchers[v].code.clone())
                        .unwrap_or_default(),
                    title: order.title.clone(),
                    vouchers: order.vouchers.len(),
                }
            })
            .collect()
    }

    /// Answers one of the six operations (by operationId) or `None` for
    /// other operations. `query` holds the decoded query pairs, `body` the
    /// parsed JSON body (POSTs), `now` the sandbox clock in unix seconds.
    /// Returns the `data` object of a successful answer or
    /// `Err((code, description))` for an error answer.
    pub(crate) fn handle(
        &mut self,
        operation: &str,
        query: &[(String, String)],
        body: Option<&Value>,
        now: i64,
    ) -> Option<Result<Value, Refusal>> {
        Some(match operation {
            "certificate_prepare" => self.prepare(query),
            "certificate_verify" => self.verify(body, now),
            "certificate_cancel" => self.cancel(body, now),
            "certificate_get" => self.get(query, now),
            "certificate_query" => self.query(query, now),
            "trade_order_query" => self.order_query(query, now),
            "certificate_verify_record_query" => self.verify_records(query, now),
            _ => return None,
        })
    }

    /// The webhook events since the last drain, as `(event, content)` per
    /// webhook_trade_certificate_notify: `action` `verify` or
    /// `verify_cancel`, `msg_time`, and the voucher.
    pub(crate) fn drain_events(&mut self) -> Vec<(String, Value)> {
        std::mem::take(&mut self.events)
    }

    // ---- operations ----

    fn prepare(&mut self, query: &[(String, String)]) -> Result<Value, Refusal> {
        let order = if let Some(data) = param(query, "encrypted_data")? {
            self.order_by_encrypted_data(data)?
        } else if let Some(code) = param(query, "code")? {
            self.vouchers
                .iter()
                .find(|v| v.code == code)
                .map(|v| v.order)
                .ok_or_else(|| refused("code", "未知券码 / unknown code"))?
        } else {
            return Err(missing("encrypted_data or code"));
        };
        param(query, "poi_id")?;
        let token = self.mint_token();
        self.tokens.insert(token.clone(), Token::Prepared { order });
        self.token_order.push_back(token.clone());
        while self.token_order.len() > MAX_TOKENS {
            if let Some(old) = self.token_order.pop_front() {
                self.tokens.remove(&old);
            }
        }
        let certificates: Vec<Value> = self.orders[order]
            .vouchers
            .iter()
            .filter(|&&v| self.vouchers[v].verified.is_none())
            .map(|&v| self.certificate_json(v, false, 0))
            .collect();
        Ok(json!({
            "error_code": 0,
            "description": "",
            "verify_token": token,
            "order_id": self.orders[order].order_id,
            "certificates": certificates,
        }))
    }

    fn verify(&mut self, body: Option<&Value>, now: i64) -> Result<Value, Refusal> {
        let body = object(body)?;
        let token = body_str(body, "verify_token")?.ok_or_else(|| missing("verify_token"))?;
        let poi_id = body_str(body, "poi_id")?.ok_or_else(|| missing("poi_id"))?;
        body_str(body, "account_id")?;
        body_str(body, "order_id")?;
        // Douyin vouchers by `encrypted_codes`; `codes` (plaintext) also
        // resolve to the sandbox's vouchers.
        let (field, encrypted, sent) = match (
            string_list(body, "encrypted_codes")?,
            string_list(body, "codes")?,
        ) {
            (Some(list), _) => ("encrypted_codes", true, list),
            (None, Some(list)) => ("codes", false, list),
            (None, None) => return Err(missing("encrypted_codes")),
        };
        if sent.is_empty() {
            return Err(invalid(field, "不能为空 / must not be empty"));
        }
        let mut sorted = sent.clone();
        sorted.sort();
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            return Err(invalid(field, "重复的券码 / a code is listed twice"));
        }
        let order = match self.tokens.get(&token) {
            None => return Err(refused("verify_token", "无效 / unknown verify_token")),
            Some(Token::Used { codes, results }) => {
                if *codes != sorted {
                    return Err(refused(
                        "verify_token",
                        "已用于另一次验券 / already used by another verify",
                    ));
                }
                let results = results
                    .iter()
                    .map(|r| {
                        let mut r = r.clone();
                        r["result"] = json!(ALREADY_VERIFIED);
                        r["msg"] = json!("券码已核销 / already verified");
                        r
                    })
                    .collect::<Vec<_>>();
                return Ok(verify_answer(results));
            }
            Some(Token::Prepared { order }) => *order,
        };
        let mut picked = Vec::new();
        for (i, c) in sent.iter().enumerate() {
            let found = self.orders[order].vouchers.iter().copied().find(|&v| {
                let v = &self.vouchers[v];
                if encrypted {
                    v.encrypted_code == *c
                } else {
                    v.code == *c
                }
            });
            match found {
                Some(v) => picked.push(v),
                None => {
                    return Err(refused(
                        &format!("{field}[{i}]"),
                        "不属于本次验券准备的订单 / not a voucher of the prepared order",
                    ));
                }
            }
        }
        let mut results = Vec::new();
        let mut any_new = false;
        for (c, v) in sent.iter().zip(picked) {
            let (result, msg) = if self.vouchers[v].verified.is_some() {
                (ALREADY_VERIFIED, "券码已核销 / already verified")
            } else {
                let verify_id = format!("73021900{:011}", self.mint() % 100_000_000_000);
                self.vouchers[v].verified = Some(Verified {
                    verify_id,
                    verify_time: now,
                    poi_id: poi_id.clone(),
                });
                self.vouchers[v].updated = now;
                self.event("verify", v, now);
                any_new = true;
                (0, "")
            };
            let voucher = &self.vouchers[v];
            results.push(json!({
                "result": result,
                "msg": msg,
                "code": c,
                "origin_code": voucher.code,
                "certificate_id": voucher.certificate_id,
                "verify_id": voucher.verified.as_ref().map(|x| x.verify_id.clone()).unwrap_or_default(),
                "order_id": self.orders[order].order_id,
                "account_id": sample::ACCOUNT_ID,
            }));
        }
        if any_new {
            // A successful verify spends the QR code.
            self.orders[order].generation += 1;
        }
        self.tokens.insert(
            token,
            Token::Used {
                codes: sorted,
                results: results.clone(),
            },
        );
        Ok(verify_answer(results))
    }

    fn cancel(&mut self, body: Option<&Value>, now: i64) -> Result<Value, Refusal> {
        let body = object(body)?;
        let certificate_id =
            body_str(body, "certificate_id")?.ok_or_else(|| missing("certificate_id"))?;
        let verify_id = body_str(body, "verify_id")?.ok_or_else(|| missing("verify_id"))?;
        let cancel_token = body_str(body, "cancel_token")?;
        body_str(body, "account_id")?;
        if body.get("batch_cancel_info").is_some() || body.get("batch_cancel_info_list").is_some() {
            return Err(refused(
                "batch_cancel_info",
                "沙箱不支持批量撤销(仅次卡)/ batch cancels (times cards) are not simulated",
            ));
        }
        if let Some(t) = &cancel_token {
            self.cancels.retain(|_, m| now - m.at <= CANCEL_WINDOW);
            if let Some(memo) = self.cancels.get(t) {
                if memo.certificate_id == certificate_id && memo.verify_id == verify_id {
                    return Ok(memo.answer.clone());
                }
                return Err(refused(
                    "cancel_token",
                    "已用于另一次撤销 / already used by another cancel",
                ));
            }
        }
        let v = self
            .vouchers
            .iter()
            .position(|v| v.certificate_id == certificate_id)
            .ok_or_else(|| refused("certificate_id", "未知券 / unknown voucher"))?;
        let verified = self.vouchers[v]
            .verified
            .clone()
            .ok_or_else(|| refused("certificate_id", "券未核销 / the voucher is not verified"))?;
        if verified.verify_id != verify_id {
            return Err(refused(
                "verify_id",
                "不是该券当前的核销 / not the voucher's verification",
            ));
        }
        if now - verified.verify_time > CANCEL_WINDOW {
            return Err((
                CANCEL_WINDOW_EXPIRED,
                "验券超过一个小时不可撤销 / more than an hour since the verify".to_string(),
            ));
        }
        self.vouchers[v].verified = None;
        self.vouchers[v].updated = now;
        self.event("verify_cancel", v, now);
        let answer = json!({
            "error_code": 0,
            "description": "",
            "cancel_results": [{
                "order_id": self.orders[self.vouchers[v].order].order_id,
                "verify_id": verify_id,
                "result_code": 0,
                "result_msg": "",
            }],
        });
        if let Some(t) = cancel_token {
            self.cancels.insert(
                t,
                CancelMemo {
                    at: now,
                    certificate_id,
                    verify_id,
                    answer: answer.clone(),
                },
            );
        }
        Ok(answer)
    }

    fn get(&mut self, query: &[(String, String)], now: i64) -> Result<Value, Refusal> {
        let code = param(query, "encrypted_code")?.ok_or_else(|| missing("encrypted_code"))?;
        param(query, "account_id")?;
        let v = self.voucher_by_encrypted_code(code)?;
        Ok(json!({
            "error_code": 0,
            "description": "",
            "certificate": self.certificate_json(v, true, now),
        }))
    }

    fn query(&mut self, query: &[(String, String)], now: i64) -> Result<Value, Refusal> {
        param(query, "account_id")?;
        let picked: Vec<usize> = if let Some(code) = param(query, "encrypted_code")? {
            vec![self.voucher_by_encrypted_code(code)?]
        } else if let Some(order_id) = param(query, "order_id")? {
            self.orders
                .iter()
                .find(|o| o.order_id == order_id)
                .map(|o| o.vouchers.clone())
                .ok_or_else(|| refused("order_id", "未知订单 / unknown order"))?
        } else {
            return Err(missing("encrypted_code or order_id"));
        };
        let certificates: Vec<Value> = picked
            .into_iter()
            .map(|v| self.certificate_json(v, false, now))
            .collect();
        Ok(json!({
            "error_code": 0,
            "description": "",
            "certificates": certificates,
        }))
    }

    fn order_query(&mut self, query: &[(String, String)], _now: i64) -> Result<Value, Refusal> {
        let account = param(query, "account_id")?.ok_or_else(|| missing("account_id"))?;
        let page_num = int_param(query, "page_num", 1)?.ok_or_else(|| missing("page_num"))?;
        let page_size = int_param(query, "page_size", 1)?.ok_or_else(|| missing("page_size"))?;
        let order_id = param(query, "order_id")?;
        let ext_order_id = param(query, "ext_order_id")?;
        let open_id = param(query, "open_id")?;
        let status = int_param(query, "order_status", i64::MIN)?;
        let created_from = int_param(query, "create_order_start_time", 0)?;
        let created_until = int_param(query, "create_order_end_time", 0)?;
        let updated_from = int_param(query, "update_order_start_time", 0)?;
        let updated_until = int_param(query, "update_order_end_time", 0)?;
        if let Some(v) = param(query, "get_secret_number")?
            && v != "true"
            && v != "false"
        {
            return Err(invalid(
                "get_secret_number",
                "应为 true 或 false / must be true or false",
            ));
        }
        if account != sample::ACCOUNT_ID {
            return Err((
                NOT_AUTHORIZED,
                "account_id: 应用未获商家授权 / the application is not authorized by this merchant"
                    .to_string(),
            ));
        }
        let within = |t: i64, from: Option<i64>, until: Option<i64>| {
            from.is_none_or(|f| t >= f) && until.is_none_or(|u| t <= u)
        };
        let matching: Vec<usize> = (0..self.orders.len())
            .filter(|&oi| {
                let o = &self.orders[oi];
                order_id.is_none_or(|id| id == o.order_id)
                    // The sandbox's orders have no third-party number.
                    && ext_order_id.is_none()
                    && open_id.is_none_or(|id| id == sample::OPEN_ID)
                    && status.is_none_or(|s| s == 1)
                    && within(o.created, created_from, created_until)
                    && within(self.order_updated(oi), updated_from, updated_until)
            })
            .collect();
        let total = matching.len() as i64;
        let start = page_num.saturating_sub(1).saturating_mul(page_size);
        let orders: Vec<Value> = matching
            .into_iter()
            .skip(usize::try_from(start).unwrap_or(usize::MAX))
            .take(usize::try_from(page_size).unwrap_or(usize::MAX))
            .map(|oi| self.order_json(oi))
            .collect();
        Ok(json!({
            "error_code": 0,
            "description": "",
            "orders": orders,
            "page": {"page_num": page_num, "page_size": page_size, "total": total},
        }))
    }

    /// The verifications in force, newest first, paged by cursor: a record's
    /// `cursor` is its verify time (10 digits) and verify id, and a page holds
    /// the records whose cursor sorts before the request's ("0": from the
    /// newest).
    fn verify_records(&mut self, query: &[(String, String)], now: i64) -> Result<Value, Refusal> {
        let account = param(query, "account_id")?.ok_or_else(|| missing("account_id"))?;
        let cursor = param(query, "cursor")?.ok_or_else(|| missing("cursor"))?;
        let size = int_param(query, "size", 1)?.ok_or_else(|| missing("size"))?;
        let from = int_param(query, "start_time", 0)?;
        let until = int_param(query, "end_time", 0)?;
        let pois: Option<Vec<&str>> = param(query, "poi_ids")?.map(|p| p.split(',').collect());
        if account != sample::ACCOUNT_ID {
            return Err((
                NOT_AUTHORIZED,
                "account_id: 应用未获商家授权 / the application is not authorized by this merchant"
                    .to_string(),
            ));
        }
        let mut records: Vec<(String, usize)> = self
            .vouchers
            .iter()
            .enumerate()
            .filter_map(|(v, voucher)| {
                let x = voucher.verified.as_ref()?;
                let keep = from.is_none_or(|f| x.verify_time >= f)
                    && until.is_none_or(|u| x.verify_time < u)
                    && pois.as_ref().is_none_or(|p| p.contains(&x.poi_id.as_str()));
                keep.then(|| (format!("{:010}{}", x.verify_time.max(0), x.verify_id), v))
            })
            .collect();
        records.sort_by(|a, b| b.0.cmp(&a.0));
        let total = records.len() as i64;
        let page: Vec<Value> = records
            .into_iter()
            .filter(|(c, _)| cursor == "0" || c.as_str() < cursor)
            .take(usize::try_from(size).unwrap_or(usize::MAX))
            .map(|(c, v)| self.verify_record_json(v, c, now))
            .collect();
        Ok(json!({
            "error_code": 0,
            "description": "",
            "total": total,
            "records": page,
        }))
    }

    /// A verified voucher as `VerifyRecord`.
    fn verify_record_json(&self, v: usize, cursor: String, now: i64) -> Value {
        let c = self.certificate_json(v, true, now);
        let x = &c["verify"];
        json!({
            "verify_id": x["verify_id"],
            "certificate_id": c["certificate_id"],
            "code": c["code"],
            "verify_type": x["verify_type"],
            "verify_time": x["verify_time"],
            "can_cancel": x["can_cancel"],
            "status": 1,
            "certificate_status": c["status"],
            "cursor": cursor,
            "sku": c["sku"],
            "amount": c["amount"],
        })
    }

    // ---- helpers ----

    /// The QR code's `object_id` of an order at a generation.
    fn encrypted_data(&self, order: usize, generation: u64) -> String {
        let mut rng =
            Rng::new(self.seed ^ ((order as u64 + 1) << 32) ^ generation.wrapping_mul(0x9E37_79B9));
        format!("I0Zw{:016x}{:016x}", rng.next_u64(), rng.next_u64())
    }

    fn order_by_encrypted_data(&self, data: &str) -> Result<usize, Refusal> {
        for (oi, o) in self.orders.iter().enumerate() {
            if self.encrypted_data(oi, o.generation) == data {
                return Ok(oi);
            }
            if (0..o.generation).any(|g| self.encrypted_data(oi, g) == data) {
                return Err(refused(
                    "encrypted_data",
                    "二维码已失效,请使用刷新的二维码 / the QR code is spent; scan the refreshed one",
                ));
            }
        }
        Err(refused("encrypted_data", "无效 / unknown QR code"))
    }

    fn voucher_by_encrypted_code(&self, code: &str) -> Result<usize, Refusal> {
        self.vouchers
            .iter()
            .position(|v| v.encrypted_code == code)
            .ok_or_else(|| refused("encrypted_code", "未知券码 / unknown encrypted_code"))
    }

    /// A fresh number from the seed (tokens, verify ids).
    fn mint(&mut self) -> u64 {
        self.minted += 1;
        Rng::new(self.seed ^ self.minted.wrapping_mul(0xA24B_AED4_963E_E407)).next_u64()
    }

    fn mint_token(&mut self) -> String {
        let a = self.mint();
        let b = self.mint();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            (b >> 48) & 0x3fff | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }

    fn event(&mut self, action: &str, v: usize, now: i64) {
        let voucher = &self.vouchers[v];
        self.events.push((
            CERTIFICATE_EVENT.to_string(),
            json!({
                "action": action,
                "msg_time": now,
                "certificate": {
                    "order_id": self.orders[voucher.order].order_id,
                    "certificate_id": voucher.certificate_id,
                    "code": voucher.code,
                },
            }),
        ));
    }

    fn order_updated(&self, oi: usize) -> i64 {
        self.orders[oi]
            .vouchers
            .iter()
            .map(|&v| self.vouchers[v].updated)
            .max()
            .unwrap_or(self.orders[oi].created)
    }

    /// A voucher as `FulfilmentCertificate`: the plaintext `code` only when
    /// `with_code` (prepare and query return none), `verify` and
    /// `verify_records` when it is used.
    fn certificate_json(&self, v: usize, with_code: bool, now: i64) -> Value {
        let voucher = &self.vouchers[v];
        let order = &self.orders[voucher.order];
        let mut c = json!({
            "encrypted_code": voucher.encrypted_code,
            "certificate_id": voucher.certificate_id,
            "status": if voucher.verified.is_some() { USED } else { UNUSED },
            "start_time": order.created,
            "expire_time": sample::MONTH_END + 90 * 86_400 - 1,
            "amount": {
                "original_amount": order.original,
                "pay_amount": order.pay,
                "list_market_amount": order.original,
                "merchant_ticket_amount": 0,
                "payment_discount_amount": 0,
                "platform_discount_amount": order.original - order.pay,
                "coupon_pay_amount": order.pay,
                "original_currency": "CNY",
            },
            "sku": {
                "sku_id": order.sku_id,
                "title": order.title,
                "account_id": sample::ACCOUNT_ID,
                "third_sku_id": "",
                "groupon_type": 1,
                "market_price": order.original,
                "sold_start_time": sample::MONTH_START,
            },
        });
        if with_code {
            c["code"] = json!(voucher.code);
        }
        if let Some(x) = &voucher.verified {
            let record = json!({
                "verify_id": x.verify_id,
                "certificate_id": voucher.certificate_id,
                "verify_time": x.verify_time,
                "can_cancel": now - x.verify_time <= CANCEL_WINDOW,
                "verify_type": 1,
                "poi_id": x.poi_id,
            });
            c["verify_records"] = json!([record.clone()]);
            c["verify"] = record;
        }
        c
    }

    /// An order as `TradeOrder`.
    fn order_json(&self, oi: usize) -> Value {
        let o = &self.orders[oi];
        let n = o.vouchers.len() as i64;
        let certificates: Vec<Value> = o
            .vouchers
            .iter()
            .map(|&v| {
                let voucher = &self.vouchers[v];
                json!({
                    "certificate_id": voucher.certificate_id,
                    "order_item_id": voucher.order_item_id,
                    "item_status": if voucher.verified.is_some() { USED } else { UNUSED },
                    "item_update_time": voucher.updated,
                    "refund_amount": 0,
                    "refund_time": 0,
                })
            })
            .collect();
        json!({
            "order_id": o.order_id,
            "order_type": 1,
            "order_status": 1,
            "open_id": sample::OPEN_ID,
            "poi_id": sample::POI_ID,
            "sku_id": o.sku_id,
            "third_sku_id": "",
            "sku_name": o.title,
            "count": n,
            "original_amount": o.original * n,
            "pay_amount": o.pay * n,
            "payment_discount": 0,
            "receipt_amount": (o.pay * n).to_string(),
            "discount_amount": ((o.original - o.pay) * n).to_string(),
            "create_order_time": o.created,
            "pay_time": o.created + 30,
            "update_order_time": self.order_updated(oi),
            "certificate": certificates,
        })
    }
}

fn verify_answer(results: Vec<Value>) -> Value {
    json!({"error_code": 0, "description": "", "verify_results": results})
}

fn missing(field: &str) -> Refusal {
    (MISSING, format!("{field}: 缺少参数 / missing parameter"))
}

fn invalid(field: &str, why: &str) -> Refusal {
    (
        INVALID,
        format!("{field}: 参数不合法 / invalid parameter: {why}"),
    )
}

fn refused(field: &str, why: &str) -> Refusal {
    (REFUSED, format!("{field}: {why}"))
}

/// The first value of a query parameter; an empty one is malformed
/// (`minLength: 1`).
fn param<'a>(query: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, Refusal> {
    match query.iter().find(|(k, _)| k == name) {
        None => Ok(None),
        Some((_, v)) if v.is_empty() => Err(invalid(name, "不能为空 / must not be empty")),
        Some((_, v)) => Ok(Some(v.as_str())),
    }
}

/// An integer query parameter, at least `min`.
fn int_param(query: &[(String, String)], name: &str, min: i64) -> Result<Option<i64>, Refusal> {
    let Some(raw) = param(query, name)? else {
        return Ok(None);
    };
    match raw.parse::<i64>() {
        Ok(n) if n >= min => Ok(Some(n)),
        Ok(_) => Err(invalid(
            name,
            &format!("至少为 {min} / must be at least {min}"),
        )),
        Err(_) => Err(invalid(name, "应为整数 / must be an integer")),
    }
}

/// The JSON body as an object.
fn object(body: Option<&Value>) -> Result<&serde_json::Map<String, Value>, Refusal> {
    match body {
        None | Some(Value::Null) => Err(missing("body")),
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err(invalid("body", "应为 JSON 对象 / must be a JSON object")),
    }
}

/// A string field of the body; a non-string or empty one is malformed.
fn body_str(body: &serde_json::Map<String, Value>, name: &str) -> Result<Option<String>, Refusal> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => {
            Err(invalid(name, "不能为空 / must not be empty"))
        }
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(name, "应为字符串 / must be a string")),
    }
}

/// A list-of-strings field of the body.
fn string_list(
    body: &serde_json::Map<String, Value>,
    name: &str,
) -> Result<Option<Vec<String>>, Refusal> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) if !s.is_empty() => Ok(s.clone()),
                _ => Err(invalid(
                    &format!("{name}[{i}]"),
                    "应为非空字符串 / must be a non-empty string",
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(invalid(name, "应为字符串列表 / must be a list of strings")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_733_019_000;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn ok(answer: Option<Result<Value, Refusal>>) -> Value {
        match answer {
            Some(Ok(v)) => v,
            other => panic!("expected a success, got {other:?}"),
        }
    }

    fn err(answer: Option<Result<Value, Refusal>>) -> Refusal {
        match answer {
            Some(Err(e)) => e,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    /// Prepares the order with several vouchers; returns the state, the
    /// token and the encrypted codes.
    fn prepared() -> (Verification, String, Vec<String>) {
        let mut m = Verification::seeded(7);
        let scan = m.scannable().into_iter().find(|s| s.vouchers > 1).unwrap();
        let data = ok(m.handle(
            "certificate_prepare",
            &q(&[
                ("encrypted_data", &scan.encrypted_data),
                ("poi_id", sample::POI_ID),
            ]),
            None,
            T0,
        ));
        let token = data["verify_token"].as_str().unwrap().to_string();
        let codes: Vec<String> = data["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["encrypted_code"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(codes.len(), scan.vouchers);
        (m, token, codes)
    }

    fn verify(m: &mut Verification, token: &str, codes: &[String], now: i64) -> Value {
        ok(m.handle(
            "certificate_verify",
            &[],
            Some(
                &json!({"verify_token": token, "poi_id": sample::POI_ID, "encrypted_codes": codes}),
            ),
            now,
        ))
    }

    fn get(m: &mut Verification, code: &str, now: i64) -> Value {
        ok(m.handle(
            "certificate_get",
            &q(&[("encrypted_code", code)]),
            None,
            now,
        ))
    }

    fn cancel(
        m: &mut Verification,
        result: &Value,
        token: Option<&str>,
        now: i64,
    ) -> Option<Result<Value, Refusal>> {
        let mut body = json!({
            "certificate_id": result["certificate_id"],
            "verify_id": result["verify_id"],
        });
        if let Some(t) = token {
            body["cancel_token"] = json!(t);
        }
        m.handle("certificate_cancel", &[], Some(&body), now)
    }

    #[test]
    fn prepare_verify_get_cancel_get() {
        let (mut m, token, codes) = prepared();
        let data = verify(&mut m, &token, &codes, T0 + 5);
        assert_eq!(data["error_code"], 0);
        let results = data["verify_results"].as_array().unwrap();
        assert_eq!(results.len(), codes.len());
        for r in results {
            assert_eq!(r["result"], 0);
            assert!(!r["certificate_id"].as_str().unwrap().is_empty());
            assert!(!r["verify_id"].as_str().unwrap().is_empty());
        }
        let events = m.drain_events();
        assert_eq!(events.len(), codes.len());
        assert!(
            events
                .iter()
                .all(|(e, c)| e == CERTIFICATE_EVENT && c["action"] == "verify")
        );
        assert!(m.drain_events().is_empty());

        let used = get(&mut m, &codes[0], T0 + 10);
        assert_eq!(used["certificate"]["status"], USED);
        assert_eq!(used["certificate"]["verify"]["can_cancel"], true);

        let cancelled = ok(cancel(&mut m, &results[0], None, T0 + 5 + 3600));
        assert_eq!(cancelled["cancel_results"][0]["result_code"], 0);
        let unused = get(&mut m, &codes[0], T0 + 3700);
        assert_eq!(unused["certificate"]["status"], UNUSED);
        assert!(unused["certificate"].get("verify").is_none());
        let events = m.drain_events();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].1["action"], "verify_cancel");
        // The others stay used.
        assert_eq!(
            get(&mut m, &codes[1], T0 + 3700)["certificate"]["status"],
            USED
        );
    }

    #[test]
    fn repeated_verify_with_the_same_token_answers_1208() {
        let (mut m, token, codes) = prepared();
        let first = verify(&mut m, &token, &codes, T0);
        let again = verify(&mut m, &token, &codes, T0 + 5);
        let (a, b) = (
            first["verify_results"].as_array().unwrap(),
            again["verify_results"].as_array().unwrap(),
        );
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert_eq!(y["result"], ALREADY_VERIFIED);
            assert_eq!(x["verify_id"], y["verify_id"]);
        }
        // The same token for other codes, or an unknown token, is an error.
        let other = m.handle(
            "certificate_verify",
            &[],
            Some(&json!({"verify_token": token, "poi_id": "p", "encrypted_codes": [codes[0]]})),
            T0 + 6,
        );
        assert_eq!(err(other).0, REFUSED);
        let unknown = m.handle(
            "certificate_verify",
            &[],
            Some(&json!({"verify_token": "nope", "poi_id": "p", "encrypted_codes": [codes[0]]})),
            T0 + 6,
        );
        assert_eq!(err(unknown).0, REFUSED);
    }

    #[test]
    fn a_verify_spends_the_qr_code() {
        let mut m = Verification::seeded(1);
        let before = m.scannable()[0].clone();
        let data = ok(m.handle(
            "certificate_prepare",
            &q(&[("encrypted_data", &before.encrypted_data)]),
            None,
            T0,
        ));
        let code = data["certificates"][0]["encrypted_code"]
            .as_str()
            .unwrap()
            .to_string();
        verify(&mut m, data["verify_token"].as_str().unwrap(), &[code], T0);
        let after = m.scannable()[0].clone();
        assert_ne!(before.encrypted_data, after.encrypted_data);
        let spent = m.handle(
            "certificate_prepare",
            &q(&[("encrypted_data", &before.encrypted_data)]),
            None,
            T0,
        );
        assert_eq!(err(spent).0, REFUSED);
        // The fresh code prepares, with no unused voucher left.
        let fresh = ok(m.handle(
            "certificate_prepare",
            &q(&[("encrypted_data", &after.encrypted_data)]),
            None,
            T0,
        ));
        assert_eq!(fresh["certificates"], json!([]));
        // By plaintext code too.
        let by_code = ok(m.handle(
            "certificate_prepare",
            &q(&[("code", &after.code)]),
            None,
            T0,
        ));
        assert_eq!(by_code["order_id"], fresh["order_id"]);
    }

    #[test]
    fn the_verify_history_pages_by_the_last_records_cursor() {
        let (mut m, token, codes) = prepared();
        assert!(codes.len() >= 2, "the prepared order has several vouchers");
        let data = verify(&mut m, &token, &codes, T0);
        let verified = data["verify_results"].as_array().unwrap().len();
        let page = |m: &mut Verification, cursor: &str| {
            let q = q(&[
                ("account_id", sample::ACCOUNT_ID),
                ("cursor", cursor),
                ("size", "1"),
            ]);
            ok(m.handle("certificate_verify_record_query", &q, None, T0 + 5))
        };
        let mut cursor = "0".to_string();
        let mut seen = Vec::new();
        loop {
            let p = page(&mut m, &cursor);
            assert_eq!(p["total"], verified as i64);
            let records = p["records"].as_array().unwrap().clone();
            let Some(last) = records.last() else { break };
            assert_eq!(records.len(), 1);
            assert_eq!(last["verify_time"], T0);
            assert_eq!(last["can_cancel"], true);
            seen.push(last["verify_id"].as_str().unwrap().to_string());
            cursor = last["cursor"].as_str().unwrap().to_string();
            assert!(seen.len() <= verified, "the history ends");
        }
        assert_eq!(seen.len(), verified);
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), verified, "no record twice");
        let other = q(&[("account_id", "1"), ("cursor", "0"), ("size", "5")]);
        let refusal = m.handle("certificate_verify_record_query", &other, None, T0);
        assert_eq!(err(refusal).0, NOT_AUTHORIZED);
    }

    #[test]
    fn cancel_after_an_hour_fails() {
        let (mut m, token, codes) = prepared();
        let data = verify(&mut m, &token, &codes, T0);
        let late = cancel(&mut m, &data["verify_results"][0], None, T0 + 3601);
        assert_eq!(err(late).0, CANCEL_WINDOW_EXPIRED);
        assert_eq!(
            get(&mut m, &codes[0], T0 + 3601)["certificate"]["status"],
            USED
        );
        assert_eq!(
            get(&mut m, &codes[0], T0 + 3601)["certificate"]["verify"]["can_cancel"],
            false
        );
    }

    #[test]
    fn cancel_with_the_same_token_is_idempotent() {
        let (mut m, token, codes) = prepared();
        let data = verify(&mut m, &token, &codes, T0);
        let r = &data["verify_results"][0];
        let first = ok(cancel(&mut m, r, Some("ct-1"), T0 + 10));
        let again = ok(cancel(&mut m, r, Some("ct-1"), T0 + 20));
        assert_eq!(first, again);
        assert_eq!(
            m.drain_events()
                .iter()
                .filter(|(_, c)| c["action"] == "verify_cancel")
                .count(),
            1
        );
        // Without the token, the second cancel finds nothing to undo.
        assert_eq!(err(cancel(&mut m, r, None, T0 + 30)).0, REFUSED);
        // The token for another cancel is refused.
        let other = &data["verify_results"][1];
        assert_eq!(err(cancel(&mut m, other, Some("ct-1"), T0 + 40)).0, REFUSED);
    }

    #[test]
    fn query_and_order_query() {
        let (mut m, token, codes) = prepared();
        let data = verify(&mut m, &token, &codes, T0);
        let order_id = data["verify_results"][0]["order_id"]
            .as_str()
            .unwrap()
            .to_string();
        let batch = ok(m.handle(
            "certificate_query",
            &q(&[("order_id", &order_id)]),
            None,
            T0,
        ));
        let certs = batch["certificates"].as_array().unwrap();
        assert_eq!(certs.len(), codes.len());
        assert!(certs.iter().all(|c| c["status"] == USED));

        let page = |m: &mut Verification, n: &str, size: &str| {
            ok(m.handle(
                "trade_order_query",
                &q(&[
                    ("account_id", sample::ACCOUNT_ID),
                    ("page_num", n),
                    ("page_size", size),
                ]),
                None,
                T0,
            ))
        };
        let all = page(&mut m, "1", "50");
        assert_eq!(all["page"]["total"], GOODS.len() as i64);
        assert_eq!(all["orders"].as_array().unwrap().len(), GOODS.len());
        let second = page(&mut m, "2", "3");
        assert_eq!(second["orders"].as_array().unwrap().len(), GOODS.len() - 3);
        let verified = all["orders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["order_id"] == order_id.as_str())
            .unwrap();
        assert!(
            verified["certificate"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["item_status"] == USED)
        );
    }

    /// operationId, query, body, expected code, field named first.
    type Case = (
        &'static str,
        Vec<(String, String)>,
        Option<Value>,
        i64,
        &'static str,
    );

    #[test]
    fn bad_input_is_an_error_naming_the_field() {
        let mut m = Verification::seeded(3);
        let cases: Vec<Case> = vec![
            (
                "certificate_prepare",
                vec![],
                None,
                MISSING,
                "encrypted_data",
            ),
            (
                "certificate_prepare",
                q(&[("code", "")]),
                None,
                INVALID,
                "code",
            ),
            (
                "certificate_prepare",
                q(&[("code", "x")]),
                None,
                REFUSED,
                "code",
            ),
            ("certificate_verify", vec![], None, MISSING, "body"),
            (
                "certificate_verify",
                vec![],
                Some(json!([1])),
                INVALID,
                "body",
            ),
            (
                "certificate_verify",
                vec![],
                Some(json!({})),
                MISSING,
                "verify_token",
            ),
            (
                "certificate_verify",
                vec![],
                Some(json!({"verify_token": 5})),
                INVALID,
                "verify_token",
            ),
            (
                "certificate_verify",
                vec![],
                Some(json!({"verify_token": "t"})),
                MISSING,
                "poi_id",
            ),
            (
                "certificate_verify",
                vec![],
                Some(json!({"verify_token": "t", "poi_id": "p"})),
                MISSING,
                "encrypted_codes",
            ),
            (
                "certificate_verify",
                vec![],
                Some(json!({"verify_token": "t", "poi_id": "p", "encrypted_codes": [1]})),
                INVALID,
                "encrypted_codes[0]",
            ),
            (
                "certificate_verify",
                vec![],
                Some(json!({"verify_token": "t", "poi_id": "p", "encrypted_codes": []})),
                INVALID,
                "encrypted_codes",
            ),
            (
                "certificate_cancel",
                vec![],
                Some(json!({"verify_id": "1"})),
                MISSING,
                "certificate_id",
            ),
            (
                "certificate_cancel",
                vec![],
                Some(json!({"certificate_id": "1"})),
                MISSING,
                "verify_id",
            ),
            (
                "certificate_cancel",
                vec![],
                Some(json!({"certificate_id": "1", "verify_id": "1"})),
                REFUSED,
                "certificate_id",
            ),
            ("certificate_get", vec![], None, MISSING, "encrypted_code"),
            ("certificate_query", vec![], None, MISSING, "encrypted_code"),
            ("trade_order_query", vec![], None, MISSING, "account_id"),
            (
                "trade_order_query",
                q(&[("account_id", "a")]),
                None,
                MISSING,
                "page_num",
            ),
            (
                "trade_order_query",
                q(&[("account_id", "a"), ("page_num", "x")]),
                None,
                INVALID,
                "page_num",
            ),
            (
                "trade_order_query",
                q(&[("account_id", "a"), ("page_num", "0")]),
                None,
                INVALID,
                "page_num",
            ),
            (
                "trade_order_query",
                q(&[
                    ("account_id", "a"),
                    ("page_num", "1"),
                    ("page_size", "99999999999999999999"),
                ]),
                None,
                INVALID,
                "page_size",
            ),
            (
                "trade_order_query",
                q(&[("account_id", "a"), ("page_num", "1"), ("page_size", "1")]),
                None,
                NOT_AUTHORIZED,
                "account_id",
            ),
        ];
        for (op, query, body, code, field) in cases {
            let (got, description) = err(m.handle(op, &query, body.as_ref(), T0));
            assert_eq!(got, code, "{op} {query:?} {body:?}: {description}");
            assert!(
                description.starts_with(field),
                "{op}: {description} should name {field}"
            );
        }
        assert!(m.handle("get_client_token", &[], None, T0).is_none());
        // Huge pages do not overflow.
        let far = ok(m.handle(
            "trade_order_query",
            &q(&[
                ("account_id", sample::ACCOUNT_ID),
                ("page_num", &i64::MAX.to_string()),
                ("page_size", &i64::MAX.to_string()),
            ]),
            None,
            T0,
        ));
        assert_eq!(far["orders"], json!([]));
    }

    #[test]
    fn old_tokens_are_forgotten() {
        let mut m = Verification::seeded(5);
        let code = m.scannable()[0].code.clone();
        let prepare = |m: &mut Verification| {
            ok(m.handle("certificate_prepare", &q(&[("code", &code)]), None, T0))["verify_token"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let first = prepare(&mut m);
        for _ in 0..MAX_TOKENS {
            prepare(&mut m);
        }
        assert_eq!(m.tokens.len(), MAX_TOKENS);
        assert!(!m.tokens.contains_key(&first));
    }

    #[test]
    fn the_same_seed_gives_the_same_state() {
        let a = Verification::seeded(42).scannable();
        assert_eq!(a, Verification::seeded(42).scannable());
        assert_ne!(a, Verification::seeded(43).scannable());
        assert!(a.iter().any(|s| s.vouchers > 1));
    }

    // ---- the answers against the spec ----

    fn spec() -> Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/goodlife.yaml");
        let text = std::fs::read_to_string(path).unwrap();
        serde_yaml::from_str(&text).unwrap()
    }

    fn operation<'a>(spec: &'a Value, id: &str) -> &'a Value {
        spec["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .find(|op| op["operationId"] == id)
            .unwrap()
    }

    fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
        match schema["$ref"].as_str() {
            Some(r) => {
                let name = r.trim_start_matches("#/components/schemas/");
                resolve(spec, &spec["components"]["schemas"][name])
            }
            None => schema,
        }
    }

    /// Every key of `value` is a property of `schema`, with the schema's
    /// type, recursively (what the generated types decode).
    fn conforms(spec: &Value, schema: &Value, value: &Value, at: &str) {
        let schema = resolve(spec, schema);
        let ty = schema["type"].as_str().unwrap_or("object");
        match (ty, value) {
            (_, Value::Null) => assert!(schema["nullable"] == true, "{at}: null"),
            ("object", Value::Object(map)) => {
                for (k, v) in map {
                    let p = &schema["properties"][k];
                    assert!(!p.is_null(), "{at}.{k}: not in the schema");
                    conforms(spec, p, v, &format!("{at}.{k}"));
                }
            }
            ("array", Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    conforms(spec, &schema["items"], item, &format!("{at}[{i}]"));
                }
            }
            ("integer", v) => assert!(v.is_i64(), "{at}: {v} is not an int64"),
            ("string", v) => assert!(v.is_string(), "{at}: {v} is not a string"),
            ("boolean", v) => assert!(v.is_boolean(), "{at}: {v} is not a boolean"),
            (t, v) => panic!("{at}: {v} is not a {t}"),
        }
    }

    /// Checks an answer's `data` against the operation's response schema, and
    /// its keys against the spec's example.
    fn check(spec: &Value, id: &str, data: &Value, same_keys_as_example: bool) {
        let media = &operation(spec, id)["responses"]["200"]["content"]["application/json"];
        let response = resolve(spec, &media["schema"]);
        conforms(spec, &response["properties"]["data"], data, id);
        if same_keys_as_example {
            let keys = |v: &Value| -> Vec<String> {
                let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
                k.sort();
                k
            };
            assert_eq!(
                keys(data),
                keys(&media["example"]["data"]),
                "{id}: data keys"
            );
        }
    }

    #[test]
    fn every_answer_has_the_spec_schema_shape() {
        let spec = spec();
        let (mut m, token, codes) = prepared();
        let scan = m.scannable()[0].clone();
        let prep = ok(m.handle("certificate_prepare", &q(&[("code", &scan.code)]), None, T0));
        check(&spec, "certificate_prepare", &prep, true);
        let item_keys = |v: &Value| {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        let example = &operation(&spec, "certificate_prepare")["responses"]["200"]["content"]["application/json"]
            ["example"]["data"]["certificates"][0];
        assert_eq!(item_keys(&prep["certificates"][0]), item_keys(example));

        let verified = verify(&mut m, &token, &codes, T0);
        check(&spec, "certificate_verify", &verified, true);
        let example = &operation(&spec, "certificate_verify")["responses"]["200"]["content"]["application/json"]
            ["example"]["data"]["verify_results"][0];
        assert_eq!(
            item_keys(&verified["verify_results"][0]),
            item_keys(example)
        );
        check(
            &spec,
            "certificate_verify",
            &verify(&mut m, &token, &codes, T0 + 1),
            true,
        );

        let used = get(&mut m, &codes[0], T0 + 2);
        check(&spec, "certificate_get", &used, true);
        let example = &operation(&spec, "certificate_get")["responses"]["200"]["content"]["application/json"]
            ["example"]["data"]["certificate"];
        assert_eq!(item_keys(&used["certificate"]), item_keys(example));
        check(
            &spec,
            "certificate_get",
            &get(
                &mut m,
                prep["certificates"][0]["encrypted_code"].as_str().unwrap(),
                T0,
            ),
            true,
        );

        let order_id = verified["verify_results"][0]["order_id"]
            .as_str()
            .unwrap()
            .to_string();
        let batch = ok(m.handle(
            "certificate_query",
            &q(&[("order_id", &order_id)]),
            None,
            T0 + 3,
        ));
        check(&spec, "certificate_query", &batch, true);

        let cancelled = ok(cancel(
            &mut m,
            &verified["verify_results"][0],
            Some("t"),
            T0 + 4,
        ));
        check(&spec, "certificate_cancel", &cancelled, true);

        let orders = ok(m.handle(
            "trade_order_query",
            &q(&[
                ("account_id", sample::ACCOUNT_ID),
                ("page_num", "1"),
                ("page_size", "2"),
            ]),
            None,
            T0,
        ));
        check(&spec, "trade_order_query", &orders, true);
        let example = &operation(&spec, "trade_order_query")["responses"]["200"]["content"]["application/json"]
            ["example"]["data"]["orders"][0];
        assert_eq!(item_keys(&orders["orders"][0]), item_keys(example));
    }
}
