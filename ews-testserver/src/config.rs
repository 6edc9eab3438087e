//! The organisation a server hosts, as read from a TOML file or built in code.
//!
//! ```toml
//! [[mailbox]]
//! smtp = "boss@contoso.com"
//! upn = "boss@corp.contoso.com"
//! sid = "S-1-5-21-1-2-3-1001"
//! name = "Pat Boss"
//! password = "boss-pw"            # may sign in (Basic), optional
//!
//! [[account]]                     # an account without a mailbox, e.g. a service account
//! user = "svc-booking"
//! password = "svc-pw"             # or: token = "static-bearer-token"
//! impersonation = true            # holds ApplicationImpersonation
//! scope = ["a@contoso.com"]       # optional management scope (default: every mailbox)
//!
//! [[delegate]]
//! principal = "boss@contoso.com"
//! delegate = "assistant@contoso.com"
//! calendar = "Editor"             # None, Reviewer, Author, Editor
//! inbox = "Reviewer"
//! view_private_items = false
//! receive_copies = true
//!
//! [faults]
//! latency_ms = 0
//! concurrency_limit = 0           # per identity; 0 = unlimited
//! require_anchor = false          # refuse impersonated requests without X-AnchorMailbox
//!
//! [limits]                        # what a client may send (the defaults shown)
//! max_body_bytes = 16777216       # larger requests get 413, read no further
//! header_timeout_ms = 10000       # a connection that sends no complete header is closed
//! body_timeout_ms = 30000         # a request whose body does not arrive in time gets 408
//! record_max_exchanges = 1000     # the record of exchanges keeps the newest this many…
//! record_max_bytes = 67108864     # …and this many bytes of bodies
//!
//! [auth]                          # how callers sign in (the defaults shown)
//! schemes = ["basic", "bearer"]   # also "ntlm" and "negotiate" (IIS Windows authentication)
//! extended_protection = "none"    # "allow" or "require": check channel bindings over TLS
//! ntlm_domain = "CONTOSO"         # the NetBIOS domain NTLM challenges name
//!
//! [[site]]                        # Autodiscover: where a site's mailboxes are served
//! name = "eu"
//! ews_url = "https://eu.contoso.com/EWS/Exchange.asmx"
//! # and `site = "eu"` on a mailbox; mailboxes without one are served here
//!
//! [autodiscover]
//! enabled = true                  # answer /autodiscover/autodiscover.{svc,xml,json}
//! http_redirect = "https://autodiscover.contoso.com/autodiscover/autodiscover.xml"
//!                                 # an unauthenticated GET answers 302 to this (the HTTP probe)
//! [[autodiscover.redirect]]       # answer for an address with a redirect
//! address = "old@contoso.com"
//! to_address = "new@fabrikam.com" # redirectAddr / RedirectAddress, or:
//! # to_url = "https://autodiscover.fabrikam.com/autodiscover/autodiscover.svc"
//!
//! [tls]                           # serve HTTPS (PEM text or file paths)
//! cert = "server.pem"
//! key = "server.key"
//! ```

use serde::Deserialize;

/// The whole organisation.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Org {
    /// Mailboxes (each is also an account if it has a password or token).
    #[serde(default, rename = "mailbox")]
    pub mailboxes: Vec<MailboxConfig>,
    /// Accounts without a mailbox (service accounts).
    #[serde(default, rename = "account")]
    pub accounts: Vec<AccountConfig>,
    /// Initial delegates.
    #[serde(default, rename = "delegate")]
    pub delegates: Vec<DelegateConfig>,
    /// Fault injection.
    #[serde(default)]
    pub faults: Faults,
    /// What a client may send, and how much of it the server remembers.
    #[serde(default)]
    pub limits: Limits,
    /// How callers sign in.
    #[serde(default)]
    pub auth: AuthConfig,
    /// Serve HTTPS with this certificate (plain HTTP without).
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// Sites with EWS endpoints of their own, for Autodiscover.
    #[serde(default, rename = "site")]
    pub sites: Vec<SiteConfig>,
    /// What Autodiscover answers.
    #[serde(default)]
    pub autodiscover: AutodiscoverConfig,
}

