//! CreateItem, GetItem, FindItem, UpdateItem, DeleteItem.

use ews_types::runtime::DateTime;
use ews_types::{m, t};

use super::shape::ItemShape;
use super::{
    Ctx, attachments, folder_owner, level, may_edit, meetings, recurrence, sees_private, zones,
};
use crate::soap::Fault;
use crate::store::{FolderKey, Item, Level, Store, Stored};

pub(super) type Code = m::ResponseCode;
type Choice = m::ArrayOfResponseMessagesChoice;

macro_rules! fail {
    ($ty:ident, $code:expr, $text:expr) => {
        m::$ty {
            message_text: Some(String::from($text).into()),
            response_code: Some($code),
            descriptive_link_key: Some(0),
            ..m::$ty::new(t::ResponseClass::Error)
        }
    };
}
pub(crate) use fail;

macro_rules! ok {
    ($ty:ident { $($f:ident : $v:expr),* $(,)? }) => {
        m::$ty {
            response_code: Some(m::ResponseCode::NoError),
            $($f: $v,)*
            ..m::$ty::new(t::ResponseClass::Success)
        }
    };
}
pub(crate) use ok;

/// The response messages of a request: one per requested id, and a request names at least one.
pub(super) fn messages(content: Vec<Choice>) -> m::ArrayOfResponseMessages {
    m::ArrayOfResponseMessages::new(
        ews_types::runtime::NonEmpty::from_vec(content)
            .expect("one response message per requested id, and a request names at least one"),
    )
}

pub(super) fn now() -> DateTime {
    chrono::Utc::now().into()
}

/// The (mailbox, folder) a target folder id names.
pub(crate) fn target(
    store: &Store,
    ctx: &Ctx,
    f: &t::TargetFolderIdChoice,
) -> Result<(usize, FolderKey), (Code, String)> {
    match f {
        t::TargetFolderIdChoice::DistinguishedFolderId(d) => {
            Ok((folder_owner(store, ctx, d)?, d.id.into()))
        }
        t::TargetFolderIdChoice::FolderId(id) => store.locate_folder(&id.id).ok_or((
            Code::ErrorFolderNotFound,
            "The specified folder could not be found in the store.".into(),
        )),
        t::TargetFolderIdChoice::AddressListId(_) => Err((
            Code::ErrorInvalidOperation,
            "Address lists are not folders.".into(),
        )),
    }
}

pub(super) fn denied() -> (Code, String) {
    (
        Code::ErrorAccessDenied,
        "Access is denied. Check credentials and try again.".into(),
    )
}

fn has_attendees(c: &t::CalendarItem) -> bool {
    [&c.required_attendees, &c.optional_attendees, &c.resources]
        .iter()
        .any(|a| a.as_ref().is_some_and(|a| !a.attendee.is_empty()))
}

pub(super) fn attendee_addresses(c: &t::CalendarItem) -> Vec<String> {
    [&c.required_attendees, &c.optional_attendees, &c.resources]
        .iter()
        .filter_map(|a| a.as_ref())
        .flat_map(|a| a.attendee.iter())
        .filter_map(|a| a.mailbox.email_address.as_ref().map(|s| s.to_string()))
        .collect()
}

/// The To, Cc and Bcc addresses of a message.
fn all_recipients(msg: &t::Message) -> Vec<String> {
    [&msg.to_recipients, &msg.cc_recipients, &msg.bcc_recipients]
        .into_iter()
        .flatten()
        .flat_map(|l| l.content.iter())
        .filter_map(|t::ArrayOfRecipientsChoice::Mailbox(m)| {
            m.email_address.as_ref().map(|s| s.to_string())
        })
        .collect()
}

/// Adds an item to a folder and returns its id.
pub(super) fn put(
    store: &mut Store,
    mbx: usize,
    folder: impl Into<FolderKey>,
    creator: &str,
    item: Item,
) -> t::ItemId {
    let id = store.new_id("I", mbx);
    let mut stored = Stored {
        id,
        version: 1,
        creator: creator.to_owned(),
        item,
    };
    attachments::assign_ids(store, mbx, &mut stored);
    let item_id = stored.item_id();
    let f = store.mailboxes[mbx]
        .folder_mut(folder)
        .expect("every folder exists");
    f.items.push(stored);
    item_id
}

