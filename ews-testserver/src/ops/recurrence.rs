//! Recurring series: a master with a `Recurrence` expands into occurrences, each with an id of
//! its own (the master's id and the occurrence's start), on the clock of the master's start
//! zone: each occurrence starts at the master's wall-clock time in that zone, whatever the
//! daylight saving period (see `zones`).
//!
//! Patterns: daily, weekly (days of the week, `FirstDayOfWeek`), absolute monthly (a day of the
//! month, the month's last day when it is shorter), relative monthly (the first … fourth or
//! last day, weekday, weekend day or named day of the month), absolute yearly and relative
//! yearly. Ranges: no end, end date, numbered. Deleting an occurrence records it in the master's `DeletedOccurrences`;
//! changing one makes it an exception, an item of its own listed in `ModifiedOccurrences`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use ews_types::runtime::{self, XmlValue};
use ews_types::t;
use ews_types::tz::Zone;

use super::items::Code;
use super::zones;
use crate::store::{FolderKey, Item, Store, Stored};

/// Candidate dates looked at per expansion at most (a daily series over 2,700 years).
const MAX_STEPS: usize = 1_000_000;

/// Refuses recurrences the server cannot expand, before anything is stored.
pub(super) fn check(c: &t::CalendarItem) -> Result<(), (Code, String)> {
    let Some(r) = &c.recurrence else {
        return Ok(());
    };
    use t::RecurrenceChoice as P;
    let step = match &r.content {
        P::DailyRecurrence(d) => d.interval,
        P::WeeklyRecurrence(w) => w.interval,
        P::AbsoluteMonthlyRecurrence(m) => m.interval,
        P::RelativeMonthlyRecurrence(m) => m.interval,
        P::AbsoluteYearlyRecurrence(_) | P::RelativeYearlyRecurrence(_) => 1,
    };
    if step < 1 {
        return Err((
            Code::ErrorCalendarInvalidRecurrence,
            "The recurrence interval must be at least 1.".into(),
        ));
    }
    if series_start(c).is_none() {
        return Err((
            Code::ErrorCalendarInvalidRecurrence,
            "A recurring item needs a Start and an End.".into(),
        ));
    }
    Ok(())
}

/// The master's start zone, its start on that zone's clock, and its duration.
fn series_start(c: &t::CalendarItem) -> Option<(Zone, NaiveDateTime, Duration)> {
    let zone = zones::start_zone(c);
    let start = zones::instant(&zone, c.start.as_ref()?);
    let end = zones::instant(&zone, c.end.as_ref()?);
    Some((zone, zone.local(start), end - start))
}

fn range_start(r: &t::Recurrence) -> NaiveDate {
    use t::RecurrenceChoice2 as R;
    match &r.content2 {
        R::NoEndRecurrence(n) => n.start_date.date,
        R::EndDateRecurrence(e) => e.start_date.date,
        R::NumberedRecurrence(n) => n.start_date.date,
    }
}

