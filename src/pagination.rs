//! Streams over the paged listings: every reservation order of a booking window
//! ([`Client::orders_stream`]) and every voucher order of a user
//! ([`Client::certificates_stream`]).
//!
//! A stream is a [`futures::Stream`] of `Result<item, Error>` (so
//! `TryStreamExt::try_collect`, `try_for_each`, `try_fold` work on it), with
//! [`ListStream::pages`] for page-at-a-time use. In the spirit of async-stripe's
//! list streams it is a `futures::stream::unfold` state machine, with these
//! properties:
//!
//! - **Lazy**: nothing is sent until the stream is polled; a page is requested
//!   when the items of the previous one are used up.
//! - **One request in flight** unless [`ListStream::buffered`]`(n)` asks for
//!   prefetch: then up to `n − 1` following pages are fetched ahead (in tokio
//!   tasks, aborted when the stream is dropped or ends).
//! - **Bounded memory**: the stream holds the page being yielded plus, with
//!   `buffered(n)`, at most `n − 1` pages fetched ahead: never the listing.
//! - **Per-page calls** go through [`Client::query_reservation_orders`] /
//!   [`Client::query_user_certificates`], so validation, retries and token
//!   refresh apply to each page.
//! - **Errors end the stream** after being yielded; the items yielded before stay
//!   valid, and [`ListStream::resume_page`] tells the page to restart from.
//!
//! # How a stream ends
//!
//! Pages are numbered from the query's page (default 1); the stream counts the
//! items it received against the `total` of the first page (pages before the
//! start page are counted as full).
//!
//! - **Normal end**: the count reaches `total`, or a page is empty and `total` is
//!   already reached (e.g. `total` 0). Without a `total` in the answer, the first
//!   page shorter than `page_size` (or empty) ends the stream.
//! - **Guards** against a misbehaving server each end the stream with
//!   [`Error::Pagination`] carrying a [`PaginationStop`]; the offending page's
//!   items are not yielded:
//!   - a page with the same items as the page before it: [`PaginationStop::RepeatedPage`];
//!   - an empty page before `total` is reached: [`PaginationStop::EmptyPage`];
//!   - a `total` different from the first page's: [`PaginationStop::TotalChanged`];
//!   - a page bringing the count beyond `total`: [`PaginationStop::MoreItemsThanTotal`];
//!   - all `ceil(total / page_size)` pages received but fewer than `total`
//!     items: reaching `total` would take more pages than `total` implies, so the
//!     stream stops without another request: [`PaginationStop::MorePagesThanTotal`];
//!   - a negative `total`: [`PaginationStop::InvalidTotal`];
//!   - without `total`, [`MAX_PAGES_WITHOUT_TOTAL`] full pages: [`PaginationStop::PageLimit`].
//!
//!   So a stream sends at most `ceil(total / page_size)` requests (plus nothing
//!   after an error): never an endless loop.
//!
//! # Vouchers: what an item is and how `total` counts
//!
//! The voucher query answers orders, each with its vouchers, and pages by voucher
//! (`page_dimension` 1, the default) or by order (2). The items of
//! [`Client::certificates_stream`] are the [`types::CertificateOrder`]s as
//! answered; `total` and `page_size` count **vouchers** (the sum of
//! `certificates` over the page's orders) under dimension 1 and **orders** under
//! dimension 2 ([`Page::count`]). Under dimension 1 an order whose vouchers span
//! two pages comes as two consecutive items with the same `order_id`, each with
//! its share of the vouchers; the stream does not merge them.
//!
//! ```no_run
//! # async fn run() -> Result<(), douyin_goodlife::Error> {
//! use douyin_goodlife::{Client, OrderQuery};
//! use futures::TryStreamExt;
//!
//! let client = Client::builder().access_token("clt.xxx").build()?;
//! let query = OrderQuery::new("7136075595087087628", "7165843214867499039", 1732896000, 1732982400);
//! let mut orders = client.orders_stream(query);
//! while let Some(order) = orders.try_next().await? {
//!     println!("{:?} status {:?}", order.book_id, order.typed_status());
//! }
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::stream::{BoxStream, FusedStream, Stream, StreamExt};

use crate::client::Client;
use crate::enums::PageDimension;
use crate::envelope::Envelope;
use crate::error::Error;
use crate::operation::{OperationRequest, RawRequest};
use crate::request::{CertificateQuery, OrderQuery};
use crate::response::Response;
use crate::spec::{OperationSpec, PaginationSpec};
use crate::types;
use crate::validate;
use crate::validate::limits;

/// Without a `total` in the answers, a stream stops with
/// [`PaginationStop::PageLimit`] after this many full pages.
pub const MAX_PAGES_WITHOUT_TOTAL: u32 = 10_000;

