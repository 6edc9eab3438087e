//! Streaming notifications: [`Mailbox::subscribe_streaming`] and [`Mailbox::stream_events`].
//!
//! `GetStreamingEvents` is one long HTTP answer carrying many SOAP envelopes: notifications as
//! they happen, keep-alives while quiet, and a last one (`ConnectionStatus` Closed) when the
//! connection's timeout is up. [`Mailbox::stream_events`] reads it envelope by envelope as it
//! arrives and hands out typed events, for any number of subscriptions on one connection:
//!
//! - when the server closes the connection, or it drops, it is opened again
//!   ([`Streamed::Reconnected`]); Exchange keeps a streaming subscription's place while no
//!   connection is open (30 minutes), so nothing is lost;
//! - a subscription the server no longer knows is made again ([`Streamed::Resubscribed`]):
//!   events in between may be lost, so synchronize its folders to catch up;
//! - each envelope is bounded in size, and read with the same hardened reader as every answer.
//!
//! Streaming needs a transport that hands out a body as it arrives: the default one does, and
//! so does the transport of connection-bound schemes (NTLM), where a stream keeps a session of
//! its own until it is dropped.
//!
//! For many mailboxes, group up to 200 subscriptions per connection in one affinity group
//! (Microsoft's guidance): open each mailbox with [`Impersonated::with_affinity`] and stream
//! through one of them.
//!
//! [`Impersonated::with_affinity`]: crate::Impersonated::with_affinity

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, Stream, StreamExt};

use ews_types::runtime::NonEmpty;
use ews_types::{m, t};

use crate::error::{Error, ErrorKind};
use crate::mailbox::Mailbox;
use crate::notify::{self, Event};
use crate::soap;
use crate::transport::TransportError;

/// The largest envelope read from a stream.
pub const MAX_ENVELOPE: usize = 16 << 20;

/// A streaming subscription: what it watches, so it can be made again.
#[derive(Debug, Clone)]
pub struct StreamingSubscription {
    mailbox: Mailbox,
    folders: Vec<t::DistinguishedFolderIdName>,
    types: Vec<t::NotificationEventType>,
    id: String,
}

impl StreamingSubscription {
    /// The subscription's id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// What a stream of events hands out.
#[derive(Debug, Clone, PartialEq)]
pub enum Streamed {
    /// An event of one of the subscriptions.
    Event {
        /// The subscription's id.
        subscription: String,
        /// The event.
        event: Box<Event>,
    },
    /// The connection was opened again: the server closed it at its timeout (`dropped`
    /// false), or it broke (`dropped` true). The subscriptions kept their place.
    Reconnected {
        /// Whether the connection broke rather than closed.
        dropped: bool,
    },
    /// The server no longer knew a subscription, so it was made again: events in between
    /// may be lost; synchronize its folders to catch up.
    Resubscribed {
        /// The old id.
        old: String,
        /// The new id.
        new: String,
    },
}

/// How [`Mailbox::stream_events`] connects.
#[derive(Debug, Clone)]
pub struct StreamOptions {
    connection_minutes: i32,
    retries: u32,
}

impl Default for StreamOptions {
    /// Connections of 30 minutes (Exchange's most), 5 attempts to reconnect in a row.
    fn default() -> Self {
        StreamOptions {
            connection_minutes: 30,
            retries: 5,
        }
    }
}

impl StreamOptions {
    /// Minutes one connection stays open, 1 to 30 (clamped).
    pub fn connection_minutes(mut self, n: i32) -> Self {
        self.connection_minutes = n.clamp(1, 30);
        self
    }

