//! `goodlife demo`: a tour of the SDK against the in-process sandbox, with no
//! account and no network. Every step goes through the public API over HTTP on
//! 127.0.0.1; the summary goes to stdout.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use douyin_goodlife::mock::{Fault, MockServer, Operation, sample};
use douyin_goodlife::{CertificateQuery, Client, Error, OrderQuery, RetryConfig, SpuQuery};
use futures::TryStreamExt;

use super::{EXIT_OK, EXIT_TRANSPORT, report};

/// What the sample orders carry in `industry_info_list` under `arrival_info`.
#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)] // read through Debug
struct Arrival {
    arrive_time: String,
    people: u32,
}

pub async fn run() -> u8 {
    let server = match MockServer::builder().start().await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot start the sandbox on 127.0.0.1: {e}");
            return EXIT_TRANSPORT;
        }
    };
    match tour(&server).await {
        Ok(()) => EXIT_OK,
        Err(e) => report(&e),
    }
}

fn ms(d: Duration) -> String {
    format!("{:>7.1} ms", d.as_secs_f64() * 1000.0)
}

fn step(n: u32, name: &str, took: Duration, line: &str) {
    println!("{n}. {name:<11} {}  {line}", ms(took));
}

fn detail(line: &str) {
    println!("   {:<11} {:>10}  {line}", "", "");
}

