//! Attachments: carried by messages and calendar items (from CreateItem or CreateAttachment),
//! read with GetAttachment, removed with DeleteAttachment. Each gets an `AttachmentId` naming
//! its item and the item's change key at the time.

use ews_types::runtime::NonEmpty;
use ews_types::{m, t};

use super::items::{Code, denied, messages, not_found};
use super::{Ctx, level, may_edit, sees_private};
use crate::soap::Fault;
use crate::store::{FolderKey, Item, Level, Store, Stored};

type Choice = m::ArrayOfResponseMessagesChoice;
type Attachment = t::NonEmptyArrayOfAttachmentsChoice;

fn attachments_mut(item: &mut Item) -> Option<&mut Option<Box<t::NonEmptyArrayOfAttachments>>> {
    match item {
        Item::Message(m) => Some(&mut m.attachments),
        Item::Calendar(c) => Some(&mut c.attachments),
        _ => None,
    }
}

fn attachments_of(item: &Item) -> Option<&t::NonEmptyArrayOfAttachments> {
    match item {
        Item::Message(m) => m.attachments.as_deref(),
        Item::Calendar(c) => c.attachments.as_deref(),
        _ => None,
    }
}

/// Attachments as GetItem shows them: without their content (GetAttachment reads that), and
/// with bare ids.
pub(super) fn without_content(list: &mut Option<Box<t::NonEmptyArrayOfAttachments>>) {
    for a in list.iter_mut().flat_map(|l| l.content.iter_mut()) {
        if let Attachment::FileAttachment(f) = a {
            f.content = None;
        }
        bare_id(a);
    }
}

/// Drops `RootItemId`/`RootItemChangeKey` from an attachment's id: Exchange writes them in
/// CreateAttachment and DeleteAttachment answers only, and a client that echoes an id back
/// (as a `RequestAttachmentId`, which has no such attributes) must not receive them.
fn bare_id(a: &mut Attachment) {
    if let Some(id) = id_mut(a) {
        id.root_item_id = None;
        id.root_item_change_key = None;
    }
}

fn id_mut(a: &mut Attachment) -> &mut Option<Box<t::AttachmentId>> {
    match a {
        Attachment::FileAttachment(f) => &mut f.attachment_id,
        Attachment::ItemAttachment(i) => &mut i.attachment_id,
        Attachment::ReferenceAttachment(r) => &mut r.attachment_id,
    }
}

/// Sets what Exchange sets on an attachment it stores: its `Size` (a file's content length; an
/// item's written length) and `LastModifiedTime`.
fn stamp(a: &mut Attachment) {
    use ews_types::runtime::{XmlGroup, XmlWriter};
    let now = Some(super::items::now());
    match a {
        Attachment::FileAttachment(f) => {
            f.size = Some(f.content.as_ref().map_or(0, |c| c.0.len()) as i32);
            f.last_modified_time = now;
        }
        Attachment::ItemAttachment(i) => {
            let mut w = XmlWriter::new();
            let written = i
                .content
                .as_ref()
                .and_then(|c| {
                    c.write_group(&mut w).ok()?;
                    Some(w.into_string().len())
                })
                .unwrap_or(0);
            i.size = Some(written as i32);
            i.last_modified_time = now;
        }
        Attachment::ReferenceAttachment(r) => r.last_modified_time = now,
    }
}

fn id_of(a: &Attachment) -> Option<&str> {
    match a {
        Attachment::FileAttachment(f) => f.attachment_id.as_ref(),
        Attachment::ItemAttachment(i) => i.attachment_id.as_ref(),
        Attachment::ReferenceAttachment(r) => r.attachment_id.as_ref(),
    }
    .map(|id| id.id.as_str())
}

/// Gives every attachment of a newly stored (or moved, or copied) item an id naming it, and
/// sets `HasAttachments`.
pub(super) fn assign_ids(store: &mut Store, mbx: usize, s: &mut Stored) {
    let root = s.item_id();
    let count = attachments_mut(&mut s.item)
        .and_then(|a| a.as_mut())
        .map_or(0, |a| a.content.len());
    let ids: Vec<String> = (0..count).map(|_| store.new_id("A", mbx)).collect();
    if let Some(Some(list)) = attachments_mut(&mut s.item) {
        for (a, id) in list.content.iter_mut().zip(ids) {
            stamp(a);
            *id_mut(a) = Some(Box::new(t::AttachmentId {
                id: id.into(),
                root_item_id: Some(root.id.clone()),
                root_item_change_key: root.change_key.clone(),
            }));
        }
    }
    if let Item::Message(m) = &mut s.item {
        m.has_attachments = Some(count > 0);
    }
}

