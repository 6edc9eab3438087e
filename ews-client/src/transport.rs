//! HTTP transport: the only module that touches reqwest.
//!
//! [`Transport`] is the seam between the EWS logic (envelopes, errors, retries) and the wire. The
//! default, built by `ClientBuilder`, is reqwest over rustls with TLS verification on, no
//! redirects followed, explicit timeouts and a response-size cap that counts decompressed
//! bytes. Tests and embedders can plug in their own (an in-process server, a recorder).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;

use crate::error::{Error, ErrorKind};

/// A boxed future, as [`Transport`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One HTTP POST to an EWS endpoint.
#[derive(Clone)]
pub struct HttpRequest {
    /// The endpoint URL.
    pub url: String,
    /// Request headers (authentication included; mark secrets sensitive).
    pub headers: HeaderMap,
    /// The SOAP envelope.
    pub body: Bytes,
}

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("url", &crate::redact::url(&self.url))
            .field("headers", &crate::redact::headers(&self.headers))
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The server's answer.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body, decompressed.
    pub body: Bytes,
}

/// Why a request got no HTTP response.
#[derive(Debug)]
pub struct TransportError {
    /// What went wrong: one of `Connect`, `Tls`, `Timeout`, `Transport`, `Redirect`,
    /// `BodyTooLarge`, `Config`.
    pub kind: ErrorKind,
    /// Whether any part of the request may have reached the server. `false` only when the
    /// failure provably happened before a byte was sent (connect and TLS failures).
    pub sent: bool,
    /// A short description, free of URLs and secrets.
    pub message: String,
    /// The underlying error, with any URL removed.
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    /// A transport error of `kind`.
    pub fn new(kind: ErrorKind, sent: bool, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            sent,
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn into_error(self) -> Error {
        let e = Error::new(self.kind, self.message);
        match self.source {
            Some(s) => e.with_source(s),
            None => e,
        }
    }
}

/// A response whose body is read as it arrives (`GetStreamingEvents`: one long answer of
/// many envelopes).
pub struct StreamingResponse {
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body, chunk by chunk, decompressed.
    pub body: futures_util::stream::BoxStream<'static, Result<Bytes, TransportError>>,
}

impl std::fmt::Debug for StreamingResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingResponse")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// Sends one HTTP request. Implementations must not follow redirects and must bound the body.
pub trait Transport: Send + Sync + std::fmt::Debug {
    /// Sends `req` and reads the whole response.
    fn send(&self, req: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>>;

    /// Sends `req` and hands the response body out as it arrives, for at most `timeout` in all.
    /// Transports that cannot stream answer a `Config` error (the default).
    fn send_streaming(
        &self,
        req: HttpRequest,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<StreamingResponse, TransportError>> {
        let _ = (req, timeout);
        Box::pin(async {
            Err(TransportError::new(
                ErrorKind::Config,
                false,
                "this transport cannot stream responses",
            ))
        })
    }
}

/// Settings of the default transport.
#[derive(Debug, Clone)]
pub(crate) struct HttpSettings {
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub timeout: Duration,
    pub user_agent: String,
    pub max_body: usize,
    pub accept_invalid_certs: bool,
    pub http1_only: bool,
    /// Keep at most this many idle connections per host (`None`: reqwest's default).
    pub max_idle: Option<usize>,
    /// Trusted in addition to the built-in roots (an on-premises CA).
    pub root_certificates: Vec<reqwest::Certificate>,
    /// Keep the server's certificate with each response (channel binding).
    pub tls_info: bool,
    /// Resolve host names through these name servers instead of the system's.
    pub dns: Option<crate::dns::Dns>,
}

/// Host names resolved through [`crate::dns::Dns`].
struct Resolver(crate::dns::Dns);

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let dns = self.0.clone();
        Box::pin(async move {
            let ips = dns.ips(name.as_str()).await?;
            let addrs: reqwest::dns::Addrs =
                Box::new(ips.into_iter().map(|ip| std::net::SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// reqwest over rustls.
#[derive(Debug, Clone)]
pub(crate) struct ReqwestTransport {
    client: reqwest::Client,
    max_body: usize,
}

impl ReqwestTransport {
    pub(crate) fn new(s: &HttpSettings) -> Result<Self, Error> {
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(s.connect_timeout)
            .read_timeout(s.read_timeout)
            .timeout(s.timeout)
            .user_agent(s.user_agent.clone())
            .gzip(true)
            .tls_danger_accept_invalid_certs(s.accept_invalid_certs);
        if s.http1_only {
            b = b.http1_only();
        }
        if let Some(n) = s.max_idle {
            b = b.pool_max_idle_per_host(n);
        }
        if !s.root_certificates.is_empty() {
            b = b.tls_certs_merge(s.root_certificates.iter().cloned());
        }
        if s.tls_info {
            b = b.tls_info(true);
        }
        if let Some(dns) = &s.dns {
            b = b.dns_resolver(std::sync::Arc::new(Resolver(dns.clone())));
        }
        let client = b.build().map_err(|e| {
            Error::new(ErrorKind::Config, "cannot build the HTTP client")
                .with_source(e.without_url())
        })?;
        Ok(ReqwestTransport {
            client,
            max_body: s.max_body,
        })
    }

    /// Wraps a caller's reqwest client. Its redirect policy is the caller's; a followed
    /// redirect is still detected and reported.
    pub(crate) fn with_client(client: reqwest::Client, max_body: usize) -> Self {
        ReqwestTransport { client, max_body }
    }

    pub(crate) async fn run(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        Ok(self.run_with_peer(req).await?.0)
    }

    /// [`Self::run`], with the server's TLS certificate (DER) when the connection is TLS and
    /// the transport was built with `tls_info`.
    pub(crate) async fn run_with_peer(
        &self,
        req: HttpRequest,
    ) -> Result<(HttpResponse, Option<Vec<u8>>), TransportError> {
        let requested = reqwest::Url::parse(&req.url)
            .map_err(|_| TransportError::new(ErrorKind::Config, false, "invalid endpoint URL"))?;
        let mut resp = self
            .client
            .post(&req.url)
            .headers(req.headers)
            .body(req.body)
            .send()
            .await
            .map_err(classify)?;
        if resp.url() != &requested {
            return Err(TransportError::new(
                ErrorKind::Redirect,
                true,
                "the HTTP client followed a redirect; EWS requests must not be redirected",
            ));
        }
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let peer = peer_certificate(resp.extensions());
        if let Some(len) = resp.content_length()
            && len > self.max_body as u64
        {
            return Err(too_large(self.max_body));
        }
        // Large chunks are kept as they arrive (no copy, no growing buffer), small ones
        // gathered into blocks of `BLOCK` bytes (a server sending one-byte chunks costs no more),
        // and all joined once at the end: reading up to the cap holds about the cap.
        const BLOCK: usize = 64 << 10;
        let mut chunks: Vec<Bytes> = Vec::new();
        let mut small = bytes::BytesMut::new();
        let mut total = 0usize;
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    total += chunk.len();
                    if total > self.max_body {
                        return Err(too_large(self.max_body));
                    }
                    if chunk.len() >= BLOCK {
                        if !small.is_empty() {
                            chunks.push(std::mem::take(&mut small).freeze());
                        }
                        chunks.push(chunk);
                    } else {
                        if small.is_empty() {
                            small.reserve(BLOCK);
                        }
                        small.extend_from_slice(&chunk);
                        if small.len() >= BLOCK {
                            chunks.push(std::mem::take(&mut small).freeze());
                        }
                    }
                }
                Ok(None) => {
                    if !small.is_empty() {
                        chunks.push(small.freeze());
                    }
                    break;
                }
                Err(e) => {
                    let mut t = classify(e);
                    t.sent = true;
                    if t.kind == ErrorKind::Connect {
                        t.kind = ErrorKind::Transport;
                    }
                    return Err(t);
                }
            }
        }
        Ok((
            HttpResponse {
                status,
                headers,
                body: join(chunks, total),
            },
            peer,
        ))
    }
}

impl ReqwestTransport {
    /// A GET without credentials (Autodiscover's HTTP probe and JSON endpoint). Redirects
    /// are answered, not followed; the body is capped like any other.
    pub(crate) async fn get(&self, url: &str) -> Result<HttpResponse, TransportError> {
        let mut resp = self.client.get(url).send().await.map_err(classify)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let mut body = bytes::BytesMut::new();
        while let Some(chunk) = resp.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > self.max_body {
                return Err(too_large(self.max_body));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            headers,
            body: body.freeze(),
        })
    }
}

fn peer_certificate(extensions: &http::Extensions) -> Option<Vec<u8>> {
    extensions
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .map(<[u8]>::to_vec)
}

/// The chunks of a body as one buffer: the chunk itself when there is one, else one copy into
/// a buffer of the exact size, each chunk freed once copied.
fn join(chunks: Vec<Bytes>, total: usize) -> Bytes {
    if chunks.len() == 1 {
        return chunks.into_iter().next().expect("one chunk");
    }
    let mut out = bytes::BytesMut::with_capacity(total);
    for chunk in chunks {
        out.extend_from_slice(&chunk);
    }
    out.freeze()
}

impl Transport for ReqwestTransport {
    fn send(&self, req: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(self.run(req))
    }

    fn send_streaming(
        &self,
        req: HttpRequest,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<StreamingResponse, TransportError>> {
        Box::pin(async move {
            use futures_util::StreamExt;
            let requested = reqwest::Url::parse(&req.url).map_err(|_| {
                TransportError::new(ErrorKind::Config, false, "invalid endpoint URL")
            })?;
            let resp = self
                .client
                .post(&req.url)
                .headers(req.headers)
                .body(req.body)
                .timeout(timeout)
                .send()
                .await
                .map_err(classify)?;
            if resp.url() != &requested {
                return Err(TransportError::new(
                    ErrorKind::Redirect,
                    true,
                    "the HTTP client followed a redirect; EWS requests must not be redirected",
                ));
            }
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let body = resp
                .bytes_stream()
                .map(|r| {
                    r.map_err(|e| {
                        let mut t = classify(e);
                        t.sent = true;
                        if t.kind == ErrorKind::Connect {
                            t.kind = ErrorKind::Transport;
                        }
                        t
                    })
                })
                .boxed();
            Ok(StreamingResponse {
                status,
                headers,
                body,
            })
        })
    }
}

fn too_large(cap: usize) -> TransportError {
    TransportError::new(
        ErrorKind::BodyTooLarge,
        true,
        format!("the response exceeds the {cap}-byte cap"),
    )
}

/// Maps a reqwest error to a transport error, dropping the URL (it may carry secrets).
fn classify(e: reqwest::Error) -> TransportError {
    let tls = is_tls(&e);
    let (kind, sent, what) = if tls {
        (ErrorKind::Tls, false, "TLS handshake failed")
    } else if e.is_connect() {
        (ErrorKind::Connect, false, "could not connect")
    } else if e.is_timeout() {
        (ErrorKind::Timeout, true, "the request timed out")
    } else if e.is_builder() {
        (ErrorKind::Config, false, "invalid request")
    } else if e.is_body() || e.is_decode() {
        (
            ErrorKind::Transport,
            true,
            "the response body could not be read",
        )
    } else {
        (ErrorKind::Transport, true, "the connection failed")
    };
    let detail = root_cause(&e);
    TransportError {
        kind,
        sent,
        message: match detail {
            Some(d) => format!("{what} ({d})"),
            None => what.to_owned(),
        },
        source: Some(Box::new(e.without_url())),
    }
}

/// The innermost error's text: "connection refused", "invalid peer certificate: UnknownIssuer".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur = e.source()?;
    loop {
        if let Some(io) = cur.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
        {
            return Some(inner.to_string());
        }
        match cur.source() {
            Some(next) => cur = next,
            None => return Some(cur.to_string()),
        }
    }
}

fn is_tls(e: &reqwest::Error) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let text = format!("{err:?}");
        if text.contains("InvalidCertificate")
            || text.contains("certificate")
            || text.contains("HandshakeFailure")
            || text.contains("AlertReceived")
        {
            return true;
        }
        cur = err.source();
    }
    false
}

/// Default response-size cap: 64 MiB, counted after decompression.
pub const DEFAULT_MAX_BODY: usize = 64 << 20;

pub(crate) fn default_http() -> HttpSettings {
    HttpSettings {
        connect_timeout: Duration::from_secs(10),
        read_timeout: Duration::from_secs(60),
        timeout: Duration::from_secs(120),
        user_agent: concat!("ews-client/", env!("CARGO_PKG_VERSION"), " (Rust)").into(),
        max_body: DEFAULT_MAX_BODY,
        accept_invalid_certs: false,
        http1_only: false,
        max_idle: None,
        root_certificates: Vec::new(),
        tls_info: false,
        dns: None,
    }
}
