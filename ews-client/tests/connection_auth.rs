//! The seam for connection-bound sign-in (`ConnectionAuth`): a scheme written outside the
//! crate — here a toy one of two legs with mutual authentication, shaped as Negotiate is — runs
//! through the client unchanged: its tokens go out as `Authorization: Toy <base64>`, the
//! server's come back to it, an authenticated connection carries later requests without a new
//! handshake, and a server that fails the mutual check is an authentication error.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ews_client::{Client, ConnectionAuth, Credentials, Error, ErrorKind, Handshake, Token};
use support::*;
use tokio::io::AsyncWriteExt;

#[derive(Debug)]
struct Toy;

struct ToyHandshake;

impl ConnectionAuth for Toy {
    fn scheme(&self) -> &'static str {
        "Toy"
    }
    fn identity(&self) -> String {
        "toy:alice".into()
    }
    fn handshake(&self, _host: &str) -> Result<Box<dyn Handshake>, Error> {
        Ok(Box::new(ToyHandshake))
    }
}

impl Handshake for ToyHandshake {
    fn next(&mut self, server: Option<&[u8]>) -> Result<Token, Error> {
        Ok(match server {
            None => Token {
                bytes: b"hello".to_vec(),
                last: false,
            },
            Some(challenge) => {
                let mut answer = challenge.to_vec();
                answer.extend_from_slice(b"+alice");
                Token {
                    bytes: answer,
                    last: true,
                }
            }
        })
    }
    fn verify(&mut self, server: Option<&[u8]>) -> Result<(), Error> {
        match server {
            Some(b"proof") => Ok(()),
            _ => Err(Error::authentication("the server did not prove who it is")),
        }
    }
}

/// A server speaking the toy scheme on persistent connections; `proof` is what it sends to
/// prove itself. Counts handshakes.
async fn toy_server(proof: &'static str, handshakes: Arc<AtomicUsize>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let handshakes = handshakes.clone();
            tokio::spawn(async move {
                let mut authenticated = false;
                let mut buf = Vec::new();
                loop {
                    let Some(head) = read_request(&mut sock, &mut buf).await else {
                        return;
                    };
                    let token = head.lines().find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        let v = v.trim().strip_prefix("Toy ")?;
                        k.eq_ignore_ascii_case("authorization")
                            .then(|| STANDARD.decode(v).unwrap())
                    });
                    let no_body = |status: &str, h: &[(&str, String)]| {
                        let mut h = h.to_vec();
                        h.push(("content-length", "0".into()));
                        head_of(status, &h)
                    };
                    let reply = match token.as_deref() {
                        Some(b"hello") => no_body(
                            "401 Unauthorized",
                            &[(
                                "www-authenticate",
                                format!("Toy {}", STANDARD.encode("nonce")),
                            )],
                        ),
                        Some(b"nonce+alice") => {
                            handshakes.fetch_add(1, Ordering::SeqCst);
                            authenticated = true;
                            ok(&[(
                                "www-authenticate",
                                format!("Toy {}", STANDARD.encode(proof)),
                            )])
                        }
                        Some(other) => panic!("unexpected token {other:?}"),
                        None if authenticated => ok(&[]),
                        None => no_body("401 Unauthorized", &[("www-authenticate", "Toy".into())]),
                    };
                    if sock.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}/EWS/Exchange.asmx")
}

fn head_of(status: &str, headers: &[(&str, String)]) -> String {
    head(status, headers)
}

fn ok(extra: &[(&str, String)]) -> String {
    let body = get_item_ok(1);
    let mut h = vec![
        ("content-type", "text/xml; charset=utf-8".to_owned()),
        ("content-length", body.len().to_string()),
    ];
    h.extend(extra.iter().cloned());
    format!("{}{body}", head("200 OK", &h))
}

fn client(url: &str) -> Client {
    Client::builder(url)
        .credentials(Credentials::connection(Toy))
        .concurrency(1)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_scheme_of_ones_own_signs_in_through_the_seam() {
    let handshakes = Arc::new(AtomicUsize::new(0));
    let url = toy_server("proof", handshakes.clone()).await;
    let c = client(&url);
    c.send(&get_item(1)).await.unwrap();
    c.send(&get_item(1)).await.unwrap();
    // one handshake; the second request rode the authenticated connection
    assert_eq!(handshakes.load(Ordering::SeqCst), 1);
    assert!(format!("{c:?}").contains("Toy"), "{c:?}");
}

#[tokio::test]
async fn a_server_that_fails_mutual_authentication_is_refused() {
    let url = toy_server("forged", Arc::new(AtomicUsize::new(0))).await;
    let e = client(&url).send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    assert!(e.to_string().contains("prove"), "{e}");
}
