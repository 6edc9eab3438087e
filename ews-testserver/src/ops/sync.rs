//! SyncFolderItems and SyncFolderHierarchy, answered from snapshots (`crate::syncstate`).
//!
//! As Exchange answers (Microsoft's SyncFolderItems reference and conformance messages 073–077):
//! - without a `SyncState`, every item (folder) is a `Create`; with one, what changed since:
//!   `Create`, `Update`, `ReadFlagChange` when only the read flag changed, `Delete` (an item
//!   moved away is a `Delete` here and a `Create` in its new folder);
//! - at most `MaxChangesReturned` changes (1–512) per answer, `IncludesLastItemInRange` false
//!   while more remain; each answer's `SyncState` covers exactly what it returned;
//! - `Ignore` drops changes to the items it names (a client's own changes), which still count
//!   as seen;
//! - items come in the item shape as FindItem gives them: no body, attachments or recipient
//!   lists, left out without an error when asked for (as Exchange does for exchangelib, which
//!   asks for every field);
//! - a state that does not decode, names another folder, or was forgotten is
//!   `ErrorInvalidSyncStateData` with an empty `SyncState`.

use ews_types::{m, t};

use super::folders::{Props, present as present_folder};
use super::items::{fail, messages, ok, target};
use super::shape::ItemShape;
use super::{Ctx, level, sees_private};
use crate::soap::Fault;
use crate::store::{FolderKey, Level, Store};
use crate::syncstate::{Seen, Snapshot, SyncStates, seen_folder, seen_item};

type Code = m::ResponseCode;
type Choice = m::ArrayOfResponseMessagesChoice;

/// The largest `MaxChangesReturned` Exchange accepts.
const MAX_CHANGES: i32 = 512;

fn invalid_state() -> (Code, String) {
    (
        Code::ErrorInvalidSyncStateData,
        "Synchronization state data is corrupt or otherwise invalid.".into(),
    )
}

/// What changed of one object since a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Create,
    Update,
    ReadFlag(bool),
    Delete,
}

/// A change: the object's id, its index in the store's list (not for deletions), and what is
/// seen of it now.
#[derive(Debug, Clone)]
struct Change {
    id: String,
    kind: Kind,
    index: usize,
    seen: Option<Seen>,
}

/// Every change of the objects `now` — `(id, version, index)` in the store's order — against
/// `before`, deletions last in the order they were first seen. `seen(index)` is computed only
/// for objects whose version moved; `reads` tells read-flag-only changes apart.
fn compare(
    before: &Snapshot,
    now: &[(&str, u64, usize)],
    seen: &dyn Fn(usize) -> Seen,
    reads: bool,
) -> Vec<Change> {
    let mut out = Vec::new();
    let mut present = std::collections::HashSet::new();
    for &(id, version, index) in now {
        present.insert(id);
        let change = |kind, seen| Change {
            id: id.to_owned(),
            kind,
            index,
            seen: Some(seen),
        };
        match before.get(id) {
            // what is seen of a new object is computed only if the page takes it
            None => out.push(Change {
                seen: None,
                ..change(Kind::Create, Seen::default())
            }),
            Some(old) if old.version == version => {}
            Some(old) => {
                let new = seen(index);
                if old.fingerprint != new.fingerprint {
                    out.push(change(Kind::Update, new));
                } else if old.is_read != new.is_read {
                    let kind = if reads {
                        Kind::ReadFlag(new.is_read.unwrap_or(false))
                    } else {
                        Kind::Update
                    };
                    out.push(change(kind, new));
                } else {
                    // saved again without a visible change: Exchange reports it (a new change
                    // key and modification time)
                    out.push(change(Kind::Update, new));
                }
            }
        }
    }
    let mut gone: Vec<(&String, &Seen)> = before
        .iter()
        .filter(|(id, _)| !present.contains(id.as_str()))
        .collect();
    gone.sort_by_key(|(_, s)| s.order);
    out.extend(gone.into_iter().map(|(id, _)| Change {
        id: id.clone(),
        kind: Kind::Delete,
        index: usize::MAX,
        seen: None,
    }));
    out
}

/// The first `max` changes a client is shown, the snapshot after them (ignored ones applied
/// too), and whether nothing remains.
fn page(
    states: &mut SyncStates,
    mut snapshot: Snapshot,
    changes: Vec<Change>,
    (max, seen): (usize, &dyn Fn(usize) -> Seen),
    ignored: &dyn Fn(&str) -> bool,
) -> (Vec<Change>, Snapshot, bool) {
    let mut shown = Vec::new();
    let mut last = true;
    for c in changes {
        let show = !ignored(&c.id);
        if show && shown.len() >= max {
            last = false;
            continue;
        }
        if c.kind == Kind::Delete {
            snapshot.remove(&c.id);
        } else {
            let now = c.seen.unwrap_or_else(|| seen(c.index));
            let order = match snapshot.get(&c.id) {
                Some(s) => s.order,
                None => states.next_order(),
            };
            snapshot.insert(c.id.clone(), Seen { order, ..now });
        }
        if show {
            shown.push(c);
        }
    }
    (shown, snapshot, last)
}

