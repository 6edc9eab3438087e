//! What the user hands in: lists of mailboxes (flags, a text file or a CSV file), appointments
//! (flags or a TOML/JSON file), times, durations and zones.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use clap::Args;
use ews_client::{Zone, t};
use ews_types::runtime::NonEmpty;
use serde::Deserialize;

use crate::fail::Failure;

/// One mailbox of a bulk run, with the idempotency key its file row gave, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The SMTP address.
    pub mailbox: String,
    /// A `key` column's value.
    pub key: Option<String>,
}

/// Mailboxes from `--mailbox` flags and a `--mailboxes` file, in order. A file is either one
/// address per line (`#` starts a comment) or CSV whose header names a `mailbox` (or `email`,
/// `smtp`, `address`) column and optionally a `key` column. An address listed twice is refused:
/// a bulk run would otherwise do its work twice in one calendar.
pub fn targets(flags: &[String], file: Option<&Path>) -> Result<Vec<Target>, Failure> {
    let mut out: Vec<(String, Target)> = flags
        .iter()
        .map(|m| {
            let t = Target {
                mailbox: m.trim().to_owned(),
                key: None,
            };
            ("--mailbox".to_owned(), t)
        })
        .collect();
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
        let rows = if looks_like_csv(&text) {
            csv_rows(path, &text)?
        } else {
            text.lines()
                .enumerate()
                .map(|(i, l)| (i + 1, l.split('#').next().unwrap_or("").trim()))
                .filter(|(_, l)| !l.is_empty())
                .map(|(n, l)| {
                    let t = Target {
                        mailbox: l.to_owned(),
                        key: None,
                    };
                    (format!("{} line {n}", path.display()), t)
                })
                .collect()
        };
        out.extend(rows);
    }
    let mut seen: HashMap<String, String> = HashMap::new();
    for (place, t) in &out {
        if t.mailbox.is_empty() {
            return Err(Failure::usage(format!("{place}: an empty mailbox address")));
        }
        if let Some(first) = seen.insert(t.mailbox.to_ascii_lowercase(), place.clone()) {
            return Err(Failure::usage(format!(
                "{place}: {} is listed twice (first at {first})",
                t.mailbox
            )));
        }
    }
    if out.is_empty() {
        return Err(Failure::usage(
            "no mailboxes: give --mailbox ADDRESS or --mailboxes FILE",
        ));
    }
    Ok(out.into_iter().map(|(_, t)| t).collect())
}

const MAILBOX_COLUMNS: [&str; 4] = ["mailbox", "email", "smtp", "address"];

fn looks_like_csv(text: &str) -> bool {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    first.contains(',')
        || MAILBOX_COLUMNS
            .iter()
            .any(|c| first.trim().eq_ignore_ascii_case(c))
}

fn csv_rows(path: &Path, text: &str) -> Result<Vec<(String, Target)>, Failure> {
    let bad = |e: String| Failure::usage(format!("{}: {e}", path.display()));
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
    let column = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let mailbox = column(&MAILBOX_COLUMNS).ok_or_else(|| {
        bad("the CSV header names no mailbox column (mailbox, email, smtp or address)".into())
    })?;
    let key = column(&["key"]);
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| bad(e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let t = Target {
            mailbox: record.get(mailbox).unwrap_or("").to_owned(),
            key: key
                .and_then(|k| record.get(k))
                .filter(|k| !k.is_empty())
                .map(str::to_owned),
        };
        rows.push((format!("{} line {line}", path.display()), t));
    }
    Ok(rows)
}

/// A zone by IANA name (`Europe/Berlin`) or Windows id (`W. Europe Standard Time`).
pub fn zone(name: &str) -> Result<Zone, Failure> {
    Zone::iana(name)
        .or_else(|_| Zone::windows(name))
        .map_err(|e| Failure::usage(format!("time zone {name:?}: {e}")))
}

