//! Streaming notifications at scale against the local EWS server, run in a child process so
//! that the client's memory is measured alone.
//!
//! 1,000 mailboxes (`--mailboxes`), spread over four mailbox servers (`backends = 4`), are
//! watched by streaming subscriptions on their calendars, by impersonation, in groups of 200
//! subscriptions per connection (each group in its own affinity group, whose first mailbox
//! subscribes first and sets the group's cookie; streamed through that mailbox). Another client then makes 10,000
//! appointments (`--changes`, spread evenly, 20 requests at a time). Reported:
//! - events delivered, which must equal the changes, and duplicates, which must be 0;
//! - delivery latency, from the moment the creating request was sent to the moment its event
//!   came out of the stream: median and p99;
//! - the client's memory per watched mailbox: bytes allocated and still held once every
//!   subscription is made and every connection open, over the mailboxes (a counting global
//!   allocator; the server's memory is in the other process).
//!
//! `cargo bench -p ews-client --bench notify_load -- [--mailboxes N] [--changes N]`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ews_client::bulk::{BulkOptions, fan_out};
use ews_client::futures::StreamExt;
use ews_client::notify::Object;
use ews_client::streaming::{StreamOptions, Streamed, StreamingSubscription};
use ews_client::{AffinityGroup, Client, ConnectingSid, Credentials, t};
use ews_testserver::config::{AccountConfig, MailboxConfig};
use ews_testserver::{Org, TestServer};
use ews_types::runtime::{self, XmlValue};

#[global_allocator]
static ALLOC: peak_alloc::PeakAlloc = peak_alloc::PeakAlloc;

const GROUP: usize = 200;

fn address(i: usize) -> String {
    format!("m{i:04}@contoso.com")
}

fn appointment(subject: String) -> t::CalendarItem {
    t::CalendarItem {
        subject: Some(subject.into()),
        start: Some(runtime::DateTime::from_text("2026-12-01T09:00:00Z").unwrap()),
        end: Some(runtime::DateTime::from_text("2026-12-01T10:00:00Z").unwrap()),
        ..Default::default()
    }
}

