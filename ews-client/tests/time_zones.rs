//! Time zones end to end against ews-testserver: a weekly meeting in Europe/Berlin keeps its
//! 09:00 across the October change of clocks, `TimeZoneContext` places times without an
//! offset, Exchange 2007 gets `MeetingTimeZone`, all-day events sit in their own zone, and
//! `GetServerTimeZones` answers. Every request and answer validates against the schema.

mod support;

use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use ews_client::{Client, ConnectingSid, Credentials, Mailbox, Zone, m, t};
use ews_types::runtime::{self, XmlValue};
use support::{check_responses, serve};

const ORG: &str = r#"
[[mailbox]]
smtp = "alice@contoso.com"
[[account]]
user = "svc-booking"
password = "svc-pw"
impersonation = true
"#;

fn alice(
    server: &ews_testserver::TestServer,
    setup: fn(ews_client::ClientBuilder) -> ews_client::ClientBuilder,
) -> Mailbox {
    let builder =
        Client::builder(server.url()).credentials(Credentials::basic("svc-booking", "svc-pw"));
    setup(builder)
        .build()
        .unwrap()
        .impersonate(ConnectingSid::smtp("alice@contoso.com"))
        .unwrap()
        .mailbox()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at(d: NaiveDate, h: u32, min: u32) -> NaiveDateTime {
    d.and_hms_opt(h, min, 0).unwrap()
}

/// Every request the server received for `op` (at least one), validated by xmllint.
fn validate_requests(server: &ews_testserver::TestServer, op: &str) -> Vec<String> {
    let requests = support::sent(server, op);
    assert!(!requests.is_empty(), "no {op} request");
    requests
}

fn weekly_on_monday(first: NaiveDate, times: i32) -> t::Recurrence {
    t::Recurrence::new(
        t::RecurrenceChoice::WeeklyRecurrence(t::WeeklyRecurrencePattern::new(
            1,
            vec![t::DayOfWeek::Monday],
        )),
        t::RecurrenceChoice2::NumberedRecurrence(t::NumberedRecurrenceRange::new(first, times)),
    )
}

#[tokio::test]
async fn a_weekly_berlin_meeting_stays_at_nine_across_the_october_change() {
    let server = serve(ORG).await;
    let alice = alice(&server, |b| b);
    let berlin = Zone::iana("Europe/Berlin").unwrap();
    let first = day(2026, 10, 5);
    let standup = t::CalendarItem::default()
        .with_subject("Standup")
        .with_start(berlin.at(at(first, 9, 0)).unwrap())
        .with_end(berlin.at(at(first, 9, 15)).unwrap())
        .with_start_time_zone(berlin.definition())
        .with_end_time_zone(berlin.definition())
        .with_recurrence(weekly_on_monday(first, 6));
    let id = alice.create_appointment(standup).await.unwrap();

    let view = alice
        .calendar_view(
            Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
        )
        .await
        .unwrap();
    let starts: Vec<_> = view
        .iter()
        .map(|c| c.start.unwrap().to_utc().unwrap())
        .collect();
    let local: Vec<NaiveDateTime> = starts.iter().map(|s| berlin.local(*s)).collect();
    assert_eq!(
        local,
        [
            day(2026, 10, 5),
            day(2026, 10, 12),
            day(2026, 10, 19),
            day(2026, 10, 26),
            day(2026, 11, 2),
            day(2026, 11, 9)
        ]
        .map(|d| at(d, 9, 0))
    );
    // the instants move by the hour the clocks change: 07:00 UTC in summer time, 08:00 after
    let utc: Vec<String> = starts
        .iter()
        .map(|s| s.format("%m-%d %H:%M").to_string())
        .collect();
    assert_eq!(
        utc,
        [
            "10-05 07:00",
            "10-12 07:00",
            "10-19 07:00",
            "10-26 08:00",
            "11-02 08:00",
            "11-09 08:00"
        ]
    );
    assert!(view.iter().all(|c| c.end.unwrap().to_utc().unwrap()
        - c.start.unwrap().to_utc().unwrap()
        == chrono::Duration::minutes(15)));

    // the master comes back with its zone as a full definition
    let t::ArrayOfRealItemsChoice::CalendarItem(master) = alice.get(&id).await.unwrap() else {
        panic!("a calendar item");
    };
    assert_eq!(master.start.unwrap().to_text(), "2026-10-05T07:00:00Z");
    let zone = master.start_time_zone.expect("StartTimeZone");
    assert_eq!(zone.id.as_deref(), Some("W. Europe Standard Time"));
    assert!(zone.periods.is_some() && zone.transitions_groups.is_some());

    let create = validate_requests(&server, "CreateItem");
    assert!(
        create[0].contains(r#"<t:StartTimeZone Id="W. Europe Standard Time"/>"#),
        "{}",
        create[0]
    );
    assert!(
        create[0].contains("2026-10-05T09:00:00+02:00"),
        "{}",
        create[0]
    );
    check_responses(&server);
}

#[tokio::test]
async fn time_zone_context_places_times_written_without_an_offset() {
    let server = serve(ORG).await;
    let new_york = Zone::iana("America/New_York").unwrap();
    let alice = alice(&server, |b| {
        b.time_zone(Zone::iana("America/New_York").unwrap())
    });
    let plain = |d, h| runtime::DateTime {
        local: at(d, h, 0),
        offset: None,
    };
    let item = t::CalendarItem::default()
        .with_subject("Lunch")
        .with_start(plain(day(2026, 7, 1), 12))
        .with_end(plain(day(2026, 7, 1), 13));
    let id = alice.create_appointment(item).await.unwrap();
    let t::ArrayOfRealItemsChoice::CalendarItem(lunch) = alice.get(&id).await.unwrap() else {
        panic!("a calendar item");
    };
    // noon in New York in July is 16:00 UTC, and the item's zone is the context's
    assert_eq!(lunch.start.unwrap().to_text(), "2026-07-01T16:00:00Z");
    assert_eq!(
        new_york.local(lunch.start.unwrap().to_utc().unwrap()),
        at(day(2026, 7, 1), 12, 0)
    );
    assert_eq!(
        lunch.start_time_zone.unwrap().id.as_deref(),
        Some("Eastern Standard Time")
    );
    let create = validate_requests(&server, "CreateItem");
    assert!(
        create[0].contains(r#"<t:TimeZoneDefinition Id="Eastern Standard Time"/>"#),
        "{}",
        create[0]
    );

    // the same mailbox in another zone, for one request
    let tokyo = Zone::iana("Asia/Tokyo").unwrap();
    let breakfast = t::CalendarItem::default()
        .with_subject("Breakfast")
        .with_start(plain(day(2026, 7, 2), 8))
        .with_end(plain(day(2026, 7, 2), 9));
    let id = alice
        .in_time_zone(tokyo)
        .create_appointment(breakfast)
        .await
        .unwrap();
    let t::ArrayOfRealItemsChoice::CalendarItem(breakfast) = alice.get(&id).await.unwrap() else {
        panic!("a calendar item");
    };
    assert_eq!(breakfast.start.unwrap().to_text(), "2026-07-01T23:00:00Z");
    assert_eq!(
        breakfast.start_time_zone.unwrap().id.as_deref(),
        Some("Tokyo Standard Time")
    );

    let create = validate_requests(&server, "CreateItem");
    assert!(
        create[0].contains(r#"<t:TimeZoneDefinition Id="Eastern Standard Time"/>"#),
        "{}",
        create[0]
    );
    assert!(
        create[1].contains(r#"<t:TimeZoneDefinition Id="Tokyo Standard Time"/>"#),
        "{}",
        create[1]
    );

    // a zone the server does not know is refused, not guessed
    let unknown = t::CalendarItem::default()
        .with_subject("Nowhere")
        .with_start(plain(day(2026, 7, 1), 12))
        .with_end(plain(day(2026, 7, 1), 13))
        .with_start_time_zone(t::TimeZoneDefinition::default().with_id("Mars Standard Time"));
    let e = alice.create_appointment(unknown).await.unwrap_err();
    assert_eq!(e.response_code(), Some(&m::ResponseCode::ErrorTimeZone));
    check_responses(&server);
}

#[tokio::test]
async fn exchange_2007_gets_the_zone_as_meeting_time_zone() {
    let server = serve(ORG).await;
    let alice = alice(&server, |b| {
        b.server_version(t::ExchangeVersion::Exchange2007Sp1)
    });
    let berlin = Zone::iana("Europe/Berlin").unwrap();
    let first = day(2026, 10, 19);
    let item = t::CalendarItem::default()
        .with_subject("Review")
        .with_start(berlin.at(at(first, 9, 0)).unwrap())
        .with_end(berlin.at(at(first, 10, 0)).unwrap())
        .with_start_time_zone(berlin.definition())
        .with_end_time_zone(berlin.definition())
        .with_recurrence(weekly_on_monday(first, 2));
    alice.create_appointment(item).await.unwrap();
    let create = validate_requests(&server, "CreateItem");
    assert!(
        create[0].contains(r#"<t:MeetingTimeZone TimeZoneName="W. Europe Standard Time"/>"#),
        "{}",
        create[0]
    );
    assert!(!create[0].contains("StartTimeZone"), "{}", create[0]);
    // the series is still expanded on Berlin's clock
    let view = alice
        .calendar_view(
            Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        )
        .await
        .unwrap();
    let local: Vec<_> = view
        .iter()
        .map(|c| berlin.local(c.start.unwrap().to_utc().unwrap()))
        .collect();
    assert_eq!(local, [at(first, 9, 0), at(day(2026, 10, 26), 9, 0)]);
    check_responses(&server);
}

#[tokio::test]
async fn an_all_day_event_covers_the_day_in_its_own_zone() {
    let server = serve(ORG).await;
    let alice = alice(&server, |b| b);
    let tokyo = Zone::iana("Asia/Tokyo").unwrap();
    let midnight = |d| runtime::DateTime {
        local: at(d, 0, 0),
        offset: None,
    };
    let holiday = t::CalendarItem::default()
        .with_subject("Holiday")
        .with_is_all_day_event(true)
        .with_start(midnight(day(2026, 12, 24)))
        .with_end(midnight(day(2026, 12, 25)))
        .with_start_time_zone(tokyo.definition());
    alice.create_appointment(holiday).await.unwrap();
    // 24 December in Tokyo starts at 15:00 UTC on the 23rd
    let view = alice
        .calendar_view(
            Utc.with_ymd_and_hms(2026, 12, 23, 15, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 12, 23, 16, 0, 0).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(view.len(), 1);
    assert_eq!(view[0].start.unwrap().to_text(), "2026-12-23T15:00:00Z");
    assert_eq!(view[0].end.unwrap().to_text(), "2026-12-24T15:00:00Z");
    // and not on the 24th's last UTC hours, which are the 25th in Tokyo
    let later = alice
        .calendar_view(
            Utc.with_ymd_and_hms(2026, 12, 24, 16, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 12, 25, 0, 0, 0).unwrap(),
        )
        .await
        .unwrap();
    assert!(later.is_empty(), "{later:?}");
    check_responses(&server);
}

#[tokio::test]
async fn get_server_time_zones_describes_zones_as_exchange_does() {
    let server = serve(ORG).await;
    let client = Client::builder(server.url())
        .credentials(Credentials::basic("svc-booking", "svc-pw"))
        .build()
        .unwrap();
    let ids = t::NonEmptyArrayOfTimeZoneId::new(ews_types::runtime::NonEmpty::new(
        "W. Europe Standard Time".into(),
    ));
    let r = client
        .send(&m::GetServerTimeZones::default().with_ids(ids))
        .await
        .unwrap();
    let m::ArrayOfResponseMessagesChoice::GetServerTimeZonesResponseMessage(msg) =
        &r.response_messages.content[0]
    else {
        panic!("a GetServerTimeZonesResponseMessage");
    };
    let d = &msg.time_zone_definitions.as_ref().unwrap().content[0].time_zone_definition;
    assert_eq!(d.name.as_deref(), Some("(UTC+01:00) Europe/Berlin"));
    let rule: Vec<_> = d.transitions_groups.as_ref().unwrap().transitions_group[0]
        .transition
        .iter()
        .filter_map(|tr| match tr {
            t::Transition::RecurringDayTransition(r) => {
                Some((r.to.value.clone(), r.month, r.occurrence))
            }
            _ => None,
        })
        .collect();
    assert_eq!(rule, [("dlt".into(), 3, -1), ("std".into(), 10, -1)]);
    // every zone, names only
    let all = client
        .send(&m::GetServerTimeZones::default().with_return_full_time_zone_data(false))
        .await
        .unwrap();
    let m::ArrayOfResponseMessagesChoice::GetServerTimeZonesResponseMessage(msg) =
        &all.response_messages.content[0]
    else {
        panic!("a GetServerTimeZonesResponseMessage");
    };
    let list = &msg.time_zone_definitions.as_ref().unwrap().content;
    assert!(list.len() > 130, "{}", list.len());
    for z in list {
        let id = z.time_zone_definition.id.as_deref().unwrap();
        assert!(Zone::windows(id).is_ok(), "{id}");
    }
    validate_requests(&server, "GetServerTimeZones");
    check_responses(&server);
}

#[test]
fn parsing_a_value_needs_no_zone_but_placing_one_does() {
    let v = runtime::DateTime::from_text("2026-03-29T02:30:00").unwrap();
    let berlin = Zone::iana("Europe/Berlin").unwrap();
    // 02:30 on the last Sunday of March is skipped in Berlin: an error, never a guess
    assert!(berlin.instant(&v).is_err());
}
