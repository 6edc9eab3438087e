//! Synchronization: [`Mailbox::sync_items`] and [`Mailbox::sync_folders`] read what changed in
//! a folder (or a folder tree) since a [`SyncState`], one page at a time, as a `Stream`.
//!
//! - Each [`SyncPage`] carries the state after it: persist it, and a run that crashes resumes
//!   from the last page it stored. A page is never split, so a change is handed out once per
//!   state.
//! - The stream ends after the page that reaches the end (`IncludesLastItemInRange`).
//! - A state the server no longer honours (`ErrorInvalidSyncStateData`, which is also how an
//!   expired state is refused) is recovered by a **full resync**, by default: the stream starts
//!   again without a state and marks its first page [`SyncPage::restarted`]. The caller then
//!   replaces what it holds with what follows (every item comes again as
//!   [`ItemChange::Created`]; items it holds that do not come again were deleted).
//!   [`SyncOptions::resync_on_invalid_state`]`(false)` hands the error out instead.
//! - Works in every access mode: impersonation, delegate access (the folder names the
//!   principal's mailbox), one's own mailbox.
//!
//! ```no_run
//! # async fn run(inbox: ews_client::Mailbox, saved: Option<String>) -> Result<(), ews_client::Error> {
//! use ews_client::futures::TryStreamExt;
//! use ews_client::sync::{ItemChange, SyncOptions, SyncState};
//! use ews_client::t::DistinguishedFolderIdName as Folder;
//!
//! let from = saved.map(SyncState::from);
//! let mut pages = std::pin::pin!(inbox.sync_items(Folder::Calendar, from, SyncOptions::default()));
//! while let Some(page) = pages.try_next().await? {
//!     if page.restarted { /* drop the local copy: a full resync follows */ }
//!     for change in &page.changes {
//!         match change {
//!             ItemChange::Created(item) | ItemChange::Updated(item) => { let _ = item.as_item().subject(); }
//!             ItemChange::Deleted(id) => { let _ = id; }
//!             ItemChange::ReadFlagChanged { id, is_read } => { let _ = (id, is_read); }
//!         }
//!     }
//!     std::fs::write("calendar.sync", page.state.as_str()).ok(); // persist after each page
//! }
//! # Ok(()) }
//! ```

use futures_util::stream::{self, Stream};

use ews_types::{m, t};

use crate::error::{Error, ErrorKind};
use crate::mailbox::Mailbox;

/// The most changes Exchange returns per request.
pub const MAX_PAGE: i32 = 512;

/// An opaque synchronization state, as the server hands it out. Store it as text
/// ([`SyncState::as_str`]) and give it back ([`From<String>`]) to resume.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SyncState(String);

impl SyncState {
    /// The state as the server wrote it (base64), to persist.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for SyncState {
    fn from(s: String) -> Self {
        SyncState(s)
    }
}

impl std::fmt::Debug for SyncState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SyncState({} bytes)", self.0.len())
    }
}

/// One change to an item of a synchronized folder.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemChange {
    /// An item the caller has not seen (on a first or restarted sync: every item). Moved into
    /// the folder counts as created here.
    Created(t::SyncFolderItemsCreateOrUpdateChoice),
    /// An item that changed.
    Updated(t::SyncFolderItemsCreateOrUpdateChoice),
    /// An item deleted, or moved to another folder.
    Deleted(t::ItemId),
    /// Only the item's read flag changed.
    ReadFlagChanged {
        /// The item.
        id: t::ItemId,
        /// Its read flag now.
        is_read: bool,
    },
}

impl ItemChange {
    /// The id of the item the change concerns.
    pub fn id(&self) -> Option<&t::ItemId> {
        match self {
            ItemChange::Created(item) | ItemChange::Updated(item) => {
                item.as_item().item_id().as_deref()
            }
            ItemChange::Deleted(id) | ItemChange::ReadFlagChanged { id, .. } => Some(id),
        }
    }
}

/// One change to a folder below a synchronized folder.
#[derive(Debug, Clone, PartialEq)]
pub enum FolderChange {
    /// A folder the caller has not seen.
    Created(t::SyncFolderHierarchyCreateOrUpdateChoice),
    /// A folder that changed (renamed, moved …).
    Updated(t::SyncFolderHierarchyCreateOrUpdateChoice),
    /// A folder deleted, or moved out of the tree.
    Deleted(t::FolderId),
}

