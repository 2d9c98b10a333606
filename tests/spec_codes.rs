//! The generated `ErrorCode` and `ERROR_TABLE` agree exactly with the spec's
//! `x-error-codes` (every row of every operation, in order) and with the
//! classification the issue documents.

mod common;

use std::collections::BTreeSet;

use douyin_goodlife::{ERROR_TABLE, ErrorClass, ErrorCode};

#[test]
fn error_table_is_every_spec_row_in_order() {
    let spec = common::spec();
    let mut rows = Vec::new();
    for (_, item) in spec["paths"].as_object().unwrap() {
        for (_, op) in item.as_object().unwrap() {
            for r in op["x-error-codes"].as_array().unwrap() {
                rows.push((
                    op["operationId"].as_str().unwrap().to_string(),
                    r["code"].as_i64().unwrap(),
                    r["message"].as_str().unwrap().to_string(),
                    r["advice"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    let generated: Vec<_> = ERROR_TABLE
        .iter()
        .map(|r| {
            (
                r.operation.to_string(),
                r.code,
                r.message.to_string(),
                r.advice.to_string(),
            )
        })
        .collect();
    assert_eq!(generated, rows);
    // The pages' tables: 26 + 6 + 28 rows, 4 for client_token; the
    // verification pages are cut before theirs (common codes plus the codes
    // the sandbox answers, and 2191000 from a real answer on prepare and
    // verify): 17 prepare, 19 verify, 17 cancel, 16 get, 16 query, 17 order
    // query; the verification history, which has no page, 16.
    assert_eq!(
        rows.len(),
        26 + 6 + 28 + 4 + 17 + 19 + 17 + 16 + 16 + 17 + 16
    );
}

#[test]
fn one_variant_per_distinct_code_with_first_message_and_advice() {
    let distinct: BTreeSet<i64> = ERROR_TABLE.iter().map(|r| r.code).collect();
    let variants: BTreeSet<i64> = ErrorCode::DOCUMENTED.iter().map(|c| c.code()).collect();
    assert_eq!(variants, distinct);
    for &code in ErrorCode::DOCUMENTED {
        assert_eq!(ErrorCode::from_code(code.code()), code);
        assert_ne!(code.name(), "Unknown");
        let rows: Vec<_> = ERROR_TABLE
            .iter()
            .filter(|r| r.code == code.code())
            .collect();
        let first_msg = rows.iter().map(|r| r.message).find(|m| !m.is_empty());
        let first_adv = rows.iter().map(|r| r.advice).find(|a| !a.is_empty());
        assert_eq!(code.message(), first_msg, "{code}");
        assert_eq!(code.advice(), first_adv, "{code}");
        let mut ops: Vec<&str> = rows.iter().map(|r| r.operation).collect();
        ops.dedup();
        let mut expected = code.operations().to_vec();
        expected.dedup();
        assert_eq!(
            BTreeSet::from_iter(ops),
            BTreeSet::from_iter(expected),
            "{code}"
        );
    }
    // A code listed twice with two texts keeps both rows.
    let rows_5000001: Vec<_> = ERROR_TABLE
        .iter()
        .filter(|r| r.code == 5000001 && r.operation == "query_reservation_orders")
        .map(|r| r.message)
        .collect();
    assert_eq!(
        rows_5000001,
        ["根据实际业务错误返回", "服务器打瞌睡了,请稍后再试。"]
    );
}

#[test]
fn classification_matches_the_documented_lists() {
    let retryable: BTreeSet<i64> = ErrorCode::DOCUMENTED
        .iter()
        .filter(|c| c.is_retryable())
        .map(|c| c.code())
        .collect();
    assert_eq!(
        retryable,
        BTreeSet::from([
            13000, 2100001, 2100004, 2119002, 2119003, 28001005, 28001006, 5000001
        ])
    );
    let token: BTreeSet<i64> = ErrorCode::DOCUMENTED
        .iter()
        .filter(|c| c.needs_new_token())
        .map(|c| c.code())
        .collect();
    assert_eq!(
        token,
        BTreeSet::from([2190002, 2190008, 28001003, 28001008])
    );
    assert_eq!(ErrorCode::from_code(10013).class(), ErrorClass::Credentials);
    assert_eq!(ErrorCode::from_code(10020).class(), ErrorClass::RateLimited);
    assert_eq!(ErrorCode::from_code(1).class(), ErrorClass::Unknown);
    assert!(!ErrorCode::Unknown(1).is_retryable());
}
