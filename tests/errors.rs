//! Errors arrive in HTTP 200 bodies: every documented code in every envelope
//! position becomes `Error::Api` with the right variant and the logid; bodies
//! that are not the documented JSON become typed errors keeping the body.

mod common;

use common::{client, spec_example};
use douyin_goodlife::{
    BODY_CAP, CertificateQuery, Client, CodeSource, Error, ErrorCode, OrderQuery, SpuQuery,
};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Clone, Copy, Debug)]
enum Op {
    Orders,
    Spu,
    Certificates,
}

const OPS: [Op; 3] = [Op::Orders, Op::Spu, Op::Certificates];

async fn call(c: &Client, op: Op) -> Result<(), Error> {
    match op {
        Op::Orders => c
            .query_reservation_orders(&OrderQuery::new("a", "p", 1, 2))
            .await
            .map(drop),
        Op::Spu => c
            .get_food_order_spu(&SpuQuery::by_spu_id(1, 2))
            .await
            .map(drop),
        Op::Certificates => c
            .query_user_certificates(&CertificateQuery::new("a", "o"))
            .await
            .map(drop),
    }
}

async fn answer(server: &MockServer, template: ResponseTemplate) {
    server.reset().await;
    Mock::given(any())
        .respond_with(template)
        .mount(server)
        .await;
}

/// An error answer in the shape the API uses: the code in one position, the
/// others 0, a logid in `extra`.
fn error_body(op: Op, source: CodeSource, code: i64, logid: &str) -> Value {
    let in_pos = |p: CodeSource| if p == source { code } else { 0 };
    let mut body = json!({
        "extra": {
            "error_code": in_pos(CodeSource::Extra), "description": "server says no",
            "sub_error_code": 0, "sub_description": "", "logid": logid, "now": 1732947576
        },
        "data": {"error_code": in_pos(CodeSource::Data), "description": "server says no"}
    });
    if let Op::Spu = op {
        body["BaseResp"] =
            json!({"StatusCode": in_pos(CodeSource::BaseResp), "StatusMessage": "server says no"});
    }
    body
}

#[tokio::test]
async fn every_documented_code_in_every_position_is_a_typed_api_error() {
    let server = MockServer::start().await;
    let c = client(&server.uri());
    let mut checked = 0;
    for op in OPS {
        let positions: &[CodeSource] = match op {
            Op::Spu => &[CodeSource::Extra, CodeSource::Data, CodeSource::BaseResp],
            _ => &[CodeSource::Extra, CodeSource::Data],
        };
        for &pos in positions {
            for &expected in ErrorCode::DOCUMENTED {
                if expected.needs_new_token() || expected.is_retryable() {
                    // Retried or replayed by the client; covered in tests/tokens.rs
                    // and tests/retry.rs. Here: one answer, one typed error.
                    continue;
                }
                let logid = format!("LOG-{op:?}-{pos:?}-{}", expected.code());
                answer(
                    &server,
                    ResponseTemplate::new(200).set_body_json(error_body(
                        op,
                        pos,
                        expected.code(),
                        &logid,
                    )),
                )
                .await;
                let err = call(&c, op).await.unwrap_err();
                match &err {
                    Error::Api {
                        code,
                        logid: got,
                        source_field,
                        description,
                        ..
                    } => {
                        assert_eq!(*code, expected, "{op:?} {pos:?}");
                        assert_eq!(got.as_deref(), Some(logid.as_str()));
                        assert_eq!(*source_field, pos);
                        assert_eq!(description, "server says no");
                    }
                    other => panic!("{op:?} {pos:?} {expected:?}: {other:?}"),
                }
                assert_eq!(err.logid(), Some(logid.as_str()));
                checked += 1;
            }
        }
    }
    assert!(checked >= 7 * 10, "checked {checked} cases");
}