/// Why a paged stream stopped early: the `reason` of [`Error::Pagination`].
///
/// "Count" is the number of items received, as [`Page::count`] counts them,
/// starting from `(start page − 1) × page_size`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PaginationStop {
    /// The page holds the same items, in the same order, as the page before it.
    RepeatedPage,
    /// The page is empty although only `seen` of `total` items arrived.
    EmptyPage {
        /// Items counted so far.
        seen: u64,
        /// `total` of the first page.
        total: u64,
    },
    /// The page's `total` differs from the first page's.
    TotalChanged {
        /// `total` of the first page.
        first: u64,
        /// `total` of this page.
        now: u64,
    },
    /// The page would bring the count to `seen`, beyond `total`.
    MoreItemsThanTotal {
        /// Count including this page.
        seen: u64,
        /// `total` of the first page.
        total: u64,
    },
    /// The `pages` pages that `total` implies at the query's `page_size` all
    /// arrived, with only `seen` of `total` items: the next page would be more
    /// than `total` implies, so it is not requested.
    MorePagesThanTotal {
        /// `ceil(total / page_size)`, the last page `total` implies.
        pages: u32,
        /// Items counted so far.
        seen: u64,
        /// `total` of the first page.
        total: u64,
    },
    /// A cursor-paged answer handed back a cursor it had handed back before.
    RepeatedCursor,
    /// The answer's `total` is negative.
    InvalidTotal {
        /// The `total` received.
        total: i64,
    },
    /// The answers carry no `total` and `limit` full pages arrived
    /// ([`MAX_PAGES_WITHOUT_TOTAL`]).
    PageLimit {
        /// The limit reached.
        limit: u32,
    },
}

impl std::fmt::Display for PaginationStop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::RepeatedPage => write!(f, "the page repeats the previous page"),
            Self::EmptyPage { seen, total } => {
                write!(f, "empty page after {seen} of {total} items")
            }
            Self::TotalChanged { first, now } => {
                write!(f, "total changed from {first} to {now} mid-way")
            }
            Self::MoreItemsThanTotal { seen, total } => {
                write!(f, "{seen} items received, more than the total of {total}")
            }
            Self::MorePagesThanTotal { pages, seen, total } => write!(
                f,
                "only {seen} of {total} items in the {pages} pages the total implies"
            ),
            Self::InvalidTotal { total } => write!(f, "negative total {total}"),
            Self::RepeatedCursor => f.write_str("the server repeated a cursor"),
            Self::PageLimit { limit } => write!(f, "{limit} full pages without a total"),
        }
    }
}

/// One page of a listing, as [`ListStream::pages`] yields it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The page number (`page_num` / `page`), from 1.
    pub page: u32,
    /// The items, in the server's order.
    pub items: Vec<T>,
    /// How many items the page counts towards `total`: `items.len()`, except
    /// for vouchers paged by voucher (the sum of `certificates`).
    pub count: u64,
    /// The answer's `total`.
    pub total: Option<u64>,
    /// The answer's log id.
    pub logid: Option<String>,
    /// The server time of the answer (`extra.now`, unix seconds).
    pub server_time: Option<i64>,
}

/// A stream of reservation orders ([`Client::orders_stream`]).
pub type OrderStream = ListStream<types::ReservationOrder>;
/// A stream of a user's voucher orders ([`Client::certificates_stream`]).
pub type CertificateStream = ListStream<types::CertificateOrder>;

impl Client {
    /// Every reservation order of the query's window, page after page
    /// (`page_num` from the query's, `page_size` the query's), as a lazy stream.
    /// See the [module docs](crate::pagination) for when it ends.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), douyin_goodlife::Error> {
    /// use douyin_goodlife::{Client, OrderQuery};
    /// use futures::TryStreamExt;
    ///
    /// let client = Client::builder().access_token("clt.xxx").build()?;
    /// let query = OrderQuery::new("acc", "poi", 1732896000, 1732982400);
    /// // Count without holding the listing: one page at a time, two fetched ahead.
    /// let n = client
    ///     .orders_stream(query)
    ///     .buffered(3)
    ///     .try_fold(0u64, |n, _order| async move { Ok(n + 1) })
    ///     .await?;
    /// println!("{n} orders");
    /// # Ok(()) }
    /// ```
    pub fn orders_stream(&self, query: OrderQuery) -> OrderStream {
        ListStream::new(State::new(self.clone(), OrderListing { query }))
    }

    /// Every voucher order of a user at a merchant, page after page, as a lazy
    /// stream. `page` starts at the query's (default 1); `page_size` is the
    /// query's, or the spec's maximum (50) when unset. Items are
    /// [`types::CertificateOrder`]s; see the [module docs](crate::pagination)
    /// for how `total` counts under each `page_dimension`.
    pub fn certificates_stream(&self, mut query: CertificateQuery) -> CertificateStream {
        if query.page_size.is_none() {
            let max = limits::QUERY_USER_CERTIFICATES_REQUEST__PAGE_SIZE.maximum;
            query.page_size = max.and_then(|m| i32::try_from(m).ok());
        }
        let dimension = query.effective_page_dimension();
        ListStream::new(State::new(
            self.clone(),
            CertificateListing { query, dimension },
        ))
    }
}

