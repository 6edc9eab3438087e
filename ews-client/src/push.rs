//! Push notifications: the server calls the subscriber. [`PushListener`] is a small HTTP server
//! that receives Exchange's `SendNotification` requests and answers `SendNotificationResult`
//! (OK, or Unsubscribe for subscriptions given to [`PushListener::unsubscribe`]);
//! [`Mailbox::subscribe_push`] points a subscription at it.
//!
//! - **The caller's own authentication of the callback**: the listener's path carries a random
//!   128-bit secret ([`PushListener::path`]); a request to any other path is answered 404
//!   without its body being read. Put the listener behind TLS (a reverse proxy) when the
//!   server is not on a trusted network: the secret then never crosses the network in clear.
//! - Bodies are capped at 1 MiB and read with the hardened XML reader.
//! - If the program reads notifications slower than they come, the listener answers 503 and
//!   Exchange delivers them again later: nothing is lost while the subscription lives.
//! - [`PushListener::answer`] is the same handler for a caller who mounts it in an HTTP server
//!   of their own.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use ews_types::runtime::{ToXml, XmlNs, XmlWriter};
use ews_types::{m, t};
use tokio::sync::mpsc;

use crate::error::{Error, ErrorKind};
use crate::mailbox::Mailbox;
use crate::notify::{self, Event, Watermark};
use crate::soap;

/// The largest notification body read.
pub const MAX_BODY: usize = 1 << 20;

/// Notifications held for the program before the listener answers 503.
const QUEUE: usize = 1024;

/// One notification the server pushed.
#[derive(Debug, Clone, PartialEq)]
pub struct PushNotification {
    /// The subscription's id.
    pub subscription: String,
    /// Its events (none for a status notification: the server checking that the listener
    /// is there).
    pub events: Vec<Event>,
    /// Whether more events follow in the next notification.
    pub more: bool,
    /// The watermark before these events.
    pub previous: Option<Watermark>,
}

/// What the handler shares with the server task.
struct Inbound {
    path: String,
    unsubscribed: Mutex<HashSet<String>>,
    sender: mpsc::Sender<PushNotification>,
}

/// A listener for push notifications. See the [module docs](crate::push). Its `Debug` leaves
/// the secret out.
pub struct PushListener {
    addr: SocketAddr,
    inbound: Arc<Inbound>,
    receiver: mpsc::Receiver<PushNotification>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for PushListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushListener")
            .field("addr", &self.addr)
            .field("path", &"/ews-push/<secret>")
            .finish()
    }
}

impl Drop for PushListener {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

fn reply(status: t::SubscriptionStatus) -> String {
    let mut w = XmlWriter::inside_declared();
    w.raw(concat!(
        r#"<?xml version="1.0" encoding="utf-8"?>"#,
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/""#,
        r#" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages""#,
        r#" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Body>"#
    ));
    let result = m::SendNotificationResult {
        subscription_status: status,
    };
    let _ = result.to_xml(&mut w, XmlNs::Messages, "SendNotificationResult");
    w.raw("</s:Body></s:Envelope>");
    w.into_string()
}

/// Compares two strings in time that depends on their lengths only.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

impl Inbound {
    fn answer(&self, path: &str, body: &[u8]) -> (u16, String) {
        if !same(path, &self.path) {
            return (404, String::new());
        }
        if body.len() > MAX_BODY {
            return (413, String::new());
        }
        let Ok(text) = std::str::from_utf8(body) else {
            return (400, String::new());
        };
        let Ok(parsed) =
            soap::read_response::<m::SendNotificationResponse>(text, "SendNotification")
        else {
            return (400, String::new());
        };
        let Ok(body) = parsed.body else {
            return (400, String::new());
        };
        let mut status = t::SubscriptionStatus::Ok;
        let mut out = Vec::new();
        for msg in body.response_messages.content {
            let m::ArrayOfResponseMessagesChoice::SendNotificationResponseMessage(msg) = msg else {
                return (400, String::new());
            };
            let Some(n) = msg.notification else { continue };
            if self
                .unsubscribed
                .lock()
                .expect("lock")
                .contains(n.subscription_id.as_str())
            {
                status = t::SubscriptionStatus::Unsubscribe;
                continue;
            }
            out.push(PushNotification {
                subscription: n.subscription_id.into(),
                events: n.content.into_iter().filter_map(notify::event).collect(),
                more: n.more_events == Some(true),
                previous: n
                    .previous_watermark
                    .map(|w| Watermark::from(String::from(w))),
            });
        }
        // all or nothing: a notification not queued is refused, and the server sends it again
        let room = self.sender.capacity();
        if room < out.len() {
            return (503, String::new());
        }
        for n in out {
            if self.sender.try_send(n).is_err() {
                return (503, String::new());
            }
        }
        (200, reply(status))
    }
}

impl PushListener {
    /// Listens on `addr` (`127.0.0.1:0` for any free port), with a new random secret.
    pub async fn bind(addr: SocketAddr) -> Result<PushListener, Error> {
        let secret = uuid::Uuid::new_v4().simple().to_string();
        Self::bind_with_secret(addr, &secret).await
    }

