//! Typed views of the integer codes in requests and answers.
//!
//! The wire keeps every code a plain integer (the spec never constrains them
//! with `enum:`), so an answer with a value Douyin adds tomorrow still decodes.
//! The types here are read through accessor methods on the generated types and
//! never fail: a value the pages do not document is `Unknown(code)`.
//!
//! Only two fields have documented meanings, and only those have named
//! variants:
//!
//! | field | type | documented values |
//! |---|---|---|
//! | `biz_type` (voucher query) | [`BizType`] | 1 核销工具 (default), 2 混合双开 |
//! | `page_dimension` (voucher query) | [`PageDimension`] | 1 券维度 (default), 2 订单维度 |
//!
//! The pages list **no values** for these, so their types have no named
//! variant yet: every value is `Unknown(code)`, read with `.code()`. The type
//! is there so that code written against it keeps compiling when Douyin
//! documents the values and variants are added (the enums are
//! `#[non_exhaustive]`):
//!
//! | field | accessor | type |
//! |---|---|---|
//! | `ReservationOrder.status` | [`ReservationOrder::typed_status`](crate::types::ReservationOrder::typed_status) | [`OrderStatus`] |
//! | `BookingUserInfo.sex` | [`BookingUserInfo::typed_sex`](crate::types::BookingUserInfo::typed_sex) | [`Sex`] |
//! | `BookingUserInfo.marital_status` | [`BookingUserInfo::typed_marital_status`](crate::types::BookingUserInfo::typed_marital_status) | [`MaritalStatus`] |
//! | `BookingUserInfo.license_type` | [`BookingUserInfo::typed_license_type`](crate::types::BookingUserInfo::typed_license_type) | [`LicenseType`] |
//! | `VoucherInfo.voucher_type` | [`VoucherInfo::typed_voucher_type`](crate::types::VoucherInfo::typed_voucher_type) | [`VoucherType`] |
//! | `TimesCardInfo.times_card_type` | [`TimesCardInfo::typed_times_card_type`](crate::types::TimesCardInfo::typed_times_card_type) | [`TimesCardType`] |
//! | `CertificateSkuInfo.groupon_type` | [`CertificateSkuInfo::typed_groupon_type`](crate::types::CertificateSkuInfo::typed_groupon_type) | [`GrouponType`] |
//!
//! ```
//! use douyin_goodlife::{BizType, PageDimension, Sex};
//! use douyin_goodlife::types::BookingUserInfo;
//!
//! assert_eq!(BizType::from_code(2), BizType::MixedDualOpen);
//! assert_eq!(PageDimension::from_code(7), PageDimension::Unknown(7));
//! assert_eq!(PageDimension::Order.code(), 2);
//!
//! let person: BookingUserInfo = serde_json::from_str(r#"{"sex": 1}"#).unwrap();
//! let sex = person.typed_sex().unwrap();
//! assert_eq!(sex.code(), 1);
//! assert!(!sex.is_documented()); // the page lists no values for `sex`
//! ```

use crate::request::CertificateQuery;
use crate::types;

macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, )*
        }
    ) => {
        $(#[$meta])*
        ///
        /// Serializes as its integer code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(from = "i64", into = "i64")]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A code the Douyin pages do not document, kept as received.
            /// Build values with [`from_code`](Self::from_code), which never
            /// puts a documented code here.
            Unknown(i64),
        }

        impl $name {
            /// The typed value of a wire code.
            pub const fn from_code(code: i64) -> Self {
                match code {
                    $( $code => Self::$variant, )*
                    other => Self::Unknown(other),
                }
            }

            /// The wire code.
            pub const fn code(self) -> i64 {
                match self {
                    $( Self::$variant => $code, )*
                    Self::Unknown(code) => code,
                }
            }

            /// Whether the pages document this code's meaning.
            pub const fn is_documented(self) -> bool {
                !matches!(Self::from_code(self.code()), Self::Unknown(_))
            }
        }

        impl From<i64> for $name {
            fn from(code: i64) -> Self {
                Self::from_code(code)
            }
        }

        impl From<i32> for $name {
            fn from(code: i32) -> Self {
                Self::from_code(code.into())
            }
        }

        impl From<$name> for i64 {
            fn from(value: $name) -> i64 {
                value.code()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self {
                    $( Self::$variant => write!(f, "{} ({})", stringify!($variant), $code), )*
                    Self::Unknown(code) => write!(f, "undocumented ({code})"),
                }
            }
        }
    };
}

code_enum! {
    /// `biz_type` of the voucher query (业务类型): documented as 1 核销工具
    /// (default), 2 混合双开.
    BizType {
        /// 1 核销工具: verification tool (the server's default).
        VerificationTool = 1,
        /// 2 混合双开: mixed dual-open.
        MixedDualOpen = 2,
    }
}

code_enum! {
    /// `page_dimension` of the voucher query (分页维度): what one page and
    /// `total` count. Documented as 1 券维度 (default), 2 订单维度.
    PageDimension {
        /// 1 券维度: pages and `total` count vouchers (the server's default).
        Certificate = 1,
        /// 2 订单维度: pages and `total` count orders.
        Order = 2,
    }
}

