//! Who is calling: Basic (mailbox users by SMTP address or UPN, and accounts), a static
//! bearer token, or a connection signed in with NTLM (or Negotiate), as `[auth]` offers them.

use std::sync::Mutex;

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::State;
use crate::config::Scheme;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    /// Sign-in name.
    pub login: String,
    /// The caller's own mailbox, if it has one.
    pub mailbox: Option<usize>,
    /// Holds ApplicationImpersonation.
    pub impersonation: bool,
    /// The role's scope (SMTP addresses); `None`: every mailbox.
    pub scope: Option<Vec<String>>,
}

/// One TCP connection: what its sign-in established (IIS authenticates connections for
/// NTLM and Negotiate, and a request without `Authorization` on such a connection is the
/// signed-in user's).
#[derive(Default)]
pub(crate) struct Conn {
    /// Numbers connections in the record of sign-ins.
    pub id: u64,
    /// The NTLM hash of this connection's channel binding (TLS only).
    pub ntlm_binding: Option<[u8; 16]>,
    /// `tls-server-end-point:` and the certificate hash (TLS only), for Negotiate.
    #[cfg(feature = "kerberos")]
    pub application_data: Option<Vec<u8>>,
    state: Mutex<ConnState>,
}

#[derive(Default)]
struct ConnState {
    account: Option<Account>,
    /// The challenge of an NTLM handshake under way.
    nonce: Option<[u8; 8]>,
    /// A Negotiate exchange under way.
    #[cfg(feature = "kerberos")]
    negotiate: Option<Box<libgssapi::context::ServerCtx>>,
}

/// The outcome of a request's sign-in.
pub(crate) enum SignIn {
    /// Signed in; the `WWW-Authenticate` values go with the answer (Negotiate's mutual
    /// authentication token).
    Account(Account, Vec<String>),
    /// 401 with these `WWW-Authenticate` values (the offered schemes, or a handshake's next
    /// token); the connection stays open for the handshake.
    Challenge(Vec<String>),
}

impl Conn {
    /// A connection; `tls` when it is served over TLS with that certificate.
    pub fn new(tls: Option<&crate::tls::Tls>) -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Conn {
            id: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            ntlm_binding: tls.map(|t| t.ntlm_binding()),
            #[cfg(feature = "kerberos")]
            application_data: tls.map(|t| t.application_data.clone()),
            state: Default::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ConnState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Signs a request in: by its `Authorization` header, else by its connection.
pub(crate) fn sign_in(state: &State, conn: &Conn, headers: &HeaderMap) -> SignIn {
    let offered = || -> Vec<String> {
        state
            .org
            .auth
            .schemes
            .iter()
            .filter_map(|s| match s {
                Scheme::Basic => Some("Basic realm=\"ews-testserver\"".to_owned()),
                Scheme::Bearer => None, // as on-premises Exchange: a token is not asked for
                Scheme::Ntlm => Some("NTLM".to_owned()),
                Scheme::Negotiate => Some("Negotiate".to_owned()),
            })
            .collect()
    };
    let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return match conn.state().account.clone() {
            Some(a) => SignIn::Account(a, Vec::new()),
            None => SignIn::Challenge(offered()),
        };
    };
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let offers = |s: Scheme| state.org.auth.schemes.contains(&s);
    if scheme.eq_ignore_ascii_case("ntlm") && offers(Scheme::Ntlm) {
        return match ntlm_leg(state, conn, rest.trim()) {
            Ok(Some(a)) => signed_in(state, conn, a, Vec::new()),
            Ok(None) => SignIn::Challenge(offered()),
            Err(token) => SignIn::Challenge(vec![format!("NTLM {token}")]),
        };
    }
    let basic_or_bearer = (scheme.eq_ignore_ascii_case("basic") && offers(Scheme::Basic))
        || (scheme.eq_ignore_ascii_case("bearer") && offers(Scheme::Bearer));
    if scheme.eq_ignore_ascii_case("negotiate") && offers(Scheme::Negotiate) {
        return negotiate_leg(state, conn, rest.trim(), offered);
    }
    match authenticate(state, headers).filter(|_| basic_or_bearer) {
        Some(a) => SignIn::Account(a, Vec::new()),
        None => SignIn::Challenge(offered()),
    }
}

/// A connection signed in: remembered on it, and in the record of sign-ins.
fn signed_in(state: &State, conn: &Conn, account: Account, proof: Vec<String>) -> SignIn {
    conn.state().account = Some(account.clone());
    state.control.record_sign_in(conn.id, &account.login);
    SignIn::Account(account, proof)
}

#[cfg(feature = "kerberos")]
fn negotiate_leg(
    state: &State,
    conn: &Conn,
    token: &str,
    offered: impl Fn() -> Vec<String>,
) -> SignIn {
    use crate::negotiate::{Step, accept};
    let Ok(token) = STANDARD.decode(token) else {
        return SignIn::Challenge(offered());
    };
    let under_way = {
        let mut cs = conn.state();
        cs.account = None;
        cs.negotiate.take()
    };
    let protection = state.org.auth.extended_protection;
    match accept(
        under_way,
        &token,
        conn.application_data.as_deref(),
        protection,
    ) {
        Ok(Step::More(out, ctx)) => {
            conn.state().negotiate = Some(ctx);
            SignIn::Challenge(vec![format!("Negotiate {}", STANDARD.encode(out))])
        }
        Ok(Step::Done(principal, out)) => {
            let user = principal.split('@').next().unwrap_or_default();
            let Some((account, _)) = by_name(state, user) else {
                tracing::info!(principal, "Kerberos sign-in of an unknown user refused");
                return SignIn::Challenge(offered());
            };
            let proof = out
                .map(|o| vec![format!("Negotiate {}", STANDARD.encode(o))])
                .unwrap_or_default();
            signed_in(state, conn, account, proof)
        }
        Err(why) => {
            tracing::info!(why, "Kerberos sign-in refused");
            SignIn::Challenge(offered())
        }
    }
}

/// Without the `kerberos` feature, Negotiate is offered only to be refused.
#[cfg(not(feature = "kerberos"))]
fn negotiate_leg(
    _state: &State,
    _conn: &Conn,
    _token: &str,
    offered: impl Fn() -> Vec<String>,
) -> SignIn {
    tracing::warn!("Negotiate sign-in refused: ews-testserver was built without `kerberos`");
    SignIn::Challenge(offered())
}

/// One NTLM leg: a Negotiate message gets the challenge (`Err(token)`); an Authenticate
/// message signs the connection in, or not (`Ok(None)`: refused, as IIS answers 401 again).
fn ntlm_leg(state: &State, conn: &Conn, token: &str) -> Result<Option<Account>, String> {
    let bytes = STANDARD.decode(token).unwrap_or_default();
    // The message type is read from the header: ntlmclient's reader wants 4 bytes more of a
    // Negotiate message than Windows and pyspnego send, and the server needs nothing from it.
    let negotiate = bytes.len() >= 12
        && bytes.starts_with(b"NTLMSSP\0")
        && u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) == 1;
    let message = if negotiate {
        None
    } else {
        ntlmclient::Message::try_from(bytes.as_slice()).ok()
    };
    let mut cs = conn.state();
    cs.account = None;
    if negotiate {
        let (nonce, challenge) = crate::ntlm::challenge(&state.org.auth.ntlm_domain);
        cs.nonce = Some(nonce);
        return Err(challenge);
    }
    match message {
        Some(ntlmclient::Message::Negotiate(_)) => {
            let (nonce, challenge) = crate::ntlm::challenge(&state.org.auth.ntlm_domain);
            cs.nonce = Some(nonce);
            Err(challenge)
        }
        Some(ntlmclient::Message::Authenticate(msg)) => {
            let Some(nonce) = cs.nonce.take() else {
                return Ok(None);
            };
            let (user, _domain) = crate::ntlm::names(&msg);
            let Some((account, Some(password))) = by_name(state, user) else {
                tracing::info!(user, "NTLM sign-in of an unknown user refused");
                return Ok(None);
            };
            match crate::ntlm::verify(
                &msg,
                nonce,
                &password,
                conn.ntlm_binding,
                state.org.auth.extended_protection,
            ) {
                Ok(()) => Ok(Some(account)),
                Err(why) => {
                    tracing::info!(user, ?why, "NTLM sign-in refused");
                    Ok(None)
                }
            }
        }
        _ => Ok(None),
    }
}

