//! GetFolder, FindFolder and UpdateFolder (permission sets).

use ews_types::{m, t};

use super::items::{fail, ok};
use super::{Ctx, folder_owner, level};
use crate::soap::Fault;
use crate::store::{FOLDERS, Level, Store};

type Code = m::ResponseCode;
type Choice = m::ArrayOfResponseMessagesChoice;

fn locate(
    store: &Store,
    ctx: &Ctx,
    f: &t::NonEmptyArrayOfBaseFolderIdsChoice,
) -> Result<(usize, t::DistinguishedFolderIdName), (Code, String)> {
    match f {
        t::NonEmptyArrayOfBaseFolderIdsChoice::DistinguishedFolderId(d) => {
            Ok((folder_owner(store, ctx, d)?, d.id))
        }
        t::NonEmptyArrayOfBaseFolderIdsChoice::FolderId(id) => store.locate_folder(&id.id).ok_or((
            Code::ErrorFolderNotFound,
            "The specified folder could not be found in the store.".into(),
        )),
    }
}

/// The folder as GetFolder returns it, with its permission set.
fn present(
    store: &Store,
    mbx: usize,
    name: t::DistinguishedFolderIdName,
) -> t::ArrayOfFoldersChoice {
    let f = &store.mailboxes[mbx].folders[&name];
    let folder_id = Some(t::FolderId {
        id: f.id.clone(),
        change_key: Some(f.change_key()),
    });
    let display_name = Some(format!("{name:?}"));
    let total_count = Some(f.items.len() as i32);
    if name == t::DistinguishedFolderIdName::Calendar {
        t::ArrayOfFoldersChoice::CalendarFolder(t::CalendarFolder {
            folder_id,
            display_name,
            total_count,
            permission_set: Some(f.calendar_permissions.clone().unwrap_or_else(|| {
                t::CalendarPermissionSet::new(t::ArrayOfCalendarPermissions::default())
            })),
            ..Default::default()
        })
    } else {
        t::ArrayOfFoldersChoice::Folder(t::Folder {
            folder_id,
            display_name,
            total_count,
            permission_set: Some(
                f.permissions
                    .clone()
                    .unwrap_or_else(|| t::PermissionSet::new(t::ArrayOfPermissions::default())),
            ),
            ..Default::default()
        })
    }
}

fn visible(
    store: &Store,
    ctx: &Ctx,
    mbx: usize,
    name: t::DistinguishedFolderIdName,
) -> Result<(), (Code, String)> {
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
    for f in &r.folder_ids.content {
        let result = locate(store, ctx, f).and_then(|(mbx, name)| {
            visible(store, ctx, mbx, name)?;
            Ok(present(store, mbx, name))
        });
        out.push(Choice::GetFolderResponseMessage(match result {
            Ok(folder) => ok!(FolderInfoResponseMessage {
                folders: Some(t::ArrayOfFolders {
                    content: vec![folder]
                })
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
    for f in &r.parent_folder_ids.content {
        let result = locate(store, ctx, f).and_then(|(mbx, name)| {
            visible(store, ctx, mbx, name)?;
            // The well-known folders hang under the root; others have no subfolders here.
            let children: Vec<t::ArrayOfFoldersChoice> = if name
                == t::DistinguishedFolderIdName::Msgfolderroot
                || name == t::DistinguishedFolderIdName::Root
            {
                FOLDERS.iter().map(|n| present(store, mbx, *n)).collect()
            } else {
                Vec::new()
            };
            Ok(children)
        });
        out.push(Choice::FindFolderResponseMessage(match result {
            Ok(folders) => ok!(FindFolderResponseMessage {
                root_folder: Some(t::FindFolderParent {
                    total_items_in_view: Some(folders.len() as i32),
                    includes_last_item_in_range: Some(true),
                    folders: Some(t::ArrayOfFolders { content: folders }),
                    ..Default::default()
                })
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
                    (folder_owner(store, ctx, d)?, d.id, None)
                }
            };
            if level(store, ctx, mbx, name) < Level::Owner {
                return Err((
                    Code::ErrorAccessDenied,
                    "Access is denied. Only the folder owner can change its permissions.".into(),
                ));
            }
            let f = store.mailboxes[mbx].folders.get_mut(&name).expect("folder");
            if let Some(ck) = ck
                && ck != f.change_key()
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
                match &s.content {
                    t::SetFolderFieldChoice::Folder(folder)
                        if name != t::DistinguishedFolderIdName::Calendar =>
                    {
                        f.permissions = folder.permission_set.clone()
                    }
                    t::SetFolderFieldChoice::CalendarFolder(folder)
                        if name == t::DistinguishedFolderIdName::Calendar =>
                    {
                        f.calendar_permissions = folder.permission_set.clone()
                    }
                    _ => {
                        return Err((
                            Code::ErrorInvalidPropertySet,
                            "The folder class does not match the folder.".into(),
                        ));
                    }
                }
            }
            f.version += 1;
            Ok(t::FolderId {
                id: f.id.clone(),
                change_key: Some(f.change_key()),
            })
        })();
        out.push(Choice::UpdateFolderResponseMessage(match result {
            Ok(id) => ok!(FolderInfoResponseMessage {
                folders: Some(t::ArrayOfFolders {
                    content: vec![t::ArrayOfFoldersChoice::Folder(t::Folder {
                        folder_id: Some(id),
                        ..Default::default()
                    })]
                })
            }),
            Err((code, text)) => fail!(FolderInfoResponseMessage, code, text),
        }));
    }
    Ok(m::UpdateFolderResponse {
        response_messages: super::items::messages(out),
    })
}
