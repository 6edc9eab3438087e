//! Property paths: the one table shapes, restrictions, sorting and UpdateItem share.
//!
//! A path names a property of an item the same way wherever it appears:
//! - `FieldURI`: the child element of the item with the path's local name (`calendar:Start` →
//!   `Start`, `item:Categories` → `Categories`), the rule EWS's item field URIs follow;
//! - `IndexedFieldURI`: that element's `Entry` with `Key` = `FieldIndex`;
//! - `ExtendedFieldURI`: the item's `ExtendedProperty` with the same property set and name, id
//!   or tag (Exchange's identity of a MAPI property; the type must agree too).
//!
//! Values are read from the item as the server would write it, so every property of every item
//! type is reachable, and compared as the schema types them: booleans, instants, numbers, else
//! text.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use ews_types::runtime::{
    AnyElement, AnyNode, FromXml, ToXml, XmlNs, XmlReader, XmlValue, XmlWriter,
};
use ews_types::t;

use super::shape::present;
use crate::store::Stored;

/// A property value, typed by its text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// `true`/`false`.
    Bool(bool),
    /// An `xs:dateTime` with an offset.
    Time(DateTime<Utc>),
    /// An integer or decimal.
    Number(f64),
    /// Anything else.
    Text(String),
}

impl Value {
    /// The value a text stands for.
    pub(crate) fn of(text: &str) -> Value {
        let t = text.trim();
        if let Ok(b) = bool::from_text(t)
            && (t == "true" || t == "false")
        {
            return Value::Bool(b);
        }
        if t.len() >= 19
            && let Some(at) = ews_types::runtime::DateTime::from_text(t)
                .ok()
                .and_then(|d| d.to_utc())
        {
            return Value::Time(at);
        }
        if let Ok(n) = t.parse::<f64>()
            && !t.is_empty()
            && t.chars().all(|c| c.is_ascii_digit() || "+-.".contains(c))
        {
            return Value::Number(n);
        }
        Value::Text(text.to_owned())
    }

    /// `constant` read as the same kind of value as `self`, when it can be.
    pub(crate) fn like(&self, constant: &str) -> Option<Value> {
        let v = Value::of(constant);
        let same = matches!(
            (self, &v),
            (Value::Bool(_), Value::Bool(_))
                | (Value::Time(_), Value::Time(_))
                | (Value::Number(_), Value::Number(_))
                | (Value::Text(_), _)
        );
        match (self, v) {
            (Value::Text(_), _) => Some(Value::Text(constant.to_owned())),
            (_, v) if same => Some(v),
            _ => None,
        }
    }

    /// The order of two values of one kind (text compares case-insensitively, as Exchange's
    /// default collation does); values of different kinds do not compare.
    pub(crate) fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            (Value::Time(a), Value::Time(b)) => Some(a.cmp(b)),
            (Value::Number(a), Value::Number(b)) => a.partial_cmp(b),
            (Value::Text(a), Value::Text(b)) => Some(a.to_lowercase().cmp(&b.to_lowercase())),
            _ => None,
        }
    }

    /// The text, for containment.
    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// Whether two extended field paths name the same MAPI property.
pub(crate) fn same_extended(a: &t::PathToExtendedField, b: &t::PathToExtendedField) -> bool {
    let set = |p: &t::PathToExtendedField| {
        (
            p.distinguished_property_set_id,
            p.property_set_id
                .as_ref()
                .map(|g| g.to_text().to_ascii_lowercase()),
        )
    };
    let tag = |p: &t::PathToExtendedField| {
        p.property_tag.as_ref().and_then(|tag| {
            let s = tag.to_text();
            match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => s.parse::<u32>().ok(),
            }
        })
    };
    set(a) == set(b)
        && tag(a) == tag(b)
        && a.property_name == b.property_name
        && a.property_id == b.property_id
        && a.property_type == b.property_type
}

/// The element local name a `FieldURI` names.
pub(crate) fn local_name(uri: t::UnindexedFieldURI) -> String {
    let text = uri.to_text();
    text.rsplit(':').next().unwrap_or(&text).to_owned()
}