pub(crate) fn create(
    store: &mut Store,
    ctx: &Ctx,
    r: m::CreateItem,
) -> Result<m::CreateItemResponse, Fault> {
    let mut out = Vec::new();
    for item in r.items.content {
        let result = create_one(
            store,
            ctx,
            r.saved_item_folder_id.as_deref(),
            r.message_disposition,
            r.send_meeting_invitations,
            item,
        );
        out.push(Choice::CreateItemResponseMessage(match result {
            Ok(ids) => ok!(ItemInfoResponseMessage {
                items: Some(Box::new(t::ArrayOfRealItems { content: ids }))
            }),
            Err((code, text)) => m::ItemInfoResponseMessage {
                items: Some(Default::default()),
                ..fail!(ItemInfoResponseMessage, code, text)
            },
        }));
    }
    Ok(m::CreateItemResponse {
        response_messages: messages(out),
    })
}

fn create_one(
    store: &mut Store,
    ctx: &Ctx,
    folder: Option<&t::TargetFolderId>,
    disposition: Option<t::MessageDisposition>,
    invitations: Option<t::CalendarItemCreateOrDeleteOperation>,
    item: t::NonEmptyArrayOfAllItemsChoice,
) -> Result<Vec<t::ArrayOfRealItemsChoice>, (Code, String)> {
    let Some(acting) = ctx.acting else {
        return Err((
            Code::ErrorMissingEmailAddress,
            "The account has no mailbox.".into(),
        ));
    };
    let acting_smtp = store.mailboxes[acting].smtp.clone();
    if let Some((answer, reference, body)) = meetings::answer_of(&item) {
        meetings::respond(store, ctx, answer, reference, body, disposition)?;
        return Ok(Vec::new());
    }
    match item {
        t::NonEmptyArrayOfAllItemsChoice::CalendarItem(mut c) => {
            let (owner, fname) = match folder {
                Some(f) => target(store, ctx, &f.content)?,
                None => (acting, t::DistinguishedFolderIdName::Calendar.into()),
            };
            if level(store, ctx, owner, fname) < Level::Author {
                return Err(denied());
            }
            let send = has_attendees(&c)
                && matches!(
                    invitations,
                    Some(
                        t::CalendarItemCreateOrDeleteOperation::SendToAllAndSaveCopy
                            | t::CalendarItemCreateOrDeleteOperation::SendOnlyToAll
                    )
                );
            zones::settle(&mut c, ctx)?;
            recurrence::check(&c)?;
            if c.recurrence.is_some() {
                c.calendar_item_type = Some(t::CalendarItemType::RecurringMaster);
                c.is_recurring = Some(true);
            }
            let organizer = store.mailboxes[owner].recipient();
            c.organizer = Some(Box::new(organizer.clone()));
            c.is_meeting = Some(has_attendees(&c) && send);
            c.date_time_created = Some(now());
            c.uid = Some(store.new_id("UID", owner).into());
            let id = put(store, owner, fname, &acting_smtp, Item::Calendar(c.clone()));
            if send {
                let save_copy = invitations
                    == Some(t::CalendarItemCreateOrDeleteOperation::SendToAllAndSaveCopy);
                meetings::invite(store, acting, owner, &c, save_copy, None);
            }
            Ok(vec![t::ArrayOfRealItemsChoice::CalendarItem(Box::new(
                t::CalendarItem {
                    item_id: Some(Box::new(id)),
                    ..Default::default()
                },
            ))])
        }
        t::NonEmptyArrayOfAllItemsChoice::Message(mut msg) => {
            let disposition = disposition.unwrap_or(t::MessageDisposition::SaveOnly);
            let (owner, fname) = match folder {
                Some(f) => target(store, ctx, &f.content)?,
                None => (
                    acting,
                    match disposition {
                        t::MessageDisposition::SaveOnly => t::DistinguishedFolderIdName::Drafts,
                        _ => t::DistinguishedFolderIdName::Sentitems,
                    }
                    .into(),
                ),
            };
            if level(store, ctx, owner, fname) < Level::Author {
                return Err(denied());
            }
            let from_addr = msg
                .from
                .as_ref()
                .and_then(|f| match &f.content {
                    t::SingleRecipientChoice::Mailbox(m) => {
                        m.email_address.as_ref().map(|s| s.to_string())
                    }
                })
                .unwrap_or_else(|| acting_smtp.clone());
            let from = store.find_smtp(&from_addr).ok_or((
                Code::ErrorInvalidRecipients,
                format!("Unknown sender {from_addr}"),
            ))?;
            if from != acting
                && level(store, ctx, from, t::DistinguishedFolderIdName::Inbox) < Level::Author
                && !ctx.impersonated
            {
                return Err((Code::ErrorSendAsDenied, "The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account.".into()));
            }
            msg.from = Some(Box::new(store.mailboxes[from].recipient()));
            msg.sender = Some(Box::new(store.mailboxes[acting].recipient()));
            msg.date_time_created = Some(now());
            msg.is_draft = Some(disposition == t::MessageDisposition::SaveOnly);
            if disposition == t::MessageDisposition::SaveOnly {
                let id = put(store, owner, fname, &acting_smtp, Item::Message(msg));
                return Ok(vec![t::ArrayOfRealItemsChoice::Message(Box::new(
                    t::Message {
                        item_id: Some(Box::new(id)),
                        ..Default::default()
                    },
                ))]);
            }
            msg.date_time_sent = Some(now());
            msg.date_time_received = Some(now());
            super::mime::check_send(store.max_send_bytes, &*msg)?;
            let to = all_recipients(&msg);
            for a in to {
                if let Some(mbx) = store.find_smtp(&a) {
                    put(
                        store,
                        mbx,
                        t::DistinguishedFolderIdName::Inbox,
                        &acting_smtp,
                        Item::Message(msg.clone()),
                    );
                }
            }
            if disposition == t::MessageDisposition::SendAndSaveCopy {
                put(store, owner, fname, &acting_smtp, Item::Message(msg));
            }
            Ok(Vec::new())
        }
        _ => Err((
            Code::ErrorInvalidOperation,
            "ews-testserver stores calendar items and messages only.".into(),
        )),
    }
}