/// A time: with an offset or `Z` it is that instant; without, a wall-clock time in `zone`
/// (`2026-12-10T09:00`, `2026-12-10 09:00`, seconds optional). A local time the zone skips
/// (the spring change) is refused.
pub fn instant(text: &str, zone: &Zone) -> Result<DateTime<Utc>, Failure> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let local = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .or_else(|| {
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
    .ok_or_else(|| {
        Failure::usage(format!(
            "time {text:?}: use 2026-12-10T09:00 (in --time-zone) or 2026-12-10T08:00:00Z"
        ))
    })?;
    let value = zone
        .at(local)
        .map_err(|e| Failure::usage(format!("time {text:?}: {e}")))?;
    zone.instant(&value)
        .map_err(|e| Failure::usage(format!("time {text:?}: {e}")))
}

/// A duration: `90` or `90m` (minutes), `1h`, `1h30m`.
pub fn duration(text: &str) -> Result<TimeDelta, Failure> {
    let bad = || Failure::usage(format!("duration {text:?}: use 45m, 1h or 1h30m"));
    let t = text.trim().to_ascii_lowercase();
    let (hours, rest) = match t.split_once('h') {
        Some((h, rest)) => (i64::from(h.parse::<u32>().map_err(|_| bad())?), rest),
        None => (0, t.as_str()),
    };
    let minutes = match rest.trim_end_matches('m') {
        "" => 0,
        m => i64::from(m.parse::<u32>().map_err(|_| bad())?),
    };
    let total = hours * 60 + minutes;
    if total <= 0 || total > 60 * 24 * 366 {
        return Err(bad());
    }
    Ok(TimeDelta::minutes(total))
}

/// An appointment from flags, or from a file whose fields have the same names.
#[derive(Args, Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Appointment {
    /// Read the appointment from a TOML or JSON file (the flags' names as keys); flags given
    /// as well override the file.
    #[arg(long = "from-file", id = "from_file", value_name = "FILE")]
    #[serde(skip)]
    pub file: Option<PathBuf>,
    /// The subject.
    #[arg(long)]
    pub subject: Option<String>,
    /// Start: `2026-12-10T09:00` in --time-zone, or an instant (`…Z`, `…+01:00`).
    #[arg(long)]
    pub start: Option<String>,
    /// End, as --start; or give --duration.
    #[arg(long, conflicts_with = "duration")]
    pub end: Option<String>,
    /// Length: `45m`, `1h`, `1h30m` (default 1h).
    #[arg(long)]
    pub duration: Option<String>,
    /// The zone of local times and of the item (IANA or Windows id; default UTC).
    #[arg(long = "time-zone")]
    pub time_zone: Option<String>,
    /// Where.
    #[arg(long)]
    pub location: Option<String>,
    /// The body, as plain text.
    #[arg(long)]
    pub body: Option<String>,
    /// A required attendee (repeat it); with attendees, invitations are sent.
    #[arg(long = "attendee", value_name = "ADDRESS")]
    #[serde(default)]
    pub attendees: Vec<String>,
    /// An optional attendee (repeat it).
    #[arg(long = "optional", value_name = "ADDRESS")]
    #[serde(default)]
    pub optional: Vec<String>,
    /// How the time shows: busy (default), free, tentative, oof, working-elsewhere.
    #[arg(long = "show-as")]
    pub show_as: Option<String>,
}

