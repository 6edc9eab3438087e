//! FindItem restrictions and sort order, on any property path (`props`): every property of the
//! item's type, indexed properties and extended properties.

use ews_types::{m, t};

use super::props::{self, Value};
use crate::store::Stored;

type Code = m::ResponseCode;
type Failure = (Code, String);

fn unsupported(what: &str) -> Failure {
    (
        Code::ErrorUnsupportedPathForQuery,
        format!("ews-testserver cannot restrict on {what}"),
    )
}

/// Whether some value of `path` on `s` compares with the constant as `ok` says.
fn compare(
    s: &Stored,
    path: &t::Path,
    other: &t::FieldURIOrConstant,
    ok: impl Fn(std::cmp::Ordering) -> bool,
) -> Result<bool, Failure> {
    use t::FieldURIOrConstantChoice as O;
    let other_path = match &other.content {
        O::Constant(_) => None,
        O::FieldURI(f) => Some(t::Path::FieldURI(f.clone())),
        O::IndexedFieldURI(i) => Some(t::Path::IndexedFieldURI(i.clone())),
        O::ExtendedFieldURI(e) => Some(t::Path::ExtendedFieldURI(e.clone())),
    };
    if let Some(other_path) = other_path {
        // two properties of the same item
        let theirs = props::values(s, &other_path);
        return Ok(props::values(s, path)
            .iter()
            .any(|a| theirs.iter().any(|b| a.compare(b).is_some_and(&ok))));
    }
    let O::Constant(c) = &other.content else {
        unreachable!("the other cases returned above")
    };
    let mut hit = false;
    for v in props::values(s, path) {
        let expected = v.like(&c.value).ok_or_else(|| {
            (
                Code::ErrorInvalidValueForProperty,
                format!("{:?} is not a valid value for this property", c.value),
            )
        })?;
        hit |= v.compare(&expected).is_some_and(&ok);
    }
    Ok(hit)
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
        E::Exists(x) => !props::values(s, &x.path).is_empty(),
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
            let key = if ignore_case {
                c.constant.value.to_lowercase()
            } else {
                c.constant.value.clone()
            };
            props::values(s, &c.path)
                .iter()
                .filter_map(Value::text)
                .any(|v| {
                    let v = if ignore_case {
                        v.to_lowercase()
                    } else {
                        v.to_owned()
                    };
                    match c.containment_mode {
                        Some(t::ContainmentMode::FullString) => v == key,
                        Some(t::ContainmentMode::Prefixed) => v.starts_with(key.as_str()),
                        _ => v.contains(key.as_str()),
                    }
                })
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
        E::Excludes(x) => {
            // the bits of the mask all clear in the property's integer value
            let mask = parse_mask(&x.bitmask.value).ok_or_else(|| {
                (
                    Code::ErrorInvalidValueForProperty,
                    format!("{:?} is not a bitmask", x.bitmask.value),
                )
            })?;
            props::values(s, &x.path)
                .iter()
                .any(|v| matches!(v, Value::Number(n) if (*n as i64) & mask == 0))
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
    let keys: Vec<(&t::Path, bool)> = order
        .field_order
        .iter()
        .map(|o| (&o.path, o.order == t::SortDirection::Descending))
        .collect();
    let valued: Vec<Vec<Option<Value>>> = items
        .iter()
        .map(|s| {
            keys.iter()
                .map(|(path, _)| props::values(s, path).into_iter().next())
                .collect()
        })
        .collect();
    let mut index: Vec<usize> = (0..items.len()).collect();
    index.sort_by(|&a, &b| {
        for (k, (_, descending)) in keys.iter().enumerate() {
            let o = match (&valued[a][k], &valued[b][k]) {
                (Some(x), Some(y)) => x.compare(y).unwrap_or(std::cmp::Ordering::Equal),
                (None, Some(_)) => std::cmp::Ordering::Less,
                (Some(_), None) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            };
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

/// An `Excludes` bitmask: decimal or `0x` hexadecimal.
fn parse_mask(text: &str) -> Option<i64> {
    let t = text.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => i64::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}
