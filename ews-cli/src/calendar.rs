//! `ews calendar add` and `ews calendar list`: the same appointment into many calendars, and
//! many calendars read, each mailbox by impersonation (or delegate access), through
//! [`fan_out_with`] — no mailbox waits for another, the report keeps the input's order.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand, ValueEnum};
use ews_client::bulk::{BulkOptions, fan_out_with};
use ews_client::once::{Checkpoint, FileCheckpoint, key_property};
use ews_client::{Client, ConnectingSid, Error, Mailbox, t};

use crate::config::Connection;
use crate::fail::Failure;
use crate::input::{self, Appointment, Target};
use crate::report::{Format, Progressor, Row, Status};

/// How the signed-in account reaches each mailbox.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Access {
    /// As the mailbox's owner, through the ApplicationImpersonation role (service accounts).
    #[default]
    Impersonation,
    /// As a delegate with folder permissions (the principal's `Mailbox` named in each request).
    Delegate,
}

impl Access {
    /// The mailbox at `address` as this access mode opens it.
    pub fn open(self, client: &Client, address: &str) -> Result<Mailbox, Error> {
        match self {
            Access::Impersonation => {
                Ok(client.impersonate(ConnectingSid::smtp(address))?.mailbox())
            }
            Access::Delegate => client.delegate_to(address),
        }
    }
}

/// Which mailboxes a bulk command works on.
#[derive(Args, Debug)]
pub struct Mailboxes {
    /// A mailbox (repeat it).
    #[arg(long = "mailbox", value_name = "ADDRESS")]
    pub mailbox: Vec<String>,
    /// A file of mailboxes: one address per line, or CSV with a `mailbox` (or `email`) column
    /// and an optional `key` column.
    #[arg(long = "mailboxes", id = "mailboxes_file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// How to reach them.
    #[arg(long, value_enum, default_value_t)]
    pub access: Access,
}

/// `ews calendar …`
// parsed once per process: the size of a variant does not matter
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Calendar {
    /// Put one appointment into each mailbox's calendar.
    ///
    /// With attendees, each owner sends the invitations. With --key, each item carries a key
    /// (RUN/mailbox, or the file's `key` column): a rerun skips what exists and resolves a
    /// creation whose outcome was unknown by looking its key up, never by sending again.
    Add {
        #[command(flatten)]
        mailboxes: Mailboxes,
        #[command(flatten)]
        appointment: Appointment,
        /// Make the run idempotent under this run key.
        #[arg(long)]
        key: Option<String>,
        /// Record each finished mailbox in FILE, and skip what it holds on a rerun (needs keys).
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
    },
    /// List the calendar items of each mailbox in a time range (occurrences expanded).
    List {
        #[command(flatten)]
        mailboxes: Mailboxes,
        /// From (default: now), as `2026-12-10`, `2026-12-10T09:00` or an instant.
        #[arg(long)]
        from: Option<String>,
        /// To (default: 7 days after --from).
        #[arg(long)]
        to: Option<String>,
        /// The zone of --from, --to and the times shown (IANA or Windows id; default UTC).
        #[arg(long = "time-zone")]
        time_zone: Option<String>,
    },
}

/// Flags every bulk command shares.
pub struct Run<'a> {
    /// Server and credentials.
    pub connection: &'a Connection,
    /// The report's format.
    pub format: Format,
    /// No progress output.
    pub quiet: bool,
}

impl Calendar {
    /// Runs the command; gives the exit code.
    pub async fn run(self, run: Run<'_>) -> Result<u8, Failure> {
        match self {
            Calendar::Add {
                mailboxes,
                appointment,
                key,
                checkpoint,
            } => add(run, mailboxes, appointment, key, checkpoint).await,
            Calendar::List {
                mailboxes,
                from,
                to,
                time_zone,
            } => list(run, mailboxes, from, to, time_zone).await,
        }
    }
}

/// Each target's mailbox, or the error that stopped it from being opened (an address the
/// access mode refuses): the slot keeps its place in the report.
fn open_all(
    client: &Client,
    access: Access,
    targets: &[Target],
) -> (Vec<Option<Row>>, Vec<(Mailbox, usize)>) {
    let mut slots = Vec::new();
    let mut jobs = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        match access.open(client, &t.mailbox) {
            Ok(mb) => {
                slots.push(None);
                jobs.push((mb, i));
            }
            Err(e) => slots.push(Some(Row::failed(&t.mailbox, &e))),
        }
    }
    (slots, jobs)
}

fn options(run: &Run<'_>, total: usize, what: &'static str) -> (BulkOptions, Arc<Progressor>) {
    // under --dry-run stdout shows the requests, and nothing finishes to report progress on
    let quiet = run.quiet || run.connection.dry_run;
    let progress = Arc::new(Progressor::new(total, quiet));
    let p = progress.clone();
    let options = BulkOptions::default()
        .concurrency(run.connection.concurrency)
        .on_progress(move |e| p.report(&e, what));
    (options, progress)
}