/// One page as the endpoint answered it.
struct RawPage<T> {
    items: Vec<T>,
    total: Option<i64>,
    logid: Option<String>,
    server_time: Option<i64>,
}

impl<T> RawPage<T> {
    /// A page from one answer: its items and `total` (picked by `parts`), and
    /// the answer's logid and server time.
    fn from_response<D>(resp: Response<D>, parts: impl FnOnce(D) -> (Vec<T>, Option<i64>)) -> Self {
        let logid = resp.logid().map(str::to_string);
        let server_time = resp.server_time();
        let (items, total) = parts(resp.into_data());
        RawPage {
            items,
            total,
            logid,
            server_time,
        }
    }
}

/// What differs between the paged endpoints.
trait Listing: Send + Sync + 'static {
    type Item: Send + 'static;
    const OPERATION: &'static str;
    /// Checks the query as the first page would be sent.
    fn validate(&self) -> Result<(), Error>;
    /// The first page number and the page size, once validated.
    fn start(&self) -> (u32, u32);
    fn fetch(
        self: Arc<Self>,
        client: Client,
        page: u32,
    ) -> BoxFuture<'static, Result<RawPage<Self::Item>, Error>>;
    /// How many of `total` the items count for.
    fn count(&self, items: &[Self::Item]) -> u64;
    /// A digest of the page's items, to notice a repeated page.
    fn fingerprint(items: &[Self::Item]) -> u64;
}

fn page_number(field: &'static str, page: u32) -> Result<i32, Error> {
    i32::try_from(page).map_err(|_| {
        Error::invalid(
            field,
            format!("page {page} is beyond the int32 the wire carries"),
        )
    })
}

struct OrderListing {
    query: OrderQuery,
}

impl Listing for OrderListing {
    type Item = types::ReservationOrder;
    const OPERATION: &'static str = "query_reservation_orders";

    fn validate(&self) -> Result<(), Error> {
        self.query.validate()
    }

    fn start(&self) -> (u32, u32) {
        let num = u32::try_from(self.query.page_num).unwrap_or(1);
        let size = u32::try_from(self.query.page_size).unwrap_or(1);
        (num, size)
    }

    fn fetch(
        self: Arc<Self>,
        client: Client,
        page: u32,
    ) -> BoxFuture<'static, Result<RawPage<Self::Item>, Error>> {
        Box::pin(async move {
            let query = self
                .query
                .clone()
                .with_page_num(page_number("page_num", page)?);
            let resp = client.query_reservation_orders(&query).await?;
            Ok(RawPage::from_response(resp, |d| (d.order_list, d.total)))
        })
    }

    fn count(&self, items: &[Self::Item]) -> u64 {
        items.len() as u64
    }

    fn fingerprint(items: &[Self::Item]) -> u64 {
        hash_ids(items.iter().map(|o| o.book_id.as_deref())).unwrap_or_else(|| hash_json(items))
    }
}

struct CertificateListing {
    query: CertificateQuery,
    dimension: PageDimension,
}

impl Listing for CertificateListing {
    type Item = types::CertificateOrder;
    const OPERATION: &'static str = "query_user_certificates";

    fn validate(&self) -> Result<(), Error> {
        self.query.validate()
    }

    fn start(&self) -> (u32, u32) {
        let page = self
            .query
            .page
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(1);
        let size = self
            .query
            .page_size
            .and_then(|s| u32::try_from(s).ok())
            .unwrap_or(1);
        (page, size)
    }

    fn fetch(
        self: Arc<Self>,
        client: Client,
        page: u32,
    ) -> BoxFuture<'static, Result<RawPage<Self::Item>, Error>> {
        Box::pin(async move {
            let query = self.query.clone().with_page(page_number("page", page)?);
            let resp = client.query_user_certificates(&query).await?;
            Ok(RawPage::from_response(resp, |d| (d.orders, d.total)))
        })
    }

    fn count(&self, items: &[Self::Item]) -> u64 {
        match self.dimension {
            PageDimension::Order => items.len() as u64,
            _ => items.iter().map(|o| o.certificates.len() as u64).sum(),
        }
    }

    fn fingerprint(items: &[Self::Item]) -> u64 {
        let ids = items.iter().flat_map(|o| {
            std::iter::once(o.order_id.as_deref())
                .chain(o.certificates.iter().map(|c| c.certificate_id.as_deref()))
        });
        hash_ids(ids).unwrap_or_else(|| hash_json(items))
    }
}

/// A digest of the ids, or `None` when one is missing.
fn hash_ids<'a>(ids: impl Iterator<Item = Option<&'a str>>) -> Option<u64> {
    let mut h = DefaultHasher::new();
    for id in ids {
        id?.hash(&mut h);
    }
    Some(h.finish())
}

