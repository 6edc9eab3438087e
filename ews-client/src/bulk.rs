//! Bulk appointment insertion by impersonation: one appointment per mailbox.
//!
//! For each mailbox the factory builds a fresh `CalendarItem`; the helper creates it in that
//! mailbox's calendar as the mailbox's owner, sending meeting requests
//! (`SendToAllAndSaveCopy`) when it has attendees and `SendToNone` otherwise. Requests run
//! concurrently up to a bound, each mailbox under its own throttling identity, with the
//! client's retry policy (a creation whose outcome is unknown is reported, never resent). The
//! result has one entry per mailbox, in input order; one mailbox's failure never stops the
//! others.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ews_types::{m, t};
use futures_util::StreamExt;

use crate::client::Client;
use crate::delegate::created_id;
use crate::error::Error;
use crate::impersonation::ConnectingSid;

/// Progress of a bulk run, passed to the callback after each mailbox finishes.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    /// Mailboxes finished so far (this one included).
    pub done: usize,
    /// Mailboxes in the run.
    pub total: usize,
    /// The mailbox that just finished.
    pub mailbox: &'a str,
    /// Its result.
    pub result: Result<&'a t::ItemId, &'a Error>,
}

type ProgressFn = Arc<dyn Fn(Progress<'_>) + Send + Sync>;

/// Options of [`Client::create_appointments`].
#[derive(Clone)]
pub struct BulkOptions {
    concurrency: usize,
    progress: Option<ProgressFn>,
}

impl Default for BulkOptions {
    /// 10 mailboxes at a time, no progress callback.
    fn default() -> Self {
        BulkOptions {
            concurrency: 10,
            progress: None,
        }
    }
}

impl std::fmt::Debug for BulkOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkOptions")
            .field("concurrency", &self.concurrency)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl BulkOptions {
    /// How many mailboxes are worked on at once (default 10; at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Called after each mailbox finishes, in completion order.
    pub fn on_progress(mut self, f: impl Fn(Progress<'_>) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }
}

/// Whether the appointment invites anyone.
fn has_attendees(item: &t::CalendarItem) -> bool {
    let n = |a: &Option<t::NonEmptyArrayOfAttendees>| a.as_ref().map_or(0, |a| a.attendee.len());
    n(&item.required_attendees) + n(&item.optional_attendees) + n(&item.resources) > 0
}

impl Client {
    /// Creates one appointment in each mailbox's calendar by impersonation. See the
    /// [module docs](crate::bulk).
    ///
    /// `mailboxes` are SMTP addresses; `factory` builds the appointment for one of them.
    pub async fn create_appointments<F>(
        &self,
        mailboxes: &[String],
        factory: F,
        options: BulkOptions,
    ) -> Vec<Result<t::ItemId, Error>>
    where
        F: Fn(&str) -> t::CalendarItem,
    {
        let total = mailboxes.len();
        let done = AtomicUsize::new(0);
        let factory = &factory;
        let done = &done;
        let options = &options;
        futures_util::stream::iter(mailboxes.iter())
            .map(|mailbox| async move {
                let result = self.create_one(mailbox, factory(mailbox)).await;
                if let Some(p) = &options.progress {
                    p(Progress {
                        done: done.fetch_add(1, Ordering::SeqCst) + 1,
                        total,
                        mailbox,
                        result: result.as_ref(),
                    });
                }
                result
            })
            .buffered(options.concurrency)
            .collect()
            .await
    }

    async fn create_one(&self, mailbox: &str, item: t::CalendarItem) -> Result<t::ItemId, Error> {
        let as_owner = self.impersonate(ConnectingSid::smtp(mailbox))?;
        let invitations = if has_attendees(&item) {
            t::CalendarItemCreateOrDeleteOperation::SendToAllAndSaveCopy
        } else {
            t::CalendarItemCreateOrDeleteOperation::SendToNone
        };
        let request = m::CreateItem::new(t::NonEmptyArrayOfAllItems::new(
            t::NonEmptyArrayOfAllItemsChoice::CalendarItem(item),
        ))
        .with_send_meeting_invitations(invitations);
        let mut results = as_owner.send_batch(&request, 1).await?;
        created_id(results.remove(0)?)
    }
}
