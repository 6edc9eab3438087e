//! Fault injection and the record of what was exchanged.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use crate::config::{Faults, Limits};

/// Run-time control of a server: faults to inject, and every request and response it saw.
#[derive(Debug, Default)]
pub struct Control {
    latency_ms: AtomicU64,
    concurrency_limit: AtomicUsize,
    require_anchor: AtomicBool,
    busy: Mutex<Option<(usize, u64)>>,
    busy_for: Mutex<HashMap<String, (usize, u64)>>,
    /// `identity|operation` → answers still to lose.
    lost_for: Mutex<HashMap<String, usize>>,
    unavailable: AtomicUsize,
    in_flight: Mutex<HashMap<String, usize>>,
    record: Mutex<Record>,
    /// Open streaming connections per account.
    streams: Mutex<HashMap<String, usize>>,
    /// Bumped by `drop_streams`: a streaming connection opened before ends abruptly.
    stream_generation: AtomicU64,
    /// (connection, account) of every NTLM or Negotiate sign-in.
    sign_ins: Mutex<Vec<(u64, String)>>,
    /// Autodiscover requests answered (any protocol).
    autodiscover: AtomicUsize,
}

/// The newest exchanges, bounded in count and in bytes.
#[derive(Debug, Default)]
struct Record {
    exchanges: VecDeque<Exchange>,
    bytes: usize,
    max_exchanges: usize,
    max_bytes: usize,
}

impl Record {
    fn push(&mut self, e: Exchange) {
        self.bytes += e.request.len() + e.response.len();
        self.exchanges.push_back(e);
        while self.exchanges.len() > self.max_exchanges || self.bytes > self.max_bytes {
            let Some(old) = self.exchanges.pop_front() else {
                break;
            };
            self.bytes -= old.request.len() + old.response.len();
        }
    }
}

/// One request and the server's answer. A request refused before it was read (not signed in,
/// too large, too slow) is recorded with an empty body.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The operation (request element), if the request could be read.
    pub operation: Option<String>,
    /// HTTP status.
    pub status: u16,
    /// The request body.
    pub request: String,
    /// The response body ([`STREAMED`] for a `GetStreamingEvents` answer, whose envelopes are
    /// not recorded).
    pub response: String,
}

/// The response recorded for a streamed answer (`GetStreamingEvents`): its envelopes come
/// later, one by one, and are not recorded.
pub const STREAMED: &str = "(a stream of envelopes)";

impl Control {
    pub(crate) fn new(f: &Faults, limits: &Limits) -> Control {
        let c = Control::default();
        {
            let mut r = c.record.lock().expect("lock");
            r.max_exchanges = limits.record_max_exchanges;
            r.max_bytes = limits.record_max_bytes;
        }
        c.set_latency(Duration::from_millis(f.latency_ms));
        c.set_concurrency_limit(f.concurrency_limit);
        c.set_require_anchor(f.require_anchor);
        c
    }

    /// Every NTLM or Negotiate sign-in so far: the connection's number and the account it
    /// signed in, in order. A connection that appears with two accounts carried two identities.
    pub fn sign_ins(&self) -> Vec<(u64, String)> {
        self.sign_ins.lock().expect("lock").clone()
    }

    /// Autodiscover requests this server has answered (SOAP, POX, JSON and the HTTP probe),
    /// to see what a client's cache saves.
    pub fn autodiscover_requests(&self) -> usize {
        self.autodiscover.load(Ordering::SeqCst)
    }

    pub(crate) fn count_autodiscover(&self) {
        self.autodiscover.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn record_sign_in(&self, connection: u64, login: &str) {
        self.sign_ins
            .lock()
            .expect("lock")
            .push((connection, login.to_owned()));
    }

    /// Ends every open streaming connection abruptly (no closing envelope), as a network
    /// failure or a server restart does.
    pub fn drop_streams(&self) {
        self.stream_generation.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn stream_generation(&self) -> u64 {
        self.stream_generation.load(Ordering::SeqCst)
    }

    /// Takes a streaming connection for `who`, if fewer than `max` are open.
    pub(crate) fn open_stream(&self, who: &str, max: usize) -> bool {
        let mut s = self.streams.lock().expect("lock");
        let n = s.entry(who.to_owned()).or_default();
        if *n >= max {
            return false;
        }
        *n += 1;
        true
    }

    pub(crate) fn close_stream(&self, who: &str) {
        let mut s = self.streams.lock().expect("lock");
        if let Some(n) = s.get_mut(who) {
            *n = n.saturating_sub(1);
        }
    }

    /// Adds `d` before every answer.
    pub fn set_latency(&self, d: Duration) {
        self.latency_ms
            .store(d.as_millis() as u64, Ordering::SeqCst);
    }

    pub(crate) fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.load(Ordering::SeqCst))
    }