/// The response message for one item: the item, or the error.
pub(super) fn item_info(
    result: Result<t::ArrayOfRealItemsChoice, (Code, String)>,
) -> m::ItemInfoResponseMessage {
    match result {
        Ok(item) => ok!(ItemInfoResponseMessage {
            items: Some(Box::new(t::ArrayOfRealItems {
                content: vec![item]
            }))
        }),
        Err((code, text)) => m::ItemInfoResponseMessage {
            items: Some(Default::default()),
            ..fail!(ItemInfoResponseMessage, code, text)
        },
    }
}

pub(super) fn item_ids(ids: &t::NonEmptyArrayOfBaseItemIds) -> Vec<Option<&t::ItemId>> {
    ids.content
        .iter()
        .map(|i| match i {
            t::NonEmptyArrayOfBaseItemIdsChoice::ItemId(id) => Some(id),
            _ => None,
        })
        .collect()
}

pub(super) fn not_found() -> (Code, String) {
    (
        Code::ErrorItemNotFound,
        "The specified object was not found in the store.".into(),
    )
}

pub(crate) fn get(
    store: &mut Store,
    ctx: &Ctx,
    r: m::GetItem,
) -> Result<m::GetItemResponse, Fault> {
    let shape = ItemShape::get(&r.item_shape);
    let mut out = Vec::new();
    for id in item_ids(&r.item_ids) {
        let result = (|| {
            let shape = shape.as_ref().map_err(Clone::clone)?;
            let id = id.ok_or((
                Code::ErrorInvalidOperation,
                "Only ItemId is supported.".into(),
            ))?;
            let (master, occurrence) = recurrence::split_id(&id.id);
            let (mbx, folder, i) = store.locate(&master).ok_or_else(not_found)?;
            if level(store, ctx, mbx, folder) < Level::Reviewer {
                return Err(denied());
            }
            let s = &store.mailboxes[mbx].folder(folder).items[i];
            if s.private() && !sees_private(store, ctx, mbx) {
                return Err(denied());
            }
            match occurrence {
                Some(start) => recurrence::find(s, start)
                    .map(|o| shape.show(&o))
                    .ok_or_else(|| recurrence::missing(s, start)),
                None => Ok(shape.show(s)),
            }
        })();
        out.push(Choice::GetItemResponseMessage(item_info(result)));
    }
    Ok(m::GetItemResponse {
        response_messages: messages(out),
    })
}