/// A digest of the items' JSON, streamed into the hasher.
fn hash_json<T: serde::Serialize>(items: &[T]) -> u64 {
    struct HashWriter(DefaultHasher);
    impl std::io::Write for HashWriter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.write(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut w = HashWriter(DefaultHasher::new());
    // Serializing generated types to a writer that never fails cannot fail.
    let _ = serde_json::to_writer(&mut w, items);
    w.0.finish()
}

/// Counters shared between a stream and its state machine.
#[derive(Debug)]
struct Shared {
    /// `n` of `buffered(n)`, at least 1.
    prefetch: AtomicUsize,
    /// Requests started and not finished.
    in_flight: AtomicUsize,
    /// The page the stream requests next, or failed at.
    next_page: AtomicU32,
}

/// Counts one request in flight while alive.
struct InFlight(Arc<Shared>);

impl InFlight {
    fn enter(shared: &Arc<Shared>) -> Self {
        shared.in_flight.fetch_add(1, Ordering::SeqCst);
        Self(shared.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A page fetched ahead in a task, aborted when dropped.
struct Prefetch<T> {
    page: u32,
    handle: tokio::task::JoinHandle<Result<RawPage<T>, Error>>,
}

impl<T> Drop for Prefetch<T> {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// The state machine behind a stream.
struct State<L: Listing> {
    client: Client,
    listing: Arc<L>,
    shared: Arc<Shared>,
    /// Validated and started.
    started: bool,
    /// The first answer arrived (it fixes `total`).
    answered: bool,
    /// The next page number to yield.
    next: u32,
    page_size: u32,
    /// `total` of the first page.
    total: Option<u64>,
    /// Last page `total` implies.
    last_page: Option<u32>,
    /// Items counted so far (see [`PaginationStop`]).
    seen: u64,
    /// Non-empty pages received.
    pages: u32,
    /// Fingerprint of the previous non-empty page.
    previous: Option<u64>,
    ahead: VecDeque<Prefetch<L::Item>>,
    done: bool,
}

impl<L: Listing> State<L> {
    fn new(client: Client, listing: L) -> Self {
        let (first, page_size) = listing.start();
        Self {
            client,
            listing: Arc::new(listing),
            shared: Arc::new(Shared {
                prefetch: AtomicUsize::new(1),
                in_flight: AtomicUsize::new(0),
                next_page: AtomicU32::new(first),
            }),
            started: false,
            answered: false,
            next: first,
            page_size,
            total: None,
            last_page: None,
            seen: 0,
            pages: 0,
            previous: None,
            ahead: VecDeque::new(),
            done: false,
        }
    }

    fn stop(&self, page: u32, reason: PaginationStop, logid: Option<String>) -> Error {
        Error::Pagination {
            operation: L::OPERATION,
            page,
            reason,
            logid,
        }
    }

    /// Ends the stream: no further request, prefetches aborted.
    fn finish(&mut self) {
        self.done = true;
        self.ahead.clear();
    }

    /// The next page, or `None` when the stream has ended.
    async fn step(&mut self) -> Option<Result<Page<L::Item>, Error>> {
        if self.done {
            return None;
        }
        let page = self.next;
        if let Err(e) = self.before_fetch(page) {
            self.finish();
            return Some(Err(e));
        }
        let raw = match self.ahead.pop_front() {
            Some(mut ahead) if ahead.page == page => match (&mut ahead.handle).await {
                Ok(result) => result,
                // The task was cancelled or panicked: fetch the page here instead.
                Err(_) => self.fetch(page).await,
            },
            _ => {
                self.ahead.clear();
                self.fetch(page).await
            }
        };
        let result = raw.and_then(|raw| self.accept(page, raw));
        match &result {
            Ok(_) => {
                self.next = page.saturating_add(1);
                self.shared.next_page.store(self.next, Ordering::SeqCst);
                if self.done {
                    self.ahead.clear();
                } else {
                    self.prefetch();
                }
            }
            Err(_) => self.finish(),
        }
        Some(result)
    }

    async fn fetch(&self, page: u32) -> Result<RawPage<L::Item>, Error> {
        let _in_flight = InFlight::enter(&self.shared);
        self.listing.clone().fetch(self.client.clone(), page).await
    }

    /// Validation (first page) and the page-count guards, before sending.
    fn before_fetch(&mut self, page: u32) -> Result<(), Error> {
        if !self.started {
            self.listing.validate()?;
            let (first, page_size) = self.listing.start();
            self.next = first;
            self.page_size = page_size.max(1);
            self.seen = u64::from(first.saturating_sub(1)) * u64::from(self.page_size);
            self.started = true;
            return Ok(());
        }
        match (self.total, self.last_page) {
            (Some(total), Some(last)) if page > last && self.seen < total => Err(self.stop(
                page,
                PaginationStop::MorePagesThanTotal {
                    pages: last,
                    seen: self.seen,
                    total,
                },
                None,
            )),
            (None, _) if self.pages >= MAX_PAGES_WITHOUT_TOTAL => Err(self.stop(
                page,
                PaginationStop::PageLimit {
                    limit: MAX_PAGES_WITHOUT_TOTAL,
                },
                None,
            )),
            _ => Ok(()),
        }
    }

    /// Checks an answer against the guards and makes it a page.
    fn accept(&mut self, page: u32, raw: RawPage<L::Item>) -> Result<Page<L::Item>, Error> {
        let logid = raw.logid;
        let total_now = match raw.total {
            Some(t) if t < 0 => {
                return Err(self.stop(page, PaginationStop::InvalidTotal { total: t }, logid));
            }
            t => t.map(|t| t.unsigned_abs()),
        };
        if !self.answered {
            // The first answer fixes `total` and the pages it implies.
            self.answered = true;
            self.total = total_now;
            self.last_page = total_now.map(|t| {
                let pages = t.div_ceil(u64::from(self.page_size));
                u32::try_from(pages).unwrap_or(u32::MAX)
            });
        } else if let (Some(first), Some(now)) = (self.total, total_now)
            && first != now
        {
            return Err(self.stop(page, PaginationStop::TotalChanged { first, now }, logid));
        }
        let count = self.listing.count(&raw.items);
        if count == 0 {
            if let Some(total) = self.total
                && self.seen < total
            {
                let reason = PaginationStop::EmptyPage {
                    seen: self.seen,
                    total,
                };
                return Err(self.stop(page, reason, logid));
            }
            self.done = true;
        } else {
            let fingerprint = L::fingerprint(&raw.items);
            if self.previous == Some(fingerprint) {
                return Err(self.stop(page, PaginationStop::RepeatedPage, logid));
            }
            let seen = self.seen.saturating_add(count);
            match self.total {
                Some(total) if seen > total => {
                    return Err(self.stop(
                        page,
                        PaginationStop::MoreItemsThanTotal { seen, total },
                        logid,
                    ));
                }
                Some(total) => self.done = seen == total,
                None => self.done = count < u64::from(self.page_size),
            }
            self.previous = Some(fingerprint);
            self.seen = seen;
            self.pages += 1;
        }
        Ok(Page {
            page,
            items: raw.items,
            count,
            total: total_now,
            logid,
            server_time: raw.server_time,
        })
    }

    /// With `buffered(n)`, starts fetching up to `n − 1` pages after the one
    /// just yielded, within the pages `total` implies.
    fn prefetch(&mut self) {
        let n = self.shared.prefetch.load(Ordering::SeqCst).max(1);
        let Some(last) = self.last_page else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let mut page = self
            .ahead
            .back()
            .map_or(self.next, |a| a.page.saturating_add(1));
        while self.ahead.len() + 1 < n && page <= last && page < u32::MAX {
            let in_flight = InFlight::enter(&self.shared);
            let fetch = self.listing.clone().fetch(self.client.clone(), page);
            let handle = runtime.spawn(async move {
                let _in_flight = in_flight;
                fetch.await
            });
            self.ahead.push_back(Prefetch { page, handle });
            page += 1;
        }
    }
}

fn page_stream<L: Listing>(state: State<L>) -> BoxStream<'static, Result<Page<L::Item>, Error>> {
    futures::stream::unfold(state, |mut state| async move {
        let item = state.step().await?;
        Some((item, state))
    })
    .boxed()
}

/// A lazy stream of the items of a paged listing (`Result<T, Error>`), one page
/// in memory at a time; see the [module docs](crate::pagination).
///
/// [`OrderStream`] and [`CertificateStream`] are its instances.
#[must_use = "streams do nothing unless polled"]
pub struct ListStream<T> {
    pages: BoxStream<'static, Result<Page<T>, Error>>,
    /// The page being yielded, its items moved into `items`.
    current: Option<Page<T>>,
    items: std::vec::IntoIter<T>,
    shared: Arc<Shared>,
    finished: bool,
}

// The stream never pins its fields: the page stream is boxed and the items are
// moved out by value.
impl<T> Unpin for ListStream<T> {}

impl<T> std::fmt::Debug for ListStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListStream")
            .field("held_items", &self.items.len())
            .field("shared", &self.shared)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static> ListStream<T> {
    fn new<L: Listing<Item = T>>(state: State<L>) -> Self {
        let shared = state.shared.clone();
        Self {
            pages: page_stream(state),
            current: None,
            items: Vec::new().into_iter(),
            shared,
            finished: false,
        }
    }
}

impl<T> ListStream<T> {
    /// Fetches up to `n − 1` pages ahead of the one being yielded (`n` ≤ 1: no
    /// prefetch, the default), so at most `n` pages are held or in flight. It
    /// takes effect from the next page on; ahead-fetching starts once the first
    /// page told `total`, and needs a tokio runtime (without one the stream
    /// fetches one page at a time).
    pub fn buffered(self, n: usize) -> Self {
        self.shared.prefetch.store(n.max(1), Ordering::SeqCst);
        self
    }

    /// The pages instead of the items. Items of a page already partly yielded
    /// come first, as a page of their own.
    pub fn pages(self) -> PageStream<T> {
        let leftover = self.current.map(|mut page| {
            page.items = self.items.collect();
            page
        });
        PageStream {
            leftover: leftover.filter(|p| !p.items.is_empty()),
            pages: self.pages,
            shared: self.shared,
            finished: self.finished,
        }
    }

    /// Items received and not yet yielded (at most one page).
    pub fn held_items(&self) -> usize {
        self.items.len()
    }

    /// Requests started and not finished: at most 1, or `n` with
    /// [`buffered`](Self::buffered)`(n)`.
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::SeqCst)
    }

    /// The page the stream requests next; after an error, the page to restart
    /// from with a new query (`page_num` / `page`) to get the rest.
    pub fn resume_page(&self) -> u32 {
        self.shared.next_page.load(Ordering::SeqCst)
    }
}

impl<T> Stream for ListStream<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        // Each turn yields an item or consumes a page; the page stream ends by
        // itself (see `State::step`), so this loop is bounded.
        loop {
            if let Some(item) = this.items.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            this.current = None;
            if this.finished {
                return Poll::Ready(None);
            }
            match this.pages.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(mut page))) => {
                    this.items = std::mem::take(&mut page.items).into_iter();
                    this.current = Some(page);
                }
                Poll::Ready(Some(Err(e))) => {
                    this.finished = true;
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(None) => {
                    this.finished = true;
                    return Poll::Ready(None);
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let held = self.items.len();
        (held, if self.finished { Some(held) } else { None })
    }
}

impl<T> FusedStream for ListStream<T> {
    fn is_terminated(&self) -> bool {
        self.finished && self.items.len() == 0
    }
}

/// The pages of a listing ([`ListStream::pages`]): `Result<Page<T>, Error>`.
#[must_use = "streams do nothing unless polled"]
pub struct PageStream<T> {
    leftover: Option<Page<T>>,
    pages: BoxStream<'static, Result<Page<T>, Error>>,
    shared: Arc<Shared>,
    finished: bool,
}

impl<T> Unpin for PageStream<T> {}

impl<T> std::fmt::Debug for PageStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageStream")
            .field("shared", &self.shared)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl<T> PageStream<T> {
    /// As [`ListStream::buffered`].
    pub fn buffered(self, n: usize) -> Self {
        self.shared.prefetch.store(n.max(1), Ordering::SeqCst);
        self
    }

    /// As [`ListStream::in_flight`].
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::SeqCst)
    }

    /// As [`ListStream::resume_page`].
    pub fn resume_page(&self) -> u32 {
        self.shared.next_page.load(Ordering::SeqCst)
    }
}

