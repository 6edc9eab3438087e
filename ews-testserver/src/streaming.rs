//! `GetStreamingEvents`: one long chunked HTTP answer carrying several SOAP envelopes, as
//! Exchange streams them — an envelope of `Notifications` whenever a subscription has events,
//! a keep-alive (`ConnectionStatus` OK) when the connection has been quiet for
//! `streaming_keepalive_ms`, and a last envelope with `ConnectionStatus` Closed when the
//! request's `ConnectionTimeout` (1 to 30 minutes) is up.
//!
//! The server keeps each streaming subscription's place, so events raised while no connection
//! is open arrive on the next one (until the subscription lapses, 30 minutes without a
//! connection). An account holds at most `max_streaming_connections` at once;
//! `Control::drop_streams` cuts every open one without a closing envelope.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use ews_types::runtime::NonEmpty;
use ews_types::{m, t};

use crate::State;
use crate::events::{PER_ANSWER, watermark};
use crate::ops::Ctx;
use crate::soap::response;

type Code = m::ResponseCode;

/// How often an open connection looks for new events.
const POLL: Duration = Duration::from_millis(20);

/// An accepted request: what to stream, until when, for whom.
pub(crate) struct Plan {
    ids: Vec<String>,
    ends: Instant,
    who: String,
}

/// Checks a request: its subscriptions must be this account's streaming ones, its timeout 1
/// to 30 minutes, and the account under its connection limit.
pub(crate) fn open(
    state: &State,
    ctx: &Ctx,
    r: &m::GetStreamingEvents,
) -> Result<Plan, (Code, String)> {
    let minutes = r.connection_timeout;
    if !(1..=30).contains(&minutes) {
        return Err((
            Code::ErrorInvalidRequest,
            "ConnectionTimeout must be between 1 and 30 minutes.".into(),
        ));
    }
    let ids: Vec<String> = r
        .subscription_ids
        .subscription_id
        .iter()
        .map(|s| s.to_string())
        .collect();
    {
        let mut store = state.store();
        for id in &ids {
            if store.notifications.subscription(id).is_none() {
                return Err(store.notifications.missing(id));
            }
            let s = store.notifications.subscription(id).ok_or((
                Code::ErrorSubscriptionNotFound,
                "The specified subscription was not found.".to_owned(),
            ))?;
            if s.backend != ctx.backend {
                // routed to another mailbox server, which does not hold it
                return Err((
                    Code::ErrorSubscriptionNotFound,
                    "The specified subscription was not found.".to_owned(),
                ));
            }
            if s.owner != ctx.account.login {
                return Err((
                    Code::ErrorSubscriptionAccessDenied,
                    "Only the account that made a subscription may read its events.".into(),
                ));
            }
            if !s.streaming {
                return Err((
                    Code::ErrorInvalidSubscription,
                    "GetStreamingEvents reads streaming subscriptions only.".into(),
                ));
            }
        }
    }
    let who = ctx.account.login.clone();
    let limits = &state.org.limits;
    if !state
        .control
        .open_stream(&who, limits.max_streaming_connections)
    {
        return Err((
            Code::ErrorExceededConnectionCount,
            "The user has exceeded the maximum number of concurrent streaming connections.".into(),
        ));
    }
    let minute = Duration::from_millis(limits.streaming_minute_ms);
    Ok(Plan {
        ids,
        ends: Instant::now() + minute * minutes as u32,
        who,
    })
}

fn envelope(message: m::GetStreamingEventsResponseMessage) -> Bytes {
    let body = m::GlobalElement::GetStreamingEventsResponse(m::GetStreamingEventsResponse {
        response_messages: m::ArrayOfResponseMessages::new(NonEmpty::new(
            m::ArrayOfResponseMessagesChoice::GetStreamingEventsResponseMessage(message),
        )),
    });
    // Exchange writes each Notification in the messages namespace, where its schema says
    // types (Microsoft's GetStreamingEvents example, Exchange Online's answers): as Exchange
    let text = response(body)
        .unwrap_or_default()
        .replace("<t:Notification>", "<m:Notification>")
        .replace("</t:Notification>", "</m:Notification>");
    Bytes::from(text)
}

fn status(s: t::ConnectionStatus) -> Bytes {
    envelope(m::GetStreamingEventsResponseMessage {
        response_code: Some(Code::NoError),
        connection_status: Some(s),
        ..m::GetStreamingEventsResponseMessage::new(t::ResponseClass::Success)
    })
}

/// The notifications due on this connection now, advancing each subscription's place.
fn due(state: &State, ids: &[String]) -> Vec<t::Notification> {
    let mut store = state.store();
    let mut out = Vec::new();
    for id in ids {
        let Some(s) = store.notifications.subscription(id) else {
            continue;
        };
        s.last_poll = Instant::now();
        let s = s.clone();
        let (events, more) = store.notifications.events_after(&s, s.cursor, PER_ANSWER);
        let Some(last) = events.last().map(|e| e.seq) else {
            continue;
        };
        if let Some(kept) = store.notifications.subscription(id) {
            kept.cursor = last;
        }
        let content: Vec<t::NotificationChoice> =
            events.iter().map(crate::ops::notification_event).collect();
        out.push(t::Notification {
            subscription_id: id.clone().into(),
            previous_watermark: Some(watermark(s.cursor).into()),
            more_events: Some(more),
            content: NonEmpty::from_vec(content).expect("at least one event"),
        });
    }
    out
}

/// The streamed answer.
pub(crate) fn body(state: Arc<State>, plan: Plan) -> Body {
    struct Conn {
        state: Arc<State>,
        plan: Plan,
        generation: u64,
        quiet_since: Instant,
        done: bool,
    }
    impl Drop for Conn {
        fn drop(&mut self) {
            self.state.control.close_stream(&self.plan.who);
        }
    }
    let conn = Conn {
        generation: state.control.stream_generation(),
        state,
        plan,
        quiet_since: Instant::now(),
        done: false,
    };
    let stream = futures_util::stream::unfold(conn, |mut c| async move {
        if c.done {
            return None;
        }
        let keepalive = Duration::from_millis(c.state.org.limits.streaming_keepalive_ms);
        loop {
            if c.state.control.stream_generation() != c.generation {
                let cut = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "dropped");
                c.done = true;
                return Some((Err(cut), c));
            }
            let notifications = due(&c.state, &c.plan.ids);
            if !notifications.is_empty() {
                c.quiet_since = Instant::now();
                let message = m::GetStreamingEventsResponseMessage {
                    response_code: Some(Code::NoError),
                    notifications: Some(Box::new(t::NonEmptyArrayOfNotifications {
                        notification: notifications,
                    })),
                    ..m::GetStreamingEventsResponseMessage::new(t::ResponseClass::Success)
                };
                return Some((Ok(envelope(message)), c));
            }
            if Instant::now() >= c.plan.ends {
                c.done = true;
                return Some((Ok(status(t::ConnectionStatus::Closed)), c));
            }
            if c.quiet_since.elapsed() >= keepalive {
                c.quiet_since = Instant::now();
                return Some((Ok(status(t::ConnectionStatus::Ok)), c));
            }
            tokio::time::sleep(POLL).await;
        }
    });
    Body::from_stream(stream)
}
