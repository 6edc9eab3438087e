//! One function does ordinary work on a [`Mailbox`]; it runs unchanged on one's own mailbox,
//! on an impersonated user's and on a principal's as a delegate, against ews-testserver, and
//! the outcome is read back from the server's store: the access mode is chosen when the
//! mailbox is opened, the work is the same.

mod support;

use chrono::{TimeZone, Utc};
use ews_client::{ConnectingSid, Mailbox};
use ews_testserver::store::Item;
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
smtp = "alice@contoso.com"
[[mailbox]]
smtp = "attendee@contoso.com"

[[account]]
user = "svc-booking"
password = "svc-pw"
impersonation = true

[[delegate]]
principal = "boss@contoso.com"
delegate = "assistant@contoso.com"
calendar = "Editor"
inbox = "Editor"
"#;

/// The work, written once: a meeting, read back and listed; a draft moved, copied and the
/// copy deleted; the meeting cancelled.
async fn ordinary_work(mb: &Mailbox, subject: &str) -> Result<(), ews_client::Error> {
    let id = mb
        .create_appointment(appointment(subject, &["attendee@contoso.com"]))
        .await?;
    let read = mb.get(&id).await?;
    assert_eq!(read.as_item().subject().as_deref(), Some(subject));
    let from = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let day = mb
        .calendar_view(from, from + chrono::Duration::days(1))
        .await?;
    assert!(day.iter().any(|c| c.subject.as_deref() == Some(subject)));
    let draft = mb
        .save_draft(t::Message::default().with_subject(subject))
        .await?;
    let moved = mb.move_to(&draft, F::Inbox).await?;
    let copy = mb.copy_to(&moved, F::Inbox).await?;
    mb.delete(&copy, t::Disposal::HardDelete).await?;
    mb.cancel_meeting(&id).await
}

fn subjects(server: &ews_testserver::TestServer, mailbox: &str, f: F) -> Vec<String> {
    stored(server, mailbox, f)
        .into_iter()
        .filter_map(|(_, item)| match item {
            Item::Calendar(c) => c.subject,
            Item::Message(m) => m.subject,
            Item::MeetingRequest(r) => r.subject,
            Item::Cancellation(r) => r.subject,
            Item::Response(r) => r.subject,
        })
        .map(String::from)
        .collect()
}

#[tokio::test]
async fn the_same_work_in_each_access_mode() {
    let server = serve(ORG).await;
    let boss = login(&server, "boss@contoso.com", "boss-pw");
    let svc = login(&server, "svc-booking", "svc-pw");
    let assistant = login(&server, "assistant@contoso.com", "assistant-pw");
    // one's own mailbox
    ordinary_work(&boss.my_mailbox(), "Own").await.unwrap();
    // by impersonation
    let alice = svc
        .impersonate(ConnectingSid::smtp("alice@contoso.com"))
        .unwrap();
    ordinary_work(&alice.mailbox(), "Impersonated")
        .await
        .unwrap();
    // as a delegate: the boss lets the assistant edit its Drafts too
    let own = boss.mailbox("boss@contoso.com").unwrap();
    let mut drafts = own.folder_permissions(F::Drafts).await.unwrap();
    drafts
        .set
        .set_level("assistant@contoso.com", t::PermissionLevel::Editor)
        .unwrap();
    own.set_folder_permissions(&drafts).await.unwrap();
    let as_delegate = assistant.delegate_to("boss@contoso.com").unwrap();
    ordinary_work(&as_delegate, "Delegated").await.unwrap();

    // what each did is in the mailbox it opened
    for (mailbox, subject) in [
        ("boss@contoso.com", "Own"),
        ("alice@contoso.com", "Impersonated"),
        ("boss@contoso.com", "Delegated"),
    ] {
        let inbox = subjects(&server, mailbox, F::Inbox);
        assert_eq!(
            inbox.iter().filter(|s| *s == subject).count(),
            1,
            "{mailbox}: {inbox:?}"
        );
        assert!(!subjects(&server, mailbox, F::Calendar).contains(&subject.to_owned()));
        assert!(subjects(&server, mailbox, F::Deleteditems).contains(&subject.to_owned()));
    }
    // the invitations: From the mailbox's owner; Sender who acted
    let requests: Vec<(String, Option<String>, Option<String>)> =
        stored(&server, "attendee@contoso.com", F::Inbox)
            .into_iter()
            .filter_map(|(_, i)| match i {
                Item::MeetingRequest(r) => Some((
                    r.subject.clone()?.into(),
                    address(&r.from),
                    address(&r.sender),
                )),
                _ => None,
            })
            .collect();
    let who = |s: &str| requests.iter().find(|r| r.0 == s).cloned().unwrap();
    assert_eq!(who("Own").1.as_deref(), Some("boss@contoso.com"));
    assert_eq!(who("Impersonated").1.as_deref(), Some("alice@contoso.com"));
    let delegated = who("Delegated");
    assert_eq!(
        (delegated.1.as_deref(), delegated.2.as_deref()),
        (Some("boss@contoso.com"), Some("assistant@contoso.com")),
        "on behalf of"
    );
    check_responses(&server);
}

#[tokio::test]
async fn a_delegate_without_the_right_is_told_which_one() {
    let server = serve(ORG).await;
    let assistant = login(&server, "assistant@contoso.com", "assistant-pw");
    let boss = assistant.delegate_to("boss@contoso.com").unwrap();
    let e = boss
        .save_draft(t::Message::default().with_subject("x"))
        .await
        .unwrap_err();
    assert_eq!(
        e.delegation_problem(),
        Some(ews_client::DelegationProblem::AccessDenied)
    );
    assert_eq!(e.response_code(), Some(&m::ResponseCode::ErrorAccessDenied));
}
