//! Streaming notifications over NTLM: the streamed request is the last leg of the handshake
//! on a session of its own, which it keeps until the stream is dropped, while other requests
//! go on through the other sessions, each authenticated as the caller.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ews_client::futures::StreamExt;
use ews_client::notify::Object;
use ews_client::streaming::{StreamOptions, Streamed};
use ews_client::{Client, Credentials, t};
use support::*;
use tokio::io::AsyncWriteExt;

const M: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
const T: &str = "http://schemas.microsoft.com/exchange/services/2006/types";

fn envelope(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>{body}</s:Body></s:Envelope>"#
    )
}

fn subscribed() -> String {
    envelope(&format!(
        r#"<m:SubscribeResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages><m:SubscribeResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:SubscriptionId>sub-1</m:SubscriptionId></m:SubscribeResponseMessage></m:ResponseMessages></m:SubscribeResponse>"#
    ))
}

/// One envelope of events, as Exchange writes it (`m:Notification`, where the schema says
/// `t:`): an item created, its id naming the authenticated user.
fn created_for(user: &str) -> String {
    let id = user.replace('\\', "-");
    envelope(&format!(
        r#"<m:GetStreamingEventsResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages><m:GetStreamingEventsResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Notifications><m:Notification><t:SubscriptionId>sub-1</t:SubscriptionId><t:PreviousWatermark>AA==</t:PreviousWatermark><t:MoreEvents>false</t:MoreEvents><t:CreatedEvent><t:Watermark>AQ==</t:Watermark><t:TimeStamp>2026-12-02T10:00:00Z</t:TimeStamp><t:ItemId Id="item-for-{id}"/><t:ParentFolderId Id="calendar"/></t:CreatedEvent></m:Notification></m:Notifications></m:GetStreamingEventsResponseMessage></m:ResponseMessages></m:GetStreamingEventsResponse>"#
    ))
}

fn chunk(text: &str) -> String {
    format!("{:x}\r\n{text}\r\n", text.len())
}

/// An NTLM server that answers Subscribe, GetItem, and GetStreamingEvents (one event, then a
/// connection that stays open until the client goes).
async fn server(handshakes: Arc<AtomicUsize>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let handshakes = handshakes.clone();
            tokio::spawn(async move {
                let mut user: Option<String> = None;
                let mut buf = Vec::new();
                while let Some((request, body)) = read_request_body(&mut sock, &mut buf).await {
                    let header = |name: &str| {
                        request.lines().find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                        })
                    };
                    if let Some(b64) = header("authorization")
                        .and_then(|a| a.strip_prefix("NTLM ").map(str::to_owned))
                    {
                        let bytes = STANDARD.decode(b64).unwrap();
                        match ntlmclient::Message::try_from(bytes.as_slice()).unwrap() {
                            ntlmclient::Message::Negotiate(_) => {
                                let r = head(
                                    "401 Unauthorized",
                                    &[
                                        ("www-authenticate", format!("NTLM {}", ntlm_challenge())),
                                        ("content-length", "0".into()),
                                    ],
                                );
                                if sock.write_all(r.as_bytes()).await.is_err() {
                                    return;
                                }
                                continue;
                            }
                            ntlmclient::Message::Authenticate(a) => {
                                handshakes.fetch_add(1, Ordering::SeqCst);
                                user = Some(format!("{}\\{}", a.domain_name, a.user_name));
                            }
                            other => panic!("unexpected {other:?}"),
                        }
                    }
                    let Some(who) = user.clone() else {
                        let r = head(
                            "401 Unauthorized",
                            &[
                                ("www-authenticate", "NTLM".into()),
                                ("content-length", "0".into()),
                            ],
                        );
                        if sock.write_all(r.as_bytes()).await.is_err() {
                            return;
                        }
                        continue;
                    };
                    // Microsoft's WSDL gives GetStreamingEvents the SOAPAction of GetEvents
                    let action = header("soapaction").unwrap_or_default();
                    if body.contains("GetStreamingEvents") {
                        let r = head(
                            "200 OK",
                            &[
                                ("content-type", "text/xml; charset=utf-8".into()),
                                ("transfer-encoding", "chunked".into()),
                            ],
                        ) + &chunk(&created_for(&who));
                        if sock.write_all(r.as_bytes()).await.is_err() {
                            return;
                        }
                        // the connection stays open, as a stream does, until the client goes
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        return;
                    }
                    let body = if action.ends_with("/Subscribe\"") {
                        subscribed()
                    } else {
                        get_item_ok(1).replace("<t:Subject>s0", &format!("<t:Subject>{who}"))
                    };
                    let r = head(
                        "200 OK",
                        &[
                            ("content-type", "text/xml; charset=utf-8".into()),
                            ("content-length", body.len().to_string()),
                        ],
                    ) + &body;
                    if sock.write_all(r.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}/EWS/Exchange.asmx")
}

#[tokio::test]
async fn a_stream_runs_through_an_ntlm_session_of_its_own() {
    let handshakes = Arc::new(AtomicUsize::new(0));
    let url = server(handshakes.clone()).await;
    let client = Client::builder(url)
        .credentials(Credentials::ntlm("CONTOSO\\dana", "dana-pw"))
        .concurrency(2)
        .build()
        .unwrap();
    let mb = client.my_mailbox();
    let sub = mb
        .subscribe_streaming(
            &[t::DistinguishedFolderIdName::Calendar],
            &[t::NotificationEventType::CreatedEvent],
        )
        .await
        .unwrap();
    let mut stream = Box::pin(mb.stream_events(vec![sub], StreamOptions::default()));
    let first = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("an event in time")
        .unwrap()
        .unwrap();
    match first {
        Streamed::Event {
            subscription,
            event,
        } => {
            assert_eq!(subscription, "sub-1");
            assert_eq!(
                event.object,
                Object::Item(t::ItemId::new("item-for-CONTOSO-dana"))
            );
        }
        other => panic!("{other:?}"),
    }
    // the stream holds one session; another request goes through the other, authenticated
    let answered = tokio::time::timeout(Duration::from_secs(10), client.send(&get_item(1)))
        .await
        .expect("not held up by the stream")
        .unwrap();
    let ews_types::m::ArrayOfResponseMessagesChoice::GetItemResponseMessage(msg) =
        &answered.response_messages.content[0]
    else {
        panic!()
    };
    let ews_types::t::ArrayOfRealItemsChoice::Message(item) =
        &msg.items.as_ref().unwrap().content[0]
    else {
        panic!()
    };
    assert_eq!(item.subject.as_deref(), Some("CONTOSO\\dana"));
    assert_eq!(
        handshakes.load(Ordering::SeqCst),
        2,
        "one handshake per session"
    );
    // dropping the stream gives its session back
    drop(stream);
    for _ in 0..3 {
        client.send(&get_item(1)).await.unwrap();
    }
}
