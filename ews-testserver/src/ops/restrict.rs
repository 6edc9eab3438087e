//! FindItem restrictions on the common fields: subject, received time, start, end, is-read.

use chrono::{DateTime, Utc};
use ews_types::runtime::XmlValue;
use ews_types::{m, t};

use crate::store::{Item, Stored};

type Code = m::ResponseCode;
type Failure = (Code, String);

#[derive(Debug, PartialEq, PartialOrd)]
enum Value {
    Text(String),
    Time(DateTime<Utc>),
    Bool(bool),
}

fn unsupported(what: &str) -> Failure {
    (
        Code::ErrorUnsupportedPathForQuery,
        format!("ews-testserver cannot restrict on {what}"),
    )
}

fn field_uri(p: &t::Path) -> Result<t::UnindexedFieldURI, Failure> {
    match p {
        t::Path::FieldURI(f) => Ok(f.field_uri),
        _ => Err(unsupported("indexed or extended properties")),
    }
}

/// The item's value of `field`, if it has one.
fn value(s: &Stored, field: t::UnindexedFieldURI) -> Result<Option<Value>, Failure> {
    use t::UnindexedFieldURI as F;
    let time = |d: &Option<ews_types::runtime::DateTime>| {
        d.as_ref().and_then(|d| d.to_utc()).map(Value::Time)
    };
    Ok(match (field, &s.item) {
        (F::ItemSubject, Item::Calendar(c)) => c.subject.clone().map(Value::Text),
        (F::ItemSubject, Item::Message(m)) => m.subject.clone().map(Value::Text),
        (F::ItemSubject, Item::MeetingRequest(r)) => r.subject.clone().map(Value::Text),
        (F::ItemSubject, Item::Cancellation(r)) => r.subject.clone().map(Value::Text),
        (F::ItemSubject, Item::Response(r)) => r.subject.clone().map(Value::Text),
        (F::ItemDateTimeReceived, Item::Response(r)) => time(&r.date_time_received),
        (F::ItemDateTimeReceived, Item::Cancellation(r)) => time(&r.date_time_received),
        (F::ItemDateTimeReceived, Item::Message(m)) => time(&m.date_time_received),
        (F::ItemDateTimeReceived, Item::MeetingRequest(r)) => time(&r.date_time_received),
        (F::ItemDateTimeReceived, Item::Calendar(_)) => None,
        (F::CalendarStart, Item::Calendar(c)) => time(&c.start),
        (F::CalendarEnd, Item::Calendar(c)) => time(&c.end),
        (F::CalendarStart | F::CalendarEnd, _) => None,
        (F::MessageIsRead, Item::Message(m)) => m.is_read.map(Value::Bool),
        (F::MessageIsRead, _) => None,
        (other, _) => return Err(unsupported(&other.to_text())),
    })
}

/// The constant, typed like the field it is compared with.
fn constant(field: t::UnindexedFieldURI, text: &str) -> Result<Value, Failure> {
    use t::UnindexedFieldURI as F;
    let bad = || {
        (
            Code::ErrorInvalidValueForProperty,
            format!("{text:?} is not a valid value for {}", field.to_text()),
        )
    };
    Ok(match field {
        F::ItemDateTimeReceived | F::CalendarStart | F::CalendarEnd => Value::Time(
            ews_types::runtime::DateTime::from_text(text)
                .ok()
                .and_then(|d| d.to_utc())
                .ok_or_else(bad)?,
        ),
        F::MessageIsRead => Value::Bool(bool::from_text(text).map_err(|_| bad())?),
        _ => Value::Text(text.to_owned()),
    })
}

fn compare(
    s: &Stored,
    path: &t::Path,
    other: &t::FieldURIOrConstant,
    ok: impl Fn(std::cmp::Ordering) -> bool,
) -> Result<bool, Failure> {
    let f = field_uri(path)?;
    let t::FieldURIOrConstantChoice::Constant(c) = &other.content else {
        return Err(unsupported("comparisons between two properties"));
    };
    let expected = constant(f, &c.value)?;
    Ok(match value(s, f)? {
        Some(v) => v.partial_cmp(&expected).is_some_and(ok),
        None => false,
    })
}

/// Whether item `s` satisfies `e`.
pub(crate) fn matches(e: &t::SearchExpression, s: &Stored) -> Result<bool, Failure> {
    use std::cmp::Ordering::*;
    use t::SearchExpression as E;
    Ok(match e {
        E::IsEqualTo(x) => compare(s, &x.path, &x.field_uri_or_constant, |o| o == Equal)?,
        E::IsNotEqualTo(x) => !compare(s, &x.path, &x.field_uri_or_constant, |o| o == Equal)?,
        E::IsGreaterThan(x) => compare(s, &x.path, &x.field_uri_or_constant, |o| o == Greater)?,
        E::IsGreaterThanOrEqualTo(x) => {
            compare(s, &x.path, &x.field_uri_or_constant, |o| o != Less)?
        }
        E::IsLessThan(x) => compare(s, &x.path, &x.field_uri_or_constant, |o| o == Less)?,
        E::IsLessThanOrEqualTo(x) => {
            compare(s, &x.path, &x.field_uri_or_constant, |o| o != Greater)?
        }
        E::Exists(x) => value(s, field_uri(&x.path)?)?.is_some(),
        E::Contains(c) => {
            let ignore_case = matches!(
                c.containment_comparison,
                Some(
                    t::ContainmentComparison::IgnoreCase
                        | t::ContainmentComparison::IgnoreCaseAndNonSpacingCharacters
                        | t::ContainmentComparison::Loose
                        | t::ContainmentComparison::LooseAndIgnoreCase
                        | t::ContainmentComparison::LooseAndIgnoreCaseAndIgnoreNonSpace
                )
            );
            let Some(Value::Text(v)) = value(s, field_uri(&c.path)?)? else {
                return Ok(false);
            };
            let (v, k) = if ignore_case {
                (v.to_lowercase(), c.constant.value.to_lowercase())
            } else {
                (v, c.constant.value.clone())
            };
            match c.containment_mode {
                Some(t::ContainmentMode::FullString) => v == k,
                Some(t::ContainmentMode::Prefixed) => v.starts_with(&k),
                _ => v.contains(&k),
            }
        }
        E::Not(n) => !matches(&n.search_expression, s)?,
        E::And(a) => {
            for x in &a.search_expression {
                if !matches(x, s)? {
                    return Ok(false);
                }
            }
            true
        }
        E::Or(o) => {
            for x in &o.search_expression {
                if matches(x, s)? {
                    return Ok(true);
                }
            }
            false
        }
        _ => return Err(unsupported("this kind of search expression")),
    })
}