#[tokio::test]
async fn retryable_and_token_codes_are_typed_too() {
    // With a fixed token and retries off, these also end as `Error::Api`.
    let server = MockServer::start().await;
    let c = client(&server.uri());
    for &expected in ErrorCode::DOCUMENTED
        .iter()
        .filter(|c| c.is_retryable() || c.needs_new_token())
    {
        answer(
            &server,
            ResponseTemplate::new(200).set_body_json(error_body(
                Op::Orders,
                CodeSource::Extra,
                expected.code(),
                "L1",
            )),
        )
        .await;
        let err = call(&c, Op::Orders).await.unwrap_err();
        assert_eq!(err.code(), Some(expected), "{err}");
        assert_eq!(err.is_retryable(), expected.is_retryable());
        assert_eq!(err.needs_new_token(), expected.needs_new_token());
        assert_eq!(err.logid(), Some("L1"));
    }
}

#[tokio::test]
async fn undocumented_code_is_unknown_with_its_value() {
    let server = MockServer::start().await;
    answer(
        &server,
        ResponseTemplate::new(200).set_body_json(error_body(
            Op::Certificates,
            CodeSource::Data,
            987654,
            "L2",
        )),
    )
    .await;
    let err = call(&client(&server.uri()), Op::Certificates)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Unknown(987654)));
    assert_eq!(err.advice(), None);
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn extra_wins_over_data_and_base_resp() {
    let server = MockServer::start().await;
    let body = json!({
        "BaseResp": {"StatusCode": 2100005, "StatusMessage": "base"},
        "data": {"error_code": 2119001, "description": "data says"},
        "extra": {"error_code": 2119005, "description": "extra says", "sub_error_code": 77,
                   "sub_description": "sub", "logid": "L3"}
    });
    answer(&server, ResponseTemplate::new(200).set_body_json(body)).await;
    let err = call(&client(&server.uri()), Op::Spu).await.unwrap_err();
    let Error::Api {
        code,
        sub_code,
        description,
        sub_description,
        source_field,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*code, ErrorCode::MerchantNotAuthorized);
    assert_eq!(*source_field, CodeSource::Extra);
    assert_eq!(*sub_code, Some(77));
    assert_eq!(description, "extra says");
    assert_eq!(sub_description.as_deref(), Some("sub"));
    assert_eq!(
        err.advice(),
        Some("联系合作商家在商家后台发起授权,并在服务商后台同意授权")
    );
    let line = err.to_string();
    assert!(!line.contains('\n'));
    assert!(
        line.contains("2119005")
            && line.contains("MerchantNotAuthorized")
            && line.contains("[logid L3]"),
        "{line}"
    );
}

#[tokio::test]
async fn empty_description_falls_back_to_the_documented_message() {
    let server = MockServer::start().await;
    let body = json!({"extra": {"error_code": 2100005, "description": "", "logid": "L4"}});
    answer(&server, ResponseTemplate::new(200).set_body_json(body)).await;
    let err = call(&client(&server.uri()), Op::Orders).await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { description, .. } if description == "参数不合法"),
        "{err:?}"
    );
}

#[tokio::test]
async fn error_answer_without_the_success_shape_is_still_an_api_error() {
    // The certificates schema requires `data`; a gateway error carries only `extra`.
    let server = MockServer::start().await;
    let body =
        json!({"extra": {"error_code": 28001007, "description": "参数不合法", "logid": "L5"}});
    answer(&server, ResponseTemplate::new(200).set_body_json(body)).await;
    let err = call(&client(&server.uri()), Op::Certificates)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::GatewayInvalidParameter));
    assert_eq!(err.logid(), Some("L5"));
}

#[tokio::test]
async fn html_502_is_an_http_error_with_body_and_header_logid() {
    let server = MockServer::start().await;
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    answer(
        &server,
        ResponseTemplate::new(502)
            .insert_header("content-type", "text/html")
            .insert_header("x-tt-logid", "HDR-502")
            .set_body_string(html),
    )
    .await;
    for op in OPS {
        let err = call(&client(&server.uri()), op).await.unwrap_err();
        match &err {
            Error::Http {
                status,
                body,
                logid,
                ..
            } => {
                assert_eq!(*status, 502);
                assert_eq!(body, html);
                assert_eq!(logid.as_deref(), Some("HDR-502"));
            }
            other => panic!("{other:?}"),
        }
        assert!(err.is_retryable());
    }
}