impl<T> Stream for PageStream<T> {
    type Item = Result<Page<T>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Some(page) = this.leftover.take() {
            return Poll::Ready(Some(Ok(page)));
        }
        if this.finished {
            return Poll::Ready(None);
        }
        let next = this.pages.poll_next_unpin(cx);
        if matches!(next, Poll::Ready(None | Some(Err(_)))) {
            this.finished = true;
        }
        next
    }
}

impl<T> FusedStream for PageStream<T> {
    fn is_terminated(&self) -> bool {
        self.finished && self.leftover.is_none()
    }
}

// ---- streams from the spec (`x-douyin-pagination`) -------------------------

/// A paginated operation's request type (generated for every operation that
/// declares `x-douyin-pagination`): where its items, total and cursor are.
pub(crate) trait Paged: OperationRequest {
    type Item: serde::Serialize + Send + 'static;
    /// The page's items.
    fn items(data: Data<Self>) -> Vec<Self::Item>;
    /// `total` (page kind).
    fn total(data: &Data<Self>) -> Option<i64>;
    /// The next cursor (cursor kind).
    fn next_cursor(data: &Data<Self>) -> Option<serde_json::Value>;
    /// Whether more pages follow (cursor kind).
    fn has_more(data: &Data<Self>) -> Option<bool>;
}

