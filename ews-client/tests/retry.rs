//! Retries, throttling and concurrency, on tokio's paused clock with an in-process transport,
//! so every wait is checked exactly. Scenarios from ews-reliability.md (b) are named `sNN`.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ews_client::{
    AccessToken, BoxFuture, Credentials, ErrorKind, RetryPolicy, TokenProvider, TransportError,
};
use ews_types::m::ResponseCode;
use support::*;
use tokio::time::Instant;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn gaps(times: &[Instant]) -> Vec<Duration> {
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

fn no_jitter() -> RetryPolicy {
    RetryPolicy::default().jitter(0.0)
}

#[tokio::test(start_paused = true)]
async fn s18_back_off_values_are_clamped() {
    let cases: [(Option<&str>, Duration); 6] = [
        (Some("297749"), Duration::from_millis(297_749)),
        (None, secs(2)),      // no hint: the doubling schedule
        (Some("0"), secs(1)), // floor
        (Some("-5"), secs(1)),
        (Some("abc"), secs(2)),                   // not a number: no hint
        (Some("9223372036854775808"), secs(300)), // cap
    ];
    for (hint, expected) in cases {
        let first = match hint {
            Some(h) => busy(h),
            None => fault("ErrorServerBusy", "busy", &[]),
        };
        let script = Script::new([
            Ok(xml_response(500, first)),
            Ok(xml_response(200, get_item_ok(1))),
        ]);
        let c = client(script.clone())
            .retry(no_jitter().deadline(secs(1000)))
            .build()
            .unwrap();
        c.send(&get_item(1)).await.unwrap();
        assert_eq!(gaps(&script.times()), vec![expected], "hint {hint:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn jitter_adds_at_most_the_fraction() {
    let script = Script::new([
        Ok(xml_response(500, busy("10000"))),
        Ok(xml_response(200, get_item_ok(1))),
    ]);
    let c = client(script.clone())
        .retry(RetryPolicy::default().jitter(0.2))
        .build()
        .unwrap();
    c.send(&get_item(1)).await.unwrap();
    let g = gaps(&script.times())[0];
    assert!(g >= secs(10) && g <= secs(12), "{g:?}");
}

#[tokio::test(start_paused = true)]
async fn s19_a_503_storm_stops_at_the_deadline() {
    // With Retry-After: 3 s each, a 60 s deadline allows at most 21 requests.
    let with_header = Script::func(Duration::ZERO, |_| {
        let mut r = plain_response(503, "text/html", "Service Unavailable");
        r.headers.insert("retry-after", "3".parse().unwrap());
        Ok(r)
    });
    let start = Instant::now();
    let c = client(with_header.clone())
        .retry(no_jitter().deadline(secs(60)).max_attempts(100))
        .build()
        .unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Throttled);
    assert!(e.is_throttled() && e.retry_after().is_some());
    assert!(with_header.count() <= 21, "{}", with_header.count());
    assert_eq!(with_header.count(), 21, "at 0, 3, …, 60 s");
    assert!(Instant::now() - start <= secs(60));
    assert!(gaps(&with_header.times()).iter().all(|g| *g == secs(3)));

    // Without Retry-After: 2, 4, 8, 16 s; the next (32 s) would pass 60 s.
    let bare = Script::func(Duration::ZERO, |_| {
        Ok(plain_response(503, "text/html", "Service Unavailable"))
    });
    let c = client(bare.clone())
        .retry(no_jitter().deadline(secs(60)).max_attempts(100))
        .build()
        .unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Throttled);
    assert_eq!(
        gaps(&bare.times()),
        vec![secs(2), secs(4), secs(8), secs(16)]
    );
}

#[tokio::test(start_paused = true)]
async fn a_hint_past_the_deadline_fails_at_once() {
    let script = Script::new([Ok(xml_response(500, busy("600000")))]);
    let c = client(script.clone())
        .retry(no_jitter().deadline(secs(60)).cap(secs(900)))
        .build()
        .unwrap();
    let start = Instant::now();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Throttled);
    assert_eq!(e.retry_after(), Some(secs(600)));
    assert_eq!(Instant::now(), start, "no sleep");
    assert_eq!(script.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn s20_a_throttle_pauses_every_request_of_the_identity() {
    let first = AtomicUsize::new(0);
    let script = Script::func(Duration::ZERO, move |_| {
        if first.fetch_add(1, Ordering::SeqCst) == 0 {
            Ok(xml_response(500, busy("10000")))
        } else {
            Ok(xml_response(200, get_item_ok(1)))
        }
    });
    let c = client(script.clone()).retry(no_jitter()).build().unwrap();
    let t0 = Instant::now();
    let lead = tokio::spawn({
        let c = c.clone();
        async move { c.send(&get_item(1)).await }
    });
    while script.count() == 0 {
        tokio::task::yield_now().await;
    }
    let others: Vec<_> = (0..20)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.send(&get_item(1)).await })
        })
        .collect();
    lead.await.unwrap().unwrap();
    for o in others {
        o.await.unwrap().unwrap();
    }
    let times = script.times();
    assert_eq!(times.len(), 22);
    assert!(
        times[1..].iter().all(|t| *t - t0 >= secs(10)),
        "every request of the identity waited for the shared pause"
    );

    // Another client (another identity) is not paused by this one's throttle.
    let other = Script::new([Ok(xml_response(200, get_item_ok(1)))]);
    let c2 = client(other.clone()).build().unwrap();
    c.send(&get_item(1)).await.unwrap();
    let t1 = Instant::now();
    c2.send(&get_item(1)).await.unwrap();
    assert_eq!(other.times()[0], t1);
}

