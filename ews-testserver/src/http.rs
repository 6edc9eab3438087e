//! HTTP: the EWS endpoint and the schema files.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ews_types::runtime::{Part, ReaderConfig, read_envelope_with};
use ews_types::{Element, m, t};
use http_body_util::BodyExt;

use crate::State;
use crate::auth::{Account, Conn, SignIn, sign_in};
use crate::config::Limits;
use crate::faults::Exchange;
use crate::ops;
use crate::soap::{Fault, line_col, response};

pub(crate) fn router(state: Arc<State>) -> Router {
    let ews = Router::new()
        .route("/EWS/Exchange.asmx", post(ews))
        .route("/EWS/{file}", get(schema_file));
    crate::autodiscover::routes(ews).with_state(state)
}

/// Accepts connections until `stop` fires. Each connection must send a complete request header
/// within `header_timeout` (HTTP/1.1 keep-alive included), or it is closed: a client that
/// opens connections and says nothing holds none of them for long.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    header_timeout: std::time::Duration,
    tls: Option<Arc<crate::tls::Tls>>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    loop {
        let (stream, _) = tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        // Each connection has its own sign-in state (NTLM and Negotiate authenticate
        // connections), handed to the handlers as an extension.
        let conn = Arc::new(Conn::new(tls.as_deref()));
        let service = TowerToHyperService::new(app.clone().layer(axum::Extension(conn)));
        let tls = tls.clone();
        tokio::spawn(async move {
            let http = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .to_owned();
            let served = match tls {
                None => http.serve_connection(TokioIo::new(stream), service).await,
                Some(tls) => {
                    let handshake =
                        tokio::time::timeout(header_timeout, tls.acceptor.accept(stream)).await;
                    match handshake {
                        Ok(Ok(stream)) => {
                            http.serve_connection(TokioIo::new(stream), service).await
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => return,
                    }
                }
            };
            if let Err(e) = served {
                tracing::debug!(error = %e, "connection closed");
            }
        });
    }
}

fn xml(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    r
}

