//! Pull notifications: [`Mailbox::subscribe_pull`] and [`PullSubscription::poll`].
//!
//! - Each poll reads every event since the subscription's [`Watermark`] (as many `GetEvents`
//!   as `MoreEvents` asks for) and moves the watermark past them, so within one run no event
//!   is handed out twice. `GetEvents` only reads, so a lost answer is asked again with the same
//!   watermark.
//! - Persist [`PullSubscription::watermark`] after handling a poll's events; a restarted
//!   program resumes with [`Mailbox::resume_pull`] and gets what happened in between.
//! - A subscription the server no longer knows (it expired, the server restarted:
//!   `ErrorSubscriptionNotFound`, `ErrorExpiredSubscription`) is made again from the last
//!   watermark ([`Events::resubscribed`]); if the server no longer holds events that far back
//!   (`ErrorInvalidWatermark`), a new subscription starts now and [`Events::gap`] says events
//!   may have been missed (synchronize the folder to catch up: [`Mailbox::sync_items`]).
//! - Exchange refuses subscriptions under delegate access
//!   (`ErrorSubscriptionDelegateAccessNotSupported`): subscribe as the owner or by
//!   impersonation.
//!
//! ```no_run
//! # async fn run(calendar_owner: ews_client::Mailbox) -> Result<(), ews_client::Error> {
//! use ews_client::notify::{EventKind, Watermark};
//! use ews_client::t::{DistinguishedFolderIdName as Folder, NotificationEventType as Type};
//!
//! let types = [Type::CreatedEvent, Type::ModifiedEvent, Type::DeletedEvent, Type::MovedEvent];
//! let mut sub = calendar_owner.subscribe_pull(&[Folder::Calendar], &types, 30).await?;
//! loop {
//!     let batch = sub.poll().await?;
//!     for e in &batch.events {
//!         println!("{:?} {:?}", e.kind, e.object);
//!     }
//!     std::fs::write("calendar.watermark", sub.watermark().as_str()).ok();
//!     tokio::time::sleep(std::time::Duration::from_secs(10)).await;
//! }
//! # }
//! ```

use ews_types::runtime::NonEmpty;
use ews_types::{m, t};

use crate::error::{Error, ErrorKind};
use crate::mailbox::Mailbox;

/// Where a subscription's reading stands: opaque, as the server wrote it. Persist it as text
/// ([`Watermark::as_str`]) and give it back ([`From<String>`]).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Watermark(String);

impl Watermark {
    /// The watermark as the server wrote it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for Watermark {
    fn from(s: String) -> Self {
        Watermark(s)
    }
}

impl std::fmt::Debug for Watermark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Watermark({} bytes)", self.0.len())
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// An item or folder was created.
    Created,
    /// It was deleted.
    Deleted,
    /// It changed.
    Modified,
    /// It moved ([`Event::old`] has where from).
    Moved,
    /// It was copied ([`Event::old`] has the original).
    Copied,
    /// A message arrived.
    NewMail,
    /// The mailbox's free/busy changed.
    FreeBusyChanged,
}

/// An item or a folder.
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    /// An item.
    Item(t::ItemId),
    /// A folder.
    Folder(t::FolderId),
}

/// One event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// To what.
    pub object: Object,
    /// The folder it is in.
    pub parent: t::FolderId,
    /// Moved and copied: the old (or original) object and its folder.
    pub old: Option<(Object, t::FolderId)>,
    /// When, as the server says.
    pub at: Option<chrono::DateTime<chrono::Utc>>,
    /// The watermark just after this event.
    pub watermark: Option<Watermark>,
}

/// What one poll read.
#[derive(Debug, Clone, PartialEq)]
pub struct Events {
    /// The events, in the server's order.
    pub events: Vec<Event>,
    /// The server had forgotten the subscription; it was made again.
    pub resubscribed: bool,
    /// Events may have been missed: the server no longer held them when the subscription was
    /// made again. Synchronize the folders to catch up.
    pub gap: bool,
}

/// A pull subscription. See the [module docs](crate::notify).
#[derive(Debug, Clone)]
pub struct PullSubscription {
    mailbox: Mailbox,
    folders: Vec<t::DistinguishedFolderIdName>,
    types: Vec<t::NotificationEventType>,
    timeout: i32,
    id: String,
    watermark: Watermark,
}

fn malformed(what: &str) -> Error {
    Error::new(ErrorKind::MalformedResponse, what)
}

fn is_gone(e: &Error) -> bool {
    use m::ResponseCode as C;
    matches!(
        e.response_code(),
        Some(
            C::ErrorSubscriptionNotFound
                | C::ErrorExpiredSubscription
                | C::ErrorInvalidSubscription
        )
    )
}

fn is_bad_watermark(e: &Error) -> bool {
    matches!(
        e.response_code(),
        Some(m::ResponseCode::ErrorInvalidWatermark)
    )
}