#[tokio::test(start_paused = true)]
async fn s21_concurrency_is_bounded_per_identity() {
    let script = Script::func(Duration::from_millis(100), |_| {
        Ok(xml_response(200, get_item_ok(1)))
    });
    let c = client(script.clone()).concurrency(27).build().unwrap();
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.send(&get_item(1)).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(script.max_in_flight.load(Ordering::SeqCst), 27);
    assert_eq!(script.count(), 40);
}

#[tokio::test(start_paused = true)]
async fn s21_the_limit_shrinks_on_exceeded_connection_count() {
    let n = AtomicUsize::new(0);
    let script = Script::func(Duration::from_millis(50), move |_| {
        if n.fetch_add(1, Ordering::SeqCst) < 3 {
            Ok(xml_response(
                500,
                fault("ErrorExceededConnectionCount", "too many", &[]),
            ))
        } else {
            Ok(xml_response(200, get_item_ok(1)))
        }
    });
    let c = client(script.clone()).retry(no_jitter()).build().unwrap();
    assert_eq!(c.concurrency_limit(), 10);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.send(&get_item(1)).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(c.concurrency_limit(), 7);
    assert_eq!(script.count(), 23, "each refused call was retried once");
}

#[tokio::test(start_paused = true)]
async fn s27_writes_that_fail_after_sending_are_outcome_unknown() {
    let timeout = || Err(TransportError::new(ErrorKind::Timeout, true, "timed out"));
    // A write: not retried, outcome unknown.
    let script = Script::new([
        timeout(),
        Ok(xml_response(
            200,
            items_response("DeleteItem", &[("Success", "NoError")]),
        )),
    ]);
    let c = client(script.clone()).build().unwrap();
    let e = c.send(&delete_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(e.outcome_unknown());
    assert_eq!(script.count(), 1);
    // A read: retried.
    let script = Script::new([timeout(), Ok(xml_response(200, get_item_ok(1)))]);
    let c = client(script.clone()).build().unwrap();
    c.send(&get_item(1)).await.unwrap();
    assert_eq!(script.count(), 2);
    // A write that never left (connection refused): retried.
    let script = Script::new([
        Err(TransportError::new(ErrorKind::Connect, false, "refused")),
        Ok(xml_response(
            200,
            items_response("DeleteItem", &[("Success", "NoError")]),
        )),
    ]);
    let c = client(script.clone()).build().unwrap();
    c.send(&delete_item(1)).await.unwrap();
    assert_eq!(script.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn throttled_batches_that_processed_nothing_are_resent() {
    let mut msgs = vec![("Warning", "ErrorBatchProcessingStopped"); 3];
    msgs[0] = ("Error", "ErrorServerBusy");
    let script = Script::new([
        Ok(xml_response(200, items_response("DeleteItem", &msgs))),
        Ok(xml_response(
            200,
            items_response("DeleteItem", &[("Success", "NoError"); 3]),
        )),
    ]);
    let c = client(script.clone()).build().unwrap();
    let r = c.send_batch(&delete_item(3), 3).await.unwrap();
    assert!(r.iter().all(Result::is_ok));
    assert_eq!(script.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn inner_server_busy_is_throttling() {
    let f = fault(
        "ErrorInternalServerError",
        "An internal server error occurred.",
        &[
            ("InnerErrorResponseCode", "ErrorServerBusy"),
            ("BackOffMilliseconds", "4000"),
        ],
    );
    let script = Script::new([
        Ok(xml_response(500, f)),
        Ok(xml_response(200, get_item_ok(1))),
    ]);
    let c = client(script.clone()).retry(no_jitter()).build().unwrap();
    c.send(&get_item(1)).await.unwrap();
    assert_eq!(gaps(&script.times()), vec![secs(4)]);
}

#[tokio::test(start_paused = true)]
async fn final_errors_are_not_retried() {
    for code in [
        "ErrorMailboxMoveInProgress",
        "ErrorItemNotFound",
        "ErrorImpersonateUserDenied",
    ] {
        let script = Script::new([Ok(xml_response(500, fault(code, "no", &[])))]);
        let c = client(script.clone()).build().unwrap();
        let e = c.send(&get_item(1)).await.unwrap_err();
        assert_eq!(script.count(), 1, "{code}");
        assert_eq!(e.kind(), ErrorKind::Fault);
    }
}

#[tokio::test(start_paused = true)]
async fn transient_pages_are_retried_a_bounded_number_of_times() {
    let script = Script::func(Duration::ZERO, |_| {
        Ok(plain_response(
            500,
            "text/html",
            "<h1>Server Error in '/EWS' Application.</h1>",
        ))
    });
    let c = client(script.clone())
        .retry(no_jitter().max_attempts(3).deadline(secs(3600)))
        .build()
        .unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Http);
    assert_eq!(e.status(), Some(500));
    assert!(e.to_string().contains("Server Error"), "{e}");
    assert_eq!(script.count(), 3);

    let mut page = plain_response(302, "text/html", "");
    page.headers.insert(
        "location",
        "/ews/genericerrorpage.htm?aspxerrorpath=/EWS/Exchange.asmx"
            .parse()
            .unwrap(),
    );
    let script = Script::new([Ok(page), Ok(xml_response(200, get_item_ok(1)))]);
    let c = client(script.clone()).build().unwrap();
    c.send(&get_item(1)).await.unwrap();
    assert_eq!(script.count(), 2);
}

#[derive(Debug, Default)]
struct Counting {
    calls: AtomicUsize,
    refreshes: AtomicUsize,
}

impl TokenProvider for Counting {
    fn token(&self, refresh: bool) -> BoxFuture<'_, Result<AccessToken, ews_client::Error>> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if refresh {
                self.refreshes.fetch_add(1, Ordering::SeqCst);
            }
            let n = self.refreshes.load(Ordering::SeqCst);
            Ok(AccessToken::new(format!("token-{n}"), None))
        })
    }
}

