//! The transport of connection-bound schemes ([`ConnectionAuth`]: NTLM today, Negotiate next).
//!
//! Such a scheme authenticates a TCP connection, not a request, so it cannot share a
//! connection pool: this transport keeps one session per concurrent request slot, each a
//! reqwest client of its own that keeps a single HTTP/1.1 connection alive. A session runs the
//! scheme's handshake on its connection the first time, and again whenever the server answers
//! 401 (the connection was closed and a new one opened). Sessions are never shared between
//! credentials: a client with other credentials has its own transport.

use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::HeaderValue;
use tokio::sync::Semaphore;

use crate::auth::{ConnectionAuth, Handshake};
use crate::error::ErrorKind;
use crate::transport::{
    BoxFuture, HttpRequest, HttpResponse, HttpSettings, ReqwestTransport, StreamingResponse,
    Transport, TransportError,
};

/// A fixed set of sessions, one request at a time each.
pub(crate) struct SessionTransport {
    auth: Arc<dyn ConnectionAuth>,
    sessions: Vec<Session>,
    free: Arc<Mutex<Vec<usize>>>,
    slots: Arc<Semaphore>,
    /// Bind handshakes on TLS connections to the server's certificate.
    channel_binding: bool,
}

struct Session {
    http: ReqwestTransport,
    authenticated: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for SessionTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionTransport")
            .field("auth", &self.auth)
            .field("sessions", &self.sessions.len())
            .finish()
    }
}

impl SessionTransport {
    pub(crate) fn new(
        auth: Arc<dyn ConnectionAuth>,
        settings: &HttpSettings,
        sessions: usize,
        channel_binding: bool,
    ) -> Result<Self, crate::Error> {
        let mut s = settings.clone();
        s.http1_only = true;
        s.max_idle = Some(1);
        s.tls_info = channel_binding;
        let sessions = (0..sessions.max(1))
            .map(|_| {
                Ok(Session {
                    http: ReqwestTransport::new(&s)?,
                    authenticated: Default::default(),
                })
            })
            .collect::<Result<Vec<_>, crate::Error>>()?;
        Ok(SessionTransport {
            auth,
            free: Arc::new(Mutex::new((0..sessions.len()).rev().collect())),
            slots: Arc::new(Semaphore::new(sessions.len())),
            sessions,
            channel_binding,
        })
    }

