//! Secrets never reach trace logs (ews-reliability.md (b) 35 and 37). Alone in its test
//! binary: tracing caches per-callsite interest process-wide, so a thread-local subscriber is
//! only reliable when no other test runs beside it.

mod support;

use std::sync::{Arc, Mutex};

use ews_client::{Client, Credentials, RetryPolicy};
use support::*;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A `MakeWriter` that appends to a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn s35_s37_secrets_never_reach_debug_errors_or_trace_logs() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", "Bearer realm=\"s3cr3t-realm\"")
                .insert_header("set-cookie", "X-BackEndOverrideCookie=c00kie-value")
                .insert_header("request-id", "5c1f6a0e-req")
                .set_body_string("denied"),
        )
        .mount(&server)
        .await;
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let token = "eyJ0eXAiOiJKV1Qi.super-secret-token";
    for creds in [
        Credentials::bearer(token),
        Credentials::basic("svc", "hunter2-password"),
    ] {
        let c = Client::builder(format!("{}/EWS/Exchange.asmx", server.uri()))
            .credentials(creds.clone())
            .log_bodies(true)
            .retry(RetryPolicy::none())
            .build()
            .unwrap();
        let e = c.send(&get_item(1)).await.unwrap_err();
        assert_eq!(e.status(), Some(401));
        for text in [
            format!("{c:?}"),
            format!("{creds:?}"),
            e.to_string(),
            format!("{e:?}"),
        ] {
            assert!(
                !text.contains("super-secret") && !text.contains("hunter2"),
                "{text}"
            );
        }
    }
    drop(_guard);
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("GetItem"), "the capture works: {logs}");
    assert!(
        logs.contains("<m:GetItem"),
        "request bodies are logged at TRACE"
    );
    for secret in [
        "super-secret",
        "hunter2",
        "c3ZjOmh1bnRlcjI",
        "c00kie-value",
        "s3cr3t-realm",
    ] {
        assert!(!logs.contains(secret), "{secret} leaked into the log");
    }
    assert!(logs.contains("authorization: [redacted]"), "{logs}");
    // Each call runs in a span naming the operation and both request ids.
    assert!(logs.contains("ews{operation=\"GetItem\""), "{logs}");
    assert!(logs.contains("client_request_id="), "{logs}");
    assert!(logs.contains("request_id=\"5c1f6a0e-req\""), "{logs}");
}
