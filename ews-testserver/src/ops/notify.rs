//! Subscribe (pull), GetEvents and Unsubscribe, over the journal of `crate::events`.
//!
//! As Exchange answers (Microsoft's Subscribe, GetEvents and Unsubscribe references):
//! - a pull subscription names folders of one mailbox (or all its folders) and event types,
//!   with a timeout of 1 to 1,440 minutes; a subscription under delegate access (another
//!   mailbox, not impersonated) is `ErrorSubscriptionDelegateAccessNotSupported`;
//! - `Subscribe` with a `Watermark` resumes after it; one the journal no longer covers is
//!   `ErrorInvalidWatermark`;
//! - `GetEvents` answers the events after the watermark given (each with its own watermark),
//!   at most 50 with `MoreEvents`, or one `StatusEvent` carrying the current watermark;
//! - a subscription not polled within its timeout is `ErrorExpiredSubscription`; one ended, or
//!   forgotten (`TestServer::expire_subscriptions`, as after a restart), is
//!   `ErrorSubscriptionNotFound`; another account's is `ErrorSubscriptionAccessDenied`;
//! - a minute lasts `[limits] streaming_minute_ms` (60,000 by default), for tests.
//!
//! Streaming and push subscriptions are not implemented yet (`ErrorInvalidSubscriptionRequest`).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use ews_types::{m, t};

use super::items::{fail, messages, ok};
use super::{Ctx, folder_owner};
use crate::events::{Event, Kind, PER_ANSWER, Push, Subscription, parse_watermark, watermark};
use crate::soap::Fault;
use crate::store::Store;

type Code = m::ResponseCode;
type Choice = m::ArrayOfResponseMessagesChoice;
type Failure = (Code, String);

fn not_found() -> Failure {
    (
        Code::ErrorSubscriptionNotFound,
        "The specified subscription was not found.".into(),
    )
}

fn bad_watermark() -> Failure {
    (
        Code::ErrorInvalidWatermark,
        "The watermark used for creating this subscription was not found.".into(),
    )
}

/// `Subscribe`.
pub(crate) fn subscribe(
    store: &mut Store,
    ctx: &Ctx,
    r: m::Subscribe,
) -> Result<m::SubscribeResponse, Fault> {
    let message = match subscribe_one(store, ctx, r) {
        Ok((id, wm)) => ok!(SubscribeResponseMessage {
            subscription_id: Some(id.into()),
            watermark: Some(wm.into()),
        }),
        Err((code, text)) => fail!(SubscribeResponseMessage, code, text),
    };
    Ok(m::SubscribeResponse {
        response_messages: messages(vec![Choice::SubscribeResponseMessage(message)]),
    })
}

/// What a subscription request asks for, whatever its kind.
struct Wanted<'r> {
    all: Option<bool>,
    folders: Option<&'r t::NonEmptyArrayOfBaseFolderIds>,
    types: &'r t::NonEmptyArrayOfNotificationEventTypes,
    watermark: Option<&'r ews_types::runtime::CompactString>,
    /// Minutes without a poll (pull) or a connection (streaming) before it is forgotten;
    /// push: the status frequency.
    timeout: i32,
    streaming: bool,
    /// Push: the subscriber's URL.
    url: Option<&'r ews_types::runtime::CompactString>,
}

/// How long a streaming subscription lives without a connection (Exchange: 30 minutes).
const STREAMING_LIFETIME_MINUTES: i32 = 30;

