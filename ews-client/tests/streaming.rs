//! Streaming notifications against ews-testserver: the events of several mailboxes on one
//! connection, exactly once, across the server closing the connection at its timeout, a
//! dropped connection and a subscription the server forgot; the per-account connection limit.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use ews_client::futures::StreamExt;
use ews_client::notify::{EventKind, Object};
use ews_client::streaming::{StreamOptions, Streamed};
use ews_client::{ConnectingSid, Mailbox, t};
use support::{appointment, login, serve};

use t::DistinguishedFolderIdName as Folder;
use t::NotificationEventType as Type;

/// One "minute" of a connection's timeout lasts 400 ms here, keep-alives every 100 ms.
const ORG: &str = r#"
[[mailbox]]
smtp = "ana@contoso.com"
[[mailbox]]
smtp = "ben@contoso.com"

[[account]]
user = "svc"
password = "svc-pw"
impersonation = true

[limits]
streaming_minute_ms = 400
streaming_keepalive_ms = 100
max_streaming_connections = 1
"#;

fn open(server: &ews_testserver::TestServer, who: &str) -> Mailbox {
    login(server, "svc", "svc-pw")
        .impersonate(ConnectingSid::smtp(who))
        .unwrap()
        .mailbox()
}

/// Reads items until `n` events came (or 10 s pass); gives (events by subscription, markers).
async fn read_events(
    stream: &mut (impl futures_util::Stream<Item = Result<Streamed, ews_client::Error>> + Unpin),
    n: usize,
) -> (BTreeMap<String, Vec<(EventKind, String)>>, Vec<Streamed>) {
    let mut events: BTreeMap<String, Vec<(EventKind, String)>> = BTreeMap::new();
    let mut markers = Vec::new();
    let mut count = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while count < n {
        let item = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("events in time")
            .expect("the stream goes on")
            .expect("no error");
        match item {
            Streamed::Event {
                subscription,
                event,
            } => {
                let Object::Item(id) = event.object else {
                    panic!("a folder event")
                };
                events
                    .entry(subscription)
                    .or_default()
                    .push((event.kind, id.id.to_string()));
                count += 1;
            }
            other => markers.push(other),
        }
    }
    (events, markers)
}

#[tokio::test]
async fn events_of_two_mailboxes_arrive_once_across_closes_and_drops() {
    let server = serve(ORG).await;
    let (ana, ben) = (
        open(&server, "ana@contoso.com"),
        open(&server, "ben@contoso.com"),
    );
    let types = [Type::CreatedEvent, Type::DeletedEvent];
    let sub_a = ana
        .subscribe_streaming(&[Folder::Calendar], &types)
        .await
        .unwrap();
    let sub_b = ben
        .subscribe_streaming(&[Folder::Calendar], &types)
        .await
        .unwrap();
    let (id_a, id_b) = (sub_a.id().to_owned(), sub_b.id().to_owned());
    let mut stream = Box::pin(ana.stream_events(
        vec![sub_a, sub_b],
        StreamOptions::default().connection_minutes(1),
    ));

    let a1 = ana
        .create_appointment(appointment("A1", &[]))
        .await
        .unwrap();
    let b1 = ben
        .create_appointment(appointment("B1", &[]))
        .await
        .unwrap();
    let (got, _) = read_events(&mut stream, 2).await;
    assert_eq!(got[&id_a], [(EventKind::Created, a1.id.to_string())]);
    assert_eq!(got[&id_b], [(EventKind::Created, b1.id.to_string())]);

    // the server closes the connection after its "minute"; what happens meanwhile still comes
    tokio::time::sleep(Duration::from_millis(600)).await;
    ana.delete(&a1, t::Disposal::HardDelete).await.unwrap();
    let (got, markers) = read_events(&mut stream, 1).await;
    assert_eq!(got[&id_a], [(EventKind::Deleted, a1.id.to_string())]);
    assert!(
        markers.contains(&Streamed::Reconnected { dropped: false }),
        "{markers:?}"
    );

    // a dropped connection: the events made while it was down arrive on the next one
    server.control().drop_streams();
    let b2 = ben
        .create_appointment(appointment("B2", &[]))
        .await
        .unwrap();
    let (got, markers) = read_events(&mut stream, 1).await;
    assert_eq!(got[&id_b], [(EventKind::Created, b2.id.to_string())]);
    assert!(
        markers.contains(&Streamed::Reconnected { dropped: true }),
        "{markers:?}"
    );

    // the server forgets the subscriptions: they are made again, and new events flow
    server.expire_subscriptions();
    tokio::time::sleep(Duration::from_millis(600)).await; // the next connection finds them gone
    let mut resubscribed = Vec::new();
    let mut seen_after = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while seen_after.is_none() {
        let item = tokio::time::timeout_at(deadline, stream.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        match item {
            Streamed::Resubscribed { old, new } => {
                resubscribed.push(old);
                assert!(!new.is_empty());
                if resubscribed.len() == 2 {
                    ana.create_appointment(appointment("A3", &[]))
                        .await
                        .unwrap();
                }
            }
            Streamed::Event { event, .. } => seen_after = Some(event.kind),
            Streamed::Reconnected { .. } => {}
        }
    }
    resubscribed.sort();
    let mut both = vec![id_a.clone(), id_b.clone()];
    both.sort();
    assert_eq!(resubscribed, both);
    assert_eq!(seen_after, Some(EventKind::Created));
}

#[tokio::test]
async fn the_connection_limit_per_account_is_an_error() {
    let server = serve(ORG).await;
    let ana = open(&server, "ana@contoso.com");
    let types = [Type::CreatedEvent];
    let first = ana
        .subscribe_streaming(&[Folder::Calendar], &types)
        .await
        .unwrap();
    let second = ana
        .subscribe_streaming(&[Folder::Inbox], &types)
        .await
        .unwrap();
    let mut one = Box::pin(ana.stream_events(vec![first], StreamOptions::default()));
    // the first connection is open once its first event arrives
    ana.create_appointment(appointment("Open", &[]))
        .await
        .unwrap();
    let _ = read_events(&mut one, 1).await;
    let mut two = Box::pin(ana.stream_events(vec![second], StreamOptions::default().retries(0)));
    let e = tokio::time::timeout(Duration::from_secs(10), two.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&ews_client::m::ResponseCode::ErrorExceededConnectionCount),
        "{e}"
    );
}