    /// Listens on `addr` with a secret of the caller's: a restarted program keeps receiving
    /// the notifications of the subscriptions it made before (keep the secret as safely as a
    /// password: [`PushListener::secret`]). At least 16 letters, digits, `-` or `_`.
    pub async fn bind_with_secret(addr: SocketAddr, secret: &str) -> Result<PushListener, Error> {
        let fine = secret.len() >= 16
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !fine {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "a push secret needs at least 16 letters, digits, '-' or '_'",
            ));
        }
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            Error::new(ErrorKind::Config, "cannot listen for push notifications").with_source(e)
        })?;
        let addr = listener.local_addr().map_err(|e| {
            Error::new(ErrorKind::Config, "cannot listen for push notifications").with_source(e)
        })?;
        let (sender, receiver) = mpsc::channel(QUEUE);
        let inbound = Arc::new(Inbound {
            path: format!("/ews-push/{secret}"),
            unsubscribed: Mutex::new(HashSet::new()),
            sender,
        });
        let task = tokio::spawn(serve(listener, inbound.clone()));
        Ok(PushListener {
            addr,
            inbound,
            receiver,
            task: Some(task),
        })
    }

    /// The secret in its path, to keep for [`PushListener::bind_with_secret`].
    pub fn secret(&self) -> &str {
        self.inbound.path.trim_start_matches("/ews-push/")
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The path to give the server, with its secret (`/ews-push/…`): behind a proxy, the
    /// public URL ends with it.
    pub fn path(&self) -> &str {
        &self.inbound.path
    }

    /// `http://ADDRESS/ews-push/…`: the URL to subscribe with when the server reaches this
    /// address directly.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.addr, self.inbound.path)
    }

    /// The next notification, in the order they arrived.
    pub async fn next(&mut self) -> Option<PushNotification> {
        self.receiver.recv().await
    }

    /// From now on, notifications of subscription `id` are answered Unsubscribe: the server
    /// ends it.
    pub fn unsubscribe(&self, id: &str) {
        self.inbound
            .unsubscribed
            .lock()
            .expect("lock")
            .insert(id.to_owned());
    }

    /// The handler, for a caller who serves HTTP themselves: the request's path and body give
    /// the status and body to answer.
    pub fn answer(&self, path: &str, body: &[u8]) -> (u16, String) {
        self.inbound.answer(path, body)
    }
}

async fn serve(listener: tokio::net::TcpListener, inbound: Arc<Inbound>) {
    use http_body_util::{BodyExt, Full, Limited};
    use hyper::body::{Bytes, Incoming};
    use hyper_util::rt::TokioIo;
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let inbound = inbound.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let inbound = inbound.clone();
                async move {
                    let path = req.uri().path().to_owned();
                    let (status, text) = if req.method() != hyper::Method::POST {
                        (405, String::new())
                    } else if !same(&path, &inbound.path) {
                        (404, String::new())
                    } else {
                        match Limited::new(req.into_body(), MAX_BODY).collect().await {
                            Ok(b) => inbound.answer(&path, &b.to_bytes()),
                            Err(_) => (413, String::new()),
                        }
                    };
                    let mut resp = hyper::Response::new(Full::new(Bytes::from(text)));
                    *resp.status_mut() = hyper::StatusCode::from_u16(status)
                        .unwrap_or(hyper::StatusCode::BAD_REQUEST);
                    resp.headers_mut().insert(
                        hyper::header::CONTENT_TYPE,
                        hyper::header::HeaderValue::from_static("text/xml; charset=utf-8"),
                    );
                    Ok::<_, std::convert::Infallible>(resp)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

impl Mailbox {
    /// Subscribes to `types` of events in these of this mailbox's folders, pushed to `url`
    /// (a [`PushListener::url`], or the public URL in front of it), with a status
    /// notification after `status_frequency_minutes` (1 to 1,440) without events. Gives the
    /// subscription's id.
    pub async fn subscribe_push(
        &self,
        folders: &[t::DistinguishedFolderIdName],
        types: &[t::NotificationEventType],
        url: &str,
        status_frequency_minutes: i32,
    ) -> Result<String, Error> {
        let watched = self.watched(folders, types)?;
        let (id, _) = self
            .subscribe(m::SubscribeChoice::PushSubscriptionRequest(
                t::PushSubscriptionRequest {
                    subscribe_to_all_folders: None,
                    folder_ids: Some(Box::new(watched.folders)),
                    event_types: watched.types,
                    watermark: None,
                    status_frequency: status_frequency_minutes,
                    url: url.into(),
                    caller_data: None,
                },
            ))
            .await?;
        Ok(id)
    }
}
