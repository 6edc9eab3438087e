//! Credentials: Basic, static bearer tokens, and [`TokenProvider`]s such as the OAuth2
//! client-credentials flow of Microsoft Entra ID ([`ClientCredentials`]).
//!
//! Secrets are held in [`secrecy::SecretString`]: `Debug` prints `[REDACTED]`, and the client
//! marks the `Authorization` header sensitive so it never reaches a log.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;
use tokio::time::Instant;

pub use crate::binding::ChannelBinding;
use crate::error::{Error, ErrorKind, excerpt};
use crate::transport::{BoxFuture, HttpRequest, Transport};

/// An access token and when it expires.
#[derive(Clone)]
pub struct AccessToken {
    secret: SecretString,
    expires_at: Option<Instant>,
}

impl AccessToken {
    /// A token that expires at `expires_at` (`None`: never, as far as the client knows).
    pub fn new(token: impl Into<String>, expires_at: Option<Instant>) -> Self {
        AccessToken {
            secret: SecretString::from(token.into()),
            expires_at,
        }
    }

    /// When the token expires.
    pub fn expires_at(&self) -> Option<Instant> {
        self.expires_at
    }

    fn fresh(&self, margin: Duration) -> bool {
        self.expires_at.is_none_or(|t| Instant::now() + margin < t)
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("secret", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What an OAuth token stands for, which decides the impersonation header.
///
/// Exchange rejects app-only tokens on requests without the `ExchangeImpersonation` header
/// ("ExchangeImpersonation SOAP header must be present for this type of OAuth token"), and
/// rejects delegated (user) tokens on requests with it. The client refuses both before sending
/// when it knows the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// An application token (client credentials): every request must impersonate a mailbox.
    AppOnly,
    /// A user's token: requests act as that user and must not impersonate.
    Delegated,
    /// Not known to the client: nothing is enforced.
    Unknown,
}

/// Supplies bearer tokens. The client asks before every request (implementations cache), and
/// once more with `refresh = true` after a 401.
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// A valid token; with `refresh`, a new one even if the cached token looks valid.
    fn token(&self, refresh: bool) -> BoxFuture<'_, Result<AccessToken, Error>>;

    /// What the tokens stand for (default [`TokenKind::Unknown`]).
    fn kind(&self) -> TokenKind {
        TokenKind::Unknown
    }
}

/// How the client authenticates.
#[derive(Clone, Default)]
pub struct Credentials {
    pub(crate) kind: CredentialKind,
}

#[derive(Clone, Default)]
pub(crate) enum CredentialKind {
    #[default]
    None,
    Basic {
        user: String,
        password: SecretString,
    },
    Bearer(Arc<dyn TokenProvider>),
    Connection(Arc<dyn ConnectionAuth>),
}

/// A way to sign in that authenticates a connection, not a request (NTLM, Negotiate and
/// Kerberos): a handshake of one or more round trips on each new connection, after which the
/// connection carries only this identity's requests.
///
/// The client runs such a scheme through one transport room: it keeps one HTTP/1.1 connection
/// per concurrent request slot, runs [`ConnectionAuth::handshake`] on each new one, sends each
/// [`Token`] as `Authorization: <scheme> <base64>` and hands the server's
/// `WWW-Authenticate: <scheme> <base64>` back to [`Handshake::next`], and starts again when the
/// server answers 401 on an authenticated connection. A new scheme implements these two traits
/// and is given to [`Credentials::connection`]; nothing else changes.
pub trait ConnectionAuth: Send + Sync + fmt::Debug {
    /// The scheme as `Authorization` and `WWW-Authenticate` name it (`NTLM`, `Negotiate`).
    fn scheme(&self) -> &'static str;
    /// A name for the identity without secrets (throttling, logs).
    fn identity(&self) -> String;
    /// A handshake for one new connection to `host` (the endpoint's host name, from which
    /// Kerberos names the service: `HTTP/host`).
    fn handshake(&self, host: &str) -> Result<Box<dyn Handshake>, Error>;
    /// Whether the first token already needs the channel binding (Kerberos: the binding is
    /// inside the first and only token). Then, on a TLS connection, the transport first sends
    /// the request's headers without credentials to learn the server's certificate, as
    /// browsers do. `false` by default (NTLM binds in its last token).
    fn binds_first_token(&self) -> bool {
        false
    }
}

/// One connection's handshake.
pub trait Handshake: Send {
    /// The next token for the server, given the server's last one (`None` to start).
    fn next(&mut self, server: Option<&[u8]>) -> Result<Token, Error>;
    /// Checks the server's token on the answer that completed the handshake (mutual
    /// authentication, as Kerberos has it); `None` when the server sent none. Accepts by
    /// default.
    fn verify(&mut self, server: Option<&[u8]>) -> Result<(), Error> {
        let _ = server;
        Ok(())
    }
    /// The TLS channel this handshake runs on, given before [`Handshake::next`] whenever the
    /// connection is TLS and channel binding is on (the default). A scheme that supports
    /// Extended Protection puts it in its tokens; ignored by default.
    fn bind(&mut self, channel: &ChannelBinding) {
        let _ = channel;
    }
}

/// A handshake token for the server.
#[derive(Clone)]
pub struct Token {
    /// The token (sent base64-encoded).
    pub bytes: Vec<u8>,
    /// Whether it completes the client's side: then it goes with the request itself; before
    /// that, with an empty body.
    pub last: bool,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("bytes", &format_args!("[{} bytes]", self.bytes.len()))
            .field("last", &self.last)
            .finish()
    }
}

