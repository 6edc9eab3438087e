//! Push notifications: the server POSTs `SendNotification` to each push subscription's URL
//! when it has events (up to 50 per request) and a `StatusEvent` when it has had nothing to
//! say for its `StatusFrequency`. The subscriber answers `SendNotificationResult` with
//! `SubscriptionStatus` OK (delivered: the next events follow) or Unsubscribe (the
//! subscription ends). A failed delivery (no connection, no answer in 10 s, another status,
//! an answer that does not read) is tried again, waiting `push_retry_ms` and twice as long
//! each time, the same events again; a subscriber that has failed for longer than its
//! `StatusFrequency` loses its subscription, as Exchange drops it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ews_types::runtime::{FromXml, NonEmpty, ToXml, XmlNs, XmlReader, XmlWriter};
use ews_types::{m, t};

use crate::State;
use crate::events::{PER_ANSWER, watermark};

/// How often the pusher looks for work.
const TICK: Duration = Duration::from_millis(20);

/// What to deliver to one subscriber now.
struct Delivery {
    id: String,
    url: String,
    body: String,
    last: Option<u64>,
}

/// The `SendNotification` request for subscription `id`.
fn request(id: &str, previous: u64, content: Vec<t::NotificationChoice>, more: bool) -> String {
    let n = t::Notification {
        subscription_id: id.into(),
        previous_watermark: Some(watermark(previous).into()),
        more_events: Some(more),
        content: NonEmpty::from_vec(content).expect("events or a status event"),
    };
    let body = m::SendNotificationResponse {
        response_messages: m::ArrayOfResponseMessages::new(NonEmpty::new(
            m::ArrayOfResponseMessagesChoice::SendNotificationResponseMessage(
                m::SendNotificationResponseMessage {
                    response_code: Some(m::ResponseCode::NoError),
                    notification: Some(Box::new(n)),
                    ..m::SendNotificationResponseMessage::new(t::ResponseClass::Success)
                },
            ),
        )),
    };
    let mut w = XmlWriter::inside_declared();
    w.raw(concat!(
        r#"<?xml version="1.0" encoding="utf-8"?>"#,
        r#"<soap11:Envelope xmlns:soap11="http://schemas.xmlsoap.org/soap/envelope/""#,
        r#" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages""#,
        r#" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">"#,
        r#"<soap11:Header><t:RequestServerVersion Version="Exchange2016"/></soap11:Header>"#,
        r#"<soap11:Body>"#
    ));
    let _ = body.to_xml(&mut w, XmlNs::Messages, "SendNotification");
    w.raw("</soap11:Body></soap11:Envelope>");
    w.into_string()
}

/// The subscriber's `SubscriptionStatus`, if its answer reads.
fn answer(xml: &str) -> Option<t::SubscriptionStatus> {
    let mut r = XmlReader::new(xml);
    let root = r.root().ok()?;
    if root.local != "Envelope" {
        return None;
    }
    while let Some(section) = r.next_child(&root).ok()? {
        if section.local != "Body" {
            r.skip(section).ok()?;
            continue;
        }
        let c = r.next_child(&section).ok()??;
        if c.local != "SendNotificationResult" {
            return None;
        }
        return m::SendNotificationResult::from_xml(&mut r, c)
            .ok()
            .map(|x| x.subscription_status);
    }
    None
}

/// What is due now, across push subscriptions.
fn due(state: &State) -> Vec<Delivery> {
    let store = state.store();
    let now = Instant::now();
    let mut out = Vec::new();
    for (id, s) in store.notifications.push_subscriptions() {
        let Some(p) = &s.push else { continue };
        if now < p.next_try {
            continue;
        }
        let (events, more) = store.notifications.events_after(&s, s.cursor, PER_ANSWER);
        let last = events.last().map(|e| e.seq);
        let content: Vec<t::NotificationChoice> = if events.is_empty() {
            if now < p.last_sent + p.every {
                continue;
            }
            vec![t::NotificationChoice::StatusEvent(
                t::BaseNotificationEvent {
                    watermark: Some(watermark(s.cursor).into()),
                },
            )]
        } else {
            events.iter().map(crate::ops::notification_event).collect()
        };
        out.push(Delivery {
            url: p.url.clone(),
            body: request(&id, s.cursor, content, more),
            id,
            last,
        });
    }
    out
}

/// Delivers due notifications until the server stops.
pub(crate) async fn run(state: Arc<State>) {
    let http = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "push notifications are off: no HTTP client");
            return;
        }
    };
    let retry = Duration::from_millis(state.org.limits.push_retry_ms);
    loop {
        tokio::time::sleep(TICK).await;
        for d in due(&state) {
            let sent = http
                .post(&d.url)
                .header("content-type", "text/xml; charset=utf-8")
                .body(d.body)
                .send()
                .await;
            let status = match sent {
                Ok(r) if r.status().is_success() => match r.text().await {
                    Ok(text) => answer(&text),
                    Err(_) => None,
                },
                _ => None,
            };
            state
                .store()
                .notifications
                .delivered(&d.id, status, d.last, retry);
        }
    }
}
