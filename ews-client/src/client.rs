//! [`Client`]: typed calls for every generated operation, with retries and throttling.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use ews_types::m::ResponseCode;
use ews_types::runtime::{Operation, ResponseBody};
use ews_types::t;
use http::{HeaderMap, HeaderValue};
use tokio::time::Instant;
use tracing::Instrument;

use crate::auth::{Credentials, TokenKind};
use crate::error::{Error, ErrorKind, excerpt};
use crate::results;
use crate::retry::{self, RetryPolicy};
use crate::soap::{self, RequestHeaders};
use crate::throttle::Gates;
use crate::transport::{HttpRequest, HttpResponse, Transport, TransportError};

/// An EWS client. Cheap to clone: clones share the connection pool, token cache, throttling
/// state and concurrency limits.
///
/// ```no_run
/// # async fn run() -> Result<(), ews_client::Error> {
/// use ews_client::{Client, Credentials};
/// use ews_types::{m, t};
///
/// let client = Client::builder("https://mail.contoso.com/EWS/Exchange.asmx")
///     .credentials(Credentials::basic("user@contoso.com", "password"))
///     .build()?;
/// let inbox = t::DistinguishedFolderId::new(t::DistinguishedFolderIdName::Inbox);
/// let request = m::GetFolder::new(
///     t::FolderResponseShape::new(t::DefaultShapeNames::Default),
///     t::NonEmptyArrayOfBaseFolderIds::new(
///         t::NonEmptyArrayOfBaseFolderIdsChoice::DistinguishedFolderId(inbox),
///     ),
/// );
/// let response = client.send(&request).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
    pub(crate) scope: Scope,
}

/// State shared by a client and its clones.
pub(crate) struct Shared {
    pub endpoint: String,
    pub transport: Arc<dyn Transport>,
    pub credentials: Credentials,
    pub headers: RequestHeaders,
    pub user_agent: String,
    pub retry: RetryPolicy,
    pub gates: Gates,
    pub log_bodies: bool,
    pub rng: Mutex<fastrand::Rng>,
    pub server_version: Mutex<Option<t::ServerVersionInfo>>,
}

/// What a scoped client adds to each request: an identity for throttling, and headers. Its
/// fields are this room's alone; the access modes change them through the `Client` methods
/// below (`delegating_to`, `impersonating`, `in_affinity_group`, `in_time_zone`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Scope {
    /// Throttling identity: the credential, plus the impersonated mailbox if any.
    identity: String,
    /// `X-AnchorMailbox`.
    anchor: Option<HeaderValue>,
    /// The `ExchangeImpersonation` header.
    impersonation: Option<t::ExchangeImpersonation>,
    /// The target mailbox, for traces.
    mailbox: Option<String>,
    /// The subscription group whose server-affinity cookie the requests carry.
    affinity: Option<crate::affinity::AffinityGroup>,
    /// A `TimeZoneContext` replacing the client's own.
    time_zone: Option<t::TimeZoneContext>,
}

impl Scope {
    /// The scope of a new client signed in as `identity`.
    pub(crate) fn signed_in(identity: String) -> Scope {
        Scope {
            identity,
            ..Scope::default()
        }
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &crate::redact::url(&self.shared.endpoint))
            .field("credentials", &self.shared.credentials)
            .field("version", &self.shared.headers.version)
            .field("mailbox", &self.scope.mailbox)
            .finish()
    }
}

/// A response with what the envelope said around it.
#[derive(Debug, Clone)]
pub struct Response<R> {
    body: R,
    server_version: Option<t::ServerVersionInfo>,
    request_id: Option<String>,
}

impl<R: ResponseBody> Response<R> {
    /// The response body, per-item errors unchecked.
    pub fn body(&self) -> &R {
        &self.body
    }

    /// The response body, per-item errors unchecked.
    pub fn into_body(self) -> R {
        self.body
    }

    /// The `ServerVersionInfo` SOAP header.
    pub fn server_version(&self) -> Option<&t::ServerVersionInfo> {
        self.server_version.as_ref()
    }

