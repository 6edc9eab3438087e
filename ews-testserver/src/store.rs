//! The server's state: mailboxes, their folders and items, delegates and folder permissions.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ews_types::t;

use crate::config::Org;

/// A delegate permission level (the order is the order of rights).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// No access.
    None,
    /// Read.
    Reviewer,
    /// Read, create, edit and delete own items.
    Author,
    /// Read, create, edit and delete all items.
    Editor,
    /// The owner (or someone acting as the owner).
    Owner,
}

impl Level {
    /// Parses a delegate level name.
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s {
            "None" => Level::None,
            "Reviewer" => Level::Reviewer,
            "Author" => Level::Author,
            "Editor" => Level::Editor,
            _ => return None,
        })
    }
}

/// A stored item.
#[derive(Debug, Clone)]
pub enum Item {
    /// An appointment or meeting.
    Calendar(Box<t::CalendarItem>),
    /// A mail message.
    Message(Box<t::Message>),
    /// A meeting request in an attendee's inbox.
    MeetingRequest(Box<t::MeetingRequestMessage>),
    /// A meeting cancellation in an attendee's inbox.
    Cancellation(Box<t::MeetingCancellationMessage>),
    /// An attendee's answer (accept, tentative, decline) in the organizer's inbox.
    Response(Box<t::MeetingResponseMessage>),
}

impl Item {
    /// The item's `ItemType` members, whatever its kind.
    pub fn base(&self) -> &dyn ews_types::base::Item {
        match self {
            Item::Calendar(c) => &**c,
            Item::Message(m) => &**m,
            Item::MeetingRequest(r) => &**r,
            Item::Cancellation(r) => &**r,
            Item::Response(r) => &**r,
        }
    }

    /// The item's `ItemType` members, to change them.
    pub fn base_mut(&mut self) -> &mut dyn ews_types::base::Item {
        match self {
            Item::Calendar(c) => &mut **c,
            Item::Message(m) => &mut **m,
            Item::MeetingRequest(r) => &mut **r,
            Item::Cancellation(r) => &mut **r,
            Item::Response(r) => &mut **r,
        }
    }
}

/// An item with its bookkeeping.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Opaque id.
    pub id: String,
    /// Change counter (the change key is derived from it).
    pub version: u64,
    /// Who created it (SMTP), for Author rights.
    pub creator: String,
    /// The item.
    pub item: Item,
}

impl Stored {
    /// The change key.
    pub fn change_key(&self) -> String {
        STANDARD.encode(format!("ck:{}:{}", self.id, self.version))
    }

    /// The `ItemId` element.
    pub fn item_id(&self) -> t::ItemId {
        t::ItemId {
            id: self.id.clone().into(),
            change_key: Some(self.change_key().into()),
        }
    }

    /// Whether the item is marked private.
    pub fn private(&self) -> bool {
        let s = match &self.item {
            Item::Calendar(c) => &c.sensitivity,
            Item::Message(m) => &m.sensitivity,
            Item::MeetingRequest(m) => &m.sensitivity,
            Item::Cancellation(m) => &m.sensitivity,
            Item::Response(m) => &m.sensitivity,
        };
        matches!(s, Some(t::SensitivityChoices::Private))
    }
}

/// A delegate of a mailbox.
#[derive(Debug, Clone)]
pub struct DelegateEntry {
    /// The delegate's SMTP address (lower case).
    pub smtp: String,
    /// Levels per folder.
    pub levels: HashMap<t::DistinguishedFolderIdName, Level>,
    /// Sees private items.
    pub view_private_items: bool,
    /// Receives copies of meeting messages.
    pub receive_copies: bool,
}

/// A folder's key in its mailbox: a well-known name, or the number of a folder a client
/// created (`CreateFolder`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FolderKey {
    /// A well-known folder (`DistinguishedFolderId`).
    Named(t::DistinguishedFolderIdName),
    /// A folder a client created, numbered in creation order.
    User(u64),
}

impl From<t::DistinguishedFolderIdName> for FolderKey {
    fn from(name: t::DistinguishedFolderIdName) -> Self {
        FolderKey::Named(name)
    }
}

impl FolderKey {
    /// The well-known name, for a well-known folder.
    pub fn named(self) -> Option<t::DistinguishedFolderIdName> {
        match self {
            FolderKey::Named(n) => Some(n),
            FolderKey::User(_) => None,
        }
    }

