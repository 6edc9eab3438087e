//! The seeds' tasks from a crate of one's own, against a local ews-testserver: each task is a
//! few calls of ews-client's API. Exits non-zero if any outcome is not what the task wanted.

use chrono::{TimeZone, Utc};
use ews_client::{Client, ConnectingSid, Credentials, Delegate, PermissionLevel, attendees};
use ews_types::t;

const ORG: &str = r#"
[[mailbox]]
smtp = "boss@contoso.com"
password = "boss-pw"
[[mailbox]]
smtp = "assistant@contoso.com"
password = "assistant-pw"
[[mailbox]]
smtp = "alice@contoso.com"
[[mailbox]]
smtp = "bob@contoso.com"
[[account]]
user = "svc-booking"
password = "svc-pw"
impersonation = true
"#;

fn login(url: &str, user: &str, password: &str) -> Client {
    Client::builder(url)
        .credentials(Credentials::basic(user, password))
        .build()
        .expect("client")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let org = ews_testserver::Org::from_toml(ORG)?;
    let server = ews_testserver::TestServer::start(org).await?;
    let start = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let meeting = t::CalendarItem {
        subject: Some("Planning".into()),
        start: Some(start.into()),
        end: Some((start + chrono::Duration::hours(1)).into()),
        required_attendees: attendees(["bob@contoso.com"]),
        ..Default::default()
    };

    // Seed 1: a service account puts an appointment into a user's calendar by impersonation.
    let service = login(&server.url(), "svc-booking", "svc-pw");
    let alice = service
        .impersonate(ConnectingSid::smtp("alice@contoso.com"))?
        .mailbox();
    let id = alice.create_appointment(meeting.clone()).await?;
    let read = alice.get(&id).await?;
    println!("seed 1: {:?} in alice's calendar", read.as_item().subject());

    // Seed 2: the boss makes the assistant a delegate with Editor on the calendar ...
    let boss = login(&server.url(), "boss@contoso.com", "boss-pw").mailbox("boss@contoso.com")?;
    let editor = Delegate::new("assistant@contoso.com").calendar(PermissionLevel::Editor);
    boss.add_delegates(&[editor], None).await?.remove(0)?;
    // ... and the assistant creates a meeting in the boss's calendar, on the boss's behalf.
    let assistant = login(&server.url(), "assistant@contoso.com", "assistant-pw");
    let on_behalf = assistant.delegate_to("boss@contoso.com")?;
    let id = on_behalf.create_appointment(meeting).await?;
    let day = on_behalf
        .calendar_view(start, start + chrono::Duration::days(1))
        .await?;
    println!("seed 2: {} item(s) in the boss's calendar", day.len());

    if read.as_item().subject().as_deref() != Some("Planning")
        || !day.iter().any(|c| c.item_id.as_ref() == Some(&id))
    {
        return Err("an outcome is not what the task wanted".into());
    }
    println!("downstream: ok");
    Ok(())
}
