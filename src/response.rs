//! A successful answer: the typed `data` plus what identifies the request.

/// The `data` of a successful call, with its `logid` and the server time.
///
/// It dereferences to the data, so `resp.order_list` works directly.
#[derive(Debug, Clone, PartialEq)]
pub struct Response<T> {
    data: T,
    logid: Option<String>,
    now: Option<i64>,
    already_done: Vec<usize>,
}

impl<T> Response<T> {
    pub(crate) fn new(data: T, logid: Option<String>, now: Option<i64>) -> Self {
        Self {
            data,
            logid,
            now,
            already_done: Vec::new(),
        }
    }

    /// The data, and the metadata on a `Response<()>`.
    pub(crate) fn split(self) -> (T, Response<()>) {
        let Response {
            data,
            logid,
            now,
            already_done,
        } = self;
        (
            data,
            Response {
                data: (),
                logid,
                now,
                already_done,
            },
        )
    }

    pub(crate) fn with_already_done(mut self, items: Vec<usize>) -> Self {
        self.already_done = items;
        self
    }

    /// Items (indices into the operation's per-item results, e.g.
    /// `verify_results`) that a retry found already done: after a failed
    /// attempt, the server answered "already verified" (1208 or 2) for them,
    /// so the earlier attempt took effect. Empty when the first attempt
    /// answered, or for operations without per-item results.
    pub fn already_done(&self) -> &[usize] {
        &self.already_done
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
            already_done: self.already_done,
        }
    }
}

impl<T> std::ops::Deref for Response<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}
