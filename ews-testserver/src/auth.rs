//! Who is calling: Basic (mailbox users by SMTP address or UPN, and accounts) or a static
//! bearer token.

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::State;

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