impl Mailbox {
    /// Subscribes to `types` of events in these of this mailbox's folders, kept by the server
    /// for `timeout_minutes` (1 to 1,440) between polls.
    pub async fn subscribe_pull(
        &self,
        folders: &[t::DistinguishedFolderIdName],
        types: &[t::NotificationEventType],
        timeout_minutes: i32,
    ) -> Result<PullSubscription, Error> {
        self.subscribe_from(folders, types, timeout_minutes, None)
            .await
    }

    /// [`Mailbox::subscribe_pull`] resumed after `watermark`: the first poll reads what
    /// happened since. Fails with `ErrorInvalidWatermark` when the server no longer holds
    /// events that old.
    pub async fn resume_pull(
        &self,
        folders: &[t::DistinguishedFolderIdName],
        types: &[t::NotificationEventType],
        timeout_minutes: i32,
        watermark: Watermark,
    ) -> Result<PullSubscription, Error> {
        self.subscribe_from(folders, types, timeout_minutes, Some(watermark))
            .await
    }

    async fn subscribe_from(
        &self,
        folders: &[t::DistinguishedFolderIdName],
        types: &[t::NotificationEventType],
        timeout: i32,
        watermark: Option<Watermark>,
    ) -> Result<PullSubscription, Error> {
        let watched = self.watched(folders, types)?;
        let (id, watermark) = self
            .subscribe(m::SubscribeChoice::PullSubscriptionRequest(
                t::PullSubscriptionRequest {
                    subscribe_to_all_folders: None,
                    folder_ids: Some(Box::new(watched.folders)),
                    event_types: watched.types,
                    watermark: watermark.map(|w| w.0.into()),
                    timeout,
                },
            ))
            .await?;
        let watermark = watermark.ok_or_else(|| malformed("Subscribe returned no Watermark"))?;
        Ok(PullSubscription {
            mailbox: self.clone(),
            folders: folders.to_vec(),
            types: types.to_vec(),
            timeout,
            id,
            watermark: Watermark(watermark),
        })
    }
}

/// What a subscription watches, as every kind of subscription request names it.
pub(crate) struct Watched {
    /// The folders.
    pub folders: t::NonEmptyArrayOfBaseFolderIds,
    /// The event types.
    pub types: t::NonEmptyArrayOfNotificationEventTypes,
}

impl Mailbox {
    /// These of this mailbox's folders and these event types, as a subscription names them:
    /// at least one of each.
    pub(crate) fn watched(
        &self,
        folders: &[t::DistinguishedFolderIdName],
        types: &[t::NotificationEventType],
    ) -> Result<Watched, Error> {
        let none = |what: &str| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("no {what}: give at least one"),
            )
        };
        let ids = NonEmpty::collect(folders.iter().map(|f| {
            t::NonEmptyArrayOfBaseFolderIdsChoice::DistinguishedFolderId(self.folder(*f))
        }))
        .ok_or_else(|| none("folders"))?;
        let kinds = NonEmpty::collect(
            types
                .iter()
                .map(|k| t::NonEmptyArrayOfNotificationEventTypesChoice::EventType(*k)),
        )
        .ok_or_else(|| none("event types"))?;
        Ok(Watched {
            folders: t::NonEmptyArrayOfBaseFolderIds::new(ids),
            types: t::NonEmptyArrayOfNotificationEventTypes::new(kinds),
        })
    }

    /// Sends a `Subscribe` request of any kind; gives the subscription's id and the watermark
    /// the answer carries, if any.
    pub(crate) async fn subscribe(
        &self,
        content: m::SubscribeChoice,
    ) -> Result<(String, Option<String>), Error> {
        let m::ArrayOfResponseMessagesChoice::SubscribeResponseMessage(msg) =
            self.send_one(&m::Subscribe { content }).await?
        else {
            return Err(malformed("expected a SubscribeResponseMessage"));
        };
        let id = msg
            .subscription_id
            .ok_or_else(|| malformed("Subscribe returned no SubscriptionId"))?;
        Ok((id.to_string(), msg.watermark.map(Into::into)))
    }
}

