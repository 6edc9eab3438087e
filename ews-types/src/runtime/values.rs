//! Value types for XSD built-ins, and their text forms.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use chrono::{FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _};

use super::error::ValueError;
use super::traits::XmlValue;

/// `text` without the whitespace XML collapses around a value (space, tab, CR, LF; XSD's
/// `whiteSpace="collapse"`), byte by byte: other Unicode spaces are part of the value.
fn xml_trim(text: &str) -> &str {
    let ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let b = text.as_bytes();
    let start = b.iter().position(|c| !ws(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !ws(c)).map_or(start, |e| e + 1);
    &text[start..end]
}

impl XmlValue for String {
    fn from_text(text: &str) -> Result<Self, ValueError> {
        Ok(text.to_owned())
    }
    fn from_cow(text: Cow<'_, str>) -> Result<Self, ValueError> {
        Ok(match text {
            Cow::Borrowed(t) => t.to_owned(),
            Cow::Owned(mut t) => {
                // text read in pieces grew by doubling
                t.shrink_to_fit();
                t
            }
        })
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl XmlValue for compact_str::CompactString {
    fn from_text(text: &str) -> Result<Self, ValueError> {
        Ok(compact_str::CompactString::new(text))
    }
    fn from_cow(text: Cow<'_, str>) -> Result<Self, ValueError> {
        Ok(match text {
            Cow::Borrowed(t) => compact_str::CompactString::new(t),
            Cow::Owned(mut t) => {
                t.shrink_to_fit();
                compact_str::CompactString::from(t)
            }
        })
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.as_str())
    }
}

impl XmlValue for bool {
    fn from_text(text: &str) -> Result<Self, ValueError> {
        match xml_trim(text) {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(ValueError::new("xs:boolean", text)),
        }
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(if *self { "true" } else { "false" })
    }
}

macro_rules! numbers {
    ($($t:ty => $kind:literal),*) => {$(
        impl XmlValue for $t {
            fn from_text(text: &str) -> Result<Self, ValueError> {
                let t = xml_trim(text);
                let t = t.strip_prefix('+').unwrap_or(t);
                t.parse().map_err(|_| ValueError::new($kind, text))
            }
            fn to_text(&self) -> Cow<'_, str> {
                Cow::Owned(self.to_string())
            }
        }
    )*};
}
numbers!(i8 => "xs:byte", i16 => "xs:short", i32 => "xs:int", i64 => "xs:long",
         u8 => "xs:unsignedByte", u16 => "xs:unsignedShort", u32 => "xs:unsignedInt",
         u64 => "xs:unsignedLong");

macro_rules! floats {
    ($($t:ty => $kind:literal),*) => {$(
        impl XmlValue for $t {
            fn from_text(text: &str) -> Result<Self, ValueError> {
                match xml_trim(text) {
                    "INF" => Ok(<$t>::INFINITY),
                    "-INF" => Ok(<$t>::NEG_INFINITY),
                    "NaN" => Ok(<$t>::NAN),
                    t => t.parse().map_err(|_| ValueError::new($kind, text)),
                }
            }
            fn to_text(&self) -> Cow<'_, str> {
                Cow::Owned(if self.is_infinite() {
                    if *self > 0.0 { "INF".into() } else { "-INF".into() }
                } else if self.is_nan() {
                    "NaN".into()
                } else {
                    self.to_string()
                })
            }
        }
    )*};
}
floats!(f32 => "xs:float", f64 => "xs:double");

/// `xs:decimal`, kept exactly as written (no binary rounding).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Decimal(String);

impl Decimal {
    /// The decimal's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as `f64` (may round).
    pub fn to_f64(&self) -> f64 {
        self.0.parse().unwrap_or(f64::NAN)
    }
}

impl XmlValue for Decimal {
    fn from_text(text: &str) -> Result<Self, ValueError> {
        let t = xml_trim(text);
        let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let ok = !(int.is_empty() && frac.is_empty())
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit());
        if ok {
            Ok(Decimal(t.to_owned()))
        } else {
            Err(ValueError::new("xs:decimal", text))
        }
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.0)
    }
}

fn parse_offset(s: &str) -> Option<Option<FixedOffset>> {
    if s.is_empty() {
        return Some(None);
    }
    if s == "Z" {
        return Some(Some(FixedOffset::east_opt(0)?));
    }
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = s[1..].split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let secs = h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60;
    Some(Some(FixedOffset::east_opt(sign * secs)?))
}

