//! The one error type of the client: layered, opaque, one level deep.

use std::fmt;
use std::time::Duration;

use ews_types::m::ResponseCode;
use ews_types::runtime::AnyElement;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Which layer an [`Error`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A builder setting was invalid (reported by `build()`).
    Config,
    /// A value given by the caller cannot be sent (control characters, an unusable header
    /// value, an unserializable request).
    InvalidInput,
    /// The connection could not be made (refused, DNS, connect timeout). Nothing was sent.
    Connect,
    /// The TLS handshake failed (for example an untrusted certificate). Never retried.
    Tls,
    /// The request timed out after it was sent.
    Timeout,
    /// The connection failed while sending or receiving (reset, truncated body).
    Transport,
    /// The server answered with a redirect, which the client never follows.
    Redirect,
    /// The server refused the credentials (HTTP 401/403, or the token endpoint failed).
    Auth,
    /// An HTTP status other than 200 that carried no SOAP fault (503, 429, a 500 HTML page…).
    Http,
    /// The response was not XML (an HTML error page, a proxy's login page).
    UnexpectedContentType,
    /// The response body exceeded the size cap (counted after decompression).
    BodyTooLarge,
    /// The response was XML but not a valid EWS response (truncated, wrong element, wrong
    /// number of response messages, DOCTYPE or entity use).
    MalformedResponse,
    /// The server returned a SOAP fault for the whole request.
    Fault,
    /// One response message (one item of the request) reported an error.
    Response,
    /// The item was not processed because an earlier item stopped the batch
    /// (`ErrorBatchProcessingStopped`). It is safe to resubmit.
    NotProcessed,
    /// The server asked to back off for longer than the caller's deadline allows.
    Throttled,
    /// Autodiscover found no EWS endpoint for an address: no candidate answered, or the
    /// organisation does not know the address.
    Discovery,
}

impl ErrorKind {
    fn describe(self) -> &'static str {
        match self {
            ErrorKind::Config => "invalid client configuration",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::Connect => "connection failed",
            ErrorKind::Tls => "TLS failure",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Transport => "transport failure",
            ErrorKind::Redirect => "redirect refused",
            ErrorKind::Auth => "authentication failed",
            ErrorKind::Http => "HTTP error",
            ErrorKind::UnexpectedContentType => "unexpected content type",
            ErrorKind::BodyTooLarge => "response too large",
            ErrorKind::MalformedResponse => "malformed response",
            ErrorKind::Fault => "SOAP fault",
            ErrorKind::Response => "EWS error",
            ErrorKind::NotProcessed => "item not processed",
            ErrorKind::Throttled => "throttled",
            ErrorKind::Discovery => "Autodiscover failed",
        }
    }
}

/// The one error type of the client: layered, opaque, one level deep.
///
/// An [`Error`] says which layer failed ([`ErrorKind`]: transport, HTTP status, SOAP fault,
/// per-item response message, …) and carries what that layer knew: the EWS `ResponseCode`, the
/// server's `request-id`, a `Retry-After`/`BackOffMilliseconds` hint, a redirect's location.
/// Predicates answer the questions callers ask: [`Error::is_throttled`],
/// [`Error::is_transient`], [`Error::outcome_unknown`]. No reqwest or quick-xml type appears in
/// the public API, and no secret (password, token, cookie) is ever part of the text.
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Debug, Default)]
pub(crate) struct Inner {
    pub kind: Option<ErrorKind>,
    pub message: String,
    pub operation: Option<&'static str>,
    pub request_id: Option<String>,
    pub status: Option<u16>,
    pub response_code: Option<ResponseCode>,
    pub inner_response_code: Option<ResponseCode>,
    pub message_xml: Vec<AnyElement>,
    pub retry_after: Option<Duration>,
    pub outcome_unknown: bool,
    pub location: Option<String>,
    pub cas_error_code: Option<String>,
    pub position: Option<(u64, u64)>,
    pub item_index: Option<usize>,
    pub source: Option<BoxError>,
    pub delegated: bool,
}

