//! Creates a meeting in a principal's calendar as their delegate (seed 001).
//!
//! ```text
//! EWS_URL=… EWS_USERNAME=assistant@contoso.com EWS_PASSWORD=… \
//! EWS_PRINCIPAL=boss@contoso.com EWS_ATTENDEES=cfo@contoso.com \
//!     cargo run -p ews-client --example meeting_on_behalf
//! ```
//!
//! The caller needs Author or Editor on the principal's calendar. Attendees see the principal
//! as organizer, "sent on behalf of" the delegate.

#[path = "common/mod.rs"]
mod common;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let run = async {
        let client = common::client_from_env()?;
        let principal = common::required("EWS_PRINCIPAL", "the principal's SMTP address")?;
        let attendees: Vec<String> =
            common::required("EWS_ATTENDEES", "comma-separated attendees")?
                .split(',')
                .map(|s| s.trim().to_owned())
                .collect();
        let boss = client.mailbox(&principal).map_err(|e| e.to_string())?;
        let id = boss
            .create_meeting(common::appointment("Budget review", 2, &attendees))
            .await
            .map_err(|e| e.to_string())?;
        println!("created in {principal}'s calendar: {}", id.id);
        Ok::<_, String>(())
    };
    match run.await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => common::fail(e),
    }
}
