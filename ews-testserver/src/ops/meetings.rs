//! Meetings: requests and updates sent to attendees, their responses back to the organizer,
//! and cancellations. Attendees' calendar copies are tied to the organizer's item by its UID.

use ews_types::t;

use super::items::{Code, address_of, attendee_addresses, denied, not_found, now, put};
use super::{Ctx, level};
use crate::store::{FolderKey, Item, Level, Store};

type Folder = t::DistinguishedFolderIdName;

/// Whose inboxes a meeting message for `mbx` lands in: the mailbox itself and/or its delegates
/// that receive copies of meeting messages, per `DeliverMeetingRequests` (`true` marks the
/// principal's informational copy).
pub(super) fn request_recipients(store: &Store, mbx: usize) -> Vec<(usize, bool)> {
    let m = &store.mailboxes[mbx];
    let delegates: Vec<usize> = m
        .delegates
        .iter()
        .filter(|d| d.receive_copies)
        .filter_map(|d| store.find_smtp(&d.smtp))
        .collect();
    let delegates = delegates.into_iter().map(|d| (d, false));
    if m.delegates.iter().all(|d| !d.receive_copies) {
        return vec![(mbx, false)];
    }
    match m.deliver {
        t::DeliverMeetingRequests::DelegatesOnly => delegates.collect(),
        t::DeliverMeetingRequests::NoForward => vec![(mbx, false)],
        t::DeliverMeetingRequests::DelegatesAndMe => {
            std::iter::once((mbx, false)).chain(delegates).collect()
        }
        // The principal gets an informational copy it cannot respond to.
        t::DeliverMeetingRequests::DelegatesAndSendInformationToMe => {
            std::iter::once((mbx, true)).chain(delegates).collect()
        }
    }
}

/// The calendar items of `mbx` that belong to the meeting with `uid`: (folder, index).
fn copies_of(store: &Store, mbx: usize, uid: &str) -> Vec<(FolderKey, usize)> {
    let mut out = Vec::new();
    for (name, f) in &store.mailboxes[mbx].folders {
        for (i, s) in f.items.iter().enumerate() {
            if let Item::Calendar(c) = &s.item
                && c.uid.as_deref() == Some(uid)
            {
                out.push((*name, i));
            }
        }
    }
    out
}

/// Sends the organizer's meeting `c` (stored in `owner`'s mailbox) to its attendees, as acted
/// by `acting`: From is the organizer, Sender whoever acted (the delegate: "on behalf of"; the
/// owner itself under impersonation: "send as"). A new request (`update` = `None`) gives each
/// attendee a tentative copy; an update rewrites the attendee's copy, and a `FullUpdate` (time
/// or place changed) asks for a new response.
pub(super) fn invite(
    store: &mut Store,
    acting: usize,
    owner: usize,
    c: &t::CalendarItem,
    save_copy: bool,
    update: Option<t::MeetingRequestType>,
) {
    let acting_smtp = store.mailboxes[acting].smtp.clone();
    let organizer = store.mailboxes[owner].recipient();
    let request = t::MeetingRequestMessage {
        subject: c.subject.clone(),
        body: c.body.clone(),
        sensitivity: c.sensitivity,
        from: Some(Box::new(organizer.clone())),
        sender: Some(Box::new(store.mailboxes[acting].recipient())),
        organizer: Some(Box::new(organizer)),
        start: c.start,
        end: c.end,
        location: c.location.clone(),
        required_attendees: c.required_attendees.clone(),
        optional_attendees: c.optional_attendees.clone(),
        is_meeting: Some(true),
        uid: c.uid.clone(),
        date_time_received: Some(now()),
        date_time_sent: Some(now()),
        meeting_request_type: Some(update.unwrap_or(t::MeetingRequestType::NewMeetingRequest)),
        ..Default::default()
    };
    let full = update != Some(t::MeetingRequestType::InformationalUpdate);
    for a in attendee_addresses(c) {
        let Some(mbx) = store.find_smtp(&a) else {
            continue;
        };
        let copy = t::CalendarItem {
            item_id: None,
            legacy_free_busy_status: Some(t::LegacyFreeBusy::Tentative),
            my_response_type: Some(t::ResponseType::NoResponseReceived),
            ..c.clone()
        };
        let existing = c
            .uid
            .as_deref()
            .filter(|_| update.is_some())
            .and_then(|uid| copies_of(store, mbx, uid).into_iter().next());
        let copy_id = match existing {
            Some((folder, i)) => {
                let s = &mut store.mailboxes[mbx]
                    .folder_mut(folder)
                    .expect("folder")
                    .items[i];
                if let Item::Calendar(old) = &mut s.item {
                    // an informational update keeps the attendee's answer
                    let (answer, busy) = (old.my_response_type, old.legacy_free_busy_status);
                    **old = copy;
                    if !full {
                        old.my_response_type = answer;
                        old.legacy_free_busy_status = busy;
                    }
                }
                s.version += 1;
                s.item_id()
            }
            None => put(
                store,
                mbx,
                Folder::Calendar,
                &acting_smtp,
                Item::Calendar(Box::new(copy)),
            ),
        };
        let mut req = request.clone();
        req.associated_calendar_item_id = Some(Box::new(copy_id));
        for (rcpt, informational) in request_recipients(store, mbx) {
            let mut req = req.clone();
            if informational {
                req.meeting_request_type = Some(t::MeetingRequestType::PrincipalWantsCopy);
            }
            put(
                store,
                rcpt,
                Folder::Inbox,
                &acting_smtp,
                Item::MeetingRequest(Box::new(req)),
            );
        }
    }
    if save_copy {
        put(
            store,
            owner,
            Folder::Sentitems,
            &acting_smtp,
            Item::MeetingRequest(Box::new(request)),
        );
    }
}