impl From<ews_types::tz::ZoneError> for Error {
    /// A zone that does not exist or a local time it skips is invalid input, so `?` on
    /// [`Zone`](crate::Zone) calls works in functions returning this error.
    fn from(e: ews_types::tz::ZoneError) -> Self {
        Error::new(ErrorKind::InvalidInput, e.to_string()).with_source(e)
    }
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind: Some(kind),
                message: message.into(),
                ..Inner::default()
            }),
        }
    }

    /// An authentication failure ([`ErrorKind::Auth`]), for implementations of
    /// [`ConnectionAuth`](crate::ConnectionAuth) and [`TokenProvider`](crate::TokenProvider).
    /// The message must not contain secrets.
    pub fn authentication(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Auth, message)
    }

    /// Marks an error of a call made by delegate access, so that [`Error::delegation_problem`]
    /// reads its code as a missing delegate right.
    pub(crate) fn delegated(mut self) -> Self {
        self.inner.delegated = true;
        self
    }

    /// For a call made by delegate access ([`crate::MailboxClient`]): the right the delegate
    /// lacks, when the server's code says so; its [`DelegationProblem::advice`] is in `Display`.
    pub fn delegation_problem(&self) -> Option<DelegationProblem> {
        if self.inner.delegated {
            DelegationProblem::of(self)
        } else {
            None
        }
    }

    /// This error again for item `index` of a batch the whole request failed for: the same
    /// kind, codes and outcome; the source, which cannot be copied, in the message.
    pub(crate) fn for_item(&self, index: usize) -> Error {
        let i = &self.inner;
        let message = match &i.source {
            Some(source) => format!("{}: {source}", i.message),
            None => i.message.clone(),
        };
        Error {
            inner: Box::new(Inner {
                kind: i.kind,
                message,
                operation: i.operation,
                request_id: i.request_id.clone(),
                status: i.status,
                response_code: i.response_code.clone(),
                inner_response_code: i.inner_response_code.clone(),
                message_xml: i.message_xml.clone(),
                retry_after: i.retry_after,
                outcome_unknown: i.outcome_unknown,
                location: i.location.clone(),
                cas_error_code: i.cas_error_code.clone(),
                position: i.position,
                item_index: Some(index),
                source: None,
                delegated: i.delegated,
            }),
        }
    }

    pub(crate) fn inner_mut(&mut self) -> &mut Inner {
        &mut self.inner
    }

    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    pub(crate) fn with_operation(mut self, op: &'static str) -> Self {
        self.inner.operation.get_or_insert(op);
        self
    }

    pub(crate) fn with_request_id(mut self, id: Option<String>) -> Self {
        if self.inner.request_id.is_none() {
            self.inner.request_id = id;
        }
        self
    }

    pub(crate) fn set_outcome_unknown(mut self, unknown: bool) -> Self {
        self.inner.outcome_unknown = unknown;
        self
    }

    /// The layer that failed.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind.unwrap_or(ErrorKind::Transport)
    }

    /// The operation (`GetItem`) the error belongs to, when known.
    pub fn operation(&self) -> Option<&'static str> {
        self.inner.operation
    }

    /// The EWS `ResponseCode` of a fault or response message. Codes newer than the schema are
    /// kept verbatim as `ResponseCode::Other`.
    pub fn response_code(&self) -> Option<&ResponseCode> {
        self.inner.response_code.as_ref()
    }

    /// `InnerErrorResponseCode` from `MessageXml`, when an `ErrorInternalServerError` wraps
    /// another code (Exchange Online sends throttling this way).
    pub fn inner_response_code(&self) -> Option<&ResponseCode> {
        self.inner.inner_response_code.as_ref()
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The server's `request-id` header, for support cases and log correlation.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// The `Location` of a refused redirect.
    pub fn redirect_location(&self) -> Option<&str> {
        self.inner.location.as_deref()
    }

    /// The `X-CasErrorCode` header of a 401/403 (the Client Access service's reason).
    pub fn cas_error_code(&self) -> Option<&str> {
        self.inner.cas_error_code.as_deref()
    }

    /// Line and position of a schema-validation fault, from `MessageXml`.
    pub fn schema_position(&self) -> Option<(u64, u64)> {
        self.inner.position
    }

    /// The children of `MessageXml` (e.g. `<t:Value Name="BackOffMilliseconds">`).
    pub fn message_xml(&self) -> &[AnyElement] {
        &self.inner.message_xml
    }

    /// For per-item errors, the item's index in the request.
    pub fn item_index(&self) -> Option<usize> {
        self.inner.item_index
    }

    /// How long the server asked the client to wait (`BackOffMilliseconds`, `Retry-After`),
    /// as the client clamped it.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// The server asked the client to slow down: `ErrorServerBusy` (also wrapped in
    /// `ErrorInternalServerError`), HTTP 503 or 429, or a throttle wait past the deadline.
    pub fn is_throttled(&self) -> bool {
        self.kind() == ErrorKind::Throttled
            || matches!(self.inner.status, Some(503 | 429))
                && !matches!(self.kind(), ErrorKind::Fault | ErrorKind::Response)
            || self.code_is(|c| matches!(c, ResponseCode::ErrorServerBusy))
    }

    /// Trying again later may succeed: throttling, transient server or store errors, 5xx
    /// pages, connection failures, timeouts of reads, items not processed.
    pub fn is_transient(&self) -> bool {
        if self.is_throttled() {
            return true;
        }
        match self.kind() {
            ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Transport => true,
            ErrorKind::NotProcessed => true,
            ErrorKind::Http => matches!(self.inner.status, Some(500 | 502 | 503 | 504 | 429)),
            ErrorKind::Redirect => self
                .inner
                .location
                .as_deref()
                .is_some_and(|l| l.to_ascii_lowercase().contains("genericerrorpage")),
            ErrorKind::Fault | ErrorKind::Response => self.code_is(is_transient_code),
            _ => false,
        }
    }

    /// The request may or may not have taken effect: a write that timed out or lost its
    /// connection after it was sent, or whose response could not be read. Never retried
    /// automatically; check the mailbox before resending.
    pub fn outcome_unknown(&self) -> bool {
        self.inner.outcome_unknown
    }

    fn code_is(&self, f: impl Fn(&ResponseCode) -> bool) -> bool {
        self.inner.response_code.as_ref().is_some_and(&f)
            || self.inner.inner_response_code.as_ref().is_some_and(&f)
    }
}

