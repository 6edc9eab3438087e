//! GetFolder, FindFolder and UpdateFolder (permission sets).

use ews_types::runtime::XmlValue;
use ews_types::{m, t};

use super::items::{fail, ok};
use super::{Ctx, folder_edits, folder_owner, level};
use crate::soap::Fault;
use crate::store::{FolderKey, Item, Level, Store};
use crate::tree::Kind;

type Code = m::ResponseCode;
type Choice = m::ArrayOfResponseMessagesChoice;

fn locate(
    store: &Store,
    ctx: &Ctx,
    f: &t::NonEmptyArrayOfBaseFolderIdsChoice,
) -> Result<(usize, FolderKey), (Code, String)> {
    match f {
        t::NonEmptyArrayOfBaseFolderIdsChoice::DistinguishedFolderId(d) => {
            Ok((folder_owner(store, ctx, d)?, d.id.into()))
        }
        t::NonEmptyArrayOfBaseFolderIdsChoice::FolderId(id) => store.locate_folder(&id.id).ok_or((
            Code::ErrorFolderNotFound,
            "The specified folder could not be found in the store.".into(),
        )),
    }
}

/// Which folder properties a response carries: the base shape's, plus those named in
/// `AdditionalProperties` (Microsoft's "BaseShape" reference: `IdOnly` is the id; `Default` adds
/// the display name and counts; `AllProperties` adds the parent, class and effective rights).
pub(crate) struct Props {
    wanted: Vec<t::UnindexedFieldURI>,
}

impl Props {
    /// The properties `shape` asks for; a path that names no folder property (an item's, such
    /// as `item:Subject`) is `ErrorInvalidPropertyRequest`, as Exchange answers.
    pub(crate) fn of(shape: &t::FolderResponseShape) -> Result<Props, (Code, String)> {
        use t::UnindexedFieldURI as U;
        let mut wanted = match shape.base_shape {
            t::DefaultShapeNames::IdOnly => vec![],
            t::DefaultShapeNames::Default => vec![
                U::FolderDisplayName,
                U::FolderTotalCount,
                U::FolderChildFolderCount,
                U::FolderUnreadCount,
            ],
            t::DefaultShapeNames::AllProperties | t::DefaultShapeNames::PcxPeopleSearch => vec![
                U::FolderDisplayName,
                U::FolderTotalCount,
                U::FolderChildFolderCount,
                U::FolderUnreadCount,
                U::FolderParentFolderId,
                U::FolderFolderClass,
                U::FolderEffectiveRights,
            ],
        };
        for p in shape.additional_properties.iter().flat_map(|a| &a.content) {
            use t::NonEmptyArrayOfPathsToElementChoice as P;
            let uri = match p {
                P::FieldURI(f) => f.field_uri.to_text(),
                P::IndexedFieldURI(i) => i.field_uri.to_text(),
                P::ExtendedFieldURI(_) => continue,
            };
            match p {
                P::FieldURI(f) if uri.starts_with("folder:") => wanted.push(f.field_uri),
                _ => {
                    return Err((
                        Code::ErrorInvalidPropertyRequest,
                        format!("The property {uri} is not valid for a folder."),
                    ));
                }
            }
        }
        Ok(Props { wanted })
    }

    fn has(&self, f: t::UnindexedFieldURI) -> bool {
        self.wanted.contains(&f)
    }
}

