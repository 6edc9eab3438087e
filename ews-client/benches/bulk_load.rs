//! 1,000 appointments into 1,000 mailboxes by impersonation with the bulk helper, against the
//! local EWS server with 20 ms of added latency and a concurrency limit of 10 (per identity on
//! the server; 10 mailboxes at a time in the client). Ideal: 1,000 × 20 ms / 10 = 2 s.
//!
//! `cargo bench -p ews-client --bench bulk_load` (options: `-- --mailboxes N --rounds R`).

use std::time::{Duration, Instant};

use ews_client::bulk::BulkOptions;
use ews_client::{Client, Credentials};
use ews_testserver::config::{AccountConfig, MailboxConfig};
use ews_testserver::{Org, TestServer};
use ews_types::{runtime, t};

fn appointment(subject: &str) -> t::CalendarItem {
    use runtime::XmlValue;
    t::CalendarItem {
        subject: Some(subject.into()),
        start: Some(runtime::DateTime::from_text("2026-12-01T09:00:00Z").unwrap()),
        end: Some(runtime::DateTime::from_text("2026-12-01T10:00:00Z").unwrap()),
        ..Default::default()
    }
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
    let n = arg("--mailboxes", 1000);
    let rounds = arg("--rounds", 3);
    let latency = Duration::from_millis(20);
    let concurrency = 10;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let mailboxes: Vec<String> = (0..n).map(|i| format!("user{i:04}@contoso.com")).collect();
        let ideal = latency * (n as u32) / (concurrency as u32);
        println!("{n} appointments into {n} mailboxes, {latency:?} latency, concurrency {concurrency}; ideal {ideal:?}");
        let mut times = Vec::new();
        for round in 0..rounds {
            let org = Org {
                mailboxes: mailboxes
                    .iter()
                    .map(|m| MailboxConfig { smtp: m.clone(), ..Default::default() })
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
            server.control().set_latency(latency);
            server.control().set_concurrency_limit(concurrency);
            let client = Client::builder(server.url())
                .credentials(Credentials::basic("svc", "pw"))
                .build()
                .unwrap();
            let start = Instant::now();
            let results = client
                .create_appointments(&mailboxes, |m| appointment(&format!("Lesson for {m}")), BulkOptions::default().concurrency(concurrency))
                .await;
            let elapsed = start.elapsed();
            let ok = results.iter().filter(|r| r.is_ok()).count();
            let stored: usize = server.with_store(|s| {
                s.mailboxes.iter().map(|m| m.folder(t::DistinguishedFolderIdName::Calendar).items.len()).sum()
            });
            assert_eq!(ok, n, "every appointment created");
            assert_eq!(stored, n, "every appointment stored exactly once");
            println!("round {round}: {elapsed:?} ({:.3}× ideal), {ok}/{n} ok, {stored} stored", elapsed.as_secs_f64() / ideal.as_secs_f64());
            times.push(elapsed);
        }
        times.sort();
        let median = times[times.len() / 2];
        println!("median {median:?} = {:.3}× the ideal {ideal:?}", median.as_secs_f64() / ideal.as_secs_f64());
    });
}
