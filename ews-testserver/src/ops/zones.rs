//! Time zones as Exchange applies them to calendar items, and `GetServerTimeZones`.
//!
//! An item's times are in its creation zone: its `StartTimeZone` (Exchange 2010 and later),
//! else Exchange 2007's `MeetingTimeZone`, else the request's `TimeZoneContext`, else UTC.
//! A time written without a UTC offset is read on that zone's clock. The item is stored with
//! its times in UTC (as Exchange returns them) and its zones as full definitions, and its
//! recurrence is expanded on the zone's clock (see `recurrence`), so a weekly 09:00 meeting in
//! Berlin stays at 09:00 across daylight saving changes.

use chrono::{DateTime, Datelike, Utc};
use ews_types::runtime;
#[cfg(test)]
use ews_types::runtime::NonEmpty;
use ews_types::tz::{Zone, ZoneError};
use ews_types::{m, t};

use super::Ctx;
use super::items::{Code, fail, messages, ok};
use crate::soap::Fault;

/// The zone a `TimeZoneContext` header names; an id the server does not know is a fault.
pub(crate) fn context_zone(h: &t::TimeZoneContext) -> Result<Zone, Fault> {
    Zone::from_definition(&h.time_zone_definition).map_err(|e| {
        Fault::new(
            m::ResponseCode::ErrorTimeZone,
            format!("TimeZoneContext: {e}."),
        )
    })
}

fn unknown(e: ZoneError) -> (Code, String) {
    (Code::ErrorTimeZone, format!("{e}."))
}

/// The zone of a stored item's start: its `StartTimeZone`, else UTC.
pub(super) fn start_zone(c: &t::CalendarItem) -> Zone {
    c.start_time_zone
        .as_ref()
        .and_then(|d| Zone::from_definition(d).ok())
        .unwrap_or_else(Zone::utc)
}

/// The instant a value names in `zone`. A wall-clock time that daylight saving skips is moved
/// forward by the gap, as Outlook and Exchange place it.
pub(super) fn instant(zone: &Zone, value: &runtime::DateTime) -> DateTime<Utc> {
    match zone.instant(value) {
        Ok(at) => at,
        Err(_) => {
            let later = runtime::DateTime {
                local: value.local + chrono::Duration::hours(1),
                offset: value.offset,
            };
            zone.instant(&later)
                .unwrap_or_else(|_| value.local.and_utc())
        }
    }
}

/// Settles a calendar item being created or changed: its zones resolved (see the module) and
/// stored as full definitions, its start and end in UTC.
pub(super) fn settle(c: &mut t::CalendarItem, ctx: &Ctx) -> Result<(), (Code, String)> {
    let named = |d: &Option<Box<t::TimeZoneDefinition>>| -> Result<Option<Zone>, (Code, String)> {
        d.as_deref()
            .map(Zone::from_definition)
            .transpose()
            .map_err(unknown)
    };
    let legacy = c
        .meeting_time_zone
        .as_ref()
        .and_then(|m| m.time_zone_name.as_deref())
        .map(Zone::windows)
        .transpose()
        .map_err(unknown)?;
    let start_zone = named(&c.start_time_zone)?
        .or(legacy)
        .or(ctx.time_zone)
        .unwrap_or_else(Zone::utc);
    let end_zone = named(&c.end_time_zone)?.unwrap_or(start_zone);
    let year = |zone: &Zone, at: &Option<runtime::DateTime>| {
        at.as_ref()
            .map(|v| zone.local(instant(zone, v)).year())
            .unwrap_or_else(|| Utc::now().year())
    };
    c.start_time_zone = Some(Box::new(
        start_zone.full_definition(year(&start_zone, &c.start)),
    ));
    c.end_time_zone = Some(Box::new(end_zone.full_definition(year(&end_zone, &c.end))));
    if let Some(s) = &c.start {
        c.start = Some(instant(&start_zone, s).into());
    }
    if let Some(e) = &c.end {
        c.end = Some(instant(&end_zone, e).into());
    }
    if let (Some(s), Some(e)) = (&c.start, &c.end)
        && e.to_utc() < s.to_utc()
    {
        return Err((
            Code::ErrorCalendarEndDateIsEarlierThanStartDate,
            "EndDate is earlier than StartDate".into(),
        ));
    }
    Ok(())
}

