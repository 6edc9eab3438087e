//! Watches several mailboxes' calendars by synchronization and prints every change.
//!
//! ```text
//! EWS_URL=… EWS_USERNAME=svc-booking EWS_PASSWORD=… \
//! EWS_MAILBOXES=alice@contoso.com,bob@contoso.com [EWS_STATE_DIR=sync-states] [EWS_INTERVAL=30] \
//!     cargo run -p ews-client --example sync_calendars
//! ```
//!
//! Each mailbox is opened by impersonation. Its sync state is saved in `EWS_STATE_DIR` after
//! every page, so a restart resumes where the last run stopped: nothing is printed twice, and
//! nothing is missed. The first run prints every item as created. `EWS_INTERVAL=0` syncs once
//! and exits.

#[path = "common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::time::Duration;

use ews_client::bulk::{BulkOptions, fan_out_with};
use ews_client::futures::TryStreamExt;
use ews_client::sync::{ItemChange, SyncOptions, SyncState};
use ews_client::{ConnectingSid, Error, Mailbox, t};

/// Syncs one calendar from its saved state and prints what changed; gives the change count.
async fn sync_one(mb: Mailbox, file: PathBuf) -> Result<usize, Error> {
    let who = mb.address().unwrap_or("?").to_owned();
    let from = std::fs::read_to_string(&file).ok().map(SyncState::from);
    let shape = t::ItemResponseShape::new(t::DefaultShapeNames::Default);
    let mut pages = std::pin::pin!(mb.sync_items(
        t::DistinguishedFolderIdName::Calendar,
        from,
        SyncOptions::default().shape(shape)
    ));
    let mut count = 0;
    while let Some(page) = pages.try_next().await? {
        if page.restarted {
            println!("{who}: the saved state was refused; what follows is the whole calendar");
        }
        for change in &page.changes {
            let line = match change {
                ItemChange::Created(i) => format!("created {:?}", i.as_item().subject()),
                ItemChange::Updated(i) => format!("updated {:?}", i.as_item().subject()),
                ItemChange::Deleted(id) => format!("deleted {}", id.id),
                ItemChange::ReadFlagChanged { id, is_read } => format!("{} read: {is_read}", id.id),
            };
            println!("{who}: {line}");
        }
        count += page.changes.len();
        // persist after each page: a crash after this line resumes after this page
        if let Err(e) = std::fs::write(&file, page.state.as_str()) {
            eprintln!(
                "{who}: cannot save the sync state to {}: {e}",
                file.display()
            );
        }
    }
    Ok(count)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let run = async {
        let client = common::client_from_env()?;
        let mailboxes: Vec<String> =
            common::required("EWS_MAILBOXES", "comma-separated SMTP addresses")?
                .split(',')
                .map(|s| s.trim().to_owned())
                .collect();
        let dir = PathBuf::from(std::env::var("EWS_STATE_DIR").unwrap_or("sync-states".into()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let interval: u64 = std::env::var("EWS_INTERVAL")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(30);
        loop {
            let mut jobs = Vec::new();
            let mut ok = true;
            for m in &mailboxes {
                match client.impersonate(ConnectingSid::smtp(m)) {
                    Ok(i) => jobs.push((i.mailbox(), dir.join(format!("{m}.sync")))),
                    Err(e) => {
                        eprintln!("{m}: {e}");
                        ok = false;
                    }
                }
            }
            let names: Vec<String> = jobs
                .iter()
                .map(|(mb, _)| mb.address().unwrap_or("?").to_owned())
                .collect();
            let results = fan_out_with(jobs, BulkOptions::default(), sync_one).await;
            for (m, r) in names.iter().zip(&results) {
                if let Err(e) = r {
                    eprintln!("{m}: {e}");
                    ok = false;
                }
            }
            if interval == 0 {
                return Ok::<_, String>(ok);
            }
            tokio::time::sleep(Duration::from_secs(interval)).await;
        }
    };
    match run.await {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(e) => common::fail(e),
    }
}
