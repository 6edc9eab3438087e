//! The client's hardening claims, proven over real sockets on 127.0.0.1 (tests that fail if
//! the behaviour breaks):
//! - the default 64 MiB response cap, against an endless body, a lying `Content-Length` and a
//!   gzip bomb, with the allocation it takes measured (a counting global allocator);
//! - redirects refused where the caller supplies its own `reqwest::Client`, and NTLM refused
//!   there;
//! - `Error`'s `Debug` and `Display` never show redirect tokens, cookies or realms;
//! - a connection that timed out is never used again;
//! - every character XML 1.0 forbids, in every string the client writes, refused before
//!   anything is sent.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ews_client::{Client, ConnectingSid, Credentials, ErrorKind, RetryPolicy, t};
use support::{answering, endless_chunks, get_item, get_item_ok, head, raw_server, read_request};
use tokio::io::AsyncWriteExt;

/// Counts the bytes allocated now and the most at any time.
#[global_allocator]
static ALLOC: peak_alloc::PeakAlloc = peak_alloc::PeakAlloc;

/// The measured tests run one at a time, so each sees only its own allocations.
static MEASURE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs `f` and returns its output with the most it allocated above what was allocated before.
async fn peak_of<T>(f: impl std::future::Future<Output = T>) -> (T, usize) {
    let before = ALLOC.current_usage();
    ALLOC.reset_peak_usage();
    let out = f.await;
    let peak = ALLOC.peak_usage().saturating_sub(before);
    eprintln!("peak allocation: {} KiB", peak >> 10);
    (out, peak)
}

const MIB: usize = 1 << 20;
/// What reading up to the cap may cost beyond the cap itself: a chunk in flight, the
/// decoder's window, the runtime.
const SLACK: usize = 16 * MIB;

fn no_retry(url: String) -> ews_client::ClientBuilder {
    Client::builder(url).retry(RetryPolicy::none())
}

#[tokio::test]
async fn the_default_cap_stops_an_endless_body_within_bounded_memory() {
    let _one = MEASURE.lock().await;
    assert_eq!(ews_client::DEFAULT_MAX_BODY, 64 * MIB);
    let url = endless_chunks(1 << 16).await;
    let c = no_retry(url).build().unwrap();
    let (e, peak) = peak_of(c.send(&get_item(1))).await;
    let e = e.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BodyTooLarge, "{e}");
    assert!(
        peak <= 64 * MIB + SLACK,
        "reading to the default cap allocated {} MiB",
        peak / MIB
    );
}

#[tokio::test]
async fn one_byte_chunks_cost_no_more_than_large_ones() {
    let _one = MEASURE.lock().await;
    let url = endless_chunks(1).await;
    let cap = 2 * MIB;
    let c = no_retry(url).max_response_bytes(cap).build().unwrap();
    let (e, peak) = peak_of(c.send(&get_item(1))).await;
    assert_eq!(e.unwrap_err().kind(), ErrorKind::BodyTooLarge);
    assert!(
        peak <= 2 * cap,
        "{} KiB for a {} KiB cap in one-byte chunks",
        peak >> 10,
        cap >> 10
    );
}

