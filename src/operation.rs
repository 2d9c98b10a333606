//! The one pipeline every operation goes through, typed or not:
//!
//! request → [`RawRequest`] (wire names → JSON values) → validation against the
//! spec (`validate::request`) → [`Encoded`] once (URL, query, headers, body
//! bytes) → `Client::execute` (deadline, retries, token, span) → one HTTP
//! exchange per attempt ([`send`]) → envelope check → per-item results
//! (`x-douyin-verify-results`) → `Response<Data>`.
//!
//! Nothing here names an operation: what differs between them is data in
//! [`OperationSpec`](crate::spec::OperationSpec).

use bytes::Bytes;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::client::{Client, http_error};
use crate::envelope::{self, Envelope};
use crate::error::Error;
use crate::response::Response;
use crate::spec::{Location, OperationSpec};
use crate::{Operation, validate};

/// Header carrying the client token on every business call.
pub(crate) const ACCESS_TOKEN: HeaderName = HeaderName::from_static("access-token");
/// Header in which Douyin's gateway echoes the request's log id.
pub(crate) const LOGID: HeaderName = HeaderName::from_static("x-tt-logid");

/// Largest answer body read (32 MiB); a longer one is a transport failure,
/// never an allocation without bound.
pub(crate) const MAX_ANSWER_BYTES: usize = 32 << 20;

/// Anything that can become the request of one operation: the request type
/// itself, a reference to it, the body type of a body-only operation, and the
/// convenience queries ([`OrderQuery`](crate::OrderQuery), …).
pub trait IntoRequest<R> {
    /// The request, or [`Error::InvalidRequest`] naming the field.
    fn into_request(self) -> Result<R, Error>;
}

impl<R> IntoRequest<R> for R {
    fn into_request(self) -> Result<R, Error> {
        Ok(self)
    }
}

impl<R: Clone> IntoRequest<R> for &R {
    fn into_request(self) -> Result<R, Error> {
        Ok(self.clone())
    }
}

/// A generated request type (one per operation).
pub(crate) trait OperationRequest: Send + Sync + 'static {
    /// The generated type of the HTTP 200 answer.
    type Response: Envelope<Data: Send + 'static> + Send;
    /// Which operation it is.
    const OPERATION: Operation;
    /// Its `operationId`.
    const OPERATION_ID: &'static str;
    /// Its fields as wire values, aligned with the spec's parameters.
    fn to_raw(&self) -> Result<RawRequest, Error>;
}

/// A request as wire values: one slot per parameter of the spec (in spec
/// order), and the body.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RawRequest {
    pub(crate) params: Vec<Option<Value>>,
    pub(crate) body: Option<Value>,
}

impl RawRequest {
    pub(crate) fn new(params: Vec<Option<Value>>, body: Option<Value>) -> Self {
        Self { params, body }
    }