    async fn run(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let _slot = self.slots.acquire().await.expect("never closed");
        let index = self
            .free
            .lock()
            .expect("lock")
            .pop()
            .expect("a free session");
        struct ReturnSession<'a>(&'a Mutex<Vec<usize>>, usize);
        impl Drop for ReturnSession<'_> {
            fn drop(&mut self) {
                self.0.lock().expect("lock").push(self.1);
            }
        }
        let _return = ReturnSession(&self.free, index);
        let session = &self.sessions[index];
        use std::sync::atomic::Ordering::{Acquire, Release};
        if session.authenticated.load(Acquire) {
            let resp = session.http.run(req.clone()).await?;
            if !(resp.status == 401 && self.offered(&resp)) {
                return Ok(resp);
            }
            // The server dropped the authenticated connection; authenticate the new one.
            session.authenticated.store(false, Release);
        }
        let resp = self.handshake(session, req).await?;
        if resp.status != 401 {
            session.authenticated.store(true, Release);
        }
        Ok(resp)
    }

    /// The scheme's round trips on one connection; returns the answer to the authenticated
    /// request (or the server's 401 when it offers the scheme no more).
    async fn handshake(
        &self,
        session: &Session,
        req: HttpRequest,
    ) -> Result<HttpResponse, TransportError> {
        let (last, mut hs) = match self.negotiate(session, &req).await? {
            Ok(next) => next,
            Err(refused) => return Ok(refused),
        };
        let answer = session.http.run(last).await?;
        if answer.status != 401 {
            hs.verify(self.token(&answer.headers).as_deref())
                .map_err(|e| TransportError::new(ErrorKind::Auth, true, e.to_string()))?;
        }
        Ok(answer)
    }

    /// The negotiation legs (no body); gives the last leg, carrying the request and the final
    /// token, with the handshake that checks the server's answer to it — or the server's 401
    /// when it offers the scheme no more.
    async fn negotiate(
        &self,
        session: &Session,
        req: &HttpRequest,
    ) -> Result<Result<(HttpRequest, Box<dyn Handshake>), HttpResponse>, TransportError> {
        let scheme = self.auth.scheme();
        let auth_error =
            |e: crate::Error| TransportError::new(ErrorKind::Auth, false, e.to_string());
        let host = reqwest::Url::parse(&req.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .ok_or_else(|| TransportError::new(ErrorKind::Config, false, "invalid endpoint URL"))?;
        let mut hs: Box<dyn Handshake> = self.auth.handshake(&host).map_err(auth_error)?;
        let mut server: Option<Vec<u8>> = None;
        let tls = req
            .url
            .get(..8)
            .is_some_and(|p| p.eq_ignore_ascii_case("https://"));
        if self.channel_binding && tls && self.auth.binds_first_token() {
            // The first token carries the binding: learn the certificate on this connection
            // with the request's headers alone, as browsers do.
            let mut probe = req.clone();
            probe.body = Bytes::new();
            probe.headers.remove(http::header::AUTHORIZATION);
            let (answer, peer) = session.http.run_with_peer(probe).await?;
            if answer.status != 401 {
                return Err(TransportError::new(
                    ErrorKind::Auth,
                    false,
                    format!(
                        "the server answered a request without credentials with HTTP {} instead of asking for {scheme}",
                        answer.status
                    ),
                ));
            }
            self.bind(hs.as_mut(), peer.as_deref())?;
        }
        loop {
            let token = hs.next(server.as_deref()).map_err(auth_error)?;
            let mut leg = req.clone();
            leg.headers
                .insert(http::header::AUTHORIZATION, value(scheme, &token.bytes));
            if token.last {
                return Ok(Ok((leg, hs)));
            }
            leg.body = Bytes::new();
            let (answer, peer) = session.http.run_with_peer(leg).await?;
            if self.channel_binding && tls {
                self.bind(hs.as_mut(), peer.as_deref())?;
            }
            if answer.status != 401 {
                return Err(TransportError::new(
                    ErrorKind::Auth,
                    false,
                    format!(
                        "the server answered {scheme} negotiation with HTTP {}",
                        answer.status
                    ),
                ));
            }
            match self.token(&answer.headers) {
                Some(t) => server = Some(t),
                None => return Ok(Err(answer)), // the scheme not offered: the 401 goes to the caller
            }
        }
    }

    /// Gives the handshake the binding of the connection that answered with `peer`.
    fn bind(&self, hs: &mut dyn Handshake, peer: Option<&[u8]>) -> Result<(), TransportError> {
        let Some(der) = peer else {
            return Err(TransportError::new(
                ErrorKind::Tls,
                true,
                "the TLS connection gave no server certificate to bind the sign-in to",
            ));
        };
        let binding = crate::auth::ChannelBinding::tls_server_end_point(der)
            .map_err(|e| TransportError::new(ErrorKind::Tls, true, e.to_string()))?;
        hs.bind(&binding);
        Ok(())
    }

    /// A streamed request on a session of its own, authenticated as any other (the last leg
    /// of a handshake is the streamed request itself). The session stays taken until the
    /// body is dropped.
    async fn stream(
        &self,
        req: HttpRequest,
        timeout: std::time::Duration,
    ) -> Result<StreamingResponse, TransportError> {
        use futures_util::StreamExt;
        let permit = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("never closed");
        let index = self
            .free
            .lock()
            .expect("lock")
            .pop()
            .expect("a free session");
        let taken = Taken {
            free: self.free.clone(),
            index,
            _permit: permit,
        };
        let session = &self.sessions[index];
        use std::sync::atomic::Ordering::{Acquire, Release};
        let mut resp = None;
        if session.authenticated.load(Acquire) {
            let r = session.http.send_streaming(req.clone(), timeout).await?;
            if !(r.status == 401 && self.offers(&r.headers).next().is_some()) {
                resp = Some(r);
            } else {
                session.authenticated.store(false, Release);
            }
        }
        let mut resp = match resp {
            Some(r) => r,
            None => {
                let (last, mut hs) = match self.negotiate(session, &req).await? {
                    Ok(next) => next,
                    Err(refused) => {
                        return Ok(StreamingResponse {
                            status: refused.status,
                            headers: refused.headers,
                            body: futures_util::stream::empty().boxed(),
                        });
                    }
                };
                let r = session.http.send_streaming(last, timeout).await?;
                if r.status != 401 {
                    hs.verify(self.token(&r.headers).as_deref())
                        .map_err(|e| TransportError::new(ErrorKind::Auth, true, e.to_string()))?;
                    session.authenticated.store(true, Release);
                }
                r
            }
        };
        let body = std::mem::replace(&mut resp.body, futures_util::stream::empty().boxed());
        resp.body = body
            .map(move |chunk| {
                let _held = &taken;
                chunk
            })
            .boxed();
        Ok(resp)
    }

    /// The `WWW-Authenticate` values of this scheme.
    fn offers<'r>(
        &self,
        headers: &'r http::HeaderMap,
    ) -> impl Iterator<Item = &'r str> + use<'r, '_> {
        let scheme = self.auth.scheme();
        headers
            .get_all(http::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter(move |v| {
                let v = v.trim_start();
                v.get(..scheme.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(scheme))
                    && v[scheme.len()..].chars().next().is_none_or(|c| c == ' ')
            })
    }

    fn offered(&self, resp: &HttpResponse) -> bool {
        self.offers(&resp.headers).next().is_some()
    }

    /// The server's token in a `WWW-Authenticate: <scheme> <base64>`.
    fn token(&self, headers: &http::HeaderMap) -> Option<Vec<u8>> {
        self.offers(headers)
            .filter_map(|v| v.trim().split_once(' ').map(|(_, b)| b.trim().to_owned()))
            .find_map(|b| STANDARD.decode(b).ok())
    }
}

/// `<scheme> <base64>`, marked sensitive.
fn value(scheme: &str, token: &[u8]) -> HeaderValue {
    let mut v = HeaderValue::from_str(&format!("{scheme} {}", STANDARD.encode(token)))
        .expect("a scheme name and base64 make a valid header value");
    v.set_sensitive(true);
    v
}

/// A session taken by a streamed answer: given back, with its slot, when the body is dropped.
struct Taken {
    free: Arc<Mutex<Vec<usize>>>,
    index: usize,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Drop for Taken {
    fn drop(&mut self) {
        self.free.lock().expect("lock").push(self.index);
    }
}

impl Transport for SessionTransport {
    fn send(&self, req: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(self.run(req))
    }

    fn send_streaming(
        &self,
        req: HttpRequest,
        timeout: std::time::Duration,
    ) -> BoxFuture<'_, Result<StreamingResponse, TransportError>> {
        Box::pin(self.stream(req, timeout))
    }
}
