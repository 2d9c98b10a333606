//! Time helpers.
//!
//! Every timestamp on the goodlife wire is an integer of unix **seconds**. The
//! pages give no unit in their field tables and their examples are random
//! filler, except `extra.now` (e.g. `1745331631`, `1732903655`): seconds. No
//! page documents a millisecond field, so the spec marks each of them
//! `x-time-unit: seconds`:
//!
//! | field | direction | unit |
//! |---|---|---|
//! | `QueryOrderRequest.start_time`, `.end_time` | request | seconds |
//! | `TimeRange.start_time`, `.end_time` (voucher query `time_range`) | request | seconds |
//! | `ReservationOrder.book_time`, `.book_taking_time` | answer | seconds |
//! | `Certificate.start_time`, `.expire_time` | answer | seconds |
//! | `CertificateSkuInfo.sold_start_time` | answer | seconds |
//! | `OffPeakTime.start_time`, `.end_time` | answer | seconds |
//! | `Extra.now` | answer | seconds |
//!
//! Request builders take anything that converts into [`UnixSeconds`]: an
//! integer of seconds, a [`std::time::SystemTime`], a `chrono::DateTime` (feature
//! `chrono`) or a `time::OffsetDateTime` (feature `time`). A request time that
//! looks like milliseconds (at or above [`MILLIS_THRESHOLD`]) is refused before
//! sending, naming the field.
//!
//! ```
//! use douyin_goodlife::{OrderQuery, UnixSeconds};
//! use std::time::{Duration, UNIX_EPOCH};
//!
//! let start = UNIX_EPOCH + Duration::from_secs(1_732_896_000);
//! let q = OrderQuery::new("acc", "poi", 0, 0).window(start, UnixSeconds::from_millis(1_732_982_400_000));
//! assert_eq!((q.start_time, q.end_time), (1_732_896_000, 1_732_982_400));
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::types;

/// Request times at or above this many seconds (year 5138) are taken for
/// milliseconds by mistake and refused before sending.
pub const MILLIS_THRESHOLD: i64 = 100_000_000_000;

/// A point in time as unix seconds, the unit of every goodlife timestamp.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct UnixSeconds(pub i64);

impl UnixSeconds {
    /// `secs` seconds after 1970-01-01T00:00:00Z.
    pub const fn new(secs: i64) -> Self {
        Self(secs)
    }

    /// The number of seconds.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// From unix milliseconds, rounding down to the second.
    pub const fn from_millis(millis: i64) -> Self {
        Self(millis.div_euclid(1000))
    }

    /// The current system time.
    pub fn now() -> Self {
        SystemTime::now().into()
    }

    /// As a [`SystemTime`].
    pub fn to_system_time(self) -> SystemTime {
        let d = Duration::from_secs(self.0.unsigned_abs());
        if self.0 >= 0 {
            UNIX_EPOCH + d
        } else {
            UNIX_EPOCH - d
        }
    }

    /// As a UTC `chrono::DateTime`; `None` outside chrono's range.
    #[cfg(feature = "chrono")]
    pub fn to_chrono(self) -> Option<chrono::DateTime<chrono::Utc>> {
        chrono::DateTime::from_timestamp(self.0, 0)
    }

    /// As a UTC `time::OffsetDateTime`; `None` outside the `time` crate's range.
    #[cfg(feature = "time")]
    pub fn to_offset_date_time(self) -> Option<::time::OffsetDateTime> {
        ::time::OffsetDateTime::from_unix_timestamp(self.0).ok()
    }
}

impl std::fmt::Display for UnixSeconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<i64> for UnixSeconds {
    fn from(secs: i64) -> Self {
        Self(secs)
    }
}

impl From<i32> for UnixSeconds {
    fn from(secs: i32) -> Self {
        Self(secs.into())
    }
}

impl From<u32> for UnixSeconds {
    fn from(secs: u32) -> Self {
        Self(secs.into())
    }
}

impl From<UnixSeconds> for i64 {
    fn from(t: UnixSeconds) -> i64 {
        t.0
    }
}

