//! A successful answer: the typed `data` plus what identifies the request.

/// The `data` of a successful call, with its `logid` and the server time.
///
/// It dereferences to the data, so `resp.order_list` works directly.
#[derive(Debug, Clone, PartialEq)]
pub struct Response<T> {
    data: T,
    logid: Option<String>,
    now: Option<i64>,
}

impl<T> Response<T> {
    pub(crate) fn new(data: T, logid: Option<String>, now: Option<i64>) -> Self {
        Self { data, logid, now }
    }

    /// The typed `data` object.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// Consumes the response, keeping the data.
    pub fn into_data(self) -> T {
        self.data
    }

    /// The request's log id (`extra.logid`, else the `x-tt-logid` header).
    pub fn logid(&self) -> Option<&str> {
        self.logid.as_deref()
    }

    /// The server time of the answer (`extra.now`, unix seconds), if given.
    pub fn server_time(&self) -> Option<i64> {
        self.now
    }

    /// Maps the data, keeping the metadata.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            data: f(self.data),
            logid: self.logid,
            now: self.now,
        }
    }
}

impl<T> std::ops::Deref for Response<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}