async fn decode_error(template: ResponseTemplate, op: Op) -> Error {
    let server = MockServer::start().await;
    answer(&server, template).await;
    call(&client(&server.uri()), op).await.unwrap_err()
}

#[tokio::test]
async fn empty_body_is_a_decode_error() {
    let err = decode_error(
        ResponseTemplate::new(200).insert_header("x-tt-logid", "HDR-E"),
        Op::Orders,
    )
    .await;
    let Error::Decode {
        path,
        body,
        logid,
        message,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(path, ".");
    assert_eq!(body, "");
    assert_eq!(logid.as_deref(), Some("HDR-E"));
    assert!(message.contains("EOF"), "{message}");
}

#[tokio::test]
async fn truncated_json_is_a_decode_error_keeping_the_body() {
    let full = serde_json::to_string(&spec_example("query_reservation_orders")).unwrap();
    let cut = &full[..full.len() / 2];
    let err = decode_error(
        ResponseTemplate::new(200).set_body_raw(cut.as_bytes().to_vec(), "application/json"),
        Op::Orders,
    )
    .await;
    let Error::Decode { body, message, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(body, cut);
    assert!(message.contains("EOF"), "{message}");
}

#[tokio::test]
async fn a_string_where_an_int_belongs_names_the_path_and_keeps_the_logid() {
    // A numeric string is what the real API sometimes sends: it decodes.
    let mut body = spec_example("query_reservation_orders");
    body["data"]["order_list"][0]["status"] = json!("1");
    let server = MockServer::start().await;
    answer(
        &server,
        ResponseTemplate::new(200).set_body_json(body.clone()),
    )
    .await;
    let page = client(&server.uri())
        .query_reservation_orders(&douyin_goodlife::OrderQuery::new("a", "p", 1, 2))
        .await
        .unwrap();
    assert_eq!(page.order_list[0].status, Some(1));
    // Anything else is still a decode error naming the path.
    body["data"]["order_list"][0]["status"] = json!("1st");
    let err = decode_error(ResponseTemplate::new(200).set_body_json(body), Op::Orders).await;
    let Error::Decode {
        path, logid, body, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(path, "data.order_list[0].status");
    assert_eq!(logid.as_deref(), Some("202411301419360101980821035705926A"));
    assert!(body.contains("\"status\":\"1st\""));
    assert!(err.to_string().contains("data.order_list[0].status"));
}

#[tokio::test]
async fn an_id_beyond_i64_is_a_decode_error_naming_the_path() {
    let text = serde_json::to_string(&spec_example("get_food_order_spu_detail"))
        .unwrap()
        .replace("7391430754955397000", "18446744073709551616");
    let err = decode_error(
        ResponseTemplate::new(200).set_body_raw(text.into_bytes(), "application/json"),
        Op::Spu,
    )
    .await;
    let Error::Decode { path, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(path, "data.spu_online.spu.spu_id");
}

#[tokio::test]
async fn huge_bodies_are_capped() {
    let big = "x".repeat(BODY_CAP * 10);
    let err = decode_error(
        ResponseTemplate::new(200).set_body_string(big.clone()),
        Op::Certificates,
    )
    .await;
    let Error::Decode { body, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(body.len(), BODY_CAP);
    let err = decode_error(
        ResponseTemplate::new(500).set_body_string(big),
        Op::Certificates,
    )
    .await;
    let Error::Http { body, status, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 500);
    assert!(body.len() <= BODY_CAP);
}

#[tokio::test]
async fn success_without_data_is_a_decode_error() {
    let body = json!({"extra": {"error_code": 0, "logid": "L6"}});
    let err = decode_error(ResponseTemplate::new(200).set_body_json(body), Op::Orders).await;
    let Error::Decode { path, logid, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(path, "data");
    assert_eq!(logid.as_deref(), Some("L6"));
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    // A port that was free a moment ago and has no listener now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = call(&client(&format!("http://127.0.0.1:{port}")), Op::Orders)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_retryable());
}
