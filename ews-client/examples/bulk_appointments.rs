//! Puts one appointment into each of several calendars by impersonation (seed 000).
//!
//! ```text
//! EWS_URL=… EWS_USERNAME=svc-booking EWS_PASSWORD=… \
//! EWS_MAILBOXES=alice@contoso.com,bob@contoso.com [EWS_ATTENDEES=coach@contoso.com] \
//!     cargo run -p ews-client --example bulk_appointments
//! ```
//!
//! The service account needs the ApplicationImpersonation role on those mailboxes. With
//! attendees, each owner sends meeting requests; without, the appointment is only saved.

#[path = "common/mod.rs"]
mod common;

use ews_client::bulk::BulkOptions;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let run = async {
        let client = common::client_from_env()?;
        let mailboxes: Vec<String> =
            common::required("EWS_MAILBOXES", "comma-separated SMTP addresses")?
                .split(',')
                .map(|s| s.trim().to_owned())
                .collect();
        let attendees: Vec<String> = std::env::var("EWS_ATTENDEES")
            .unwrap_or_default()
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_owned())
            .collect();
        let options = BulkOptions::default().on_progress(|p| {
            let outcome = match p.error {
                None => "created".to_owned(),
                Some(e) => format!("failed: {e}"),
            };
            let eta = p
                .eta
                .map(|d| format!(", about {}s left", d.as_secs()))
                .unwrap_or_default();
            eprintln!(
                "[{}/{}] {}: {outcome}{eta}",
                p.done,
                p.total,
                p.mailbox.unwrap_or("?")
            );
        });
        let results = client
            .create_appointments(
                &mailboxes,
                |_| common::appointment("Tennis lesson", 3, &attendees),
                options,
            )
            .await;
        for (mailbox, r) in mailboxes.iter().zip(&results) {
            match r {
                Ok(id) => println!("{mailbox}\tOK\t{}", id.id),
                Err(e) => println!("{mailbox}\tERROR\t{e}"),
            }
        }
        Ok::<_, String>(results.iter().all(Result::is_ok))
    };
    match run.await {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(e) => common::fail(e),
    }
}
