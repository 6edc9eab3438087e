//! NTLM for on-premises Exchange, through the `ntlmclient` crate.
//!
//! NTLM authenticates a TCP connection, not a request, so it cannot share a connection pool:
//! this transport keeps one session per concurrent request slot, each a reqwest client of its
//! own that keeps a single HTTP/1.1 connection alive. A session runs the handshake (Negotiate,
//! Challenge, Authenticate) on its connection the first time, and again whenever the server
//! answers 401 (the connection was closed and a new one opened). Sessions are never shared
//! between credentials: a client with other NTLM credentials has its own transport.

use std::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use crate::error::ErrorKind;
use crate::transport::{
    BoxFuture, HttpRequest, HttpResponse, HttpSettings, ReqwestTransport, Transport, TransportError,
};

/// NTLM user, password and domain.
#[derive(Clone)]
pub(crate) struct NtlmCredentials {
    pub user: String,
    pub password: SecretString,
    pub domain: String,
}

/// The NTLM transport: a fixed set of sessions, one request at a time each.
pub(crate) struct NtlmTransport {
    creds: NtlmCredentials,
    sessions: Vec<Session>,
    free: Mutex<Vec<usize>>,
    slots: Semaphore,
    workstation: String,
}

struct Session {
    http: ReqwestTransport,
    authenticated: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for NtlmTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NtlmTransport")
            .field("user", &self.creds.user)
            .field("domain", &self.creds.domain)
            .field("sessions", &self.sessions.len())
            .finish()
    }
}

impl NtlmTransport {
    pub(crate) fn new(
        creds: NtlmCredentials,
        settings: &HttpSettings,
        sessions: usize,
    ) -> Result<Self, crate::Error> {
        let mut s = settings.clone();
        s.http1_only = true;
        s.max_idle = Some(1);
        let sessions = (0..sessions.max(1))
            .map(|_| {
                Ok(Session {
                    http: ReqwestTransport::new(&s)?,
                    authenticated: Default::default(),
                })
            })
            .collect::<Result<Vec<_>, crate::Error>>()?;
        Ok(NtlmTransport {
            creds,
            free: Mutex::new((0..sessions.len()).rev().collect()),
            slots: Semaphore::new(sessions.len()),
            sessions,
            workstation: "EWS-CLIENT".into(),
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
            if !(resp.status == 401 && challenge_offered(&resp)) {
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

    /// Negotiate → Challenge → Authenticate on one connection; returns the answer to the
    /// authenticated request.
    async fn handshake(
        &self,
        session: &Session,
        req: HttpRequest,
    ) -> Result<HttpResponse, TransportError> {
        let negotiate = ntlmclient::Message::Negotiate(ntlmclient::NegotiateMessage {
            flags: ntlmclient::Flags::NEGOTIATE_UNICODE
                | ntlmclient::Flags::REQUEST_TARGET
                | ntlmclient::Flags::NEGOTIATE_NTLM
                | ntlmclient::Flags::NEGOTIATE_WORKSTATION_SUPPLIED,
            supplied_domain: String::new(),
            supplied_workstation: self.workstation.clone(),
            os_version: Default::default(),
        });
        let mut probe = req.clone();
        probe.body = Bytes::new();
        probe
            .headers
            .insert(http::header::AUTHORIZATION, auth_value(&negotiate)?);
        let answer = session.http.run(probe).await?;
        if answer.status != 401 {
            return Err(TransportError::new(
                ErrorKind::Auth,
                false,
                format!(
                    "the server answered NTLM negotiation with HTTP {}",
                    answer.status
                ),
            ));
        }
        let Some(challenge) = challenge_bytes(&answer) else {
            return Ok(answer); // no NTLM offered: the 401 goes to the caller
        };
        let challenge = match ntlmclient::Message::try_from(challenge.as_slice()) {
            Ok(ntlmclient::Message::Challenge(c)) => c,
            _ => {
                return Err(TransportError::new(
                    ErrorKind::Auth,
                    false,
                    "the server's NTLM challenge could not be read",
                ));
            }
        };
        let target_info: Vec<u8> = challenge
            .target_information
            .iter()
            .flat_map(|e| e.to_bytes())
            .collect();
        let creds = ntlmclient::Credentials {
            username: self.creds.user.clone(),
            password: self.creds.password.expose_secret().to_owned(),
            domain: self.creds.domain.clone(),
        };
        let response = ntlmclient::respond_challenge_ntlm_v2(
            challenge.challenge,
            &target_info,
            ntlmclient::get_ntlm_time(),
            &creds,
        );
        let authenticate = response.to_message(
            &creds,
            &self.workstation,
            ntlmclient::Flags::NEGOTIATE_UNICODE | ntlmclient::Flags::NEGOTIATE_NTLM,
        );
        let mut req = req;
        req.headers
            .insert(http::header::AUTHORIZATION, auth_value(&authenticate)?);
        session.http.run(req).await
    }
}

impl Transport for NtlmTransport {
    fn send(&self, req: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(self.run(req))
    }
}

fn auth_value(m: &ntlmclient::Message) -> Result<HeaderValue, TransportError> {
    let bytes = m.to_bytes().map_err(|_| {
        TransportError::new(
            ErrorKind::InvalidInput,
            false,
            "cannot encode an NTLM message",
        )
    })?;
    let mut v = HeaderValue::from_str(&format!("NTLM {}", STANDARD.encode(bytes)))
        .expect("base64 is a valid header value");
    v.set_sensitive(true);
    Ok(v)
}

fn ntlm_headers(resp: &HttpResponse) -> impl Iterator<Item = &str> {
    resp.headers
        .get_all(http::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|v| {
            v.trim_start()
                .get(..4)
                .is_some_and(|p| p.eq_ignore_ascii_case("ntlm"))
        })
}

fn challenge_offered(resp: &HttpResponse) -> bool {
    ntlm_headers(resp).next().is_some()
}

fn challenge_bytes(resp: &HttpResponse) -> Option<Vec<u8>> {
    ntlm_headers(resp)
        .filter_map(|v| v.trim().split_once(' ').map(|(_, b)| b.trim().to_owned()))
        .find_map(|b| STANDARD.decode(b).ok())
}