async fn tour(server: &MockServer) -> Result<(), Error> {
    let started = Instant::now();
    let data = server.dataset();
    println!("goodlife demo: the SDK against the embedded sandbox (no account, no network)");
    println!(
        "sandbox {} with seed {}: {} merchants, {} POIs, {} reservation orders, {} vouchers",
        server.base_url(),
        data.seed,
        data.merchants.len(),
        data.merchants.iter().map(|m| m.pois.len()).sum::<usize>(),
        data.order_count(),
        data.certificate_count()
    );
    println!();

    // Retries with short delays so that the tour stays quick.
    let client = Client::builder()
        .base_url(server.base_url())
        .credentials(sample::CLIENT_KEY, sample::CLIENT_SECRET)
        .retry(
            RetryConfig::default()
                .min_delay(Duration::from_millis(5))
                .max_delay(Duration::from_millis(20))
                .too_frequent_delay(Duration::from_millis(20)),
        )
        .build()?;

    // 1. A client token from /oauth/client_token/.
    let t = Instant::now();
    let token = client.access_token().await?;
    let lifetime = token.lifetime().map_or(0, |l| l.as_secs());
    step(
        1,
        "token",
        t.elapsed(),
        &format!(
            "client token fetched with the sandbox's client_key ({} characters, valid {lifetime} s; not printed)",
            token.expose_secret().len()
        ),
    );

    // 2. Every order of a day, through a stream, one page in memory at a time.
    let t = Instant::now();
    let query = OrderQuery::new(
        sample::ACCOUNT_ID,
        sample::POI_ID,
        sample::DAY_START,
        sample::DAY_END,
    );
    let before = server.received_count(Operation::QueryReservationOrders);
    let mut orders = client.orders_stream(query.clone());
    let (mut count, mut people, mut fen) = (0u64, 0i64, 0i64);
    let mut by_status: BTreeMap<i64, u64> = BTreeMap::new();
    let mut first = None;
    while let Some(order) = orders.try_next().await? {
        count += 1;
        people += order
            .booking_info
            .as_ref()
            .and_then(|b| b.count)
            .unwrap_or(0);
        fen += order
            .products
            .iter()
            .filter_map(|p| p.original_amount.as_deref()?.parse::<i64>().ok())
            .sum::<i64>();
        if let Some(s) = order.typed_status() {
            *by_status.entry(s.code()).or_default() += 1;
        }
        if first.is_none() {
            first = Some(order);
        }
    }
    let pages = server.received_count(Operation::QueryReservationOrders) - before;
    step(
        2,
        "orders",
        t.elapsed(),
        &format!(
            "{count} orders of 2024-11-30 at POI {} in {pages} pages of 50 (orders_stream)",
            sample::POI_ID
        ),
    );
    let statuses: Vec<String> = by_status.iter().map(|(s, n)| format!("{s}: {n}")).collect();
    detail(&format!(
        "{people} guests, ¥{:.2} booked; by status {}",
        fen as f64 / 100.0,
        statuses.join(", ")
    ));

    // 3. attr_value: a JSON document inside a string, decoded into a struct.
    let t = Instant::now();
    if let Some(order) = &first {
        let product = order
            .products
            .first()
            .and_then(|p| p.sku_name())
            .unwrap_or("?");
        match order.industry_info("arrival_info") {
            Some(info) => {
                let arrival: Arrival = info.decode_attr_value()?;
                step(
                    3,
                    "attr_value",
                    t.elapsed(),
                    &format!(
                        "order {} ({product}): arrival_info {:?} -> {arrival:?}",
                        order.book_id.as_deref().unwrap_or("?"),
                        info.attr_value.as_deref().unwrap_or_default()
                    ),
                );
            }
            None => step(
                3,
                "attr_value",
                t.elapsed(),
                "the first order has no arrival_info",
            ),
        }
    }

    // 4. A food-ordering SPU with its sale attribute groups.
    let t = Instant::now();
    let spu = client
        .get_food_order_spu(&SpuQuery::by_out_spu_id(
            sample::ROOT_ACCOUNT_ID,
            sample::OUT_SPU_ID,
        ))
        .await?;
    let item = spu.spu_online.as_ref().and_then(|o| o.spu.as_ref());
    let name = item.and_then(|s| s.spu_name.as_deref()).unwrap_or("?");
    let id = item.and_then(|s| s.spu_id).unwrap_or_default();
    step(
        4,
        "spu",
        t.elapsed(),
        &format!("{name} (spu_id {id}, out_spu_id {})", sample::OUT_SPU_ID),
    );
    for group in item
        .map(|s| s.sale_attr_groups.as_slice())
        .unwrap_or_default()
    {
        let names: Vec<&str> = group
            .item_list
            .iter()
            .filter_map(|i| i.item_name.as_deref())
            .collect();
        detail(&format!(
            "{}: {}",
            group.group_name.as_deref().unwrap_or("?"),
            names.join(" / ")
        ));
    }

    // 5. A user's vouchers, every page.
    let t = Instant::now();
    let voucher_orders: Vec<_> = client
        .certificates_stream(CertificateQuery::new(sample::ACCOUNT_ID, sample::OPEN_ID))
        .try_collect()
        .await?;
    let certs: Vec<_> = voucher_orders
        .iter()
        .flat_map(|o| &o.certificates)
        .collect();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &certs {
        let info = c.sku_info.as_ref();
        let kind = if c
            .times_card_info
            .as_ref()
            .is_some_and(|t| t.total_times.unwrap_or(0) > 1)
        {
            "times cards"
        } else if info
            .and_then(|i| i.voucher_info.as_ref())
            .is_some_and(|v| v.voucher_type.unwrap_or(0) > 0)
        {
            "cash vouchers"
        } else {
            "set meals"
        };
        *kinds.entry(kind).or_default() += 1;
    }
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    step(
        5,
        "vouchers",
        t.elapsed(),
        &format!(
            "{} vouchers in {} orders of user {}: {}",
            certs.len(),
            voucher_orders.len(),
            sample::OPEN_ID,
            kinds.join(", ")
        ),
    );

    // 6. A retryable fault, retried by the SDK.
    let t = Instant::now();
    server
        .inject(Fault::Code(2119003))
        .on(Operation::QueryReservationOrders)
        .times(2);
    let before = server.received_count(Operation::QueryReservationOrders);
    client.query_reservation_orders(&query).await?;
    let attempts = server.received_count(Operation::QueryReservationOrders) - before;
    step(
        6,
        "retry",
        t.elapsed(),
        &format!("2119003 (请求太过频繁) injected twice: answered on attempt {attempts}"),
    );

    // 7. Token expiry on the sandbox's clock: 2190008, refresh, replay.
    let t = Instant::now();
    let fetches = server.received_count(Operation::GetClientToken);
    server.clock().advance(Duration::from_secs(7200));
    client.query_reservation_orders(&query).await?;
    step(
        7,
        "expiry",
        t.elapsed(),
        &format!(
            "sandbox clock +2 h: 2190008, token refreshed ({} fetch), call replayed",
            server.received_count(Operation::GetClientToken) - fetches
        ),
    );

    // 8. A typed error with its documented advice.
    let t = Instant::now();
    let unknown = OrderQuery::new(
        "1234567890",
        sample::POI_ID,
        sample::DAY_START,
        sample::DAY_END,
    );
    match client.query_reservation_orders(&unknown).await {
        Err(e @ Error::Api { .. }) => {
            let code = e
                .code()
                .map(|c| format!("{} {}", c.code(), c.name()))
                .unwrap_or_default();
            step(
                8,
                "error",
                t.elapsed(),
                &format!("unknown account -> Error::Api {code}"),
            );
            if let Error::Api { description, .. } = &e {
                detail(&format!("description: {description}"));
            }
            detail(&format!("logid:       {}", e.logid().unwrap_or("-")));
            detail(&format!("advice:      {}", e.advice().unwrap_or("-")));
        }
        Err(e) => return Err(e),
        Ok(_) => step(8, "error", t.elapsed(), "unexpectedly answered"),
    }

    verification(server, &client).await?;

    println!();
    println!(
        "done in {:.1} ms: {} requests to the sandbox. Point your own code at it with `goodlife mock`.",
        started.elapsed().as_secs_f64() * 1000.0,
        server.received().len()
    );
    Ok(())
}