async fn add(
    run: Run<'_>,
    mailboxes: Mailboxes,
    appointment: Appointment,
    run_key: Option<String>,
    checkpoint: Option<PathBuf>,
) -> Result<u8, Failure> {
    let targets = input::targets(&mailboxes.mailbox, mailboxes.file.as_deref())?;
    let item = appointment.item()?;
    let keys: Vec<Option<String>> = targets
        .iter()
        .map(|t| {
            t.key.clone().or_else(|| {
                run_key
                    .as_ref()
                    .map(|k| format!("{k}/{}", t.mailbox.to_ascii_lowercase()))
            })
        })
        .collect();
    let checkpoint = match checkpoint {
        Some(path) => {
            if keys.iter().any(Option::is_none) {
                return Err(Failure::usage(
                    "--checkpoint needs a key for every mailbox: give --key RUN",
                ));
            }
            Some(FileCheckpoint::open(&path).map_err(|e| Failure::usage(e.to_string()))?)
        }
        None => None,
    };
    let client = run.connection.client()?;
    let dry_run = run.connection.dry_run;
    let (mut slots, jobs) = open_all(&client, mailboxes.access, &targets);
    let (options, progress) = options(&run, jobs.len(), "created");
    let (item, keys, checkpoint) = (&item, &keys, checkpoint.as_ref());
    let results = fan_out_with(jobs, options, |mb, i| async move {
        let key = keys[i].as_deref();
        let mut item = item.clone();
        match key {
            None => Ok((mb.create_appointment(item).await?, false)),
            Some(key) => {
                if let Some(id) = checkpoint.and_then(|c| c.get(key)) {
                    return Ok((id, true));
                }
                if dry_run {
                    // a dry run shows the creation (with its key), not the lookup before it
                    item.extended_property.push(t::ExtendedProperty::new(
                        key_property(),
                        t::ExtendedPropertyChoice::Value(key.into()),
                    ));
                    return Ok((mb.create_appointment(item).await?, false));
                }
                let created = mb.create_appointment_once(key, item).await?;
                if let Some(c) = checkpoint {
                    c.record(key, &created.id)?;
                }
                Ok((created.id, created.existed))
            }
        }
    })
    .await;
    progress.done();
    let mut results = results.into_iter();
    let rows: Vec<Row> = slots
        .iter_mut()
        .zip(&targets)
        .zip(keys)
        .map(|((slot, target), key)| {
            let row = slot.take().unwrap_or_else(|| {
                match results.next().expect("one result per opened mailbox") {
                    Ok((id, existed)) => {
                        let mut row = Row::ok(&target.mailbox, Some(id.id.into()));
                        if existed {
                            row.status = Status::Existed;
                        }
                        row
                    }
                    Err(e) => Row::failed(&target.mailbox, &e),
                }
            });
            match key {
                Some(k) => row.with("key", k.as_str()),
                None => row,
            }
        })
        .collect();
    Ok(crate::report::finish(&rows, run.format))
}

async fn list(
    run: Run<'_>,
    mailboxes: Mailboxes,
    from: Option<String>,
    to: Option<String>,
    time_zone: Option<String>,
) -> Result<u8, Failure> {
    let targets = input::targets(&mailboxes.mailbox, mailboxes.file.as_deref())?;
    let zone = match &time_zone {
        Some(z) => input::zone(z)?,
        None => ews_client::Zone::utc(),
    };
    let from = match &from {
        Some(f) => input::instant(f, &zone)?,
        None => chrono::Utc::now(),
    };
    let to = match &to {
        Some(t) => input::instant(t, &zone)?,
        None => from + chrono::TimeDelta::days(7),
    };
    if to <= from {
        return Err(Failure::usage("--to must be after --from"));
    }
    let client = run.connection.client()?;
    let (mut slots, jobs) = open_all(&client, mailboxes.access, &targets);
    let (options, progress) = options(&run, jobs.len(), "read");
    let results = fan_out_with(jobs, options, |mb, _| async move {
        mb.calendar_view(from, to).await
    })
    .await;
    progress.done();
    let mut results = results.into_iter();
    let show = |v: &Option<ews_types::runtime::DateTime>| {
        v.as_ref()
            .and_then(|d| zone.instant(d).ok())
            .map(|i| zone.local(i).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    };
    let mut rows = Vec::new();
    for (slot, target) in slots.iter_mut().zip(&targets) {
        if let Some(row) = slot.take() {
            rows.push(row);
            continue;
        }
        match results.next().expect("one result per opened mailbox") {
            Ok(items) => rows.extend(items.iter().map(|c| {
                let id = c.item_id.as_ref().map(|i| i.id.to_string());
                Row::ok(&target.mailbox, id)
                    .with("start", show(&c.start))
                    .with("end", show(&c.end))
                    .with("subject", c.subject.as_deref().unwrap_or_default())
                    .with("location", c.location.as_deref().unwrap_or_default())
            })),
            Err(e) => rows.push(Row::failed(&target.mailbox, &e)),
        }
    }
    Ok(crate::report::finish(&rows, run.format))
}