    /// The server's `request-id` header.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The body if every response message succeeded; otherwise the first failure (with its
    /// item index). For requests of several items, [`Response::into_results`] keeps every
    /// item's outcome.
    pub fn check(self) -> Result<R, Error> {
        let failed: Vec<Error> = self
            .body
            .messages()
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                let mut e =
                    results::message_error(&ews_types::runtime::ResponseMessage::status(m))?;
                e.inner_mut().item_index = Some(i);
                Some(e)
            })
            .collect();
        match failed.into_iter().next() {
            None => Ok(self.body),
            Some(e) => Err(e.with_request_id(self.request_id)),
        }
    }

    /// One result per request item, in order. `expected` is the number of items the request
    /// carried: a different number of messages is a [`ErrorKind::MalformedResponse`] error,
    /// and a single error answering several items fails the whole call.
    pub fn into_results(self, expected: usize) -> Result<Vec<Result<R::Message, Error>>, Error> {
        let id = self.request_id;
        results::per_item(self.body.into_messages(), expected).map_err(|e| e.with_request_id(id))
    }
}

impl Client {
    /// The `RequestServerVersion` this client sends ([`ClientBuilder::server_version`]).
    ///
    /// [`ClientBuilder::server_version`]: crate::ClientBuilder::server_version
    pub fn requested_version(&self) -> t::ExchangeVersion {
        self.shared.headers.version
    }

    /// This client acting on `principal`'s mailbox by delegate access: requests anchored on it
    /// (`anchor` is its `X-AnchorMailbox` value).
    pub(crate) fn delegating_to(&self, principal: &str, anchor: HeaderValue) -> Client {
        let mut c = self.clone();
        c.scope.anchor = Some(anchor);
        c.scope.mailbox = Some(principal.to_owned());
        c
    }

    /// This client impersonating: the `ExchangeImpersonation` header, anchored on
    /// `anchor_smtp`, throttled as its own identity.
    pub(crate) fn impersonating(
        &self,
        header: t::ExchangeImpersonation,
        anchor_smtp: &str,
        anchor: HeaderValue,
    ) -> Client {
        let mut c = self.clone();
        c.scope.impersonation = Some(header);
        c.scope.anchor = Some(anchor);
        c.scope.identity = format!(
            "{}|as:{}",
            self.scope.identity,
            anchor_smtp.to_ascii_lowercase()
        );
        c.scope.mailbox = Some(anchor_smtp.to_owned());
        c
    }

    /// This client with its requests in `group` (affinity headers and cookie).
    pub(crate) fn in_affinity_group(&self, group: &crate::affinity::AffinityGroup) -> Client {
        let mut c = self.clone();
        c.scope.affinity = Some(group.clone());
        c
    }

    /// This client with another `TimeZoneContext` for its requests (the builder's
    /// [`time_zone`](crate::ClientBuilder::time_zone) is the default): times written without
    /// an offset are read in `zone`, and new appointments naming no zone get it.
    pub fn in_time_zone(&self, zone: impl Into<t::TimeZoneContext>) -> Client {
        let mut c = self.clone();
        c.scope.time_zone = Some(zone.into());
        c
    }

    /// The last `ServerVersionInfo` any call of this client (or a clone) received.
    pub fn server_version(&self) -> Option<t::ServerVersionInfo> {
        self.shared.server_version.lock().expect("lock").clone()
    }

    /// The current concurrency limit of this client's identity (lowered by the server's
    /// `ErrorExceededConnectionCount`).
    pub fn concurrency_limit(&self) -> usize {
        self.shared.gates.get(&self.scope.identity).limit()
    }

    /// Sends `request` and returns its response if every response message succeeded.
    ///
    /// Errors of the transport, HTTP and SOAP-fault layers, and the first failed response
    /// message, are returned as [`Error`]. Use [`Client::send_batch`] for requests of several
    /// items and [`Client::send_raw`] to inspect messages yourself.
    ///
    /// Dropping the returned future cancels the request; for a write the server may still
    /// complete it.
    pub async fn send<O: Operation>(&self, request: &O) -> Result<O::Response, Error> {
        self.send_raw(request)
            .await?
            .check()
            .map_err(|e| e.with_operation(O::NAME))
    }

    /// Sends a request of `expected` items and returns one result per item, in order.
    pub async fn send_batch<O: Operation>(
        &self,
        request: &O,
        expected: usize,
    ) -> Result<Vec<Result<<O::Response as ResponseBody>::Message, Error>>, Error> {
        let r = self.send_raw(request).await?;
        r.into_results(expected).map(|v| {
            v.into_iter()
                .map(|r| r.map_err(|e| e.with_operation(O::NAME)))
                .collect()
        })
    }

    /// Sends `request`; per-item response messages are left for the caller to check.
    pub async fn send_raw<O: Operation>(
        &self,
        request: &O,
    ) -> Result<Response<O::Response>, Error> {
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let span = tracing::info_span!(
            "ews",
            operation = O::NAME,
            mailbox = self.scope.mailbox.as_deref().unwrap_or(""),
            client_request_id = %client_request_id,
            request_id = tracing::field::Empty,
        );
        self.execute(request, client_request_id)
            .instrument(span)
            .await
            .map_err(|e| e.with_operation(O::NAME))
    }

