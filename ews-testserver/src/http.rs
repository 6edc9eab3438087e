//! HTTP: the EWS endpoint and the schema files.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ews_types::runtime::{Part, ReaderConfig, read_envelope_with};
use ews_types::{Element, m, t};

use crate::State;
use crate::auth::authenticate;
use crate::faults::Exchange;
use crate::ops;
use crate::soap::{Fault, line_col, response};

pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/EWS/Exchange.asmx", post(ews))
        .route("/EWS/{file}", get(schema_file))
        .with_state(state)
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
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    // Exchange serves its schema to signed-in users only.
    if authenticate(&state, &headers).is_none() {
        let mut r = (StatusCode::UNAUTHORIZED, "401 Unauthorized").into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"ews-testserver\""),
        );
        return r;
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

async fn ews(AxState(state): AxState<Arc<State>>, headers: HeaderMap, body: Bytes) -> Response {
    let latency = state.control.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let request = String::from_utf8_lossy(&body).into_owned();
    let (status, operation, text, extra) = handle(&state, &headers, &request).await;
    state.control.record(Exchange {
        operation,
        status: status.as_u16(),
        request,
        response: text.clone(),
    });
    let mut r = if status == StatusCode::UNAUTHORIZED || status == StatusCode::SERVICE_UNAVAILABLE {
        (status, text).into_response()
    } else {
        xml(status, text)
    };
    for (k, v) in extra {
        if let Ok(v) = HeaderValue::from_str(&v) {
            r.headers_mut().insert(k, v);
        }
    }
    r
}

type Handled = (
    StatusCode,
    Option<String>,
    String,
    Vec<(&'static str, String)>,
);

fn fault(f: Fault, op: Option<String>) -> Handled {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        op,
        f.to_xml(),
        Vec::new(),
    )
}

async fn handle(state: &State, headers: &HeaderMap, request: &str) -> Handled {
    let Some(account) = authenticate(state, headers) else {
        return (
            StatusCode::UNAUTHORIZED,
            None,
            "401 Unauthorized".into(),
            vec![("www-authenticate", "Basic realm=\"ews-testserver\"".into())],
        );
    };
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
    for h in &env.headers {
        if let Part::Known(Element::Types(t::GlobalElement::ExchangeImpersonation(i))) = h {
            impersonation = Some(i.clone());
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
    let ctx = match ops::context(state, account, impersonation.as_ref(), anchor.as_deref()) {
        Ok(c) => c,
        Err(f) => return fault(f, Some(op)),
    };
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
    let _leave = Leave(state, identity);
    if let Some(ms) = state.control.take_busy() {
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
    match result {
        Ok(resp) => (StatusCode::OK, Some(op), response(resp), Vec::new()),
        Err(f) => fault(f, Some(op)),
    }
}
