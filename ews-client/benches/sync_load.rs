//! Synchronizing a large folder against the local EWS server (no added latency).
//!
//! A calendar of `--items` appointments (default 10,000) is read three ways per round:
//! - baseline: every item's id by FindItem (`find_all`, `IdOnly`, 1,000 a page);
//! - initial sync: `sync_items` without a state (`IdOnly`, 512 changes a page);
//! - incremental: after 100 changes by another client (40 renamed, 30 created, 30 deleted),
//!   `sync_items` from the initial sync's state.
//!
//! Prints each round's times and pages, checks that the initial sync saw every item and the
//! incremental one exactly the 100 changes, and the medians with the initial sync as a ratio of
//! the FindItem listing measured in the same round.
//!
//! `cargo bench -p ews-client --bench sync_load -- [--items N] [--rounds R]`.

use std::time::{Duration, Instant};

use ews_client::edits::Changes;
use ews_client::futures::TryStreamExt;
use ews_client::query::Query;
use ews_client::sync::{ItemChange, SyncOptions, SyncPage};
use ews_client::{Client, Credentials, Mailbox, t};
use ews_testserver::config::MailboxConfig;
use ews_testserver::{Org, TestServer};
use ews_types::runtime::{self, XmlValue};

use t::DistinguishedFolderIdName::Calendar;

fn appointment(subject: String) -> t::CalendarItem {
    t::CalendarItem {
        subject: Some(subject.into()),
        start: Some(runtime::DateTime::from_text("2026-12-01T09:00:00Z").unwrap()),
        end: Some(runtime::DateTime::from_text("2026-12-01T10:00:00Z").unwrap()),
        ..Default::default()
    }
}

async fn sync(
    mb: &Mailbox,
    from: Option<ews_client::sync::SyncState>,
) -> Vec<SyncPage<ItemChange>> {
    mb.sync_items(Calendar, from, SyncOptions::default())
        .try_collect()
        .await
        .expect("sync")
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (items, rounds) = (arg("--items", 10_000), arg("--rounds", 3));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let org = Org {
            mailboxes: vec![MailboxConfig {
                smtp: "alice@contoso.com".into(),
                password: Some("pw".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let server = TestServer::start(org).await.unwrap();
        let client = Client::builder(server.url())
            .credentials(Credentials::basic("alice@contoso.com", "pw"))
            .build()
            .unwrap();
        let mb = client.my_mailbox();
        let made = mb
            .create_appointments((0..items).map(|i| appointment(format!("Item {i}"))).collect(), 100)
            .await;
        let mut ids: Vec<t::ItemId> = made.into_iter().map(|r| r.expect("created")).collect();
        println!("{items} items in the calendar");
        let (mut finds, mut initials, mut increments) = (Vec::new(), Vec::new(), Vec::new());
        for round in 1..=rounds {
            let at = Instant::now();
            let listed = mb
                .find_all(Calendar, Query::new().shape(t::DefaultShapeNames::IdOnly).page_size(1000))
                .await
                .unwrap();
            let find = at.elapsed();
            assert_eq!(listed.len(), ids.len());

            let at = Instant::now();
            let initial = sync(&mb, None).await;
            let initial_time = at.elapsed();
            let seen: usize = initial.iter().map(|p| p.changes.len()).sum();
            assert_eq!(seen, ids.len(), "the initial sync sees every item");

            // another client: 40 renamed, 30 created, 30 deleted
            for id in ids.iter_mut().take(40) {
                *id = mb.update(id, Changes::appointment().subject(format!("Renamed {round}"))).await.unwrap();
            }
            let fresh = mb
                .create_appointments((0..30).map(|i| appointment(format!("New {round}/{i}"))).collect(), 30)
                .await;
            for id in ids.split_off(ids.len() - 30) {
                mb.delete(&id, t::Disposal::HardDelete).await.unwrap();
            }
            ids.extend(fresh.into_iter().map(|r| r.unwrap()));

            let at = Instant::now();
            let next = sync(&mb, Some(initial.last().unwrap().state.clone())).await;
            let increment_time = at.elapsed();
            let changes: usize = next.iter().map(|p| p.changes.len()).sum();
            assert_eq!(changes, 100, "the incremental sync sees exactly the 100 changes");
            println!(
                "round {round}: FindItem listing {find:.2?} ({} pages); initial sync {initial_time:.2?} ({} pages); incremental sync of 100 changes {increment_time:.2?} ({} page)",
                listed.len().div_ceil(1000),
                initial.len(),
                next.len()
            );
            finds.push(find);
            initials.push(initial_time);
            increments.push(increment_time);
        }
        let (find, initial, increment) = (median(finds), median(initials), median(increments));
        println!(
            "median: FindItem listing {find:.2?}; initial sync {initial:.2?} = {:.2}× the listing; incremental {increment:.2?}",
            initial.as_secs_f64() / find.as_secs_f64()
        );
    });
}