    /// Sends `request` once (no retries: a streaming caller reconnects deliberately) and hands
    /// out the response body as it arrives, for at most `timeout`. A status other than 200 is
    /// an error, as for any request.
    pub(crate) async fn open_stream<O: Operation>(
        &self,
        request: &O,
        timeout: Duration,
    ) -> Result<crate::transport::StreamingResponse, Error> {
        let sh = &*self.shared;
        let mut headers = sh.headers.clone();
        headers.impersonation = self.scope.impersonation.clone();
        let body = Bytes::from(soap::write_request(request, &headers)?);
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let http = HttpRequest {
            url: sh.endpoint.clone(),
            headers: self.request_headers::<O>(&client_request_id, false).await?,
            body,
        };
        let resp = sh
            .transport
            .send_streaming(http, timeout)
            .await
            .map_err(|t| t.into_error().with_operation(O::NAME))?;
        if let Some(group) = &self.scope.affinity {
            group.capture(&resp.headers);
        }
        if resp.status != 200 {
            let mut e = Error::new(ErrorKind::Http, "the streaming request was refused");
            e.inner_mut().status = Some(resp.status);
            return Err(e.with_operation(O::NAME));
        }
        Ok(resp)
    }

    /// POSTs a document that is not an EWS request (Autodiscover's) to the endpoint, signed in
    /// as any request is; the answer whatever its status. Not retried.
    pub(crate) async fn post_document(
        &self,
        body: String,
        soap_action: Option<&str>,
    ) -> Result<HttpResponse, Error> {
        let sh = &*self.shared;
        let mut h = HeaderMap::new();
        h.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/xml; charset=utf-8"),
        );
        if let Some(a) = soap_action.and_then(|a| HeaderValue::from_str(a).ok()) {
            h.insert("soapaction", a);
        }
        if let Ok(ua) = HeaderValue::from_str(&sh.user_agent) {
            h.insert(http::header::USER_AGENT, ua);
        }
        if let Some(auth) = sh.credentials.header(false).await? {
            h.insert(http::header::AUTHORIZATION, auth);
        }
        let req = HttpRequest {
            url: sh.endpoint.clone(),
            headers: h,
            body: Bytes::from(body),
        };
        sh.transport.send(req).await.map_err(|t| t.into_error())
    }

    async fn execute<O: Operation>(
        &self,
        request: &O,
        client_request_id: String,
    ) -> Result<Response<O::Response>, Error> {
        let sh = &*self.shared;
        let mut headers = sh.headers.clone();
        headers.impersonation = self.scope.impersonation.clone();
        if let Some(tz) = &self.scope.time_zone {
            headers.time_zone = Some(tz.clone());
        }
        match (sh.credentials.token_kind(), headers.impersonation.is_some()) {
            (TokenKind::AppOnly, false) => {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "app-only OAuth tokens require the ExchangeImpersonation header: send \
                     through client.impersonate(…)",
                ));
            }
            (TokenKind::Delegated, true) => {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "a delegated (user) token cannot impersonate: use delegate access \
                     (client.mailbox(…)) or an app-only token",
                ));
            }
            _ => {}
        }
        let xml = soap::write_request(request, &headers)?;
        if sh.log_bodies {
            tracing::trace!(body = %xml, "request");
        }
        let body = Bytes::from(xml);
        let read = O::READ_ONLY;
        let policy = &sh.retry;
        let gate = sh.gates.get(&self.scope.identity);
        let deadline = Instant::now() + policy.deadline;
        let mut refresh = false;
        let mut refreshed = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            if let Some(until) = gate.paused_until() {
                if policy.enabled && until > deadline {
                    return Err(past_deadline(until - Instant::now()));
                }
                tracing::debug!(wait = ?(until - Instant::now()), "identity paused by throttling");
                tokio::time::sleep_until(until).await;
            }
            let permit = gate.acquire().await;
            let http = HttpRequest {
                url: sh.endpoint.clone(),
                headers: self
                    .request_headers::<O>(&client_request_id, refresh)
                    .await?,
                body: body.clone(),
            };
            refresh = false;
            tracing::trace!(attempt, headers = ?crate::redact::headers(&http.headers), "sending");
            let result = sh.transport.send(http).await;
            drop(permit);
            let err = match self.interpret::<O>(result, read) {
                Ok(r) => return Ok(r),
                Err(e) => e,
            };
            if err.kind() == ErrorKind::Auth
                && err.status() == Some(401)
                && sh.credentials.refreshable()
                && !refreshed
            {
                tracing::debug!("401: refreshing the token once");
                refreshed = true;
                refresh = true;
                continue;
            }
            if matches!(
                err.response_code(),
                Some(ResponseCode::ErrorExceededConnectionCount)
            ) {
                gate.shrink();
            }
            if err.is_throttled() {
                crate::throttle::note_throttled();
            }
            if !policy.enabled
                || attempt >= policy.max_attempts
                || !retry::retryable(&err, read, true)
            {
                return Err(err);
            }
            let wait = {
                let w = policy.wait(&err, attempt);
                policy.with_jitter(w, &sh.rng)
            };
            if Instant::now() + wait > deadline {
                return Err(if err.is_throttled() {
                    past_deadline(wait)
                } else {
                    err
                });
            }
            tracing::debug!(error = %err, ?wait, attempt, "retrying");
            if err.is_throttled() {
                gate.pause(wait);
            } else {
                tokio::time::sleep(wait).await;
            }
        }
    }

    async fn request_headers<O: Operation>(
        &self,
        client_request_id: &str,
        refresh: bool,
    ) -> Result<HeaderMap, Error> {
        let sh = &*self.shared;
        let mut h = HeaderMap::new();
        h.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/xml; charset=utf-8"),
        );
        h.insert(http::header::ACCEPT, HeaderValue::from_static("text/xml"));
        let action = HeaderValue::from_str(&format!("\"{}\"", O::SOAP_ACTION))
            .map_err(|_| Error::new(ErrorKind::InvalidInput, "invalid SOAPAction"))?;
        h.insert("soapaction", action);
        if let Ok(ua) = HeaderValue::from_str(&sh.user_agent) {
            h.insert(http::header::USER_AGENT, ua);
        }
        if let Ok(id) = HeaderValue::from_str(client_request_id) {
            h.insert("client-request-id", id);
        }
        h.insert("return-client-request-id", HeaderValue::from_static("true"));
        if let Some(anchor) = &self.scope.anchor {
            h.insert("x-anchormailbox", anchor.clone());
        }
        if let Some(group) = &self.scope.affinity {
            group.add_headers(&mut h);
        }
        if let Some(auth) = sh.credentials.header(refresh).await? {
            h.insert(http::header::AUTHORIZATION, auth);
        }
        Ok(h)
    }

    fn interpret<O: Operation>(
        &self,
        result: Result<HttpResponse, TransportError>,
        read: bool,
    ) -> Result<Response<O::Response>, Error> {
        let resp = match result {
            Ok(r) => r,
            Err(t) => {
                let unknown = t.sent && !read;
                return Err(t.into_error().set_outcome_unknown(unknown));
            }
        };
        if let Some(group) = &self.scope.affinity {
            group.capture(&resp.headers);
        }
        let request_id = header(&resp.headers, "request-id");
        if let Some(id) = &request_id {
            tracing::Span::current().record("request_id", id.as_str());
        }
        if self.shared.log_bodies {
            tracing::trace!(
                status = resp.status,
                headers = ?crate::redact::headers(&resp.headers),
                body = %String::from_utf8_lossy(&resp.body),
                "response"
            );
        }
        let on_write = |e: Error| e.set_outcome_unknown(!read);
        http_error(&resp)
            .map_or(Ok(()), Err)
            .and_then(|()| self.parse::<O>(&resp))
            .map(|(body, server_version)| Response {
                body,
                server_version,
                request_id: request_id.clone(),
            })
            .map_err(|e| {
                let unknown = resp.status == 200 && e.kind() == ErrorKind::MalformedResponse;
                let e = e.with_request_id(request_id.clone());
                if unknown { on_write(e) } else { e }
            })
    }

    fn parse<O: Operation>(
        &self,
        resp: &HttpResponse,
    ) -> Result<(O::Response, Option<t::ServerVersionInfo>), Error> {
        let body = resp
            .body
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&resp.body);
        if let Some(enc) = foreign_encoding(body) {
            return Err(malformed(
                resp,
                &format!("the response is {enc}; only UTF-8 is supported"),
            ));
        }
        let text = std::str::from_utf8(body)
            .map_err(|_| malformed(resp, "the response is not UTF-8 (only UTF-8 is supported)"))?;
        let parsed = soap::read_response::<O::Response>(text, O::RESPONSE_ELEMENT)
            .map_err(|e| malformed(resp, &e.to_string()))?;
        if let Some(v) = &parsed.server_version {
            *self.shared.server_version.lock().expect("lock") = Some(v.clone());
        }
        match parsed.body {
            Err(fault) => {
                let mut e = soap::fault_error(&fault);
                e.inner_mut().status = Some(resp.status);
                if e.retry_after().is_none() {
                    e.inner_mut().retry_after = retry_after(&resp.headers);
                }
                Err(e)
            }
            Ok(body) => match results::nothing_processed(body.messages()) {
                Some(e) => Err(e),
                None => Ok((body, parsed.server_version)),
            },
        }
    }
}