/// The state a request names: none (from scratch), or a kept one of `scope`.
fn state_of(
    store: &Store,
    given: Option<&ews_types::runtime::CompactString>,
    scope: &str,
) -> Result<Snapshot, (Code, String)> {
    match given.map(|s| s.trim()) {
        None | Some("") => Ok(Snapshot::new()),
        Some(token) => store
            .sync_states
            .get(token, scope)
            .cloned()
            .ok_or_else(invalid_state),
    }
}

fn max_changes(n: i32) -> Result<usize, (Code, String)> {
    if (1..=MAX_CHANGES).contains(&n) {
        Ok(n as usize)
    } else {
        Err((
            Code::ErrorInvalidOperation,
            format!("MaxChangesReturned must be between 1 and {MAX_CHANGES}."),
        ))
    }
}

fn sync_item(item: t::ArrayOfRealItemsChoice) -> t::SyncFolderItemsCreateOrUpdate {
    macro_rules! convert {
        ($($v:ident),*) => {
            match item {
                $(t::ArrayOfRealItemsChoice::$v(x) => t::SyncFolderItemsCreateOrUpdateChoice::$v(x),)*
            }
        };
    }
    t::SyncFolderItemsCreateOrUpdate {
        content: convert!(
            Item,
            Message,
            SharingMessage,
            CalendarItem,
            Contact,
            DistributionList,
            MeetingMessage,
            MeetingRequest,
            MeetingResponse,
            MeetingCancellation,
            Task,
            PostItem,
            RoleMember,
            Network,
            Person
        ),
    }
}

fn sync_folder(f: t::ArrayOfFoldersChoice) -> t::SyncFolderHierarchyCreateOrUpdate {
    macro_rules! convert {
        ($($v:ident),*) => {
            match f {
                $(t::ArrayOfFoldersChoice::$v(x) => t::SyncFolderHierarchyCreateOrUpdateChoice::$v(x),)*
            }
        };
    }
    t::SyncFolderHierarchyCreateOrUpdate {
        content: convert!(
            Folder,
            CalendarFolder,
            ContactsFolder,
            SearchFolder,
            TasksFolder
        ),
    }
}

/// `SyncFolderItems`.
pub(crate) fn items(
    store: &mut Store,
    ctx: &Ctx,
    r: m::SyncFolderItems,
) -> Result<m::SyncFolderItemsResponse, Fault> {
    let message = match sync_items(store, ctx, &r) {
        Ok(message) => message,
        Err((code, text)) => m::SyncFolderItemsResponseMessage {
            sync_state: Some(String::new().into()),
            includes_last_item_in_range: Some(true),
            ..fail!(SyncFolderItemsResponseMessage, code, text)
        },
    };
    Ok(m::SyncFolderItemsResponse {
        response_messages: messages(vec![Choice::SyncFolderItemsResponseMessage(message)]),
    })
}