/// Codes the reliability notes class as transient.
pub(crate) fn is_transient_code(c: &ResponseCode) -> bool {
    use ResponseCode::*;
    matches!(
        c,
        ErrorServerBusy
            | ErrorInternalServerTransientError
            | ErrorTooManyObjectsOpened
            | ErrorExceededConnectionCount
            | ErrorTimeoutExpired
            | ErrorMailboxStoreUnavailable
            | ErrorMailboxFailover
            | ErrorConnectionFailed
            | ErrorADUnavailable
            | ErrorMailboxMoveInProgress
            | ErrorBatchProcessingStopped
    )
}

/// Why a delegate could not act, and what to grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DelegationProblem {
    /// `ErrorAccessDenied`: the delegate lacks the folder permission (Author or Editor on the
    /// calendar to create meetings; Reviewer to read).
    AccessDenied,
    /// `ErrorNotDelegate`: the caller is not a delegate of the principal.
    NotDelegate,
    /// `ErrorDelegateNoUser`: the delegate's user id could not be resolved.
    DelegateNoUser,
    /// `ErrorMissingEmailAddress`: the calling account has no mailbox (delegates need one).
    MissingEmailAddress,
    /// `ErrorFolderNotFound`: the folder does not exist or is not visible to the delegate.
    FolderNotFound,
}

