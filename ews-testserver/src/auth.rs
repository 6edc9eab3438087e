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
    /// The NTLM hash of this connection's channel binding (TLS only).
    pub ntlm_binding: Option<[u8; 16]>,
    /// `tls-server-end-point:` and the certificate hash (TLS only), for Negotiate.
    pub application_data: Option<Vec<u8>>,
    state: Mutex<ConnState>,
}

#[derive(Default)]
struct ConnState {
    account: Option<Account>,
    /// The challenge of an NTLM handshake under way.
    nonce: Option<[u8; 8]>,
}

/// The outcome of a request's sign-in.
pub(crate) enum SignIn {
    /// Signed in.
    Account(Account),
    /// 401 with these `WWW-Authenticate` values (the offered schemes, or a handshake's next
    /// token); the connection stays open for the handshake.
    Challenge(Vec<String>),
}

impl Conn {
    /// A connection; `tls` when it is served over TLS with that certificate.
    pub fn new(tls: Option<&crate::tls::Tls>) -> Self {
        Conn {
            ntlm_binding: tls.map(|t| t.ntlm_binding()),
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
            Some(a) => SignIn::Account(a),
            None => SignIn::Challenge(offered()),
        };
    };
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let offers = |s: Scheme| state.org.auth.schemes.contains(&s);
    if scheme.eq_ignore_ascii_case("ntlm") && offers(Scheme::Ntlm) {
        return match ntlm_leg(state, conn, rest.trim()) {
            Ok(Some(a)) => SignIn::Account(a),
            Ok(None) => SignIn::Challenge(offered()),
            Err(token) => SignIn::Challenge(vec![format!("NTLM {token}")]),
        };
    }
    let basic_or_bearer = (scheme.eq_ignore_ascii_case("basic") && offers(Scheme::Basic))
        || (scheme.eq_ignore_ascii_case("bearer") && offers(Scheme::Bearer));
    match authenticate(state, headers).filter(|_| basic_or_bearer) {
        Some(a) => SignIn::Account(a),
        None => SignIn::Challenge(offered()),
    }
}

/// One NTLM leg: a Negotiate message gets the challenge (`Err(token)`); an Authenticate
/// message signs the connection in, or not (`Ok(None)`: refused, as IIS answers 401 again).
fn ntlm_leg(state: &State, conn: &Conn, token: &str) -> Result<Option<Account>, String> {
    let message = STANDARD
        .decode(token)
        .ok()
        .and_then(|b| ntlmclient::Message::try_from(b.as_slice()).ok());
    let mut cs = conn.state();
    cs.account = None;
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
            let Some((account, password)) = by_name(state, user) else {
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
                Ok(()) => {
                    cs.account = Some(account.clone());
                    Ok(Some(account))
                }
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
/// account's user name), with its password.
fn by_name(state: &State, user: &str) -> Option<(Account, String)> {
    let store = state.store();
    for (i, m) in state.org.mailboxes.iter().enumerate() {
        let mb = &store.mailboxes[i];
        let local = mb.smtp.split('@').next().unwrap_or_default();
        let hit = mb.smtp.eq_ignore_ascii_case(user)
            || mb.upn.eq_ignore_ascii_case(user)
            || local.eq_ignore_ascii_case(user);
        if let (true, Some(pw)) = (hit, &m.password) {
            let a = Account {
                login: mb.smtp.clone(),
                mailbox: Some(i),
                impersonation: m.impersonation,
                scope: None,
            };
            return Some((a, pw.clone()));
        }
    }
    let a = state
        .org
        .accounts
        .iter()
        .find(|a| a.user.eq_ignore_ascii_case(user))?;
    Some((account(a), a.password.clone()?))
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