fn start_of(s: &Stored) -> Option<chrono::DateTime<chrono::Utc>> {
    match &s.item {
        Item::Calendar(c) => c.start.as_ref().and_then(DateTime::to_utc),
        _ => None,
    }
}

fn end_of(s: &Stored) -> Option<chrono::DateTime<chrono::Utc>> {
    match &s.item {
        Item::Calendar(c) => c.end.as_ref().and_then(DateTime::to_utc),
        _ => None,
    }
}

pub(crate) fn find(
    store: &mut Store,
    ctx: &Ctx,
    r: m::FindItem,
) -> Result<m::FindItemResponse, Fault> {
    let shape = ItemShape::find(&r.item_shape);
    let mut out = Vec::new();
    for f in &r.parent_folder_ids.content {
        let located = match f {
            t::NonEmptyArrayOfBaseFolderIdsChoice::DistinguishedFolderId(d) => {
                folder_owner(store, ctx, d).map(|m| (m, d.id.into()))
            }
            t::NonEmptyArrayOfBaseFolderIdsChoice::FolderId(id) => {
                store.locate_folder(&id.id).ok_or((
                    Code::ErrorFolderNotFound,
                    "The specified folder could not be found in the store.".into(),
                ))
            }
        };
        let result = located.and_then(|(mbx, folder)| {
            if level(store, ctx, mbx, folder) < Level::Reviewer {
                return Err(denied());
            }
            unmodelled(&r)?;
            let shape = shape.as_ref().map_err(Clone::clone)?;
            let private_ok = sees_private(store, ctx, mbx);
            let mut items = Vec::new();
            for s in &store.mailboxes[mbx].folder(folder).items {
                let wanted = match &r.restriction {
                    Some(restriction) => {
                        super::restrict::matches(&restriction.search_expression, s)?
                    }
                    None => true,
                };
                if wanted && (private_ok || !s.private()) {
                    items.push(s);
                }
            }
            // without a SortOrder the newest come first, as Exchange lists a folder
            match &r.sort_order {
                Some(order) => super::restrict::sort(&mut items, order)?,
                None => items.reverse(),
            }
            Ok(view(items, r.content.as_deref(), shape))
        });
        out.push(Choice::FindItemResponseMessage(match result {
            Ok(root) => ok!(FindItemResponseMessage {
                root_folder: Some(Box::new(root))
            }),
            Err((code, text)) => fail!(FindItemResponseMessage, code, text),
        }));
    }
    Ok(m::FindItemResponse {
        response_messages: messages(out),
    })
}

/// The parts of a FindItem the server does not model, refused by name rather than ignored.
fn unmodelled(r: &m::FindItem) -> Result<(), (Code, String)> {
    let what = match (r.content.as_deref(), r.content2.as_deref(), &r.query_string) {
        (_, Some(m::FindItemChoice2::GroupBy(_)), _) => "GroupBy",
        (_, Some(m::FindItemChoice2::DistinguishedGroupBy(_)), _) => "DistinguishedGroupBy",
        (_, _, Some(_)) => "QueryString (AQS)",
        (Some(m::FindItemChoice::SeekToConditionPageItemView(_)), _, _) => {
            "SeekToConditionPageItemView"
        }
        (Some(m::FindItemChoice::ContactsView(_)), _, _) => "ContactsView",
        _ => return Ok(()),
    };
    Err((
        Code::ErrorInvalidOperation,
        format!("ews-testserver does not implement {what} in FindItem."),
    ))
}

