//! The HTTP side of the sandbox: accept loop, per-connection service, request
//! recording and the faults that need the socket (truncation, reset).

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::Operation;
use super::faults::Fault;
use super::handlers::{Answer, State};

/// Largest request body the sandbox reads (1 MiB); larger ones get HTTP 413.
const MAX_BODY: usize = 1 << 20;

type Body = BoxBody<Bytes, io::Error>;

/// One request as it arrived, for assertions.
#[derive(Clone)]
#[non_exhaustive]
pub struct ReceivedRequest {
    /// The operation its path names, if any.
    pub operation: Option<Operation>,
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Headers, names lower-case, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl ReceivedRequest {
    /// The first value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The decoded query parameters.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        parse_query(self.query.as_deref())
    }
}

/// Secrets (the `access-token` header, a `client_secret` in the body) are
/// redacted.
impl std::fmt::Debug for ReceivedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                if n == "access-token" {
                    (n.as_str(), "[REDACTED]")
                } else {
                    (n.as_str(), v.as_str())
                }
            })
            .collect();
        let body = match self.json() {
            Some(mut v) => {
                if let Some(secret) = v.get_mut("client_secret") {
                    *secret = serde_json::Value::String("[REDACTED]".into());
                }
                v.to_string()
            }
            None => format!("{} bytes", self.body.len()),
        };
        f.debug_struct("ReceivedRequest")
            .field("operation", &self.operation)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &headers)
            .field("body", &body)
            .finish()
    }
}

pub(crate) fn parse_query(query: Option<&str>) -> Vec<(String, String)> {
    let Some(q) = query else { return Vec::new() };
    match reqwest::Url::parse(&format!("http://sandbox/?{q}")) {
        Ok(url) => url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Accepts connections until the task is aborted; aborting drops the
/// connection tasks with it.
pub(crate) async fn serve(listener: TcpListener, state: Arc<State>) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let tcp = match listener.accept().await {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                tracing::debug!(error = %e, "sandbox: accept failed");
                // Out of descriptors and the like: do not spin.
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let state = state.clone();
        connections.spawn(async move {
            let reset = Arc::new(AtomicBool::new(false));
            let io = TokioIo::new(ConnIo {
                tcp,
                reset: reset.clone(),
            });
            let service = hyper::service::service_fn(move |req| {
                let (state, reset) = (state.clone(), reset.clone());
                async move {
                    let response = handle(&state, req, &reset).await;
                    state.flush_events();
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(io, service)
                .await;
        });
    }
}

async fn handle(state: &State, req: Request<Incoming>, reset: &Arc<AtomicBool>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large",
                &state.logid(),
            );
        }
    };
    let operation = Operation::from_path(parts.uri.path());
    state.record(ReceivedRequest {
        operation,
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.clone(),
    });
    let logid = state.logid();
    tracing::info!(
        method = %parts.method,
        path = parts.uri.path(),
        operation = operation.map_or("-", Operation::operation_id),
        logid = %logid,
        "sandbox request"
    );
    let Some(op) = operation else {
        return plain(StatusCode::NOT_FOUND, "404 page not found", &logid);
    };
    if parts.method.as_str() != op.method() {
        return plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "405 method not allowed",
            &logid,
        );
    }
    let fault = state.faults.take(Some(op));
    if let Some(Fault::Delay(d)) = &fault {
        tokio::time::sleep(*d).await;
    }
    if let Some(Fault::NoAnswer) = &fault {
        // Until the client closes the connection (hyper then drops this
        // future) or the server is dropped.
        std::future::pending::<()>().await;
    }
    let answer = |state: &State| state.answer(op, &parts.headers, parts.uri.query(), &body, &logid);
    match fault {
        None | Some(Fault::Delay(_) | Fault::NoAnswer) => json(answer(state)),
        Some(Fault::Code(code)) => json(state.fault_code(op, code, &logid)),
        Some(Fault::Status(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let text = format!(
                "{} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("error")
            );
            plain(status, &text, &logid)
        }
        Some(Fault::Body(text)) => json(Answer::raw(text.into_bytes(), &logid)),
        Some(Fault::MalformedJson) => {
            let mut a = answer(state);
            let keep = (a.body.len() * 2 / 3).max(1);
            a.body.truncate(keep);
            json(a)
        }
        Some(Fault::TruncatedBody) => {
            let a = answer(state);
            let full_len = a.body.len();
            let half = Bytes::from(a.body[..full_len / 2].to_vec());
            // The pause lets hyper flush the headers and the first half before
            // the error closes the connection (else the client would see the
            // connection close before any answer).
            let end = async {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "sandbox: truncated body",
                ))
            };
            let frames = futures::StreamExt::chain(
                futures::stream::iter([Ok(Frame::data(half))]),
                futures::stream::once(end),
            );
            streamed(frames, full_len, &a.logid)
        }
        Some(Fault::ConnectionReset) => {
            reset.store(true, Ordering::SeqCst);
            plain(StatusCode::OK, "", &logid)
        }
        Some(Fault::LostAnswer) => {
            drop(answer(state));
            reset.store(true, Ordering::SeqCst);
            plain(StatusCode::OK, "", &logid)
        }
        Some(Fault::ResetAfterHeaders) => {
            let a = answer(state);
            let full_len = a.body.len();
            let half = Bytes::from(a.body[..full_len / 2].to_vec());
            let rest = Bytes::from(a.body[full_len / 2..].to_vec());
            let reset = reset.clone();
            // The pause lets hyper flush the headers and the first half; the
            // write of the rest then fails and the socket closes with RST.
            let later = async move {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                reset.store(true, Ordering::SeqCst);
                Ok(Frame::data(rest))
            };
            let frames = futures::StreamExt::chain(
                futures::stream::iter([Ok(Frame::data(half))]),
                futures::stream::once(later),
            );
            streamed(frames, full_len, &a.logid)
        }
        Some(Fault::SlowBody(delay)) => {
            let a = answer(state);
            let full_len = a.body.len();
            let body = Bytes::from(a.body);
            let late = async move {
                tokio::time::sleep(delay).await;
                Ok(Frame::data(body))
            };
            streamed(futures::stream::once(late), full_len, &a.logid)
        }
    }
}

