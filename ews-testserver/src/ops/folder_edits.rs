//! CreateFolder, DeleteFolder, EmptyFolder, and renaming a folder (UpdateFolder of
//! `folder:DisplayName`): the folders a client makes beside the well-known ones.
//!
//! Only the mailbox's owner (or someone with Owner rights on the parent) creates, renames and
//! deletes folders; emptying needs the right to delete every item (Editor). Well-known folders
//! cannot be deleted (`ErrorDeleteDistinguishedFolder`) or renamed; two folders under one parent
//! cannot share a display name (`ErrorFolderExists`, compared without case).

use ews_types::{m, t};

use super::items::{Code, fail, messages, ok};
use super::{Ctx, folder_owner, level};
use crate::soap::Fault;
use crate::store::{Folder, FolderKey, Level, Store};
use crate::tree::Kind;

type Choice = m::ArrayOfResponseMessagesChoice;
type Failure = (Code, String);

fn not_found() -> Failure {
    (
        Code::ErrorFolderNotFound,
        "The specified folder could not be found in the store.".into(),
    )
}

fn denied() -> Failure {
    (
        Code::ErrorAccessDenied,
        "Access is denied. Check credentials and try again.".into(),
    )
}

/// The (mailbox, folder) a folder id names.
pub(super) fn folder_of(
    store: &Store,
    ctx: &Ctx,
    f: &t::NonEmptyArrayOfBaseFolderIdsChoice,
) -> Result<(usize, FolderKey), Failure> {
    match f {
        t::NonEmptyArrayOfBaseFolderIdsChoice::DistinguishedFolderId(d) => {
            Ok((folder_owner(store, ctx, d)?, d.id.into()))
        }
        t::NonEmptyArrayOfBaseFolderIdsChoice::FolderId(id) => {
            store.locate_folder(&id.id).ok_or_else(not_found)
        }
    }
}

/// Whether `parent` of mailbox `mbx` already has a child named `name` (other than `except`).
fn name_taken(
    store: &Store,
    mbx: usize,
    parent: FolderKey,
    name: &str,
    except: Option<FolderKey>,
) -> bool {
    let mailbox = &store.mailboxes[mbx];
    mailbox
        .children(parent)
        .into_iter()
        .filter(|k| Some(*k) != except)
        .any(|k| mailbox.folder(k).display_name.eq_ignore_ascii_case(name))
}

/// The display name, class and kind a CreateFolder element asks for.
fn wanted(f: &t::NonEmptyArrayOfFoldersChoice) -> Result<(String, String, Kind), Failure> {
    use t::NonEmptyArrayOfFoldersChoice as F;
    let (name, class, kind, default) = match f {
        F::Folder(f) => (&f.display_name, &f.folder_class, Kind::Mail, "IPF.Note"),
        F::CalendarFolder(f) => (
            &f.display_name,
            &f.folder_class,
            Kind::Calendar,
            "IPF.Appointment",
        ),
        F::ContactsFolder(f) => (
            &f.display_name,
            &f.folder_class,
            Kind::Contacts,
            "IPF.Contact",
        ),
        F::TasksFolder(f) => (&f.display_name, &f.folder_class, Kind::Tasks, "IPF.Task"),
        F::SearchFolder(_) => {
            return Err((
                Code::ErrorInvalidOperation,
                "ews-testserver does not model search folders.".into(),
            ));
        }
    };
    let name = name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or((
            Code::ErrorFolderSavePropertyError,
            "A folder needs a DisplayName.".to_owned(),
        ))?;
    let class = class.clone().unwrap_or_else(|| default.into());
    // a plain Folder with a calendar, contacts or tasks class is one (as exchangelib creates them)
    let kind = match (kind, class.as_str()) {
        (Kind::Mail, c) if c.starts_with("IPF.Appointment") => Kind::Calendar,
        (Kind::Mail, c) if c.starts_with("IPF.Contact") => Kind::Contacts,
        (Kind::Mail, c) if c.starts_with("IPF.Task") => Kind::Tasks,
        (k, _) => k,
    };
    Ok((name.to_owned(), class.to_string(), kind))
}