/// Errors decided by the status and headers alone: redirects, 401/403, and non-XML bodies.
fn http_error(resp: &HttpResponse) -> Option<Error> {
    let status = resp.status;
    let with_status = |mut e: Error| {
        e.inner_mut().status = Some(status);
        e.inner_mut().retry_after = retry_after(&resp.headers);
        e
    };
    if (300..400).contains(&status) {
        let location = header(&resp.headers, "location");
        let shown = location.as_deref().map(crate::redact::url);
        let mut e = with_status(Error::new(
            ErrorKind::Redirect,
            format!("to {}", shown.as_deref().unwrap_or("(no location)")),
        ));
        e.inner_mut().location = location;
        return Some(e);
    }
    if status == 401 || status == 403 || status == 456 {
        let cas = header(&resp.headers, "x-caserrorcode");
        let mut msg = format!("HTTP {status}");
        if let Some(c) = &cas {
            msg.push_str(&format!(" ({})", excerpt(c.as_bytes())));
        }
        msg.push_str(
            "; on Exchange Online, EWS may also be disabled for this tenant or app \
             (EWSEnabled, EwsAllowedAppIDs)",
        );
        let mut e = with_status(Error::new(ErrorKind::Auth, msg));
        e.inner_mut().cas_error_code = cas;
        return Some(e);
    }
    let xml = is_xml(resp);
    if status == 200 && !xml {
        return Some(with_status(Error::new(
            ErrorKind::UnexpectedContentType,
            format!(
                "{} instead of XML: {}",
                header(&resp.headers, "content-type").unwrap_or_else(|| "no content type".into()),
                excerpt(&resp.body)
            ),
        )));
    }
    if status != 200 && !xml {
        return Some(with_status(Error::new(
            ErrorKind::Http,
            excerpt(&resp.body),
        )));
    }
    None
}

