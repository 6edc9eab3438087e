//! An async client for Exchange Web Services over the generated [`ews_types`] bindings.
//!
//! - [`Client::send`] sends any generated operation and returns its typed response;
//!   [`Client::send_batch`] returns one result per request item, in order.
//! - Errors are layered ([`ErrorKind`]: transport, HTTP, SOAP fault, per-item message) with
//!   predicates for what callers decide on: [`Error::is_throttled`], [`Error::is_transient`],
//!   [`Error::outcome_unknown`], [`Error::retry_after`].
//! - Authentication: Basic, static bearer tokens, and [`TokenProvider`]s such as the OAuth2
//!   client-credentials flow ([`ClientCredentials`]); tokens refresh before expiry and once on
//!   401. Secrets never reach `Debug`, errors or logs.
//! - Throttling: `BackOffMilliseconds` and `Retry-After` are honoured within a deadline, with a
//!   floor, a cap and jitter; a throttle pauses every request of the same identity; a
//!   per-identity concurrency limit shrinks on `ErrorExceededConnectionCount`. Only reads and
//!   requests the server never received are retried ([`RetryPolicy`]).
//! - Transport: TLS verified, redirects never followed, explicit timeouts, a response cap
//!   that counts decompressed bytes, and the hardened XML reader of `ews-types` (no DOCTYPE, no
//!   entities, bounded depth). The [`Transport`] trait is the seam for tests and embedders.
//!
//! ```
//! use ews_client::{Client, Credentials};
//!
//! let client = Client::builder("https://mail.contoso.com/EWS/Exchange.asmx")
//!     .credentials(Credentials::bearer("token"))
//!     .build()?;
//! # Ok::<(), ews_client::Error>(())
//! ```

mod affinity;
mod answers;
mod auth;
pub mod autodiscover;
mod autodiscover_wire;
mod binding;
mod builder;
pub mod bulk;
mod calendar;
mod client;
mod delegate;
mod delegates;
mod dns;
pub mod edits;
mod error;
mod find;
mod impersonation;
#[cfg(feature = "kerberos")]
mod kerberos;
mod mailbox;
pub mod notify;
mod ntlm;
pub mod once;
mod permissions;
pub mod push;
pub mod query;
mod redact;
mod results;
mod retry;
mod session;
mod soap;
pub mod streaming;
pub mod sync;
mod throttle;
mod transport;

pub use affinity::AffinityGroup;
pub use answers::MeetingAnswer;
pub use auth::{
    AccessToken, ChannelBinding, ClientCredentials, ConnectionAuth, Credentials, Handshake, Token,
    TokenKind, TokenProvider,
};
pub use autodiscover::{Autodiscover, AutodiscoverBuilder, Discovered};
pub use builder::{ClientBuilder, DEFAULT_CONCURRENCY};
pub use client::{Client, Response};
pub use delegate::{MailboxClient, item_id};
pub use delegates::{Delegate, Delegates, FolderLevels, PermissionLevel};
pub use error::{DelegationProblem, Error, ErrorKind};
pub use impersonation::{ConnectingSid, Impersonated};
#[cfg(feature = "kerberos")]
pub use kerberos::Kerberos;
pub use mailbox::{Mailbox, attendees};
pub use permissions::{FolderPermissions, PermissionSet};
pub use retry::RetryPolicy;
pub use transport::DEFAULT_MAX_BODY;
pub use transport::{
    BoxFuture, HttpRequest, HttpResponse, StreamingResponse, Transport, TransportError,
};

/// The date-time crate of the bindings' values (`DateTime<Utc>` converts into them).
pub use chrono;
/// The generated bindings this client speaks, so one dependency is enough.
pub use ews_types;
pub use ews_types::tz::{Zone, ZoneError};
pub use ews_types::{m, t};
/// The stream traits [`Mailbox::find`] needs (`TryStreamExt::try_next`, `try_collect`).
pub use futures_util as futures;

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
