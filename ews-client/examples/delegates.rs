//! Lists, adds, updates or removes a mailbox's delegates (seed 004).
//!
//! ```text
//! EWS_URL=… EWS_USERNAME=boss@contoso.com EWS_PASSWORD=… EWS_PRINCIPAL=boss@contoso.com \
//!     cargo run -p ews-client --example delegates -- list
//!     cargo run -p ews-client --example delegates -- add assistant@contoso.com Editor
//!     cargo run -p ews-client --example delegates -- update assistant@contoso.com Reviewer
//!     cargo run -p ews-client --example delegates -- remove assistant@contoso.com
//! ```
//!
//! The level applies to the calendar; the delegate gets Reviewer on the inbox when added.

#[path = "common/mod.rs"]
mod common;

use ews_client::{Delegate, PermissionLevel};

fn level(s: &str) -> Result<PermissionLevel, String> {
    Ok(match s {
        "None" => PermissionLevel::None,
        "Reviewer" => PermissionLevel::Reviewer,
        "Author" => PermissionLevel::Author,
        "Editor" => PermissionLevel::Editor,
        other => return Err(format!("{other}: use None, Reviewer, Author or Editor")),
    })
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let run = async {
        let client = common::client_from_env()?;
        let principal = common::required("EWS_PRINCIPAL", "the mailbox whose delegates to manage")?;
        let mailbox = client.mailbox(&principal).map_err(|e| e.to_string())?;
        let show = |r: Vec<Result<Delegate, ews_client::Error>>| {
            for d in r {
                match d {
                    Ok(d) => println!("{}\t{:?}", d.address, d.levels),
                    Err(e) => println!("ERROR\t{e}"),
                }
            }
        };
        match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["list"] | [] => {
                let d = mailbox
                    .get_delegates(true)
                    .await
                    .map_err(|e| e.to_string())?;
                println!("meeting requests go to: {:?}", d.deliver_meeting_requests);
                show(d.delegates);
            }
            ["add", who, lvl] => {
                let mut d = Delegate::new(who).calendar(level(lvl)?);
                d.levels.inbox = Some(PermissionLevel::Reviewer);
                show(
                    mailbox
                        .add_delegates(&[d], None)
                        .await
                        .map_err(|e| e.to_string())?,
                );
            }
            ["update", who, lvl] => {
                let d = Delegate::new(who).calendar(level(lvl)?);
                show(
                    mailbox
                        .update_delegates(&[d], None)
                        .await
                        .map_err(|e| e.to_string())?,
                );
            }
            ["remove", who] => {
                for r in mailbox
                    .remove_delegates(&[who])
                    .await
                    .map_err(|e| e.to_string())?
                {
                    println!(
                        "{}",
                        r.map_or_else(|e| format!("ERROR\t{e}"), |()| "removed".into())
                    );
                }
            }
            _ => {
                return Err(
                    "usage: delegates [list | add ADDR LEVEL | update ADDR LEVEL | remove ADDR]"
                        .into(),
                );
            }
        }
        Ok::<_, String>(())
    };
    match run.await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => common::fail(e),
    }
}
