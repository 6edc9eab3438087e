//! Time zones: the Windows ↔ IANA mapping, and zone definitions as Exchange writes them.

use std::path::Path;

use chrono::NaiveDate;
use ews_types::runtime::{Part, read_envelope};
use ews_types::tz::{self, Zone, ZoneError};
use ews_types::{Element, m, t};

#[test]
fn windows_and_iana_names_map_both_ways() {
    assert_eq!(
        tz::iana_to_windows("Europe/Berlin"),
        Some("W. Europe Standard Time")
    );
    assert_eq!(
        tz::iana_to_windows("America/New_York"),
        Some("Eastern Standard Time")
    );
    // an IANA name CLDR's windowsZones spells the old way, found through its alias
    assert_eq!(
        tz::iana_to_windows("Asia/Kolkata"),
        Some("India Standard Time")
    );
    assert_eq!(
        tz::iana_to_windows("Asia/Calcutta"),
        Some("India Standard Time")
    );
    assert_eq!(
        tz::iana_to_windows("Europe/Kyiv"),
        Some("FLE Standard Time")
    );
    assert_eq!(
        tz::windows_to_iana("Pacific Standard Time"),
        Some("America/Los_Angeles")
    );
    assert_eq!(Zone::iana("UTC").unwrap().windows_id(), "UTC");
    assert_eq!(Zone::utc().iana_name(), "UTC");
    assert!(matches!(
        Zone::iana("Mars/Olympus"),
        Err(ZoneError::UnknownIana(_))
    ));
    assert!(matches!(
        Zone::windows("Mars Standard Time"),
        Err(ZoneError::UnknownWindows(_))
    ));
}

#[test]
fn local_times_take_the_offset_of_their_date() {
    let berlin = Zone::iana("Europe/Berlin").unwrap();
    let at = |y, m, d, h, min| {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    };
    assert_eq!(
        berlin.at(at(2026, 10, 19, 9, 0)).unwrap().to_string(),
        "2026-10-19T09:00:00+02:00"
    );
    assert_eq!(
        berlin.at(at(2026, 10, 26, 9, 0)).unwrap().to_string(),
        "2026-10-26T09:00:00+01:00"
    );
    // 02:30 on the last Sunday of March does not exist; on the last Sunday of October it is
    // there twice, and the earlier one is taken
    assert!(matches!(
        berlin.at(at(2026, 3, 29, 2, 30)),
        Err(ZoneError::Skipped { .. })
    ));
    assert_eq!(
        berlin.at(at(2026, 10, 25, 2, 30)).unwrap().to_string(),
        "2026-10-25T02:30:00+02:00"
    );
    // a value without an offset is read on the zone's clock, one with an offset by its own
    let plain = ews_types::runtime::DateTime {
        local: at(2026, 7, 1, 9, 0),
        offset: None,
    };
    assert_eq!(
        berlin.instant(&plain).unwrap().to_rfc3339(),
        "2026-07-01T07:00:00+00:00"
    );
    let utc = berlin
        .instant(&berlin.at(at(2026, 12, 1, 9, 0)).unwrap())
        .unwrap();
    assert_eq!(berlin.local(utc), at(2026, 12, 1, 9, 0));
}

/// The definition Exchange 2010 SP2 gave for `W. Europe Standard Time` (conformance message
/// 149): the same periods and the same yearly rule as ours, derived from the IANA rules.
#[test]
fn full_definitions_agree_with_exchange() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/conformance/149-GetServerTimeZones-response.xml");
    let xml = std::fs::read_to_string(path).unwrap();
    let env = read_envelope::<Element>(&xml).unwrap();
    let Part::Known(Element::Messages(m::GlobalElement::GetServerTimeZonesResponse(r))) =
        &env.body[0]
    else {
        panic!("a GetServerTimeZonesResponse");
    };
    let m::ArrayOfResponseMessagesChoice::GetServerTimeZonesResponseMessage(msg) =
        &r.response_messages.content[0]
    else {
        panic!("a GetServerTimeZonesResponseMessage");
    };
    let exchange = &msg.time_zone_definitions.as_ref().unwrap().content[0].time_zone_definition;
    let ours = Zone::windows("W. Europe Standard Time")
        .unwrap()
        .full_definition(2026);
    assert_eq!(summary(&ours), summary(exchange));
    assert_eq!(ours.id, exchange.id);

    // a zone without daylight saving: one period, entered once
    let tokyo = Zone::iana("Asia/Tokyo").unwrap().full_definition(2026);
    assert_eq!(
        summary(&tokyo),
        vec!["period std -540 Standard".to_owned(), "to std".to_owned()]
    );
    // the southern hemisphere: daylight saving from October to April
    let sydney = summary(
        &Zone::iana("Australia/Sydney")
            .unwrap()
            .full_definition(2026),
    );
    assert!(
        sydney.contains(&"to std at 180 in month 4 on Sunday #1".to_owned()),
        "{sydney:?}"
    );
    assert!(
        sydney.contains(&"to dlt at 120 in month 10 on Sunday #1".to_owned()),
        "{sydney:?}"
    );
}

/// Periods and transitions as comparable lines (durations as minutes, whatever their spelling).
fn summary(d: &t::TimeZoneDefinition) -> Vec<String> {
    let minutes = |x: &ews_types::runtime::Duration| {
        let m = i64::from(x.days) * 1440 + i64::from(x.hours) * 60 + i64::from(x.minutes);
        if x.negative { -m } else { m }
    };
    let mut out: Vec<String> = d
        .periods
        .iter()
        .flat_map(|p| p.period.iter())
        .map(|p| {
            format!(
                "period {} {} {}",
                p.id.as_deref().unwrap_or(""),
                p.bias.as_ref().map(minutes).unwrap_or(0),
                p.name.as_deref().unwrap_or("")
            )
        })
        .collect();
    for g in d
        .transitions_groups
        .iter()
        .flat_map(|g| g.transitions_group.iter())
    {
        for tr in g.transition.iter() {
            out.push(match tr {
                t::Transition::RecurringDayTransition(r) => format!(
                    "to {} at {} in month {} on {:?} #{}",
                    r.to.value,
                    minutes(&r.time_offset),
                    r.month,
                    r.day_of_week,
                    r.occurrence
                ),
                t::Transition::Transition(x) | t::Transition::TransitionType(x) => {
                    format!("to {}", x.to.value)
                }
                other => format!("{other:?}"),
            });
        }
    }
    out.sort();
    out
}