code_enum! {
    /// `status` of a reservation order (预约单状态). The page lists no values,
    /// so every value is `Unknown(code)`; read it with `.code()`.
    OrderStatus {}
}

code_enum! {
    /// `sex` of a person on a booking (性别). The page lists no values, so
    /// every value is `Unknown(code)`; read it with `.code()`.
    Sex {}
}

code_enum! {
    /// `marital_status` of a person on a booking (婚姻状况). The page lists no
    /// values, so every value is `Unknown(code)`; read it with `.code()`.
    MaritalStatus {}
}

code_enum! {
    /// `license_type` of a person on a booking (证件类型). The page lists no
    /// values, so every value is `Unknown(code)`; read it with `.code()`.
    LicenseType {}
}

code_enum! {
    /// `voucher_type` of a cash voucher (代金券类型). The page lists no values,
    /// so every value is `Unknown(code)`; read it with `.code()`.
    VoucherType {}
}

code_enum! {
    /// `times_card_type` of a times card (次卡类型). The page lists no values,
    /// so every value is `Unknown(code)`; read it with `.code()`.
    TimesCardType {}
}

code_enum! {
    /// `groupon_type` of a voucher's SKU (团购类型). The page lists no values,
    /// so every value is `Unknown(code)`; read it with `.code()`.
    GrouponType {}
}

impl CertificateQuery {
    /// The `biz_type` the server applies: the one set, else the documented
    /// default [`BizType::VerificationTool`].
    pub fn effective_biz_type(&self) -> BizType {
        self.biz_type
            .map_or(BizType::VerificationTool, BizType::from)
    }

    /// The `page_dimension` the server applies: the one set, else the
    /// documented default [`PageDimension::Certificate`].
    pub fn effective_page_dimension(&self) -> PageDimension {
        self.page_dimension
            .map_or(PageDimension::Certificate, PageDimension::from)
    }
}

impl types::QueryUserCertificatesRequest {
    /// `biz_type`, typed; `None` when not sent (the server then uses 1).
    pub fn typed_biz_type(&self) -> Option<BizType> {
        self.biz_type.map(|v| BizType::from_code(v.get().into()))
    }

    /// `page_dimension`, typed; `None` when not sent (the server then uses 1).
    pub fn typed_page_dimension(&self) -> Option<PageDimension> {
        self.page_dimension
            .map(|v| PageDimension::from_code(v.get().into()))
    }
}

impl types::ReservationOrder {
    /// `status` (预约单状态), typed. The page documents no values.
    pub fn typed_status(&self) -> Option<OrderStatus> {
        self.status.map(OrderStatus::from_code)
    }
}

impl types::BookingUserInfo {
    /// `sex` (性别), typed. The page documents no values.
    pub fn typed_sex(&self) -> Option<Sex> {
        self.sex.map(Sex::from_code)
    }

    /// `marital_status` (婚姻状况), typed. The page documents no values.
    pub fn typed_marital_status(&self) -> Option<MaritalStatus> {
        self.marital_status.map(MaritalStatus::from_code)
    }

    /// `license_type` (证件类型), typed. The page documents no values.
    pub fn typed_license_type(&self) -> Option<LicenseType> {
        self.license_type.map(LicenseType::from_code)
    }
}

impl types::VoucherInfo {
    /// `voucher_type` (代金券类型), typed. The page documents no values.
    pub fn typed_voucher_type(&self) -> Option<VoucherType> {
        self.voucher_type.map(VoucherType::from_code)
    }
}

impl types::TimesCardInfo {
    /// `times_card_type` (次卡类型), typed. The page documents no values.
    pub fn typed_times_card_type(&self) -> Option<TimesCardType> {
        self.times_card_type.map(TimesCardType::from_code)
    }
}

impl types::CertificateSkuInfo {
    /// `groupon_type` (团购类型), typed. The page documents no values.
    pub fn typed_groupon_type(&self) -> Option<GrouponType> {
        self.groupon_type.map(GrouponType::from_code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_never_fails() {
        for code in [-1, 0, 1, 2, 3, i64::MAX, i64::MIN] {
            assert_eq!(BizType::from_code(code).code(), code);
            assert_eq!(PageDimension::from_code(code).code(), code);
            assert_eq!(Sex::from_code(code), Sex::Unknown(code));
        }
        assert_eq!(BizType::from_code(1), BizType::VerificationTool);
        assert_eq!(PageDimension::from_code(2), PageDimension::Order);
        assert!(BizType::MixedDualOpen.is_documented());
        assert!(!BizType::from_code(3).is_documented());
        // A hand-built Unknown holding a documented code still reports documented.
        assert!(BizType::Unknown(1).is_documented());
    }

    #[test]
    fn serde_uses_the_integer() {
        assert_eq!(serde_json::to_string(&PageDimension::Order).unwrap(), "2");
        let v: BizType = serde_json::from_str("9").unwrap();
        assert_eq!(v, BizType::Unknown(9));
    }
}
