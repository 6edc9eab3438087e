//! Notifications: the event journal and the subscriptions that read it.
//!
//! After every request the server looks at the mailboxes someone subscribed to. A mailbox
//! whose signature (a sum over its folders and items of their ids and versions) moved is
//! compared with its last snapshot, and each difference becomes an event, numbered in one
//! sequence: a new item is `Created` (and `NewMail` too when a message arrives in the Inbox), a
//! missing one `Deleted`, a changed one `Modified`; an item the request moved or copied
//! (`note_move`, `note_copy`) is `Moved` or `Copied` with its old id and folder. Folders the
//! same way. So every change any request makes raises its events, whatever operation made it.
//!
//! A subscription (`Subscribe`) names a mailbox, its folders (or all) and the event types it
//! wants; `GetEvents` hands out what followed a watermark, 50 events at most per answer with
//! `MoreEvents`, or a `StatusEvent` when nothing happened, and each event carries its own
//! watermark. The journal keeps the newest [`JOURNAL`] events: a watermark older than that is
//! `ErrorInvalidWatermark`. A pull subscription not polled within its timeout is gone
//! (`ErrorSubscriptionNotFound`), as Exchange forgets it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ews_types::t::NotificationEventType as Type;

use crate::store::{FolderKey, Item, Mailbox};

/// Events the journal keeps.
pub const JOURNAL: usize = 100_000;
/// Events per `GetEvents` answer.
pub const PER_ANSWER: usize = 50;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An item or folder appeared.
    Created,
    /// It went away.
    Deleted,
    /// It changed.
    Modified,
    /// It moved (new id, old id).
    Moved,
    /// It was copied (the copy's id, the original's id).
    Copied,
    /// A message arrived in the Inbox.
    NewMail,
}

impl Kind {
    /// The subscription event type that asks for it.
    pub fn event_type(self) -> Type {
        match self {
            Kind::Created => Type::CreatedEvent,
            Kind::Deleted => Type::DeletedEvent,
            Kind::Modified => Type::ModifiedEvent,
            Kind::Moved => Type::MovedEvent,
            Kind::Copied => Type::CopiedEvent,
            Kind::NewMail => Type::NewMailEvent,
        }
    }
}

/// One event.
#[derive(Debug, Clone)]
pub struct Event {
    /// Its place in the sequence (its watermark).
    pub seq: u64,
    /// The mailbox.
    pub mailbox: usize,
    /// What happened.
    pub kind: Kind,
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
    /// An item's event (else a folder's).
    pub item: bool,
    /// The object's id.
    pub id: String,
    /// Its folder's id.
    pub parent: String,
    /// Moved and copied: the old id and folder.
    pub old: Option<(String, String)>,
}

/// A subscription.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// The mailbox it watches.
    pub mailbox: usize,
    /// The folder ids it watches; `None` for all.
    pub folders: Option<HashSet<String>>,
    /// The event types it wants.
    pub types: Vec<Type>,
    /// Who made it (the signed-in account).
    pub owner: String,
    /// Pull: forgotten when not polled for this long.
    pub timeout: Duration,
    /// When it was last polled (or made, or streamed to).
    pub last_poll: Instant,
    /// A streaming subscription: the server keeps its place ([`Subscription::cursor`]).
    pub streaming: bool,
    /// Streaming and push: the last event handed out.
    pub cursor: u64,
    /// Push: where to and how often.
    pub push: Option<Push>,
    /// The mailbox server it lives on.
    pub backend: usize,
}

/// Where a push subscription's notifications go, and how its deliveries stand.
#[derive(Debug, Clone)]
pub struct Push {
    /// The subscriber's URL.
    pub url: String,
    /// `StatusFrequency`: a status event after this long without events; and how long a
    /// subscriber may fail before the subscription is dropped.
    pub every: Duration,
    /// The last delivery that succeeded (or the subscription).
    pub last_sent: Instant,
    /// No delivery before this.
    pub next_try: Instant,
    /// Deliveries failed in a row.
    pub failures: u32,
}

impl Subscription {
    /// Whether it wants `e`.
    pub fn wants(&self, e: &Event) -> bool {
        e.mailbox == self.mailbox
            && self.types.contains(&e.kind.event_type())
            && self.folders.as_ref().is_none_or(|f| {
                f.contains(&e.parent) || e.old.as_ref().is_some_and(|(_, p)| f.contains(p))
            })
    }
}