    /// Whether this is the well-known folder `name`.
    pub fn is(self, name: t::DistinguishedFolderIdName) -> bool {
        self == FolderKey::Named(name)
    }
}

/// A folder.
#[derive(Debug, Clone)]
pub struct Folder {
    /// Opaque id.
    pub id: String,
    /// Its parent (`None` for the root).
    pub parent: Option<FolderKey>,
    /// `DisplayName`.
    pub display_name: String,
    /// `FolderClass` (`None` where Exchange leaves it unset, as on the root).
    pub class: Option<String>,
    /// The element it is written as.
    pub kind: crate::tree::Kind,
    /// Change counter.
    pub version: u64,
    /// Its items.
    pub items: Vec<Stored>,
    /// Folder permission entries (`folder:PermissionSet`), as written.
    pub permissions: Option<t::PermissionSet>,
    /// Calendar permission entries, for the calendar.
    pub calendar_permissions: Option<t::CalendarPermissionSet>,
}

impl Folder {
    /// The change key.
    pub fn change_key(&self) -> String {
        STANDARD.encode(format!("fck:{}:{}", self.id, self.version))
    }
}

/// A mailbox.
#[derive(Debug, Clone)]
pub struct Mailbox {
    /// Primary SMTP address.
    pub smtp: String,
    /// UPN.
    pub upn: String,
    /// SID.
    pub sid: String,
    /// Display name.
    pub name: String,
    /// Folders by key.
    pub folders: HashMap<FolderKey, Folder>,
    /// Delegates.
    pub delegates: Vec<DelegateEntry>,
    /// Where meeting requests go.
    pub deliver: t::DeliverMeetingRequests,
}

impl Mailbox {
    /// The folder `key` (which the caller knows the mailbox has).
    pub fn folder(&self, key: impl Into<FolderKey>) -> &Folder {
        &self.folders[&key.into()]
    }

    /// The folder `key`, to change it.
    pub fn folder_mut(&mut self, key: impl Into<FolderKey>) -> Option<&mut Folder> {
        self.folders.get_mut(&key.into())
    }

    /// The direct children of folder `parent`: well-known ones in the tree's order, then the
    /// ones clients created, oldest first.
    pub fn children(&self, parent: FolderKey) -> Vec<FolderKey> {
        let mut out: Vec<FolderKey> = self
            .folders
            .iter()
            .filter(|(_, f)| f.parent == Some(parent))
            .map(|(k, _)| *k)
            .collect();
        out.sort_by_key(|k| match k {
            FolderKey::Named(n) => (
                0,
                crate::tree::TREE
                    .iter()
                    .position(|w| w.name == *n)
                    .unwrap_or(0) as u64,
            ),
            FolderKey::User(u) => (1, *u),
        });
        out
    }

    /// Every folder below `parent`, depth first (what a `Deep` FindFolder returns).
    pub fn descendants(&self, parent: FolderKey) -> Vec<FolderKey> {
        let mut out = Vec::new();
        for c in self.children(parent) {
            out.push(c);
            out.extend(self.descendants(c));
        }
        out
    }

    /// The mailbox as an `EmailAddress`.
    pub fn address(&self) -> t::EmailAddressType {
        t::EmailAddressType {
            name: Some(self.name.clone().into()),
            email_address: Some(self.smtp.clone().into()),
            routing_type: Some("SMTP".into()),
            mailbox_type: Some(t::MailboxType::Mailbox),
            ..Default::default()
        }
    }

    /// The mailbox as a `SingleRecipient`.
    pub fn recipient(&self) -> t::SingleRecipient {
        t::SingleRecipient {
            content: t::SingleRecipientChoice::Mailbox(self.address()),
        }
    }
}

/// Everything the server holds.
#[derive(Debug, Default)]
pub struct Store {
    /// Mailboxes.
    pub mailboxes: Vec<Mailbox>,
    counter: u64,
    /// The largest message sent, in bytes (`Limits::max_send_bytes`); `None` for no limit.
    pub max_send_bytes: Option<usize>,
    /// The states handed to `SyncFolderItems` and `SyncFolderHierarchy` clients.
    pub sync_states: crate::syncstate::SyncStates,
    /// The event journal and the subscriptions.
    pub notifications: crate::events::Notifications,
    /// How long one minute of a subscription's timing lasts (`Limits::streaming_minute_ms`).
    pub minute_ms: u64,
}

