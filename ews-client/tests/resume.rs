//! Idempotent, resumable bulk runs against ews-testserver: a run killed about halfway is
//! started again and every mailbox ends with exactly one appointment; a creation whose answer
//! was lost (outcome unknown) is resolved by looking up its key, never sent again.

mod support;

use std::sync::Arc;
use std::time::Duration;

use ews_client::bulk::BulkOptions;
use ews_client::once::{Checkpoint, FileCheckpoint};
use ews_client::{ConnectingSid, ErrorKind, RetryPolicy};
use ews_types::t::DistinguishedFolderIdName as Folder;
use support::{appointment, serve, stored};

fn org(n: usize) -> String {
    let mut toml: String = (0..n)
        .map(|i| format!("[[mailbox]]\nsmtp = \"user{i:02}@contoso.com\"\n"))
        .collect();
    toml.push_str("[[account]]\nuser = \"svc\"\npassword = \"svc-pw\"\nimpersonation = true\n");
    toml
}

fn jobs(n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            (
                format!("user{i:02}@contoso.com"),
                format!("lesson-2026-12-01/{i}"),
            )
        })
        .collect()
}

fn client(server: &ews_testserver::TestServer) -> ews_client::Client {
    ews_client::Client::builder(server.url())
        .credentials(ews_client::Credentials::basic("svc", "svc-pw"))
        .timeout(Duration::from_secs(2))
        .retry(RetryPolicy::default().jitter(0.0))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_lost_answer_is_resolved_by_its_key() {
    let server = serve(&org(1)).await;
    server
        .control()
        .lose_answers_for("user00@contoso.com", "CreateItem", 1);
    let c = client(&server);
    let mb = c
        .impersonate(ConnectingSid::smtp("user00@contoso.com"))
        .unwrap()
        .mailbox();
    // plain creation: the outcome is unknown, and it is reported so
    let e = mb
        .create_appointment(appointment("Plain", &[]))
        .await
        .unwrap_err();
    assert!(e.outcome_unknown() && e.kind() == ErrorKind::Timeout, "{e}");
    assert_eq!(
        stored(&server, "user00@contoso.com", Folder::Calendar).len(),
        1,
        "it happened"
    );

    // by key: the lost answer is resolved by a lookup, and nothing is sent twice
    server
        .control()
        .lose_answers_for("user00@contoso.com", "CreateItem", 1);
    let created = mb
        .create_appointment_once("k-1", appointment("Keyed", &[]))
        .await
        .unwrap();
    assert!(
        created.existed,
        "found by its key after the answer was lost"
    );
    let creates = server
        .control()
        .exchanges()
        .iter()
        .filter(|x| x.operation.as_deref() == Some("CreateItem"))
        .count();
    // both CreateItems went unanswered (unanswered requests are not in the record), and none
    // was sent again: had one been, it would be recorded with its answer
    assert_eq!(creates, 0, "no CreateItem was resent");
    assert_eq!(
        stored(&server, "user00@contoso.com", Folder::Calendar).len(),
        2
    );
    // again: found before anything is sent
    let again = mb
        .create_appointment_once("k-1", appointment("Keyed", &[]))
        .await
        .unwrap();
    assert_eq!((again.existed, again.id.id), (true, created.id.id));
    assert_eq!(
        stored(&server, "user00@contoso.com", Folder::Calendar).len(),
        2
    );
}

#[tokio::test]
async fn a_run_killed_halfway_resumes_and_every_mailbox_ends_with_one() {
    let n = 40;
    let server = serve(&org(n)).await;
    server.control().set_latency(Duration::from_millis(20));
    // two mailboxes lose their answer once: outcome unknown, resolved by key
    server
        .control()
        .lose_answers_for("user07@contoso.com", "CreateItem", 1);
    server
        .control()
        .lose_answers_for("user31@contoso.com", "CreateItem", 1);
    let c = client(&server);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.checkpoint");
    let jobs = jobs(n);
    let factory = |m: &str| appointment(&format!("Lesson for {m}"), &[]);

    // run 1, killed when about half are done
    let half = Arc::new(tokio::sync::Notify::new());
    {
        let checkpoint = FileCheckpoint::open(&path).unwrap();
        let signal = half.clone();
        let options = BulkOptions::default().concurrency(4).on_progress(move |p| {
            if p.done == n / 2 {
                signal.notify_one();
            }
        });
        let run = c.create_appointments_once(&jobs, factory, options, &checkpoint);
        tokio::select! {
            _ = run => panic!("the run should have been killed first"),
            _ = half.notified() => {}
        }
    }
    let recorded = FileCheckpoint::open(&path).unwrap();
    assert!(
        (n / 2..n).contains(&recorded.len()),
        "{} recorded",
        recorded.len()
    );

    // run 2, from the checkpoint
    let checkpoint = FileCheckpoint::open(&path).unwrap();
    let results = c
        .create_appointments_once(
            &jobs,
            factory,
            BulkOptions::default().concurrency(4),
            &checkpoint,
        )
        .await;
    assert_eq!(results.len(), n);
    for (i, (mailbox, key)) in jobs.iter().enumerate() {
        let created = results[i].as_ref().unwrap();
        let items = stored(&server, mailbox, Folder::Calendar);
        assert_eq!(items.len(), 1, "{mailbox}: exactly one appointment");
        assert_eq!(items[0].0.id, created.id.id);
        assert_eq!(
            checkpoint.get(key).map(|id| id.id),
            Some(created.id.id.clone())
        );
        if recorded.get(key).is_some() {
            assert!(created.existed, "{key} was skipped from the checkpoint");
        }
    }
    // the lost answers were resolved by key: existed, in one run or the other
    for lost in [7, 31] {
        let (_, key) = &jobs[lost];
        let created = results[lost].as_ref().unwrap();
        assert!(created.existed, "{key}");
    }
    let creates = server
        .control()
        .exchanges()
        .iter()
        .filter(|x| x.operation.as_deref() == Some("CreateItem") && x.status == 200)
        .count();
    assert!(
        creates <= n,
        "no appointment sent twice: {creates} answered CreateItems"
    );
}