impl Credentials {
    /// No `Authorization` header (a test server, or a transport that authenticates itself).
    pub fn none() -> Self {
        Credentials::default()
    }

    /// HTTP Basic: on-premises Exchange with Basic enabled (Exchange Online turned it off in
    /// 2022). Use HTTPS: Basic sends the password with every request.
    pub fn basic(user: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials {
            kind: CredentialKind::Basic {
                user: user.into(),
                password: SecretString::from(password.into()),
            },
        }
    }

    /// A bearer token that never changes (tests, or a token managed elsewhere), of unknown
    /// kind.
    pub fn bearer(token: impl Into<String>) -> Self {
        Self::bearer_of_kind(token, TokenKind::Unknown)
    }

    /// A bearer token that never changes, of a known kind (see [`TokenKind`]).
    pub fn bearer_of_kind(token: impl Into<String>, kind: TokenKind) -> Self {
        Self::token_provider(StaticToken(AccessToken::new(token, None), kind))
    }

    /// A connection-bound scheme ([`ConnectionAuth`]); [`Credentials::ntlm`] is one.
    pub fn connection(auth: impl ConnectionAuth + 'static) -> Self {
        Credentials {
            kind: CredentialKind::Connection(Arc::new(auth)),
        }
    }

    /// Bearer tokens from a provider, cached and refreshed by it.
    pub fn token_provider(p: impl TokenProvider + 'static) -> Self {
        Credentials {
            kind: CredentialKind::Bearer(Arc::new(p)),
        }
    }

    /// A name for the identity, without secrets: the Basic user name, or `bearer`.
    pub(crate) fn identity(&self) -> String {
        match &self.kind {
            CredentialKind::None => "anonymous".into(),
            CredentialKind::Basic { user, .. } => format!("basic:{user}"),
            CredentialKind::Bearer(_) => "bearer".into(),
            CredentialKind::Connection(a) => a.identity(),
        }
    }

    /// The token kind, for bearer credentials; `Unknown` otherwise (Basic and NTLM accounts may
    /// or may not hold the ApplicationImpersonation role).
    pub fn token_kind(&self) -> TokenKind {
        match &self.kind {
            CredentialKind::Bearer(p) => p.kind(),
            _ => TokenKind::Unknown,
        }
    }

    pub(crate) fn refreshable(&self) -> bool {
        matches!(self.kind, CredentialKind::Bearer(_))
    }

    /// The `Authorization` header value, marked sensitive.
    pub(crate) async fn header(&self, refresh: bool) -> Result<Option<HeaderValue>, Error> {
        let value = match &self.kind {
            CredentialKind::None | CredentialKind::Connection(_) => return Ok(None),
            CredentialKind::Basic { user, password } => {
                let raw = format!("{user}:{}", password.expose_secret());
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                )
            }
            CredentialKind::Bearer(p) => {
                let t = p.token(refresh).await?;
                format!("Bearer {}", t.secret.expose_secret())
            }
        };
        let mut v = HeaderValue::from_str(&value).map_err(|_| {
            Error::new(
                ErrorKind::InvalidInput,
                "the credentials contain characters not allowed in an HTTP header",
            )
        })?;
        v.set_sensitive(true);
        Ok(Some(v))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            CredentialKind::None => f.write_str("Credentials::None"),
            CredentialKind::Basic { user, .. } => f
                .debug_struct("Credentials::Basic")
                .field("user", user)
                .field("password", &"[REDACTED]")
                .finish(),
            CredentialKind::Bearer(p) => f.debug_tuple("Credentials::Bearer").field(p).finish(),
            CredentialKind::Connection(a) => {
                f.debug_tuple("Credentials::Connection").field(a).finish()
            }
        }
    }
}

/// A token that never changes.
#[derive(Debug)]
struct StaticToken(AccessToken, TokenKind);

impl TokenProvider for StaticToken {
    fn token(&self, _refresh: bool) -> BoxFuture<'_, Result<AccessToken, Error>> {
        Box::pin(async move { Ok(self.0.clone()) })
    }

    fn kind(&self) -> TokenKind {
        self.1
    }
}