fn subscribe_one(
    store: &mut Store,
    ctx: &Ctx,
    r: m::Subscribe,
) -> Result<(String, String), Failure> {
    let p = match &r.content {
        m::SubscribeChoice::PullSubscriptionRequest(p) => {
            if !(1..=1440).contains(&p.timeout) {
                return Err((
                    Code::ErrorInvalidSubscriptionRequest,
                    "The pull subscription timeout must be between 1 and 1440 minutes.".into(),
                ));
            }
            Wanted {
                all: p.subscribe_to_all_folders,
                folders: p.folder_ids.as_deref(),
                types: &p.event_types,
                watermark: p.watermark.as_ref(),
                timeout: p.timeout,
                streaming: false,
                url: None,
            }
        }
        m::SubscribeChoice::StreamingSubscriptionRequest(p) => Wanted {
            all: p.subscribe_to_all_folders,
            folders: p.folder_ids.as_deref(),
            types: &p.event_types,
            watermark: None,
            timeout: STREAMING_LIFETIME_MINUTES,
            streaming: true,
            url: None,
        },
        m::SubscribeChoice::PushSubscriptionRequest(p) => {
            let url = p.url.trim();
            if !(url.starts_with("http://") || url.starts_with("https://")) || url.contains(' ') {
                return Err((
                    Code::ErrorInvalidPushSubscriptionUrl,
                    "The push subscription URL is not a valid HTTP or HTTPS URL.".into(),
                ));
            }
            if !(1..=1440).contains(&p.status_frequency) {
                return Err((
                    Code::ErrorInvalidSubscriptionRequest,
                    "StatusFrequency must be between 1 and 1440 minutes.".into(),
                ));
            }
            Wanted {
                all: p.subscribe_to_all_folders,
                folders: p.folder_ids.as_deref(),
                types: &p.event_types,
                watermark: p.watermark.as_ref(),
                timeout: p.status_frequency,
                streaming: false,
                url: Some(&p.url),
            }
        }
    };
    let mut mailbox = None;
    let mut folders = HashSet::new();
    for f in p.folders.iter().flat_map(|f| &f.content) {
        let (mbx, key) = match f {
            t::NonEmptyArrayOfBaseFolderIdsChoice::DistinguishedFolderId(d) => {
                (folder_owner(store, ctx, d)?, d.id.into())
            }
            t::NonEmptyArrayOfBaseFolderIdsChoice::FolderId(id) => {
                store.locate_folder(&id.id).ok_or((
                    Code::ErrorFolderNotFound,
                    "The specified folder could not be found in the store.".into(),
                ))?
            }
        };
        if mailbox.is_some_and(|m| m != mbx) {
            return Err((
                Code::ErrorInvalidSubscriptionRequest,
                "All folders of a subscription must be in one mailbox.".into(),
            ));
        }
        mailbox = Some(mbx);
        folders.insert(store.mailboxes[mbx].folder(key).id.clone());
    }
    let all = p.all == Some(true);
    if !all && folders.is_empty() {
        return Err((
            Code::ErrorInvalidSubscriptionRequest,
            "A subscription names folders, or all folders.".into(),
        ));
    }
    let acting = ctx.acting.ok_or((
        Code::ErrorMissingEmailAddress,
        "A subscription needs a mailbox.".into(),
    ))?;
    let mbx = mailbox.unwrap_or(acting);
    if mbx != acting {
        return Err((
            Code::ErrorSubscriptionDelegateAccessNotSupported,
            "Subscriptions are not supported for delegate user access.".into(),
        ));
    }
    store.notifications.watch(mbx, &store.mailboxes[mbx]);
    let from = match p.watermark {
        Some(w) => {
            let seq = parse_watermark(w).ok_or_else(bad_watermark)?;
            if !store.notifications.holds_after(seq) {
                return Err(bad_watermark());
            }
            w.clone()
        }
        None => watermark(store.notifications.now()).into(),
    };
    let from_seq = parse_watermark(&from).unwrap_or_else(|| store.notifications.now());
    let minute = Duration::from_millis(store.minute_ms);
    let id = store.notifications.subscribe(Subscription {
        mailbox: mbx,
        folders: (!all).then_some(folders),
        types: p
            .types
            .content
            .iter()
            .map(|t::NonEmptyArrayOfNotificationEventTypesChoice::EventType(e)| *e)
            .collect(),
        owner: ctx.account.login.clone(),
        timeout: match p.url {
            // a push subscription lives until it is ended or its subscriber keeps failing
            Some(_) => Duration::MAX,
            None => minute * p.timeout as u32,
        },
        last_poll: Instant::now(),
        streaming: p.streaming,
        cursor: from_seq,
        push: p.url.map(|url| Push {
            url: url.trim().to_owned(),
            every: minute * p.timeout as u32,
            last_sent: Instant::now(),
            next_try: Instant::now(),
            failures: 0,
        }),
        backend: ctx.backend,
    });
    Ok((id, from.to_string()))
}

fn object(e: &Event) -> (Option<t::ItemId>, Option<t::FolderId>) {
    if e.item {
        (Some(t::ItemId::new(e.id.clone())), None)
    } else {
        (None, Some(t::FolderId::new(e.id.clone())))
    }
}