impl Appointment {
    /// The flags over the file's values.
    pub fn resolve(&self) -> Result<Appointment, Failure> {
        let Some(path) = &self.file else {
            return Ok(self.clone());
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
        let from_file: Appointment = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text)
                .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?
        } else {
            toml::from_str(&text)
                .map_err(|e| Failure::usage(format!("{}: {}", path.display(), e.message())))?
        };
        let pick = |flag: &Option<String>, file: &Option<String>| flag.clone().or(file.clone());
        let list = |flag: &Vec<String>, file: &Vec<String>| {
            if flag.is_empty() {
                file.clone()
            } else {
                flag.clone()
            }
        };
        Ok(Appointment {
            file: None,
            subject: pick(&self.subject, &from_file.subject),
            start: pick(&self.start, &from_file.start),
            end: pick(&self.end, &from_file.end),
            duration: pick(&self.duration, &from_file.duration),
            time_zone: pick(&self.time_zone, &from_file.time_zone),
            location: pick(&self.location, &from_file.location),
            body: pick(&self.body, &from_file.body),
            attendees: list(&self.attendees, &from_file.attendees),
            optional: list(&self.optional, &from_file.optional),
            show_as: pick(&self.show_as, &from_file.show_as),
        })
    }

    /// The calendar item, checked: a subject and a start are required, the end must follow
    /// the start.
    pub fn item(&self) -> Result<t::CalendarItem, Failure> {
        let a = self.resolve()?;
        let subject = a
            .subject
            .clone()
            .ok_or_else(|| Failure::usage("the appointment needs --subject"))?;
        let zone = match &a.time_zone {
            Some(z) => zone(z)?,
            None => Zone::utc(),
        };
        let start_text = a
            .start
            .as_deref()
            .ok_or_else(|| Failure::usage("the appointment needs --start"))?;
        let start = instant(start_text, &zone)?;
        let end = match (&a.end, &a.duration) {
            (Some(e), _) => instant(e, &zone)?,
            (None, Some(d)) => start + duration(d)?,
            (None, None) => start + TimeDelta::hours(1),
        };
        if end <= start {
            return Err(Failure::usage("the appointment ends before it starts"));
        }
        let people = |list: &[String]| {
            NonEmpty::collect(list.iter().map(|a| {
                t::Attendee::new(t::EmailAddressType::default().with_email_address(a.trim()))
            }))
            .map(t::NonEmptyArrayOfAttendees::new)
        };
        let mut item = t::CalendarItem::default()
            .with_subject(subject)
            .with_start(start)
            .with_end(end)
            .with_start_time_zone(zone.definition())
            .with_end_time_zone(zone.definition());
        item.location = a.location.clone().map(Into::into);
        item.body = a
            .body
            .clone()
            .map(|b| t::Body::new(t::BodyType::Text, b))
            .map(Box::new);
        item.required_attendees = people(&a.attendees).map(Box::new);
        item.optional_attendees = people(&a.optional).map(Box::new);
        if let Some(s) = &a.show_as {
            item.legacy_free_busy_status = Some(show_as(s)?);
        }
        Ok(item)
    }
}