/// Applies the view to items already in order (a calendar view orders by start).
fn view(
    items: Vec<&Stored>,
    v: Option<&m::FindItemChoice>,
    shape: &ItemShape,
) -> t::FindItemParent {
    // a calendar view shows a series as its occurrences
    let expanded: Vec<Stored> = match v {
        Some(m::FindItemChoice::CalendarView(cv)) => {
            match (cv.start_date.to_utc(), cv.end_date.to_utc()) {
                (Some(from), Some(until)) => items
                    .iter()
                    .flat_map(|s| recurrence::expand(s, from, until))
                    .collect(),
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    };
    let mut fraction = None;
    let (selected, offset, last, total) = match v {
        Some(m::FindItemChoice::CalendarView(cv)) => {
            let mut items: Vec<&Stored> = expanded.iter().collect();
            let (start, end) = (cv.start_date.to_utc(), cv.end_date.to_utc());
            items.retain(|s| match (start_of(s), end_of(s), start, end) {
                (Some(s0), Some(e0), Some(vs), Some(ve)) => s0 < ve && e0 > vs,
                _ => false,
            });
            items.sort_by_key(|s| start_of(s));
            let total = items.len();
            let max = cv.max_entries_returned.map_or(total, |m| m.max(0) as usize);
            let last = total <= max;
            items.truncate(max);
            (items, None, last, total)
        }
        Some(m::FindItemChoice::IndexedPageItemView(p)) => {
            let total = items.len();
            let offset = (p.offset.max(0) as usize).min(total);
            let max = p.max_entries_returned.map_or(total, |m| m.max(0) as usize);
            // from the start: items offset.. ; from the end: the `max` items before the last
            // `offset` ones
            let (from, to) = if p.base_point == t::IndexBasePoint::End {
                let to = total - offset;
                (to.saturating_sub(max), to)
            } else {
                (offset, (offset + max).min(total))
            };
            let page: Vec<&Stored> = items[from..to].to_vec();
            let last = if p.base_point == t::IndexBasePoint::End {
                from == 0
            } else {
                to == total
            };
            (page, Some((offset + (to - from)) as i32), last, total)
        }
        Some(m::FindItemChoice::FractionalPageItemView(p)) => {
            // the page starts at numerator/denominator of the way through the items
            let total = items.len();
            let from = if p.denominator > 0 {
                (total * p.numerator.clamp(0, p.denominator) as usize) / p.denominator as usize
            } else {
                0
            };
            let max = p.max_entries_returned.map_or(total, |m| m.max(0) as usize);
            let to = (from + max).min(total);
            fraction = Some(((to as i32), (total as i32)));
            (items[from..to].to_vec(), None, to == total, total)
        }
        _ => {
            let total = items.len();
            (items, None, true, total)
        }
    };
    t::FindItemParent {
        indexed_paging_offset: offset,
        numerator_offset: fraction.map(|f| f.0),
        absolute_denominator: fraction.map(|f| f.1),
        includes_last_item_in_range: Some(last),
        total_items_in_view: Some(total as i32),
        ..t::FindItemParent::new(t::FindItemParentChoice::Items(t::ArrayOfRealItems {
            content: selected.into_iter().map(|s| shape.show(s)).collect(),
        }))
    }
}

pub(crate) fn delete(
    store: &mut Store,
    ctx: &Ctx,
    r: m::DeleteItem,
) -> Result<m::DeleteItemResponse, Fault> {
    let mut out = Vec::new();
    for id in item_ids(&r.item_ids) {
        let result = (|| {
            let id = id.ok_or((
                Code::ErrorInvalidOperation,
                "Only ItemId is supported.".into(),
            ))?;
            let (master, occurrence) = recurrence::split_id(&id.id);
            let (mbx, folder, i) = store.locate(&master).ok_or_else(not_found)?;
            if !may_edit(store, ctx, mbx, folder, i) {
                return Err(denied());
            }
            if let Some(start) = occurrence {
                // one occurrence: the series remembers it as deleted
                let s = &mut store.mailboxes[mbx]
                    .folder_mut(folder)
                    .expect("folder")
                    .items[i];
                if recurrence::find(s, start).is_none() {
                    return Err(recurrence::missing(s, start));
                }
                if let Item::Calendar(c) = &mut s.item {
                    recurrence::delete(c, start);
                }
                s.version += 1;
                return Ok(());
            }
            let s = store.mailboxes[mbx]
                .folder_mut(folder)
                .expect("folder")
                .items
                .remove(i);
            if let Item::Calendar(c) = &s.item {
                meetings::cancel(store, ctx, mbx, c, r.send_meeting_cancellations);
                recurrence::drop_exceptions(store, mbx, folder, c);
            }
            if r.delete_type == t::Disposal::MoveToDeletedItems
                && !folder.is(t::DistinguishedFolderIdName::Deleteditems)
            {
                store.mailboxes[mbx]
                    .folder_mut(t::DistinguishedFolderIdName::Deleteditems)
                    .expect("folder")
                    .items
                    .push(s);
            }
            Ok(())
        })();
        out.push(Choice::DeleteItemResponseMessage(match result {
            Ok(()) => ok!(DeleteItemResponseMessage {}),
            Err((code, text)) => fail!(DeleteItemResponseMessage, code, text),
        }));
    }
    Ok(m::DeleteItemResponse {
        response_messages: messages(out),
    })
}

pub(crate) fn send(
    store: &mut Store,
    ctx: &Ctx,
    r: m::SendItem,
) -> Result<m::SendItemResponse, Fault> {
    let mut out = Vec::new();
    for id in item_ids(&r.item_ids) {
        let result = (|| {
            let id = id.ok_or((
                Code::ErrorInvalidOperation,
                "Only ItemId is supported.".into(),
            ))?;
            let (mbx, folder, i) = store.locate(&id.id).ok_or_else(not_found)?;
            if level(store, ctx, mbx, folder) < Level::Author {
                return Err(denied());
            }
            let acting = ctx.acting.ok_or((
                Code::ErrorMissingEmailAddress,
                "The account has no mailbox.".into(),
            ))?;
            let stored = &store.mailboxes[mbx].folder(folder).items[i];
            if let Some(ck) = &id.change_key
                && *ck != stored.change_key()
            {
                return Err((
                    Code::ErrorIrresolvableConflict,
                    "The change key does not match the current change key for the item.".into(),
                ));
            }
            let Item::Message(msg) = &stored.item else {
                return Err((
                    Code::ErrorInvalidItemForOperationSendItem,
                    "Only messages can be sent with SendItem.".into(),
                ));
            };
            let mut msg = (**msg).clone();
            // From is the mailbox the draft belongs to; Sender is whoever acts.
            msg.from = Some(Box::new(store.mailboxes[mbx].recipient()));
            msg.sender = Some(Box::new(store.mailboxes[acting].recipient()));
            msg.date_time_sent = Some(now());
            msg.date_time_received = Some(now());
            msg.is_draft = Some(false);
            super::mime::check_send(store.max_send_bytes, &msg)?;
            let to = all_recipients(&msg);
            if to.is_empty() {
                return Err((
                    Code::ErrorInvalidRecipients,
                    "At least one recipient isn't valid.".into(),
                ));
            }
            let acting_smtp = store.mailboxes[acting].smtp.clone();
            for a in to {
                if let Some(rcpt) = store.find_smtp(&a) {
                    put(
                        store,
                        rcpt,
                        t::DistinguishedFolderIdName::Inbox,
                        &acting_smtp,
                        Item::Message(Box::new(msg.clone())),
                    );
                }
            }
            store.mailboxes[mbx]
                .folder_mut(folder)
                .expect("folder")
                .items
                .remove(i);
            if r.save_item_to_folder {
                let (to_mbx, to_folder) = match &r.saved_item_folder_id {
                    Some(f) => target(store, ctx, &f.content)?,
                    None => (mbx, t::DistinguishedFolderIdName::Sentitems.into()),
                };
                put(
                    store,
                    to_mbx,
                    to_folder,
                    &acting_smtp,
                    Item::Message(Box::new(msg)),
                );
            }
            Ok(())
        })();
        out.push(Choice::SendItemResponseMessage(match result {
            Ok(()) => ok!(ResponseMessage {}),
            Err((code, text)) => fail!(ResponseMessage, code, text),
        }));
    }
    Ok(m::SendItemResponse {
        response_messages: messages(out),
    })
}

pub(super) fn address_of(r: &Option<Box<t::SingleRecipient>>) -> Option<String> {
    r.as_ref().and_then(|r| match &r.content {
        t::SingleRecipientChoice::Mailbox(m) => m.email_address.as_ref().map(|s| s.to_string()),
    })
}
