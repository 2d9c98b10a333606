//! The voucher verification flow against the sandbox: prepare → verify →
//! status → cancel, the verify page's success and retry rules on the wire,
//! the lost answer, and the one-hour cancel window.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use douyin_goodlife::mock::{Fault, MockServer, Operation};
use douyin_goodlife::requests::{CertificateGetRequest, CertificatePrepareRequest};
use douyin_goodlife::{Client, Error, ErrorCode, RetryConfig, Sleeper, types};
use futures::future::BoxFuture;
use serde_json::{Value, json};

const POI: &str = "7165843214867499039";

#[derive(Debug, Default)]
struct RecordingSleeper(Mutex<Vec<Duration>>);

impl Sleeper for RecordingSleeper {
    fn sleep(&self, delay: Duration) -> BoxFuture<'static, ()> {
        self.0.lock().unwrap().push(delay);
        Box::pin(async {})
    }
}

fn client(server: &MockServer, retry: RetryConfig) -> Client {
    Client::builder()
        .base_url(server.base_url())
        .access_token(server.issue_token())
        .retry(retry)
        .build()
        .unwrap()
}

fn no_wait() -> RetryConfig {
    RetryConfig::default().sleeper(Arc::new(RecordingSleeper::default()))
}

/// Prepares the first scannable code: (verify_token, encrypted codes).
async fn prepare(server: &MockServer, client: &Client) -> (String, Vec<String>) {
    prepare_code(client, server.scannable_codes().remove(0)).await
}