    /// Concurrent requests per identity before `ErrorExceededConnectionCount` (0: no limit).
    pub fn set_concurrency_limit(&self, n: usize) {
        self.concurrency_limit.store(n, Ordering::SeqCst);
    }

    /// Refuse impersonated requests without `X-AnchorMailbox`.
    pub fn set_require_anchor(&self, yes: bool) {
        self.require_anchor.store(yes, Ordering::SeqCst);
    }

    pub(crate) fn require_anchor(&self) -> bool {
        self.require_anchor.load(Ordering::SeqCst)
    }

    /// The next `n` requests get an `ErrorServerBusy` fault with `BackOffMilliseconds`.
    pub fn throttle_next(&self, n: usize, back_off: Duration) {
        *self.busy.lock().expect("lock") = Some((n, back_off.as_millis() as u64));
    }

    /// The next `n` requests of one identity (the impersonated or anchor mailbox's SMTP
    /// address, else the account) get an `ErrorServerBusy` fault with `BackOffMilliseconds`;
    /// other identities are served as usual. Identities compare case-insensitively.
    pub fn throttle_identity(&self, identity: &str, n: usize, back_off: Duration) {
        self.busy_for.lock().expect("lock").insert(
            identity.to_ascii_lowercase(),
            (n, back_off.as_millis() as u64),
        );
    }

    /// The next `n` requests of one identity for `operation` (`"CreateItem"`) are carried out
    /// and their answers never sent: the connection stays silent until the client gives up. A
    /// write's outcome is then unknown to the client, though it happened.
    pub fn lose_answers_for(&self, identity: &str, operation: &str, n: usize) {
        self.lost_for
            .lock()
            .expect("lock")
            .insert(format!("{}|{operation}", identity.to_ascii_lowercase()), n);
    }

    /// Whether the answer to this `operation` request of `identity` is to be lost.
    pub(crate) fn take_lost_for(&self, identity: &str, operation: &str) -> bool {
        let mut m = self.lost_for.lock().expect("lock");
        match m.get_mut(&format!("{}|{operation}", identity.to_ascii_lowercase())) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }

    /// A busy fault's back-off for a request of `identity`, if one is due.
    pub(crate) fn take_busy_for(&self, identity: &str) -> Option<u64> {
        let mut m = self.busy_for.lock().expect("lock");
        match m.get_mut(&identity.to_ascii_lowercase()) {
            Some((n, ms)) if *n > 0 => {
                *n -= 1;
                Some(*ms)
            }
            _ => None,
        }
        .or_else(|| {
            drop(m);
            self.take_busy()
        })
    }

    fn take_busy(&self) -> Option<u64> {
        let mut b = self.busy.lock().expect("lock");
        match &mut *b {
            Some((n, ms)) if *n > 0 => {
                *n -= 1;
                Some(*ms)
            }
            _ => None,
        }
    }

    /// The next `n` requests get HTTP 503.
    pub fn unavailable_next(&self, n: usize) {
        self.unavailable.store(n, Ordering::SeqCst);
    }

    pub(crate) fn take_unavailable(&self) -> bool {
        self.unavailable
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Enters a request for `identity`; `false` when the identity is over its limit.
    pub(crate) fn enter(&self, identity: &str) -> bool {
        let limit = self.concurrency_limit.load(Ordering::SeqCst);
        let mut m = self.in_flight.lock().expect("lock");
        let n = m.entry(identity.to_owned()).or_default();
        if limit > 0 && *n >= limit {
            return false;
        }
        *n += 1;
        true
    }

    pub(crate) fn leave(&self, identity: &str) {
        let mut m = self.in_flight.lock().expect("lock");
        if let Some(n) = m.get_mut(identity) {
            *n = n.saturating_sub(1);
        }
    }

    pub(crate) fn record(&self, e: Exchange) {
        self.record.lock().expect("lock").push(e);
    }

    /// The requests and answers so far, oldest first: the newest
    /// [`Limits::record_max_exchanges`], within [`Limits::record_max_bytes`] of bodies.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.record
            .lock()
            .expect("lock")
            .exchanges
            .iter()
            .cloned()
            .collect()
    }
}
