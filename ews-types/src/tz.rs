//! Time zones as Exchange names them.
//!
//! Exchange identifies a time zone by its Windows id (`"W. Europe Standard Time"`) in
//! `StartTimeZone`/`EndTimeZone`, `MeetingTimeZone` and the `TimeZoneContext` header; Rust
//! programs know IANA zones (`"Europe/Berlin"`). A [`Zone`] is both: the rules come from the
//! IANA database (the `chrono-tz` crate) and the Windows id from CLDR's `windowsZones` mapping,
//! read from `data/cldr/` when this crate is built.
//!
//! ```
//! use chrono::NaiveDate;
//! use ews_types::tz::Zone;
//! let berlin = Zone::iana("Europe/Berlin")?;
//! assert_eq!(berlin.windows_id(), "W. Europe Standard Time");
//! // 09:00 in Berlin, before and after the October change
//! let summer = berlin.at(NaiveDate::from_ymd_opt(2026, 10, 19).unwrap().and_hms_opt(9, 0, 0).unwrap())?;
//! let winter = berlin.at(NaiveDate::from_ymd_opt(2026, 10, 26).unwrap().and_hms_opt(9, 0, 0).unwrap())?;
//! assert_eq!(summer.to_string(), "2026-10-19T09:00:00+02:00");
//! assert_eq!(winter.to_string(), "2026-10-26T09:00:00+01:00");
//! // what a request carries
//! assert_eq!(berlin.definition().id.as_deref(), Some("W. Europe Standard Time"));
//! assert_eq!(Zone::windows("W. Europe Standard Time")?.iana_name(), "Europe/Berlin");
//! # Ok::<(), ews_types::tz::ZoneError>(())
//! ```

use std::str::FromStr;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::{OffsetComponents, Tz};

use crate::runtime::{self, Duration, NonEmpty};
use crate::t;

include!(concat!(env!("OUT_DIR"), "/windows_zones.rs"));

/// The IANA zone CLDR gives for a Windows id (its world-wide default, territory `001`).
pub fn windows_to_iana(windows_id: &str) -> Option<&'static str> {
    lookup(WINDOWS_TO_IANA, windows_id)
}

/// The Windows id CLDR gives for an IANA zone name or one of its aliases
/// (`"Asia/Kolkata"` and `"Asia/Calcutta"` alike).
pub fn iana_to_windows(iana: &str) -> Option<&'static str> {
    lookup(IANA_TO_WINDOWS, iana)
}

/// Every Windows id CLDR maps, in order.
pub fn windows_ids() -> impl Iterator<Item = &'static str> {
    WINDOWS_TO_IANA.iter().map(|(w, _)| *w)
}

fn lookup(table: &'static [(&'static str, &'static str)], key: &str) -> Option<&'static str> {
    table
        .binary_search_by(|(k, _)| (*k).cmp(key))
        .ok()
        .map(|i| table[i].1)
}

/// Why a [`Zone`] could not be made, or a local time placed in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    /// The IANA database has no such zone.
    #[error("unknown IANA time zone {0:?}")]
    UnknownIana(String),
    /// CLDR maps no Windows id to this IANA zone, so Exchange could not be told about it.
    #[error("the IANA time zone {0:?} has no Windows id in CLDR's windowsZones mapping")]
    NoWindowsId(String),
    /// CLDR knows no such Windows id.
    #[error("unknown Windows time zone id {0:?}")]
    UnknownWindows(String),
    /// The local time falls in a daylight-saving gap.
    #[error("{local} does not exist in {zone}: daylight saving time skips it")]
    Skipped {
        /// The local time asked for.
        local: NaiveDateTime,
        /// The zone's IANA name.
        zone: &'static str,
    },
}

/// A time zone with its IANA rules and its Windows id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Zone {
    tz: Tz,
    windows: &'static str,
}

impl Zone {
    /// The zone with this IANA name (`"Europe/Berlin"`); its Windows id comes from CLDR.
    pub fn iana(name: &str) -> Result<Zone, ZoneError> {
        let tz = Tz::from_str(name).map_err(|_| ZoneError::UnknownIana(name.to_owned()))?;
        let windows = iana_to_windows(name)
            .or_else(|| iana_to_windows(tz.name()))
            .ok_or_else(|| ZoneError::NoWindowsId(name.to_owned()))?;
        Ok(Zone { tz, windows })
    }

    /// The zone with this Windows id (`"W. Europe Standard Time"`), with the rules of CLDR's
    /// world-wide IANA zone for it.
    pub fn windows(id: &str) -> Result<Zone, ZoneError> {
        let unknown = || ZoneError::UnknownWindows(id.to_owned());
        let i = WINDOWS_TO_IANA
            .binary_search_by(|(k, _)| (*k).cmp(id))
            .map_err(|_| unknown())?;
        let (windows, iana) = WINDOWS_TO_IANA[i];
        let tz = Tz::from_str(iana).map_err(|_| unknown())?;
        Ok(Zone { tz, windows })
    }