/// Prepares one scannable code: (verify_token, encrypted codes).
async fn prepare_code(
    client: &Client,
    code: douyin_goodlife::mock::ScannableCode,
) -> (String, Vec<String>) {
    let prepared = client
        .certificate_prepare(
            CertificatePrepareRequest::new().with_encrypted_data(code.encrypted_data),
        )
        .await
        .unwrap();
    let data = serde_json::to_value(prepared.data()).unwrap();
    let token = data["verify_token"].as_str().unwrap().to_string();
    let codes = data["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["encrypted_code"].as_str().unwrap().to_string())
        .collect();
    (token, codes)
}

fn verify_body(token: &str, codes: &[String]) -> types::CertificateVerifyRequest {
    serde_json::from_value(json!({"verify_token": token, "poi_id": POI, "encrypted_codes": codes}))
        .unwrap()
}

async fn status(client: &Client, encrypted_code: &str) -> Value {
    let got = client
        .certificate_get(CertificateGetRequest::new(encrypted_code))
        .await
        .unwrap();
    serde_json::to_value(got.data()).unwrap()
}

/// The cancel body of one verify result: its `certificate_id` and `verify_id`.
fn cancel_of(result: &Value) -> Value {
    json!({"certificate_id": result["certificate_id"], "verify_id": result["verify_id"]})
}

fn result_of(response: &douyin_goodlife::Response<types::CertificateVerifyData>) -> Value {
    serde_json::to_value(response.data()).unwrap()["verify_results"].clone()
}

#[tokio::test]
async fn prepare_verify_status_cancel_status() {
    let server = MockServer::start().await;
    let client = client(&server, no_wait());
    let (token, codes) = prepare(&server, &client).await;
    let before = status(&client, &codes[0]).await;

    let verified = client
        .certificate_verify(verify_body(&token, &codes))
        .await
        .unwrap();
    assert!(verified.already_done().is_empty());
    let results = result_of(&verified);
    assert_eq!(results.as_array().unwrap().len(), codes.len());
    assert!(results.as_array().unwrap().iter().all(|r| r["result"] == 0));
    let after = status(&client, &codes[0]).await;
    assert_ne!(before, after, "certificate_get must show the voucher used");

    let cancel: types::CertificateCancelRequest =
        serde_json::from_value(cancel_of(&results[0])).unwrap();
    client.certificate_cancel(cancel).await.unwrap();
    assert_eq!(
        status(&client, &codes[0]).await,
        before,
        "unused again after the cancel"
    );

    // What went on the wire: the token and codes exactly as prepare gave them.
    let sent = server.received();
    let verify = sent
        .iter()
        .find(|r| r.operation == Some(Operation::CertificateVerify))
        .unwrap();
    let body = verify.json().unwrap();
    assert_eq!(body["verify_token"], token.as_str());
    assert_eq!(body["encrypted_codes"], json!(codes));
    assert_eq!(verify.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn a_second_verify_with_the_same_token_is_an_item_error_and_not_retried() {
    let server = MockServer::start().await;
    let client = client(&server, no_wait());
    let (token, codes) = prepare(&server, &client).await;
    client
        .certificate_verify(verify_body(&token, &codes))
        .await
        .unwrap();
    let before = server.received_count(Operation::CertificateVerify);
    let err = client
        .certificate_verify(verify_body(&token, &codes))
        .await
        .unwrap_err();
    match &err {
        Error::ItemFailed {
            operation,
            index,
            result,
            message,
            logid,
            ..
        } => {
            assert_eq!(*operation, "certificate_verify");
            assert_eq!((*index, *result), (0, 1208));
            assert!(!message.is_empty());
            assert!(logid.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());
    assert_eq!(
        server.received_count(Operation::CertificateVerify),
        before + 1
    );
}

#[tokio::test]
async fn a_lost_answer_is_retried_with_the_same_token_and_reported_verified() {
    let server = MockServer::start().await;
    let client = client(&server, no_wait());
    let (token, codes) = prepare(&server, &client).await;
    // The sandbox verifies, then the answer is lost (connection reset).
    server
        .inject(Fault::LostAnswer)
        .on(Operation::CertificateVerify)
        .times(1);
    let verified = client
        .certificate_verify(verify_body(&token, &codes))
        .await
        .unwrap();
    // The retry's answer says 1208 (already verified) for every voucher: the
    // SDK reports the call verified, and says so.
    let results = result_of(&verified);
    assert!(
        results
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["result"] == 1208)
    );
    assert_eq!(
        verified.already_done(),
        (0..codes.len()).collect::<Vec<_>>()
    );
    let sent: Vec<_> = server
        .received()
        .into_iter()
        .filter(|r| r.operation == Some(Operation::CertificateVerify))
        .collect();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[0].body, sent[1].body,
        "the retry repeats the same body, verify_token included"
    );
}

#[tokio::test]
async fn a_busy_code_then_success_is_one_verified_call() {
    let server = MockServer::start().await;
    let client = client(&server, no_wait());
    let (token, codes) = prepare(&server, &client).await;
    server
        .inject(Fault::Code(2119003))
        .on(Operation::CertificateVerify)
        .times(1);
    let verified = client
        .certificate_verify(verify_body(&token, &codes))
        .await
        .unwrap();
    assert!(
        verified.already_done().is_empty(),
        "the first attempt did nothing"
    );
    assert_eq!(server.received_count(Operation::CertificateVerify), 2);
}

#[tokio::test]
async fn a_cancel_after_one_hour_fails_with_the_pages_code() {
    let server = MockServer::start().await;
    let client = client(&server, no_wait());
    let (token, codes) = prepare(&server, &client).await;
    let verified = client
        .certificate_verify(verify_body(&token, &codes))
        .await
        .unwrap();
    let cancel: types::CertificateCancelRequest =
        serde_json::from_value(cancel_of(&result_of(&verified)[0])).unwrap();
    server.clock().advance(Duration::from_secs(3601));
    // The token lives 2 hours: still valid. The cancel window (1 hour) is not.
    let err = client.certificate_cancel(cancel).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::CancelWindowExpired), "{err}");
}

#[tokio::test]
async fn a_cancel_is_repeated_after_a_5xx_only_with_its_cancel_token() {
    let server = MockServer::start().await;
    let client = client(&server, no_wait());
    let (token, codes) = prepare(&server, &client).await;
    let verified = client
        .certificate_verify(verify_body(&token, &codes))
        .await
        .unwrap();
    let plain = cancel_of(&result_of(&verified)[0]);
    server
        .inject(Fault::Status(503))
        .on(Operation::CertificateCancel)
        .times(1);
    let err = client
        .certificate_cancel(
            serde_json::from_value::<types::CertificateCancelRequest>(plain.clone()).unwrap(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Http {
                status: 503,
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );

    let mut keyed = plain;
    keyed["cancel_token"] = json!("till-7-cancel-1");
    server
        .inject(Fault::Status(503))
        .on(Operation::CertificateCancel)
        .times(1);
    client
        .certificate_cancel(
            serde_json::from_value::<types::CertificateCancelRequest>(keyed).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(server.received_count(Operation::CertificateCancel), 3);
}

#[tokio::test]
async fn the_verify_pages_retry_plan_is_a_documented_retry_config() {
    let server = MockServer::start().await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let plan = RetryConfig::documented(Operation::CertificateVerify)
        .unwrap()
        .sleeper(sleeper.clone());
    assert_eq!(plan.attempts(), 15);
    let client = Client::builder()
        .base_url(server.base_url())
        .access_token(server.issue_token())
        .retry(no_wait())
        .retry_for(Operation::CertificateVerify, plan)
        .deadline(Duration::from_secs(3600))
        .build()
        .unwrap();
    let (token, codes) = prepare(&server, &client).await;
    server
        .inject(Fault::Status(503))
        .on(Operation::CertificateVerify)
        .times(7);
    client
        .certificate_verify(verify_body(&token, &codes))
        .await
        .unwrap();
    let five = Duration::from_secs(5);
    let forty = Duration::from_secs(40);
    assert_eq!(
        *sleeper.0.lock().unwrap(),
        [five, five, five, five, five, forty, forty]
    );
}

#[tokio::test]
async fn verify_input_is_checked_before_sending() {
    let server = MockServer::start().await;
    let client = client(&server, no_wait());
    // prepare needs one of encrypted_data and code.
    let err = client
        .certificate_prepare(CertificatePrepareRequest::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidRequest {
                field: "encrypted_data",
                ..
            }
        ),
        "{err:?}"
    );
    let err = client
        .call_json(
            Operation::CertificateVerify,
            &serde_json::Map::new(),
            Some(json!({"poi_id": POI})),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidRequest {
                field: "verify_token",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn the_verify_history_streams_every_verification_by_the_last_records_cursor() {
    use douyin_goodlife::requests::CertificateVerifyRecordQueryRequest;
    use futures::TryStreamExt;

    let server = MockServer::start().await;
    let client = client(&server, no_wait());
    let mut verified = Vec::new();
    for code in server.scannable_codes().into_iter().take(2) {
        let (token, codes) = prepare_code(&client, code).await;
        let answer = client
            .certificate_verify(verify_body(&token, &codes))
            .await
            .unwrap();
        for r in result_of(&answer).as_array().unwrap() {
            verified.push(r["verify_id"].as_str().unwrap().to_string());
        }
    }
    assert!(verified.len() >= 2);

    // One record a page: the stream follows each page's last cursor.
    let request =
        CertificateVerifyRecordQueryRequest::new(douyin_goodlife::mock::sample::ACCOUNT_ID, "0", 1);
    let records: Vec<types::VerifyRecord> = client
        .certificate_verify_record_query_stream(request)
        .try_collect()
        .await
        .unwrap();
    let mut got: Vec<String> = records.iter().filter_map(|r| r.verify_id.clone()).collect();
    got.sort();
    verified.sort();
    assert_eq!(got, verified);

    // What went on the wire: "0", then the last record's cursor of each page,
    // and one more request that comes back empty.
    let sent: Vec<_> = server
        .received()
        .into_iter()
        .filter(|r| r.operation == Some(Operation::CertificateVerifyRecordQuery))
        .collect();
    assert_eq!(sent.len(), records.len() + 1);
    let param = |r: &douyin_goodlife::mock::ReceivedRequest, name: &str| {
        r.query_pairs()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    };
    assert_eq!(param(&sent[0], "cursor").as_deref(), Some("0"));
    for (request, record) in sent[1..].iter().zip(&records) {
        assert_eq!(param(request, "cursor"), record.cursor.clone());
        assert_eq!(param(request, "size").as_deref(), Some("1"));
    }
}
