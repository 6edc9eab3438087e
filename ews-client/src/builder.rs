//! [`ClientBuilder`]: setters that cannot fail, one `build()` that reports the first bad
//! setting.

use std::sync::Arc;
use std::time::Duration;

use ews_types::t;
use http::HeaderValue;

use crate::auth::Credentials;
use crate::client::{Client, Scope, Shared};
use crate::error::{Error, ErrorKind};
use crate::retry::RetryPolicy;
use crate::soap::RequestHeaders;
use crate::throttle::Gates;
use crate::transport::{HttpSettings, ReqwestTransport, Transport, default_http};

/// The default concurrency limit per identity: EWSMaxConcurrency on Exchange 2010 (27 on 2013
/// and later, and on Exchange Online).
pub const DEFAULT_CONCURRENCY: usize = 10;

impl Client {
    /// Starts building a client for `endpoint` (`https://host/EWS/Exchange.asmx`).
    pub fn builder(endpoint: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(endpoint)
    }
}

/// Builds a [`Client`].
///
/// ```
/// use std::time::Duration;
/// use ews_client::{Client, Credentials, RetryPolicy};
///
/// let client = Client::builder("https://mail.contoso.com/EWS/Exchange.asmx")
///     .credentials(Credentials::basic("svc-booking", "secret"))
///     .timeout(Duration::from_secs(60))
///     .retry(RetryPolicy::default().deadline(Duration::from_secs(120)))
///     .build()
///     .unwrap();
/// assert!(!format!("{client:?}").contains("secret"));
/// ```
#[derive(Debug)]
pub struct ClientBuilder {
    endpoint: String,
    credentials: Credentials,
    headers: RequestHeaders,
    http: HttpSettings,
    retry: RetryPolicy,
    concurrency: usize,
    transport: Option<Arc<dyn Transport>>,
    reqwest: Option<reqwest::Client>,
    log_bodies: bool,
    jitter_seed: Option<u64>,
    channel_binding: bool,
    error: Option<Error>,
}

impl ClientBuilder {
    pub(crate) fn new(endpoint: impl Into<String>) -> Self {
        ClientBuilder {
            endpoint: endpoint.into(),
            credentials: Credentials::none(),
            headers: RequestHeaders {
                version: t::ExchangeVersion::Exchange2016,
                culture: None,
                time_zone: None,
                precision: None,
                impersonation: None,
            },
            http: default_http(),
            retry: RetryPolicy::default(),
            concurrency: DEFAULT_CONCURRENCY,
            transport: None,
            reqwest: None,
            log_bodies: false,
            jitter_seed: None,
            channel_binding: true,
            error: None,
        }
    }

    fn fail(&mut self, e: Error) {
        self.error.get_or_insert(e);
    }

    /// How to authenticate (default: no `Authorization` header).
    pub fn credentials(mut self, c: Credentials) -> Self {
        self.credentials = c;
        self
    }

    /// `RequestServerVersion` (default `Exchange2016`, which Exchange 2016, 2019 and SE
    /// answer).
    pub fn server_version(mut self, v: t::ExchangeVersion) -> Self {
        self.headers.version = v;
        self
    }

    /// `MailboxCulture` (`en-US`), sent to operations that accept it.
    pub fn mailbox_culture(mut self, culture: impl Into<String>) -> Self {
        let c = culture.into();
        if c.is_empty() || c.chars().any(|ch| ch.is_control()) {
            self.fail(Error::new(ErrorKind::Config, "invalid mailbox culture"));
        }
        self.headers.culture = Some(c);
        self
    }

    /// `TimeZoneContext`, sent to operations that accept it: the zone Exchange reads times
    /// without a UTC offset in, and gives new appointments that name no zone of their own.
    /// Takes a [`Zone`](crate::Zone) (`Zone::iana("Europe/Berlin")?`) or a definition.
    pub fn time_zone(mut self, tz: impl Into<t::TimeZoneContext>) -> Self {
        self.headers.time_zone = Some(tz.into());
        self
    }

    /// `DateTimePrecision`, sent to operations that accept it.
    pub fn date_time_precision(mut self, p: t::DateTimePrecision) -> Self {
        self.headers.precision = Some(p);
        self
    }

