//! Bulk appointments by impersonation (seed 000): one result per mailbox in input order, the
//! concurrency bound under a slow server, partial failures, throttling mid-run, nothing lost or
//! duplicated.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ews_client::bulk::BulkOptions;
use ews_client::{ErrorKind, RetryPolicy};
use ews_types::m::ResponseCode;
use support::*;

/// A server that creates one item per request for the anchored mailbox, after `delay`;
/// `denied` mailboxes get ErrorImpersonateUserDenied, `busy_once` ones a ServerBusy fault first.
fn server(
    delay: Duration,
    denied: &'static [&'static str],
    busy_once: &'static [&'static str],
) -> (Arc<Script>, Arc<Mutex<HashMap<String, usize>>>) {
    let made: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let throttled: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = made.clone();
    let script = Script::func(delay, move |req| {
        let mailbox = req.headers["x-anchormailbox"].to_str().unwrap().to_owned();
        let body = String::from_utf8(req.body.to_vec()).unwrap();
        assert!(body.contains(&format!("<t:SmtpAddress>{mailbox}</t:SmtpAddress>")));
        if denied.contains(&mailbox.as_str()) {
            return Ok(xml_response(
                500,
                fault(
                    "ErrorImpersonateUserDenied",
                    "The account does not have permission to impersonate the requested user.",
                    &[],
                ),
            ));
        }
        if busy_once.contains(&mailbox.as_str()) {
            let mut t = throttled.lock().unwrap();
            if !t.contains(&mailbox) {
                t.push(mailbox);
                return Ok(xml_response(500, busy("2000")));
            }
        }
        *log.lock().unwrap().entry(mailbox.clone()).or_default() += 1;
        Ok(xml_response(200, created(&[&format!("id-{mailbox}")])))
    });
    (script, made)
}

fn mailboxes(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("user{i:03}@contoso.com")).collect()
}