    /// Failed connection attempts in a row before the stream ends with the error.
    pub fn retries(mut self, n: u32) -> Self {
        self.retries = n;
        self
    }
}

fn malformed(what: impl Into<String>) -> Error {
    Error::new(ErrorKind::MalformedResponse, what)
}

const MESSAGES: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
const TYPES: &str = "http://schemas.microsoft.com/exchange/services/2006/types";

/// Exchange writes each `Notification` of a streamed answer in the messages namespace
/// (`<m:Notifications><m:Notification>`: Microsoft's GetStreamingEvents example, Exchange
/// Online's answers), where its schema puts it in the types namespace. The envelope with such
/// elements moved to the types namespace, so the generated reader reads them instead of
/// skipping them as unknown.
fn as_schema_says(text: &str) -> std::borrow::Cow<'_, str> {
    let mut out = std::borrow::Cow::Borrowed(text);
    let mut prefixes = Vec::new();
    for (i, _) in text.match_indices(&format!("=\"{MESSAGES}\"")) {
        let before = &text[..i];
        if let Some(start) = before.rfind("xmlns:") {
            let prefix = &before[start + "xmlns:".len()..];
            if !prefix.is_empty()
                && prefix
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
            {
                prefixes.push(prefix.to_owned());
            }
        }
    }
    for p in prefixes {
        for (from, to) in [
            (
                format!("<{p}:Notification>"),
                format!("<ewsT:Notification xmlns:ewsT=\"{TYPES}\">"),
            ),
            (
                format!("<{p}:Notification "),
                format!("<ewsT:Notification xmlns:ewsT=\"{TYPES}\" "),
            ),
            (
                format!("</{p}:Notification>"),
                "</ewsT:Notification>".to_owned(),
            ),
        ] {
            if out.contains(&from) {
                out = std::borrow::Cow::Owned(out.replace(&from, &to));
            }
        }
    }
    out
}

/// Cuts a byte stream into whole top-level XML elements (the envelopes).
#[derive(Default)]
struct Splitter {
    buf: Vec<u8>,
}

impl Splitter {
    /// Adds `chunk`; gives every envelope now complete.
    fn push(&mut self, chunk: &[u8]) -> Result<Vec<String>, Error> {
        use quick_xml::events::Event as X;
        self.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        loop {
            let mut reader = quick_xml::Reader::from_reader(self.buf.as_slice());
            reader.config_mut().check_end_names = true;
            let mut depth = 0usize;
            let mut end = None;
            loop {
                match reader.read_event() {
                    Ok(X::Start(_)) => depth += 1,
                    Ok(X::End(_)) => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            end = Some(reader.buffer_position() as usize);
                            break;
                        }
                    }
                    Ok(X::Empty(_)) if depth == 0 => {
                        end = Some(reader.buffer_position() as usize);
                        break;
                    }
                    Ok(X::Eof) => break,
                    Ok(_) => {}
                    // a mismatched end tag is wrong however much more comes
                    Err(quick_xml::Error::IllFormed(e)) => {
                        return Err(malformed(format!("a streamed envelope is not XML: {e}")));
                    }
                    // the envelope is not complete yet
                    Err(_) => break,
                }
            }
            let Some(end) = end else { break };
            let text = std::str::from_utf8(&self.buf[..end])
                .map_err(|_| malformed("a streamed envelope is not UTF-8"))?
                .trim_start_matches(|c: char| c.is_whitespace())
                .to_owned();
            self.buf.drain(..end);
            out.push(text);
        }
        if self.buf.len() > MAX_ENVELOPE {
            return Err(Error::new(
                ErrorKind::BodyTooLarge,
                format!("a streamed envelope is larger than {MAX_ENVELOPE} bytes"),
            ));
        }
        Ok(out)
    }
}

impl Mailbox {
    /// Subscribes to `types` of events in these of this mailbox's folders, for streaming.
    pub async fn subscribe_streaming(
        &self,
        folders: &[t::DistinguishedFolderIdName],
        types: &[t::NotificationEventType],
    ) -> Result<StreamingSubscription, Error> {
        let watched = self.watched(folders, types)?;
        let (id, _) = self
            .subscribe(m::SubscribeChoice::StreamingSubscriptionRequest(
                t::StreamingSubscriptionRequest {
                    subscribe_to_all_folders: None,
                    folder_ids: Some(Box::new(watched.folders)),
                    event_types: watched.types,
                },
            ))
            .await?;
        Ok(StreamingSubscription {
            mailbox: self.clone(),
            folders: folders.to_vec(),
            types: types.to_vec(),
            id,
        })
    }

