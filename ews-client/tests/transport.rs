//! The HTTP layer over real sockets on 127.0.0.1: redirects, timeouts, resets, truncation,
//! size caps and gzip. Scenarios from ews-reliability.md (b) are named `sNN`.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use ews_client::{Client, ErrorKind, RetryPolicy};
use support::*;
use tokio::io::AsyncWriteExt;

fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .floor(Duration::from_millis(1))
        .base(Duration::from_millis(1))
        .jitter(0.0)
        .max_attempts(3)
}

#[tokio::test]
async fn s25_redirects_are_not_followed() {
    use wiremock::matchers::any;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let elsewhere = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string(get_item_ok(1)))
        .mount(&elsewhere)
        .await;
    for status in [302, 307] {
        let server = MockServer::start().await;
        let target = format!("{}/EWS/Exchange.asmx", elsewhere.uri());
        Mock::given(any())
            .respond_with(ResponseTemplate::new(status).insert_header("location", target.as_str()))
            .mount(&server)
            .await;
        let c = Client::builder(format!("{}/EWS/Exchange.asmx", server.uri()))
            .credentials(ews_client::Credentials::basic("u", "p"))
            .build()
            .unwrap();
        let e = c.send(&get_item(1)).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Redirect, "{status}");
        assert_eq!(e.redirect_location(), Some(target.as_str()));
    }
    assert!(
        elsewhere.received_requests().await.unwrap().is_empty(),
        "nothing reached the other host"
    );
}

#[tokio::test]
async fn s26_a_silent_server_hits_the_timeout() {
    let (url, count) = raw_server(|sock| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(sock);
    })
    .await;
    let c = Client::builder(url)
        .timeout(Duration::from_millis(300))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let start = std::time::Instant::now();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e:?}");
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn s26_a_dripping_server_hits_the_total_timeout() {
    let (url, _) = raw_server(|mut sock| async move {
        let body = get_item_ok(1);
        let h = head(
            "200 OK",
            &[
                ("content-type", "text/xml".into()),
                ("content-length", body.len().to_string()),
            ],
        );
        let _ = sock.write_all(h.as_bytes()).await;
        for b in body.bytes() {
            if sock.write_all(&[b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    let c = Client::builder(url)
        .timeout(Duration::from_millis(500))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e:?}");
}

#[tokio::test]
async fn s27_truncated_bodies_are_transport_errors() {
    // Content-Length promises more than is sent, then the connection closes.
    let (url, count) = raw_server(|mut sock| async move {
        let body = get_item_ok(1);
        let h = head(
            "200 OK",
            &[
                ("content-type", "text/xml".into()),
                ("content-length", (body.len() + 100).to_string()),
            ],
        );
        let _ = sock.write_all(h.as_bytes()).await;
        let _ = sock.write_all(body.as_bytes()).await;
        let _ = sock.shutdown().await;
    })
    .await;
    // A write: one attempt, outcome unknown.
    let c = Client::builder(url.clone())
        .retry(fast_retry())
        .build()
        .unwrap();
    let e = c.send(&delete_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e:?}");
    assert!(e.outcome_unknown());
    assert_eq!(count.load(Ordering::SeqCst), 1);
    // A read: retried up to the attempt limit.
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport);
    assert!(!e.outcome_unknown());
    assert_eq!(count.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn s27_a_reset_before_any_answer_is_a_transport_error() {
    let (url, _) = raw_server(|sock| async move {
        // A zero linger makes the close an RST; it does not block.
        #[allow(deprecated)]
        let _ = sock.set_linger(Some(Duration::ZERO));
        drop(sock);
    })
    .await;
    let c = Client::builder(url)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = c.send(&delete_item(1)).await.unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Transport | ErrorKind::Connect),
        "{e:?}"
    );
    if e.kind() == ErrorKind::Transport {
        assert!(e.outcome_unknown(), "the request was sent before the reset");
    }
}

#[tokio::test]
async fn s04_s28_bodies_over_the_cap_are_refused() {
    // An honest but large Content-Length.
    let (url, _) = raw_server(|mut sock| async move {
        let h = head(
            "200 OK",
            &[
                ("content-type", "text/xml".into()),
                ("content-length", (50u64 << 20).to_string()),
            ],
        );
        let _ = sock.write_all(h.as_bytes()).await;
        let _ = sock.write_all(&[b' '; 1024]).await;
    })
    .await;
    let c = Client::builder(url)
        .max_response_bytes(1 << 20)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BodyTooLarge);

    // A chunked stream without end.
    let url = endless_chunks(65536).await;
    let c = Client::builder(url)
        .max_response_bytes(1 << 20)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BodyTooLarge);
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// A server answering every request with `body` as a gzip-encoded XML response.
async fn serve_gzip(body: Vec<u8>) -> String {
    let headers = vec![
        ("content-type", "text/xml".into()),
        ("content-encoding", "gzip".into()),
    ];
    answering("200 OK", headers, body).await.0
}

#[tokio::test]
async fn s28_gzip_is_decoded_and_bombs_hit_the_cap() {
    let good = gzip(get_item_ok(1).as_bytes());
    let url = serve_gzip(good).await;
    let c = Client::builder(url).build().unwrap();
    c.send(&get_item(1))
        .await
        .expect("a gzip-encoded answer is decoded");

    // 64 MiB of spaces compress to about 64 KiB; the cap counts decompressed bytes.
    let bomb = gzip(&vec![b' '; 64 << 20]);
    assert!(bomb.len() < 200_000);
    let url = serve_gzip(bomb).await;
    let c = Client::builder(url)
        .max_response_bytes(1 << 20)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BodyTooLarge, "{e:?}");
}

#[tokio::test]
async fn connection_refused_is_a_connect_error_and_hides_the_url_secrets() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let c = Client::builder(format!(
        "http://user:hunter2@127.0.0.1:{port}/EWS/Exchange.asmx?sig=s3cr3t"
    ))
    .retry(RetryPolicy::none())
    .build()
    .unwrap();
    let e = c.send(&delete_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect, "{e:?}");
    assert!(!e.outcome_unknown(), "nothing was sent");
    let texts = [e.to_string(), format!("{e:?}"), format!("{c:?}")];
    for t in texts {
        assert!(!t.contains("hunter2") && !t.contains("s3cr3t"), "{t}");
    }
}