/// OAuth2 client credentials (app-only) against Microsoft Entra ID or any OAuth2 token
/// endpoint: `POST grant_type=client_credentials`.
///
/// Tokens are cached and refreshed five minutes before they expire (or when the client saw a
/// 401); concurrent callers share one refresh. App-only tokens require the
/// `ExchangeImpersonation` header on every EWS request.
pub struct ClientCredentials {
    token_url: String,
    client_id: String,
    secret: SecretString,
    scope: String,
    margin: Duration,
    transport: Mutex<Option<Arc<dyn Transport>>>,
    cache: Mutex<Option<AccessToken>>,
}

impl ClientCredentials {
    /// For Entra ID tenant `tenant` (id or domain), with scope
    /// `https://outlook.office365.com/.default`.
    pub fn entra(
        tenant: impl AsRef<str>,
        client_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        let url = format!(
            "https://login.microsoftonline.com/{}/oauth2/v2.0/token",
            tenant.as_ref()
        );
        Self::new(url, client_id, secret)
    }

    /// For any OAuth2 token endpoint.
    pub fn new(
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        ClientCredentials {
            token_url: token_url.into(),
            client_id: client_id.into(),
            secret: SecretString::from(secret.into()),
            scope: "https://outlook.office365.com/.default".into(),
            margin: Duration::from_secs(300),
            transport: Mutex::new(None),
            cache: Mutex::new(None),
        }
    }

    /// The scope to request (default `https://outlook.office365.com/.default`; on-premises
    /// hybrid: `https://mail.contoso.com/.default`).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// How long before expiry a token is refreshed (default 5 minutes).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// The HTTP transport for the token endpoint (default: reqwest with the client's
    /// hardening, created on first use).
    pub fn transport(self, t: Arc<dyn Transport>) -> Self {
        *self.transport.try_lock().expect("not shared yet") = Some(t);
        self
    }

    async fn fetch(&self) -> Result<AccessToken, Error> {
        let transport = {
            let mut t = self.transport.lock().await;
            match &*t {
                Some(t) => t.clone(),
                None => {
                    let made: Arc<dyn Transport> = Arc::new(
                        crate::transport::ReqwestTransport::new(&crate::transport::default_http())?,
                    );
                    *t = Some(made.clone());
                    made
                }
            }
        };
        let body: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", self.secret.expose_secret())
            .append_pair("scope", &self.scope)
            .finish();
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        headers.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        let sent_at = Instant::now();
        let resp = transport
            .send(HttpRequest {
                url: self.token_url.clone(),
                headers,
                body: Bytes::from(body),
            })
            .await
            .map_err(|e| {
                let mut e = e.into_error();
                e.inner_mut().kind = Some(ErrorKind::Auth);
                e.inner_mut().message =
                    format!("token endpoint unreachable: {}", e.inner_mut().message);
                e
            })?;
        #[derive(serde::Deserialize)]
        struct Reply {
            access_token: Option<String>,
            expires_in: Option<serde_json::Value>,
            error: Option<String>,
            error_description: Option<String>,
        }
        let reply: Result<Reply, _> = serde_json::from_slice(&resp.body);
        match reply {
            Ok(Reply {
                access_token: Some(token),
                expires_in,
                ..
            }) if resp.status == 200 => {
                let secs = match expires_in {
                    Some(serde_json::Value::Number(n)) => n.as_u64(),
                    Some(serde_json::Value::String(s)) => s.parse().ok(),
                    _ => None,
                };
                let expires_at = secs.map(|s| sent_at + Duration::from_secs(s.min(86_400)));
                Ok(AccessToken::new(token, expires_at))
            }
            Ok(r) => {
                let mut msg = format!("token endpoint answered HTTP {}", resp.status);
                if let Some(code) = r.error {
                    msg.push_str(&format!(": {code}"));
                }
                if let Some(d) = r.error_description {
                    msg.push_str(&format!(" ({})", excerpt(d.as_bytes())));
                }
                let mut e = Error::new(ErrorKind::Auth, msg);
                e.inner_mut().status = Some(resp.status);
                Err(e)
            }
            Err(_) => {
                let mut e = Error::new(
                    ErrorKind::Auth,
                    format!(
                        "token endpoint answered HTTP {} without a JSON token",
                        resp.status
                    ),
                );
                e.inner_mut().status = Some(resp.status);
                Err(e)
            }
        }
    }
}

impl TokenProvider for ClientCredentials {
    fn token(&self, refresh: bool) -> BoxFuture<'_, Result<AccessToken, Error>> {
        Box::pin(async move {
            let mut cache = self.cache.lock().await;
            if !refresh
                && let Some(t) = &*cache
                && t.fresh(self.margin)
            {
                return Ok(t.clone());
            }
            let t = self.fetch().await?;
            *cache = Some(t.clone());
            Ok(t)
        })
    }

    fn kind(&self) -> TokenKind {
        TokenKind::AppOnly
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("token_url", &crate::redact::url(&self.token_url))
            .field("client_id", &self.client_id)
            .field("secret", &"[REDACTED]")
            .field("scope", &self.scope)
            .finish()
    }
}
