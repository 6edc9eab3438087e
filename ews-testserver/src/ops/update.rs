//! UpdateItem: change keys, the properties the server interprets, and any other property set
//! or deleted generically.

use ews_types::runtime::DateTime;
use ews_types::{m, t};

use super::items::{Code, denied, fail, messages, not_found, ok};
use super::shape::{self, present};
use super::{Ctx, may_edit, meetings, props, recurrence, zones};
use crate::soap::Fault;
use crate::store::{Item, Store};

type Choice = m::ArrayOfResponseMessagesChoice;

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
                let s = &store.mailboxes[mbx].folder(folder).items[i];
                let mut occ =
                    recurrence::find(s, start).ok_or_else(|| recurrence::missing(s, start))?;
                for u in &change.updates.content {
                    apply(&mut occ.item, u)?;
                }
                if let Item::Calendar(c) = &mut occ.item {
                    zones::settle(c, ctx)?;
                }
                let exception = recurrence::make_exception(store, mbx, folder, i, occ, start);
                return Ok(present(&exception, true));
            }
            let s = &mut store.mailboxes[mbx]
                .folder_mut(folder)
                .expect("folder")
                .items[i];
            if r.conflict_resolution != t::ConflictResolution::AlwaysOverwrite
                && let Some(ck) = &id.change_key
                && *ck != s.change_key()
            {
                return Err((Code::ErrorIrresolvableConflict, "The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.".into()));
            }
            // all changes or none: applied to a copy, settled, then stored
            let mut item = s.item.clone();
            let mut time_or_place = false;
            for u in &change.updates.content {
                apply(&mut item, u)?;
                time_or_place |= field_uri(u).is_some_and(meetings::is_time_or_place);
            }
            if let Item::Calendar(c) = &mut item {
                zones::settle(c, ctx)?;
                recurrence::check(c)?;
            }
            s.item = item;
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
                items: Some(Box::new(t::ArrayOfRealItems {
                    content: vec![item]
                })),
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
    let p = match path {
        t::Path::FieldURI(p) => p,
        t::Path::ExtendedFieldURI(e) => {
            let content = match u {
                U::SetItemField(s) => Some(&s.content),
                _ => None,
            };
            return props::set_extended(item, e, content).ok_or_else(|| {
                (
                    Code::ErrorInvalidPropertySet,
                    "SetItemField must carry the extended property its path names.".into(),
                )
            });
        }
        t::Path::IndexedFieldURI(_) => return Err(unsupported()),
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
        (F::ItemSubject, item) => *subject_mut(item) = subject.map(Into::into),
        (F::ItemBody, item) => *body_mut(item) = body.map(Box::new),
        (F::ItemSensitivity, Item::Calendar(c)) => c.sensitivity = sens,
        (F::ItemSensitivity, Item::Message(m)) => m.sensitivity = sens,
        (F::CalendarStart, Item::Calendar(c)) => c.start = start,
        (F::CalendarEnd, Item::Calendar(c)) => c.end = end,
        (F::CalendarLocation, Item::Calendar(c)) => c.location = location.map(Into::into),
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
            c.subject.clone().map(Into::into),
            c.body.clone().map(|b| *b),
            c.sensitivity,
            c.start,
            c.end,
            c.location.clone().map(Into::into),
        ),
        t::SetItemFieldChoice::Message(m) => (
            m.subject.clone().map(Into::into),
            m.body.clone().map(|b| *b),
            m.sensitivity,
            None,
            None,
            None,
        ),
        t::SetItemFieldChoice::Item(i) => (
            i.subject.clone().map(Into::into),
            i.body.clone().map(|b| *b),
            i.sensitivity,
            None,
            None,
            None,
        ),
        _ => return None,
    })
}

fn subject_mut(item: &mut Item) -> &mut Option<ews_types::runtime::CompactString> {
    match item {
        Item::Calendar(c) => &mut c.subject,
        Item::Message(m) => &mut m.subject,
        Item::MeetingRequest(r) => &mut r.subject,
        Item::Cancellation(r) => &mut r.subject,
        Item::Response(r) => &mut r.subject,
    }
}

fn body_mut(item: &mut Item) -> &mut Option<Box<t::Body>> {
    match item {
        Item::Calendar(c) => &mut c.body,
        Item::Message(m) => &mut m.body,
        Item::MeetingRequest(r) => &mut r.body,
        Item::Cancellation(r) => &mut r.body,
        Item::Response(r) => &mut r.body,
    }
}