/// One answer of a synchronization.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncPage<C> {
    /// The changes, in the server's order.
    pub changes: Vec<C>,
    /// The state after these changes: persist it to resume after them.
    pub state: SyncState,
    /// Whether this page reaches the end (the stream then ends).
    pub last: bool,
    /// Whether the state given was refused and this page starts a full resync: replace what
    /// you hold with what follows.
    pub restarted: bool,
}

/// How [`Mailbox::sync_items`] reads.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    page_size: i32,
    shape: t::ItemResponseShape,
    ignore: Vec<t::ItemId>,
    resync: bool,
}

impl Default for SyncOptions {
    /// 512 changes a page, items as `IdOnly`, nothing ignored, a full resync on a refused state.
    fn default() -> Self {
        SyncOptions {
            page_size: MAX_PAGE,
            shape: t::ItemResponseShape::new(t::DefaultShapeNames::IdOnly),
            ignore: Vec::new(),
            resync: true,
        }
    }
}

impl SyncOptions {
    /// Changes per request, 1 to 512 (clamped).
    pub fn page_size(mut self, n: i32) -> Self {
        self.page_size = n.clamp(1, MAX_PAGE);
        self
    }

    /// The properties of created and updated items (as FindItem returns them: no body,
    /// attachments or recipient lists; use `GetItem` for those).
    pub fn shape(mut self, shape: t::ItemResponseShape) -> Self {
        self.shape = shape;
        self
    }

    /// Items whose changes to skip (the caller's own), on the first request.
    pub fn ignore(mut self, ids: Vec<t::ItemId>) -> Self {
        self.ignore = ids;
        self
    }

    /// Whether a refused state restarts the sync from scratch (default) or ends the stream
    /// with the error ([`Error::is_invalid_sync_state`]).
    pub fn resync_on_invalid_state(mut self, yes: bool) -> Self {
        self.resync = yes;
        self
    }
}

impl Error {
    /// Whether the server refused a synchronization state (`ErrorInvalidSyncStateData`):
    /// corrupt, for another folder, or expired.
    pub fn is_invalid_sync_state(&self) -> bool {
        matches!(
            self.response_code(),
            Some(m::ResponseCode::ErrorInvalidSyncStateData)
        )
    }
}

/// Where the stream is: the state to send next, and whether it ended.
struct Cursor {
    state: Option<SyncState>,
    first: bool,
    done: bool,
}

fn malformed(what: &str) -> Error {
    Error::new(ErrorKind::MalformedResponse, what)
}

