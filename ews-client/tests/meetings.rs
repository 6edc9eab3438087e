//! Meeting responses and updates against ews-testserver, read back from the mailboxes:
//! attendees accept, decline or tentatively accept (a delegate on the principal's behalf), the
//! organizer's item records the answers, and updates reach the attendees' calendars.

mod support;

use ews_client::{ConnectingSid, DelegationProblem, ErrorKind, MeetingAnswer};
use ews_testserver::TestServer;
use ews_testserver::store::Item;
use ews_types::m::ResponseCode;
use ews_types::runtime::XmlValue;
use ews_types::{m, t};
use support::{address, appointment, check_responses, login, serve, stored};

use t::DistinguishedFolderIdName as F;

const ORG: &str = r#"
[[mailbox]]
smtp = "boss@contoso.com"
password = "boss-pw"
[[mailbox]]
smtp = "assistant@contoso.com"
password = "assistant-pw"
[[mailbox]]
smtp = "temp@contoso.com"
password = "temp-pw"
[[mailbox]]
smtp = "a1@contoso.com"
[[mailbox]]
smtp = "a2@contoso.com"
[[mailbox]]
smtp = "a3@contoso.com"

[[account]]
user = "svc-booking"
password = "svc-pw"
impersonation = true

[[delegate]]
principal = "boss@contoso.com"
delegate = "assistant@contoso.com"
calendar = "Editor"
inbox = "Reviewer"
receive_copies = true

[[delegate]]
principal = "boss@contoso.com"
delegate = "temp@contoso.com"
calendar = "Reviewer"
"#;

fn calendar_item(item: &Item) -> &t::CalendarItem {
    match item {
        Item::Calendar(c) => c,
        other => panic!("not a calendar item: {other:?}"),
    }
}

/// A CreateItem carrying one response object.
fn answer(item: t::NonEmptyArrayOfAllItemsChoice) -> m::CreateItem {
    m::CreateItem::new(t::NonEmptyArrayOfAllItems::new(item))
        .with_message_disposition(t::MessageDisposition::SendAndSaveCopy)
}

fn accept(reference: &t::ItemId) -> m::CreateItem {
    answer(t::NonEmptyArrayOfAllItemsChoice::AcceptItem(
        t::AcceptItem {
            reference_item_id: Some(Box::new(reference.clone())),
            ..Default::default()
        },
    ))
}

/// a1 organizes "Planning" with `attendees`, by impersonation; returns a1's item id.
async fn organize(server: &TestServer, attendees: &[&str]) -> t::ItemId {
    let svc = login(server, "svc-booking", "svc-pw");
    svc.create_appointments(
        &["a1@contoso.com".to_owned()],
        |_| appointment("Planning", attendees),
        Default::default(),
    )
    .await
    .remove(0)
    .unwrap()
}

fn as_mailbox(server: &TestServer, smtp: &str) -> ews_client::Impersonated {
    login(server, "svc-booking", "svc-pw")
        .impersonate(ConnectingSid::smtp(smtp))
        .unwrap()
}

/// The response types the organizer's item records, by attendee address.
fn recorded(server: &TestServer) -> Vec<(String, Option<t::ResponseType>)> {
    let cal = stored(server, "a1@contoso.com", F::Calendar);
    let c = calendar_item(&cal[0].1);
    c.required_attendees
        .iter()
        .flat_map(|l| &l.attendee)
        .map(|a| {
            (
                a.mailbox.email_address.clone().unwrap().into(),
                a.response_type,
            )
        })
        .collect()
}