/// What the journal remembers of a watched mailbox.
#[derive(Debug, Default)]
struct Watched {
    signature: u64,
    /// item id → (folder id, version, a message in the Inbox)
    items: HashMap<String, (String, u64, bool)>,
    /// folder id → (parent folder id, version)
    folders: HashMap<String, (String, u64)>,
}

/// The journal and the subscriptions.
#[derive(Debug, Default)]
pub struct Notifications {
    seq: u64,
    log: VecDeque<Event>,
    watched: HashMap<usize, Watched>,
    subscriptions: HashMap<String, Subscription>,
    /// Subscriptions that timed out (answered `ErrorExpiredSubscription`, not "not found").
    expired: HashSet<String>,
    next_id: u64,
    moves: Vec<(String, String)>,
    copies: Vec<(String, String)>,
}

/// A cheap fingerprint of an id: its length and last eight bytes (the server's ids end in a
/// counter, so two ids rarely share them).
fn id_bits(id: &str) -> u64 {
    let b = id.as_bytes();
    let mut tail = [0u8; 8];
    let n = b.len().min(8);
    tail[..n].copy_from_slice(&b[b.len() - n..]);
    u64::from_le_bytes(tail) ^ (b.len() as u64).rotate_left(56)
}

/// A sum over the mailbox's folders and items of their ids and versions: it moves when
/// anything is created, deleted, moved or changed (computed after every request, so it must
/// be cheap; the comparison it triggers is exact).
fn signature(m: &Mailbox) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut sum = 0u64;
    for f in m.folders.values() {
        let folder = id_bits(&f.id);
        sum = sum.wrapping_add(folder.wrapping_mul(K.rotate_left(11)) ^ f.version.wrapping_mul(K));
        for s in &f.items {
            let item = id_bits(&s.id) ^ folder.rotate_left(17);
            sum =
                sum.wrapping_add(item.wrapping_mul(K) ^ s.version.wrapping_mul(K.rotate_left(29)));
        }
    }
    sum
}

fn snapshot(m: &Mailbox) -> Watched {
    let mut w = Watched {
        signature: signature(m),
        ..Watched::default()
    };
    let inbox = FolderKey::Named(ews_types::t::DistinguishedFolderIdName::Inbox);
    for (key, f) in &m.folders {
        let parent = f
            .parent
            .and_then(|p| m.folders.get(&p))
            .map(|p| p.id.clone())
            .unwrap_or_default();
        w.folders.insert(f.id.clone(), (parent, f.version));
        for s in &f.items {
            let mail = *key == inbox && !matches!(s.item, Item::Calendar(_));
            w.items
                .insert(s.id.clone(), (f.id.clone(), s.version, mail));
        }
    }
    w
}

/// A watermark: the place in the sequence after which events are wanted.
pub fn watermark(seq: u64) -> String {
    STANDARD.encode(format!("ews-testserver-watermark:{seq}"))
}

/// The place a watermark names, if it is one.
pub fn parse_watermark(w: &str) -> Option<u64> {
    let text = String::from_utf8(STANDARD.decode(w.trim()).ok()?).ok()?;
    text.strip_prefix("ews-testserver-watermark:")?.parse().ok()
}

impl Notifications {
    /// The newest event's number.
    pub fn now(&self) -> u64 {
        self.seq
    }

    /// Whether events after `seq` are all still in the journal.
    pub fn holds_after(&self, seq: u64) -> bool {
        seq <= self.seq && self.log.front().is_none_or(|e| e.seq <= seq + 1)
    }

    /// Notes that the current request moved `old` to `new` (ids).
    pub fn note_move(&mut self, old: &str, new: &str) {
        if !self.watched.is_empty() {
            self.moves.push((old.to_owned(), new.to_owned()));
        }
    }

    /// Notes that the current request copied `original` to `copy` (ids).
    pub fn note_copy(&mut self, original: &str, copy: &str) {
        if !self.watched.is_empty() {
            self.copies.push((original.to_owned(), copy.to_owned()));
        }
    }