/// After UpdateItem changed the organizer's meeting `c` in `owner`'s mailbox: sends the update
/// when `how` says so. `time_or_place` marks a full update (attendees must answer again).
pub(super) fn updated(
    store: &mut Store,
    ctx: &Ctx,
    owner: usize,
    c: &t::CalendarItem,
    how: Option<t::CalendarItemUpdateOperation>,
    time_or_place: bool,
) {
    use t::CalendarItemUpdateOperation as Op;
    let Some(acting) = ctx.acting else { return };
    let is_organizer = address_of(&c.organizer).as_deref() == Some(&store.mailboxes[owner].smtp);
    let Some(how) = how.filter(|h| *h != Op::SendToNone) else {
        return;
    };
    if !is_organizer || c.is_meeting != Some(true) {
        return;
    }
    let kind = if time_or_place {
        t::MeetingRequestType::FullUpdate
    } else {
        t::MeetingRequestType::InformationalUpdate
    };
    let save_copy = matches!(how, Op::SendToAllAndSaveCopy | Op::SendToChangedAndSaveCopy);
    invite(store, acting, owner, c, save_copy, Some(kind));
}

/// The organizer deleted a meeting: with `SendToAll…`, each attendee gets a cancellation (where
/// its `DeliverMeetingRequests` sends meeting messages) and its copy is marked cancelled.
pub(super) fn cancel(
    store: &mut Store,
    ctx: &Ctx,
    owner: usize,
    c: &t::CalendarItem,
    how: Option<t::CalendarItemCreateOrDeleteOperation>,
) {
    use t::CalendarItemCreateOrDeleteOperation as Op;
    let organizer = address_of(&c.organizer);
    if !matches!(how, Some(Op::SendToAllAndSaveCopy | Op::SendOnlyToAll))
        || organizer.as_deref() != Some(store.mailboxes[owner].smtp.as_str())
    {
        return;
    }
    let Some(acting) = ctx.acting else { return };
    let acting_smtp = store.mailboxes[acting].smtp.clone();
    let cancellation = t::MeetingCancellationMessage {
        subject: c.subject.as_ref().map(|s| format!("Canceled: {s}").into()),
        from: Some(Box::new(store.mailboxes[owner].recipient())),
        sender: Some(Box::new(store.mailboxes[acting].recipient())),
        start: c.start,
        end: c.end,
        location: c.location.clone(),
        uid: c.uid.clone(),
        date_time_received: Some(now()),
        date_time_sent: Some(now()),
        ..Default::default()
    };
    for a in attendee_addresses(c) {
        let Some(mbx) = store.find_smtp(&a) else {
            continue;
        };
        for (folder, i) in c
            .uid
            .as_deref()
            .map_or_else(Vec::new, |uid| copies_of(store, mbx, uid))
        {
            let s = &mut store.mailboxes[mbx]
                .folder_mut(folder)
                .expect("folder")
                .items[i];
            if let Item::Calendar(copy) = &mut s.item {
                copy.is_cancelled = Some(true);
                s.version += 1;
            }
        }
        for (rcpt, _) in request_recipients(store, mbx) {
            put(
                store,
                rcpt,
                Folder::Inbox,
                &acting_smtp,
                Item::Cancellation(Box::new(cancellation.clone())),
            );
        }
    }
    if how == Some(Op::SendToAllAndSaveCopy) {
        put(
            store,
            owner,
            Folder::Sentitems,
            &acting_smtp,
            Item::Cancellation(Box::new(cancellation)),
        );
    }
}