    /// Coordinated Universal Time (Windows id `UTC`).
    pub fn utc() -> Zone {
        Zone {
            tz: Tz::UTC,
            windows: "UTC",
        }
    }

    /// The zone a `TimeZoneDefinition` names by its `Id`.
    pub fn from_definition(d: &t::TimeZoneDefinition) -> Result<Zone, ZoneError> {
        Zone::windows(d.id.as_deref().unwrap_or_default())
    }

    /// The Windows id, as Exchange names the zone.
    pub fn windows_id(&self) -> &'static str {
        self.windows
    }

    /// The IANA name.
    pub fn iana_name(&self) -> &'static str {
        self.tz.name()
    }

    /// The `chrono-tz` zone, for arithmetic of one's own.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// `local` (a wall-clock time in this zone) as a value with its UTC offset. Of the two
    /// instants an hour repeated in autumn names, the earlier; a time skipped in spring is an
    /// error.
    pub fn at(&self, local: NaiveDateTime) -> Result<runtime::DateTime, ZoneError> {
        let at = self
            .tz
            .from_local_datetime(&local)
            .earliest()
            .ok_or(ZoneError::Skipped {
                local,
                zone: self.tz.name(),
            })?;
        Ok(runtime::DateTime::from(at))
    }

    /// The wall-clock time in this zone at `instant`.
    pub fn local(&self, instant: chrono::DateTime<Utc>) -> NaiveDateTime {
        instant.with_timezone(&self.tz).naive_local()
    }

    /// The zone's standard (not daylight saving) UTC offset at `instant`.
    pub fn standard_offset(&self, instant: chrono::DateTime<Utc>) -> chrono::FixedOffset {
        let o = self.tz.offset_from_utc_datetime(&instant.naive_utc());
        let secs = o.base_utc_offset().num_seconds() as i32;
        chrono::FixedOffset::east_opt(secs).unwrap_or(chrono::FixedOffset::east_opt(0).unwrap())
    }

    /// The instant a value names: by its own offset when it has one, else as a wall-clock
    /// time in this zone (as Exchange reads times without an offset).
    pub fn instant(&self, value: &runtime::DateTime) -> Result<chrono::DateTime<Utc>, ZoneError> {
        match value.offset {
            Some(_) => value.to_utc().ok_or(ZoneError::Skipped {
                local: value.local,
                zone: self.tz.name(),
            }),
            None => Ok(self.at(value.local)?.to_utc().expect("at gives an offset")),
        }
    }

    /// The zone as a `StartTimeZone`/`EndTimeZone`/`TimeZoneContext` definition naming it by
    /// id, which is how Exchange 2010 and later take a zone it knows.
    pub fn definition(&self) -> t::TimeZoneDefinition {
        t::TimeZoneDefinition::default().with_id(self.windows)
    }

    /// The `TimeZoneContext` SOAP header for this zone.
    pub fn context(&self) -> t::TimeZoneContext {
        t::TimeZoneContext::new(self.definition())
    }

    /// The zone as Exchange 2007's `MeetingTimeZone`, by name (2007 SP1 and later).
    pub fn meeting_time_zone(&self) -> t::TimeZone {
        t::TimeZone::default().with_time_zone_name(self.windows)
    }

    /// The zone's periods and transitions as in force in `year`, as `GetServerTimeZones` with
    /// `ReturnFullTimeZoneData` describes a zone: a standard period, a daylight period when
    /// the zone has one, and a group with the year's rule (`RecurringDayTransition`s when the
    /// changes fall on the same weekday of the month the next year too, else the year's
    /// changes as `AbsoluteDateTransition`s).
    pub fn full_definition(&self, year: i32) -> t::TimeZoneDefinition {
        let changes = self.changes(year);
        let start = self.offsets_at(first_instant(year));
        let mut periods: Vec<(i32, bool)> = vec![start];
        for c in &changes {
            if !periods.contains(&c.to) {
                periods.push(c.to);
            }
        }
        periods.sort_by_key(|p| p.1);
        let period_id = |p: (i32, bool)| -> String {
            let i = periods.iter().position(|q| *q == p).unwrap_or(0);
            let base = if p.1 { "dlt" } else { "std" };
            let same_kind = periods.iter().filter(|q| q.1 == p.1).count();
            if same_kind > 1 {
                format!("{base}{i}")
            } else {
                base.to_owned()
            }
        };
        let to = |p: (i32, bool)| {
            t::TransitionTarget::new(t::TransitionTargetKind::Period, period_id(p))
        };
        let next = self.changes(year + 1);
        let recurring = changes.len() == 2
            && next.len() == 2
            && changes.iter().zip(&next).all(|(a, b)| {
                a.to == b.to && a.month() == b.month() && occurrence(a) == occurrence(b)
            });
        let group: Vec<t::Transition> = if changes.is_empty() {
            vec![t::Transition::Transition(t::TransitionType::new(to(start)))]
        } else if recurring {
            changes
                .iter()
                .map(|c| {
                    t::Transition::RecurringDayTransition(t::RecurringDayTransition::new(
                        to(c.to),
                        Duration::from_minutes(i64::from(c.local.num_seconds_from_midnight() / 60)),
                        c.month() as i32,
                        day_of_week(c.local.weekday()),
                        occurrence(c),
                    ))
                })
                .collect()
        } else {
            changes
                .iter()
                .map(|c| {
                    t::Transition::AbsoluteDateTransition(t::AbsoluteDateTransition::new(
                        to(c.to),
                        runtime::DateTime {
                            local: c.local,
                            offset: None,
                        },
                    ))
                })
                .collect()
        };
        let periods = periods.iter().map(|&p| {
            t::Period::default()
                .with_bias(Duration::from_minutes(-i64::from(p.0 / 60)))
                .with_name(if p.1 { "Daylight" } else { "Standard" })
                .with_id(period_id(p))
        });
        let group =
            t::ArrayOfTransitions::new(NonEmpty::try_from(group).expect("one transition at least"))
                .with_id("0");
        let into_group = t::Transition::Transition(t::TransitionType::new(
            t::TransitionTarget::new(t::TransitionTargetKind::Group, "0"),
        ));
        self.definition()
            .with_periods(t::NonEmptyArrayOfPeriods::new(
                NonEmpty::try_from(periods.collect::<Vec<_>>()).expect("one period at least"),
            ))
            .with_transitions_groups(t::ArrayOfTransitionsGroups::new(NonEmpty::new(group)))
            .with_transitions(t::ArrayOfTransitions::new(NonEmpty::new(into_group)))
    }

    /// (UTC offset in seconds, whether daylight saving) at `instant`.
    fn offsets_at(&self, instant: chrono::DateTime<Utc>) -> (i32, bool) {
        let o = self.tz.offset_from_utc_datetime(&instant.naive_utc());
        (o.fix().local_minus_utc(), !o.dst_offset().is_zero())
    }

    /// The offset changes during `year` (by UTC), each with the wall-clock time it happens at
    /// in the period it ends.
    fn changes(&self, year: i32) -> Vec<Change> {
        let (from, until) = (first_instant(year), first_instant(year + 1));
        let mut out = Vec::new();
        let mut at = from;
        let mut before = self.offsets_at(at);
        while at < until {
            let next = at + chrono::Duration::hours(6);
            let after = self.offsets_at(next);
            if after != before {
                // the first second with the new offset
                let (mut lo, mut hi) = (at, next);
                while hi - lo > chrono::Duration::seconds(1) {
                    let mid = lo + (hi - lo) / 2;
                    if self.offsets_at(mid) == before {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                out.push(Change {
                    local: (hi + chrono::Duration::seconds(i64::from(before.0))).naive_utc(),
                    to: after,
                });
                before = after;
            }
            at = next;
        }
        out
    }
}

impl From<Zone> for t::TimeZoneContext {
    fn from(zone: Zone) -> Self {
        zone.context()
    }
}

/// One offset change: when, on the clock of the period it ends, and the offsets it starts.
struct Change {
    local: NaiveDateTime,
    to: (i32, bool),
}

impl Change {
    fn month(&self) -> u32 {
        self.local.month()
    }
}

fn first_instant(year: i32) -> chrono::DateTime<Utc> {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .unwrap_or_default()
}

/// The week of the month a change falls in, `-1` for the month's last.
fn occurrence(c: &Change) -> i32 {
    let d = c.local.date();
    if (d + chrono::Duration::days(7)).month() != d.month() {
        -1
    } else {
        (d.day0() / 7 + 1) as i32
    }
}

/// The schema's day for a chrono weekday.
pub fn day_of_week(d: chrono::Weekday) -> t::DayOfWeek {
    use chrono::Weekday as W;
    use t::DayOfWeek as D;
    match d {
        W::Mon => D::Monday,
        W::Tue => D::Tuesday,
        W::Wed => D::Wednesday,
        W::Thu => D::Thursday,
        W::Fri => D::Friday,
        W::Sat => D::Saturday,
        W::Sun => D::Sunday,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_for_binary_search() {
        assert!(WINDOWS_TO_IANA.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(IANA_TO_WINDOWS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(WINDOWS_TO_IANA.len() > 130, "{}", WINDOWS_TO_IANA.len());
    }

    #[test]
    fn every_windows_zone_has_rules() {
        for id in windows_ids() {
            let z = Zone::windows(id).unwrap();
            assert_eq!(z.windows_id(), id);
            // and the IANA zone maps back to the same Windows id
            assert_eq!(Zone::iana(z.iana_name()).unwrap().windows_id(), id, "{id}");
        }
    }
}