/// A TLS server on 127.0.0.1 with a freshly generated self-signed certificate, answering one
/// GetItem response per connection.
async fn self_signed_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::Arc;
    use tokio::io::AsyncReadExt;
    use tokio_rustls::rustls;
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let der = cert.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handshakes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = handshakes.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                counter.fetch_add(1, Ordering::SeqCst);
                let Ok(mut tls) = acceptor.accept(sock).await else {
                    return;
                };
                let mut buf = vec![0u8; 65536];
                let _ = tls.read(&mut buf).await;
                let body = get_item_ok(1);
                let h = head(
                    "200 OK",
                    &[
                        ("content-type", "text/xml".into()),
                        ("content-length", body.len().to_string()),
                        ("connection", "close".into()),
                    ],
                );
                let _ = tls.write_all(h.as_bytes()).await;
                let _ = tls.write_all(body.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (
        format!("https://localhost:{port}/EWS/Exchange.asmx"),
        handshakes,
    )
}

#[tokio::test]
async fn s24_self_signed_certificates_are_refused_unless_opted_in() {
    let (url, handshakes) = self_signed_server().await;
    let c = Client::builder(url.clone())
        .credentials(ews_client::Credentials::basic("u", "never-sent"))
        .build()
        .unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e:?}");
    assert!(!e.is_transient());
    assert_eq!(
        handshakes.load(Ordering::SeqCst),
        1,
        "TLS failures are never retried"
    );
    assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");

    let c = Client::builder(url)
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    c.send(&get_item(1))
        .await
        .expect("explicit opt-in trusts the test certificate");
}
