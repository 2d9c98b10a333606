//! Quickstart against a local server: fetches one typed page of reservation
//! orders, decodes an `attr_value`, and shows a typed error with its advice.
//!
//! Run with `cargo run --example quickstart` (no account, no network).

use douyin_goodlife::{Client, Error, OrderQuery};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A stand-in for open.douyin.com on 127.0.0.1.
    let server = MockServer::start().await;
    let spec: serde_json::Value = serde_yaml::from_str(include_str!("../openapi/goodlife.yaml"))?;
    let example =
        spec["paths"]["/goodlife/v1/comprehensive/trade/query/order/"]["post"]["responses"]["200"]
            ["content"]["application/json"]["example"]
            .clone();
    Mock::given(method("POST"))
        .and(path("/goodlife/v1/comprehensive/trade/query/order/"))
        .and(header("access-token", "clt.demo"))
        .respond_with(ResponseTemplate::new(200).set_body_json(example))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "BaseResp": {"StatusCode": 0},
            "extra": {"error_code": 2119005, "description": "应用未获商家授权", "logid": "20241130LOGID"}
        })))
        .mount(&server)
        .await;

    let client = Client::builder()
        .base_url(server.uri())
        .access_token("clt.demo")
        .build()?;
    let query = OrderQuery::new(
        "7136075595087087628",
        "7165843214867499039",
        1732896000,
        1732982400,
    );
    let page = client.query_reservation_orders(&query).await?;
    println!("total {:?}, logid {:?}", page.total, page.logid());
    for order in &page.order_list {
        let product = order
            .products
            .first()
            .and_then(|p| p.sku_name())
            .unwrap_or("?");
        println!(
            "  order {:?} status {:?} product {product}",
            order.book_id, order.status
        );
        if let Some(info) = order.industry_info("arrival_info") {
            println!("  arrival_info = {}", info.attr_value_json()?);
        }
    }

    let spu = douyin_goodlife::SpuQuery::by_out_spu_id(7267130009242847000, "zhizhiputao");
    match client.get_food_order_spu(&spu).await {
        Err(e @ Error::Api { .. }) => {
            println!("typed error: {e}\n  advice: {}", e.advice().unwrap_or("-"))
        }
        other => println!("unexpected: {other:?}"),
    }
    Ok(())
}