/// Where the attachment `id` is: (mailbox, folder, item index, attachment index).
fn locate(store: &Store, id: &str) -> Option<(usize, FolderKey, usize, usize)> {
    for (mi, mbx) in store.mailboxes.iter().enumerate() {
        for (name, f) in &mbx.folders {
            for (ii, s) in f.items.iter().enumerate() {
                if let Some(list) = attachments_of(&s.item)
                    && let Some(ai) = list.content.iter().position(|a| id_of(a) == Some(id))
                {
                    return Some((mi, *name, ii, ai));
                }
            }
        }
    }
    None
}

fn response_choice(a: Attachment) -> t::ArrayOfAttachmentsChoice {
    match a {
        Attachment::FileAttachment(f) => t::ArrayOfAttachmentsChoice::FileAttachment(f),
        Attachment::ItemAttachment(i) => t::ArrayOfAttachmentsChoice::ItemAttachment(i),
        Attachment::ReferenceAttachment(r) => t::ArrayOfAttachmentsChoice::ReferenceAttachment(r),
    }
}

fn info(
    result: Result<Vec<t::ArrayOfAttachmentsChoice>, (Code, String)>,
) -> m::AttachmentInfoResponseMessage {
    match result {
        Ok(content) => m::AttachmentInfoResponseMessage {
            response_code: Some(Code::NoError),
            attachments: Some(Box::new(t::ArrayOfAttachments { content })),
            ..m::AttachmentInfoResponseMessage::new(t::ResponseClass::Success)
        },
        Err((code, text)) => m::AttachmentInfoResponseMessage {
            response_code: Some(code),
            message_text: Some(text.into()),
            descriptive_link_key: Some(0),
            attachments: Some(Default::default()),
            ..m::AttachmentInfoResponseMessage::new(t::ResponseClass::Error)
        },
    }
}

/// CreateAttachment: one response message per attachment, each with the new id.
pub(crate) fn create(
    store: &mut Store,
    ctx: &Ctx,
    r: m::CreateAttachment,
) -> Result<m::CreateAttachmentResponse, Fault> {
    let parent = store.locate(&r.parent_item_id.id);
    let allowed = parent.is_some_and(|(mbx, f, i)| may_edit(store, ctx, mbx, f, i));
    let mut out = Vec::new();
    for mut a in r.attachments.content {
        let result = (|| {
            let (mbx, folder, i) = parent.ok_or_else(not_found)?;
            if !allowed {
                return Err(denied());
            }
            let id = store.new_id("A", mbx);
            let s = &mut store.mailboxes[mbx]
                .folder_mut(folder)
                .expect("folder")
                .items[i];
            s.version += 1;
            let root = s.item_id();
            let Some(list) = attachments_mut(&mut s.item) else {
                return Err((
                    Code::ErrorInvalidOperation,
                    "ews-testserver keeps attachments on messages and calendar items only.".into(),
                ));
            };
            let attachment_id = t::AttachmentId {
                id: id.into(),
                root_item_id: Some(root.id),
                root_item_change_key: root.change_key,
            };
            *id_mut(&mut a) = Some(Box::new(attachment_id.clone()));
            stamp(&mut a);
            match list {
                Some(list) => list.content.push(a.clone()),
                None => *list = Some(Box::new(t::NonEmptyArrayOfAttachments::new(a.clone()))),
            }
            if let Item::Message(m) = &mut s.item {
                m.has_attachments = Some(true);
            }
            let mut only_id = a;
            strip(&mut only_id);
            *id_mut(&mut only_id) = Some(Box::new(attachment_id));
            Ok(vec![response_choice(only_id)])
        })();
        out.push(Choice::CreateAttachmentResponseMessage(info(result)));
    }
    Ok(m::CreateAttachmentResponse {
        response_messages: messages(out),
    })
}

