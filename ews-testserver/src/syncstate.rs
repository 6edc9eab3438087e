//! Synchronization states: what a client of `SyncFolderItems` or `SyncFolderHierarchy` has
//! seen of a folder (its items, or the folders below it), behind an opaque token.
//!
//! A state is a snapshot: for each object seen, its version, read flag and a fingerprint of its
//! content without the read flag, so the next sync reports what was created, changed (or only
//! marked read or unread) and deleted since. The token handed out is base64 of
//! `ews-testserver-sync:<n>:<mailbox>:<folder id>` and names the snapshot; one that does not
//! decode, names another folder, or was forgotten is `ErrorInvalidSyncStateData`.
//!
//! Exchange, too, stops honouring old states. This server keeps the newest [`KEEP_PER_FOLDER`]
//! states of each folder, and `Control::expire_sync_states` forgets all of them (a client must
//! then synchronize from scratch).

use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::store::{Item, Stored};

/// States kept per folder and kind; older ones are forgotten.
pub const KEEP_PER_FOLDER: usize = 32;

const PREFIX: &str = "ews-testserver-sync:";

/// What a state remembers of one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Seen {
    /// Its version (change counter) when seen.
    pub version: u64,
    /// Its read flag, for items that have one.
    pub is_read: Option<bool>,
    /// A hash of its content without the read flag.
    pub fingerprint: u64,
    /// When it was first seen, so deletions come back in a stable order.
    pub order: u64,
}

/// A snapshot: object id → what was seen.
pub type Snapshot = HashMap<String, Seen>;

/// The states of all clients.
#[derive(Debug, Default)]
pub struct SyncStates {
    next: u64,
    snapshots: HashMap<u64, (String, Snapshot)>,
    /// State numbers per `scope` (mailbox, kind and folder), oldest first.
    per_scope: HashMap<String, VecDeque<u64>>,
}

impl SyncStates {
    /// The snapshot a token names, if it is one of `scope`'s states still kept.
    pub fn get(&self, token: &str, scope: &str) -> Option<&Snapshot> {
        let text = String::from_utf8(STANDARD.decode(token.trim()).ok()?).ok()?;
        let rest = text.strip_prefix(PREFIX)?;
        let (n, named_scope) = rest.split_once(':')?;
        let n: u64 = n.parse().ok()?;
        let (kept_scope, snapshot) = self.snapshots.get(&n)?;
        (named_scope == scope && kept_scope == scope).then_some(snapshot)
    }

    /// Keeps `snapshot` as a new state of `scope` and gives its token.
    pub fn keep(&mut self, scope: &str, snapshot: Snapshot) -> String {
        self.next += 1;
        let n = self.next;
        self.snapshots.insert(n, (scope.to_owned(), snapshot));
        let list = self.per_scope.entry(scope.to_owned()).or_default();
        list.push_back(n);
        while list.len() > KEEP_PER_FOLDER {
            if let Some(old) = list.pop_front() {
                self.snapshots.remove(&old);
            }
        }
        STANDARD.encode(format!("{PREFIX}{n}:{scope}"))
    }

    /// Forgets every state.
    pub fn forget_all(&mut self) {
        self.snapshots.clear();
        self.per_scope.clear();
    }

    /// The order number for an object first seen now.
    pub fn next_order(&mut self) -> u64 {
        self.next += 1;
        self.next
    }
}

fn hash_of(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// What a sync sees of a stored item now (its order left 0: the caller keeps the first one).
pub fn seen_item(s: &Stored) -> Seen {
    macro_rules! without_read_flag {
        ($m:expr) => {{
            let mut copy = (**$m).clone();
            let is_read = copy.is_read.take();
            (is_read, format!("{copy:?}"))
        }};
    }
    let (is_read, text) = match &s.item {
        Item::Calendar(c) => (None, format!("{c:?}")),
        Item::Message(m) => without_read_flag!(m),
        Item::MeetingRequest(m) => without_read_flag!(m),
        Item::Cancellation(m) => without_read_flag!(m),
        Item::Response(m) => without_read_flag!(m),
    };
    Seen {
        version: s.version,
        is_read,
        fingerprint: hash_of(&text),
        order: 0,
    }
}

/// What a hierarchy sync sees of a folder now.
pub fn seen_folder(f: &crate::store::Folder) -> Seen {
    let text = format!("{}|{:?}|{:?}", f.display_name, f.parent, f.class);
    Seen {
        version: f.version,
        is_read: None,
        fingerprint: hash_of(&text),
        order: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_their_scope_and_old_ones_are_forgotten() {
        let mut s = SyncStates::default();
        let first = s.keep("0:items:F1", Snapshot::new());
        assert!(s.get(&first, "0:items:F1").is_some());
        assert!(
            s.get(&first, "0:items:F2").is_none(),
            "another folder's state"
        );
        assert!(s.get("not base64!", "0:items:F1").is_none());
        assert!(
            s.get(
                &STANDARD.encode("ews-testserver-sync:x:0:items:F1"),
                "0:items:F1"
            )
            .is_none()
        );
        for _ in 0..KEEP_PER_FOLDER {
            s.keep("0:items:F1", Snapshot::new());
        }
        assert!(
            s.get(&first, "0:items:F1").is_none(),
            "the oldest is forgotten"
        );
        let last = s.keep("0:items:F1", Snapshot::new());
        s.forget_all();
        assert!(s.get(&last, "0:items:F1").is_none());
    }
}