impl Mailbox {
    /// What changed among the items of one of this mailbox's well-known folders since `from`
    /// (everything, without a state), one page per request. See the [module docs](crate::sync).
    pub fn sync_items(
        &self,
        folder: t::DistinguishedFolderIdName,
        from: Option<SyncState>,
        options: SyncOptions,
    ) -> impl Stream<Item = Result<SyncPage<ItemChange>, Error>> + Send + 'static {
        let mailbox = self.clone();
        let target = self.target(folder);
        let cursor = Cursor {
            state: from,
            first: true,
            done: false,
        };
        stream::try_unfold(cursor, move |mut cursor| {
            let (mailbox, target, options) = (mailbox.clone(), target.clone(), options.clone());
            async move {
                if cursor.done {
                    return Ok(None);
                }
                let request = |state: Option<&SyncState>| m::SyncFolderItems {
                    item_shape: options.shape.clone(),
                    sync_folder_id: target.clone(),
                    sync_state: state.map(|s| s.0.clone().into()),
                    ignore: (cursor.first && !options.ignore.is_empty())
                        .then(|| t::ArrayOfBaseItemIds {
                            content: options
                                .ignore
                                .iter()
                                .cloned()
                                .map(t::ArrayOfBaseItemIdsChoice::ItemId)
                                .collect(),
                        })
                        .map(Box::new),
                    max_changes_returned: options.page_size,
                    sync_scope: None,
                };
                let mut restarted = false;
                let answer = match mailbox.send_one(&request(cursor.state.as_ref())).await {
                    Err(e)
                        if e.is_invalid_sync_state()
                            && options.resync
                            && cursor.state.is_some() =>
                    {
                        tracing::warn!("the sync state was refused: synchronizing from scratch");
                        restarted = true;
                        mailbox.send_one(&request(None)).await?
                    }
                    other => other?,
                };
                let m::ArrayOfResponseMessagesChoice::SyncFolderItemsResponseMessage(msg) = answer
                else {
                    return Err(malformed("expected a SyncFolderItemsResponseMessage"));
                };
                let page = item_page(msg, restarted)?;
                cursor.state = Some(page.state.clone());
                cursor.first = false;
                cursor.done = page.last;
                Ok(Some((page, cursor)))
            }
        })
    }

    /// What changed among the folders below one of this mailbox's well-known folders (or its
    /// whole folder tree, `None`) since `from`, with the same stream and resume rules as
    /// [`Mailbox::sync_items`]; a refused state always restarts from scratch.
    pub fn sync_folders(
        &self,
        below: Option<t::DistinguishedFolderIdName>,
        from: Option<SyncState>,
        shape: t::FolderResponseShape,
    ) -> impl Stream<Item = Result<SyncPage<FolderChange>, Error>> + Send + 'static {
        let mailbox = self.clone();
        let target = below.map(|f| self.target(f));
        let cursor = Cursor {
            state: from,
            first: true,
            done: false,
        };
        stream::try_unfold(cursor, move |mut cursor| {
            let (mailbox, target, shape) = (mailbox.clone(), target.clone(), shape.clone());
            async move {
                if cursor.done {
                    return Ok(None);
                }
                let request = |state: Option<&SyncState>| m::SyncFolderHierarchy {
                    folder_shape: shape.clone(),
                    sync_folder_id: target.clone().map(Box::new),
                    sync_state: state.map(|s| s.0.clone().into()),
                };
                let mut restarted = false;
                let answer = match mailbox.send_one(&request(cursor.state.as_ref())).await {
                    Err(e) if e.is_invalid_sync_state() && cursor.state.is_some() => {
                        restarted = true;
                        mailbox.send_one(&request(None)).await?
                    }
                    other => other?,
                };
                let m::ArrayOfResponseMessagesChoice::SyncFolderHierarchyResponseMessage(msg) =
                    answer
                else {
                    return Err(malformed("expected a SyncFolderHierarchyResponseMessage"));
                };
                let page = folder_page(msg, restarted)?;
                cursor.state = Some(page.state.clone());
                cursor.first = false;
                cursor.done = page.last;
                Ok(Some((page, cursor)))
            }
        })
    }
}

fn item_page(
    msg: m::SyncFolderItemsResponseMessage,
    restarted: bool,
) -> Result<SyncPage<ItemChange>, Error> {
    let state = msg
        .sync_state
        .filter(|s| !s.is_empty())
        .ok_or_else(|| malformed("SyncFolderItems returned no SyncState"))?;
    let changes = msg
        .changes
        .map(|c| c.content)
        .unwrap_or_default()
        .into_iter()
        .map(|c| match c {
            t::SyncFolderItemsChangesChoice::Create(c) => ItemChange::Created(c.content),
            t::SyncFolderItemsChangesChoice::Update(c) => ItemChange::Updated(c.content),
            t::SyncFolderItemsChangesChoice::Delete(d) => ItemChange::Deleted(d.item_id),
            t::SyncFolderItemsChangesChoice::ReadFlagChange(r) => ItemChange::ReadFlagChanged {
                id: r.item_id,
                is_read: r.is_read,
            },
        })
        .collect();
    Ok(SyncPage {
        changes,
        state: SyncState(state.into()),
        last: msg.includes_last_item_in_range.unwrap_or(true),
        restarted,
    })
}

fn folder_page(
    msg: m::SyncFolderHierarchyResponseMessage,
    restarted: bool,
) -> Result<SyncPage<FolderChange>, Error> {
    let state = msg
        .sync_state
        .filter(|s| !s.is_empty())
        .ok_or_else(|| malformed("SyncFolderHierarchy returned no SyncState"))?;
    let changes = msg
        .changes
        .map(|c| c.content)
        .unwrap_or_default()
        .into_iter()
        .map(|c| match c {
            t::SyncFolderHierarchyChangesChoice::Create(c) => FolderChange::Created(c.content),
            t::SyncFolderHierarchyChangesChoice::Update(c) => FolderChange::Updated(c.content),
            t::SyncFolderHierarchyChangesChoice::Delete(d) => FolderChange::Deleted(d.folder_id),
        })
        .collect();
    Ok(SyncPage {
        changes,
        state: SyncState(state.into()),
        last: msg.includes_last_folder_in_range.unwrap_or(true),
        restarted,
    })
}
