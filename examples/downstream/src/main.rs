//! The seeds' tasks from a crate of one's own, against a local ews-testserver: each task is a
//! few calls of ews-client's API. Exits non-zero if any outcome is not what the task wanted.

use ews_client::chrono::{TimeZone, Utc};
use ews_client::{
    Client, ConnectingSid, Credentials, Delegate, PermissionLevel, Zone, attendees, chrono, t,
};

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

    // A weekly meeting at 09:00 in Berlin, across the October change of clocks.
    let berlin = Zone::iana("Europe/Berlin")?;
    let monday = chrono::NaiveDate::from_ymd_opt(2026, 10, 19).unwrap();
    let weekly = t::WeeklyRecurrencePattern::new(1, vec![t::DayOfWeek::Monday]);
    let standup = t::CalendarItem::default()
        .with_subject("Standup")
        .with_start(berlin.at(monday.and_hms_opt(9, 0, 0).unwrap())?)
        .with_end(berlin.at(monday.and_hms_opt(9, 15, 0).unwrap())?)
        .with_start_time_zone(berlin.definition())
        .with_recurrence(t::Recurrence::new(
            t::RecurrenceChoice::WeeklyRecurrence(weekly),
            t::RecurrenceChoice2::NumberedRecurrence(t::NumberedRecurrenceRange::new(monday, 3)),
        ));
    alice.create_appointment(standup).await?;
    let weeks = alice
        .calendar_view(start - chrono::Duration::days(60), start)
        .await?;
    let nine: Vec<_> = weeks
        .iter()
        .map(|c| {
            berlin
                .local(c.start.unwrap().to_utc().unwrap())
                .format("%m-%d %H:%M")
                .to_string()
        })
        .collect();
    println!("time zones: {nine:?} in Berlin");

    if read.as_item().subject().as_deref() != Some("Planning")
        || !day.iter().any(|c| c.item_id.as_deref() == Some(&id))
        || nine != ["10-19 09:00", "10-26 09:00", "11-02 09:00"]
    {
        return Err("an outcome is not what the task wanted".into());
    }
    println!("downstream: ok");
    Ok(())
}