/// Splits a trailing time-zone designator (`Z`, `+hh:mm`, `-hh:mm`) off `s`.
fn split_offset(s: &str, min_len: usize) -> (&str, &str) {
    if let Some(body) = s.strip_suffix('Z') {
        return (body, "Z");
    }
    if s.len() > min_len + 5 {
        let at = s.len() - 6;
        if matches!(s.as_bytes()[at], b'+' | b'-') && s.as_bytes()[at + 3] == b':' {
            return (&s[..at], &s[at..]);
        }
    }
    (s, "")
}

fn write_offset(out: &mut String, offset: Option<FixedOffset>) {
    if let Some(o) = offset {
        let secs = o.local_minus_utc();
        if secs == 0 {
            out.push('Z');
        } else {
            let sign = if secs < 0 { '-' } else { '+' };
            let secs = secs.abs();
            out.push_str(&format!("{sign}{:02}:{:02}", secs / 3600, secs % 3600 / 60));
        }
    }
}

/// `xs:dateTime`: a local date and time with an optional UTC offset.
///
/// EWS sends both forms: `2024-05-01T09:00:00Z` and, inside a time-zone context, times without
/// an offset. Equality compares the written fields; [`DateTime::to_utc`] compares instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DateTime {
    /// Date and time as written.
    pub local: NaiveDateTime,
    /// The UTC offset, when given.
    pub offset: Option<FixedOffset>,
}

impl DateTime {
    /// The instant, when the value has an offset.
    pub fn to_utc(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let off = self.offset?;
        off.from_local_datetime(&self.local)
            .single()
            .map(|d| d.to_utc())
    }
}

impl<Tz: chrono::TimeZone> From<chrono::DateTime<Tz>> for DateTime {
    fn from(d: chrono::DateTime<Tz>) -> Self {
        let fixed = d.fixed_offset();
        DateTime {
            local: fixed.naive_local(),
            offset: Some(*fixed.offset()),
        }
    }
}

impl XmlValue for DateTime {
    fn from_text(text: &str) -> Result<Self, ValueError> {
        let err = || ValueError::new("xs:dateTime", text);
        let t = xml_trim(text);
        let (body, off) = split_offset(t, 19);
        let offset = parse_offset(off).ok_or_else(err)?;
        let local = match fast_date_time(body) {
            Some(local) => local,
            None => {
                NaiveDateTime::parse_from_str(body, "%Y-%m-%dT%H:%M:%S%.f").map_err(|_| err())?
            }
        };
        Ok(DateTime { local, offset })
    }
    fn to_text(&self) -> Cow<'_, str> {
        let mut s = self.local.format("%Y-%m-%dT%H:%M:%S%.f").to_string();
        write_offset(&mut s, self.offset);
        Cow::Owned(s)
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]`, the form servers send, without chrono's format parser.
/// Anything else (or an invalid date) returns `None` and takes the general path.
fn fast_date_time(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', frac @ ..] if !frac.is_empty() && frac.iter().all(u8::is_ascii_digit) => {
            let mut n = 0u32;
            for i in 0..9 {
                n = n * 10 + frac.get(i).map_or(0, |c| u32::from(c - b'0'));
            }
            n
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let time = NaiveTime::from_hms_nano_opt(num(11..13)?, num(14..16)?, num(17..19)?, nanos)?;
    Some(NaiveDateTime::new(date, time))
}

/// `xs:date`, with an optional offset (`2024-05-01`, `2024-05-01Z`, `2024-05-01-07:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Date {
    /// The date.
    pub date: NaiveDate,
    /// The offset, when given.
    pub offset: Option<FixedOffset>,
}

impl From<NaiveDate> for Date {
    /// A date without an offset, as recurrence ranges write them.
    fn from(date: NaiveDate) -> Self {
        Date { date, offset: None }
    }
}

impl XmlValue for Date {
    fn from_text(text: &str) -> Result<Self, ValueError> {
        let err = || ValueError::new("xs:date", text);
        let (body, off) = split_offset(xml_trim(text), 10);
        let offset = parse_offset(off).ok_or_else(err)?;
        let date = NaiveDate::parse_from_str(body, "%Y-%m-%d").map_err(|_| err())?;
        Ok(Date { date, offset })
    }
    fn to_text(&self) -> Cow<'_, str> {
        let mut s = self.date.format("%Y-%m-%d").to_string();
        write_offset(&mut s, self.offset);
        Cow::Owned(s)
    }
}

