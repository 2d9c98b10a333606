//! Each page's response example (error codes set to 0) decodes through the
//! client into the typed value; the typed values are insta snapshots. The spec's
//! own (realistic) examples decode too.

mod common;

use common::{client, fixture, spec_example};
use douyin_goodlife::{CertificateQuery, OrderQuery, SpuQuery, types};
use serde_json::Value;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn serve(body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn orders_page_example_decodes() {
    let server = serve(fixture("orders_page_example.json")).await;
    let resp = client(&server.uri())
        .query_reservation_orders(&OrderQuery::new("a", "p", 1, 2))
        .await
        .unwrap();
    assert_eq!(resp.logid(), Some("202008121419360101980821035705926A"));
    assert_eq!(resp.server_time(), Some(3453668895248154000));
    let order = &resp.order_list[0];
    assert_eq!(order.book_id.as_deref(), Some("icXXQi48a7"));
    assert_eq!(order.products[0].sku_name(), Some("zrGHASznmQ"));
    assert_eq!(
        order.user_infos[0].marital_status,
        Some(9079189573743977000)
    );
    insta::assert_json_snapshot!("orders_page_example", resp.data());
}

#[tokio::test]
async fn spu_page_example_decodes() {
    let server = serve(fixture("spu_page_example.json")).await;
    let resp = client(&server.uri())
        .get_food_order_spu(&SpuQuery::by_out_spu_id(1, "zhizhiputao"))
        .await
        .unwrap();
    let spu = resp.spu_online.as_ref().unwrap().spu.as_ref().unwrap();
    assert_eq!(spu.sale_attr_groups.len(), 3);
    assert_eq!(
        spu.sale_attr_groups[0].item_list[2].item_name.as_deref(),
        Some("大杯")
    );
    assert_eq!(spu.category_id, Some(1015003));
    assert_eq!(resp.logid(), Some("20241130020735C1CE2328CF057BC10B56"));
    insta::assert_json_snapshot!("spu_page_example", resp.data());
}

#[tokio::test]
async fn certificates_page_example_decodes() {
    let server = serve(fixture("certificates_page_example.json")).await;
    let resp = client(&server.uri())
        .query_user_certificates(&CertificateQuery::new("a", "o"))
        .await
        .unwrap();
    let cert = &resp.orders[0].certificates[0];
    assert_eq!(cert.certificate_id.as_deref(), Some("11233"));
    let sku = cert.sku_info.as_ref().unwrap();
    assert_eq!(sku.title.as_deref(), Some("苹果15"));
    let rule = sku
        .voucher_info
        .as_ref()
        .unwrap()
        .dynamic_par_rule_struct
        .as_ref()
        .unwrap();
    assert_eq!(
        rule.dynamic_par_rule_item_list[0]
            .time_period
            .as_ref()
            .unwrap()
            .use_end_time
            .as_deref(),
        Some("12:00")
    );
    assert_eq!(
        cert.times_card_info
            .as_ref()
            .unwrap()
            .ladder_times_card_info[0]
            .seq,
        Some(1945548736997763600)
    );
    insta::assert_json_snapshot!("certificates_page_example", resp.data());
}

#[test]
fn spec_examples_decode_into_their_types() {
    let orders: types::QueryOrderResponse =
        serde_json::from_value(spec_example("query_reservation_orders")).unwrap();
    let info = &orders.data.as_ref().unwrap().order_list[0].industry_info_list[0];
    let v = info.attr_value_json().unwrap();
    assert_eq!(v["people"], 2);
    let _: types::SpuDetailResponse =
        serde_json::from_value(spec_example("get_food_order_spu_detail")).unwrap();
    let _: types::QueryUserCertificatesResponse =
        serde_json::from_value(spec_example("query_user_certificates")).unwrap();
    let t: types::ClientTokenResponse =
        serde_json::from_value(spec_example("get_client_token")).unwrap();
    assert_eq!(t.data.unwrap().expires_in, Some(7200));
}

#[test]
fn attr_value_errors_name_the_key_and_the_path() {
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Arrival {
        arrive_time: String,
        people: u32,
    }
    let item = |v: &str| types::IndustryInfo {
        attr_key: Some("arrival_info".into()),
        attr_value: Some(v.into()),
        ..Default::default()
    };
    let e = item(r#"{"arrive_time":"14:00","people":-1}"#)
        .decode_attr_value::<Arrival>()
        .unwrap_err();
    assert_eq!((e.attr_key(), e.path()), ("arrival_info", "people"));
    let e = item("not json").decode_attr_value::<Arrival>().unwrap_err();
    assert_eq!(e.path(), ".");
    let e = item(r#"{"arrive_time":"14:00","people":2} trailing"#)
        .decode_attr_value::<Arrival>()
        .unwrap_err();
    assert!(e.message().contains("trailing"), "{e}");
    let e = types::IndustryInfo {
        attr_key: Some("k".into()),
        attr_value: None,
        ..Default::default()
    }
    .attr_value_json()
    .unwrap_err();
    assert!(e.to_string().contains("absent"));
    // Into the SDK's one error type.
    let err: douyin_goodlife::Error = e.into();
    assert!(matches!(err, douyin_goodlife::Error::AttrValue(_)));
}

#[cfg(feature = "schemars")]
#[test]
fn json_schema_of_a_response_type_is_exportable() {
    let schema = schemars::schema_for!(types::QueryOrderResponse);
    let json = serde_json::to_value(&schema).unwrap();
    assert!(
        json["definitions"]["ReservationOrder"]["properties"]["industry_info_list"].is_object(),
        "{json}"
    );
}

#[tokio::test]
async fn a_json_call_hands_back_the_repaired_data_with_fields_the_spec_does_not_name() {
    let mut body = spec_example("query_reservation_orders");
    body["data"]["order_list"][0]["status"] = serde_json::json!("1");
    body["data"]["order_list"][0]["field_added_later"] = serde_json::json!({"x": [1]});
    let server = serve(body.clone()).await;
    let op = douyin_goodlife::Operation::QueryReservationOrders;
    let example = op.spec().body_example.unwrap();
    let answer = client(&server.uri())
        .call_json(
            op,
            &serde_json::Map::new(),
            Some(serde_json::from_str(example).unwrap()),
        )
        .await
        .unwrap();
    let order = &answer.data()["order_list"][0];
    // Repaired as the typed call repairs it, and nothing dropped.
    assert_eq!(order["status"], 1);
    assert_eq!(order["field_added_later"]["x"][0], 1);
    assert_eq!(answer.logid(), Some("202411301419360101980821035705926A"));
    // The same decoder without a network.
    let bytes = serde_json::to_vec(&body).unwrap();
    let decoded =
        douyin_goodlife::decode::answer(douyin_goodlife::Operation::QueryReservationOrders, &bytes)
            .unwrap();
    assert_eq!(decoded.data(), answer.data());
    // Still decoded as the documented type: a value it cannot be is an error.
    body["data"]["order_list"][0]["status"] = serde_json::json!("first");
    let bytes = serde_json::to_vec(&body).unwrap();
    let err =
        douyin_goodlife::decode::answer(douyin_goodlife::Operation::QueryReservationOrders, &bytes)
            .unwrap_err();
    assert!(
        matches!(&err, douyin_goodlife::Error::Decode { path, .. } if path == "data.order_list[0].status"),
        "{err:?}"
    );
}