    /// From `{wire name: value}` (a query string's or the CLI's) and a body.
    /// Unknown names are refused.
    pub(crate) fn from_json(
        spec: &'static OperationSpec,
        params: &Map<String, Value>,
        body: Option<Value>,
    ) -> Result<Self, Error> {
        let mut raw = RawRequest {
            params: vec![None; spec.params.len()],
            body,
        };
        for (name, value) in params {
            let Some(i) = spec.params.iter().position(|p| p.name == name.as_str()) else {
                let known: Vec<&str> = spec.params.iter().map(|p| p.name).collect();
                return Err(Error::InvalidRequest {
                    field: "parameters",
                    reason: format!(
                        "{} has no parameter {name:?} (it has: {})",
                        spec.id,
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                });
            };
            if !value.is_null() {
                raw.params[i] = Some(value.clone());
            }
        }
        Ok(raw)
    }

    /// The value of a request field: a parameter, else a top-level body field.
    pub(crate) fn get(&self, spec: &OperationSpec, name: &str) -> Option<&Value> {
        if let Some(i) = spec.params.iter().position(|p| p.name == name) {
            return self.params.get(i).and_then(Option::as_ref);
        }
        self.body.as_ref()?.get(name).filter(|v| !v.is_null())
    }

    /// Sets a request field (a parameter, else a top-level body field).
    pub(crate) fn set(&mut self, spec: &OperationSpec, name: &str, value: Value) {
        if let Some(i) = spec.params.iter().position(|p| p.name == name) {
            if let Some(slot) = self.params.get_mut(i) {
                *slot = Some(value);
            }
            return;
        }
        let body = self.body.get_or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(map) = body {
            map.insert(name.to_string(), value);
        }
    }
}

/// A body as a JSON value.
pub(crate) fn body_value<T: Serialize>(body: &T) -> Result<Value, Error> {
    serde_json::to_value(body).map_err(|e| Error::invalid("body", e.to_string()))
}

/// A validated request encoded once, sent as is by every attempt.
#[derive(Debug)]
pub(crate) struct Encoded {
    method: reqwest::Method,
    url: reqwest::Url,
    headers: HeaderMap,
    body: Option<Bytes>,
    /// Whether the request carries its operation's idempotency key.
    pub(crate) has_key: bool,
}

/// The text of a scalar on the wire (query values, headers, path segments).
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Encodes a validated request for `spec` against `base` (the client's
/// base URL, parsed once; its path is a prefix).
pub(crate) fn encode(
    base: &reqwest::Url,
    spec: &'static OperationSpec,
    raw: &RawRequest,
) -> Result<Encoded, Error> {
    let mut path = spec.path.to_string();
    let mut query: Vec<(&'static str, String)> = Vec::new();
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    // Documented on every page, GET included.
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for (param, value) in spec.params.iter().zip(&raw.params) {
        let Some(value) = value else { continue };
        match param.location {
            Location::Query => match value {
                Value::Array(items) if param.explode => {
                    query.extend(items.iter().map(|v| (param.name, scalar_text(v))));
                }
                Value::Array(items) => {
                    let joined: Vec<String> = items.iter().map(scalar_text).collect();
                    query.push((param.name, joined.join(",")));
                }
                v => query.push((param.name, scalar_text(v))),
            },
            Location::Header => {
                let name = HeaderName::from_bytes(param.name.as_bytes())
                    .map_err(|_| Error::invalid(param.name, "is not a valid header name"))?;
                let value = HeaderValue::from_str(&scalar_text(value)).map_err(|_| {
                    Error::invalid(param.name, "holds characters not allowed in an HTTP header")
                })?;
                headers.insert(name, value);
            }
            Location::Path => {
                let text = scalar_text(value);
                let encoded: String = url_segment(&text);
                path = path.replace(&format!("{{{}}}", param.name), &encoded);
            }
        }
    }
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    if prefix.is_empty() {
        url.set_path(&path);
    } else {
        url.set_path(&format!("{prefix}{path}"));
    }
    if !query.is_empty() {
        url.query_pairs_mut()
            .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
    }
    let body = match (&raw.body, spec.body) {
        (Some(b), Some(_)) => Some(Bytes::from(
            serde_json::to_vec(b).map_err(|e| Error::invalid("body", e.to_string()))?,
        )),
        (Some(_), None) => {
            return Err(Error::invalid("body", format!("{} takes no body", spec.id)));
        }
        (None, _) => None,
    };
    let has_key = spec
        .idempotency_key
        .is_some_and(|k| raw.get(spec, k).is_some_and(|v| !scalar_text(v).is_empty()));
    let method = reqwest::Method::from_bytes(spec.method.as_bytes())
        .map_err(|_| Error::Config(format!("{}: bad method {}", spec.id, spec.method)))?;
    Ok(Encoded {
        method,
        url,
        headers,
        body,
        has_key,
    })
}

/// Percent-encodes one path segment (RFC 3986 unreserved characters kept).
fn url_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An answer decoded as its operation's generated type, the type erased: the
/// pipeline around the decode (retries, token, deadline, span, the HTTP
/// exchange) is then compiled once for every operation, not once per
/// operation; only [`decode_erased`] is.
pub(crate) type Decoded = Box<dyn std::any::Any + Send>;

/// Decodes one operation's HTTP 200 body (operation id, body, the logid
/// header) and checks its envelope.
pub(crate) type DecodeFn =
    fn(&'static str, &[u8], Option<&str>) -> Result<Response<Decoded>, Error>;

/// [`decode_answer`] as a [`DecodeFn`].
pub(crate) fn decode_erased<T: Envelope<Data: Send + 'static>>(
    operation: &'static str,
    bytes: &[u8],
    header_logid: Option<&str>,
) -> Result<Response<Decoded>, Error> {
    decode_answer::<T>(operation, bytes, header_logid).map(|r| r.map(|d| Box::new(d) as Decoded))
}

/// The typed data back from a [`Decoded`] answer.
pub(crate) fn downcast<D: 'static>(
    spec: &'static OperationSpec,
    response: Response<Decoded>,
) -> Result<Response<D>, Error> {
    let (data, response) = response.split();
    match data.downcast::<D>() {
        Ok(data) => Ok(response.map(|()| *data)),
        Err(_) => Err(Error::Config(format!(
            "{}: the answer was decoded as another type",
            spec.id
        ))),
    }
}

/// One HTTP attempt: send, read the answer (capped), decode it with `decode`,
/// check the envelope and the per-item results. `retry` says whether an
/// earlier attempt of this call failed (then "already done" item results
/// count as success).
pub(crate) async fn send(
    http: &reqwest::Client,
    spec: &'static OperationSpec,
    encoded: &Encoded,
    token: Option<&SecretString>,
    retry: bool,
    decode: DecodeFn,
) -> Result<Response<Decoded>, Error> {
    let result = send_inner(http, spec, encoded, token, retry, decode).await;
    match (result, token) {
        (Err(e), Some(token)) => Err(crate::client::scrub(e, token.expose_secret(), false)),
        (result, _) => result,
    }
}

async fn send_inner(
    http: &reqwest::Client,
    spec: &'static OperationSpec,
    encoded: &Encoded,
    token: Option<&SecretString>,
    retry: bool,
    decode: DecodeFn,
) -> Result<Response<Decoded>, Error> {
    let operation = spec.id;
    let mut request = reqwest::Request::new(encoded.method.clone(), encoded.url.clone());
    *request.headers_mut() = encoded.headers.clone();
    if let Some(token) = token {
        let mut value = HeaderValue::from_str(token.expose_secret()).map_err(|_| {
            // Never echo the value: it is a secret.
            Error::Config("the access token holds characters not allowed in a header".into())
        })?;
        value.set_sensitive(true);
        request.headers_mut().insert(ACCESS_TOKEN, value);
    }
    if let Some(body) = &encoded.body {
        *request.body_mut() = Some(body.clone().into());
    }
    let response = http
        .execute(request)
        .await
        .map_err(|e| transport(operation, e))?;
    let header_logid = response
        .headers()
        .get(LOGID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if response.status().as_u16() != 200 {
        return Err(http_error(operation, response).await);
    }
    let bytes = read_all(response).await.map_err(|e| match e {
        ReadError::Transport(e) => transport(operation, e),
        ReadError::TooLarge => Error::Decode {
            operation,
            path: ".".into(),
            message: format!("the answer is larger than {MAX_ANSWER_BYTES} bytes"),
            body: String::new(),
            logid: header_logid.clone(),
        },
    })?;
    let response = decode(operation, &bytes, header_logid.as_deref())?;
    match spec.item_results {
        Some(items) => {
            let already = check_items(spec, items, &bytes, response.logid(), retry)?;
            Ok(response.with_already_done(already))
        }
        None => Ok(response),
    }
}

/// An HTTP 200 body decoded as `T` (repaired on the slow path when the real
/// API's answer is loose: numbers as strings, nulls), then the envelope check.
pub(crate) fn decode_answer<T: Envelope>(
    operation: &'static str,
    bytes: &[u8],
    header_logid: Option<&str>,
) -> Result<Response<T::Data>, Error> {
    match decode_typed::<T>(bytes, false) {
        Some((value, _)) => envelope::check(operation, value, header_logid),
        None => Err(envelope::undecodable(
            operation,
            bytes,
            header_logid,
            &envelope::probe::<T>,
        )),
    }
}

/// An HTTP 200 body as JSON (a [`DecodeFn`] for `call_json` and
/// `decode::answer`): decoded as its documented type `T` all the same, so a
/// malformed answer is still [`Error::Decode`] and the envelope is checked;
/// then the body's `data`, as repaired, is handed back. No answer type is
/// serialized again: their `Serialize` is not compiled into the pipeline.
pub(crate) fn decode_json<T: Envelope>(
    operation: &'static str,
    bytes: &[u8],
    header_logid: Option<&str>,
) -> Result<Response<Decoded>, Error> {
    match decode_typed::<T>(bytes, true) {
        Some((value, json)) => {
            let response = envelope::check(operation, value, header_logid)?;
            let data = json
                .and_then(|mut v| v.get_mut("data").map(Value::take))
                .unwrap_or(Value::Null);
            Ok(response.map(|_| Box::new(data) as Decoded))
        }
        None => Err(envelope::undecodable(
            operation,
            bytes,
            header_logid,
            &envelope::probe::<T>,
        )),
    }
}

/// `bytes` as `T`, repaired on the slow path; with `json`, the body (as
/// repaired) as JSON too.
fn decode_typed<T: DeserializeOwned>(bytes: &[u8], json: bool) -> Option<(T, Option<Value>)> {
    // One UTF-8 check of the whole body, then a parse that need not check
    // every string again (`from_str` over `from_slice`).
    let fast = std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| serde_json::from_str::<T>(text).ok());
    match fast {
        Some(value) => Some((
            value,
            json.then(|| serde_json::from_slice(bytes).ok()).flatten(),
        )),
        None => crate::lenient::repair::<T>(bytes).map(|(value, repaired)| (value, Some(repaired))),
    }
}

/// `x-douyin-verify-results`: every item's result must be 0; on a retry, the
/// "already done" results count as done and are reported on the response.
fn check_items(
    spec: &'static OperationSpec,
    items: crate::spec::ItemResultsSpec,
    body: &[u8],
    logid: Option<&str>,
    retry: bool,
) -> Result<Vec<usize>, Error> {
    // The body decoded as its type already; its items are read loosely here
    // (a result given as a numeric string counts as the number).
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let mut already = Vec::new();
    for (index, item) in value["data"][items.items]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let code = envelope::lenient_int(&item[items.result]).unwrap_or(0);
        if code == 0 {
            continue;
        }
        if retry && items.already_done.contains(&code) {
            already.push(index);
            continue;
        }
        return Err(Error::ItemFailed {
            operation: spec.id,
            index,
            result: code,
            message: item[items.message].as_str().unwrap_or_default().to_string(),
            logid: logid.map(str::to_string),
        });
    }
    Ok(already)
}

fn transport(operation: &'static str, e: reqwest::Error) -> Error {
    Error::Transport {
        operation,
        timeout: e.is_timeout(),
        attempts: 1,
        source: std::sync::Arc::new(e.without_url()),
    }
}

enum ReadError {
    Transport(reqwest::Error),
    TooLarge,
}

async fn read_all(mut response: reqwest::Response) -> Result<Bytes, ReadError> {
    let length = response
        .content_length()
        .and_then(|n| usize::try_from(n).ok());
    // A body with a length within the cap is taken whole, without a copy
    // (hyper reads no more than the length says).
    if let Some(n) = length
        && n <= MAX_ANSWER_BYTES
    {
        return response.bytes().await.map_err(ReadError::Transport);
    }
    if length.is_some() {
        return Err(ReadError::TooLarge);
    }
    // No length: chunks, counted against the cap; one chunk is kept as is.
    let mut first: Option<Bytes> = None;
    let mut buf = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Transport)? {
        let held = first.as_ref().map_or(0, Bytes::len) + buf.len();
        if held.saturating_add(chunk.len()) > MAX_ANSWER_BYTES {
            return Err(ReadError::TooLarge);
        }
        match first.take() {
            None if buf.is_empty() => first = Some(chunk),
            Some(earlier) => {
                buf.extend_from_slice(&earlier);
                buf.extend_from_slice(&chunk);
            }
            None => buf.extend_from_slice(&chunk),
        }
    }
    Ok(first.unwrap_or_else(|| Bytes::from(buf)))
}