type Data<R> = <<R as OperationRequest>::Response as Envelope>::Data;

/// Page size used by a stream whose request sets none: the spec's maximum,
/// else this.
const DEFAULT_STREAM_PAGE_SIZE: u32 = 20;

/// The page-number listing of any paginated operation.
struct SpecListing<R> {
    raw: Result<RawRequest, Error>,
    page: &'static str,
    size: &'static str,
    _request: std::marker::PhantomData<fn() -> R>,
}

impl<R: Paged> Listing for SpecListing<R> {
    type Item = R::Item;
    const OPERATION: &'static str = R::OPERATION_ID;

    fn validate(&self) -> Result<(), Error> {
        match &self.raw {
            Ok(raw) => validate::request(R::OPERATION.spec(), raw),
            Err(e) => Err(e.clone()),
        }
    }

    fn start(&self) -> (u32, u32) {
        let spec = R::OPERATION.spec();
        let read = |name| {
            self.raw
                .as_ref()
                .ok()
                .and_then(|raw| raw.get(spec, name))
                .and_then(serde_json::Value::as_u64)
                .and_then(|v| u32::try_from(v).ok())
        };
        (read(self.page).unwrap_or(1), read(self.size).unwrap_or(1))
    }

    fn fetch(
        self: Arc<Self>,
        client: Client,
        page: u32,
    ) -> BoxFuture<'static, Result<RawPage<Self::Item>, Error>> {
        Box::pin(async move {
            let mut raw = self.raw.clone()?;
            raw.set(
                R::OPERATION.spec(),
                self.page,
                serde_json::Value::from(page),
            );
            let resp = client.call_raw::<R>(raw).await?;
            Ok(RawPage::from_response(resp, |d| {
                let total = R::total(&d);
                (R::items(d), total)
            }))
        })
    }

    fn count(&self, items: &[Self::Item]) -> u64 {
        let spec = R::OPERATION.spec();
        let Some(PaginationSpec::Page {
            count: Some(nested),
            count_unless,
            ..
        }) = spec.pagination
        else {
            return items.len() as u64;
        };
        if let (Some((field, value)), Ok(raw)) = (count_unless, &self.raw)
            && raw.get(spec, field).and_then(serde_json::Value::as_i64) == Some(value)
        {
            return items.len() as u64;
        }
        items
            .iter()
            .map(|item| {
                serde_json::to_value(item)
                    .ok()
                    .and_then(|v| v.get(nested).and_then(|n| n.as_array().map(Vec::len)))
                    .unwrap_or(0) as u64
            })
            .sum()
    }

    fn fingerprint(items: &[Self::Item]) -> u64 {
        hash_json(items)
    }
}