/// A body in an encoding other than UTF-8: a UTF-16 byte-order mark or NUL bytes, or an XML
/// declaration naming another encoding.
fn foreign_encoding(body: &[u8]) -> Option<String> {
    if body.starts_with(&[0xFF, 0xFE]) || body.starts_with(&[0xFE, 0xFF]) || body.contains(&0) {
        return Some("UTF-16 (or contains NUL bytes)".into());
    }
    let decl = body.strip_prefix(b"<?xml")?;
    let end = decl.iter().position(|b| *b == b'>')?;
    let decl = std::str::from_utf8(&decl[..end]).ok()?.to_ascii_lowercase();
    let enc = decl.split("encoding=").nth(1)?;
    let enc = enc.trim_start().trim_start_matches(['"', '\'']);
    let enc: String = enc
        .chars()
        .take_while(|c| !matches!(c, '"' | '\''))
        .collect();
    (!matches!(enc.as_str(), "utf-8" | "utf8" | "us-ascii")).then(|| format!("declared {enc}"))
}

fn is_xml(resp: &HttpResponse) -> bool {
    match header(&resp.headers, "content-type") {
        Some(ct) => ct.to_ascii_lowercase().contains("xml"),
        // No content type: sniff.
        None => resp
            .body
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'<' || *b == 0xEF),
    }
}

fn malformed(resp: &HttpResponse, what: &str) -> Error {
    let mut e = Error::new(
        if resp.status == 200 {
            ErrorKind::MalformedResponse
        } else {
            ErrorKind::Http
        },
        format!("{what}; body starts: {}", excerpt(&resp.body)),
    );
    e.inner_mut().status = Some(resp.status);
    e.inner_mut().retry_after = retry_after(&resp.headers);
    e
}

fn past_deadline(wait: Duration) -> Error {
    let mut e = Error::new(
        ErrorKind::Throttled,
        format!("the server asked to wait {wait:?}, past the call's deadline"),
    );
    e.inner_mut().retry_after = Some(wait);
    e
}

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_owned())
}

fn retry_after(h: &HeaderMap) -> Option<Duration> {
    header(h, "retry-after").and_then(|v| retry::parse_retry_after(&v))
}
