//! # douyin-goodlife
//!
//! A typed Rust SDK for the Douyin Open Platform local-life ("goodlife",
//! 抖音生活服务/来客) HTTP APIs: reservation orders, food-ordering SPUs and a
//! user's vouchers.
//!
//! The wire is described by the hand-written OpenAPI spec `openapi/goodlife.yaml`;
//! `build.rs` generates the HTTP client and the [`types`] from it with
//! progenitor, and the [`ErrorCode`] enum from its error tables. This crate adds
//! what a generator cannot: the error codes Douyin returns inside HTTP 200 bodies
//! become [`Error::Api`] with a typed code, request validation before sending,
//! and `attr_value` decoding.
//!
//! ```no_run
//! # async fn run() -> Result<(), douyin_goodlife::Error> {
//! use douyin_goodlife::{Client, Error, ErrorCode, OrderQuery};
//!
//! let client = Client::builder().access_token("clt.xxx").build()?;
//! let query = OrderQuery::new("7136075595087087628", "7165843214867499039", 1732896000, 1732982400);
//! match client.query_reservation_orders(&query).await {
//!     Ok(page) => {
//!         for order in &page.order_list {
//!             println!("{:?} status {:?}", order.book_id, order.status);
//!         }
//!     }
//!     Err(Error::Api { code: ErrorCode::AccessTokenExpired, logid, .. }) => {
//!         eprintln!("token expired (logid {logid:?})");
//!     }
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod attr;
mod client;
mod clock;
mod code;
pub mod decode;
pub mod enums;
mod envelope;
mod error;
mod json_path;
mod lenient;
#[cfg(feature = "mock")]
pub mod mock;
mod operation;
pub mod pagination;
pub mod rate_limit;
#[cfg(feature = "redis")]
mod redis_store;
mod request;
mod response;
mod retry;
mod secret;
pub mod spec;
pub mod spi;
pub mod time;
mod tls;
mod token;
mod token_store;
pub mod validate;
pub mod webhook;

#[allow(clippy::all, missing_docs, unused, unreachable_pub, rustdoc::all)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/codegen.rs"));
}

#[allow(clippy::all, missing_docs, unreachable_pub)]
mod generated_ops {
    include!(concat!(env!("OUT_DIR"), "/operations.rs"));
}

pub use generated_ops::Operation;
/// The request types of the operations, one per `operationId`
/// (`CertificatePrepareRequest` for `certificate_prepare`, …), generated from
/// the spec: `new(required fields…)`, then `with_…` for the others.
pub mod requests {
    pub use crate::generated_ops::requests::*;
}
pub use operation::IntoRequest;
pub use pagination::JsonStream;

/// The types generated from the spec's schemas (`components/schemas`): request
/// bodies and every response structure. They derive `serde` traits and
/// `schemars::JsonSchema`.
pub mod types {
    pub use crate::generated::types::*;
}

pub use attr::AttrValueError;
pub use client::{
    Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, PRODUCTION_BASE_URL,
    SANDBOX_BASE_URL,
};
pub use client::{
    DEFAULT_DEADLINE, ENV_ACCESS_TOKEN, ENV_BASE_URL, ENV_CLIENT_KEY, ENV_CLIENT_SECRET,
};
#[cfg(feature = "test-util")]
pub use clock::ManualClock;
pub use clock::{Clock, SystemClock};
pub use code::{ERROR_TABLE, ErrorClass, ErrorCode, ErrorRow};
pub use enums::{
    BizType, GrouponType, LicenseType, MaritalStatus, OrderStatus, PageDimension, Sex,
    TimesCardType, VoucherType,
};
pub use error::{BODY_CAP, CodeSource, Error, TokenStoreError, TransportKind};
pub use pagination::{
    CertificateStream, ListStream, OrderStream, Page, PageStream, PaginationStop,
};
pub use rate_limit::{Admission, MemoryRateLimiter, OnFull, Quota, RateLimit, RateLimiter};
#[cfg(feature = "redis")]
pub use rate_limit::{DEFAULT_REDIS_RATE_PREFIX, RedisRateLimiter};
#[cfg(feature = "redis")]
pub use redis_store::{
    DEFAULT_REDIS_CONNECTION_TIMEOUT, DEFAULT_REDIS_PREFIX, DEFAULT_REDIS_RESPONSE_TIMEOUT,
    RedisTokenStore, RedisTokenStoreBuilder,
};
pub use request::{CertificateQuery, OrderQuery, SpuQuery, TimeRange};
pub use response::Response;
pub use retry::{RetryConfig, Sleeper, TokioSleeper};
pub use secret::Secret;
pub use time::UnixSeconds;
pub use token::{AccessToken, Credentials, RefreshPolicy};
pub use token_store::{MemoryTokenStore, StoreLock, TokenStore};

/// The README's Rust examples, compiled as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
