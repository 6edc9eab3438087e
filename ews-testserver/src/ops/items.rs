//! CreateItem, GetItem, FindItem, UpdateItem, DeleteItem.

use ews_types::runtime::DateTime;
use ews_types::{m, t};

use super::shape::{self, ItemShape, present};
use super::{Ctx, attachments, folder_owner, level, may_edit, meetings, recurrence, sees_private};
use crate::soap::Fault;
use crate::store::{Item, Level, Store, Stored};

pub(super) type Code = m::ResponseCode;
type Choice = m::ArrayOfResponseMessagesChoice;

macro_rules! fail {
    ($ty:ident, $code:expr, $text:expr) => {
        m::$ty {
            message_text: Some(String::from($text)),
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
) -> Result<(usize, t::DistinguishedFolderIdName), (Code, String)> {
    match f {
        t::TargetFolderIdChoice::DistinguishedFolderId(d) => {
            Ok((folder_owner(store, ctx, d)?, d.id))
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
        .filter_map(|a| a.mailbox.email_address.clone())
        .collect()
}

/// The To, Cc and Bcc addresses of a message.
fn all_recipients(msg: &t::Message) -> Vec<String> {
    [&msg.to_recipients, &msg.cc_recipients, &msg.bcc_recipients]
        .into_iter()
        .flatten()
        .flat_map(|l| l.content.iter())
        .filter_map(|t::ArrayOfRecipientsChoice::Mailbox(m)| m.email_address.clone())
        .collect()
}

/// Adds an item to a folder and returns its id.
pub(super) fn put(
    store: &mut Store,
    mbx: usize,
    folder: t::DistinguishedFolderIdName,
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
        .folders
        .get_mut(&folder)
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
            &r.saved_item_folder_id,
            r.message_disposition,
            r.send_meeting_invitations,
            item,
        );
        out.push(Choice::CreateItemResponseMessage(match result {
            Ok(ids) => ok!(ItemInfoResponseMessage {
                items: Some(t::ArrayOfRealItems { content: ids })
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
    folder: &Option<t::TargetFolderId>,
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
                None => (acting, t::DistinguishedFolderIdName::Calendar),
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
            recurrence::check(&c)?;
            if c.recurrence.is_some() {
                c.calendar_item_type = Some(t::CalendarItemType::RecurringMaster);
                c.is_recurring = Some(true);
            }
            let organizer = store.mailboxes[owner].recipient();
            c.organizer = Some(organizer.clone());
            c.is_meeting = Some(has_attendees(&c) && send);
            c.date_time_created = Some(now());
            c.uid = Some(store.new_id("UID", owner));
            let id = put(
                store,
                owner,
                fname,
                &acting_smtp,
                Item::Calendar(Box::new(c.clone())),
            );
            if send {
                let save_copy = invitations
                    == Some(t::CalendarItemCreateOrDeleteOperation::SendToAllAndSaveCopy);
                meetings::invite(store, acting, owner, &c, save_copy, None);
            }
            Ok(vec![t::ArrayOfRealItemsChoice::CalendarItem(
                t::CalendarItem {
                    item_id: Some(id),
                    ..Default::default()
                },
            )])
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
                    },
                ),
            };
            if level(store, ctx, owner, fname) < Level::Author {
                return Err(denied());
            }
            let from_addr = msg
                .from
                .as_ref()
                .and_then(|f| match &f.content {
                    t::SingleRecipientChoice::Mailbox(m) => m.email_address.clone(),
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
            msg.from = Some(store.mailboxes[from].recipient());
            msg.sender = Some(store.mailboxes[acting].recipient());
            msg.date_time_created = Some(now());
            if disposition == t::MessageDisposition::SaveOnly {
                let id = put(
                    store,
                    owner,
                    fname,
                    &acting_smtp,
                    Item::Message(Box::new(msg)),
                );
                return Ok(vec![t::ArrayOfRealItemsChoice::Message(t::Message {
                    item_id: Some(id),
                    ..Default::default()
                })]);
            }
            msg.date_time_sent = Some(now());
            msg.date_time_received = Some(now());
            let to = all_recipients(&msg);
            for a in to {
                if let Some(mbx) = store.find_smtp(&a) {
                    put(
                        store,
                        mbx,
                        t::DistinguishedFolderIdName::Inbox,
                        &acting_smtp,
                        Item::Message(Box::new(msg.clone())),
                    );
                }
            }
            if disposition == t::MessageDisposition::SendAndSaveCopy {
                put(
                    store,
                    owner,
                    fname,
                    &acting_smtp,
                    Item::Message(Box::new(msg)),
                );
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
            items: Some(t::ArrayOfRealItems {
                content: vec![item]
            })
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
    let shape = ItemShape::of(&r.item_shape);
    let mut out = Vec::new();
    for id in item_ids(&r.item_ids) {
        let result = (|| {
            let id = id.ok_or((
                Code::ErrorInvalidOperation,
                "Only ItemId is supported.".into(),
            ))?;
            let (master, occurrence) = recurrence::split_id(&id.id);
            let (mbx, folder, i) = store.locate(&master).ok_or_else(not_found)?;
            if level(store, ctx, mbx, folder) < Level::Reviewer {
                return Err(denied());
            }
            let s = &store.mailboxes[mbx].folders[&folder].items[i];
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
    let shape = ItemShape::of(&r.item_shape);
    let mut out = Vec::new();
    for f in &r.parent_folder_ids.content {
        let located = match f {
            t::NonEmptyArrayOfBaseFolderIdsChoice::DistinguishedFolderId(d) => {
                folder_owner(store, ctx, d).map(|m| (m, d.id))
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
            let private_ok = sees_private(store, ctx, mbx);
            let mut items = Vec::new();
            for s in &store.mailboxes[mbx].folders[&folder].items {
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
            Ok(view(items, &r.content, &shape))
        });
        out.push(Choice::FindItemResponseMessage(match result {
            Ok(root) => ok!(FindItemResponseMessage {
                root_folder: Some(root)
            }),
            Err((code, text)) => fail!(FindItemResponseMessage, code, text),
        }));
    }
    Ok(m::FindItemResponse {
        response_messages: messages(out),
    })
}

/// Applies the view to items already in order (a calendar view orders by start).
fn view(
    items: Vec<&Stored>,
    v: &Option<m::FindItemChoice>,
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
            let page: Vec<&Stored> = if p.base_point == t::IndexBasePoint::End {
                items
                    .into_iter()
                    .rev()
                    .skip(offset)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect()
            } else {
                items.into_iter().skip(offset).collect()
            };
            let max = p
                .max_entries_returned
                .map_or(page.len(), |m| m.max(0) as usize);
            let last = page.len() <= max;
            let page: Vec<&Stored> = page.into_iter().take(max).collect();
            let next = offset + page.len();
            (page, Some(next as i32), last, total)
        }
        _ => {
            let total = items.len();
            (items, None, true, total)
        }
    };
    t::FindItemParent {
        indexed_paging_offset: offset,
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
                    .folders
                    .get_mut(&folder)
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
                .folders
                .get_mut(&folder)
                .expect("folder")
                .items
                .remove(i);
            if let Item::Calendar(c) = &s.item {
                meetings::cancel(store, ctx, mbx, c, r.send_meeting_cancellations);
                recurrence::drop_exceptions(store, mbx, folder, c);
            }
            if r.delete_type == t::Disposal::MoveToDeletedItems
                && folder != t::DistinguishedFolderIdName::Deleteditems
            {
                store.mailboxes[mbx]
                    .folders
                    .get_mut(&t::DistinguishedFolderIdName::Deleteditems)
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

pub(crate) fn update(
    store: &mut Store,
    ctx: &Ctx,
    r: m::UpdateItem,
) -> Result<m::UpdateItemResponse, Fault> {
    let mut out = Vec::new();
    for change in r.item_changes.item_change {
        let result = (|| {
            let t::ItemChangeChoice::ItemId(id) = &change.content else {
                return Err((
                    Code::ErrorInvalidOperation,
                    "Only ItemId is supported.".into(),
                ));
            };
            let (master, occurrence) = recurrence::split_id(&id.id);
            let (mbx, folder, i) = store.locate(&master).ok_or_else(not_found)?;
            if !may_edit(store, ctx, mbx, folder, i) {
                return Err(denied());
            }
            if let Some(start) = occurrence {
                // changing one occurrence makes it an exception of the series
                let s = &store.mailboxes[mbx].folders[&folder].items[i];
                let mut occ =
                    recurrence::find(s, start).ok_or_else(|| recurrence::missing(s, start))?;
                for u in &change.updates.content {
                    apply(&mut occ.item, u)?;
                }
                let exception = recurrence::make_exception(store, mbx, folder, i, occ, start);
                return Ok(present(&exception, true));
            }
            let s = &mut store.mailboxes[mbx]
                .folders
                .get_mut(&folder)
                .expect("folder")
                .items[i];
            if r.conflict_resolution != t::ConflictResolution::AlwaysOverwrite
                && let Some(ck) = &id.change_key
                && *ck != s.change_key()
            {
                return Err((Code::ErrorIrresolvableConflict, "The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.".into()));
            }
            let mut time_or_place = false;
            for u in &change.updates.content {
                apply(&mut s.item, u)?;
                time_or_place |= field_uri(u).is_some_and(meetings::is_time_or_place);
            }
            s.version += 1;
            let meeting = match &mut s.item {
                Item::Calendar(c) if c.is_meeting == Some(true) => {
                    if time_or_place {
                        let n = c.appointment_sequence_number.unwrap_or(0);
                        c.appointment_sequence_number = Some(n + 1);
                    }
                    Some((**c).clone())
                }
                _ => None,
            };
            let presented = present(s, true);
            if let Some(c) = meeting {
                let how = r.send_meeting_invitations_or_cancellations;
                meetings::updated(store, ctx, mbx, &c, how, time_or_place);
            }
            Ok(presented)
        })();
        out.push(Choice::UpdateItemResponseMessage(match result {
            Ok(item) => ok!(UpdateItemResponseMessage {
                items: Some(t::ArrayOfRealItems {
                    content: vec![item]
                }),
                conflict_results: Some(t::ConflictResults { count: 0 })
            }),
            Err((code, text)) => m::UpdateItemResponseMessage {
                items: Some(Default::default()),
                ..fail!(UpdateItemResponseMessage, code, text)
            },
        }));
    }
    Ok(m::UpdateItemResponse {
        response_messages: messages(out),
    })
}

/// The properties whose changes the server interprets (a meeting update follows start, end and
/// location); every other property is set or deleted as the element of its name.
const MODELLED: &[t::UnindexedFieldURI] = &[
    t::UnindexedFieldURI::ItemSubject,
    t::UnindexedFieldURI::ItemBody,
    t::UnindexedFieldURI::ItemSensitivity,
    t::UnindexedFieldURI::CalendarStart,
    t::UnindexedFieldURI::CalendarEnd,
    t::UnindexedFieldURI::CalendarLocation,
];

/// Applies one change: subject, body, sensitivity, and a calendar item's start, end and
/// location as the server models them; any other property of the item's type generically.
fn apply(
    item: &mut Item,
    u: &t::NonEmptyArrayOfItemChangeDescriptionsChoice,
) -> Result<(), (Code, String)> {
    use t::NonEmptyArrayOfItemChangeDescriptionsChoice as U;
    use t::UnindexedFieldURI as F;
    let unsupported = || {
        (
            Code::ErrorInvalidPropertySet,
            "ews-testserver does not model this property.".into(),
        )
    };
    let (path, source): (&t::Path, Option<Fields>) = match u {
        U::SetItemField(s) => (
            &s.path,
            Some(fields_of(&s.content).ok_or_else(unsupported)?),
        ),
        U::DeleteItemField(d) => (&d.path, None),
        U::AppendToItemField(a) => {
            let t::Path::FieldURI(p) = &a.path else {
                return Err(unsupported());
            };
            if p.field_uri != F::ItemBody {
                return Err(unsupported());
            }
            let extra = match &a.content {
                t::AppendToItemFieldChoice::Message(m) => m.body.clone(),
                t::AppendToItemFieldChoice::CalendarItem(c) => c.body.clone(),
                _ => None,
            };
            let body = body_mut(item);
            match (body.as_mut(), extra) {
                (Some(b), Some(e)) => b.value.push_str(&e.value),
                (None, extra) => *body = extra,
                (Some(_), None) => {}
            }
            return Ok(());
        }
    };
    let t::Path::FieldURI(p) = path else {
        return Err(unsupported());
    };
    if !MODELLED.contains(&p.field_uri) {
        // any other property the item's type has, by the element of the path's name
        let uri = ews_types::runtime::XmlValue::to_text(&p.field_uri);
        let local = uri.rsplit(':').next().unwrap_or(&uri);
        let content = match u {
            U::SetItemField(s) => Some(&s.content),
            _ => None,
        };
        return shape::splice_property(item, local, content).ok_or_else(unsupported);
    }
    let (subject, body, sens, start, end, location) = source.unwrap_or_default();
    match (p.field_uri, item) {
        (F::ItemSubject, item) => *subject_mut(item) = subject,
        (F::ItemBody, item) => *body_mut(item) = body,
        (F::ItemSensitivity, Item::Calendar(c)) => c.sensitivity = sens,
        (F::ItemSensitivity, Item::Message(m)) => m.sensitivity = sens,
        (F::CalendarStart, Item::Calendar(c)) => c.start = start,
        (F::CalendarEnd, Item::Calendar(c)) => c.end = end,
        (F::CalendarLocation, Item::Calendar(c)) => c.location = location,
        _ => return Err(unsupported()),
    }
    Ok(())
}

/// The property a change names, when it names one by `FieldURI`.
fn field_uri(u: &t::NonEmptyArrayOfItemChangeDescriptionsChoice) -> Option<t::UnindexedFieldURI> {
    use t::NonEmptyArrayOfItemChangeDescriptionsChoice as U;
    let path = match u {
        U::SetItemField(s) => &s.path,
        U::DeleteItemField(d) => &d.path,
        U::AppendToItemField(a) => &a.path,
    };
    match path {
        t::Path::FieldURI(p) => Some(p.field_uri),
        _ => None,
    }
}

type Fields = (
    Option<String>,
    Option<t::Body>,
    Option<t::SensitivityChoices>,
    Option<DateTime>,
    Option<DateTime>,
    Option<String>,
);

fn fields_of(c: &t::SetItemFieldChoice) -> Option<Fields> {
    Some(match c {
        t::SetItemFieldChoice::CalendarItem(c) => (
            c.subject.clone(),
            c.body.clone(),
            c.sensitivity,
            c.start,
            c.end,
            c.location.clone(),
        ),
        t::SetItemFieldChoice::Message(m) => (
            m.subject.clone(),
            m.body.clone(),
            m.sensitivity,
            None,
            None,
            None,
        ),
        t::SetItemFieldChoice::Item(i) => (
            i.subject.clone(),
            i.body.clone(),
            i.sensitivity,
            None,
            None,
            None,
        ),
        _ => return None,
    })
}

fn subject_mut(item: &mut Item) -> &mut Option<String> {
    match item {
        Item::Calendar(c) => &mut c.subject,
        Item::Message(m) => &mut m.subject,
        Item::MeetingRequest(r) => &mut r.subject,
        Item::Cancellation(r) => &mut r.subject,
        Item::Response(r) => &mut r.subject,
    }
}

fn body_mut(item: &mut Item) -> &mut Option<t::Body> {
    match item {
        Item::Calendar(c) => &mut c.body,
        Item::Message(m) => &mut m.body,
        Item::MeetingRequest(r) => &mut r.body,
        Item::Cancellation(r) => &mut r.body,
        Item::Response(r) => &mut r.body,
    }
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
            let stored = &store.mailboxes[mbx].folders[&folder].items[i];
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
            msg.from = Some(store.mailboxes[mbx].recipient());
            msg.sender = Some(store.mailboxes[acting].recipient());
            msg.date_time_sent = Some(now());
            msg.date_time_received = Some(now());
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
                .folders
                .get_mut(&folder)
                .expect("folder")
                .items
                .remove(i);
            if r.save_item_to_folder {
                let (to_mbx, to_folder) = match &r.saved_item_folder_id {
                    Some(f) => target(store, ctx, &f.content)?,
                    None => (mbx, t::DistinguishedFolderIdName::Sentitems),
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

pub(super) fn address_of(r: &Option<t::SingleRecipient>) -> Option<String> {
    r.as_ref().and_then(|r| match &r.content {
        t::SingleRecipientChoice::Mailbox(m) => m.email_address.clone(),
    })
}