#[tokio::test]
async fn attendees_answer_and_the_organizer_sees_it() {
    let server = serve(ORG).await;
    organize(&server, &["a2@contoso.com", "a3@contoso.com"]).await;
    // a2 accepts the request in its inbox; a3 declines from its calendar item.
    let request = stored(&server, "a2@contoso.com", F::Inbox).remove(0).0;
    as_mailbox(&server, "a2@contoso.com")
        .send(&accept(&request))
        .await
        .unwrap();
    let copy = stored(&server, "a3@contoso.com", F::Calendar).remove(0).0;
    let decline = answer(t::NonEmptyArrayOfAllItemsChoice::DeclineItem(
        t::DeclineItem {
            reference_item_id: Some(Box::new(copy)),
            body: Some(Box::new(t::Body::new(t::BodyType::Text, "On leave"))),
            ..Default::default()
        },
    ));
    as_mailbox(&server, "a3@contoso.com")
        .send(&decline)
        .await
        .unwrap();

    // a2: the copy is accepted and busy; the answered request moved to Deleted Items; a copy
    // of the response is in Sent Items.
    let a2 = stored(&server, "a2@contoso.com", F::Calendar);
    let c = calendar_item(&a2[0].1);
    assert_eq!(c.my_response_type, Some(t::ResponseType::Accept));
    assert_eq!(c.legacy_free_busy_status, Some(t::LegacyFreeBusy::Busy));
    assert!(stored(&server, "a2@contoso.com", F::Inbox).is_empty());
    assert!(matches!(
        &stored(&server, "a2@contoso.com", F::Deleteditems)[..],
        [(_, Item::MeetingRequest(_))]
    ));
    assert!(matches!(
        &stored(&server, "a2@contoso.com", F::Sentitems)[..],
        [(_, Item::Response(_))]
    ));
    // a3: the declined copy is in Deleted Items.
    assert!(stored(&server, "a3@contoso.com", F::Calendar).is_empty());
    let deleted = stored(&server, "a3@contoso.com", F::Deleteditems);
    assert_eq!(
        calendar_item(&deleted[0].1).my_response_type,
        Some(t::ResponseType::Decline)
    );
    // a1: both answers recorded on its item, and both responses in its inbox.
    assert_eq!(
        recorded(&server),
        [
            ("a2@contoso.com".to_owned(), Some(t::ResponseType::Accept)),
            ("a3@contoso.com".to_owned(), Some(t::ResponseType::Decline)),
        ]
    );
    let inbox = stored(&server, "a1@contoso.com", F::Inbox);
    let responses: Vec<(Option<String>, Option<String>, Option<String>)> = inbox
        .iter()
        .map(|(_, i)| match i {
            Item::Response(r) => (
                r.subject.clone().map(Into::into),
                r.item_class.clone().map(Into::into),
                address(&r.from),
            ),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        responses,
        [
            (
                Some("Accepted: Planning".into()),
                Some("IPM.Schedule.Meeting.Resp.Pos".into()),
                Some("a2@contoso.com".into())
            ),
            (
                Some("Declined: Planning".into()),
                Some("IPM.Schedule.Meeting.Resp.Neg".into()),
                Some("a3@contoso.com".into())
            ),
        ]
    );
    let Item::Response(declined) = &inbox[1].1 else {
        unreachable!()
    };
    assert_eq!(declined.body.as_ref().unwrap().value, "On leave");
    // Only meeting requests and meetings can be answered.
    let not_a_meeting = &inbox[0].0;
    let e = login(&server, "svc-booking", "svc-pw")
        .impersonate(ConnectingSid::smtp("a1@contoso.com"))
        .unwrap()
        .send(&accept(not_a_meeting))
        .await
        .unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&ResponseCode::ErrorInvalidReferenceItem)
    );
    check_responses(&server);
}

#[tokio::test]
async fn a_delegate_answers_on_behalf_of_the_principal() {
    let server = serve(ORG).await;
    organize(&server, &["boss@contoso.com"]).await;
    // The boss gets an informational copy (DelegatesAndSendInformationToMe), which cannot be
    // answered; the assistant gets the request.
    let boss = login(&server, "boss@contoso.com", "boss-pw");
    let info = stored(&server, "boss@contoso.com", F::Inbox).remove(0).0;
    let e = boss.send(&accept(&info)).await.unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&ResponseCode::ErrorInvalidReferenceItem)
    );
    // A Reviewer delegate cannot answer for the boss.
    let copy = stored(&server, "boss@contoso.com", F::Calendar).remove(0).0;
    let temp = login(&server, "temp@contoso.com", "temp-pw");
    let e = temp.send(&accept(&copy)).await.unwrap_err();
    assert_eq!(e.response_code(), Some(&ResponseCode::ErrorAccessDenied));
    assert_eq!(e.kind(), ErrorKind::Response);
    let e = temp
        .mailbox("boss@contoso.com")
        .unwrap()
        .answer_meeting(copy.clone(), MeetingAnswer::Accept, None)
        .await
        .unwrap_err();
    assert_eq!(
        e.delegation_problem(),
        Some(DelegationProblem::AccessDenied)
    );
    // The Editor delegate answers the copy it received, with the helper.
    let request = stored(&server, "assistant@contoso.com", F::Inbox)
        .remove(0)
        .0;
    login(&server, "assistant@contoso.com", "assistant-pw")
        .mailbox("boss@contoso.com")
        .unwrap()
        .answer_meeting(request, MeetingAnswer::Tentative, Some("Boss may be late"))
        .await
        .unwrap();
    let c = calendar_item(&stored(&server, "boss@contoso.com", F::Calendar)[0].1).clone();
    assert_eq!(c.my_response_type, Some(t::ResponseType::Tentative));
    let inbox = stored(&server, "a1@contoso.com", F::Inbox);
    let Item::Response(r) = &inbox[0].1 else {
        panic!("{inbox:?}")
    };
    // "on behalf of": From is the principal, Sender the delegate.
    assert_eq!(address(&r.from).as_deref(), Some("boss@contoso.com"));
    assert_eq!(address(&r.sender).as_deref(), Some("assistant@contoso.com"));
    assert_eq!(r.subject.as_deref(), Some("Tentative: Planning"));
    assert_eq!(r.body.as_ref().unwrap().value, "Boss may be late");
    assert_eq!(
        recorded(&server),
        [(
            "boss@contoso.com".to_owned(),
            Some(t::ResponseType::Tentative)
        )]
    );
    // The copy of the response is in the principal's Sent Items.
    assert_eq!(stored(&server, "boss@contoso.com", F::Sentitems).len(), 1);
    check_responses(&server);
}