impl Client {
    /// A typed call: the request's wire values through the pipeline.
    pub(crate) async fn call_typed<R: OperationRequest>(
        &self,
        request: &R,
    ) -> Result<Response<<R::Response as Envelope>::Data>, Error> {
        self.call_raw::<R>(request.to_raw()?).await
    }

    /// The pipeline for one operation's wire values.
    pub(crate) async fn call_raw<R: OperationRequest>(
        &self,
        raw: RawRequest,
    ) -> Result<Response<<R::Response as Envelope>::Data>, Error> {
        let spec = R::OPERATION.spec();
        let response = self
            .call_erased(spec, raw, decode_erased::<R::Response>)
            .await?;
        downcast(spec, response)
    }

    /// The pipeline, compiled once: validation, encoding, then
    /// [`execute`](Client::execute) with `decode` for the answers.
    async fn call_erased(
        &self,
        spec: &'static OperationSpec,
        raw: RawRequest,
        decode: DecodeFn,
    ) -> Result<Response<Decoded>, Error> {
        validate::request(spec, &raw)?;
        let encoded = encode(self.base(), spec, &raw)?;
        self.execute(spec, &encoded, decode).await
    }

    /// Calls any operation with JSON values: `params` maps wire names of
    /// query, header and path parameters to values, `body` is the JSON body.
    /// The answer is decoded as the operation's documented type (so a
    /// malformed answer is still [`Error::Decode`]) and handed back as JSON.
    ///
    /// The same pipeline as the typed methods: validation against the spec,
    /// token, retries, deadline, envelope check.
    ///
    /// ```no_run
    /// # async fn run(client: douyin_goodlife::Client) -> Result<(), douyin_goodlife::Error> {
    /// use douyin_goodlife::Operation;
    /// use serde_json::json;
    ///
    /// let params = json!({"account_id": 7136075595087087628i64, "out_spu_id": "zhizhiputao"});
    /// let spu = client
    ///     .call_json(Operation::GetFoodOrderSpuDetail, params.as_object().unwrap(), None)
    ///     .await?;
    /// println!("{}", spu.data()["spu_online"]["spu"]["spu_name"]);
    /// # Ok(()) }
    /// ```
    pub async fn call_json(
        &self,
        operation: Operation,
        params: &Map<String, Value>,
        body: Option<Value>,
    ) -> Result<Response<Value>, Error> {
        let spec = operation.spec();
        let raw = RawRequest::from_json(spec, params, body)?;
        let decode = crate::generated_ops::json_decoder(operation);
        downcast(spec, self.call_erased(spec, raw, decode).await?)
    }

    /// Every item of a paginated operation, as JSON values, page after page
    /// (see [`call_json`](Self::call_json) for the arguments). `None` when
    /// the operation declares no `x-douyin-pagination`.
    pub fn stream_json(
        &self,
        operation: Operation,
        params: &Map<String, Value>,
        body: Option<Value>,
    ) -> Result<Option<crate::pagination::JsonStream>, Error> {
        let raw = RawRequest::from_json(operation.spec(), params, body)?;
        Ok(crate::generated_ops::stream_dynamic(
            self.clone(),
            operation,
            raw,
        ))
    }
}

/// Parses `T` from a JSON value (used by the streams' page mapping).
#[allow(dead_code)]
pub(crate) fn from_value<T: DeserializeOwned>(v: Value) -> Option<T> {
    serde_json::from_value(v).ok()
}