/// The dates the pattern yields from `first` on, in order (unbounded; the caller stops).
fn dates(p: &t::RecurrenceChoice, first: NaiveDate) -> Box<dyn Iterator<Item = NaiveDate> + '_> {
    use t::RecurrenceChoice as P;
    match p {
        P::DailyRecurrence(d) => {
            let step = i64::from(d.interval.max(1));
            Box::new((0..).map(move |k| first + Duration::days(k * step)))
        }
        P::WeeklyRecurrence(w) => {
            let fdow = w.first_day_of_week.map_or(0, weekday_index);
            let days: Vec<u32> = (0..7)
                .filter(|d| w.days_of_week.iter().any(|x| day_matches(*x, *d)))
                .collect();
            let week0 = first
                - Duration::days(i64::from(
                    (first.weekday().num_days_from_sunday() + 7 - fdow) % 7,
                ));
            let step = i64::from(w.interval.max(1)) * 7;
            Box::new(
                (0..)
                    .flat_map(move |k| {
                        let week = week0 + Duration::days(k * step);
                        (0..7).map(move |i| week + Duration::days(i))
                    })
                    .filter(move |d| {
                        d >= &first && days.contains(&d.weekday().num_days_from_sunday())
                    }),
            )
        }
        P::AbsoluteMonthlyRecurrence(m) => {
            let step = m.interval.max(1);
            let day = m.day_of_month.clamp(1, 31) as u32;
            Box::new(
                (0..)
                    .map(move |k| month_day(first.year(), first.month0() as i32 + k * step, day))
                    .filter(move |d| d >= &first),
            )
        }
        P::AbsoluteYearlyRecurrence(y) => {
            let month = month_index(&y.month);
            let day = y.day_of_month.clamp(1, 31) as u32;
            Box::new(
                (0..)
                    .map(move |k| month_day(first.year() + k, month as i32, day))
                    .filter(move |d| d >= &first),
            )
        }
        P::RelativeMonthlyRecurrence(m) => {
            let step = m.interval.max(1);
            let (days, index) = (m.days_of_week, m.day_of_week_index);
            Box::new(
                (0..)
                    .filter_map(move |k| {
                        nth_day(first.year(), first.month0() as i32 + k * step, days, index)
                    })
                    .filter(move |d| d >= &first),
            )
        }
        P::RelativeYearlyRecurrence(y) => {
            let month = month_index(&y.month) as i32;
            let (days, index) = (y.days_of_week, y.day_of_week_index);
            Box::new(
                (0..)
                    .filter_map(move |k| nth_day(first.year() + k, month, days, index))
                    .filter(move |d| d >= &first),
            )
        }
    }
}

/// The `index`th day matching `days` (a weekday, or `Day`, `Weekday`, `WeekendDay`) in month
/// `month0` (0-based, may exceed 11) after January of `year`.
fn nth_day(
    year: i32,
    month0: i32,
    days: t::DayOfWeek,
    index: t::DayOfWeekIndex,
) -> Option<NaiveDate> {
    let first = month_day(year, month0, 1);
    let matching = first
        .iter_days()
        .take_while(|d| d.month() == first.month())
        .filter(|d| day_matches(days, d.weekday().num_days_from_sunday()));
    use t::DayOfWeekIndex as I;
    match index {
        I::First => matching.clone().next(),
        I::Second => matching.clone().nth(1),
        I::Third => matching.clone().nth(2),
        I::Fourth => matching.clone().nth(3),
        I::Last => matching.last(),
    }
}

/// Day `day` of month `month0` (0-based, may exceed 11) after January of `year`, clamped to the
/// month's last day.
fn month_day(year: i32, month0: i32, day: u32) -> NaiveDate {
    let (y, m) = (
        year + month0.div_euclid(12),
        month0.rem_euclid(12) as u32 + 1,
    );
    (1..=day)
        .rev()
        .find_map(|d| NaiveDate::from_ymd_opt(y, m, d))
        .expect("every month has a first day")
}

fn weekday_index(d: t::DayOfWeek) -> u32 {
    use t::DayOfWeek as D;
    match d {
        D::Monday => 1,
        D::Tuesday => 2,
        D::Wednesday => 3,
        D::Thursday => 4,
        D::Friday => 5,
        D::Saturday => 6,
        _ => 0,
    }
}

fn day_matches(d: t::DayOfWeek, sunday0: u32) -> bool {
    use t::DayOfWeek as D;
    match d {
        D::Day => true,
        D::Weekday => (1..=5).contains(&sunday0),
        D::WeekendDay => sunday0 == 0 || sunday0 == 6,
        d => weekday_index(d) == sunday0,
    }
}

fn month_index(m: &t::MonthNames) -> u32 {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let name = m.to_text();
    NAMES.iter().position(|n| *n == name).unwrap_or(0) as u32
}