/// The values `path` has on item `s` (none when the item does not have the property; several
/// for a list such as `Categories`).
pub(crate) fn values(s: &Stored, path: &t::Path) -> Vec<Value> {
    if let t::Path::ExtendedFieldURI(p) = path {
        return s
            .item
            .base()
            .extended_property()
            .iter()
            .filter(|e| same_extended(&e.extended_field_uri, p))
            .flat_map(|e| match &e.content {
                t::ExtendedPropertyChoice::Value(v) => vec![Value::of(v)],
                t::ExtendedPropertyChoice::Values(vs) => {
                    let t::NonEmptyArrayOfPropertyValuesChoice::Value(list) = &vs.content;
                    list.iter().map(|v| Value::of(v)).collect()
                }
            })
            .collect();
    }
    let Some(tree) = tree(s) else {
        return Vec::new();
    };
    let found = match path {
        t::Path::FieldURI(f) => tree.child(&local_name(f.field_uri)).cloned(),
        t::Path::IndexedFieldURI(i) => {
            let text = i.field_uri.to_text();
            let local = text.rsplit(':').next().unwrap_or(&text);
            tree.child(local).and_then(|list| {
                list.elements()
                    .find(|e| e.attribute("Key") == Some(i.field_index.as_str()))
                    .cloned()
            })
        }
        t::Path::ExtendedFieldURI(_) => None,
    };
    let mut out = Vec::new();
    if let Some(e) = found {
        leaves(&e, &mut out);
    }
    out
}

/// The texts of an element's leaves (itself when it holds text).
fn leaves(e: &AnyElement, out: &mut Vec<Value>) {
    if e.elements().next().is_none() {
        out.push(Value::of(&e.text()));
        return;
    }
    for c in e.elements() {
        leaves(c, out);
    }
}

/// The item as the server writes it in full, as a tree (its element, such as `CalendarItem`).
fn tree(s: &Stored) -> Option<AnyElement> {
    let wrapper = t::ArrayOfRealItems {
        content: vec![present(s, false)],
    };
    let mut w = XmlWriter::new();
    wrapper.to_xml(&mut w, XmlNs::Types, "Items").ok()?;
    let xml = w.into_string();
    let mut r = XmlReader::new(&xml);
    let root = r.root().ok()?;
    let items = AnyElement::from_xml(&mut r, root).ok()?;
    items.children.into_iter().find_map(|n| match n {
        AnyNode::Element(e) => Some(e),
        AnyNode::Text(_) => None,
    })
}

/// Sets (`source` with the property) or deletes (`None`) the extended property `path` of the
/// stored item; `None` when `source` does not carry it.
pub(crate) fn set_extended(
    item: &mut crate::store::Item,
    path: &t::PathToExtendedField,
    source: Option<&t::SetItemFieldChoice>,
) -> Option<()> {
    let new = match source {
        None => None,
        Some(c) => Some(
            c.as_item()
                .extended_property()
                .iter()
                .find(|e| same_extended(&e.extended_field_uri, path))?
                .clone(),
        ),
    };
    let list = item.base_mut().extended_property_mut();
    list.retain(|e| !same_extended(&e.extended_field_uri, path));
    list.extend(new);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_typed_by_their_text() {
        assert_eq!(Value::of("true"), Value::Bool(true));
        assert!(matches!(Value::of("2026-10-05T07:00:00Z"), Value::Time(_)));
        assert_eq!(Value::of("42"), Value::Number(42.0));
        assert_eq!(Value::of("Standup"), Value::Text("Standup".into()));
        // a constant is read as the kind of value the property has
        assert_eq!(Value::of("1").like("2"), Some(Value::Number(2.0)));
        assert_eq!(Value::of("true").like("soon"), None);
        assert_eq!(Value::of("abc").like("42"), Some(Value::Text("42".into())));
        assert_eq!(
            Value::of("ABC").compare(&Value::of("abc")),
            Some(Ordering::Equal)
        );
    }
}
