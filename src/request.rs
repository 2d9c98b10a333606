//! Typed requests, one per operation.
//!
//! Fields use the wire names. Nothing is sent until the request passed
//! validation (`validate.rs`); a bad field is an [`Error::InvalidRequest`]
//! naming it.
//!
//! [`Error::InvalidRequest`]: crate::Error::InvalidRequest
//!
//! Times are unix **seconds** everywhere (see [`UnixSeconds`] for the
//! conversions from `SystemTime`, `chrono` and `time` values).

use crate::enums::{BizType, PageDimension};
use crate::time::UnixSeconds;

/// An `i64` code narrowed to the `int32` the wire carries, saturating so that
/// an out-of-range code still fails validation instead of wrapping into a
/// valid one.
fn saturate_i32(code: i64) -> i32 {
    i32::try_from(code).unwrap_or(if code < 0 { i32::MIN } else { i32::MAX })
}

/// Body of the reservation order query (`query_reservation_orders`).
///
/// Times are unix **seconds** (the booking window is over `book_time`).
///
/// ```
/// use douyin_goodlife::OrderQuery;
///
/// let q = OrderQuery::new("7136075595087087628", "7165843214867499039", 1732896000, 1732982400)
///     .with_page_size(20);
/// assert_eq!((q.page_num, q.page_size), (1, 20));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderQuery {
    /// 商户ID / merchant account id (required, non-empty).
    pub account_id: String,
    /// 预约地id / POI id (required, non-empty).
    pub poi_id: String,
    /// 预约开始时间 / start of the booking window, unix seconds.
    pub start_time: i64,
    /// 预约结束时间 / end of the booking window, unix seconds; after `start_time`.
    pub end_time: i64,
    /// Page number from 1 (default 1).
    pub page_num: i32,
    /// Page size 1..=50 (default 50).
    pub page_size: i32,
    /// 抖音预定单id / one booking id, optional.
    pub book_id: Option<String>,
}

impl OrderQuery {
    /// A query of the first page (50 orders) of a POI's bookings in
    /// `[start_time, end_time)`, unix seconds.
    pub fn new(
        account_id: impl Into<String>,
        poi_id: impl Into<String>,
        start_time: i64,
        end_time: i64,
    ) -> Self {
        Self {
            account_id: account_id.into(),
            poi_id: poi_id.into(),
            start_time,
            end_time,
            page_num: 1,
            page_size: 50,
            book_id: None,
        }
    }

    /// Sets the page number (from 1).
    pub fn with_page_num(mut self, page_num: i32) -> Self {
        self.page_num = page_num;
        self
    }

    /// Sets the page size (1..=50).
    pub fn with_page_size(mut self, page_size: i32) -> Self {
        self.page_size = page_size;
        self
    }

    /// Sets the booking window `[start_time, end_time)` from any time value:
    /// unix seconds, a [`SystemTime`](std::time::SystemTime), a `chrono` or
    /// `time` date-time (features `chrono`, `time`).
    ///
    /// ```
    /// use douyin_goodlife::{OrderQuery, UnixSeconds};
    ///
    /// let q = OrderQuery::new("acc", "poi", 0, 0).window(1_732_896_000, UnixSeconds::new(1_732_982_400));
    /// assert_eq!(q.end_time, 1_732_982_400);
    /// ```
    pub fn window(
        mut self,
        start_time: impl Into<UnixSeconds>,
        end_time: impl Into<UnixSeconds>,
    ) -> Self {
        self.start_time = start_time.into().get();
        self.end_time = end_time.into().get();
        self
    }

    /// Restricts the query to one booking.
    pub fn with_book_id(mut self, book_id: impl Into<String>) -> Self {
        self.book_id = Some(book_id.into());
        self
    }
}

/// Query of the food-ordering SPU detail (`get_food_order_spu_detail`): the
/// merchant's root account and one of `spu_id` / `out_spu_id`.
///
/// ```
/// use douyin_goodlife::SpuQuery;
///
/// let q = SpuQuery::by_out_spu_id(7267130009242847000, "zhizhiputao");
/// assert_eq!(q.spu_id, None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpuQuery {
    /// 来客商户根账户ID / the merchant's root account id.
    pub account_id: i64,
    /// 抖音 spu id.
    pub spu_id: Option<i64>,
    /// 外部 spu id (the merchant's own id).
    pub out_spu_id: Option<String>,
}

impl SpuQuery {
    /// An SPU query naming neither id: fill `spu_id` or `out_spu_id` before
    /// sending (validation refuses it otherwise).
    pub fn new(account_id: i64) -> Self {
        Self {
            account_id,
            spu_id: None,
            out_spu_id: None,
        }
    }

    /// Sets Douyin's SPU id.
    pub fn with_spu_id(mut self, spu_id: i64) -> Self {
        self.spu_id = Some(spu_id);
        self
    }

    /// Sets the merchant's own SPU id.
    pub fn with_out_spu_id(mut self, out_spu_id: impl Into<String>) -> Self {
        self.out_spu_id = Some(out_spu_id.into());
        self
    }

    /// By Douyin's SPU id.
    pub fn by_spu_id(account_id: i64, spu_id: i64) -> Self {
        Self {
            account_id,
            spu_id: Some(spu_id),
            out_spu_id: None,
        }
    }

    /// By the merchant's own SPU id.
    pub fn by_out_spu_id(account_id: i64, out_spu_id: impl Into<String>) -> Self {
        Self {
            account_id,
            spu_id: None,
            out_spu_id: Some(out_spu_id.into()),
        }
    }
}

/// A `[start_time, end_time)` range in unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeRange {
    /// Start, unix seconds.
    pub start_time: i64,
    /// End, unix seconds; after `start_time`.
    pub end_time: i64,
}

