//! The same work over many mailboxes: [`fan_out`] runs any per-mailbox task, and
//! [`Client::create_appointments`] is the seeds' first task on top of it.
//!
//! - **Any access mode**: the caller opens each [`Mailbox`] (by impersonation, as a delegate,
//!   its own); the task does the same work on each.
//! - **No head-of-line blocking**: up to `concurrency` tasks run at once and a new one starts
//!   as soon as any finishes, so one mailbox waiting out a 30 s `BackOffMilliseconds` holds up
//!   nobody else. Each mailbox's requests still go through the client's per-identity gates and
//!   pauses.
//! - **One result per mailbox, in input order**, whatever order they finished in; one
//!   mailbox's failure never stops the others; a write whose outcome is unknown is reported as
//!   such ([`Error::outcome_unknown`]), never resent.
//! - **Progress**: after each mailbox, a [`Progress`] with the counts done, failed,
//!   failed by throttling and recovered from throttling, the throttling answers this mailbox
//!   got, and an estimate of the time left.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ews_types::t;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use crate::client::Client;
use crate::error::Error;
use crate::impersonation::ConnectingSid;
use crate::mailbox::Mailbox;
use crate::throttle::counting_throttles;

/// Progress of a run, passed to the callback after each mailbox finishes.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    /// The mailbox that just finished: its position in the input.
    pub index: usize,
    /// Its address, when the mailbox was opened by one.
    pub mailbox: Option<&'a str>,
    /// Its error, or `None` on success.
    pub error: Option<&'a Error>,
    /// Mailboxes finished so far (this one included).
    pub done: usize,
    /// Of those, the ones that failed.
    pub failed: usize,
    /// Of those, the ones that failed because the server kept throttling
    /// ([`Error::is_throttled`]).
    pub throttled: usize,
    /// Throttling answers (`ErrorServerBusy` and the like) this mailbox's requests got, whether
    /// they were then retried or not.
    pub throttles: usize,
    /// Mailboxes finished so far that succeeded after at least one throttling answer.
    pub recovered: usize,
    /// Mailboxes in the run.
    pub total: usize,
    /// Time since the run started.
    pub elapsed: Duration,
    /// Time left at the rate so far (`None` until one has finished).
    pub eta: Option<Duration>,
}

type ProgressFn = Arc<dyn Fn(Progress<'_>) + Send + Sync>;

/// Options of [`fan_out`] and [`Client::create_appointments`].
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
    /// How many mailboxes are worked on at once in total (default 10; at least 1). Each
    /// identity is further bounded by the client's own per-identity concurrency.
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

/// Runs `task` on every mailbox, up to the options' concurrency at once, and returns one
/// result per mailbox in input order. See the [module docs](crate::bulk).
///
/// ```no_run
/// # async fn run(client: ews_client::Client) -> Result<(), ews_client::Error> {
/// use ews_client::{ConnectingSid, bulk::{BulkOptions, fan_out}};
/// use ews_client::t::DistinguishedFolderIdName as Folder;
/// let mailboxes = ["ana@contoso.com", "ben@contoso.com"]
///     .iter()
///     .map(|a| Ok(client.impersonate(ConnectingSid::smtp(*a))?.mailbox()))
///     .collect::<Result<Vec<_>, ews_client::Error>>()?;
/// let found = fan_out(mailboxes, BulkOptions::default(), |mb| async move {
///     mb.find_all(Folder::Inbox, ews_client::query::Query::new()).await.map(|items| items.len())
/// })
/// .await;
/// # Ok(()) }
/// ```
pub async fn fan_out<T, F, Fut>(
    mailboxes: Vec<Mailbox>,
    options: BulkOptions,
    task: F,
) -> Vec<Result<T, Error>>
where
    F: Fn(Mailbox) -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    let jobs = mailboxes.into_iter().map(|m| (m, ())).collect();
    fan_out_with(jobs, options, |m, ()| task(m)).await
}

/// [`fan_out`] with a value of the caller's for each mailbox (a key, a row of a file) handed
/// to the task beside it.
pub async fn fan_out_with<J, T, F, Fut>(
    jobs: Vec<(Mailbox, J)>,
    options: BulkOptions,
    task: F,
) -> Vec<Result<T, Error>>
where
    F: Fn(Mailbox, J) -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    let mailboxes = jobs;
    let total = mailboxes.len();
    let started = Instant::now();
    let addresses: Vec<Option<String>> = mailboxes
        .iter()
        .map(|(m, _)| m.address().map(str::to_owned))
        .collect();
    let mut results: Vec<Option<Result<T, Error>>> = (0..total).map(|_| None).collect();
    let mut waiting = mailboxes.into_iter().enumerate();
    let mut running = FuturesUnordered::new();
    let task = &task;
    let start = |(i, (mailbox, job)): (usize, (Mailbox, J))| {
        let running = counting_throttles(task(mailbox, job));
        async move { (i, running.await) }
    };
    for next in waiting.by_ref().take(options.concurrency) {
        running.push(start(next));
    }
    let (mut done, mut failed, mut throttled, mut recovered) = (0, 0, 0, 0);
    while let Some((i, (result, throttles))) = running.next().await {
        if let Some(next) = waiting.next() {
            running.push(start(next));
        }
        done += 1;
        match &result {
            Err(e) => {
                failed += 1;
                throttled += usize::from(e.is_throttled());
            }
            Ok(_) => recovered += usize::from(throttles > 0),
        }
        if let Some(report) = &options.progress {
            let elapsed = started.elapsed();
            report(Progress {
                index: i,
                mailbox: addresses[i].as_deref(),
                error: result.as_ref().err(),
                done,
                failed,
                throttled,
                throttles,
                recovered,
                total,
                elapsed,
                eta: Some(elapsed.mul_f64((total - done) as f64 / done as f64)),
            });
        }
        results[i] = Some(result);
    }
    results
        .into_iter()
        .map(|r| r.expect("every mailbox finished"))
        .collect()
}

impl Client {
    /// Creates one appointment in each mailbox's calendar by impersonation, with
    /// [`Mailbox::create_appointment`] (invitations sent when it has attendees), through
    /// [`fan_out`]. `mailboxes` are SMTP addresses; `factory` builds the appointment for one of
    /// them. An address that cannot be impersonated gets its error in its slot.
    pub async fn create_appointments<F>(
        &self,
        mailboxes: &[String],
        factory: F,
        options: BulkOptions,
    ) -> Vec<Result<t::ItemId, Error>>
    where
        F: Fn(&str) -> t::CalendarItem,
    {
        // addresses that cannot be impersonated are answered without a task
        let mut slots: Vec<Option<Result<t::ItemId, Error>>> = Vec::new();
        let mut valid = Vec::new();
        for m in mailboxes {
            match self.impersonate(ConnectingSid::smtp(m)) {
                Ok(as_owner) => {
                    slots.push(None);
                    valid.push(as_owner.mailbox());
                }
                Err(e) => slots.push(Some(Err(e))),
            }
        }
        let factory = &factory;
        let mut created = fan_out(valid, options, |mb| async move {
            let item = factory(mb.address().unwrap_or_default());
            mb.create_appointment(item).await
        })
        .await
        .into_iter();
        slots
            .into_iter()
            .map(|slot| slot.unwrap_or_else(|| created.next().expect("one per valid mailbox")))
            .collect()
    }
}
