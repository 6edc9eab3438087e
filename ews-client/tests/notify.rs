//! Pull notifications against ews-testserver: every change another client makes arrives
//! exactly once — across many pages of events, a subscription the server forgot, and a
//! restart resumed from a persisted watermark — by impersonation; delegate access is refused
//! as Exchange refuses it. Every answer validates against messages.xsd.

mod support;

use std::collections::BTreeSet;

use ews_client::notify::{Event, EventKind, Object, Watermark};
use ews_client::{ConnectingSid, Mailbox, t};
use support::{appointment, check_responses, login, serve};

use t::DistinguishedFolderIdName as Folder;
use t::NotificationEventType as Type;

const ORG: &str = r#"
[[mailbox]]
smtp = "boss@contoso.com"
password = "boss-pw"
[[mailbox]]
smtp = "assistant@contoso.com"
password = "assistant-pw"
[[mailbox]]
smtp = "alice@contoso.com"

[[account]]
user = "svc-booking"
password = "svc-pw"
impersonation = true

[[delegate]]
principal = "boss@contoso.com"
delegate = "assistant@contoso.com"
calendar = "Editor"
"#;

const ALL: [Type; 5] = [
    Type::CreatedEvent,
    Type::ModifiedEvent,
    Type::DeletedEvent,
    Type::MovedEvent,
    Type::CopiedEvent,
];

fn alice(server: &ews_testserver::TestServer) -> Mailbox {
    login(server, "svc-booking", "svc-pw")
        .impersonate(ConnectingSid::smtp("alice@contoso.com"))
        .unwrap()
        .mailbox()
}

fn item(e: &Event) -> String {
    match &e.object {
        Object::Item(i) => i.id.to_string(),
        Object::Folder(f) => panic!("a folder event: {}", f.id),
    }
}

#[tokio::test]
async fn each_change_arrives_once_with_old_ids_on_moves() {
    let server = serve(ORG).await;
    let watcher = alice(&server);
    let mut sub = watcher
        .subscribe_pull(&[Folder::Calendar, Folder::Inbox], &ALL, 10)
        .await
        .unwrap();
    assert!(sub.poll().await.unwrap().events.is_empty(), "nothing yet");

    let other = alice(&server);
    let a = other
        .create_appointment(appointment("A", &[]))
        .await
        .unwrap();
    let b = other
        .create_appointment(appointment("B", &[]))
        .await
        .unwrap();
    let c = other
        .create_appointment(appointment("C", &[]))
        .await
        .unwrap();
    let a2 = other
        .update(&a, ews_client::edits::Changes::appointment().subject("A2"))
        .await
        .unwrap();
    other.delete(&b, t::Disposal::HardDelete).await.unwrap();
    let moved = other.move_to(&c, Folder::Inbox).await.unwrap();
    // a change in a folder nobody watches raises nothing here
    other
        .save_draft(t::Message::default().with_subject("not watched"))
        .await
        .unwrap();

    let got = sub.poll().await.unwrap();
    assert!(!got.resubscribed && !got.gap);
    let kinds: Vec<(EventKind, String)> = got.events.iter().map(|e| (e.kind, item(e))).collect();
    let id = |i: &t::ItemId| i.id.to_string();
    assert_eq!(
        kinds,
        [
            (EventKind::Created, id(&a)),
            (EventKind::Created, id(&b)),
            (EventKind::Created, id(&c)),
            (EventKind::Modified, id(&a2)),
            (EventKind::Deleted, id(&b)),
            (EventKind::Moved, id(&moved)),
        ]
    );
    let m = &got.events[5];
    match &m.old {
        Some((Object::Item(old), _)) => assert_eq!(old.id, c.id),
        other => panic!("{other:?}"),
    }
    assert!(
        got.events
            .iter()
            .all(|e| e.watermark.is_some() && e.at.is_some())
    );
    assert!(sub.poll().await.unwrap().events.is_empty(), "nothing twice");
    sub.unsubscribe().await.unwrap();
    check_responses(&server);
}

#[tokio::test]
async fn many_events_are_read_in_pages_exactly_once() {
    let server = serve(ORG).await;
    let mb = alice(&server);
    let mut sub = mb
        .subscribe_pull(&[Folder::Calendar], &[Type::CreatedEvent], 10)
        .await
        .unwrap();
    let items: Vec<t::CalendarItem> = (0..130)
        .map(|i| appointment(&format!("Item {i}"), &[]))
        .collect();
    let made: BTreeSet<String> = mb
        .create_appointments(items, 50)
        .await
        .into_iter()
        .map(|r| r.unwrap().id.into())
        .collect();
    let got = sub.poll().await.unwrap();
    let ids: Vec<String> = got.events.iter().map(item).collect();
    assert_eq!(ids.len(), 130, "three answers of at most 50");
    assert_eq!(ids.iter().cloned().collect::<BTreeSet<_>>(), made);
}