#[tokio::test(start_paused = true)]
async fn bounded_concurrency_under_a_slow_server() {
    let (script, created) = server(Duration::from_millis(200), &[], &[]);
    let c = client(script.clone()).build().unwrap();
    let boxes = mailboxes(50);
    let start = tokio::time::Instant::now();
    let results = c
        .create_appointments(
            &boxes,
            |m| appointment(&format!("Tennis for {m}"), &[]),
            BulkOptions::default().concurrency(5),
        )
        .await;
    assert_eq!(script.max_in_flight.load(Ordering::SeqCst), 5);
    assert_eq!(
        tokio::time::Instant::now() - start,
        Duration::from_secs(2),
        "50 × 200 ms / 5"
    );
    for (m, r) in boxes.iter().zip(&results) {
        assert_eq!(r.as_ref().unwrap().id, format!("id-{m}"), "in input order");
    }
    assert_eq!(created.lock().unwrap().len(), 50);
    // No attendees: SendToNone.
    let body = body_text(&script.seen.lock().unwrap()[0].request);
    assert!(
        body.contains(r#"<m:CreateItem SendMeetingInvitations="SendToNone">"#),
        "{body}"
    );
    validate_request(&body);
}

#[tokio::test(start_paused = true)]
async fn partial_failures_and_throttling_lose_and_duplicate_nothing() {
    let (script, created) = server(
        Duration::from_millis(20),
        &["user003@contoso.com", "user011@contoso.com"],
        &[
            "user005@contoso.com",
            "user006@contoso.com",
            "user017@contoso.com",
        ],
    );
    let c = client(script.clone())
        .retry(RetryPolicy::default().jitter(0.0))
        .build()
        .unwrap();
    let boxes = mailboxes(20);
    let progress = Arc::new(AtomicUsize::new(0));
    let seen = progress.clone();
    let results = c
        .create_appointments(
            &boxes,
            |m| appointment(&format!("Review with {m}"), &["coach@contoso.com"]),
            BulkOptions::default().concurrency(4).on_progress(move |p| {
                assert_eq!(p.total, 20);
                seen.fetch_add(1, Ordering::SeqCst);
            }),
        )
        .await;
    assert_eq!(results.len(), 20);
    assert_eq!(progress.load(Ordering::SeqCst), 20);
    for (i, r) in results.iter().enumerate() {
        match i {
            3 | 11 => {
                let e = r.as_ref().unwrap_err();
                assert_eq!(
                    e.response_code(),
                    Some(&ResponseCode::ErrorImpersonateUserDenied)
                );
                assert!(!e.is_transient());
            }
            _ => assert_eq!(r.as_ref().unwrap().id, format!("id-{}", boxes[i])),
        }
    }
    let created = created.lock().unwrap();
    assert_eq!(created.len(), 18);
    assert!(
        created.values().all(|n| *n == 1),
        "no mailbox got two appointments: {created:?}"
    );
    // Invitations go out because the appointment has attendees.
    let body = body_text(&script.seen.lock().unwrap()[0].request);
    assert!(body.contains(r#"SendMeetingInvitations="SendToAllAndSaveCopy""#));
    validate_request(&body);
}

#[tokio::test]
async fn a_bad_mailbox_address_fails_alone() {
    let (script, _) = server(Duration::ZERO, &[], &[]);
    let c = client(script.clone()).build().unwrap();
    let boxes = vec![
        "ok@contoso.com".to_owned(),
        "bad\r\n@contoso.com".to_owned(),
        "ok2@contoso.com".to_owned(),
    ];
    let r = c
        .create_appointments(&boxes, |_| appointment("x", &[]), BulkOptions::default())
        .await;
    assert!(r[0].is_ok() && r[2].is_ok());
    assert_eq!(r[1].as_ref().unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(script.count(), 2);
}

/// An organisation of `n` mailboxes `user00@…`, a boss with an assistant, and a service account
/// that may impersonate.
fn org(n: usize) -> String {
    let mut toml = String::new();
    for i in 0..n {
        toml.push_str(&format!("[[mailbox]]\nsmtp = \"user{i:02}@contoso.com\"\n"));
    }
    toml.push_str(
        r#"
[[mailbox]]
smtp = "boss@contoso.com"
password = "boss-pw"
[[mailbox]]
smtp = "assistant@contoso.com"
password = "assistant-pw"
[[account]]
user = "svc"
password = "svc-pw"
impersonation = true
[[delegate]]
principal = "boss@contoso.com"
delegate = "assistant@contoso.com"
calendar = "Editor"
inbox = "Editor"
"#,
    );
    toml
}

#[tokio::test]
async fn a_throttled_mailbox_holds_up_nobody_else() {
    let server = serve(&org(20)).await;
    // user05 is told to wait 1.5 s once; the others are served at once
    server
        .control()
        .throttle_identity("user05@contoso.com", 1, Duration::from_millis(1500));
    let svc = login(&server, "svc", "svc-pw");
    let boxes: Vec<String> = (0..20).map(|i| format!("user{i:02}@contoso.com")).collect();
    let before_slow = Arc::new(AtomicUsize::new(usize::MAX));
    let seen = before_slow.clone();
    let throttle_events: Arc<Mutex<Vec<(String, usize, usize)>>> = Arc::default();
    let events = throttle_events.clone();
    let results = svc
        .create_appointments(
            &boxes,
            |m| appointment(&format!("Lesson for {m}"), &[]),
            BulkOptions::default().concurrency(4).on_progress(move |p| {
                if p.mailbox == Some("user05@contoso.com") {
                    seen.store(p.done - 1, Ordering::SeqCst);
                }
                if p.throttles > 0 || p.recovered > 0 {
                    let m = p.mailbox.unwrap_or_default().to_owned();
                    events.lock().unwrap().push((m, p.throttles, p.recovered));
                }
                assert!(p.eta.is_some() && p.done <= p.total);
            }),
        )
        .await;
    // one result per mailbox, in input order, each created once
    for (i, r) in results.iter().enumerate() {
        let id = r.as_ref().unwrap();
        let stored = stored(
            &server,
            &boxes[i],
            ews_types::t::DistinguishedFolderIdName::Calendar,
        );
        assert_eq!(stored.len(), 1, "{}", boxes[i]);
        assert_eq!(stored[0].0.id, id.id);
    }
    // the other 19 finished while user05 waited (an in-order buffer of 4, the helper before,
    // finished 8: user00–04 and the three after user05, then stalled)
    assert_eq!(before_slow.load(Ordering::SeqCst), 19);
    // user05 is the one that was throttled once and recovered, the last to finish
    assert_eq!(
        *throttle_events.lock().unwrap(),
        [("user05@contoso.com".to_owned(), 1, 1)]
    );
}

#[tokio::test]
async fn fan_out_runs_one_task_in_every_access_mode() {
    use ews_client::bulk::fan_out;
    use ews_client::{ConnectingSid, query::Query};
    use ews_types::t::DistinguishedFolderIdName as Folder;
    let server = serve(&org(2)).await;
    let svc = login(&server, "svc", "svc-pw");
    let assistant = login(&server, "assistant@contoso.com", "assistant-pw");
    let mailboxes = vec![
        svc.impersonate(ConnectingSid::smtp("user00@contoso.com"))
            .unwrap()
            .mailbox(),
        assistant.delegate_to("boss@contoso.com").unwrap(),
        assistant.my_mailbox(),
        svc.impersonate(ConnectingSid::smtp("user01@contoso.com"))
            .unwrap()
            .mailbox(),
    ];
    let out = fan_out(mailboxes, BulkOptions::default(), |mb| async move {
        let subject = format!("Note in {}", mb.address().unwrap_or("my own"));
        mb.save_draft(ews_types::t::Message::default().with_subject(subject.as_str()))
            .await?;
        let drafts = mb.find_all(Folder::Drafts, Query::new()).await?;
        Ok(drafts
            .iter()
            .filter_map(|d| d.as_item().subject().clone())
            .collect::<Vec<_>>())
    })
    .await;
    assert_eq!(out.len(), 4);
    assert_eq!(out[0].as_ref().unwrap(), &["Note in user00@contoso.com"]);
    // the assistant is the boss's delegate for the calendar and the inbox, not the drafts: that
    // slot holds the error, named as a missing delegate right, and the others are unaffected
    let denied = out[1].as_ref().unwrap_err();
    assert!(denied.delegation_problem().is_some(), "{denied}");
    assert_eq!(out[2].as_ref().unwrap(), &["Note in my own"]);
    assert_eq!(out[3].as_ref().unwrap(), &["Note in user01@contoso.com"]);
}
