//! Watches several mailboxes' calendars by notifications and prints every change, in one of
//! the three modes Exchange offers.
//!
//! ```text
//! EWS_URL=… EWS_USERNAME=svc-booking EWS_PASSWORD=… \
//! EWS_MAILBOXES=alice@contoso.com,bob@contoso.com EWS_MODE=streaming|pull|push \
//! [EWS_PUSH_LISTEN=0.0.0.0:8443 EWS_PUSH_URL=https://watcher.contoso.com] \
//!     cargo run -p ews-client --example watch_calendars
//! ```
//!
//! - `streaming` (the default): one connection per 200 mailboxes, each group in its own
//!   affinity group; reconnects as the server closes connections.
//! - `pull`: one subscription per mailbox, polled every 10 seconds.
//! - `push`: the server calls a listener on `EWS_PUSH_LISTEN`; `EWS_PUSH_URL` is the address
//!   the server reaches it by (a TLS proxy in front of it, in production).
//!
//! Each mailbox is opened by impersonation. Notifications say what changed, not what the item
//! now holds: read it with `Mailbox::get`, and after a gap, synchronize (`sync_calendars`).

#[path = "common/mod.rs"]
mod common;

use std::time::Duration;

use ews_client::futures::StreamExt;
use ews_client::notify::{Event, Object};
use ews_client::streaming::{StreamOptions, Streamed};
use ews_client::{AffinityGroup, ConnectingSid, Mailbox, t};

use t::DistinguishedFolderIdName::Calendar;
use t::NotificationEventType as Type;

const TYPES: [Type; 4] = [
    Type::CreatedEvent,
    Type::ModifiedEvent,
    Type::DeletedEvent,
    Type::MovedEvent,
];

fn show(who: &str, e: &Event) {
    let what = match &e.object {
        Object::Item(i) => format!("item {}", i.id),
        Object::Folder(f) => format!("folder {}", f.id),
    };
    println!("{who}: {:?} {what}", e.kind);
}

async fn streaming(mailboxes: Vec<(String, Mailbox)>) -> Result<(), String> {
    let mut tasks = Vec::new();
    for group in mailboxes.chunks(200) {
        let mut subs = Vec::new();
        let mut names = std::collections::HashMap::new();
        for (who, mb) in group {
            let s = mb
                .subscribe_streaming(&[Calendar], &TYPES)
                .await
                .map_err(|e| format!("{who}: {e}"))?;
            names.insert(s.id().to_owned(), who.clone());
            subs.push(s);
        }
        let via = group[0].1.clone();
        tasks.push(tokio::spawn(async move {
            let mut stream = Box::pin(via.stream_events(subs, StreamOptions::default()));
            while let Some(item) = stream.next().await {
                match item {
                    Ok(Streamed::Event {
                        subscription,
                        event,
                    }) => show(names.get(&subscription).map_or("?", String::as_str), &event),
                    Ok(Streamed::Reconnected { dropped }) => {
                        eprintln!(
                            "reconnected (the connection {})",
                            if dropped { "broke" } else { "timed out" }
                        )
                    }
                    Ok(Streamed::Resubscribed { old, new }) => {
                        if let Some(who) = names.remove(&old) {
                            eprintln!("{who}: subscribed again; synchronize to catch up");
                            names.insert(new, who);
                        }
                    }
                    Err(e) => eprintln!("the stream ended: {e}"),
                }
            }
        }));
    }
    for t in tasks {
        t.await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

async fn pull(mailboxes: Vec<(String, Mailbox)>) -> Result<(), String> {
    let mut subs = Vec::new();
    for (who, mb) in &mailboxes {
        subs.push((
            who.clone(),
            mb.subscribe_pull(&[Calendar], &TYPES, 30)
                .await
                .map_err(|e| format!("{who}: {e}"))?,
        ));
    }
    loop {
        for (who, sub) in &mut subs {
            match sub.poll().await {
                Ok(batch) => {
                    if batch.gap {
                        eprintln!("{who}: events were missed; synchronize to catch up");
                    }
                    batch.events.iter().for_each(|e| show(who, e));
                }
                Err(e) => eprintln!("{who}: {e}"),
            }
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
}

async fn push(mailboxes: Vec<(String, Mailbox)>) -> Result<(), String> {
    let listen = common::required(
        "EWS_PUSH_LISTEN",
        "the address to listen on, e.g. 0.0.0.0:8443",
    )?;
    let public = common::required(
        "EWS_PUSH_URL",
        "the base URL the server reaches the listener by",
    )?;
    let mut listener = ews_client::push::PushListener::bind(
        listen
            .parse()
            .map_err(|e| format!("EWS_PUSH_LISTEN: {e}"))?,
    )
    .await
    .map_err(|e| e.to_string())?;
    let url = format!("{}{}", public.trim_end_matches('/'), listener.path());
    let mut names = std::collections::HashMap::new();
    for (who, mb) in &mailboxes {
        let id = mb
            .subscribe_push(&[Calendar], &TYPES, &url, 30)
            .await
            .map_err(|e| format!("{who}: {e}"))?;
        names.insert(id, who.clone());
    }
    while let Some(n) = listener.next().await {
        let who = names.get(&n.subscription).map_or("?", String::as_str);
        n.events.iter().for_each(|e| show(who, e));
    }
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let run = async {
        let client = common::client_from_env()?;
        let addresses = common::required("EWS_MAILBOXES", "comma-separated SMTP addresses")?;
        let mut mailboxes = Vec::new();
        let mut group = AffinityGroup::new();
        for (i, a) in addresses.split(',').map(str::trim).enumerate() {
            if i % 200 == 0 {
                group = AffinityGroup::new();
            }
            let mb = client
                .impersonate(ConnectingSid::smtp(a))
                .map_err(|e| format!("{a}: {e}"))?
                .with_affinity(&group)
                .mailbox();
            mailboxes.push((a.to_owned(), mb));
        }
        match std::env::var("EWS_MODE").as_deref().unwrap_or("streaming") {
            "streaming" => streaming(mailboxes).await,
            "pull" => pull(mailboxes).await,
            "push" => push(mailboxes).await,
            other => Err(format!("EWS_MODE={other}: use streaming, pull or push")),
        }
    };
    match run.await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => common::fail(e),
    }
}