/// `xs:time`, with an optional offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Time {
    /// The time of day.
    pub time: NaiveTime,
    /// The offset, when given.
    pub offset: Option<FixedOffset>,
}

impl XmlValue for Time {
    fn from_text(text: &str) -> Result<Self, ValueError> {
        let err = || ValueError::new("xs:time", text);
        let (body, off) = split_offset(xml_trim(text), 8);
        let offset = parse_offset(off).ok_or_else(err)?;
        let time = NaiveTime::parse_from_str(body, "%H:%M:%S%.f").map_err(|_| err())?;
        Ok(Time { time, offset })
    }
    fn to_text(&self) -> Cow<'_, str> {
        let mut s = self.time.format("%H:%M:%S%.f").to_string();
        write_offset(&mut s, self.offset);
        Cow::Owned(s)
    }
}

/// `xs:duration` (`-P1Y2M3DT4H5M6.5S`). Years and months have no fixed length, so they are kept
/// apart; [`Duration::to_std`] converts durations made of days and smaller units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Duration {
    /// Whether the duration is negative.
    pub negative: bool,
    /// Years.
    pub years: u32,
    /// Months.
    pub months: u32,
    /// Days.
    pub days: u32,
    /// Hours.
    pub hours: u32,
    /// Minutes.
    pub minutes: u32,
    /// Whole seconds.
    pub seconds: u32,
    /// Nanoseconds.
    pub nanos: u32,
}

impl Duration {
    /// The length as a `std::time::Duration`, if it has no years or months and is not negative.
    pub fn to_std(&self) -> Option<std::time::Duration> {
        if self.negative || self.years != 0 || self.months != 0 {
            return None;
        }
        let secs = u64::from(self.days) * 86_400
            + u64::from(self.hours) * 3600
            + u64::from(self.minutes) * 60
            + u64::from(self.seconds);
        Some(std::time::Duration::new(secs, self.nanos))
    }

    /// A duration of whole minutes (negative for negative `minutes`), as EWS time-zone biases use.
    pub fn from_minutes(minutes: i64) -> Self {
        let m = minutes.unsigned_abs();
        Duration {
            negative: minutes < 0,
            hours: (m / 60) as u32,
            minutes: (m % 60) as u32,
            ..Self::default()
        }
    }
}

impl XmlValue for Duration {
    fn from_text(text: &str) -> Result<Self, ValueError> {
        let err = || ValueError::new("xs:duration", text);
        let t = xml_trim(text);
        let (negative, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let t = t.strip_prefix('P').ok_or_else(err)?;
        let (date, time) = match t.split_once('T') {
            Some((d, tm)) if !tm.is_empty() => (d, Some(tm)),
            Some(_) => return Err(err()),
            None => (t, None),
        };
        let mut d = Duration {
            negative,
            ..Duration::default()
        };
        let mut any = false;
        let mut rest = date;
        while !rest.is_empty() {
            let end = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(err)?;
            let n: u32 = rest[..end].parse().map_err(|_| err())?;
            match rest.as_bytes()[end] {
                b'Y' => d.years = n,
                b'M' => d.months = n,
                b'D' => d.days = n,
                _ => return Err(err()),
            }
            any = true;
            rest = &rest[end + 1..];
        }
        let mut rest = time.unwrap_or("");
        while !rest.is_empty() {
            let end = rest
                .find(|c: char| !c.is_ascii_digit() && c != '.')
                .ok_or_else(err)?;
            let num = &rest[..end];
            match rest.as_bytes()[end] {
                b'H' => d.hours = num.parse().map_err(|_| err())?,
                b'M' => d.minutes = num.parse().map_err(|_| err())?,
                b'S' => {
                    let (s, frac) = num.split_once('.').unwrap_or((num, ""));
                    d.seconds = s.parse().map_err(|_| err())?;
                    if !frac.is_empty() {
                        let mut digits: String = frac.chars().take(9).collect();
                        while digits.len() < 9 {
                            digits.push('0');
                        }
                        d.nanos = digits.parse().map_err(|_| err())?;
                    }
                }
                _ => return Err(err()),
            }
            any = true;
            rest = &rest[end + 1..];
        }
        if any { Ok(d) } else { Err(err()) }
    }

    fn to_text(&self) -> Cow<'_, str> {
        use fmt::Write as _;
        let mut s = String::new();
        if self.negative {
            s.push('-');
        }
        s.push('P');
        for (n, u) in [(self.years, 'Y'), (self.months, 'M'), (self.days, 'D')] {
            if n != 0 {
                let _ = write!(s, "{n}{u}");
            }
        }
        if self.hours != 0 || self.minutes != 0 || self.seconds != 0 || self.nanos != 0 {
            s.push('T');
            for (n, u) in [(self.hours, 'H'), (self.minutes, 'M')] {
                if n != 0 {
                    let _ = write!(s, "{n}{u}");
                }
            }
            if self.seconds != 0 || self.nanos != 0 {
                let _ = write!(s, "{}", self.seconds);
                if self.nanos != 0 {
                    let frac = format!("{:09}", self.nanos);
                    let _ = write!(s, ".{}", frac.trim_end_matches('0'));
                }
                s.push('S');
            }
        }
        if s.ends_with('P') {
            s.push_str("T0S");
        }
        Cow::Owned(s)
    }
}