#[tokio::test]
async fn a_forgotten_subscription_is_made_again_from_the_last_watermark() {
    let server = serve(ORG).await;
    let mb = alice(&server);
    let mut sub = mb
        .subscribe_pull(&[Folder::Calendar], &ALL, 10)
        .await
        .unwrap();
    let first = mb
        .create_appointment(appointment("Before", &[]))
        .await
        .unwrap();
    assert_eq!(sub.poll().await.unwrap().events.len(), 1);
    let old_id = sub.id().to_owned();
    server.expire_subscriptions();
    let during = mb
        .create_appointment(appointment("While forgotten", &[]))
        .await
        .unwrap();
    let got = sub.poll().await.unwrap();
    assert!(got.resubscribed && !got.gap, "{got:?}");
    assert_ne!(sub.id(), old_id);
    let ids: Vec<String> = got.events.iter().map(item).collect();
    assert_eq!(
        ids,
        std::slice::from_ref(&during.id),
        "nothing lost, {} not again",
        first.id
    );
}

#[tokio::test]
async fn a_restarted_program_resumes_from_its_persisted_watermark() {
    let server = serve(ORG).await;
    let mb = alice(&server);
    let saved: String = {
        let mut sub = mb
            .subscribe_pull(&[Folder::Calendar], &ALL, 10)
            .await
            .unwrap();
        mb.create_appointment(appointment("Seen", &[]))
            .await
            .unwrap();
        assert_eq!(sub.poll().await.unwrap().events.len(), 1);
        sub.watermark().as_str().to_owned()
        // the program stops here without unsubscribing
    };
    let missed = mb
        .create_appointment(appointment("While down", &[]))
        .await
        .unwrap();
    let mut sub = mb
        .resume_pull(&[Folder::Calendar], &ALL, 10, Watermark::from(saved))
        .await
        .unwrap();
    let ids: Vec<String> = sub.poll().await.unwrap().events.iter().map(item).collect();
    assert_eq!(ids, std::slice::from_ref(&missed.id));
    // a watermark the server never handed out is refused
    let e = mb
        .resume_pull(
            &[Folder::Calendar],
            &ALL,
            10,
            Watermark::from("bm9wZQ==".to_owned()),
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&ews_client::m::ResponseCode::ErrorInvalidWatermark)
    );
    check_responses(&server);
}

#[tokio::test]
async fn delegate_access_is_refused_as_exchange_refuses_it() {
    let server = serve(ORG).await;
    let assistant = login(&server, "assistant@contoso.com", "assistant-pw")
        .delegate_to("boss@contoso.com")
        .unwrap();
    let e = assistant
        .subscribe_pull(&[Folder::Calendar], &ALL, 10)
        .await
        .unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&ews_client::m::ResponseCode::ErrorSubscriptionDelegateAccessNotSupported),
        "{e}"
    );
    // the owner itself may
    let boss = login(&server, "boss@contoso.com", "boss-pw").my_mailbox();
    let mut sub = boss
        .subscribe_pull(&[Folder::Calendar], &ALL, 10)
        .await
        .unwrap();
    assistant
        .create_appointment(appointment("By the delegate", &[]))
        .await
        .unwrap();
    let got = sub.poll().await.unwrap();
    assert_eq!(got.events.len(), 1);
    assert_eq!(got.events[0].kind, EventKind::Created);
    check_responses(&server);
}

#[tokio::test]
async fn a_timed_out_subscription_is_expired_and_made_again_from_the_watermark() {
    // a "minute" of 200 ms: a pull subscription of one minute lapses quickly
    let org = format!("{ORG}\n[limits]\nstreaming_minute_ms = 200\n");
    let server = serve(&org).await;
    let mb = alice(&server);
    let mut sub = mb
        .subscribe_pull(&[Folder::Calendar], &ALL, 1)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let made = mb
        .create_appointment(appointment("After the lapse", &[]))
        .await
        .unwrap();
    // the server answers ErrorExpiredSubscription; the client subscribes again from its
    // watermark, and the event made meanwhile still comes, once
    let got = sub.poll().await.unwrap();
    assert!(got.resubscribed && !got.gap, "{got:?}");
    let ids: Vec<String> = got.events.iter().map(item).collect();
    assert_eq!(ids, std::slice::from_ref(&made.id));
    let expired = server.control().exchanges().iter().any(|x| {
        x.operation.as_deref() == Some("GetEvents")
            && x.response.contains("ErrorExpiredSubscription")
    });
    assert!(expired, "the server said the subscription expired");
}