/// The request with the page size set (the spec's maximum when the caller
/// gave none), for a stream.
fn with_page_size(
    spec: &'static OperationSpec,
    mut raw: RawRequest,
    size: &'static str,
) -> RawRequest {
    if raw.get(spec, size).is_none() {
        let max = spec
            .param(size)
            .map(|p| p.rule)
            .or_else(|| {
                spec.body
                    .and_then(|b| b.fields.iter().find(|f| f.path == size).map(|f| f.rule))
            })
            .and_then(|r| r.maximum)
            .and_then(|m| u32::try_from(m).ok())
            .unwrap_or(DEFAULT_STREAM_PAGE_SIZE);
        raw.set(spec, size, serde_json::Value::from(max));
    }
    raw
}

/// The stream of a paginated operation: page numbers with today's guards, or
/// cursors (a repeated cursor ends the stream with
/// [`PaginationStop::RepeatedCursor`]).
pub(crate) fn spec_stream<R: Paged>(
    client: Client,
    request: Result<R, Error>,
) -> ListStream<R::Item> {
    spec_stream_raw::<R>(client, request.and_then(|r| r.to_raw()))
}

/// `item_cursor`: the item field whose value on a page's last item is the
/// next cursor (`PaginationSpec::ItemCursor`); `None`: the page's own
/// `next_cursor` and `has_more` (`PaginationSpec::Cursor`).
fn cursor_stream<R: Paged>(
    client: Client,
    raw: Result<RawRequest, Error>,
    cursor_field: &'static str,
    item_cursor: Option<&'static str>,
) -> ListStream<R::Item> {
    struct Cursor {
        client: Client,
        raw: Result<RawRequest, Error>,
        page: u32,
        seen: Vec<u64>,
        done: bool,
    }
    let start = Cursor {
        client,
        raw,
        page: 1,
        seen: Vec::new(),
        done: false,
    };
    let pages = futures::stream::unfold(start, move |mut st| async move {
        if st.done {
            return None;
        }
        let raw = match st.raw.clone() {
            Ok(raw) => raw,
            Err(e) => {
                st.done = true;
                return Some((Err(e), st));
            }
        };
        if st.page >= MAX_PAGES_WITHOUT_TOTAL {
            st.done = true;
            let err = Error::Pagination {
                operation: R::OPERATION_ID,
                page: st.page,
                reason: PaginationStop::PageLimit {
                    limit: MAX_PAGES_WITHOUT_TOTAL,
                },
                logid: None,
            };
            return Some((Err(err), st));
        }
        let resp = match st.client.call_raw::<R>(raw).await {
            Ok(resp) => resp,
            Err(e) => {
                st.done = true;
                return Some((Err(e), st));
            }
        };
        let logid = resp.logid().map(str::to_string);
        let server_time = resp.server_time();
        let data = resp.into_data();
        let usable = |c: &serde_json::Value| !c.is_null() && c != "" && c != 0;
        let (next, more, items) = match item_cursor {
            None => {
                let next = R::next_cursor(&data).filter(usable);
                let more = R::has_more(&data).unwrap_or(next.is_some());
                (next, more, R::items(data))
            }
            // The last item's cursor; an empty page (no last item) ends it.
            Some(field) => {
                let items = R::items(data);
                let next = items
                    .last()
                    .and_then(|last| serde_json::to_value(last).ok())
                    .and_then(|mut v| v.get_mut(field).map(serde_json::Value::take))
                    .filter(usable);
                (next.clone(), next.is_some(), items)
            }
        };
        let page = st.page;
        match (&next, more) {
            (Some(c), true) => {
                let digest = hash_json(std::slice::from_ref(c));
                if st.seen.contains(&digest) {
                    st.done = true;
                    let err = Error::Pagination {
                        operation: R::OPERATION_ID,
                        page,
                        reason: PaginationStop::RepeatedCursor,
                        logid,
                    };
                    return Some((Err(err), st));
                }
                st.seen.push(digest);
                if let Ok(raw) = &mut st.raw {
                    raw.set(R::OPERATION.spec(), cursor_field, c.clone());
                }
                st.page += 1;
            }
            _ => st.done = true,
        }
        let count = items.len() as u64;
        Some((
            Ok(Page {
                page,
                items,
                count,
                total: None,
                logid,
                server_time,
            }),
            st,
        ))
    });
    ListStream::from_pages(pages.boxed(), 1)
}