#[tokio::test(start_paused = true)]
async fn a_401_refreshes_the_token_once() {
    let provider = Arc::new(Counting::default());
    #[derive(Debug)]
    struct Shared(Arc<Counting>);
    impl TokenProvider for Shared {
        fn token(&self, refresh: bool) -> BoxFuture<'_, Result<AccessToken, ews_client::Error>> {
            self.0.token(refresh)
        }
    }
    let script = Script::new([
        Ok(plain_response(401, "text/plain", "expired")),
        Ok(xml_response(200, get_item_ok(1))),
    ]);
    let c = client(script.clone())
        .credentials(Credentials::token_provider(Shared(provider.clone())))
        .build()
        .unwrap();
    c.send(&get_item(1)).await.unwrap();
    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen[0].request.headers["authorization"], "Bearer token-0");
    assert_eq!(seen[1].request.headers["authorization"], "Bearer token-1");
    assert_eq!(provider.refreshes.load(Ordering::SeqCst), 1);

    // Two 401s in a row: one refresh, then the error.
    let script = Script::new([
        Ok(plain_response(401, "text/plain", "no")),
        Ok(plain_response(401, "text/plain", "no")),
        Ok(xml_response(200, get_item_ok(1))),
    ]);
    let c = client(script.clone())
        .credentials(Credentials::token_provider(Shared(provider.clone())))
        .build()
        .unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert_eq!(script.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn s30_dropping_a_call_releases_its_slot() {
    let script = Script::func(secs(10), |_| Ok(xml_response(200, get_item_ok(1))));
    let c = client(script.clone()).concurrency(1).build().unwrap();
    let r = tokio::time::timeout(secs(1), c.send(&get_item(1))).await;
    assert!(r.is_err(), "the caller gave up");
    // The single slot is free again: the next call runs at once.
    let start = Instant::now();
    c.send(&get_item(1)).await.unwrap();
    assert_eq!(Instant::now() - start, secs(10));
    assert_eq!(script.count(), 2);
}

#[tokio::test]
async fn responses_answered_by_the_server_are_unknown_for_writes_when_unreadable() {
    let script = Script::new([Ok(xml_response(
        200,
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>",
    ))]);
    let c = client(script).build().unwrap();
    let e = c.send(&delete_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MalformedResponse);
    assert!(e.outcome_unknown());
    let _ = ResponseCode::NoError;
}