fn sync_items(
    store: &mut Store,
    ctx: &Ctx,
    r: &m::SyncFolderItems,
) -> Result<m::SyncFolderItemsResponseMessage, (Code, String)> {
    let shape = ItemShape::sync(&r.item_shape)?;
    let max = max_changes(r.max_changes_returned)?;
    let (mbx, folder) = target(store, ctx, &r.sync_folder_id.content)?;
    if level(store, ctx, mbx, folder) < Level::Reviewer {
        return Err(super::items::denied());
    }
    let scope = format!("{mbx}:items:{}", store.mailboxes[mbx].folder(folder).id);
    let before = state_of(store, r.sync_state.as_ref(), &scope)?;
    let ignore: Vec<&str> = r
        .ignore
        .iter()
        .flat_map(|i| &i.content)
        .map(|t::ArrayOfBaseItemIdsChoice::ItemId(id)| id.id.as_str())
        .collect();
    let private_ok = sees_private(store, ctx, mbx);
    let changes = {
        let items = &store.mailboxes[mbx].folder(folder).items;
        let now: Vec<(&str, u64, usize)> = items
            .iter()
            .enumerate()
            .filter(|(_, s)| private_ok || !s.private())
            .map(|(i, s)| (s.id.as_str(), s.version, i))
            .collect();
        compare(&before, &now, &|i| seen_item(&items[i]), true)
    };
    let items = &store.mailboxes[mbx].folder(folder).items;
    let (shown, snapshot, last) = page(
        &mut store.sync_states,
        before,
        changes,
        (max, &|i| seen_item(&items[i])),
        &|id| ignore.contains(&id),
    );
    let content = shown
        .iter()
        .map(|c| match c.kind {
            Kind::Create => {
                t::SyncFolderItemsChangesChoice::Create(sync_item(shape.show(&items[c.index])))
            }
            Kind::Update => {
                t::SyncFolderItemsChangesChoice::Update(sync_item(shape.show(&items[c.index])))
            }
            Kind::ReadFlag(is_read) => t::SyncFolderItemsChangesChoice::ReadFlagChange(
                t::SyncFolderItemsReadFlag::new(items[c.index].item_id(), is_read),
            ),
            Kind::Delete => t::SyncFolderItemsChangesChoice::Delete(t::SyncFolderItemsDelete::new(
                t::ItemId::new(c.id.clone()),
            )),
        })
        .collect();
    let token = store.sync_states.keep(&scope, snapshot);
    Ok(ok!(SyncFolderItemsResponseMessage {
        sync_state: Some(token.into()),
        includes_last_item_in_range: Some(last),
        changes: Some(Box::new(t::SyncFolderItemsChanges { content })),
    }))
}

/// `SyncFolderHierarchy`.
pub(crate) fn hierarchy(
    store: &mut Store,
    ctx: &Ctx,
    r: m::SyncFolderHierarchy,
) -> Result<m::SyncFolderHierarchyResponse, Fault> {
    let message = match sync_hierarchy(store, ctx, &r) {
        Ok(message) => message,
        Err((code, text)) => m::SyncFolderHierarchyResponseMessage {
            sync_state: Some(String::new().into()),
            includes_last_folder_in_range: Some(true),
            ..fail!(SyncFolderHierarchyResponseMessage, code, text)
        },
    };
    Ok(m::SyncFolderHierarchyResponse {
        response_messages: messages(vec![Choice::SyncFolderHierarchyResponseMessage(message)]),
    })
}

fn sync_hierarchy(
    store: &mut Store,
    ctx: &Ctx,
    r: &m::SyncFolderHierarchy,
) -> Result<m::SyncFolderHierarchyResponseMessage, (Code, String)> {
    let props = Props::of(&r.folder_shape)?;
    let (mbx, root) = match &r.sync_folder_id {
        Some(f) => target(store, ctx, &f.content)?,
        None => {
            let me = ctx.acting.ok_or_else(super::items::denied)?;
            (
                me,
                FolderKey::Named(t::DistinguishedFolderIdName::Msgfolderroot),
            )
        }
    };
    if level(store, ctx, mbx, root) < Level::Reviewer {
        return Err(super::items::denied());
    }
    let scope = format!("{mbx}:folders:{}", store.mailboxes[mbx].folder(root).id);
    let before = state_of(store, r.sync_state.as_ref(), &scope)?;
    let below = store.mailboxes[mbx].descendants(root);
    let changes = {
        let mailbox = &store.mailboxes[mbx];
        let now: Vec<(&str, u64, usize)> = below
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let f = mailbox.folder(*k);
                (f.id.as_str(), f.version, i)
            })
            .collect();
        compare(
            &before,
            &now,
            &|i| seen_folder(mailbox.folder(below[i])),
            false,
        )
    };
    let mailbox = &store.mailboxes[mbx];
    let (shown, snapshot, _) = page(
        &mut store.sync_states,
        before,
        changes,
        (usize::MAX, &|i| seen_folder(mailbox.folder(below[i]))),
        &|_| false,
    );
    let content = shown
        .iter()
        .map(|c| match c.kind {
            Kind::Create => t::SyncFolderHierarchyChangesChoice::Create(sync_folder(
                present_folder(store, ctx, mbx, below[c.index], &props),
            )),
            Kind::Update | Kind::ReadFlag(_) => t::SyncFolderHierarchyChangesChoice::Update(
                sync_folder(present_folder(store, ctx, mbx, below[c.index], &props)),
            ),
            Kind::Delete => t::SyncFolderHierarchyChangesChoice::Delete(
                t::SyncFolderHierarchyDelete::new(t::FolderId::new(c.id.clone())),
            ),
        })
        .collect();
    let token = store.sync_states.keep(&scope, snapshot);
    Ok(ok!(SyncFolderHierarchyResponseMessage {
        sync_state: Some(token.into()),
        includes_last_folder_in_range: Some(true),
        changes: Some(Box::new(t::SyncFolderHierarchyChanges { content })),
    }))
}