impl Store {
    /// The organisation's initial state.
    pub fn new(org: &Org) -> Result<Store, crate::Error> {
        let mut store = Store {
            max_send_bytes: Some(org.limits.max_send_bytes),
            minute_ms: org.limits.streaming_minute_ms,
            ..Store::default()
        };
        for (i, m) in org.mailboxes.iter().enumerate() {
            let smtp = m.smtp.to_ascii_lowercase();
            let mut folders = HashMap::new();
            for f in crate::tree::TREE {
                let id = store.new_id("F", i);
                folders.insert(
                    FolderKey::Named(f.name),
                    Folder {
                        id,
                        parent: f.parent.map(FolderKey::Named),
                        display_name: f.display.to_owned(),
                        class: f.class.map(str::to_owned),
                        kind: f.kind,
                        version: 1,
                        items: Vec::new(),
                        permissions: None,
                        calendar_permissions: None,
                    },
                );
            }
            store.mailboxes.push(Mailbox {
                upn: m
                    .upn
                    .clone()
                    .unwrap_or_else(|| smtp.clone())
                    .to_ascii_lowercase(),
                sid: m.sid.clone().unwrap_or_else(|| {
                    format!("S-1-5-21-1111111111-2222222222-3333333333-{}", 1000 + i)
                }),
                name: m
                    .name
                    .clone()
                    .unwrap_or_else(|| smtp.split('@').next().unwrap_or("").to_owned()),
                smtp,
                folders,
                delegates: Vec::new(),
                deliver: t::DeliverMeetingRequests::DelegatesAndSendInformationToMe,
            });
        }
        for d in &org.delegates {
            let p = store.find_smtp(&d.principal).ok_or_else(|| {
                crate::Error::Org(format!("delegate: unknown principal {}", d.principal))
            })?;
            store.find_smtp(&d.delegate).ok_or_else(|| {
                crate::Error::Org(format!("delegate: unknown delegate {}", d.delegate))
            })?;
            let mut levels = HashMap::new();
            let pairs = [
                (t::DistinguishedFolderIdName::Calendar, &d.calendar),
                (t::DistinguishedFolderIdName::Tasks, &d.tasks),
                (t::DistinguishedFolderIdName::Inbox, &d.inbox),
                (t::DistinguishedFolderIdName::Contacts, &d.contacts),
                (t::DistinguishedFolderIdName::Notes, &d.notes),
                (t::DistinguishedFolderIdName::Journal, &d.journal),
            ];
            for (f, l) in pairs {
                if let Some(l) = l {
                    let level = Level::parse(l)
                        .ok_or_else(|| crate::Error::Org(format!("delegate: bad level {l}")))?;
                    levels.insert(f, level);
                }
            }
            store.mailboxes[p].delegates.push(DelegateEntry {
                smtp: d.delegate.to_ascii_lowercase(),
                levels,
                view_private_items: d.view_private_items,
                receive_copies: d.receive_copies,
            });
        }
        Ok(store)
    }

    /// A new number, unique in the store (for the keys of created folders).
    pub fn next_number(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// A new opaque id.
    pub fn new_id(&mut self, kind: &str, mailbox: usize) -> String {
        self.counter += 1;
        STANDARD.encode(format!("{kind}:{mailbox}:{:08}", self.counter))
    }

    /// A mailbox by SMTP address (case-insensitive).
    pub fn find_smtp(&self, smtp: &str) -> Option<usize> {
        self.mailboxes
            .iter()
            .position(|m| m.smtp.eq_ignore_ascii_case(smtp.trim()))
    }

    /// Where an item lives: (mailbox, folder, index).
    pub fn locate(&self, id: &str) -> Option<(usize, FolderKey, usize)> {
        for (mi, m) in self.mailboxes.iter().enumerate() {
            for (name, f) in &m.folders {
                if let Some(i) = f.items.iter().position(|s| s.id == id) {
                    return Some((mi, *name, i));
                }
            }
        }
        None
    }

    /// Where a folder lives, by id.
    pub fn locate_folder(&self, id: &str) -> Option<(usize, FolderKey)> {
        for (mi, m) in self.mailboxes.iter().enumerate() {
            for (name, f) in &m.folders {
                if f.id == id {
                    return Some((mi, *name));
                }
            }
        }
        None
    }
}
