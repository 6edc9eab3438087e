//! AddDelegate, GetDelegate, UpdateDelegate, RemoveDelegate.

use std::collections::HashMap;

use ews_types::{m, t};

use super::Ctx;
use super::items::{fail, ok};
use crate::soap::Fault;
use crate::store::{DelegateEntry, Level, Store};

type Code = m::ResponseCode;

/// The principal the request names, which the caller must own (or act as).
fn principal(store: &Store, ctx: &Ctx, mailbox: &t::EmailAddressType) -> Result<usize, Fault> {
    let addr = mailbox.email_address.as_deref().unwrap_or("");
    let p = store.find_smtp(addr).ok_or_else(|| {
        Fault::new(
            Code::ErrorNonExistentMailbox,
            format!("No mailbox with such guid or address: {addr}"),
        )
    })?;
    if ctx.acting != Some(p) {
        return Err(Fault::new(
            Code::ErrorAccessDenied,
            "Access is denied. Only the mailbox owner can manage its delegates.",
        ));
    }
    Ok(p)
}

fn level_to_t(l: Level) -> t::DelegateFolderPermissionLevel {
    match l {
        Level::None => t::DelegateFolderPermissionLevel::None,
        Level::Reviewer => t::DelegateFolderPermissionLevel::Reviewer,
        Level::Author => t::DelegateFolderPermissionLevel::Author,
        Level::Editor | Level::Owner => t::DelegateFolderPermissionLevel::Editor,
    }
}

fn level_from_t(l: &t::DelegateFolderPermissionLevel) -> Option<Level> {
    Some(match l {
        t::DelegateFolderPermissionLevel::None => Level::None,
        t::DelegateFolderPermissionLevel::Reviewer => Level::Reviewer,
        t::DelegateFolderPermissionLevel::Author => Level::Author,
        t::DelegateFolderPermissionLevel::Editor => Level::Editor,
        t::DelegateFolderPermissionLevel::Custom => return None,
    })
}

fn folder_pairs(
    p: &t::DelegatePermissions,
) -> [(
    t::DistinguishedFolderIdName,
    &Option<t::DelegateFolderPermissionLevel>,
); 6] {
    use t::DistinguishedFolderIdName as F;
    [
        (F::Calendar, &p.calendar_folder_permission_level),
        (F::Tasks, &p.tasks_folder_permission_level),
        (F::Inbox, &p.inbox_folder_permission_level),
        (F::Contacts, &p.contacts_folder_permission_level),
        (F::Notes, &p.notes_folder_permission_level),
        (F::Journal, &p.journal_folder_permission_level),
    ]
}

fn present(store: &Store, d: &DelegateEntry, with_permissions: bool) -> t::DelegateUser {
    use t::DistinguishedFolderIdName as F;
    let m = store.find_smtp(&d.smtp).map(|i| &store.mailboxes[i]);
    let lvl = |f: F| Some(level_to_t(d.levels.get(&f).copied().unwrap_or(Level::None)));
    t::DelegateUser {
        user_id: t::UserId {
            sid: m.map(|m| m.sid.clone().into()),
            primary_smtp_address: Some(d.smtp.clone().into()),
            display_name: m.map(|m| m.name.clone().into()),
            ..Default::default()
        },
        delegate_permissions: with_permissions.then(|| t::DelegatePermissions {
            calendar_folder_permission_level: lvl(F::Calendar),
            tasks_folder_permission_level: lvl(F::Tasks),
            inbox_folder_permission_level: lvl(F::Inbox),
            contacts_folder_permission_level: lvl(F::Contacts),
            notes_folder_permission_level: lvl(F::Notes),
            journal_folder_permission_level: lvl(F::Journal),
        }),
        receive_copies_of_meeting_messages: Some(d.receive_copies),
        view_private_items: Some(d.view_private_items),
    }
}

/// The per-delegate messages; the schema wants `ResponseMessages` absent rather than empty.
fn wrap(
    list: Vec<m::DelegateUserResponseMessage>,
) -> Option<m::ArrayOfDelegateUserResponseMessage> {
    ews_types::runtime::NonEmpty::from_vec(list).map(m::ArrayOfDelegateUserResponseMessage::new)
}

fn user_ok(store: &Store, d: &DelegateEntry) -> m::DelegateUserResponseMessage {
    ok!(DelegateUserResponseMessage {
        delegate_user: Some(Box::new(present(store, d, true)))
    })
}

