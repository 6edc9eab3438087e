//! Reads a principal's calendar as a delegate for the next N days, paging as needed; with
//! `--delete ID` deletes one of the returned items by its id (implicit access).
//!
//! ```text
//! EWS_URL=… EWS_USERNAME=assistant@contoso.com EWS_PASSWORD=… EWS_PRINCIPAL=boss@contoso.com \
//!     cargo run -p ews-client --example principal_calendar -- 7
//! ```

#[path = "common/mod.rs"]
mod common;

use ews_types::runtime::XmlValue;
use ews_types::{m, t};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let run = async {
        let client = common::client_from_env()?;
        let principal = common::required("EWS_PRINCIPAL", "the principal's SMTP address")?;
        let boss = client.mailbox(&principal).map_err(|e| e.to_string())?;
        if let ["--delete", id] = &args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            let request = m::DeleteItem::new(
                t::Disposal::MoveToDeletedItems,
                t::NonEmptyArrayOfBaseItemIds::new(t::NonEmptyArrayOfBaseItemIdsChoice::ItemId(
                    t::ItemId::new(*id),
                )),
            )
            .with_send_meeting_cancellations(
                t::CalendarItemCreateOrDeleteOperation::SendToAllAndSaveCopy,
            );
            boss.send(&request).await.map_err(|e| e.to_string())?;
            println!("deleted {id}");
            return Ok(());
        }
        let days: i64 = args.first().and_then(|d| d.parse().ok()).unwrap_or(7);
        let start = chrono::Utc::now();
        let items = boss
            .calendar_view(start, start + chrono::Duration::days(days))
            .await
            .map_err(|e| e.to_string())?;
        for item in items {
            println!(
                "{}\t{}\t{}",
                item.start
                    .map(|s| s.to_text().into_owned())
                    .unwrap_or_default(),
                item.subject.unwrap_or_default(),
                item.item_id.map(|i| i.id).unwrap_or_default(),
            );
        }
        Ok::<_, String>(())
    };
    match run.await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => common::fail(e),
    }
}