/// Four mailboxes on four mailbox servers (`backends = 4`): a subscription is found only on
/// the server it was made on.
const SPREAD: &str = r#"
[[mailbox]]
smtp = "ana@contoso.com"
[[mailbox]]
smtp = "ben@contoso.com"
[[mailbox]]
smtp = "cy@contoso.com"
[[mailbox]]
smtp = "dee@contoso.com"

[[account]]
user = "svc"
password = "svc-pw"
impersonation = true

[faults]
backends = 4
"#;

const FOUR: [&str; 4] = [
    "ana@contoso.com",
    "ben@contoso.com",
    "cy@contoso.com",
    "dee@contoso.com",
];

#[tokio::test]
async fn one_connection_for_mailboxes_on_several_servers_needs_an_affinity_group() {
    let server = serve(SPREAD).await;
    let svc = login(&server, "svc", "svc-pw");
    let types = [Type::CreatedEvent];

    // without affinity each subscription lands on its own mailbox's server: the connection
    // (routed by its first mailbox) finds only one of them, and the stream says why
    let mut subs = Vec::new();
    for m in FOUR {
        let mb = svc.impersonate(ConnectingSid::smtp(m)).unwrap().mailbox();
        subs.push(
            mb.subscribe_streaming(&[Folder::Calendar], &types)
                .await
                .unwrap(),
        );
    }
    let via = open(&server, FOUR[0]);
    let mut stream = Box::pin(via.stream_events(subs, StreamOptions::default()));
    let mut failed = None;
    while let Some(item) = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .unwrap()
    {
        if let Err(e) = item {
            failed = Some(e);
            break;
        }
    }
    let e = failed.expect("an error, not a loop");
    assert!(e.to_string().contains("AffinityGroup"), "{e}");

    // in one affinity group, the first subscription sets the cookie and the rest follow it
    let group = ews_client::AffinityGroup::new();
    let grouped: Vec<Mailbox> = FOUR
        .iter()
        .map(|m| {
            svc.impersonate(ConnectingSid::smtp(*m))
                .unwrap()
                .with_affinity(&group)
                .mailbox()
        })
        .collect();
    let mut subs = Vec::new();
    for mb in &grouped {
        subs.push(
            mb.subscribe_streaming(&[Folder::Calendar], &types)
                .await
                .unwrap(),
        );
    }
    let ids: Vec<String> = subs.iter().map(|s| s.id().to_owned()).collect();
    let mut stream = Box::pin(grouped[0].stream_events(subs, StreamOptions::default()));
    for mb in &grouped {
        mb.create_appointment(appointment("Grouped", &[]))
            .await
            .unwrap();
    }
    let (got, markers) = read_events(&mut stream, 4).await;
    assert!(markers.is_empty(), "{markers:?}");
    assert_eq!(got.keys().cloned().collect::<Vec<_>>(), {
        let mut v = ids.clone();
        v.sort();
        v
    });
}