/// Reduces an attachment to its id (what CreateAttachment answers).
fn strip(a: &mut Attachment) {
    *a = match a {
        Attachment::FileAttachment(_) => Attachment::FileAttachment(Default::default()),
        Attachment::ItemAttachment(_) => Attachment::ItemAttachment(Default::default()),
        Attachment::ReferenceAttachment(_) => Attachment::ReferenceAttachment(Default::default()),
    };
}

fn unknown() -> (Code, String) {
    (
        Code::ErrorInvalidAttachmentId,
        "The attachment id does not name an attachment.".into(),
    )
}

fn request_ids(ids: &t::NonEmptyArrayOfRequestAttachmentIds) -> Vec<&str> {
    ids.content
        .iter()
        .map(|t::NonEmptyArrayOfRequestAttachmentIdsChoice::AttachmentId(a)| a.id.as_str())
        .collect()
}

/// GetAttachment: the whole attachment, content included, one message per id.
pub(crate) fn get(
    store: &mut Store,
    ctx: &Ctx,
    r: m::GetAttachment,
) -> Result<m::GetAttachmentResponse, Fault> {
    let mime = r
        .attachment_shape
        .as_ref()
        .is_some_and(|s| s.include_mime_content == Some(true));
    let out = request_ids(&r.attachment_ids)
        .into_iter()
        .map(|id| {
            let result = (|| {
                let (mbx, folder, i, ai) = locate(store, id).ok_or_else(unknown)?;
                let s = &store.mailboxes[mbx].folder(folder).items[i];
                if level(store, ctx, mbx, folder) < Level::Reviewer
                    || (s.private() && !sees_private(store, ctx, mbx))
                {
                    return Err(denied());
                }
                let list = attachments_of(&s.item).ok_or_else(not_found)?;
                let mut a = list.content[ai].clone();
                bare_id(&mut a);
                if let Attachment::ItemAttachment(i) = &mut a
                    && let Some(item) = &mut i.content
                    && mime
                {
                    let content = super::mime::attached(item);
                    *item.as_item_mut().mime_content_mut() = Some(Box::new(content));
                }
                Ok(vec![response_choice(a)])
            })();
            Choice::GetAttachmentResponseMessage(info(result))
        })
        .collect();
    Ok(m::GetAttachmentResponse {
        response_messages: messages(out),
    })
}

/// DeleteAttachment: removes each attachment; the answer names the item's new change key.
pub(crate) fn delete(
    store: &mut Store,
    ctx: &Ctx,
    r: m::DeleteAttachment,
) -> Result<m::DeleteAttachmentResponse, Fault> {
    let mut out = Vec::new();
    for id in request_ids(&r.attachment_ids) {
        let result = (|| {
            let (mbx, folder, i, ai) = locate(store, id).ok_or_else(unknown)?;
            if !may_edit(store, ctx, mbx, folder, i) {
                return Err(denied());
            }
            let s = &mut store.mailboxes[mbx]
                .folder_mut(folder)
                .expect("folder")
                .items[i];
            if let Some(slot) = attachments_mut(&mut s.item) {
                let mut rest = slot.take().expect("located").content.into_vec();
                rest.remove(ai);
                *slot = NonEmpty::from_vec(rest)
                    .map(t::NonEmptyArrayOfAttachments::new)
                    .map(Box::new);
                if slot.is_none()
                    && let Item::Message(m) = &mut s.item
                {
                    m.has_attachments = Some(false);
                }
            }
            s.version += 1;
            let root = s.item_id();
            Ok(t::RootItemId {
                root_item_id: root.id,
                root_item_change_key: root.change_key.unwrap_or_default(),
            })
        })();
        out.push(Choice::DeleteAttachmentResponseMessage(match result {
            Ok(root) => m::DeleteAttachmentResponseMessage {
                response_code: Some(Code::NoError),
                root_item_id: Some(Box::new(root)),
                ..m::DeleteAttachmentResponseMessage::new(t::ResponseClass::Success)
            },
            Err((code, text)) => m::DeleteAttachmentResponseMessage {
                response_code: Some(code),
                message_text: Some(text.into()),
                descriptive_link_key: Some(0),
                ..m::DeleteAttachmentResponseMessage::new(t::ResponseClass::Error)
            },
        }));
    }
    Ok(m::DeleteAttachmentResponse {
        response_messages: messages(out),
    })
}
