//! A local Exchange Web Services server for development and tests.
//!
//! It hosts an organisation described in a config file ([`Org`]): mailboxes with folders,
//! accounts (passwords or static bearer tokens), service accounts holding ApplicationImpersonation
//! (optionally limited to a scope), and delegates. It speaks EWS at `/EWS/Exchange.asmx`, reads
//! requests and writes responses with the generated `ews-types`, and serves its schema files at
//! `/EWS/Services.wsdl`, `/EWS/messages.xsd` and `/EWS/types.xsd`.
//!
//! ```no_run
//! # async fn run() {
//! use ews_testserver::{Org, TestServer};
//! let org = Org::from_toml(r#"
//!     [[mailbox]]
//!     smtp = "alice@contoso.com"
//!     password = "pw"
//! "#).unwrap();
//! let server = TestServer::start(org).await.unwrap();
//! println!("EWS at {}", server.url());
//! # }
//! ```
//!
//! What it implements, and how faithfully, is listed in its README.
#![doc = include_str!("../README.md")]

mod auth;
mod autodiscover;
pub mod config;
pub mod events;
mod faults;
mod http;
#[cfg(feature = "kerberos")]
mod negotiate;
mod ntlm;
mod ops;
mod push;
mod soap;
pub mod store;
mod streaming;
pub mod syncstate;
mod tls;
pub mod tree;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use config::Org;
pub use faults::{Control, Exchange, STREAMED};

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The organisation's TOML does not parse or does not fit the format (`src/config.rs`).
    #[error("configuration: {0}")]
    Config(String),
    /// The organisation names something it does not define (a delegate of an unknown mailbox,
    /// an unknown permission level).
    #[error("organisation: {0}")]
    Org(String),
    /// The address cannot be listened on.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

/// Shared state of a running server.
pub(crate) struct State {
    pub org: Org,
    pub store: Mutex<store::Store>,
    pub control: Control,
    pub schema_dir: Option<PathBuf>,
}

impl State {
    /// The store. A request that panicked while holding it (a server bug, answered with a
    /// fault) does not take the rest of the test suite down with it.
    pub fn store(&self) -> std::sync::MutexGuard<'_, store::Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A server running on 127.0.0.1 until dropped (or [`TestServer::shutdown`]).
pub struct TestServer {
    addr: SocketAddr,
    /// `http`, or `https` when `[tls]` is set.
    scheme: &'static str,
    state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// The task that delivers push notifications.
    pusher: tokio::task::JoinHandle<()>,
}

impl TestServer {
    /// Starts a server on an ephemeral port of 127.0.0.1.
    pub async fn start(org: Org) -> Result<TestServer, Error> {
        Self::start_on("127.0.0.1:0".parse().expect("address"), org, None).await
    }

    /// Starts a server on `addr`, serving the schema files of `schema_dir` if given.
    pub async fn start_on(
        addr: SocketAddr,
        org: Org,
        schema_dir: Option<PathBuf>,
    ) -> Result<TestServer, Error> {
        let tls = org.tls.as_ref().map(tls::load).transpose()?.map(Arc::new);
        for m in &org.mailboxes {
            if let Some(site) = &m.site
                && !org.sites.iter().any(|s| &s.name == site)
            {
                return Err(Error::Org(format!(
                    "mailbox {} is in site {site}, which no [[site]] defines",
                    m.smtp
                )));
            }
        }
        let store = store::Store::new(&org)?;
        let control = Control::new(&org.faults, &org.limits);
        let state = Arc::new(State {
            org,
            store: Mutex::new(store),
            control,
            schema_dir,
        });
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Listen { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| Error::Listen { addr, source })?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = http::router(state.clone());
        let header_timeout = Duration::from_millis(state.org.limits.header_timeout_ms);
        let scheme = if tls.is_some() { "https" } else { "http" };
        tokio::spawn(http::serve(listener, app, header_timeout, tls, stopped));
        let pusher = tokio::spawn(push::run(state.clone()));
        Ok(TestServer {
            addr,
            scheme,
            state,
            stop: Some(stop),
            pusher,
        })
    }

    /// The EWS endpoint, `http://127.0.0.1:PORT/EWS/Exchange.asmx` (`https` with `[tls]`).
    pub fn url(&self) -> String {
        format!("{}://{}/EWS/Exchange.asmx", self.scheme, self.addr)
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Fault injection and the record of exchanged messages.
    pub fn control(&self) -> &Control {
        &self.state.control
    }

    /// Runs `f` on the server's store (to read mailboxes back in tests).
    pub fn with_store<R>(&self, f: impl FnOnce(&store::Store) -> R) -> R {
        f(&self.state.store())
    }

    /// Forgets every synchronization state handed out: the next `SyncFolderItems` or
    /// `SyncFolderHierarchy` with an old state gets `ErrorInvalidSyncStateData`, as after
    /// Exchange expires a state.
    pub fn expire_sync_states(&self) {
        self.state.store().sync_states.forget_all();
    }

    /// Forgets every subscription: the next `GetEvents` gets `ErrorSubscriptionNotFound`, as
    /// after Exchange expires a subscription or restarts.
    pub fn expire_subscriptions(&self) {
        self.state.store().notifications.forget_subscriptions();
    }

    /// Stops accepting connections.
    pub fn shutdown(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.pusher.abort();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.pusher.abort();
    }
}