#[tokio::test]
async fn a_lying_content_length_is_a_clean_error() {
    let _one = MEASURE.lock().await;
    // declares more than the cap: refused before a byte of the body is read
    let (url, _) = raw_server(|mut sock| async move {
        let h = head(
            "200 OK",
            &[
                ("content-type", "text/xml".into()),
                ("content-length", (1u64 << 40).to_string()),
            ],
        );
        let _ = sock.write_all(h.as_bytes()).await;
        let _ = sock.write_all(get_item_ok(1).as_bytes()).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let c = no_retry(url).build().unwrap();
    let (e, peak) = peak_of(c.send(&get_item(1))).await;
    assert_eq!(e.unwrap_err().kind(), ErrorKind::BodyTooLarge);
    assert!(peak < SLACK, "nothing of the declared TiB was reserved");

    // declares 100 bytes and sends megabytes: the 100 bytes are no answer
    let (url, _) = raw_server(|mut sock| async move {
        let h = head(
            "200 OK",
            &[
                ("content-type", "text/xml".into()),
                ("content-length", "100".into()),
            ],
        );
        let _ = sock.write_all(h.as_bytes()).await;
        let junk = get_item_ok(1).repeat(200);
        let _ = sock.write_all(junk.as_bytes()).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let c = no_retry(url).build().unwrap();
    let e = tokio::time::timeout(Duration::from_secs(10), c.send(&get_item(1)))
        .await
        .expect("no hang")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MalformedResponse, "{e}");

    // declares a megabyte, sends a kilobyte and closes: truncated, the write's outcome unknown
    let (url, _) = raw_server(|mut sock| async move {
        let h = head(
            "200 OK",
            &[
                ("content-type", "text/xml".into()),
                ("content-length", MIB.to_string()),
            ],
        );
        let _ = sock.write_all(h.as_bytes()).await;
        let _ = sock.write_all(&[b' '; 1024]).await;
    })
    .await;
    let c = no_retry(url).build().unwrap();
    let e = c.send(&support::delete_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(
        e.outcome_unknown(),
        "the delete was sent; its outcome is unknown"
    );
}

fn gzip_spaces(n: usize) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let block = vec![b' '; MIB];
    for _ in 0..n / MIB {
        enc.write_all(&block).unwrap();
    }
    enc.finish().unwrap()
}

#[tokio::test]
async fn a_gzip_bomb_stops_at_the_default_cap_within_bounded_memory() {
    let _one = MEASURE.lock().await;
    let bomb = gzip_spaces(96 * MIB);
    assert!(bomb.len() < 2 * MIB, "{} bytes on the wire", bomb.len());
    let (url, _) = answering(
        "200 OK",
        vec![
            ("content-type", "text/xml".into()),
            ("content-encoding", "gzip".into()),
        ],
        bomb,
    )
    .await;
    let c = no_retry(url).build().unwrap();
    let (e, peak) = peak_of(c.send(&get_item(1))).await;
    assert_eq!(e.unwrap_err().kind(), ErrorKind::BodyTooLarge);
    assert!(
        peak <= 64 * MIB + SLACK,
        "decompressing to the default cap allocated {} MiB",
        peak / MIB
    );
}

/// A server that answers every request with `307` to `location`.
async fn redirecting(location: String) -> String {
    answering("307 Temporary Redirect", vec![("location", location)], "")
        .await
        .0
}

#[tokio::test]
async fn a_callers_reqwest_client_that_follows_a_redirect_gets_an_error_without_the_token() {
    let (target, hits) = answering(
        "200 OK",
        vec![("content-type", "text/xml".into())],
        get_item_ok(1),
    )
    .await;
    let url = redirecting(format!("{target}?access_token=s3cr3t-t0ken")).await;
    // reqwest's default policy follows up to ten redirects
    let c = no_retry(url)
        .reqwest_client(reqwest::Client::new())
        .build()
        .unwrap();
    let e = c.send(&support::delete_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Redirect, "{e}");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "the caller's client did follow it"
    );
    assert!(
        e.outcome_unknown(),
        "a followed write may have happened: unknown, not failed"
    );
    for shown in [e.to_string(), format!("{e:?}")] {
        assert!(!shown.contains("s3cr3t-t0ken"), "{shown}");
    }

    // NTLM needs connections of its own: refused with a caller's client
    let e = Client::builder("https://ews.test/EWS/Exchange.asmx")
        .credentials(Credentials::ntlm("CONTOSO\\svc", "pw"))
        .reqwest_client(reqwest::Client::new())
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
}

#[tokio::test]
async fn errors_never_show_cookies_or_realms() {
    let (url, _) = answering(
        "401 Unauthorized",
        vec![
            ("www-authenticate", "Basic realm=\"s3cr3t-realm\"".into()),
            ("set-cookie", "X-BackEndCookie=c00kie-value; path=/".into()),
        ],
        "",
    )
    .await;
    let c = no_retry(url)
        .credentials(Credentials::basic("svc", "pw"))
        .build()
        .unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    let (url, _) = answering(
        "503 Service Unavailable",
        vec![("set-cookie", "X-BackEndOverrideCookie=c00kie-value".into())],
        "<html>busy</html>",
    )
    .await;
    let c = no_retry(url).build().unwrap();
    let e2 = c.send(&get_item(1)).await.unwrap_err();
    for shown in [
        e.to_string(),
        format!("{e:?}"),
        e2.to_string(),
        format!("{e2:?}"),
    ] {
        assert!(!shown.contains("s3cr3t-realm"), "{shown}");
        assert!(!shown.contains("c00kie-value"), "{shown}");
        assert!(!shown.contains("pw"), "{shown}");
    }
}

#[tokio::test]
async fn a_connection_that_timed_out_is_never_used_again() {
    // a keep-alive server: its first connection never answers; the others answer every request
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/EWS/Exchange.asmx",
        listener.local_addr().unwrap()
    );
    let connections = Arc::new(AtomicUsize::new(0));
    let on_first = Arc::new(AtomicUsize::new(0));
    let (c2, f2) = (connections.clone(), on_first.clone());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let n = c2.fetch_add(1, Ordering::SeqCst);
            let f2 = f2.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                while read_request(&mut sock, &mut buf).await.is_some() {
                    if n == 0 {
                        f2.fetch_add(1, Ordering::SeqCst);
                        continue; // never answers
                    }
                    let body = get_item_ok(1);
                    let h = head(
                        "200 OK",
                        &[
                            ("content-type", "text/xml".into()),
                            ("content-length", body.len().to_string()),
                        ],
                    );
                    if sock.write_all(h.as_bytes()).await.is_err()
                        || sock.write_all(body.as_bytes()).await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    let c = no_retry(url)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    for _ in 0..3 {
        c.send(&get_item(1))
            .await
            .expect("answered on a new connection");
    }
    assert_eq!(
        on_first.load(Ordering::SeqCst),
        1,
        "nothing more went to the stalled connection"
    );
    assert_eq!(
        connections.load(Ordering::SeqCst),
        2,
        "one new connection, then kept alive"
    );
}

/// Every character XML 1.0 forbids that a Rust `String` can hold.
fn forbidden() -> Vec<char> {
    let mut out: Vec<char> = (0u32..0x20)
        .filter(|c| ![0x9, 0xA, 0xD].contains(c))
        .filter_map(char::from_u32)
        .collect();
    out.extend(['\u{FFFE}', '\u{FFFF}']);
    out
}

#[tokio::test]
async fn every_forbidden_character_in_every_written_string_is_refused_before_sending() {
    use ews_client::edits::Changes;
    use ews_client::query::{Field, Query};
    use ews_client::t::{DistinguishedFolderIdName as Folder, UnindexedFieldURI as F};
    use futures_util::TryStreamExt;

    let script = support::Script::new([]);
    let client = support::client(script.clone())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let me = client.my_mailbox();
    let id = t::ItemId::new("AAA=");
    let chars = forbidden();
    assert_eq!(chars.len(), 31);
    for ch in chars {
        let bad = format!("a{ch}b");
        let outcomes: Vec<(&str, Result<(), ews_client::Error>)> = vec![
            (
                "subject",
                me.create_appointment(t::CalendarItem::default().with_subject(bad.as_str()))
                    .await
                    .map(drop),
            ),
            (
                "body",
                me.save_draft(
                    t::Message::default().with_body(t::Body::new(t::BodyType::Text, bad.as_str())),
                )
                .await
                .map(drop),
            ),
            (
                "attendee",
                me.create_appointment(t::CalendarItem {
                    required_attendees: ews_client::attendees([format!("x{ch}@contoso.com")]),
                    ..Default::default()
                })
                .await
                .map(drop),
            ),
            (
                "impersonated address",
                client
                    .impersonate(ConnectingSid::smtp(format!("x{ch}@contoso.com")))
                    .map(drop),
            ),
            (
                "principal",
                client.delegate_to(&format!("x{ch}@contoso.com")).map(drop),
            ),
            (
                "change",
                me.update(&id, Changes::message().subject(bad.as_str()))
                    .await
                    .map(drop),
            ),
            (
                "filter constant",
                me.find(
                    Folder::Inbox,
                    Query::new().filter(Field::from(F::ItemSubject).eq(bad.as_str())),
                )
                .try_collect::<Vec<_>>()
                .await
                .map(drop),
            ),
            (
                "attachment name",
                me.attach_file(&id, &bad, "text/plain", vec![1])
                    .await
                    .map(drop),
            ),
            (
                "item id",
                me.get(&t::ItemId::new(bad.as_str())).await.map(drop),
            ),
        ];
        for (what, outcome) in outcomes {
            let e = outcome.expect_err(what);
            assert_eq!(
                e.kind(),
                ErrorKind::InvalidInput,
                "U+{:04X} in the {what}: {e}",
                ch as u32
            );
        }
    }
    assert_eq!(script.count(), 0, "nothing was sent");
}