/// The folder as GetFolder and FindFolder return it, with the properties `props` asks for.
pub(crate) fn present(
    store: &Store,
    ctx: &Ctx,
    mbx: usize,
    name: FolderKey,
    props: &Props,
) -> t::ArrayOfFoldersChoice {
    use t::UnindexedFieldURI as U;
    let mailbox = &store.mailboxes[mbx];
    let f = &mailbox.folder(name);
    let id_of = |f: &crate::store::Folder| t::FolderId {
        id: f.id.clone().into(),
        change_key: Some(f.change_key().into()),
    };
    let when = |field: U| props.has(field);
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let unread = f
        .items
        .iter()
        .filter(|s| matches!(&s.item, Item::Message(m) if m.is_read == Some(false)))
        .count();
    let lvl = level(store, ctx, mbx, name);
    let rights = t::EffectiveRights::new(
        lvl >= Level::Author,
        lvl >= Level::Author,
        lvl >= Level::Owner,
        lvl >= Level::Editor,
        lvl >= Level::Editor,
        lvl >= Level::Reviewer,
    );
    macro_rules! base {
        ($ty:ident) => {
            t::$ty {
                folder_id: Some(Box::new(id_of(f))),
                parent_folder_id: f
                    .parent
                    .filter(|_| when(U::FolderParentFolderId))
                    .map(|p| id_of(&mailbox.folder(p)))
                    .map(Box::new),
                folder_class: f
                    .class
                    .clone()
                    .map(Into::into)
                    .filter(|_| when(U::FolderFolderClass)),
                display_name: when(U::FolderDisplayName).then(|| f.display_name.clone().into()),
                total_count: when(U::FolderTotalCount).then(|| count(f.items.len())),
                child_folder_count: when(U::FolderChildFolderCount)
                    .then(|| count(mailbox.children(name).len())),
                effective_rights: when(U::FolderEffectiveRights).then(|| rights.clone()),
                ..Default::default()
            }
        };
    }
    let perms = when(U::FolderPermissionSet);
    match f.kind {
        Kind::Calendar => t::ArrayOfFoldersChoice::CalendarFolder(t::CalendarFolder {
            permission_set: perms
                .then(|| {
                    f.calendar_permissions.clone().unwrap_or_else(|| {
                        t::CalendarPermissionSet::new(t::ArrayOfCalendarPermissions::default())
                    })
                })
                .map(Box::new),
            ..base!(CalendarFolder)
        }),
        Kind::Contacts => t::ArrayOfFoldersChoice::ContactsFolder(t::ContactsFolder {
            permission_set: perms.then(|| permissions(f)).map(Box::new),
            ..base!(ContactsFolder)
        }),
        Kind::Tasks => t::ArrayOfFoldersChoice::TasksFolder(t::TasksFolder {
            permission_set: perms.then(|| permissions(f)).map(Box::new),
            unread_count: when(U::FolderUnreadCount).then(|| count(unread)),
            ..base!(TasksFolder)
        }),
        Kind::Mail => t::ArrayOfFoldersChoice::Folder(t::Folder {
            permission_set: perms.then(|| permissions(f)).map(Box::new),
            unread_count: when(U::FolderUnreadCount).then(|| count(unread)),
            ..base!(Folder)
        }),
    }
}

fn permissions(f: &crate::store::Folder) -> t::PermissionSet {
    f.permissions
        .clone()
        .unwrap_or_else(|| t::PermissionSet::new(t::ArrayOfPermissions::default()))
}

fn visible(store: &Store, ctx: &Ctx, mbx: usize, name: FolderKey) -> Result<(), (Code, String)> {
    if level(store, ctx, mbx, name) < Level::Reviewer {
        return Err((
            Code::ErrorAccessDenied,
            "Access is denied. Check credentials and try again.".into(),
        ));
    }
    Ok(())
}

pub(crate) fn get(
    store: &mut Store,
    ctx: &Ctx,
    r: m::GetFolder,
) -> Result<m::GetFolderResponse, Fault> {
    let mut out = Vec::new();
    let props = Props::of(&r.folder_shape);
    for f in &r.folder_ids.content {
        let result = locate(store, ctx, f).and_then(|(mbx, name)| {
            visible(store, ctx, mbx, name)?;
            let props = props.as_ref().map_err(Clone::clone)?;
            Ok(present(store, ctx, mbx, name, props))
        });
        out.push(Choice::GetFolderResponseMessage(match result {
            Ok(folder) => ok!(FolderInfoResponseMessage {
                folders: Some(Box::new(t::ArrayOfFolders {
                    content: vec![folder]
                }))
            }),
            Err((code, text)) => fail!(FolderInfoResponseMessage, code, text),
        }));
    }
    Ok(m::GetFolderResponse {
        response_messages: super::items::messages(out),
    })
}

pub(crate) fn find(
    store: &mut Store,
    ctx: &Ctx,
    r: m::FindFolder,
) -> Result<m::FindFolderResponse, Fault> {
    let mut out = Vec::new();
    let props = Props::of(&r.folder_shape);
    for f in &r.parent_folder_ids.content {
        let result = locate(store, ctx, f).and_then(|(mbx, name)| {
            visible(store, ctx, mbx, name)?;
            let props = props.as_ref().map_err(Clone::clone)?;
            // Shallow: the direct children; Deep: every folder below, depth first.
            let mailbox = &store.mailboxes[mbx];
            let below = match r.traversal {
                t::FolderQueryTraversal::Deep => mailbox.descendants(name),
                _ => mailbox.children(name),
            };
            let children: Vec<t::ArrayOfFoldersChoice> = below
                .into_iter()
                .map(|k| present(store, ctx, mbx, k, props))
                .collect();
            Ok(children)
        });
        out.push(Choice::FindFolderResponseMessage(match result {
            Ok(folders) => ok!(FindFolderResponseMessage {
                root_folder: Some(Box::new(t::FindFolderParent {
                    total_items_in_view: Some(folders.len() as i32),
                    includes_last_item_in_range: Some(true),
                    folders: Some(Box::new(t::ArrayOfFolders { content: folders })),
                    ..Default::default()
                }))
            }),
            Err((code, text)) => fail!(FindFolderResponseMessage, code, text),
        }));
    }
    Ok(m::FindFolderResponse {
        response_messages: super::items::messages(out),
    })
}

