//! FindItem restrictions and sort order on the common fields: subject, received time, start, end,
//! is-read.

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

/// Sorts `items` by `SortOrder` (several `FieldOrder`s, the first deciding first); an item
/// without the property sorts before those with it, ascending. Stable, so equal items keep
/// their order.
pub(super) fn sort(
    items: &mut [&Stored],
    order: &t::NonEmptyArrayOfFieldOrders,
) -> Result<(), Failure> {
    let mut keys: Vec<(t::UnindexedFieldURI, bool)> = Vec::new();
    for o in &order.field_order {
        let field =
            field_uri(&o.path).map_err(|_| sort_unsupported("indexed or extended properties"))?;
        keys.push((field, o.order == t::SortDirection::Descending));
    }
    let mut valued = Vec::with_capacity(items.len());
    for s in items.iter() {
        let mut row = Vec::with_capacity(keys.len());
        for (field, _) in &keys {
            row.push(value(s, *field).map_err(|_| sort_unsupported(&field.to_text()))?);
        }
        valued.push(row);
    }
    let mut index: Vec<usize> = (0..items.len()).collect();
    index.sort_by(|&a, &b| {
        for (k, (_, descending)) in keys.iter().enumerate() {
            let o = valued[a][k]
                .partial_cmp(&valued[b][k])
                .unwrap_or(std::cmp::Ordering::Equal);
            let o = if *descending { o.reverse() } else { o };
            if o.is_ne() {
                return o;
            }
        }
        std::cmp::Ordering::Equal
    });
    let sorted: Vec<&Stored> = index.into_iter().map(|i| items[i]).collect();
    items.copy_from_slice(&sorted);
    Ok(())
}

fn sort_unsupported(what: &str) -> Failure {
    (
        Code::ErrorUnsupportedPathForSortGroup,
        format!("ews-testserver cannot sort on {what}"),
    )
}