impl DelegationProblem {
    /// The problem an error reports, if it is a delegation problem.
    pub fn of(e: &Error) -> Option<Self> {
        use ResponseCode::*;
        Some(match e.response_code()? {
            ErrorAccessDenied => DelegationProblem::AccessDenied,
            ErrorNotDelegate => DelegationProblem::NotDelegate,
            ErrorDelegateNoUser => DelegationProblem::DelegateNoUser,
            ErrorMissingEmailAddress => DelegationProblem::MissingEmailAddress,
            ErrorFolderNotFound => DelegationProblem::FolderNotFound,
            _ => return None,
        })
    }

    /// What to change so that the call succeeds.
    pub fn advice(self) -> &'static str {
        match self {
            DelegationProblem::AccessDenied => {
                "grant the delegate Author or Editor on the principal's Calendar (Reviewer to read)"
            }
            DelegationProblem::NotDelegate => {
                "add the caller as a delegate of the principal (AddDelegate) or grant folder \
                 permissions"
            }
            DelegationProblem::DelegateNoUser => {
                "the delegate's user id does not resolve; check the address or SID"
            }
            DelegationProblem::MissingEmailAddress => {
                "the calling account needs a mailbox of its own to act as a delegate"
            }
            DelegationProblem::FolderNotFound => {
                "the folder is missing or hidden from the delegate; grant at least folder \
                 visibility on it"
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(op) = self.inner.operation {
            write!(f, "{op}: ")?;
        }
        if let Some(i) = self.inner.item_index {
            write!(f, "item {i}: ")?;
        }
        f.write_str(self.kind().describe())?;
        if let Some(code) = &self.inner.response_code {
            write!(f, " {}", ews_types::runtime::XmlValue::to_text(code))?;
        } else if let Some(status) = self.inner.status {
            write!(f, " (HTTP {status})")?;
        }
        if !self.inner.message.is_empty() {
            write!(f, ": {}", self.inner.message)?;
        }
        if let Some(p) = self.delegation_problem() {
            write!(f, " ({})", p.advice())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind());
        d.field("message", &i.message);
        let opt = [
            ("operation", i.operation.map(str::to_owned)),
            (
                "response_code",
                i.response_code
                    .as_ref()
                    .map(|c| ews_types::runtime::XmlValue::to_text(c).into_owned()),
            ),
            ("status", i.status.map(|s| s.to_string())),
            ("request_id", i.request_id.clone()),
            // a redirect's location may carry a token in its query
            ("location", i.location.as_deref().map(crate::redact::url)),
            ("retry_after", i.retry_after.map(|d| format!("{d:?}"))),
        ];
        for (name, v) in opt {
            if let Some(v) = v {
                d.field(name, &v);
            }
        }
        if i.outcome_unknown {
            d.field("outcome_unknown", &true);
        }
        if let Some(s) = &i.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source.as_deref().map(|e| e as _)
    }
}

/// A bounded excerpt of a response body for error messages: at most 200 characters, control
/// characters replaced, so an HTML page or binary junk never floods a log.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(400)]);
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    if body.len() > 200 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_level_and_names_the_code() {
        let mut e = Error::new(
            ErrorKind::Fault,
            "The server cannot service this request right now.",
        )
        .with_operation("GetItem");
        e.inner.response_code = Some(ResponseCode::ErrorServerBusy);
        assert_eq!(
            e.to_string(),
            "GetItem: SOAP fault ErrorServerBusy: The server cannot service this request right now."
        );
        assert!(e.is_throttled() && e.is_transient());
    }

    #[test]
    fn final_codes_are_not_transient() {
        let mut e = Error::new(ErrorKind::Response, "");
        e.inner.response_code = Some(ResponseCode::ErrorItemNotFound);
        assert!(!e.is_transient() && !e.is_throttled());
        e.inner.inner_response_code = Some(ResponseCode::ErrorServerBusy);
        assert!(e.is_throttled(), "the inner code counts");
    }

    #[test]
    fn excerpts_are_bounded() {
        let body = "<html>\u{7}".repeat(1000);
        let x = excerpt(body.as_bytes());
        assert!(x.chars().count() <= 201 && !x.contains('\u{7}'));
    }
}