/// HTTP 200 `application/json` announcing `len` bytes, with the body streamed
/// from `frames`.
fn streamed<S>(frames: S, len: usize, logid: &str) -> Response<Body>
where
    S: futures::Stream<Item = Result<Frame<Bytes>, io::Error>> + Send + Sync + 'static,
{
    let mut resp = Response::new(StreamBody::new(frames).boxed());
    set_headers(&mut resp, "application/json", logid);
    resp.headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(len));
    resp
}

fn json(answer: Answer) -> Response<Body> {
    let mut resp = Response::new(full(answer.body));
    *resp.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    set_headers(&mut resp, "application/json", &answer.logid);
    resp
}

fn plain(status: StatusCode, text: &str, logid: &str) -> Response<Body> {
    let mut resp = Response::new(full(text.as_bytes().to_vec()));
    *resp.status_mut() = status;
    set_headers(&mut resp, "text/plain; charset=utf-8", logid);
    resp
}

fn full(bytes: Vec<u8>) -> Body {
    Full::new(Bytes::from(bytes))
        .map_err(|never| match never {})
        .boxed()
}

fn set_headers(resp: &mut Response<Body>, content_type: &'static str, logid: &str) {
    let headers = resp.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(logid) {
        headers.insert("x-tt-logid", v);
    }
}

/// The connection's socket, which a [`Fault::ConnectionReset`] turns into a
/// TCP reset: the next read or write fails after setting `SO_LINGER` to zero,
/// so that dropping the socket sends RST instead of FIN.
struct ConnIo {
    tcp: TcpStream,
    reset: Arc<AtomicBool>,
}

impl ConnIo {
    fn check_reset(&self) -> io::Result<()> {
        if self.reset.load(Ordering::SeqCst) {
            let _ = self.tcp.set_zero_linger();
            return Err(io::ErrorKind::ConnectionReset.into());
        }
        Ok(())
    }
}

impl AsyncRead for ConnIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Err(e) = self.check_reset() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for ConnIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Err(e) = self.check_reset() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Err(e) = self.check_reset() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Err(e) = self.check_reset() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}