pub(crate) fn get(
    store: &mut Store,
    ctx: &Ctx,
    r: m::GetDelegate,
) -> Result<m::GetDelegateResponseMessage, Fault> {
    let p = principal(store, ctx, &r.mailbox)?;
    let mb = &store.mailboxes[p];
    let list = mb
        .delegates
        .iter()
        .map(|d| {
            ok!(DelegateUserResponseMessage {
                delegate_user: Some(Box::new(present(store, d, r.include_permissions)))
            })
        })
        .collect();
    Ok(ok!(GetDelegateResponseMessage {
        response_messages: wrap(list).map(Box::new),
        deliver_meeting_requests: Some(mb.deliver)
    }))
}

pub(crate) fn add(
    store: &mut Store,
    ctx: &Ctx,
    r: m::AddDelegate,
) -> Result<m::AddDelegateResponseMessage, Fault> {
    let p = principal(store, ctx, &r.mailbox)?;
    let mut list = Vec::new();
    for u in &r.delegate_users.delegate_user {
        let addr = u
            .user_id
            .primary_smtp_address
            .clone()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if store.find_smtp(&addr).is_none() {
            list.push(fail!(
                DelegateUserResponseMessage,
                Code::ErrorDelegateNoUser,
                "The delegate does not map to a user in the Active Directory."
            ));
            continue;
        }
        if store.mailboxes[p].delegates.iter().any(|d| d.smtp == addr) {
            list.push(fail!(
                DelegateUserResponseMessage,
                Code::ErrorDelegateAlreadyExists,
                "The delegate already exists."
            ));
            continue;
        }
        let mut levels = HashMap::new();
        if let Some(perms) = &u.delegate_permissions {
            for (f, l) in folder_pairs(perms) {
                if let Some(level) = l.as_ref().and_then(level_from_t) {
                    levels.insert(f, level);
                }
            }
        }
        let entry = DelegateEntry {
            smtp: addr.to_string(),
            levels,
            view_private_items: u.view_private_items.unwrap_or(false),
            receive_copies: u.receive_copies_of_meeting_messages.unwrap_or(false),
        };
        list.push(user_ok(store, &entry));
        store.mailboxes[p].delegates.push(entry);
    }
    if let Some(d) = r.deliver_meeting_requests {
        store.mailboxes[p].deliver = d;
    }
    Ok(ok!(AddDelegateResponseMessage {
        response_messages: wrap(list).map(Box::new)
    }))
}

pub(crate) fn update(
    store: &mut Store,
    ctx: &Ctx,
    r: m::UpdateDelegate,
) -> Result<m::UpdateDelegateResponseMessage, Fault> {
    let p = principal(store, ctx, &r.mailbox)?;
    let mut list = Vec::new();
    for u in r.delegate_users.iter().flat_map(|a| a.delegate_user.iter()) {
        let addr = u
            .user_id
            .primary_smtp_address
            .clone()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let Some(i) = store.mailboxes[p]
            .delegates
            .iter()
            .position(|d| d.smtp == addr)
        else {
            list.push(fail!(
                DelegateUserResponseMessage,
                Code::ErrorNotDelegate,
                "The specified user is not a delegate."
            ));
            continue;
        };
        let d = &mut store.mailboxes[p].delegates[i];
        if let Some(perms) = &u.delegate_permissions {
            for (f, l) in folder_pairs(perms) {
                if let Some(level) = l.as_ref().and_then(level_from_t) {
                    d.levels.insert(f, level);
                }
            }
        }
        if let Some(v) = u.view_private_items {
            d.view_private_items = v;
        }
        if let Some(v) = u.receive_copies_of_meeting_messages {
            d.receive_copies = v;
        }
        let d = d.clone();
        list.push(user_ok(store, &d));
    }
    if let Some(d) = r.deliver_meeting_requests {
        store.mailboxes[p].deliver = d;
    }
    Ok(ok!(UpdateDelegateResponseMessage {
        response_messages: wrap(list).map(Box::new)
    }))
}

pub(crate) fn remove(
    store: &mut Store,
    ctx: &Ctx,
    r: m::RemoveDelegate,
) -> Result<m::RemoveDelegateResponseMessage, Fault> {
    let p = principal(store, ctx, &r.mailbox)?;
    let mut list = Vec::new();
    for u in &r.user_ids.user_id {
        let addr = u
            .primary_smtp_address
            .clone()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let before = store.mailboxes[p].delegates.len();
        store.mailboxes[p].delegates.retain(|d| d.smtp != addr);
        list.push(if store.mailboxes[p].delegates.len() < before {
            ok!(DelegateUserResponseMessage {})
        } else {
            fail!(
                DelegateUserResponseMessage,
                Code::ErrorNotDelegate,
                "The specified user is not a delegate."
            )
        });
    }
    Ok(ok!(RemoveDelegateResponseMessage {
        response_messages: wrap(list).map(Box::new)
    }))
}
