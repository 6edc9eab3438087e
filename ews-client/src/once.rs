//! Idempotent creation: each appointment a run creates carries a key the caller chooses, in an
//! extended property (a named property of this library's property set, as Exchange
//! integrations mark their items). Creating with a key first looks the key up, so a rerun skips
//! what exists; a creation whose outcome is unknown (the request went out, no answer came back)
//! is resolved by looking the key up again, never by sending it again. A [`Checkpoint`] lets a
//! killed run resume without even the lookups of what it finished.
//!
//! ```no_run
//! # async fn run(client: ews_client::Client) -> Result<(), ews_client::Error> {
//! use ews_client::bulk::BulkOptions;
//! use ews_client::once::FileCheckpoint;
//! let jobs = vec![("ana@contoso.com".to_owned(), "lesson-2026-12-01/ana".to_owned())];
//! let checkpoint = FileCheckpoint::open("run-2026-12-01.checkpoint")?;
//! let results = client
//!     .create_appointments_once(&jobs, |_| ews_client::t::CalendarItem::default(), BulkOptions::default(), &checkpoint)
//!     .await;
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ews_types::t;

use crate::bulk::{BulkOptions, fan_out_with};
use crate::client::Client;
use crate::error::{Error, ErrorKind};
use crate::impersonation::ConnectingSid;
use crate::mailbox::Mailbox;
use crate::query::{Field, Query};

/// The property set of this library's named properties.
pub const PROPERTY_SET: &str = "8d1f5a0c-3b7e-4a52-9c1e-6f0b2d4e7a91";
/// The name of the key's property in [`PROPERTY_SET`].
pub const KEY_PROPERTY: &str = "IdempotencyKey";

/// The extended property that holds an item's key.
pub fn key_property() -> t::PathToExtendedField {
    t::PathToExtendedField {
        distinguished_property_set_id: None,
        property_set_id: Some(PROPERTY_SET.into()),
        property_tag: None,
        property_name: Some(KEY_PROPERTY.into()),
        property_id: None,
        property_type: t::MapiPropertyType::String,
    }
}

/// An item made (or found) by key.
#[derive(Clone, Debug, PartialEq)]
pub struct Created {
    /// The item's id.
    pub id: t::ItemId,
    /// True when the item was already there (an earlier run, or a creation whose answer was
    /// lost): nothing was created this time.
    pub existed: bool,
}

fn check_key(key: &str) -> Result<(), Error> {
    if key.is_empty() || key.len() > 255 {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "an idempotency key must have 1 to 255 bytes",
        ));
    }
    Ok(())
}

impl Mailbox {
    /// The id of the item of `folder` whose key is `key`, if there is one.
    pub async fn find_by_key(
        &self,
        folder: t::DistinguishedFolderIdName,
        key: &str,
    ) -> Result<Option<t::ItemId>, Error> {
        check_key(key)?;
        let query = Query::new()
            .shape(t::DefaultShapeNames::IdOnly)
            .filter(Field::from(key_property()).eq(key))
            .page_size(2);
        let found = self.find_all(folder, query).await?;
        Ok(found
            .iter()
            .find_map(|item| item.as_item().item_id().clone())
            .map(|b| *b))
    }

    /// Creates the appointment with `key` in its calendar, unless an item with that key is
    /// there already ([`Created::existed`]). If the creation's outcome is unknown, the key is
    /// looked up: found, the item is returned as existing; not found, the original error is
    /// returned (nothing was created; a rerun creates it).
    pub async fn create_appointment_once(
        &self,
        key: &str,
        mut item: t::CalendarItem,
    ) -> Result<Created, Error> {
        use t::DistinguishedFolderIdName::Calendar;
        if let Some(id) = self.find_by_key(Calendar, key).await? {
            return Ok(Created { id, existed: true });
        }
        item.extended_property
            .retain(|p| p.extended_field_uri.property_set_id.as_deref() != Some(PROPERTY_SET));
        item.extended_property.push(t::ExtendedProperty::new(
            key_property(),
            t::ExtendedPropertyChoice::Value(key.into()),
        ));
        match self.create_appointment(item).await {
            Ok(id) => Ok(Created { id, existed: false }),
            Err(e) if e.outcome_unknown() => match self.find_by_key(Calendar, key).await {
                Ok(Some(id)) => Ok(Created { id, existed: true }),
                _ => Err(e),
            },
            Err(e) => Err(e),
        }
    }
}

