//! Shows a folder's permissions and optionally grants a user a level on it (seeds 002, 004).
//!
//! ```text
//! EWS_URL=… EWS_USERNAME=… EWS_PASSWORD=… EWS_PRINCIPAL=team@contoso.com \
//!     cargo run -p ews-client --example folder_permissions -- inbox
//!     cargo run -p ews-client --example folder_permissions -- inbox helper@contoso.com Reviewer
//! ```
//!
//! Levels: None, Owner, PublishingEditor, Editor, PublishingAuthor, Author, NoneditingAuthor,
//! Reviewer, Contributor; calendars also FreeBusyTimeOnly, FreeBusyTimeAndSubjectAndLocation.

#[path = "common/mod.rs"]
mod common;

use ews_client::PermissionSet;
use ews_types::runtime::XmlValue;
use ews_types::t;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let run = async {
        let client = common::client_from_env()?;
        let principal = common::required("EWS_PRINCIPAL", "the folder owner's SMTP address")?;
        let mailbox = client.mailbox(&principal).map_err(|e| e.to_string())?;
        let folder_name = args.first().map(String::as_str).unwrap_or("inbox");
        let folder = t::DistinguishedFolderIdName::from_text(folder_name)
            .map_err(|_| format!("{folder_name}: not a well-known folder (inbox, calendar, …)"))?;
        let mut p = mailbox
            .folder_permissions(folder)
            .await
            .map_err(|e| e.to_string())?;
        match &p.set {
            PermissionSet::Folder(s) => {
                for t::ArrayOfPermissionsChoice::Permission(e) in &s.permissions.content {
                    println!(
                        "{:?}\t{}",
                        e.user_id.primary_smtp_address,
                        e.permission_level.to_text()
                    );
                }
            }
            PermissionSet::Calendar(s) => {
                for t::ArrayOfCalendarPermissionsChoice::CalendarPermission(e) in
                    &s.calendar_permissions.content
                {
                    println!(
                        "{:?}\t{}",
                        e.user_id.primary_smtp_address,
                        e.calendar_permission_level.to_text()
                    );
                }
            }
        }
        if let [_, user, level] = &args[..] {
            match &p.set {
                PermissionSet::Folder(_) => {
                    let permission_level =
                        t::PermissionLevel::from_text(level).map_err(|e| e.to_string())?;
                    p.set.set_level(user, permission_level)
                }
                PermissionSet::Calendar(_) => {
                    let calendar_permission_level =
                        t::CalendarPermissionLevel::from_text(level).map_err(|e| e.to_string())?;
                    p.set.set_calendar_level(user, calendar_permission_level)
                }
            }
            .map_err(|e| e.to_string())?;
            mailbox
                .set_folder_permissions(&p)
                .await
                .map_err(|e| e.to_string())?;
            println!("granted {level} on {folder_name} to {user}");
        }
        Ok::<_, String>(())
    };
    match run.await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => common::fail(e),
    }
}