    /// Starts watching mailbox `i` (a subscription needs it), from its state now.
    pub fn watch(&mut self, i: usize, m: &Mailbox) {
        self.watched.entry(i).or_insert_with(|| snapshot(m));
    }

    /// A new subscription's id.
    pub fn subscribe(&mut self, s: Subscription) -> String {
        self.next_id += 1;
        let id = STANDARD.encode(format!("ews-testserver-subscription:{}", self.next_id));
        self.subscriptions.insert(id.clone(), s);
        id
    }

    /// The subscription `id`, unless it is unknown or timed out (then it is forgotten).
    pub fn subscription(&mut self, id: &str) -> Option<&mut Subscription> {
        let expired = self
            .subscriptions
            .get(id)
            .is_some_and(|s| s.last_poll.elapsed() > s.timeout);
        if expired {
            self.subscriptions.remove(id);
            self.expired.insert(id.to_owned());
        }
        self.subscriptions.get_mut(id)
    }

    /// Why subscription `id` is not there: it timed out (`ErrorExpiredSubscription`), or it
    /// never was or was ended (`ErrorSubscriptionNotFound`).
    pub fn missing(&self, id: &str) -> (ews_types::m::ResponseCode, String) {
        use ews_types::m::ResponseCode as C;
        if self.expired.contains(id) {
            (
                C::ErrorExpiredSubscription,
                "The subscription has expired.".into(),
            )
        } else {
            (
                C::ErrorSubscriptionNotFound,
                "The specified subscription was not found.".into(),
            )
        }
    }

    /// The push subscriptions, copied.
    pub fn push_subscriptions(&self) -> Vec<(String, Subscription)> {
        self.subscriptions
            .iter()
            .filter(|(_, s)| s.push.is_some())
            .map(|(id, s)| (id.clone(), s.clone()))
            .collect()
    }

    /// Records how a push delivery to `id` went: the subscriber's answer (`None`: it failed),
    /// and the last event it carried.
    pub fn delivered(
        &mut self,
        id: &str,
        answer: Option<ews_types::t::SubscriptionStatus>,
        last: Option<u64>,
        retry: Duration,
    ) {
        use ews_types::t::SubscriptionStatus as S;
        let Some(s) = self.subscriptions.get_mut(id) else {
            return;
        };
        let Some(p) = s.push.as_mut() else { return };
        let now = Instant::now();
        match answer {
            Some(S::Ok) => {
                if let Some(seq) = last {
                    s.cursor = seq;
                }
                p.last_sent = now;
                p.failures = 0;
                p.next_try = now;
            }
            Some(S::Unsubscribe) => {
                self.subscriptions.remove(id);
            }
            None => {
                p.failures += 1;
                if now.duration_since(p.last_sent) > p.every {
                    self.subscriptions.remove(id);
                    return;
                }
                p.next_try = now + retry * 2u32.pow(p.failures.saturating_sub(1).min(10));
            }
        }
    }

    /// Ends subscription `id`; whether it existed.
    pub fn unsubscribe(&mut self, id: &str) -> bool {
        self.subscriptions.remove(id).is_some()
    }

    /// Forgets every subscription (as after a server restart).
    pub fn forget_subscriptions(&mut self) {
        self.subscriptions.clear();
    }

    /// The events after `after` that subscription `s` wants, at most `max`, and whether more
    /// remain.
    pub fn events_after(&self, s: &Subscription, after: u64, max: usize) -> (Vec<Event>, bool) {
        let mut out = Vec::new();
        // the journal is in sequence order: start at the first event after `after`
        let start = self.log.partition_point(|e| e.seq <= after);
        for e in self.log.range(start..).filter(|e| s.wants(e)) {
            if out.len() == max {
                return (out, true);
            }
            out.push(e.clone());
        }
        (out, false)
    }

    /// Compares each watched mailbox with its snapshot and journals the differences; called
    /// after every request.
    pub fn observe(&mut self, mailboxes: &[Mailbox]) {
        let watched: Vec<usize> = self.watched.keys().copied().collect();
        for i in watched {
            let Some(m) = mailboxes.get(i) else { continue };
            if signature(m) == self.watched[&i].signature {
                continue;
            }
            let now = snapshot(m);
            let before = self.watched.insert(i, now).unwrap_or_default();
            self.journal(i, &before);
        }
        self.moves.clear();
        self.copies.clear();
    }