/// An event as a notification carries it.
pub(crate) fn notification_event(e: &Event) -> t::NotificationChoice {
    let wm = Some(watermark(e.seq));
    let at: ews_types::runtime::DateTime = e.at.into();
    let parent = t::FolderId::new(e.parent.clone());
    let (item, folder) = object(e);
    let changed = || t::BaseObjectChangedEvent {
        watermark: wm.clone().map(Into::into),
        time_stamp: at,
        content: match (&item, &folder) {
            (Some(i), _) => t::BaseObjectChangedEventChoice::ItemId(i.clone()),
            (_, Some(f)) => t::BaseObjectChangedEventChoice::FolderId(f.clone()),
            _ => unreachable!("an item or a folder"),
        },
        parent_folder_id: parent.clone(),
    };
    match e.kind {
        Kind::Created => t::NotificationChoice::CreatedEvent(changed()),
        Kind::Deleted => t::NotificationChoice::DeletedEvent(changed()),
        Kind::NewMail => t::NotificationChoice::NewMailEvent(changed()),
        Kind::Modified => t::NotificationChoice::ModifiedEvent(t::ModifiedEvent {
            watermark: wm.clone().map(Into::into),
            time_stamp: at,
            content: match (&item, &folder) {
                (Some(i), _) => t::ModifiedEventChoice::ItemId(i.clone()),
                (_, Some(f)) => t::ModifiedEventChoice::FolderId(f.clone()),
                _ => unreachable!("an item or a folder"),
            },
            parent_folder_id: parent.clone(),
            unread_count: None,
        }),
        Kind::Moved | Kind::Copied => {
            let (old_id, old_parent) = e.old.clone().unwrap_or_default();
            let moved = t::MovedCopiedEvent {
                watermark: wm.clone().map(Into::into),
                time_stamp: at,
                content: match (&item, &folder) {
                    (Some(i), _) => t::MovedCopiedEventChoice::ItemId(i.clone()),
                    (_, Some(f)) => t::MovedCopiedEventChoice::FolderId(f.clone()),
                    _ => unreachable!("an item or a folder"),
                },
                parent_folder_id: parent.clone(),
                content2: if e.item {
                    t::MovedCopiedEventChoice2::OldItemId(t::ItemId::new(old_id))
                } else {
                    t::MovedCopiedEventChoice2::OldFolderId(t::FolderId::new(old_id))
                },
                old_parent_folder_id: t::FolderId::new(old_parent),
            };
            if e.kind == Kind::Moved {
                t::NotificationChoice::MovedEvent(moved)
            } else {
                t::NotificationChoice::CopiedEvent(moved)
            }
        }
    }
}

/// `GetEvents`.
pub(crate) fn get_events(
    store: &mut Store,
    ctx: &Ctx,
    r: m::GetEvents,
) -> Result<m::GetEventsResponse, Fault> {
    let message = match events(store, ctx, &r) {
        Ok(n) => ok!(GetEventsResponseMessage {
            notification: Some(Box::new(n))
        }),
        Err((code, text)) => fail!(GetEventsResponseMessage, code, text),
    };
    Ok(m::GetEventsResponse {
        response_messages: messages(vec![Choice::GetEventsResponseMessage(message)]),
    })
}

fn events(store: &mut Store, ctx: &Ctx, r: &m::GetEvents) -> Result<t::Notification, Failure> {
    let after = parse_watermark(&r.watermark).ok_or_else(bad_watermark)?;
    if !store.notifications.holds_after(after) {
        return Err(bad_watermark());
    }
    let now = store.notifications.now();
    if store
        .notifications
        .subscription(&r.subscription_id)
        .is_none()
    {
        return Err(store.notifications.missing(&r.subscription_id));
    }
    let s = store
        .notifications
        .subscription(&r.subscription_id)
        .ok_or_else(not_found)?;
    if s.owner != ctx.account.login {
        return Err((
            Code::ErrorSubscriptionAccessDenied,
            "Only the account that made a subscription may read its events.".into(),
        ));
    }
    if s.streaming {
        return Err((
            Code::ErrorInvalidPullSubscriptionId,
            "GetEvents reads pull subscriptions only.".into(),
        ));
    }
    s.last_poll = Instant::now();
    let s = s.clone();
    let (found, more) = store.notifications.events_after(&s, after, PER_ANSWER);
    let content: Vec<t::NotificationChoice> = if found.is_empty() {
        vec![t::NotificationChoice::StatusEvent(
            t::BaseNotificationEvent {
                watermark: Some(watermark(now).into()),
            },
        )]
    } else {
        found.iter().map(notification_event).collect()
    };
    Ok(t::Notification {
        subscription_id: r.subscription_id.clone(),
        previous_watermark: Some(r.watermark.clone()),
        more_events: Some(more),
        content: ews_types::runtime::NonEmpty::from_vec(content).expect("at least a status event"),
    })
}

/// `Unsubscribe`.
pub(crate) fn unsubscribe(
    store: &mut Store,
    ctx: &Ctx,
    r: m::Unsubscribe,
) -> Result<m::UnsubscribeResponse, Fault> {
    let here = store
        .notifications
        .subscription(&r.subscription_id)
        .is_some_and(|s| s.backend == ctx.backend);
    let message = if here && store.notifications.unsubscribe(&r.subscription_id) {
        ok!(ResponseMessage {})
    } else {
        let (code, text) = not_found();
        fail!(ResponseMessage, code, text)
    };
    Ok(m::UnsubscribeResponse {
        response_messages: messages(vec![Choice::UnsubscribeResponseMessage(message)]),
    })
}