async fn schema_file(
    AxState(state): AxState<Arc<State>>,
    axum::Extension(conn): axum::Extension<Arc<Conn>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    // Exchange serves its schema to signed-in users only.
    if let SignIn::Challenge(offers) = sign_in(&state, &conn, &headers) {
        let (status, _, text, extra) = unauthorized(offers);
        return with_headers((status, text).into_response(), extra);
    }
    let name = match file.to_ascii_lowercase().as_str() {
        "services.wsdl" => "services.wsdl",
        "messages.xsd" => "messages.xsd",
        "types.xsd" => "types.xsd",
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let Some(dir) = &state.schema_dir else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match std::fs::read_to_string(dir.join(name)) {
        Ok(text) => xml(StatusCode::OK, text),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The EWS endpoint. Signing in is checked on the headers alone, before any of the body is
/// read; the body is then read within the size and time limits, and must be UTF-8.
async fn ews(AxState(state): AxState<Arc<State>>, request: Request) -> Response {
    let latency = state.control.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let conn = parts
        .extensions
        .get::<Arc<Conn>>()
        .cloned()
        .unwrap_or_default();
    // Negotiate's mutual-authentication token goes with the answer, whatever it is.
    let signed = sign_in(&state, &conn, &headers);
    let proof: Vec<(&'static str, String)> = match &signed {
        SignIn::Account(_, tokens) => tokens
            .iter()
            .map(|t| ("www-authenticate", t.clone()))
            .collect(),
        SignIn::Challenge(_) => Vec::new(),
    };
    let (status, operation, request, text, mut extra) = match signed {
        SignIn::Challenge(offers) => {
            // A leg of an NTLM or Negotiate handshake must keep its connection (the next leg
            // comes on it), so its body is read, within the limits, as IIS does; a client
            // that sends no credentials gets its 401 without the body being read.
            if offers
                .iter()
                .any(|o| !o.starts_with("Basic") && o.contains(' '))
            {
                let _ = read_body(&state.org.limits, &headers, body).await;
            }
            let (status, op, text, extra) = unauthorized(offers);
            (status, op, String::new(), text, extra)
        }
        SignIn::Account(account, _) => match read_body(&state.org.limits, &headers, body).await {
            Err(refused) => (refused.0, None, String::new(), refused.1.into(), close()),
            Ok(bytes) => match String::from_utf8(bytes.to_vec()) {
                Ok(request) => match handle(&state, account, &headers, &request).await {
                    Answer::Text((status, op, text, extra)) => (status, op, request, text, extra),
                    Answer::Stream(op, plan) => {
                        state.control.record(Exchange {
                            operation: Some(op),
                            status: 200,
                            request,
                            response: crate::faults::STREAMED.into(),
                        });
                        let mut r = Response::new(crate::streaming::body(state.clone(), plan));
                        r.headers_mut().insert(
                            header::CONTENT_TYPE,
                            HeaderValue::from_static("text/xml; charset=utf-8"),
                        );
                        return with_headers(r, proof);
                    }
                },
                Err(e) => {
                    let valid = String::from_utf8_lossy(&bytes[..e.utf8_error().valid_up_to()])
                        .into_owned();
                    let (line, col) = line_col(&valid, valid.len() as u64);
                    let f = Fault::new(
                        m::ResponseCode::ErrorSchemaValidation,
                        "The request failed schema validation.",
                    )
                    .with("LineNumber", line.to_string())
                    .with("LinePosition", col.to_string())
                    .with("Violation", "The request is not valid UTF-8.".to_owned());
                    let (status, op, text, extra) = fault(f, None);
                    (status, op, String::new(), text, extra)
                }
            },
        },
    };
    state.control.record(Exchange {
        operation,
        status: status.as_u16(),
        request,
        response: text.clone(),
    });
    let r = if status.is_success() || status == StatusCode::INTERNAL_SERVER_ERROR {
        xml(status, text)
    } else {
        (status, text).into_response()
    };
    extra.extend(proof);
    with_headers(r, extra)
}

/// Sets headers; a name given twice in `extra` (`WWW-Authenticate`) is sent twice.
fn with_headers(mut r: Response, extra: Vec<(&'static str, String)>) -> Response {
    let mut set: Vec<&str> = Vec::new();
    for (k, v) in extra {
        if let Ok(v) = HeaderValue::from_str(&v) {
            if set.contains(&k) {
                r.headers_mut().append(k, v);
            } else {
                r.headers_mut().insert(k, v);
                set.push(k);
            }
        }
    }
    r
}

fn unauthorized(offers: Vec<String>) -> Handled {
    (
        StatusCode::UNAUTHORIZED,
        None,
        "401 Unauthorized".into(),
        offers
            .into_iter()
            .map(|o| ("www-authenticate", o))
            .collect(),
    )
}

fn close() -> Vec<(&'static str, String)> {
    vec![("connection", "close".into())]
}

/// The body, within `limits`: 413 for one larger than allowed (from its `Content-Length`
/// before reading, or while reading a chunked one), 408 for one that stalls.
async fn read_body(
    limits: &Limits,
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, (StatusCode, &'static str)> {
    const TOO_LARGE: (StatusCode, &str) = (
        StatusCode::PAYLOAD_TOO_LARGE,
        "413 Request Entity Too Large",
    );
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body_bytes as u64) {
        return Err(TOO_LARGE);
    }
    let limited = http_body_util::Limited::new(body, limits.max_body_bytes);
    let wait = std::time::Duration::from_millis(limits.body_timeout_ms);
    match tokio::time::timeout(wait, limited.collect()).await {
        Err(_) => Err((StatusCode::REQUEST_TIMEOUT, "408 Request Timeout")),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(TOO_LARGE),
        Ok(Err(_)) => Err((StatusCode::BAD_REQUEST, "400 Bad Request")),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

type Handled = (
    StatusCode,
    Option<String>,
    String,
    Vec<(&'static str, String)>,
);

/// What a request gets: one envelope, or a stream of them (`GetStreamingEvents`).
enum Answer {
    Text(Handled),
    Stream(String, crate::streaming::Plan),
}

impl From<Handled> for Answer {
    fn from(h: Handled) -> Self {
        Answer::Text(h)
    }
}

fn fault(f: Fault, op: Option<String>) -> Handled {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        op,
        f.to_xml(),
        Vec::new(),
    )
}

async fn handle(state: &State, account: Account, headers: &HeaderMap, request: &str) -> Answer {
    let (backend, set_cookie) = route(state, &account, headers);
    let mut stream = None;
    let mut answer = handle_text(state, account, headers, request, backend, &mut stream).await;
    if let Some(cookie) = set_cookie {
        answer.3.push(("set-cookie", cookie));
    }
    match stream {
        Some((op, plan)) => Answer::Stream(op, plan),
        None => Answer::Text(answer),
    }
}

const AFFINITY_COOKIE: &str = "X-BackEndOverrideCookie";
const BACKEND: &str = "ews-testserver-backend-";

/// The mailbox server a request goes to (`Faults::backends`): the one its
/// `X-BackEndOverrideCookie` names, else its anchor mailbox's, else the account's own; and the
/// cookie to set when it asks for affinity (`X-PreferServerAffinity: true`) without one.
fn route(state: &State, account: &Account, headers: &HeaderMap) -> (usize, Option<String>) {
    let backends = state.org.faults.backends.max(1);
    let from_cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| name.eq_ignore_ascii_case(AFFINITY_COOKIE))
        .and_then(|(_, value)| value.strip_prefix(BACKEND)?.parse::<usize>().ok())
        .filter(|n| *n < backends);
    let mailbox = headers
        .get("x-anchormailbox")
        .and_then(|v| v.to_str().ok())
        .and_then(|a| state.store().find_smtp(a))
        .or(account.mailbox);
    let backend = from_cookie.unwrap_or_else(|| mailbox.map_or(0, |i| i % backends));
    let wants = headers
        .get("x-preferserveraffinity")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let cookie = (wants && from_cookie.is_none())
        .then(|| format!("{AFFINITY_COOKIE}={BACKEND}{backend}; path=/; HttpOnly"));
    (backend, cookie)
}

/// Answers a request with one envelope; a `GetStreamingEvents` that may stream leaves its plan
/// in `stream` instead.
async fn handle_text(
    state: &State,
    account: Account,
    headers: &HeaderMap,
    request: &str,
    backend: usize,
    stream: &mut Option<(String, crate::streaming::Plan)>,
) -> Handled {
    if state.control.take_unavailable() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            "Service Unavailable".into(),
            vec![("retry-after", "1".into())],
        );
    }
    // Read as Exchange does: validated against the schema (order, unknown elements and
    // attributes, facets), the first violation reported with its line and position.
    let env = match read_envelope_with::<Element>(request, ReaderConfig::strict()) {
        Ok(env) => env,
        Err(e) => {
            let (line, col) = line_col(request, e.position);
            let f = Fault::new(
                m::ResponseCode::ErrorSchemaValidation,
                "The request failed schema validation.",
            )
            .with("LineNumber", line.to_string())
            .with("LinePosition", col.to_string())
            .with("Violation", e.kind.to_string());
            return fault(f, None);
        }
    };
    let mut impersonation = None;
    let mut time_zone = None;
    for h in &env.headers {
        match h {
            Part::Known(Element::Types(t::GlobalElement::ExchangeImpersonation(i))) => {
                impersonation = Some(i.clone());
            }
            Part::Known(Element::Types(t::GlobalElement::TimeZoneContext(z))) => {
                time_zone = Some(z);
            }
            _ => {}
        }
    }
    let body = env.body.into_iter().find_map(|p| match p {
        Part::Known(Element::Messages(m)) => Some(m),
        _ => None,
    });
    let Some(body) = body else {
        return fault(
            Fault::new(
                m::ResponseCode::ErrorInvalidRequest,
                "The SOAP body holds no EWS request.",
            ),
            None,
        );
    };
    let op = body.local_name().to_owned();
    let anchor = headers
        .get("x-anchormailbox")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut ctx = match ops::context(state, account, impersonation.as_ref(), anchor.as_deref()) {
        Ok(c) => c,
        Err(f) => return fault(f, Some(op)),
    };
    match time_zone.map(ops::context_zone).transpose() {
        Ok(zone) => ctx.time_zone = zone,
        Err(f) => return fault(f, Some(op)),
    }
    ctx.backend = backend;
    if let m::GlobalElement::GetStreamingEvents(r) = &body {
        // a hanging connection: not counted with the identity's ordinary requests
        match crate::streaming::open(state, &ctx, r) {
            Ok(plan) => {
                *stream = Some((op.clone(), plan));
                return (StatusCode::OK, Some(op), String::new(), Vec::new());
            }
            Err((code, text)) => {
                let message = m::GetStreamingEventsResponseMessage {
                    message_text: Some(text.into()),
                    response_code: Some(code),
                    descriptive_link_key: Some(0),
                    ..m::GetStreamingEventsResponseMessage::new(t::ResponseClass::Error)
                };
                let body =
                    m::GlobalElement::GetStreamingEventsResponse(m::GetStreamingEventsResponse {
                        response_messages: m::ArrayOfResponseMessages::new(
                            ews_types::runtime::NonEmpty::new(
                                m::ArrayOfResponseMessagesChoice::GetStreamingEventsResponseMessage(
                                    message,
                                ),
                            ),
                        ),
                    });
                let text = response(body).unwrap_or_default();
                return (StatusCode::OK, Some(op), text, Vec::new());
            }
        }
    }
    let identity = ctx.identity();
    if !state.control.enter(&identity) {
        let f = Fault::new(
            m::ResponseCode::ErrorExceededConnectionCount,
            "The user has exceeded the maximum number of concurrent connections.",
        );
        return fault(f, Some(op));
    }
    struct Leave<'a>(&'a State, String);
    impl Drop for Leave<'_> {
        fn drop(&mut self) {
            self.0.control.leave(&self.1);
        }
    }
    let who = match ctx.acting {
        Some(i) => state.store().mailboxes[i].smtp.clone(),
        None => ctx.account.login.clone(),
    };
    let busy = state.control.take_busy_for(&who);
    let _leave = Leave(state, identity);
    if let Some(ms) = busy {
        let f = Fault::new(
            m::ResponseCode::ErrorServerBusy,
            "The server cannot service this request right now. Try again later.",
        )
        .with("BackOffMilliseconds", ms.to_string());
        return fault(f, Some(op));
    }
    let result = {
        let mut store = state.store();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            ops::dispatch(&mut store, &ctx, body)
        }))
        .unwrap_or_else(|panic| {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(Fault::new(
                m::ResponseCode::ErrorInternalServerError,
                format!(
                    "ews-testserver failed on this {op} request (a bug in the test server): {why}"
                ),
            ))
        })
    };
    if state.control.take_lost_for(&who, &op) {
        // carried out, never answered: the client's wait ends this future
        std::future::pending::<()>().await;
    }
    match result.map(response) {
        Ok(Ok(text)) => (StatusCode::OK, Some(op), text, Vec::new()),
        Ok(Err(e)) => {
            tracing::error!(operation = %op, error = %e, "the answer could not be written");
            let f = Fault::new(
                m::ResponseCode::ErrorInternalServerError,
                format!("ews-testserver could not write its answer to this {op} request: {e}"),
            );
            fault(f, Some(op))
        }
        Err(f) => fault(f, Some(op)),
    }
}