    /// Connection timeout (default 10 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.http.connect_timeout = d;
        self
    }

    /// Longest silence while reading a response (default 60 s).
    pub fn read_timeout(mut self, d: Duration) -> Self {
        self.http.read_timeout = d;
        self
    }

    /// Longest time for one attempt, connect to last byte (default 120 s; EWS runs a batch
    /// for at most a minute).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.http.timeout = d;
        self
    }

    /// The `User-Agent` header (Microsoft asks EWS clients to send a distinctive one).
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        let ua = ua.into();
        if HeaderValue::from_str(&ua).is_err() {
            self.fail(Error::new(
                ErrorKind::Config,
                "the user agent is not a valid header value",
            ));
        }
        self.http.user_agent = ua;
        self
    }

    /// Response-size cap in bytes, counted after decompression (default 64 MiB).
    pub fn max_response_bytes(mut self, n: usize) -> Self {
        self.http.max_body = n;
        self
    }

    /// Retry policy (default [`RetryPolicy::default`]; [`RetryPolicy::none`] turns retries
    /// off).
    pub fn retry(mut self, p: RetryPolicy) -> Self {
        self.retry = p;
        self
    }

    /// Concurrent requests per identity (default [`DEFAULT_CONCURRENCY`]). Lowered
    /// automatically when the server answers `ErrorExceededConnectionCount`.
    pub fn concurrency(mut self, n: usize) -> Self {
        if n == 0 {
            self.fail(Error::new(
                ErrorKind::Config,
                "concurrency must be at least 1",
            ));
        }
        self.concurrency = n.max(1);
        self
    }

    /// Speak HTTP/1.1 only (forced for connection-authenticated schemes such as NTLM).
    pub fn http1_only(mut self) -> Self {
        self.http.http1_only = true;
        self
    }

    /// **Dangerous**: accept any TLS certificate, including self-signed and expired ones. Only
    /// for test servers; anyone on the network path can then read the credentials.
    pub fn danger_accept_invalid_certs(mut self, yes: bool) -> Self {
        if yes {
            tracing::warn!("TLS certificate verification is OFF for this EWS client");
        }
        self.http.accept_invalid_certs = yes;
        self
    }

    /// Trust this CA or server certificate (PEM, one or more) in addition to the built-in
    /// roots: an on-premises Exchange whose certificate comes from the organisation's own CA.
    /// Verification stays on.
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Self {
        match reqwest::Certificate::from_pem_bundle(pem) {
            Ok(certs) if !certs.is_empty() => self.http.root_certificates.extend(certs),
            _ => self.fail(Error::new(
                ErrorKind::Config,
                "the root certificates are not PEM certificates",
            )),
        }
        self
    }

    /// Resolve host names through these DNS servers instead of the system's (split-horizon
    /// DNS, where the EWS host is known only to the organisation's own servers).
    pub fn name_servers(mut self, servers: impl IntoIterator<Item = std::net::SocketAddr>) -> Self {
        let servers: Vec<_> = servers.into_iter().collect();
        match crate::dns::Dns::with_servers(&servers) {
            Ok(dns) => self.http.dns = Some(dns),
            Err(e) => self.fail(e),
        }
        self
    }

    pub(crate) fn resolve_with(mut self, dns: crate::dns::Dns) -> Self {
        self.http.dns = Some(dns);
        self
    }

    pub(crate) fn http_settings(&self) -> HttpSettings {
        self.http.clone()
    }

    /// Bind NTLM and Kerberos sign-ins to the TLS connection (channel binding tokens, RFC 5929
    /// `tls-server-end-point`), as Exchange's Extended Protection checks. On by default;
    /// switching it off makes the client fail against a server that requires it, and lets a
    /// man in the middle relay the sign-in.
    pub fn channel_binding(mut self, yes: bool) -> Self {
        self.channel_binding = yes;
        self
    }

    /// Use this reqwest client (shares its pool). Its redirect and TLS settings are the
    /// caller's; a followed redirect is still detected and reported as an error.
    pub fn reqwest_client(mut self, c: reqwest::Client) -> Self {
        self.reqwest = Some(c);
        self
    }

    /// Use this transport instead of HTTP (an in-process test server, a recorder).
    pub fn transport(mut self, t: Arc<dyn Transport>) -> Self {
        self.transport = Some(t);
        self
    }

    /// Log request and response XML at TRACE level (headers redacted). Off by default: bodies
    /// hold mailbox content.
    pub fn log_bodies(mut self, yes: bool) -> Self {
        self.log_bodies = yes;
        self
    }

    /// Seeds the jitter so that retry schedules repeat exactly (tests).
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = Some(seed);
        self
    }

    /// Builds the client, or reports the first bad setting.
    pub fn build(self) -> Result<Client, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let url = reqwest::Url::parse(&self.endpoint)
            .map_err(|_| Error::new(ErrorKind::Config, "the endpoint is not a valid URL"))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(Error::new(
                ErrorKind::Config,
                "the endpoint must be an http or https URL",
            ));
        }
        let connection = match &self.credentials.kind {
            crate::auth::CredentialKind::Connection(a) => Some(a.clone()),
            _ => None,
        };
        let transport: Arc<dyn Transport> = match (self.transport, self.reqwest) {
            (Some(t), _) => t,
            (None, Some(_)) if connection.is_some() => {
                return Err(Error::new(
                    ErrorKind::Config,
                    "a connection-bound scheme (NTLM, Negotiate) needs connections of its own; \
                     do not pass a reqwest client with it",
                ));
            }
            (None, None) if connection.is_some() => {
                Arc::new(crate::session::SessionTransport::new(
                    connection.expect("checked"),
                    &self.http,
                    self.concurrency,
                    self.channel_binding,
                )?)
            }
            (None, Some(c)) => Arc::new(ReqwestTransport::with_client(c, self.http.max_body)),
            (None, None) => Arc::new(ReqwestTransport::new(&self.http)?),
        };
        let rng = match self.jitter_seed {
            Some(s) => fastrand::Rng::with_seed(s),
            None => fastrand::Rng::new(),
        };
        let identity = self.credentials.identity();
        Ok(Client {
            shared: Arc::new(Shared {
                endpoint: url.to_string(),
                transport,
                credentials: self.credentials,
                headers: self.headers,
                user_agent: self.http.user_agent,
                retry: self.retry,
                gates: Gates::new(self.concurrency),
                log_bodies: self.log_bodies,
                rng: std::sync::Mutex::new(rng),
                server_version: std::sync::Mutex::new(None),
            }),
            scope: Scope::signed_in(identity),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_reports_the_first_bad_setting() {
        let e = Client::builder("https://h/EWS/Exchange.asmx")
            .concurrency(0)
            .user_agent("bad\nagent")
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.to_string().contains("concurrency"), "{e}");
        let e = Client::builder("ftp://h/").build().unwrap_err();
        assert!(e.to_string().contains("http"), "{e}");
        assert!(Client::builder("not a url").build().is_err());
    }
}