/// A site whose mailboxes Autodiscover sends to another EWS endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// The name mailboxes refer to (`site = "eu"`).
    pub name: String,
    /// The site's EWS endpoint.
    pub ews_url: String,
}

/// The Autodiscover endpoints (`/autodiscover/autodiscover.svc` SOAP, `.xml` POX, `.json`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutodiscoverConfig {
    /// Whether this server answers Autodiscover at all (a web server in front of a domain
    /// does not).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// An unauthenticated GET of `/autodiscover/autodiscover.xml` answers 302 to this URL, as
    /// the HTTP redirect probe (candidate 3) expects of `http://autodiscover.<domain>`.
    #[serde(default)]
    pub http_redirect: Option<String>,
    /// Addresses answered with a redirect.
    #[serde(default, rename = "redirect")]
    pub redirects: Vec<RedirectConfig>,
}

impl Default for AutodiscoverConfig {
    fn default() -> Self {
        AutodiscoverConfig {
            enabled: true,
            http_redirect: None,
            redirects: Vec::new(),
        }
    }
}

fn yes() -> bool {
    true
}

/// An address Autodiscover redirects: to another address (`redirectAddr`) or to another
/// Autodiscover endpoint (`redirectUrl`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedirectConfig {
    /// The address asked about.
    pub address: String,
    /// Ask again about this address.
    #[serde(default)]
    pub to_address: Option<String>,
    /// Ask this Autodiscover endpoint instead.
    #[serde(default)]
    pub to_url: Option<String>,
}

/// How callers sign in, as IIS is configured in front of Exchange.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// The schemes offered, in the order of the `WWW-Authenticate` headers of a 401.
    #[serde(default = "default_schemes")]
    pub schemes: Vec<Scheme>,
    /// Extended Protection for Authentication: whether NTLM and Negotiate sign-ins over TLS
    /// must carry the channel binding of the server's certificate.
    #[serde(default)]
    pub extended_protection: ExtendedProtection,
    /// The NetBIOS domain the NTLM challenge names.
    #[serde(default = "default_ntlm_domain")]
    pub ntlm_domain: String,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            schemes: default_schemes(),
            extended_protection: ExtendedProtection::None,
            ntlm_domain: default_ntlm_domain(),
        }
    }
}

fn default_schemes() -> Vec<Scheme> {
    vec![Scheme::Basic, Scheme::Bearer]
}

fn default_ntlm_domain() -> String {
    "CONTOSO".into()
}

/// A sign-in scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// User name and password in every request.
    Basic,
    /// A static bearer token (`token` of a mailbox or account).
    Bearer,
    /// NTLMv2, authenticating the connection (passwords of mailboxes and accounts).
    Ntlm,
    /// SPNEGO with Kerberos, authenticating the connection (needs the `kerberos` feature and
    /// a keytab).
    Negotiate,
}

/// IIS's Extended Protection setting (`extendedProtection tokenChecking`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtendedProtection {
    /// Channel bindings are not checked.
    #[default]
    None,
    /// A sign-in that carries a binding must carry the right one; one without is accepted.
    Allow,
    /// Every NTLM or Negotiate sign-in over TLS must carry the right binding.
    Require,
}

/// The server's certificate and key: PEM text, or the path of a PEM file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain, server first.
    pub cert: String,
    /// The private key.
    pub key: String,
}