/// What a run has finished, so a rerun skips it without asking the server.
pub trait Checkpoint: Send + Sync {
    /// The item made for `key`, if the run recorded one.
    fn get(&self, key: &str) -> Option<t::ItemId>;
    /// Records that `key`'s item is `id`.
    fn record(&self, key: &str, id: &t::ItemId) -> Result<(), Error>;
}

/// A [`Checkpoint`] in a file: one line per finished key (`key TAB id TAB change key`),
/// appended and flushed as each finishes, read back on open. A line cut short by a crash is
/// ignored.
#[derive(Debug)]
pub struct FileCheckpoint {
    path: PathBuf,
    done: Mutex<HashMap<String, t::ItemId>>,
}

impl FileCheckpoint {
    /// Opens (or starts) the checkpoint at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<FileCheckpoint, Error> {
        let path = path.as_ref().to_owned();
        let mut done = HashMap::new();
        match std::fs::File::open(&path) {
            Ok(f) => {
                for line in std::io::BufReader::new(f).lines() {
                    let line = line.map_err(io_error)?;
                    let parts: Vec<&str> = line.split('\t').collect();
                    if let [key, id, change_key] = parts[..] {
                        let mut item_id = t::ItemId::new(id);
                        if !change_key.is_empty() {
                            item_id = item_id.with_change_key(change_key);
                        }
                        done.insert(key.to_owned(), item_id);
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(e)),
        }
        Ok(FileCheckpoint {
            path,
            done: Mutex::new(done),
        })
    }

    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.done.lock().expect("lock").len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn io_error(e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::Config,
        "the checkpoint file cannot be read or written",
    )
    .with_source(e)
}

impl Checkpoint for FileCheckpoint {
    fn get(&self, key: &str) -> Option<t::ItemId> {
        self.done.lock().expect("lock").get(key).cloned()
    }

    fn record(&self, key: &str, id: &t::ItemId) -> Result<(), Error> {
        if key.contains(['\t', '\n', '\r']) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "a checkpointed key cannot hold tabs or line breaks",
            ));
        }
        let mut done = self.done.lock().expect("lock");
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io_error)?;
        let line = format!(
            "{key}\t{}\t{}\n",
            id.id,
            id.change_key.as_deref().unwrap_or("")
        );
        f.write_all(line.as_bytes()).map_err(io_error)?;
        f.flush().map_err(io_error)?;
        done.insert(key.to_owned(), id.clone());
        Ok(())
    }
}

impl Client {
    /// One appointment per `(mailbox, key)` job by impersonation, each created at most once
    /// across runs: a key the checkpoint holds is skipped, a key found in the mailbox is
    /// reported as existing, and every item made or found is recorded in the checkpoint. One
    /// result per job, in input order, through [`fan_out_with`](crate::bulk::fan_out_with).
    pub async fn create_appointments_once<F>(
        &self,
        jobs: &[(String, String)],
        factory: F,
        options: BulkOptions,
        checkpoint: &dyn Checkpoint,
    ) -> Vec<Result<Created, Error>>
    where
        F: Fn(&str) -> t::CalendarItem,
    {
        let mut slots: Vec<Option<Result<Created, Error>>> = Vec::new();
        let mut todo = Vec::new();
        for (mailbox, key) in jobs {
            if let Some(id) = checkpoint.get(key) {
                slots.push(Some(Ok(Created { id, existed: true })));
                continue;
            }
            match self.impersonate(ConnectingSid::smtp(mailbox)) {
                Ok(as_owner) => {
                    slots.push(None);
                    todo.push((as_owner.mailbox(), key.clone()));
                }
                Err(e) => slots.push(Some(Err(e))),
            }
        }
        let factory = &factory;
        let mut done = fan_out_with(todo, options, |mb, key: String| async move {
            let created = mb
                .create_appointment_once(&key, factory(mb.address().unwrap_or_default()))
                .await?;
            checkpoint.record(&key, &created.id)?;
            Ok(created)
        })
        .await
        .into_iter();
        slots
            .into_iter()
            .map(|slot| slot.unwrap_or_else(|| done.next().expect("one per job")))
            .collect()
    }
}
