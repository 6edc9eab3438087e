//! Bulk work against the local EWS server with 20 ms of added latency and a concurrency limit
//! of 10 (per identity on the server; 10 mailboxes at a time in the client).
//!
//! - Uniform: 1,000 appointments into 1,000 mailboxes by impersonation. Ideal: 1,000 × 20 ms
//!   / 10 = 2 s.
//! - Skew (`--skew`): the same, with 10 mailboxes (every 100th) answering `ErrorServerBusy`
//!   with a 2 s back-off once. The helper (`create_appointments`, on `fan_out`) against the
//!   helper before it (an in-order `buffered(10)` over the same per-mailbox call), each against
//!   the ideal schedule: 10 slots filled in input order, a throttled mailbox holding its slot
//!   for latency + back-off + latency (as the client waits out the hint), computed from the
//!   same numbers. The client runs without jitter on the hint (the default adds up to 20 %),
//!   so the ideal's back-off is the client's.
//!
//! `cargo bench -p ews-client --bench bulk_load -- [--skew] [--mailboxes N] [--rounds R]`.

use std::time::{Duration, Instant};

use ews_client::bulk::BulkOptions;
use ews_client::{Client, ConnectingSid, Credentials, RetryPolicy};
use ews_testserver::config::{AccountConfig, MailboxConfig};
use ews_testserver::{Org, TestServer};
use ews_types::{runtime, t};
use futures_util::StreamExt;

const LATENCY: Duration = Duration::from_millis(20);
const CONCURRENCY: usize = 10;
const BACK_OFF: Duration = Duration::from_secs(2);

fn appointment(subject: &str) -> t::CalendarItem {
    use runtime::XmlValue;
    t::CalendarItem {
        subject: Some(subject.into()),
        start: Some(runtime::DateTime::from_text("2026-12-01T09:00:00Z").unwrap()),
        end: Some(runtime::DateTime::from_text("2026-12-01T10:00:00Z").unwrap()),
        ..Default::default()
    }
}

/// The list schedule of `durations` on `slots` workers, in input order: its length.
fn ideal(durations: &[Duration], slots: usize) -> Duration {
    let mut free = vec![Duration::ZERO; slots];
    for d in durations {
        let first = free.iter_mut().min().expect("a slot");
        *first += *d;
    }
    free.into_iter().max().unwrap_or_default()
}

async fn server(mailboxes: &[String], throttled: &[String]) -> TestServer {
    let org = Org {
        mailboxes: mailboxes
            .iter()
            .map(|m| MailboxConfig {
                smtp: m.clone(),
                ..Default::default()
            })
            .collect(),
        accounts: vec![AccountConfig {
            user: "svc".into(),
            password: Some("pw".into()),
            impersonation: true,
            ..Default::default()
        }],
        ..Default::default()
    };
    let server = TestServer::start(org).await.unwrap();
    server.control().set_latency(LATENCY);
    server.control().set_concurrency_limit(CONCURRENCY);
    for m in throttled {
        server.control().throttle_identity(m, 1, BACK_OFF);
    }
    server
}

/// The helper before `fan_out`: the same per-mailbox call, results yielded in input order by
/// `buffered`, so a slow mailbox stops new ones from starting.
async fn in_order(
    client: &Client,
    mailboxes: &[String],
) -> Vec<Result<t::ItemId, ews_client::Error>> {
    futures_util::stream::iter(mailboxes.iter())
        .map(|m| async move {
            let mb = client.impersonate(ConnectingSid::smtp(m))?.mailbox();
            mb.create_appointment(appointment(&format!("Lesson for {m}")))
                .await
        })
        .buffered(CONCURRENCY)
        .collect()
        .await
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
    let skew = args.iter().any(|a| a == "--skew");
    let n = arg("--mailboxes", 1000);
    let rounds = arg("--rounds", 3);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let mailboxes: Vec<String> = (0..n).map(|i| format!("user{i:04}@contoso.com")).collect();
        let throttled: Vec<String> = if skew {
            mailboxes.iter().step_by(100).cloned().collect()
        } else {
            Vec::new()
        };
        let durations: Vec<Duration> = mailboxes
            .iter()
            .map(|m| {
                if throttled.contains(m) {
                    LATENCY + BACK_OFF + LATENCY
                } else {
                    LATENCY
                }
            })
            .collect();
        let ideal = ideal(&durations, CONCURRENCY);
        println!(
            "{n} appointments into {n} mailboxes, {LATENCY:?} latency, concurrency {CONCURRENCY}, {} throttled for {BACK_OFF:?} once; ideal {ideal:?}",
            throttled.len()
        );
        let kinds: &[&str] = if skew { &["fan_out", "in_order"] } else { &["fan_out"] };
        for kind in kinds {
            let mut times = Vec::new();
            for round in 0..rounds {
                let server = server(&mailboxes, &throttled).await;
                // no jitter on the server's hint, so the ideal's 2 s is the client's wait
                let client = Client::builder(server.url())
                    .credentials(Credentials::basic("svc", "pw"))
                    .retry(RetryPolicy::default().jitter(0.0))
                    .build()
                    .unwrap();
                let start = Instant::now();
                let results = match *kind {
                    "fan_out" => {
                        client
                            .create_appointments(
                                &mailboxes,
                                |m| appointment(&format!("Lesson for {m}")),
                                BulkOptions::default().concurrency(CONCURRENCY),
                            )
                            .await
                    }
                    _ => in_order(&client, &mailboxes).await,
                };
                let elapsed = start.elapsed();
                let ok = results.iter().filter(|r| r.is_ok()).count();
                let stored: usize = server.with_store(|s| {
                    s.mailboxes
                        .iter()
                        .map(|m| m.folder(t::DistinguishedFolderIdName::Calendar).items.len())
                        .sum()
                });
                assert_eq!(ok, n, "every appointment created");
                assert_eq!(stored, n, "every appointment stored exactly once");
                println!(
                    "{kind} round {round}: {elapsed:?} ({:.3}× ideal), {ok}/{n} ok, {stored} stored",
                    elapsed.as_secs_f64() / ideal.as_secs_f64()
                );
                times.push(elapsed);
            }
            times.sort();
            let median = times[times.len() / 2];
            println!(
                "{kind}: median {median:?} = {:.3}× the ideal {ideal:?}",
                median.as_secs_f64() / ideal.as_secs_f64()
            );
        }
    });
}