pub(crate) fn update(
    store: &mut Store,
    ctx: &Ctx,
    r: m::UpdateFolder,
) -> Result<m::UpdateFolderResponse, Fault> {
    let mut out = Vec::new();
    for change in r.folder_changes.folder_change {
        let result = (|| {
            let (mbx, name, ck) = match &change.content {
                t::FolderChangeChoice::FolderId(id) => {
                    let (mbx, name) = store.locate_folder(&id.id).ok_or((
                        Code::ErrorFolderNotFound,
                        "The specified folder could not be found in the store.".to_owned(),
                    ))?;
                    (mbx, name, id.change_key.clone())
                }
                t::FolderChangeChoice::DistinguishedFolderId(d) => {
                    (folder_owner(store, ctx, d)?, d.id.into(), None)
                }
            };
            if level(store, ctx, mbx, name) < Level::Owner {
                return Err((
                    Code::ErrorAccessDenied,
                    "Access is denied. Only the folder owner can change its permissions.".into(),
                ));
            }
            if let Some(ck) = ck
                && ck != store.mailboxes[mbx].folder(name).change_key()
            {
                return Err((
                    Code::ErrorIrresolvableConflict,
                    "The folder was changed since its change key was read.".into(),
                ));
            }
            for u in &change.updates.content {
                let t::NonEmptyArrayOfFolderChangeDescriptionsChoice::SetFolderField(s) = u else {
                    return Err((
                        Code::ErrorInvalidPropertySet,
                        "ews-testserver supports SetFolderField only.".into(),
                    ));
                };
                if let t::Path::FieldURI(p) = &s.path
                    && p.field_uri == t::UnindexedFieldURI::FolderDisplayName
                {
                    folder_edits::rename(store, mbx, name, display_name(&s.content))?;
                    continue;
                }
                let f = store.mailboxes[mbx].folder_mut(name).expect("folder");
                match &s.content {
                    t::SetFolderFieldChoice::Folder(folder) if f.kind != Kind::Calendar => {
                        f.permissions = folder.permission_set.clone().map(|b| *b)
                    }
                    t::SetFolderFieldChoice::CalendarFolder(folder) if f.kind == Kind::Calendar => {
                        f.calendar_permissions = folder.permission_set.clone().map(|b| *b)
                    }
                    _ => {
                        return Err((
                            Code::ErrorInvalidPropertySet,
                            "The folder class does not match the folder.".into(),
                        ));
                    }
                }
            }
            let f = store.mailboxes[mbx].folder_mut(name).expect("folder");
            f.version += 1;
            Ok(t::FolderId {
                id: f.id.clone().into(),
                change_key: Some(f.change_key().into()),
            })
        })();
        out.push(Choice::UpdateFolderResponseMessage(match result {
            Ok(id) => ok!(FolderInfoResponseMessage {
                folders: Some(Box::new(t::ArrayOfFolders {
                    content: vec![t::ArrayOfFoldersChoice::Folder(t::Folder {
                        folder_id: Some(Box::new(id)),
                        ..Default::default()
                    })]
                }))
            }),
            Err((code, text)) => fail!(FolderInfoResponseMessage, code, text),
        }));
    }
    Ok(m::UpdateFolderResponse {
        response_messages: super::items::messages(out),
    })
}

/// The display name a `SetFolderField` carries.
fn display_name(c: &t::SetFolderFieldChoice) -> Option<&str> {
    use t::SetFolderFieldChoice as F;
    match c {
        F::Folder(f) => f.display_name.as_deref(),
        F::CalendarFolder(f) => f.display_name.as_deref(),
        F::ContactsFolder(f) => f.display_name.as_deref(),
        F::TasksFolder(f) => f.display_name.as_deref(),
        F::SearchFolder(f) => f.display_name.as_deref(),
    }
}