impl<T: Send + 'static> ListStream<T> {
    fn from_pages(pages: BoxStream<'static, Result<Page<T>, Error>>, first: u32) -> Self {
        Self {
            pages,
            current: None,
            items: Vec::new().into_iter(),
            shared: Arc::new(Shared {
                prefetch: AtomicUsize::new(1),
                in_flight: AtomicUsize::new(0),
                next_page: AtomicU32::new(first),
            }),
            finished: false,
        }
    }
}

/// Every item of a paginated operation as JSON values
/// ([`Client::stream_json`]).
pub type JsonStream = BoxStream<'static, Result<serde_json::Value, Error>>;

/// The JSON stream of `R`'s items.
pub(crate) fn json_stream<R: Paged>(client: Client, raw: RawRequest) -> JsonStream {
    spec_stream_raw::<R>(client, Ok(raw))
        .map(|item| {
            item.and_then(|v| {
                serde_json::to_value(v)
                    .map_err(|e| Error::Config(format!("cannot serialize an item: {e}")))
            })
        })
        .boxed()
}

fn spec_stream_raw<R: Paged>(
    client: Client,
    raw: Result<RawRequest, Error>,
) -> ListStream<R::Item> {
    let spec = R::OPERATION.spec();
    match spec.pagination {
        Some(PaginationSpec::Cursor { cursor, size, .. }) => cursor_stream::<R>(
            client,
            raw.map(|raw| with_page_size(spec, raw, size)),
            cursor,
            None,
        ),
        Some(PaginationSpec::ItemCursor {
            cursor,
            size,
            item_cursor,
            ..
        }) => cursor_stream::<R>(
            client,
            raw.map(|raw| with_page_size(spec, raw, size)),
            cursor,
            Some(item_cursor),
        ),
        Some(PaginationSpec::Page { page, size, .. }) => ListStream::new(State::new(
            client,
            SpecListing::<R> {
                raw: raw.map(|raw| with_page_size(spec, raw, size)),
                page,
                size,
                _request: std::marker::PhantomData,
            },
        )),
        None => ListStream::from_pages(
            futures::stream::once(async move {
                Err(Error::Config(format!("{} is not paginated", spec.id)))
            })
            .boxed(),
            1,
        ),
    }
}

/// A cursor field of a generated type, as JSON (`None` when absent).
#[allow(dead_code)] // used by the cursor-paged operations the spec declares
pub(crate) fn as_json<T: serde::Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok().filter(|v| !v.is_null())
}

/// A `has_more` field of a generated type, whatever its optionality.
#[allow(dead_code)] // used by the cursor-paged operations the spec declares
pub(crate) fn as_bool<T: serde::Serialize>(v: &T) -> Option<bool> {
    match serde_json::to_value(v).ok()? {
        serde_json::Value::Bool(b) => Some(b),
        serde_json::Value::Number(n) => Some(n.as_i64() != Some(0)),
        _ => None,
    }
}

/// The value at a dotted path (`page.total`) of a generated type, as JSON.
#[allow(dead_code)] // used by operations whose pagination names a nested field
pub(crate) fn json_path<T: serde::Serialize>(data: &T, path: &str) -> Option<serde_json::Value> {
    let value = serde_json::to_value(data).ok()?;
    let found = path.split('.').try_fold(&value, |v, key| v.get(key))?;
    Some(found.clone())
}

impl crate::envelope::AsCode for serde_json::Value {
    fn as_code(&self) -> Option<i64> {
        crate::envelope::lenient_int(self)
    }
}
