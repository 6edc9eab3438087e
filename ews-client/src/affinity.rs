//! Server affinity for groups of notification subscriptions.
//!
//! Exchange routes a group of subscriptions (up to 200 mailboxes) to one mailbox server when
//! the first request of the group sends `X-AnchorMailbox` and `X-PreferServerAffinity: true`:
//! the answer sets an `X-BackEndOverrideCookie`, which every later request of the group
//! (Subscribe, GetEvents, GetStreamingEvents) must send back. An [`AffinityGroup`] holds that
//! cookie for one group — never in a process-wide cookie jar, so other groups and identities
//! never see it.

use std::sync::{Arc, Mutex};

use http::{HeaderMap, HeaderValue};

const COOKIE: &str = "X-BackEndOverrideCookie";

/// One group of subscriptions that must reach the same mailbox server.
#[derive(Clone, Default)]
pub struct AffinityGroup {
    cookie: Arc<Mutex<Option<HeaderValue>>>,
}

impl std::fmt::Debug for AffinityGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = self.cookie.lock().expect("lock").is_some();
        f.debug_struct("AffinityGroup")
            .field("cookie_set", &set)
            .finish()
    }
}

impl AffinityGroup {
    /// A new group without a cookie yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the affinity headers for a request of this group.
    pub(crate) fn add_headers(&self, h: &mut HeaderMap) {
        h.insert("x-preferserveraffinity", HeaderValue::from_static("true"));
        if let Some(c) = self.cookie.lock().expect("lock").clone() {
            h.insert(http::header::COOKIE, c);
        }
    }

    /// Keeps the `X-BackEndOverrideCookie` a response sets.
    pub(crate) fn capture(&self, h: &HeaderMap) {
        for v in h.get_all(http::header::SET_COOKIE) {
            let Ok(text) = v.to_str() else { continue };
            let pair = text.split(';').next().unwrap_or("").trim();
            if pair.split_once('=').is_some_and(|(name, value)| {
                name.trim().eq_ignore_ascii_case(COOKIE) && !value.is_empty()
            }) && let Ok(mut value) = HeaderValue::from_str(pair)
            {
                value.set_sensitive(true);
                *self.cookie.lock().expect("lock") = Some(value);
            }
        }
    }
}