/// An attendee's answer: `AcceptItem`, `TentativelyAcceptItem` or `DeclineItem`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    Accept,
    Tentative,
    Decline,
}

impl Answer {
    fn response_type(self) -> t::ResponseType {
        match self {
            Answer::Accept => t::ResponseType::Accept,
            Answer::Tentative => t::ResponseType::Tentative,
            Answer::Decline => t::ResponseType::Decline,
        }
    }

    fn label(self) -> (&'static str, &'static str) {
        match self {
            Answer::Accept => ("Accepted", "IPM.Schedule.Meeting.Resp.Pos"),
            Answer::Tentative => ("Tentative", "IPM.Schedule.Meeting.Resp.Tent"),
            Answer::Decline => ("Declined", "IPM.Schedule.Meeting.Resp.Neg"),
        }
    }
}

/// A response object created with CreateItem: `reference` names the meeting request (in the
/// attendee's inbox, or a delegate's copy of it) or the attendee's calendar item. The
/// attendee's copy records the answer (a declined one moves to Deleted Items, and so does the
/// answered request), the organizer's item records it on the attendee, and the response goes to
/// the organizer (From = the attendee, Sender = whoever acted).
pub(super) fn respond(
    store: &mut Store,
    ctx: &Ctx,
    answer: Answer,
    reference: Option<&t::ItemId>,
    body: Option<t::Body>,
    disposition: Option<t::MessageDisposition>,
) -> Result<(), (Code, String)> {
    let acting = ctx.acting.ok_or((
        Code::ErrorMissingEmailAddress,
        "The account has no mailbox.".to_owned(),
    ))?;
    let save_copy = match disposition {
        Some(t::MessageDisposition::SendAndSaveCopy) => true,
        Some(t::MessageDisposition::SendOnly) => false,
        _ => {
            return Err((
                Code::ErrorInvalidOperation,
                "ews-testserver sends meeting responses (SendOnly or SendAndSaveCopy); it does not save them as drafts.".into(),
            ));
        }
    };
    let reference = reference.ok_or((
        Code::ErrorInvalidReferenceItem,
        "The response object needs a ReferenceItemId.".to_owned(),
    ))?;
    let (ref_mbx, ref_folder, ref_i) = store.locate(&reference.id).ok_or_else(not_found)?;
    // the attendee's calendar copy: the request's associated item, or the item itself
    let copy_id = match &store.mailboxes[ref_mbx].folder(ref_folder).items[ref_i].item {
        Item::MeetingRequest(r)
            if r.meeting_request_type == Some(t::MeetingRequestType::PrincipalWantsCopy) =>
        {
            return Err((
                Code::ErrorInvalidReferenceItem,
                "An informational copy of a meeting request cannot be answered.".into(),
            ));
        }
        Item::MeetingRequest(r) => r
            .associated_calendar_item_id
            .clone()
            .ok_or_else(not_found)?,
        Item::Calendar(_) => Box::new(reference.clone()),
        _ => {
            return Err((
                Code::ErrorInvalidReferenceItem,
                "The reference item is not a meeting request or a meeting.".into(),
            ));
        }
    };
    let (att, folder, i) = store.locate(&copy_id.id).ok_or_else(not_found)?;
    if level(store, ctx, att, Folder::Calendar) < Level::Author
        || level(store, ctx, ref_mbx, ref_folder) < Level::Reviewer
    {
        return Err(denied());
    }
    let acting_smtp = store.mailboxes[acting].smtp.clone();
    let attendee_smtp = store.mailboxes[att].smtp.clone();
    let stored = &mut store.mailboxes[att]
        .folder_mut(folder)
        .expect("folder")
        .items[i];
    let Item::Calendar(copy) = &mut stored.item else {
        return Err(not_found());
    };
    if copy.is_cancelled == Some(true) {
        return Err((
            Code::ErrorInvalidOperation,
            "The meeting was cancelled.".into(),
        ));
    }
    copy.my_response_type = Some(answer.response_type());
    copy.legacy_free_busy_status = Some(match answer {
        Answer::Accept => t::LegacyFreeBusy::Busy,
        Answer::Tentative => t::LegacyFreeBusy::Tentative,
        Answer::Decline => t::LegacyFreeBusy::Free,
    });
    stored.version += 1;
    let meeting = (**copy).clone();
    if answer == Answer::Decline {
        move_item(store, att, folder, i, Folder::Deleteditems);
    }
    if copy_id.id != reference.id {
        // the reference was a meeting request (in another folder than the copy)
        move_item(store, ref_mbx, ref_folder, ref_i, Folder::Deleteditems);
    }
    // the organizer's item records the answer
    let organizer = address_of(&meeting.organizer).and_then(|a| store.find_smtp(&a));
    let mut organizer_item = None;
    if let (Some(org), Some(uid)) = (organizer, meeting.uid.as_deref()) {
        for (f, j) in copies_of(store, org, uid) {
            let s = &mut store.mailboxes[org].folder_mut(f).expect("folder").items[j];
            if let Item::Calendar(c) = &mut s.item {
                for list in [
                    &mut c.required_attendees,
                    &mut c.optional_attendees,
                    &mut c.resources,
                ]
                .into_iter()
                .flatten()
                {
                    for a in &mut list.attendee {
                        if a.mailbox
                            .email_address
                            .as_deref()
                            .is_some_and(|e| e.eq_ignore_ascii_case(&attendee_smtp))
                        {
                            a.response_type = Some(answer.response_type());
                            a.last_response_time = Some(now());
                        }
                    }
                }
                s.version += 1;
                organizer_item = Some(s.item_id());
            }
        }
    }
    let (verb, class) = answer.label();
    let response = t::MeetingResponseMessage {
        item_class: Some(class.into()),
        subject: meeting
            .subject
            .as_ref()
            .map(|s| format!("{verb}: {s}").into()),
        body: body.map(Box::new),
        from: Some(Box::new(store.mailboxes[att].recipient())),
        sender: Some(Box::new(store.mailboxes[acting].recipient())),
        to_recipients: meeting
            .organizer
            .as_ref()
            .map(|o| t::ArrayOfRecipients {
                content: vec![t::ArrayOfRecipientsChoice::Mailbox(match &o.content {
                    t::SingleRecipientChoice::Mailbox(m) => m.clone(),
                })],
            })
            .map(Box::new),
        response_type: Some(answer.response_type()),
        uid: meeting.uid.clone(),
        start: meeting.start,
        end: meeting.end,
        location: meeting.location.clone(),
        associated_calendar_item_id: organizer_item.map(Box::new),
        date_time_received: Some(now()),
        date_time_sent: Some(now()),
        ..Default::default()
    };
    if let Some(org) = organizer {
        for (rcpt, _) in request_recipients(store, org) {
            put(
                store,
                rcpt,
                Folder::Inbox,
                &acting_smtp,
                Item::Response(Box::new(response.clone())),
            );
        }
    }
    if save_copy {
        put(
            store,
            att,
            Folder::Sentitems,
            &acting_smtp,
            Item::Response(Box::new(response)),
        );
    }
    Ok(())
}