impl From<SystemTime> for UnixSeconds {
    /// Whole seconds, rounding towards the past; saturates beyond `i64`.
    fn from(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Self(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
            Err(e) => {
                let d = e.duration();
                let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                let extra = i64::from(d.subsec_nanos() > 0);
                Self(whole.saturating_neg().saturating_sub(extra))
            }
        }
    }
}

#[cfg(feature = "chrono")]
impl<Tz: chrono::TimeZone> From<chrono::DateTime<Tz>> for UnixSeconds {
    /// Whole seconds (`DateTime::timestamp`), whatever the time zone.
    fn from(t: chrono::DateTime<Tz>) -> Self {
        Self(t.timestamp())
    }
}

#[cfg(feature = "time")]
impl From<::time::OffsetDateTime> for UnixSeconds {
    /// Whole seconds (`OffsetDateTime::unix_timestamp`), whatever the offset.
    fn from(t: ::time::OffsetDateTime) -> Self {
        Self(t.unix_timestamp())
    }
}

impl types::ReservationOrder {
    /// `book_time` (预约时间), unix seconds.
    pub fn book_time(&self) -> Option<UnixSeconds> {
        self.book_time.map(UnixSeconds)
    }

    /// `book_taking_time` (预约到店/履约时间), unix seconds.
    pub fn book_taking_time(&self) -> Option<UnixSeconds> {
        self.book_taking_time.map(UnixSeconds)
    }
}

impl types::Certificate {
    /// `start_time` (券生效时间), unix seconds.
    pub fn start_time(&self) -> Option<UnixSeconds> {
        self.start_time.map(UnixSeconds)
    }

    /// `expire_time` (券过期时间), unix seconds.
    pub fn expire_time(&self) -> Option<UnixSeconds> {
        self.expire_time.map(UnixSeconds)
    }
}

impl types::CertificateSkuInfo {
    /// `sold_start_time` (售卖开始时间), unix seconds.
    pub fn sold_start_time(&self) -> Option<UnixSeconds> {
        self.sold_start_time.map(UnixSeconds)
    }
}

impl types::OffPeakTime {
    /// `start_time`, unix seconds.
    pub fn start_time(&self) -> Option<UnixSeconds> {
        self.start_time.map(UnixSeconds)
    }

    /// `end_time`, unix seconds.
    pub fn end_time(&self) -> Option<UnixSeconds> {
        self.end_time.map(UnixSeconds)
    }
}

impl types::Extra {
    /// `now`, the server time, unix seconds.
    pub fn now(&self) -> Option<UnixSeconds> {
        self.now.map(UnixSeconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(
            UnixSeconds::from_millis(1_745_331_631_999),
            UnixSeconds(1_745_331_631)
        );
        assert_eq!(UnixSeconds::from_millis(-1), UnixSeconds(-1));
        let t = UNIX_EPOCH + Duration::from_millis(1_500);
        assert_eq!(UnixSeconds::from(t), UnixSeconds(1));
        let before = UNIX_EPOCH - Duration::from_millis(1_500);
        assert_eq!(UnixSeconds::from(before), UnixSeconds(-2));
        assert_eq!(
            UnixSeconds(-2).to_system_time(),
            UNIX_EPOCH - Duration::from_secs(2)
        );
        assert_eq!(
            UnixSeconds::from(UnixSeconds(42).to_system_time()),
            UnixSeconds(42)
        );
    }

    #[cfg(feature = "chrono")]
    #[test]
    fn chrono_round_trip() {
        use chrono::{FixedOffset, TimeZone};
        let tz = FixedOffset::east_opt(8 * 3600).unwrap();
        let t = tz.with_ymd_and_hms(2024, 11, 30, 0, 0, 0).unwrap();
        assert_eq!(UnixSeconds::from(t), UnixSeconds(1_732_896_000));
        assert_eq!(UnixSeconds(1_732_896_000).to_chrono().unwrap(), t);
    }

    #[cfg(feature = "time")]
    #[test]
    fn time_round_trip() {
        let t = ::time::OffsetDateTime::from_unix_timestamp(1_732_896_000).unwrap();
        assert_eq!(UnixSeconds::from(t), UnixSeconds(1_732_896_000));
        assert_eq!(UnixSeconds(1_732_896_000).to_offset_date_time(), Some(t));
    }
}