/// The child: a server for `mailboxes` mailboxes on `port` until stdin closes.
fn serve(port: u16, mailboxes: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut org = Org {
            mailboxes: (0..mailboxes)
                .map(|i| MailboxConfig {
                    smtp: address(i),
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
        org.limits.max_streaming_connections = mailboxes.div_ceil(GROUP) + 1;
        // four mailbox servers: a group reaches its subscriptions only through its cookie
        org.faults.backends = 4;
        org.limits.record_max_exchanges = 10;
        let addr = format!("127.0.0.1:{port}").parse().unwrap();
        let _server = TestServer::start_on(addr, org, None).await.unwrap();
        println!("ready");
        tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
        })
        .await
        .unwrap();
    });
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
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
    let (mailboxes, changes) = (arg("--mailboxes", 1000), arg("--changes", 10_000));
    if let Some(port) = args
        .iter()
        .position(|a| a == "--serve")
        .map(|i| args[i + 1].parse().unwrap())
    {
        return serve(port, mailboxes);
    }
    let port = 20_000 + (std::process::id() % 20_000) as u16;
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--serve",
            &port.to_string(),
            "--mailboxes",
            &mailboxes.to_string(),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready");
    }
    let url = format!("http://127.0.0.1:{port}/EWS/Exchange.asmx");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = Client::builder(url)
            .credentials(Credentials::basic("svc", "pw"))
            .build()
            .unwrap();
        let before = ALLOC.current_usage();
        // subscribe every mailbox, each group in its affinity group
        let groups: Vec<AffinityGroup> = (0..mailboxes.div_ceil(GROUP)).map(|_| AffinityGroup::new()).collect();
        let opened: Vec<_> = (0..mailboxes)
            .map(|i| {
                client
                    .impersonate(ConnectingSid::smtp(address(i)))
                    .unwrap()
                    .with_affinity(&groups[i / GROUP])
                    .mailbox()
            })
            .collect();
        let started = Instant::now();
        // Microsoft's order: each group's first mailbox subscribes first (its answer sets the
        // group's cookie), then the rest of the group, 20 at a time
        let subscribe = |mb: ews_client::Mailbox| async move {
            mb.subscribe_streaming(
                &[t::DistinguishedFolderIdName::Calendar],
                &[t::NotificationEventType::CreatedEvent],
            )
            .await
        };
        let mut slots: Vec<Option<StreamingSubscription>> = vec![None; mailboxes];
        for g in 0..groups.len() {
            slots[g * GROUP] = Some(subscribe(opened[g * GROUP].clone()).await.expect("subscribed"));
        }
        let rest: Vec<usize> = (0..mailboxes).filter(|i| i % GROUP != 0).collect();
        let made = fan_out(
            rest.iter().map(|&i| opened[i].clone()).collect(),
            BulkOptions::default().concurrency(20),
            subscribe,
        )
        .await;
        for (&i, s) in rest.iter().zip(made) {
            slots[i] = Some(s.expect("subscribed"));
        }
        let subs: Vec<StreamingSubscription> = slots.into_iter().map(|s| s.expect("every mailbox")).collect();
        println!("{mailboxes} subscriptions in {:.2?}", started.elapsed());
        // one connection per group; every event's arrival time by item id
        let arrived: Arc<Mutex<HashMap<String, (Instant, usize)>>> = Arc::default();
        let mut readers = Vec::new();
        for (g, chunk) in subs.chunks(GROUP).enumerate() {
            let via = opened[g * GROUP].clone();
            let stream = via.stream_events(chunk.to_vec(), StreamOptions::default());
            let arrived = arrived.clone();
            readers.push(tokio::spawn(async move {
                let mut stream = Box::pin(stream);
                while let Some(item) = stream.next().await {
                    if let Ok(Streamed::Event { event, .. }) = item
                        && let Object::Item(id) = event.object
                    {
                        let mut a = arrived.lock().unwrap();
                        a.entry(id.id.to_string()).and_modify(|e| e.1 += 1).or_insert((Instant::now(), 1));
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(500)).await; // every connection open
        let held = ALLOC.current_usage().saturating_sub(before);
        // the other client
        let writer = Client::builder(format!("http://127.0.0.1:{port}/EWS/Exchange.asmx"))
            .credentials(Credentials::basic("svc", "pw"))
            .build()
            .unwrap();
        let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
        let jobs: Vec<usize> = (0..changes).collect();
        let started = Instant::now();
        futures_util::stream::iter(jobs)
            .for_each_concurrent(20, |n| {
                let (writer, sent) = (writer.clone(), sent.clone());
                async move {
                    let mb = writer.impersonate(ConnectingSid::smtp(address(n % mailboxes))).unwrap().mailbox();
                    let at = Instant::now();
                    let id = mb.create_appointment(appointment(format!("Change {n}"))).await.unwrap();
                    sent.lock().unwrap().insert(id.id.to_string(), at);
                }
            })
            .await;
        let writing = started.elapsed();
        // wait for the last events
        let deadline = Instant::now() + Duration::from_secs(60);
        while arrived.lock().unwrap().len() < changes && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let arrived = arrived.lock().unwrap().clone();
        let sent = sent.lock().unwrap().clone();
        let duplicates: usize = arrived.values().map(|(_, n)| n - 1).sum();
        let mut latencies: Vec<Duration> = sent
            .iter()
            .filter_map(|(id, at)| arrived.get(id).map(|(got, _)| got.saturating_duration_since(*at)))
            .collect();
        latencies.sort();
        println!(
            "{changes} changes made in {writing:.2?}; delivered {} of {changes}, {duplicates} duplicates",
            latencies.len()
        );
        println!(
            "latency from sending the change to its event: median {:.2?}, p99 {:.2?}, max {:.2?}",
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
            latencies.last().copied().unwrap_or_default()
        );
        println!(
            "client memory held with {mailboxes} watched mailboxes and {} connections: {:.1} KiB, {:.0} bytes per mailbox",
            readers.len(),
            held as f64 / 1024.0,
            held as f64 / mailboxes as f64
        );
        assert_eq!(latencies.len(), changes, "every change delivered");
        assert_eq!(duplicates, 0, "none twice");
        for r in readers {
            r.abort();
        }
    });
    drop(child.stdin.take());
    let _ = child.wait();
}
