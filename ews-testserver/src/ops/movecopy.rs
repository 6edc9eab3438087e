//! MoveItem and CopyItem: items change folders (and ids) within one mailbox.

use ews_types::{m, t};

use super::items::{Code, denied, item_ids, item_info, messages, not_found, target};
use super::shape::present;
use super::{Ctx, level, may_edit};
use crate::soap::Fault;
use crate::store::{Level, Store, Stored};

type Choice = m::ArrayOfResponseMessagesChoice;

pub(crate) fn move_items(
    store: &mut Store,
    ctx: &Ctx,
    r: m::MoveItem,
) -> Result<m::MoveItemResponse, Fault> {
    let out = transfer(store, ctx, &r.to_folder_id, &r.item_ids, Transfer::Move);
    Ok(m::MoveItemResponse {
        response_messages: messages(
            out.into_iter()
                .map(Choice::MoveItemResponseMessage)
                .collect(),
        ),
    })
}

pub(crate) fn copy_items(
    store: &mut Store,
    ctx: &Ctx,
    r: m::CopyItem,
) -> Result<m::CopyItemResponse, Fault> {
    let out = transfer(store, ctx, &r.to_folder_id, &r.item_ids, Transfer::Copy);
    Ok(m::CopyItemResponse {
        response_messages: messages(
            out.into_iter()
                .map(Choice::CopyItemResponseMessage)
                .collect(),
        ),
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Transfer {
    Move,
    Copy,
}

/// One response message per id, in order. A moved item gets a new id (as in Exchange); a copy
/// is a new item created by the caller. Moving needs the right to delete the item (Editor, or
/// Author on one's own items); copying, to read it; both need Author on the target folder.
fn transfer(
    store: &mut Store,
    ctx: &Ctx,
    to: &t::TargetFolderId,
    ids: &t::NonEmptyArrayOfBaseItemIds,
    how: Transfer,
) -> Vec<m::ItemInfoResponseMessage> {
    let destination = target(store, ctx, &to.content);
    item_ids(ids)
        .into_iter()
        .map(|id| {
            let result = (|| {
                let id = id.ok_or((
                    Code::ErrorInvalidOperation,
                    "Only ItemId is supported.".to_owned(),
                ))?;
                let (to_mbx, to_folder) = destination.clone()?;
                let (mbx, folder, i) = store.locate(&id.id).ok_or_else(not_found)?;
                if mbx != to_mbx {
                    return Err((
                        Code::ErrorCrossMailboxMoveCopy,
                        "Items can only be moved or copied within one mailbox.".to_owned(),
                    ));
                }
                let s = &store.mailboxes[mbx].folder(folder).items[i];
                let may_take = match how {
                    Transfer::Move => may_edit(store, ctx, mbx, folder, i),
                    Transfer::Copy => {
                        level(store, ctx, mbx, folder) >= Level::Reviewer
                            && (!s.private() || super::sees_private(store, ctx, mbx))
                    }
                };
                if !may_take || level(store, ctx, to_mbx, to_folder) < Level::Author {
                    return Err(denied());
                }
                let new_id = store.new_id("I", mbx);
                let old_id = store.mailboxes[mbx].folder(folder).items[i].id.clone();
                match how {
                    Transfer::Move => store.notifications.note_move(&old_id, &new_id),
                    Transfer::Copy => store.notifications.note_copy(&old_id, &new_id),
                }
                let acting_smtp = ctx.acting.map(|a| store.mailboxes[a].smtp.clone());
                let folders = &mut store.mailboxes[mbx].folders;
                let moved = match how {
                    Transfer::Move => {
                        let mut s = folders.get_mut(&folder).expect("folder").items.remove(i);
                        s.id = new_id;
                        s.version += 1;
                        s
                    }
                    Transfer::Copy => {
                        let original = &folders[&folder].items[i];
                        let creator = acting_smtp.unwrap_or_else(|| original.creator.clone());
                        Stored {
                            id: new_id,
                            version: 1,
                            creator,
                            item: original.item.clone(),
                        }
                    }
                };
                // the attachments' ids name their item, which changed
                let mut moved = moved;
                super::attachments::assign_ids(store, mbx, &mut moved);
                let item = present(&moved, true);
                store.mailboxes[mbx]
                    .folder_mut(to_folder)
                    .expect("folder")
                    .items
                    .push(moved);
                Ok(item)
            })();
            item_info(result)
        })
        .collect()
}