fn set_field(
    uri: t::UnindexedFieldURI,
    value: t::CalendarItem,
) -> t::NonEmptyArrayOfItemChangeDescriptionsChoice {
    t::NonEmptyArrayOfItemChangeDescriptionsChoice::SetItemField(t::SetItemField {
        path: t::Path::FieldURI(t::PathToUnindexedField { field_uri: uri }),
        content: t::SetItemFieldChoice::CalendarItem(Box::new(value)),
    })
}

fn update(
    id: &t::ItemId,
    change: t::NonEmptyArrayOfItemChangeDescriptionsChoice,
    how: t::CalendarItemUpdateOperation,
) -> m::UpdateItem {
    let change = t::ItemChange::new(
        t::ItemChangeChoice::ItemId(id.clone()),
        t::NonEmptyArrayOfItemChangeDescriptions::new(change),
    );
    m::UpdateItem::new(
        t::ConflictResolution::AlwaysOverwrite,
        t::NonEmptyArrayOfItemChanges::new(change),
    )
    .with_send_meeting_invitations_or_cancellations(how)
}

#[tokio::test]
async fn updates_reach_the_attendees_calendars() {
    use t::CalendarItemUpdateOperation as Op;
    let server = serve(ORG).await;
    let id = organize(&server, &["a2@contoso.com"]).await;
    let a1 = as_mailbox(&server, "a1@contoso.com");
    let a2 = as_mailbox(&server, "a2@contoso.com");
    let request = stored(&server, "a2@contoso.com", F::Inbox).remove(0).0;
    a2.send(&accept(&request)).await.unwrap();
    let attendee_copy =
        || calendar_item(&stored(&server, "a2@contoso.com", F::Calendar)[0].1).clone();
    let requests = || {
        stored(&server, "a2@contoso.com", F::Inbox)
            .into_iter()
            .map(|(_, i)| match i {
                Item::MeetingRequest(r) => r.meeting_request_type,
                other => panic!("{other:?}"),
            })
            .collect::<Vec<_>>()
    };

    // A new subject: an informational update; the attendee's answer stands.
    let subject = t::CalendarItem {
        subject: Some("Planning (agenda attached)".into()),
        ..Default::default()
    };
    a1.send(&update(
        &id,
        set_field(t::UnindexedFieldURI::ItemSubject, subject),
        Op::SendToAllAndSaveCopy,
    ))
    .await
    .unwrap();
    assert_eq!(
        requests(),
        [Some(t::MeetingRequestType::InformationalUpdate)]
    );
    let copy = attendee_copy();
    assert_eq!(copy.subject.as_deref(), Some("Planning (agenda attached)"));
    assert_eq!(copy.my_response_type, Some(t::ResponseType::Accept));

    // A new start: a full update; the attendee must answer again.
    let start = t::CalendarItem {
        start: Some(XmlValue::from_text("2026-12-01T08:00:00Z").unwrap()),
        ..Default::default()
    };
    a1.send(&update(
        &id,
        set_field(t::UnindexedFieldURI::CalendarStart, start),
        Op::SendToAllAndSaveCopy,
    ))
    .await
    .unwrap();
    assert_eq!(
        requests(),
        [
            Some(t::MeetingRequestType::InformationalUpdate),
            Some(t::MeetingRequestType::FullUpdate)
        ]
    );
    let copy = attendee_copy();
    assert_eq!(copy.start.unwrap().to_text(), "2026-12-01T08:00:00Z");
    assert_eq!(
        copy.my_response_type,
        Some(t::ResponseType::NoResponseReceived)
    );
    assert_eq!(
        stored(&server, "a2@contoso.com", F::Calendar).len(),
        1,
        "updated, not added"
    );
    // a1's Sent Items: the request and the two updates.
    assert_eq!(stored(&server, "a1@contoso.com", F::Sentitems).len(), 3);

    // SendToNone changes the organizer's item only.
    let location = t::CalendarItem {
        location: Some("Room 9".into()),
        ..Default::default()
    };
    a1.send(&update(
        &id,
        set_field(t::UnindexedFieldURI::CalendarLocation, location),
        Op::SendToNone,
    ))
    .await
    .unwrap();
    assert_eq!(requests().len(), 2);
    assert_eq!(attendee_copy().location.as_deref(), Some("Room 1"));
    check_responses(&server);
}
