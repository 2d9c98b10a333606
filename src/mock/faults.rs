//! Fault injection: rules that replace (or delay) the sandbox's answer.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::Operation;

/// A failure the sandbox produces on demand, with what a client sees.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// HTTP 200 with this error code in `extra.error_code` and
    /// `data.error_code`, the code's documented message as the description and
    /// a fresh `logid`: an [`Error::Api`](crate::Error::Api).
    Code(i64),
    /// This HTTP status (e.g. 500, 503, 429) with a short text body and an
    /// `x-tt-logid` header: an [`Error::Http`](crate::Error::Http).
    Status(u16),
    /// Answers normally after this delay (to trip client timeouts).
    Delay(Duration),
    /// Promises the whole body in `content-length`, sends half of it and closes
    /// the connection: an [`Error::Transport`](crate::Error::Transport).
    TruncatedBody,
    /// Resets the connection (TCP RST) without answering: an
    /// [`Error::Transport`](crate::Error::Transport).
    ConnectionReset,
    /// HTTP 200 whose body is the normal answer cut short (complete HTTP
    /// message, invalid JSON): an [`Error::Decode`](crate::Error::Decode).
    MalformedJson,
    /// HTTP 200 with exactly this body (`content-type: application/json`), to
    /// serve a hand-made answer such as a field of the wrong type.
    Body(String),
    /// Sends the status line, the headers (`content-length` of the whole
    /// answer) and half of the body, waits a moment so that they reach the
    /// client, then resets the connection (TCP RST): an
    /// [`Error::Transport`](crate::Error::Transport) while reading the body
    /// ([`ConnectionReset`](Fault::ConnectionReset) resets before the headers).
    ResetAfterHeaders,
    /// Sends the status line and headers at once and the body only after this
    /// delay: trips a client's per-attempt timeout while the body is being read.
    SlowBody(Duration),
    /// Never answers: the request is read and the connection kept open until
    /// the client gives up (or the server is dropped).
    NoAnswer,
    /// Carries the request out (a verify verifies), then resets the
    /// connection without answering: the answer is lost on the way back, as
    /// after a timeout at the client. An
    /// [`Error::Transport`](crate::Error::Transport) for that attempt.
    LostAnswer,
}

#[derive(Debug)]
struct Rule {
    id: u64,
    fault: Fault,
    /// `None`: every business operation.
    operation: Option<Operation>,
    /// `None`: without limit.
    remaining: Option<u32>,
    /// `Some(n)`: applies to every `n`-th matching request only.
    every: Option<u32>,
    /// Matching requests seen, for `every`.
    seen: u64,
    hits: u32,
}

#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: Mutex<Vec<Rule>>,
    next_id: Mutex<u64>,
}

impl Faults {
    fn rules(&self) -> std::sync::MutexGuard<'_, Vec<Rule>> {
        self.rules.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn add(self: &Arc<Self>, fault: Fault) -> Injection {
        let id = {
            let mut next = self.next_id.lock().unwrap_or_else(|e| e.into_inner());
            *next += 1;
            *next
        };
        self.rules().push(Rule {
            id,
            fault,
            operation: None,
            remaining: None,
            every: None,
            seen: 0,
            hits: 0,
        });
        Injection {
            faults: self.clone(),
            id,
        }
    }

    pub(crate) fn clear(&self) {
        self.rules().clear();
    }

    /// The fault for a request to `operation`, consuming one use of the first
    /// matching rule.
    pub(crate) fn take(&self, operation: Option<Operation>) -> Option<Fault> {
        let mut rules = self.rules();
        let mut chosen = None;
        for (i, r) in rules.iter_mut().enumerate() {
            let op_matches = match (r.operation, operation) {
                (Some(want), Some(got)) => want == got,
                (None, Some(got)) => got.is_business(),
                (_, None) => false,
            };
            if !op_matches || r.remaining == Some(0) {
                continue;
            }
            if let Some(n) = r.every {
                r.seen += 1;
                if r.seen % u64::from(n) != 0 {
                    continue;
                }
            }
            chosen = Some(i);
            break;
        }
        let rule = &mut rules[chosen?];
        rule.hits += 1;
        if let Some(n) = &mut rule.remaining {
            *n -= 1;
        }
        Some(rule.fault.clone())
    }

    fn update(&self, id: u64, f: impl FnOnce(&mut Rule)) {
        if let Some(rule) = self.rules().iter_mut().find(|r| r.id == id) {
            f(rule);
        }
    }

    fn hits(&self, id: u64) -> u32 {
        self.rules()
            .iter()
            .find(|r| r.id == id)
            .map_or(0, |r| r.hits)
    }
}

/// A fault rule added by [`MockServer::inject`](super::MockServer::inject).
/// The rule is active as soon as it is added; these methods narrow it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use douyin_goodlife::mock::{Fault, MockServer, Operation};
///
/// let server = MockServer::start().await;
/// let rule = server
///     .inject(Fault::Code(2119003))
///     .on(Operation::QueryUserCertificates)
///     .times(2);
/// assert_eq!(rule.hits(), 0);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Injection {
    faults: Arc<Faults>,
    id: u64,
}

impl Injection {
    /// Applies the fault only to `operation` (which may be
    /// [`Operation::GetClientToken`]).
    pub fn on(self, operation: Operation) -> Self {
        self.faults
            .update(self.id, |r| r.operation = Some(operation));
        self
    }

    /// Applies the fault to the next `n` matching requests only.
    pub fn times(self, n: u32) -> Self {
        self.faults.update(self.id, |r| r.remaining = Some(n));
        self
    }

    /// Applies the fault to every `n`-th matching request only (the `n`-th,
    /// `2n`-th, …; `n` of 0 counts as 1): a steady rate of `1/n`, e.g.
    /// `every(20)` for 5 % of the requests. Combined with
    /// [`times`](Self::times), the rule ends after that many hits.
    pub fn every(self, n: u32) -> Self {
        self.faults.update(self.id, |r| r.every = Some(n.max(1)));
        self
    }

    /// How many requests this rule has answered.
    pub fn hits(&self) -> u32 {
        self.faults.hits(self.id)
    }

    /// Removes the rule.
    pub fn remove(self) {
        self.faults.rules().retain(|r| r.id != self.id);
    }
}