/// The starts of the series' occurrences before `until`, deleted ones left out.
fn starts(c: &t::CalendarItem, until: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let (Some(r), Some((zone, start, _))) = (&c.recurrence, series_start(c)) else {
        return Vec::new();
    };
    use t::RecurrenceChoice2 as R;
    let (end_date, count) = match &r.content2 {
        R::NoEndRecurrence(_) => (None, None),
        R::EndDateRecurrence(e) => (Some(e.end_date.date), None),
        R::NumberedRecurrence(n) => (None, Some(n.number_of_occurrences.max(0) as usize)),
    };
    // deleted occurrences, and modified ones (their exceptions are items of their own)
    let deleted: Vec<DateTime<Utc>> = c
        .deleted_occurrences
        .iter()
        .flat_map(|d| &d.deleted_occurrence)
        .map(|d| &d.start)
        .chain(
            c.modified_occurrences
                .iter()
                .flat_map(|m| &m.occurrence)
                .map(|o| &o.original_start),
        )
        .filter_map(|d| d.to_utc())
        .collect();
    let mut out = Vec::new();
    for (n, date) in dates(&r.content, range_start(r))
        .take(MAX_STEPS)
        .enumerate()
    {
        if count.is_some_and(|c| n >= c) || end_date.is_some_and(|e| date > e) {
            break;
        }
        let local = runtime::DateTime {
            local: date.and_time(start.time()),
            offset: None,
        };
        let at = zones::instant(&zone, &local);
        if at >= until {
            break;
        }
        if !deleted.contains(&at) {
            out.push(at);
        }
    }
    out
}

/// The occurrence id of the master `master_id` starting at `start`.
pub(super) fn occurrence_id(master_id: &str, start: DateTime<Utc>) -> String {
    URL_SAFE_NO_PAD.encode(format!("occ|{master_id}|{}", start.timestamp()))
}

/// The master id and start an occurrence id names.
pub(super) fn parse_occurrence_id(id: &str) -> Option<(String, DateTime<Utc>)> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(id).ok()?).ok()?;
    let mut parts = text.splitn(3, '|');
    (parts.next()? == "occ").then_some(())?;
    let master = parts.next()?.to_owned();
    let start = Utc.timestamp_opt(parts.next()?.parse().ok()?, 0).single()?;
    Some((master, start))
}

/// The item an id names, and the occurrence start when it names an occurrence of a series:
/// (the master's id, `Some(start)`), or (the id itself, `None`).
pub(super) fn split_id(id: &str) -> (std::borrow::Cow<'_, str>, Option<DateTime<Utc>>) {
    match parse_occurrence_id(id) {
        Some((master, start)) => (master.into(), Some(start)),
        None => (id.into(), None),
    }
}

/// The occurrence of `master` starting at `start`, if the series has one there.
fn occurrence(master: &Stored, c: &t::CalendarItem, start: DateTime<Utc>) -> Option<Stored> {
    let (_, _, duration) = series_start(c)?;
    let item = t::CalendarItem {
        item_id: None,
        recurrence: None,
        deleted_occurrences: None,
        calendar_item_type: Some(t::CalendarItemType::Occurrence),
        is_recurring: Some(true),
        start: Some(runtime::DateTime::from(start)),
        end: Some(runtime::DateTime::from(start + duration)),
        original_start: Some(runtime::DateTime::from(start)),
        ..c.clone()
    };
    Some(Stored {
        id: occurrence_id(&master.id, start),
        version: master.version,
        creator: master.creator.clone(),
        item: Item::Calendar(Box::new(item)),
    })
}