    fn push(
        &mut self,
        mailbox: usize,
        kind: Kind,
        item: bool,
        id: &str,
        parent: &str,
        old: Option<(String, String)>,
    ) {
        self.seq += 1;
        self.log.push_back(Event {
            seq: self.seq,
            mailbox,
            kind,
            at: chrono::Utc::now(),
            item,
            id: id.to_owned(),
            parent: parent.to_owned(),
            old,
        });
        while self.log.len() > JOURNAL {
            self.log.pop_front();
        }
    }

    fn journal(&mut self, i: usize, before: &Watched) {
        let now = std::mem::take(self.watched.get_mut(&i).expect("watched"));
        // folders: created, deleted, changed
        let mut changes = Vec::new();
        for (id, (parent, version)) in &now.folders {
            match before.folders.get(id) {
                None => changes.push((Kind::Created, false, id.clone(), parent.clone(), None)),
                Some((_, v)) if v != version => {
                    changes.push((Kind::Modified, false, id.clone(), parent.clone(), None))
                }
                Some(_) => {}
            }
        }
        for (id, (parent, _)) in &before.folders {
            if !now.folders.contains_key(id) {
                changes.push((Kind::Deleted, false, id.clone(), parent.clone(), None));
            }
        }
        // items: moved and copied first (they name an old item), then the rest
        let moved: HashMap<&str, &str> = self
            .moves
            .iter()
            .map(|(o, n)| (n.as_str(), o.as_str()))
            .collect();
        let copied: HashMap<&str, &str> = self
            .copies
            .iter()
            .map(|(o, n)| (n.as_str(), o.as_str()))
            .collect();
        let mut moved_away = HashSet::new();
        let mut new_ids: Vec<&String> = now
            .items
            .keys()
            .filter(|id| !before.items.contains_key(*id))
            .collect();
        new_ids.sort();
        for id in new_ids {
            let (parent, _, mail) = &now.items[id];
            let old = |src: &str| {
                before
                    .items
                    .get(src)
                    .or_else(|| now.items.get(src))
                    .map(|(p, _, _)| (src.to_owned(), p.clone()))
            };
            if let Some(src) = moved
                .get(id.as_str())
                .copied()
                .and_then(|s| old(s).map(|o| (s, o)))
            {
                moved_away.insert(src.0.to_owned());
                changes.push((Kind::Moved, true, id.clone(), parent.clone(), Some(src.1)));
            } else if let Some(o) = copied.get(id.as_str()).copied().and_then(old) {
                changes.push((Kind::Copied, true, id.clone(), parent.clone(), Some(o)));
            } else {
                changes.push((Kind::Created, true, id.clone(), parent.clone(), None));
                if *mail {
                    changes.push((Kind::NewMail, true, id.clone(), parent.clone(), None));
                }
            }
        }
        let mut rest: Vec<(&String, &(String, u64, bool))> = now.items.iter().collect();
        rest.sort_by(|a, b| a.0.cmp(b.0));
        for (id, (parent, version, _)) in rest {
            if let Some((old_parent, v, _)) = before.items.get(id) {
                if old_parent != parent {
                    changes.push((
                        Kind::Moved,
                        true,
                        id.clone(),
                        parent.clone(),
                        Some((id.clone(), old_parent.clone())),
                    ));
                } else if v != version {
                    changes.push((Kind::Modified, true, id.clone(), parent.clone(), None));
                }
            }
        }
        let mut gone: Vec<(&String, &(String, u64, bool))> = before
            .items
            .iter()
            .filter(|(id, _)| !now.items.contains_key(*id) && !moved_away.contains(*id))
            .collect();
        gone.sort_by(|a, b| a.0.cmp(b.0));
        for (id, (parent, _, _)) in gone {
            changes.push((Kind::Deleted, true, id.clone(), parent.clone(), None));
        }
        *self.watched.get_mut(&i).expect("watched") = now;
        for (kind, item, id, parent, old) in changes {
            self.push(i, kind, item, &id, &parent, old);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watermarks_round_trip_and_strangers_are_refused() {
        assert_eq!(parse_watermark(&watermark(42)), Some(42));
        assert_eq!(parse_watermark("AAAA"), None);
        assert_eq!(parse_watermark("not base64"), None);
    }
}