/// The account a Windows sign-in name stands for (`alice`, `alice@contoso.com`, a UPN, or an
/// account's user name), with its password if it has one.
fn by_name(state: &State, user: &str) -> Option<(Account, Option<String>)> {
    let store = state.store();
    for (i, m) in state.org.mailboxes.iter().enumerate() {
        let mb = &store.mailboxes[i];
        let local = mb.smtp.split('@').next().unwrap_or_default();
        let hit = mb.smtp.eq_ignore_ascii_case(user)
            || mb.upn.eq_ignore_ascii_case(user)
            || local.eq_ignore_ascii_case(user);
        if hit {
            let a = Account {
                login: mb.smtp.clone(),
                mailbox: Some(i),
                impersonation: m.impersonation,
                scope: None,
            };
            return Some((a, m.password.clone()));
        }
    }
    let a = state
        .org
        .accounts
        .iter()
        .find(|a| a.user.eq_ignore_ascii_case(user))?;
    Some((account(a), a.password.clone()))
}

/// Basic or bearer, from the `Authorization` header alone.
pub(crate) fn authenticate(state: &State, headers: &HeaderMap) -> Option<Account> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    let store = state.store();
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = String::from_utf8(STANDARD.decode(rest.trim()).ok()?).ok()?;
        let (user, password) = decoded.split_once(':')?;
        for (i, m) in state.org.mailboxes.iter().enumerate() {
            let mb = &store.mailboxes[i];
            let name_ok = mb.smtp.eq_ignore_ascii_case(user) || mb.upn.eq_ignore_ascii_case(user);
            if name_ok && m.password.as_deref() == Some(password) {
                return Some(Account {
                    login: mb.smtp.clone(),
                    mailbox: Some(i),
                    impersonation: m.impersonation,
                    scope: None,
                });
            }
        }
        for a in &state.org.accounts {
            if a.user.eq_ignore_ascii_case(user) && a.password.as_deref() == Some(password) {
                return Some(account(a));
            }
        }
        return None;
    }
    if scheme.eq_ignore_ascii_case("bearer") {
        let token = rest.trim();
        for (i, m) in state.org.mailboxes.iter().enumerate() {
            if m.token.as_deref() == Some(token) {
                return Some(Account {
                    login: store.mailboxes[i].smtp.clone(),
                    mailbox: Some(i),
                    impersonation: m.impersonation,
                    scope: None,
                });
            }
        }
        for a in &state.org.accounts {
            if a.token.as_deref() == Some(token) {
                return Some(account(a));
            }
        }
    }
    None
}

fn account(a: &crate::config::AccountConfig) -> Account {
    Account {
        login: a.user.clone(),
        mailbox: None,
        impersonation: a.impersonation,
        scope: a
            .scope
            .as_ref()
            .map(|s| s.iter().map(|x| x.to_ascii_lowercase()).collect()),
    }
}