/// The occurrences of the series `s` that overlap `[from, until)`, or `s` itself when it is
/// not a recurring master.
pub(super) fn expand(s: &Stored, from: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Stored> {
    let Item::Calendar(c) = &s.item else {
        return vec![s.clone()];
    };
    let Some((_, _, duration)) = c.recurrence.as_ref().and(series_start(c)) else {
        return vec![s.clone()];
    };
    starts(c, until)
        .into_iter()
        .filter(|at| *at + duration > from)
        .filter_map(|at| occurrence(s, c, at))
        .collect()
}

/// The occurrence of master `s` at `start`, when the series (deletions left out) has one.
pub(super) fn find(s: &Stored, start: DateTime<Utc>) -> Option<Stored> {
    let Item::Calendar(c) = &s.item else {
        return None;
    };
    starts(c, start + Duration::seconds(1))
        .contains(&start)
        .then(|| occurrence(s, c, start))
        .flatten()
}

/// Why master `s` has no occurrence at `start`: deleted from the series, or never in it.
pub(super) fn missing(s: &Stored, start: DateTime<Utc>) -> (Code, String) {
    let deleted = matches!(&s.item, Item::Calendar(c) if c
        .deleted_occurrences
        .iter()
        .flat_map(|d| &d.deleted_occurrence)
        .any(|d| d.start.to_utc() == Some(start)));
    if deleted {
        (
            Code::ErrorCalendarOccurrenceIsDeletedFromRecurrence,
            "Occurrence with this index was previously deleted from the recurrence.".into(),
        )
    } else {
        super::items::not_found()
    }
}

/// Stores the changed occurrence `occ` (originally at `start`) of the master at
/// `(mbx, folder, i)` as an exception: an item of its own, listed in the master's
/// `ModifiedOccurrences`.
pub(super) fn make_exception(
    store: &mut Store,
    mbx: usize,
    folder: FolderKey,
    i: usize,
    occ: Stored,
    start: DateTime<Utc>,
) -> Stored {
    let id = store.new_id("I", mbx);
    let Item::Calendar(mut c) = occ.item else {
        unreachable!("occurrences are calendar items")
    };
    c.calendar_item_type = Some(t::CalendarItemType::Exception);
    let exception = Stored {
        id,
        version: 1,
        creator: occ.creator,
        item: Item::Calendar(c.clone()),
    };
    let items = &mut store.mailboxes[mbx]
        .folder_mut(folder)
        .expect("folder")
        .items;
    let master = &mut items[i];
    if let Item::Calendar(m) = &mut master.item {
        let info = t::OccurrenceInfo {
            item_id: exception.item_id(),
            start: c.start.unwrap_or_else(|| runtime::DateTime::from(start)),
            end: c.end.unwrap_or_else(|| runtime::DateTime::from(start)),
            original_start: runtime::DateTime::from(start),
        };
        match &mut m.modified_occurrences {
            Some(list) => list.occurrence.push(info),
            None => {
                m.modified_occurrences = Some(Box::new(t::NonEmptyArrayOfOccurrenceInfo::new(info)))
            }
        }
    }
    master.version += 1;
    items.push(exception.clone());
    exception
}

/// Removes the exceptions of the deleted master `c` from its folder.
pub(super) fn drop_exceptions(
    store: &mut Store,
    mbx: usize,
    folder: FolderKey,
    c: &t::CalendarItem,
) {
    let ids: Vec<&str> = c
        .modified_occurrences
        .iter()
        .flat_map(|m| &m.occurrence)
        .map(|o| o.item_id.id.as_str())
        .collect();
    if let Some(f) = store.mailboxes[mbx].folder_mut(folder) {
        f.items.retain(|s| !ids.contains(&s.id.as_str()));
    }
}

/// Records the deletion of the occurrence at `start` in master `c`.
pub(super) fn delete(c: &mut t::CalendarItem, start: DateTime<Utc>) {
    let info = t::DeletedOccurrenceInfo::new(start);
    match &mut c.deleted_occurrences {
        Some(list) => list.deleted_occurrence.push(info),
        None => {
            c.deleted_occurrences = Some(Box::new(t::NonEmptyArrayOfDeletedOccurrences::new(info)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_clamp_to_their_last_day() {
        assert_eq!(
            month_day(2027, 1, 31),
            NaiveDate::from_ymd_opt(2027, 2, 28).unwrap()
        );
        assert_eq!(
            month_day(2026, 13, 31),
            NaiveDate::from_ymd_opt(2027, 2, 28).unwrap()
        );
        assert_eq!(
            month_day(2026, 11, 31),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
    }

    #[test]
    fn occurrence_ids_round_trip() {
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
        let id = occurrence_id("STozOjAw", at);
        assert_eq!(parse_occurrence_id(&id), Some(("STozOjAw".to_owned(), at)));
        assert_eq!(parse_occurrence_id("STozOjAw"), None);
    }
}