/// 9–11. The till's flow: scan → prepare → verify (its answer lost once, the
/// retry with the same verify_token reports the voucher verified) → status →
/// cancel.
async fn verification(server: &MockServer, client: &Client) -> Result<(), Error> {
    use douyin_goodlife::requests::{CertificateGetRequest, CertificatePrepareRequest};
    use douyin_goodlife::types;

    let Some(code) = server.scannable_codes().into_iter().next() else {
        return Ok(());
    };
    let t = Instant::now();
    let prepared = client
        .certificate_prepare(
            CertificatePrepareRequest::new().with_encrypted_data(&code.encrypted_data),
        )
        .await?;
    let p = serde_json::to_value(prepared.data()).unwrap_or_default();
    let codes: Vec<serde_json::Value> = p["certificates"]
        .as_array()
        .map(|c| c.iter().map(|c| c["encrypted_code"].clone()).collect())
        .unwrap_or_default();
    step(
        9,
        "prepare",
        t.elapsed(),
        &format!(
            "scanned {:?}: {} voucher(s), verify_token {}",
            code.title,
            codes.len(),
            p["verify_token"].as_str().unwrap_or("-")
        ),
    );

    let t = Instant::now();
    server
        .inject(Fault::LostAnswer)
        .on(Operation::CertificateVerify)
        .times(1);
    let body: types::CertificateVerifyRequest = serde_json::from_value(serde_json::json!({
        "verify_token": p["verify_token"],
        "poi_id": sample::POI_ID,
        "encrypted_codes": codes,
    }))
    .map_err(|e| Error::Config(format!("demo: {e}")))?;
    let verified = client.certificate_verify(body).await?;
    step(
        10,
        "verify",
        t.elapsed(),
        &format!(
            "answer lost once; the retry (same verify_token) said 1208: verified, already_done {:?}",
            verified.already_done()
        ),
    );

    let t = Instant::now();
    let r = serde_json::to_value(verified.data()).unwrap_or_default()["verify_results"][0].clone();
    let first = codes.first().and_then(|c| c.as_str()).unwrap_or_default();
    let status = |v: serde_json::Value| v["certificate"]["status"].clone();
    let used = client
        .certificate_get(CertificateGetRequest::new(first))
        .await?;
    let used = status(serde_json::to_value(used.data()).unwrap_or_default());
    let cancel: types::CertificateCancelRequest = serde_json::from_value(serde_json::json!({
        "certificate_id": r["certificate_id"],
        "verify_id": r["verify_id"],
    }))
    .map_err(|e| Error::Config(format!("demo: {e}")))?;
    client.certificate_cancel(cancel).await?;
    let again = client
        .certificate_get(CertificateGetRequest::new(first))
        .await?;
    let again = status(serde_json::to_value(again.data()).unwrap_or_default());
    step(
        11,
        "cancel",
        t.elapsed(),
        &format!(
            "certificate_get status {used} after verify, {again} after cancel (within the hour)"
        ),
    );
    Ok(())
}