/// A new folder's id, written as the element of its kind.
fn created(kind: Kind, id: t::FolderId) -> t::ArrayOfFoldersChoice {
    match kind {
        Kind::Mail => t::ArrayOfFoldersChoice::Folder(t::Folder::default().with_folder_id(id)),
        Kind::Calendar => {
            t::ArrayOfFoldersChoice::CalendarFolder(t::CalendarFolder::default().with_folder_id(id))
        }
        Kind::Contacts => {
            t::ArrayOfFoldersChoice::ContactsFolder(t::ContactsFolder::default().with_folder_id(id))
        }
        Kind::Tasks => {
            t::ArrayOfFoldersChoice::TasksFolder(t::TasksFolder::default().with_folder_id(id))
        }
    }
}

pub(crate) fn create(
    store: &mut Store,
    ctx: &Ctx,
    r: m::CreateFolder,
) -> Result<m::CreateFolderResponse, Fault> {
    let parent = super::items::target(store, ctx, &r.parent_folder_id.content);
    let mut out = Vec::new();
    for f in r.folders.content.iter() {
        let result = parent.clone().and_then(|(mbx, parent)| {
            if level(store, ctx, mbx, parent) < Level::Owner {
                return Err(denied());
            }
            let (name, class, kind) = wanted(f)?;
            if name_taken(store, mbx, parent, &name, None) {
                return Err((
                    Code::ErrorFolderExists,
                    "A folder with the specified name already exists.".into(),
                ));
            }
            let key = FolderKey::User(store.next_number());
            let id = store.new_id("F", mbx);
            let folder = Folder {
                id: id.clone(),
                parent: Some(parent),
                display_name: name,
                class: Some(class),
                kind,
                version: 1,
                items: Vec::new(),
                permissions: None,
                calendar_permissions: None,
            };
            let id = t::FolderId::new(id).with_change_key(folder.change_key());
            store.mailboxes[mbx].folders.insert(key, folder);
            Ok(created(kind, id))
        });
        out.push(Choice::CreateFolderResponseMessage(match result {
            Ok(folder) => ok!(FolderInfoResponseMessage {
                folders: Some(Box::new(t::ArrayOfFolders {
                    content: vec![folder]
                }))
            }),
            Err((code, text)) => fail!(FolderInfoResponseMessage, code, text),
        }));
    }
    Ok(m::CreateFolderResponse::new(messages(out)))
}

/// Removes folder `key` of mailbox `mbx` and everything below it.
fn remove_tree(store: &mut Store, mbx: usize, key: FolderKey) {
    let mailbox = &mut store.mailboxes[mbx];
    let mut gone = mailbox.descendants(key);
    gone.push(key);
    for k in gone {
        mailbox.folders.remove(&k);
    }
}

/// Whether `key` is `ancestor` or lies below it.
fn within(store: &Store, mbx: usize, key: FolderKey, ancestor: FolderKey) -> bool {
    let mut at = Some(key);
    while let Some(k) = at {
        if k == ancestor {
            return true;
        }
        at = store.mailboxes[mbx].folders.get(&k).and_then(|f| f.parent);
    }
    false
}