fn show_as(text: &str) -> Result<t::LegacyFreeBusy, Failure> {
    use t::LegacyFreeBusy as F;
    Ok(
        match text
            .to_ascii_lowercase()
            .replace(['-', '_', ' '], "")
            .as_str()
        {
            "free" => F::Free,
            "tentative" => F::Tentative,
            "busy" => F::Busy,
            "oof" | "outofoffice" | "away" => F::Oof,
            "workingelsewhere" => F::WorkingElsewhere,
            _ => {
                return Err(Failure::usage(format!(
                    "--show-as {text:?}: use busy, free, tentative, oof or working-elsewhere"
                )));
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("90").unwrap(), TimeDelta::minutes(90));
        assert_eq!(duration("1h30m").unwrap(), TimeDelta::minutes(90));
        assert_eq!(duration("2h").unwrap(), TimeDelta::minutes(120));
        for bad in ["", "0", "-5", "h", "1x", "1h-3m"] {
            assert!(duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn local_times_follow_the_zone_and_instants_do_not() {
        let berlin = zone("Europe/Berlin").unwrap();
        let winter = instant("2026-12-10T09:00", &berlin).unwrap();
        assert_eq!(winter.to_rfc3339(), "2026-12-10T08:00:00+00:00");
        let summer = instant("2026-07-10 09:00", &berlin).unwrap();
        assert_eq!(summer.to_rfc3339(), "2026-07-10T07:00:00+00:00");
        let z = instant("2026-12-10T09:00:00Z", &berlin).unwrap();
        assert_eq!(z.to_rfc3339(), "2026-12-10T09:00:00+00:00");
        // the spring change skips 02:30 in Berlin
        assert!(instant("2026-03-29T02:30", &berlin).is_err());
        let windows = zone("W. Europe Standard Time").unwrap();
        assert_eq!(instant("2026-12-10T09:00", &windows).unwrap(), winter);
    }

    #[test]
    fn mailbox_files_plain_and_csv() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("m.txt");
        std::fs::write(&plain, "# team\na@x.com\n\nb@x.com  # coach\n").unwrap();
        let got = targets(&["z@x.com".into()], Some(&plain)).unwrap();
        let names: Vec<_> = got.iter().map(|t| t.mailbox.as_str()).collect();
        assert_eq!(names, ["z@x.com", "a@x.com", "b@x.com"]);

        let csv = dir.path().join("m.csv");
        std::fs::write(&csv, "Name,Email,Key\nAna,a@x.com,k1\nBen,b@x.com,\n").unwrap();
        let got = targets(&[], Some(&csv)).unwrap();
        assert_eq!(got[0].key.as_deref(), Some("k1"));
        assert_eq!(got[1].mailbox, "b@x.com");
        assert_eq!(got[1].key, None);

        std::fs::write(&csv, "Name,Email\nAna,a@x.com\nAgain,A@X.com\n").unwrap();
        let e = targets(&[], Some(&csv)).unwrap_err();
        assert!(e.message.contains("listed twice"), "{}", e.message);
        std::fs::write(&csv, "Name,Phone\nAna,1\n").unwrap();
        assert!(targets(&[], Some(&csv)).is_err());
        assert!(targets(&[], None).is_err());
    }

    #[test]
    fn an_appointment_file_is_read_and_flags_override_it() {
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("a.toml");
        std::fs::write(
            &toml,
            "subject = \"Lesson\"\nstart = \"2026-12-10T09:00\"\ntime-zone = \"Europe/Berlin\"\n\
             attendees = [\"coach@x.com\"]\nshow-as = \"oof\"\n",
        )
        .unwrap();
        let flags = Appointment {
            file: Some(toml),
            subject: Some("Lesson 2".into()),
            ..Default::default()
        };
        let item = flags.item().unwrap();
        assert_eq!(item.subject.as_deref(), Some("Lesson 2"));
        assert!(item.required_attendees.is_some());
        assert_eq!(item.legacy_free_busy_status, Some(t::LegacyFreeBusy::Oof));
        let json = dir.path().join("a.json");
        std::fs::write(
            &json,
            r#"{"subject": "J", "start": "2026-12-10T09:00:00Z", "colour": "red"}"#,
        )
        .unwrap();
        let e = Appointment {
            file: Some(json),
            ..Default::default()
        }
        .item()
        .unwrap_err();
        assert!(
            e.message.contains("colour"),
            "unknown keys are refused: {}",
            e.message
        );
    }

    #[test]
    fn an_appointment_needs_a_subject_and_a_start_before_its_end() {
        let mut a = Appointment {
            subject: Some("Lesson".into()),
            start: Some("2026-12-10T09:00".into()),
            duration: Some("45m".into()),
            time_zone: Some("Europe/Berlin".into()),
            attendees: vec!["coach@x.com".into()],
            ..Default::default()
        };
        let item = a.item().unwrap();
        assert_eq!(item.subject.as_deref(), Some("Lesson"));
        assert!(item.required_attendees.is_some());
        a.end = Some("2026-12-10T08:00".into());
        a.duration = None;
        assert!(a.item().is_err());
        a.subject = None;
        assert!(a.item().unwrap_err().message.contains("--subject"));
    }
}