    /// The events of `subscriptions`, over one connection at a time sent as this mailbox
    /// (which carries the affinity of the group, if any). See the
    /// [module docs](crate::streaming).
    pub fn stream_events(
        &self,
        subscriptions: Vec<StreamingSubscription>,
        options: StreamOptions,
    ) -> impl Stream<Item = Result<Streamed, Error>> + Send + 'static {
        let state = Conn {
            via: self.clone(),
            subs: subscriptions,
            options,
            body: None,
            splitter: Splitter::default(),
            pending: VecDeque::new(),
            failures: 0,
            opened_before: false,
            dropped: false,
            ended: false,
            just_resubscribed: false,
        };
        stream::unfold(state, |mut c| async move {
            let item = c.next().await?;
            Some((item, c))
        })
    }
}

struct Conn {
    via: Mailbox,
    subs: Vec<StreamingSubscription>,
    options: StreamOptions,
    body: Option<BoxStream<'static, Result<Bytes, TransportError>>>,
    splitter: Splitter,
    pending: VecDeque<Streamed>,
    failures: u32,
    opened_before: bool,
    dropped: bool,
    ended: bool,
    /// Resubscribed, and nothing read since: a second time is an error, not a loop.
    just_resubscribed: bool,
}

impl Conn {
    async fn next(&mut self) -> Option<Result<Streamed, Error>> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(Ok(item));
            }
            if self.ended {
                return None;
            }
            let Some(body) = self.body.as_mut() else {
                if let Err(e) = self.connect().await {
                    self.failures += 1;
                    if self.failures > self.options.retries {
                        self.ended = true;
                        return Some(Err(e));
                    }
                    let wait = Duration::from_millis(200 * 2u64.pow(self.failures.min(7)));
                    tracing::warn!(error = %e, ?wait, "streaming connection failed: trying again");
                    tokio::time::sleep(wait).await;
                }
                continue;
            };
            match body.next().await {
                Some(Ok(chunk)) => {
                    let envelopes = match self.splitter.push(&chunk) {
                        Ok(e) => e,
                        Err(e) => {
                            self.ended = true;
                            return Some(Err(e));
                        }
                    };
                    for text in envelopes {
                        if let Err(e) = self.envelope(&text).await {
                            self.ended = true;
                            return Some(Err(e));
                        }
                    }
                }
                Some(Err(e)) => {
                    tracing::warn!(error = %e.message, "the streaming connection broke");
                    self.lost();
                }
                None => self.lost(),
            }
        }
    }

    /// The connection ended without its closing envelope.
    fn lost(&mut self) {
        self.body = None;
        self.splitter = Splitter::default();
        self.dropped = true;
    }

    async fn connect(&mut self) -> Result<(), Error> {
        let ids = NonEmpty::collect(self.subs.iter().map(|s| s.id.clone().into()))
            .ok_or_else(|| Error::new(ErrorKind::InvalidInput, "no subscriptions to stream"))?;
        let request = m::GetStreamingEvents {
            subscription_ids: t::NonEmptyArrayOfSubscriptionIds {
                subscription_id: ids,
            },
            connection_timeout: self.options.connection_minutes,
        };
        let minutes = u64::try_from(self.options.connection_minutes).unwrap_or(30);
        let timeout = Duration::from_secs(60 * minutes + 60);
        let resp = self.via.client().open_stream(&request, timeout).await?;
        self.body = Some(resp.body);
        if self.opened_before {
            self.pending.push_back(Streamed::Reconnected {
                dropped: self.dropped,
            });
        }
        self.opened_before = true;
        self.dropped = false;
        self.failures = 0;
        Ok(())
    }

    async fn envelope(&mut self, text: &str) -> Result<(), Error> {
        let text = as_schema_says(text);
        let parsed = soap::read_response::<m::GetStreamingEventsResponse>(
            &text,
            "GetStreamingEventsResponse",
        )
        .map_err(|e| malformed(format!("a streamed envelope: {e}")))?;
        let body = parsed.body.map_err(|f| soap::fault_error(&f))?;
        for msg in body.response_messages.content {
            let m::ArrayOfResponseMessagesChoice::GetStreamingEventsResponseMessage(msg) = msg
            else {
                return Err(malformed("expected a GetStreamingEventsResponseMessage"));
            };
            if msg.response_class == t::ResponseClass::Error {
                let gone = matches!(
                    msg.response_code,
                    Some(
                        m::ResponseCode::ErrorSubscriptionNotFound
                            | m::ResponseCode::ErrorExpiredSubscription
                    )
                );
                if gone {
                    if self.just_resubscribed {
                        return Err(Error::new(
                            ErrorKind::Response,
                            "the server does not find subscriptions made a moment ago: they \
                             live on other mailbox servers; open every mailbox of one \
                             connection in one AffinityGroup (Impersonated::with_affinity) and \
                             subscribe its first mailbox first",
                        )
                        .with_operation("GetStreamingEvents"));
                    }
                    self.resubscribe().await?;
                    self.just_resubscribed = true;
                    self.body = None;
                    return Ok(());
                }
                let status = ews_types::runtime::ResponseMessage::status(&msg);
                return Err(crate::results::message_error(&status)
                    .unwrap_or_else(|| malformed("an error without a code"))
                    .with_operation("GetStreamingEvents"));
            }
            for n in msg
                .notifications
                .map(|n| n.notification)
                .unwrap_or_default()
            {
                for choice in n.content {
                    if let Some(event) = notify::event(choice) {
                        self.pending.push_back(Streamed::Event {
                            subscription: n.subscription_id.to_string(),
                            event: Box::new(event),
                        });
                    }
                }
            }
            if msg.connection_status == Some(t::ConnectionStatus::Closed) {
                // the server's timeout: open the next connection
                self.body = None;
                self.splitter = Splitter::default();
                self.dropped = false;
            }
        }
        Ok(())
    }

    /// Makes every subscription again (the server answered that it no longer knew one).
    async fn resubscribe(&mut self) -> Result<(), Error> {
        for s in &mut self.subs {
            let fresh = s.mailbox.subscribe_streaming(&s.folders, &s.types).await?;
            let old = std::mem::replace(&mut s.id, fresh.id.clone());
            self.pending
                .push_back(Streamed::Resubscribed { old, new: fresh.id });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Splitter;

    #[test]
    fn envelopes_are_cut_wherever_the_chunks_end() {
        let two = "<?xml version=\"1.0\"?><a><b>x</b></a>\r\n<a><c/></a>";
        for cut in 0..two.len() {
            let mut s = Splitter::default();
            let mut got = s.push(&two.as_bytes()[..cut]).unwrap();
            got.extend(s.push(&two.as_bytes()[cut..]).unwrap());
            assert_eq!(
                got,
                ["<?xml version=\"1.0\"?><a><b>x</b></a>", "<a><c/></a>"],
                "{cut}"
            );
        }
    }

    #[test]
    fn notifications_in_the_messages_namespace_are_read_as_the_schema_says() {
        use ews_types::m;
        // the shape of Microsoft's GetStreamingEvents example
        let exchange = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:GetStreamingEventsResponse xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><m:ResponseMessages><m:GetStreamingEventsResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Notifications><m:Notification><t:SubscriptionId>s1</t:SubscriptionId><t:CreatedEvent><t:TimeStamp>2013-09-16T04:31:29Z</t:TimeStamp><t:ItemId Id="i1" ChangeKey="CQAAAA=="/><t:ParentFolderId Id="f1" ChangeKey="AQAAAA=="/></t:CreatedEvent></m:Notification></m:Notifications></m:GetStreamingEventsResponseMessage></m:ResponseMessages></m:GetStreamingEventsResponse></s:Body></s:Envelope>"#;
        let fixed = super::as_schema_says(exchange);
        let parsed = crate::soap::read_response::<m::GetStreamingEventsResponse>(
            &fixed,
            "GetStreamingEventsResponse",
        )
        .unwrap();
        let body = parsed.body.ok().unwrap();
        let m::ArrayOfResponseMessagesChoice::GetStreamingEventsResponseMessage(msg) =
            &body.response_messages.content[0]
        else {
            panic!()
        };
        let n = &msg.notifications.as_ref().unwrap().notification;
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].subscription_id, "s1");
        // the schema's own form is left as it is
        assert!(matches!(
            super::as_schema_says("<t:Notification/>"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn a_mismatched_end_is_refused_and_a_huge_envelope_too() {
        assert!(Splitter::default().push(b"<a><b></a>").is_err());
        let mut s = Splitter::default();
        assert!(s.push(b"<a>").unwrap().is_empty());
        let big = vec![b'x'; super::MAX_ENVELOPE + 1];
        assert!(s.push(&big).is_err());
    }
}