pub(crate) fn delete(
    store: &mut Store,
    ctx: &Ctx,
    r: m::DeleteFolder,
) -> Result<m::DeleteFolderResponse, Fault> {
    let mut out = Vec::new();
    for f in r.folder_ids.content.iter() {
        let result = folder_of(store, ctx, f).and_then(|(mbx, key)| {
            if key.named().is_some() {
                return Err((
                    Code::ErrorDeleteDistinguishedFolder,
                    "Distinguished folders cannot be deleted.".into(),
                ));
            }
            if level(store, ctx, mbx, key) < Level::Owner {
                return Err(denied());
            }
            let deleted = FolderKey::from(t::DistinguishedFolderIdName::Deleteditems);
            if r.delete_type == t::Disposal::MoveToDeletedItems && !within(store, mbx, key, deleted)
            {
                let name = store.mailboxes[mbx].folder(key).display_name.clone();
                if name_taken(store, mbx, deleted, &name, Some(key)) {
                    return Err((
                        Code::ErrorFolderExists,
                        "Deleted Items already has a folder with this name.".into(),
                    ));
                }
                let folder = store.mailboxes[mbx].folder_mut(key).expect("located");
                folder.parent = Some(deleted);
                folder.version += 1;
            } else {
                remove_tree(store, mbx, key);
            }
            Ok(())
        });
        out.push(Choice::DeleteFolderResponseMessage(match result {
            Ok(()) => ok!(ResponseMessage {}),
            Err((code, text)) => fail!(ResponseMessage, code, text),
        }));
    }
    Ok(m::DeleteFolderResponse::new(messages(out)))
}

pub(crate) fn empty(
    store: &mut Store,
    ctx: &Ctx,
    r: m::EmptyFolder,
) -> Result<m::EmptyFolderResponse, Fault> {
    let mut out = Vec::new();
    for f in r.folder_ids.content.iter() {
        let result = folder_of(store, ctx, f).and_then(|(mbx, key)| {
            if level(store, ctx, mbx, key) < Level::Editor {
                return Err(denied());
            }
            let deleted = FolderKey::from(t::DistinguishedFolderIdName::Deleteditems);
            let items =
                std::mem::take(&mut store.mailboxes[mbx].folder_mut(key).expect("located").items);
            if r.delete_type == t::Disposal::MoveToDeletedItems && key != deleted {
                // moved items get new ids, as MoveItem gives them
                let moved: Vec<_> = items
                    .into_iter()
                    .map(|mut s| {
                        s.id = store.new_id("I", mbx);
                        s
                    })
                    .collect();
                store.mailboxes[mbx]
                    .folder_mut(deleted)
                    .expect("every mailbox has one")
                    .items
                    .extend(moved);
            }
            if r.delete_sub_folders {
                // the folders clients made; well-known ones stay
                let below: Vec<FolderKey> = store.mailboxes[mbx]
                    .children(key)
                    .into_iter()
                    .filter(|k| k.named().is_none())
                    .collect();
                for k in below {
                    remove_tree(store, mbx, k);
                }
            }
            let folder = store.mailboxes[mbx].folder_mut(key).expect("located");
            folder.version += 1;
            Ok(())
        });
        out.push(Choice::EmptyFolderResponseMessage(match result {
            Ok(()) => ok!(ResponseMessage {}),
            Err((code, text)) => fail!(ResponseMessage, code, text),
        }));
    }
    Ok(m::EmptyFolderResponse::new(messages(out)))
}

/// Renames folder `key` (UpdateFolder's `SetFolderField` of `folder:DisplayName`).
pub(super) fn rename(
    store: &mut Store,
    mbx: usize,
    key: FolderKey,
    name: Option<&str>,
) -> Result<(), Failure> {
    if key.named().is_some() {
        return Err((
            Code::ErrorInvalidPropertySet,
            "ews-testserver does not rename well-known folders.".into(),
        ));
    }
    let name = name.map(str::trim).filter(|n| !n.is_empty()).ok_or((
        Code::ErrorFolderSavePropertyError,
        "A folder needs a DisplayName.".to_owned(),
    ))?;
    let parent = store.mailboxes[mbx]
        .folder(key)
        .parent
        .expect("created folders have a parent");
    if name_taken(store, mbx, parent, name, Some(key)) {
        return Err((
            Code::ErrorFolderExists,
            "A folder with the specified name already exists.".into(),
        ));
    }
    store.mailboxes[mbx]
        .folder_mut(key)
        .expect("located")
        .display_name = name.to_owned();
    Ok(())
}