/// An event as a notification carries it (`None` for a status event).
pub(crate) fn event(choice: t::NotificationChoice) -> Option<Event> {
    use t::NotificationChoice as N;
    let when = |d: &ews_types::runtime::DateTime| d.to_utc();
    let changed = |kind, e: t::BaseObjectChangedEvent| Event {
        kind,
        object: match e.content {
            t::BaseObjectChangedEventChoice::ItemId(i) => Object::Item(i),
            t::BaseObjectChangedEventChoice::FolderId(f) => Object::Folder(f),
        },
        parent: e.parent_folder_id,
        old: None,
        at: when(&e.time_stamp),
        watermark: e.watermark.map(|w| Watermark(w.into())),
    };
    let moved = |kind, e: t::MovedCopiedEvent| Event {
        kind,
        object: match e.content {
            t::MovedCopiedEventChoice::ItemId(i) => Object::Item(i),
            t::MovedCopiedEventChoice::FolderId(f) => Object::Folder(f),
        },
        parent: e.parent_folder_id,
        old: Some((
            match e.content2 {
                t::MovedCopiedEventChoice2::OldItemId(i) => Object::Item(i),
                t::MovedCopiedEventChoice2::OldFolderId(f) => Object::Folder(f),
            },
            e.old_parent_folder_id,
        )),
        at: when(&e.time_stamp),
        watermark: e.watermark.map(|w| Watermark(w.into())),
    };
    Some(match choice {
        N::CreatedEvent(e) => changed(EventKind::Created, e),
        N::DeletedEvent(e) => changed(EventKind::Deleted, e),
        N::NewMailEvent(e) => changed(EventKind::NewMail, e),
        N::FreeBusyChangedEvent(e) => changed(EventKind::FreeBusyChanged, e),
        N::ModifiedEvent(e) => Event {
            kind: EventKind::Modified,
            object: match e.content {
                t::ModifiedEventChoice::ItemId(i) => Object::Item(i),
                t::ModifiedEventChoice::FolderId(f) => Object::Folder(f),
            },
            parent: e.parent_folder_id,
            old: None,
            at: when(&e.time_stamp),
            watermark: e.watermark.map(|w| Watermark(w.into())),
        },
        N::MovedEvent(e) => moved(EventKind::Moved, e),
        N::CopiedEvent(e) => moved(EventKind::Copied, e),
        N::StatusEvent(_) => return None,
    })
}

/// The watermark a notification's last event carries.
fn last_watermark(content: &[t::NotificationChoice]) -> Option<String> {
    use t::NotificationChoice as N;
    content.iter().rev().find_map(|c| match c {
        N::CreatedEvent(e)
        | N::DeletedEvent(e)
        | N::NewMailEvent(e)
        | N::FreeBusyChangedEvent(e) => e.watermark.as_ref().map(|w| w.to_string()),
        N::ModifiedEvent(e) => e.watermark.as_ref().map(|w| w.to_string()),
        N::MovedEvent(e) | N::CopiedEvent(e) => e.watermark.as_ref().map(|w| w.to_string()),
        N::StatusEvent(e) => e.watermark.as_ref().map(|w| w.to_string()),
    })
}

impl PullSubscription {
    /// The subscription's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Where reading stands: persist it after handling a poll's events.
    pub fn watermark(&self) -> &Watermark {
        &self.watermark
    }

    /// Every event since the last poll (or the subscription), making the subscription again
    /// if the server forgot it.
    pub async fn poll(&mut self) -> Result<Events, Error> {
        let mut out = Events {
            events: Vec::new(),
            resubscribed: false,
            gap: false,
        };
        loop {
            let request = m::GetEvents {
                subscription_id: self.id.clone().into(),
                watermark: self.watermark.0.clone().into(),
            };
            let answer = match self.mailbox.send_one(&request).await {
                Err(e) if is_gone(&e) && !out.resubscribed => {
                    self.subscribe_again(&mut out).await?;
                    continue;
                }
                other => other?,
            };
            let m::ArrayOfResponseMessagesChoice::GetEventsResponseMessage(msg) = answer else {
                return Err(malformed("expected a GetEventsResponseMessage"));
            };
            let n = msg
                .notification
                .ok_or_else(|| malformed("GetEvents returned no Notification"))?;
            let content: Vec<t::NotificationChoice> = n.content.into_iter().collect();
            let next = last_watermark(&content)
                .ok_or_else(|| malformed("GetEvents returned no watermark"))?;
            out.events.extend(content.into_iter().filter_map(event));
            self.watermark = Watermark(next);
            if n.more_events != Some(true) {
                return Ok(out);
            }
        }
    }

    async fn subscribe_again(&mut self, out: &mut Events) -> Result<(), Error> {
        tracing::warn!("the subscription was forgotten by the server: subscribing again");
        out.resubscribed = true;
        let resumed = self
            .mailbox
            .resume_pull(
                &self.folders,
                &self.types,
                self.timeout,
                self.watermark.clone(),
            )
            .await;
        let fresh = match resumed {
            Ok(s) => s,
            Err(e) if is_bad_watermark(&e) => {
                out.gap = true;
                self.mailbox
                    .subscribe_pull(&self.folders, &self.types, self.timeout)
                    .await?
            }
            Err(e) => return Err(e),
        };
        self.id = fresh.id;
        self.watermark = fresh.watermark;
        Ok(())
    }

    /// Ends the subscription on the server.
    pub async fn unsubscribe(self) -> Result<(), Error> {
        self.mailbox
            .send_one(&m::Unsubscribe {
                subscription_id: self.id.into(),
            })
            .await
            .map(drop)
    }
}