/// Limits on requests and on the record of exchanges: what keeps a server up under bad input.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest request body read; a larger one is answered 413 before it is read further.
    pub max_body_bytes: usize,
    /// Time for a connection to send a complete request header before it is closed.
    pub header_timeout_ms: u64,
    /// Time for a request body to arrive once its header is in; then 408.
    pub body_timeout_ms: u64,
    /// Exchanges the record keeps (the newest).
    pub record_max_exchanges: usize,
    /// Bytes of request and response bodies the record keeps (the newest exchanges).
    pub record_max_bytes: usize,
    /// Largest message sent (subject, body and attachments); a larger one is refused with
    /// `ErrorMessageSizeExceeded`. Exchange 2016/2019's default `MaxSendSize` is 10 MB.
    pub max_send_bytes: usize,
    /// Streaming connections (`GetStreamingEvents`) one account may hold open at once; one
    /// more is `ErrorExceededConnectionCount` (Exchange's default hanging-connection limit).
    pub max_streaming_connections: usize,
    /// Time between keep-alive envelopes (`ConnectionStatus` OK) on a quiet streaming
    /// connection.
    pub streaming_keepalive_ms: u64,
    /// How long one minute of a subscription's timing lasts: a pull `Timeout`, a streaming
    /// `ConnectionTimeout`, a push `StatusFrequency`.
    /// 60,000 as on Exchange; tests set less to see connections close and status events come
    /// without waiting minutes.
    pub streaming_minute_ms: u64,
    /// The first wait before a failed push delivery is tried again (doubling each time).
    pub push_retry_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 16 << 20,
            header_timeout_ms: 10_000,
            body_timeout_ms: 30_000,
            record_max_exchanges: 1000,
            record_max_bytes: 64 << 20,
            max_send_bytes: 10 << 20,
            max_streaming_connections: 10,
            streaming_keepalive_ms: 30_000,
            streaming_minute_ms: 60_000,
            push_retry_ms: 30_000,
        }
    }
}

/// A mailbox.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailboxConfig {
    /// Primary SMTP address.
    pub smtp: String,
    /// User principal name (default: the SMTP address).
    pub upn: Option<String>,
    /// Security identifier (default: generated).
    pub sid: Option<String>,
    /// Display name (default: the SMTP address' local part).
    pub name: Option<String>,
    /// Password for Basic sign-in (by SMTP address or UPN).
    pub password: Option<String>,
    /// Static bearer token.
    pub token: Option<String>,
    /// Holds ApplicationImpersonation (rare for a user; default false).
    #[serde(default)]
    pub impersonation: bool,
    /// The site (`[[site]]`) whose EWS endpoint Autodiscover gives for this mailbox; none:
    /// this server's.
    #[serde(default)]
    pub site: Option<String>,
}

/// An account without a mailbox.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// Sign-in name for Basic.
    pub user: String,
    /// Password for Basic.
    pub password: Option<String>,
    /// Static bearer token.
    pub token: Option<String>,
    /// Holds the ApplicationImpersonation role.
    #[serde(default)]
    pub impersonation: bool,
    /// Mailboxes the role covers (a management scope); absent: all.
    pub scope: Option<Vec<String>>,
}

/// A delegate relationship present at start.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelegateConfig {
    /// The principal's SMTP address.
    pub principal: String,
    /// The delegate's SMTP address.
    pub delegate: String,
    /// Calendar level.
    pub calendar: Option<String>,
    /// Tasks level.
    pub tasks: Option<String>,
    /// Inbox level.
    pub inbox: Option<String>,
    /// Contacts level.
    pub contacts: Option<String>,
    /// Notes level.
    pub notes: Option<String>,
    /// Journal level.
    pub journal: Option<String>,
    /// Sees private items.
    #[serde(default)]
    pub view_private_items: bool,
    /// Receives copies of meeting messages.
    #[serde(default)]
    pub receive_copies: bool,
}

/// Fault injection, also settable at run time through [`crate::Control`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    /// Added latency per request, in milliseconds.
    #[serde(default)]
    pub latency_ms: u64,
    /// Concurrent requests allowed per identity before `ErrorExceededConnectionCount`; 0: no
    /// limit.
    #[serde(default)]
    pub concurrency_limit: usize,
    /// Refuse impersonated requests that lack `X-AnchorMailbox`.
    #[serde(default)]
    pub require_anchor: bool,
    /// Mailbox servers behind the endpoint (0 or 1: one). With more, each mailbox lives on
    /// one of them, a request is routed by its `X-BackEndOverrideCookie`, else by its anchor
    /// mailbox, and a subscription is found only on the server it was made on, as Exchange
    /// routes notifications (a client that keeps no affinity gets `ErrorSubscriptionNotFound`).
    #[serde(default)]
    pub backends: usize,
}

impl Org {
    /// Parses a TOML organisation.
    pub fn from_toml(text: &str) -> Result<Org, crate::Error> {
        toml::from_str(text).map_err(|e| crate::Error::Config(e.to_string()))
    }
}