/// `GetServerTimeZones`: the zones asked for by id (every zone the server knows when none
/// are named), with their periods and transitions for the current year unless
/// `ReturnFullTimeZoneData` is false.
pub(crate) fn server_time_zones(r: m::GetServerTimeZones) -> m::GetServerTimeZonesResponse {
    let full = r.return_full_time_zone_data.unwrap_or(true);
    let year = Utc::now().year();
    let ids: Vec<String> = match &r.ids {
        Some(ids) => ids.id.iter().map(|s| s.to_string()).collect(),
        None => ews_types::tz::windows_ids().map(str::to_owned).collect(),
    };
    let mut found = Vec::new();
    for id in &ids {
        match Zone::windows(id) {
            Ok(zone) => found.push(definition(&zone, full, year)),
            Err(e) => {
                let (code, text) = unknown(e);
                let msg = m::GetServerTimeZonesResponseMessage {
                    ..fail!(GetServerTimeZonesResponseMessage, code, text)
                };
                return m::GetServerTimeZonesResponse::new(messages(vec![
                    m::ArrayOfResponseMessagesChoice::GetServerTimeZonesResponseMessage(msg),
                ]));
            }
        }
    }
    let list = t::ArrayOfTimeZoneDefinition {
        content: found
            .into_iter()
            .map(t::ArrayOfTimeZoneDefinitionGroup::new)
            .collect(),
    };
    let msg = ok!(GetServerTimeZonesResponseMessage {
        time_zone_definitions: Some(Box::new(list))
    });
    m::GetServerTimeZonesResponse::new(messages(vec![
        m::ArrayOfResponseMessagesChoice::GetServerTimeZonesResponseMessage(msg),
    ]))
}

/// A zone's definition with a descriptive name: its standard offset and IANA name (Windows'
/// own display names are not in CLDR's data).
fn definition(zone: &Zone, full: bool, year: i32) -> t::TimeZoneDefinition {
    let now = Utc::now();
    let name = format!("(UTC{}) {}", zone.standard_offset(now), zone.iana_name());
    if full {
        zone.full_definition(year).with_name(name)
    } else {
        zone.definition().with_name(name)
    }
}

/// The ids of a non-empty list, for tests.
#[cfg(test)]
fn ids(v: &[&str]) -> t::NonEmptyArrayOfTimeZoneId {
    t::NonEmptyArrayOfTimeZoneId::new(
        NonEmpty::try_from(v.iter().map(|s| (*s).into()).collect::<Vec<_>>()).unwrap(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_zones_come_back_and_unknown_ones_are_errors() {
        let r = server_time_zones(
            m::GetServerTimeZones::default().with_ids(ids(&["Tokyo Standard Time"])),
        );
        let m::ArrayOfResponseMessagesChoice::GetServerTimeZonesResponseMessage(msg) =
            &r.response_messages.content[0]
        else {
            panic!()
        };
        let d = &msg.time_zone_definitions.as_ref().unwrap().content[0].time_zone_definition;
        assert_eq!(d.name.as_deref(), Some("(UTC+09:00) Asia/Tokyo"));
        assert!(d.periods.is_some());
        let r =
            server_time_zones(m::GetServerTimeZones::default().with_ids(ids(&["Nowhere Time"])));
        let m::ArrayOfResponseMessagesChoice::GetServerTimeZonesResponseMessage(msg) =
            &r.response_messages.content[0]
        else {
            panic!()
        };
        assert_eq!(msg.response_code, Some(Code::ErrorTimeZone));
        let all = server_time_zones(
            m::GetServerTimeZones::default().with_return_full_time_zone_data(false),
        );
        let m::ArrayOfResponseMessagesChoice::GetServerTimeZonesResponseMessage(msg) =
            &all.response_messages.content[0]
        else {
            panic!()
        };
        let list = &msg.time_zone_definitions.as_ref().unwrap().content;
        assert!(list.len() > 130);
        assert!(
            list.iter()
                .all(|d| d.time_zone_definition.periods.is_none())
        );
        let pst = list
            .iter()
            .find(|d| d.time_zone_definition.id.as_deref() == Some("Pacific Standard Time"))
            .unwrap();
        assert_eq!(
            pst.time_zone_definition.name.as_deref(),
            Some("(UTC-08:00) America/Los_Angeles")
        );
    }
}