impl TimeRange {
    /// A range from any time values (see [`UnixSeconds`]).
    pub fn new(start_time: impl Into<UnixSeconds>, end_time: impl Into<UnixSeconds>) -> Self {
        Self {
            start_time: start_time.into().get(),
            end_time: end_time.into().get(),
        }
    }
}

/// Query of a user's vouchers (`query_user_certificates`).
///
/// ```
/// use douyin_goodlife::CertificateQuery;
///
/// let q = CertificateQuery::new("7136075595087087628", "ba253642-0590-40bc-9bdf-9a1334b94059")
///     .with_page_size(20)
///     .with_poi_id("7165843214867499039");
/// assert_eq!(q.page, None); // the server's default, 1
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateQuery {
    /// 商家团购账号id / the merchant's group-buying account id (required).
    pub account_id: String,
    /// 抖音用户open_id (required).
    pub open_id: String,
    /// 1 核销工具 (default), 2 混合双开; typed view:
    /// [`effective_biz_type`](Self::effective_biz_type).
    pub biz_type: Option<i32>,
    /// Page from 1 (server default 1).
    pub page: Option<i32>,
    /// 1 by voucher (default), 2 by order: what a page and `total` count;
    /// typed view: [`effective_page_dimension`](Self::effective_page_dimension).
    pub page_dimension: Option<i32>,
    /// Page size 1..=50.
    pub page_size: Option<i32>,
    /// Only vouchers usable at this POI.
    pub poi_id: Option<String>,
    /// Time range, unix seconds.
    pub time_range: Option<TimeRange>,
    /// `Rpc-Transit-Life-Account` header: the merchant's root account, for
    /// service providers.
    pub life_account: Option<String>,
}

impl CertificateQuery {
    /// All of a user's vouchers at a merchant, server defaults for the rest.
    pub fn new(account_id: impl Into<String>, open_id: impl Into<String>) -> Self {
        Self {
            account_id: account_id.into(),
            open_id: open_id.into(),
            biz_type: None,
            page: None,
            page_dimension: None,
            page_size: None,
            poi_id: None,
            time_range: None,
            life_account: None,
        }
    }

    /// Sets `biz_type`: a [`BizType`] or its code (1 or 2).
    pub fn with_biz_type(mut self, biz_type: impl Into<BizType>) -> Self {
        self.biz_type = Some(saturate_i32(biz_type.into().code()));
        self
    }

    /// Sets the page (from 1).
    pub fn with_page(mut self, page: i32) -> Self {
        self.page = Some(page);
        self
    }

    /// Sets `page_dimension`: a [`PageDimension`] or its code (1 by voucher,
    /// 2 by order).
    pub fn with_page_dimension(mut self, page_dimension: impl Into<PageDimension>) -> Self {
        self.page_dimension = Some(saturate_i32(page_dimension.into().code()));
        self
    }

    /// Sets the page size (1..=50).
    pub fn with_page_size(mut self, page_size: i32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// Only vouchers usable at this POI.
    pub fn with_poi_id(mut self, poi_id: impl Into<String>) -> Self {
        self.poi_id = Some(poi_id.into());
        self
    }

    /// Restricts to `[start_time, end_time)`, from any time values (unix
    /// seconds, `SystemTime`, `chrono`/`time` values; see [`UnixSeconds`]).
    pub fn with_time_range(
        mut self,
        start_time: impl Into<UnixSeconds>,
        end_time: impl Into<UnixSeconds>,
    ) -> Self {
        self.time_range = Some(TimeRange::new(start_time, end_time));
        self
    }

    /// Sends the `Rpc-Transit-Life-Account` header.
    pub fn with_life_account(mut self, account: impl Into<String>) -> Self {
        self.life_account = Some(account.into());
        self
    }
}

// ---- the convenience queries as requests of their operations --------------

use crate::error::Error as RequestError;
use crate::operation::IntoRequest;
use crate::requests::{
    GetFoodOrderSpuDetailRequest, QueryReservationOrdersRequest, QueryUserCertificatesRequest,
};

impl IntoRequest<QueryReservationOrdersRequest> for &OrderQuery {
    fn into_request(self) -> Result<QueryReservationOrdersRequest, RequestError> {
        Ok(QueryReservationOrdersRequest::new(self.to_wire()?))
    }
}

impl IntoRequest<QueryReservationOrdersRequest> for OrderQuery {
    fn into_request(self) -> Result<QueryReservationOrdersRequest, RequestError> {
        (&self).into_request()
    }
}

impl IntoRequest<GetFoodOrderSpuDetailRequest> for &SpuQuery {
    fn into_request(self) -> Result<GetFoodOrderSpuDetailRequest, RequestError> {
        let (account_id, out_spu_id, spu_id) = self.to_wire()?;
        let mut request =
            GetFoodOrderSpuDetailRequest::new(account_id.get().min(i64::MAX as u64) as i64);
        if let Some(out) = out_spu_id {
            request = request.with_out_spu_id(out.to_string());
        }
        if let Some(id) = spu_id {
            request = request.with_spu_id(id.get().min(i64::MAX as u64) as i64);
        }
        Ok(request)
    }
}

impl IntoRequest<QueryUserCertificatesRequest> for &CertificateQuery {
    fn into_request(self) -> Result<QueryUserCertificatesRequest, RequestError> {
        let (header, body) = self.to_wire()?;
        let mut request = QueryUserCertificatesRequest::new(body);
        if let Some(account) = header {
            request = request.with_rpc_transit_life_account(account.to_string());
        }
        Ok(request)
    }
}

impl IntoRequest<QueryUserCertificatesRequest> for CertificateQuery {
    fn into_request(self) -> Result<QueryUserCertificatesRequest, RequestError> {
        (&self).into_request()
    }
}
