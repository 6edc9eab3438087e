//! NTLM against a local server that authenticates connections the way IIS does
//! (ews-reliability.md (b) 38): a connection authenticated as one user never carries another
//! user's requests, and a dropped connection is authenticated again transparently.

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ews_client::{Client, Credentials};
use support::*;
use tokio::io::AsyncWriteExt;

#[derive(Default)]
struct Log {
    /// Users each connection was authenticated as.
    users: Mutex<HashMap<usize, HashSet<String>>>,
    handshakes: AtomicUsize,
    connections: AtomicUsize,
}

/// Serves connections; closes each after `per_connection` requests (0: never).
async fn ntlm_server(log: Arc<Log>, per_connection: usize) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let id = log.connections.fetch_add(1, Ordering::SeqCst);
            let log = log.clone();
            tokio::spawn(async move {
                let mut user: Option<String> = None;
                let mut served = 0;
                let mut buf = Vec::new();
                loop {
                    let Some(head) = read_request(&mut sock, &mut buf).await else {
                        return;
                    };
                    let auth = head.lines().find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("authorization")
                            .then(|| v.trim().to_owned())
                    });
                    let reply = match auth.as_deref().and_then(|a| a.strip_prefix("NTLM ")) {
                        Some(b64) => {
                            let bytes = STANDARD.decode(b64).unwrap();
                            match ntlmclient::Message::try_from(bytes.as_slice()).unwrap() {
                                ntlmclient::Message::Negotiate(_) => {
                                    user = None;
                                    head_only(
                                        "401 Unauthorized",
                                        &[(
                                            "www-authenticate",
                                            format!("NTLM {}", ntlm_challenge()),
                                        )],
                                    )
                                }
                                ntlmclient::Message::Authenticate(a) => {
                                    assert!(!a.ntlm_response.is_empty());
                                    let who = format!("{}\\{}", a.domain_name, a.user_name);
                                    log.handshakes.fetch_add(1, Ordering::SeqCst);
                                    log.users
                                        .lock()
                                        .unwrap()
                                        .entry(id)
                                        .or_default()
                                        .insert(who.clone());
                                    user = Some(who.clone());
                                    ok_for(&who)
                                }
                                other => panic!("unexpected {other:?}"),
                            }
                        }
                        None => match &user {
                            Some(who) => ok_for(who),
                            None => head_only(
                                "401 Unauthorized",
                                &[("www-authenticate", "NTLM".into())],
                            ),
                        },
                    };
                    if sock.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                    if reply.starts_with("HTTP/1.1 200") {
                        served += 1;
                        if per_connection > 0 && served >= per_connection {
                            return; // close: the next request needs a new handshake
                        }
                    }
                }
            });
        }
    });
    format!("http://{addr}/EWS/Exchange.asmx")
}

fn head_only(status: &str, headers: &[(&str, String)]) -> String {
    let mut h: Vec<(&str, String)> = headers.to_vec();
    h.push(("content-length", "0".into()));
    head(status, &h)
}

/// A GetItem answer whose subject names the authenticated user.
fn ok_for(user: &str) -> String {
    let body = get_item_ok(1).replace("<t:Subject>s0", &format!("<t:Subject>{user}"));
    format!(
        "{}{body}",
        head(
            "200 OK",
            &[
                ("content-type", "text/xml; charset=utf-8".into()),
                ("content-length", body.len().to_string()),
            ],
        )
    )
}

fn subject(r: &ews_types::m::GetItemResponse) -> String {
    let ews_types::m::ArrayOfResponseMessagesChoice::GetItemResponseMessage(m) =
        &r.response_messages.content[0]
    else {
        panic!()
    };
    let ews_types::t::ArrayOfRealItemsChoice::Message(msg) = &m.items.as_ref().unwrap().content[0]
    else {
        panic!()
    };
    msg.subject.clone().unwrap().into()
}

#[tokio::test]
async fn s38_two_ntlm_identities_never_share_a_connection() {
    let log = Arc::new(Log::default());
    let url = ntlm_server(log.clone(), 0).await;
    let alice = Client::builder(url.clone())
        .credentials(Credentials::ntlm("CONTOSO\\alice", "alice-pw"))
        .concurrency(3)
        .build()
        .unwrap();
    let bob = Client::builder(url)
        .credentials(Credentials::ntlm("CONTOSO\\bob", "bob-pw"))
        .concurrency(3)
        .build()
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..60 {
        let (c, who) = if i % 2 == 0 {
            (alice.clone(), "CONTOSO\\alice")
        } else {
            (bob.clone(), "CONTOSO\\bob")
        };
        tasks.push(tokio::spawn(async move {
            let r = c.send(&get_item(1)).await.unwrap();
            assert_eq!(subject(&r), who, "answered as the caller's own identity");
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let users = log.users.lock().unwrap();
    assert!(users.values().all(|u| u.len() == 1), "{users:?}");
    let handshakes = log.handshakes.load(Ordering::SeqCst);
    assert!(handshakes <= 6, "one handshake per session: {handshakes}");
    assert!(!format!("{alice:?}").contains("alice-pw"));
}

#[tokio::test]
async fn ntlm_authenticates_a_new_connection_when_the_old_one_closes() {
    let log = Arc::new(Log::default());
    let url = ntlm_server(log.clone(), 2).await;
    let c = Client::builder(url)
        .credentials(Credentials::ntlm("CONTOSO\\carol", "pw"))
        .concurrency(1)
        .build()
        .unwrap();
    for _ in 0..6 {
        let r = c.send(&get_item(1)).await.unwrap();
        assert_eq!(subject(&r), "CONTOSO\\carol");
    }
    assert_eq!(log.handshakes.load(Ordering::SeqCst), 3);
    assert_eq!(log.connections.load(Ordering::SeqCst), 3);
}
