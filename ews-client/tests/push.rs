//! Push notifications against ews-testserver: the server calls our listener with each change,
//! once; status notifications come when nothing happens; Unsubscribe ends the subscription on
//! the server; a listener that is down is called again; a caller without the secret path is
//! refused.

mod support;

use std::time::Duration;

use ews_client::notify::{EventKind, Object};
use ews_client::push::{PushListener, PushNotification};
use ews_client::{ConnectingSid, Mailbox, t};
use support::{appointment, login, serve};

use t::DistinguishedFolderIdName as Folder;
use t::NotificationEventType as Type;

/// One minute of a StatusFrequency lasts 300 ms here; a failed delivery is tried again after
/// 100 ms, then 200 ms, …
const ORG: &str = r#"
[[mailbox]]
smtp = "ana@contoso.com"

[[account]]
user = "svc"
password = "svc-pw"
impersonation = true

[limits]
streaming_minute_ms = 300
push_retry_ms = 100
"#;

fn ana(server: &ews_testserver::TestServer) -> Mailbox {
    login(server, "svc", "svc-pw")
        .impersonate(ConnectingSid::smtp("ana@contoso.com"))
        .unwrap()
        .mailbox()
}

async fn next(l: &mut PushListener) -> PushNotification {
    tokio::time::timeout(Duration::from_secs(10), l.next())
        .await
        .expect("a notification in time")
        .expect("the listener goes on")
}

/// The next notification that carries events.
async fn next_events(l: &mut PushListener) -> PushNotification {
    loop {
        let n = next(l).await;
        if !n.events.is_empty() {
            return n;
        }
    }
}

#[tokio::test]
async fn changes_are_pushed_once_and_unsubscribe_ends_the_subscription() {
    let server = serve(ORG).await;
    let mb = ana(&server);
    let mut listener = PushListener::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let id = mb
        .subscribe_push(
            &[Folder::Calendar],
            &[Type::CreatedEvent, Type::DeletedEvent],
            &listener.url(),
            1,
        )
        .await
        .unwrap();
    let made = mb
        .create_appointment(appointment("Pushed", &[]))
        .await
        .unwrap();
    let n = next_events(&mut listener).await;
    assert_eq!(n.subscription, id);
    assert_eq!(n.events.len(), 1);
    assert_eq!(n.events[0].kind, EventKind::Created);
    assert_eq!(
        n.events[0].object,
        Object::Item(t::ItemId::new(made.id.clone()))
    );
    // nothing happens for a "minute": a status notification, without events
    let quiet = next(&mut listener).await;
    assert!(quiet.events.is_empty(), "{quiet:?}");
    // the same event is never pushed again
    mb.delete(&made, t::Disposal::HardDelete).await.unwrap();
    let n = next_events(&mut listener).await;
    assert_eq!(n.events.len(), 1);
    assert_eq!(n.events[0].kind, EventKind::Deleted);

    // answered Unsubscribe, the server ends the subscription
    listener.unsubscribe(&id);
    mb.create_appointment(appointment("After", &[]))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let gone = server.with_store(|s| s.notifications.push_subscriptions().is_empty());
    assert!(gone, "the subscription ended");
}

#[tokio::test]
async fn a_restarted_listener_gets_what_was_pushed_while_it_was_down() {
    let server = serve(ORG).await;
    let mb = ana(&server);
    let listener = PushListener::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (addr, url, secret) = (
        listener.local_addr(),
        listener.url(),
        listener.secret().to_owned(),
    );
    assert!(
        !format!("{listener:?}").contains(&secret),
        "the secret stays out of Debug"
    );
    mb.subscribe_push(&[Folder::Calendar], &[Type::CreatedEvent], &url, 5)
        .await
        .unwrap();
    drop(listener); // the program stops
    let made = mb
        .create_appointment(appointment("While down", &[]))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await; // deliveries fail meanwhile
    // a caller without the secret is refused
    let mut listener = PushListener::bind_with_secret(addr, &secret).await.unwrap();
    let (status, _) = listener.answer("/ews-push/not-the-secret-at-all", b"<x/>");
    assert_eq!(status, 404);
    // the server tries again and the restarted listener gets the event
    let n = next_events(&mut listener).await;
    assert_eq!(n.events.len(), 1);
    assert_eq!(
        n.events[0].object,
        Object::Item(t::ItemId::new(made.id.clone()))
    );
    assert!(PushListener::bind_with_secret(addr, "short").await.is_err());
}