/// `xs:base64Binary`, decoded.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Base64Binary(pub Vec<u8>);

impl fmt::Debug for Base64Binary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Base64Binary({} bytes)", self.0.len())
    }
}

impl XmlValue for Base64Binary {
    fn from_text(text: &str) -> Result<Self, ValueError> {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map(Base64Binary)
            .map_err(|_| ValueError::new("xs:base64Binary", text))
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Owned(base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

/// `xs:hexBinary`, decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct HexBinary(pub Vec<u8>);

impl XmlValue for HexBinary {
    fn from_text(text: &str) -> Result<Self, ValueError> {
        let t = xml_trim(text);
        if !t.len().is_multiple_of(2) {
            return Err(ValueError::new("xs:hexBinary", text));
        }
        (0..t.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&t[i..i + 2], 16))
            .collect::<Result<Vec<_>, _>>()
            .map(HexBinary)
            .map_err(|_| ValueError::new("xs:hexBinary", text))
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Owned(self.0.iter().map(|b| format!("{b:02X}")).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt<T: XmlValue + PartialEq + fmt::Debug>(s: &str) -> T {
        let v = T::from_text(s).unwrap();
        assert_eq!(T::from_text(&v.to_text()).unwrap(), v, "{s}");
        v
    }

    #[test]
    fn date_times_keep_offsets_and_fractions() {
        let a: DateTime = rt("2006-10-25T14:00:00Z");
        let b: DateTime = rt("2006-10-25T16:00:00+02:00");
        assert_eq!(a.to_utc(), b.to_utc());
        assert!(DateTime::from_text("2006-02-30T14:00:00Z").is_err());
        assert!(DateTime::from_text("2006-10-25T24:00:01Z").is_err());
        assert!(DateTime::from_text("2006-10-25T14:00:00.").is_err());
        let c: DateTime = rt("2006-10-25T14:00:00.1234567");
        assert_eq!(c.offset, None);
        assert_eq!(c.to_text(), "2006-10-25T14:00:00.123456700");
        assert!(DateTime::from_text("2006-10-25").is_err());
        let d: Date = rt("2006-10-25-07:00");
        assert_eq!(d.offset.unwrap().local_minus_utc(), -7 * 3600);
        let _: Time = rt("09:30:00");
    }

    #[test]
    fn durations_parse_every_part() {
        let d: Duration = rt("-P1Y2M3DT4H5M6.5S");
        assert!(d.negative);
        assert_eq!(
            (d.years, d.months, d.days, d.hours, d.minutes, d.seconds),
            (1, 2, 3, 4, 5, 6)
        );
        assert_eq!(d.nanos, 500_000_000);
        let bias: Duration = rt("PT480M");
        assert_eq!(
            bias.to_std(),
            Some(std::time::Duration::from_secs(480 * 60))
        );
        assert_eq!(Duration::from_minutes(-90).to_text(), "-PT1H30M");
        assert!(Duration::from_text("P").is_err());
        assert!(Duration::from_text("PT").is_err());
        assert!(Duration::from_text("1D").is_err());
    }

    #[test]
    fn scalars() {
        assert!(bool::from_text("1").unwrap());
        assert!(!bool::from_text("false").unwrap());
        assert!(bool::from_text("yes").is_err());
        assert_eq!(i32::from_text(" 42 ").unwrap(), 42);
        assert!(u8::from_text("256").is_err());
        assert_eq!(Base64Binary::from_text("aGVs\nbG8=").unwrap().0, b"hello");
        assert!(Decimal::from_text("1.5e3").is_err());
        assert_eq!(HexBinary::from_text("0aFF").unwrap().0, vec![10, 255]);
    }
}