fn move_item(store: &mut Store, mbx: usize, from: FolderKey, i: usize, to: Folder) {
    let to = FolderKey::from(to);
    if from == to {
        return;
    }
    let folders = &mut store.mailboxes[mbx].folders;
    let s = folders.get_mut(&from).expect("folder").items.remove(i);
    folders.get_mut(&to).expect("folder").items.push(s);
}

/// Whether this change of a calendar item's field is a change of time or place.
pub(super) fn is_time_or_place(uri: t::UnindexedFieldURI) -> bool {
    use t::UnindexedFieldURI as F;
    matches!(uri, F::CalendarStart | F::CalendarEnd | F::CalendarLocation)
}

/// Maps a CreateItem response object to an [`Answer`], with its reference, body and the
/// rest unused by the server.
pub(super) fn answer_of(
    item: &t::NonEmptyArrayOfAllItemsChoice,
) -> Option<(Answer, Option<&t::ItemId>, Option<t::Body>)> {
    use t::NonEmptyArrayOfAllItemsChoice as I;
    Some(match item {
        I::AcceptItem(a) => (
            Answer::Accept,
            a.reference_item_id.as_deref(),
            a.body.clone().map(|b| *b),
        ),
        I::TentativelyAcceptItem(a) => (
            Answer::Tentative,
            a.reference_item_id.as_deref(),
            a.body.clone().map(|b| *b),
        ),
        I::DeclineItem(a) => (
            Answer::Decline,
            a.reference_item_id.as_deref(),
            a.body.clone().map(|b| *b),
        ),
        _ => return None,
    })
}
