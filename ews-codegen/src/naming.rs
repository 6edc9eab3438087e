//! XSD name → Rust name, in one place.
//!
//! | XSD item | Rust item | rule | example |
//! |---|---|---|---|
//! | named type `FooType` | type `Foo` | drop one trailing `Type` | `CalendarItemType` → `CalendarItem` |
//! | named type, stripped name taken by another named type | type `FooType` | keep the XSD name | `RequestServerVersionType` stays if a type `RequestServerVersion` exists |
//! | anonymous type of global element `Foo` | type `Foo` | the element's name; `FooElement` if taken | `RequestServerVersion` |
//! | global element `GetItem` of type `GetItemType` | type `GetItem` | the element and its type collapse to one Rust type | |
//! | inline `xs:choice` in type `Foo` | enum `FooChoice` (`FooChoice2`, …) | parent name + `Choice` + position | `ArrayOfRealItemsChoice` |
//! | inline sequence group in type `Foo` | struct `FooGroup` (`FooGroup2`, …) | parent name + `Group` + position | |
//! | element or attribute `ItemId` | field `item_id` | snake_case; Rust keywords get a trailing `_` | `Type` → `type_` |
//! | attribute whose name equals an element's | field `id_attr` | `_attr` suffix | |
//! | enumeration value `item:Subject` | variant `ItemSubject` | UpperCamelCase of the alphanumeric runs | `Exchange2007_SP1` → `Exchange2007Sp1` |
//! | enumeration value that is empty or starts with a digit | `Empty`, `V15` | | |
//! | choice alternative / substitution member `CalendarItem` | variant `CalendarItem` | UpperCamelCase of the element name | |
//! | namespace `…/2006/types`, `…/2006/messages` | modules `t`, `m` | one module per namespace, so `t::EmailAddress` and `m::EmailAddress` never collide | |
//!
//! Any remaining collision inside one scope gets a numeric suffix (`Foo2`) in schema order, so the
//! result is deterministic.

use std::collections::HashSet;

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Rust keywords (strict and reserved) that cannot be plain identifiers.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// The Rust type name for a named XSD type, before collision handling.
pub fn type_name(xsd: &str) -> String {
    let base = match xsd.strip_suffix("Type") {
        Some(stem) if !stem.is_empty() => stem,
        _ => xsd,
    };
    upper_camel(base)
}

/// UpperCamelCase that keeps existing capitals (`ItemId` stays, `item:Subject` → `ItemSubject`).
pub fn upper_camel(s: &str) -> String {
    let mut out = String::new();
    for part in s
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
    {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() {
        return "Empty".to_owned();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    escape_keyword(out)
}

/// A Rust variant name for an enumeration value.
pub fn enum_variant(value: &str) -> String {
    let camel: String = value
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            // `SP1` → `Sp1`, `HTML` stays `Html`-like only when fully upper: keep simple and stable.
            if p.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && p.len() > 1
            {
                p.to_upper_camel_case()
            } else {
                let mut c = p.chars();
                let first = c.next().map(|f| f.to_ascii_uppercase()).unwrap_or_default();
                std::iter::once(first).chain(c).collect()
            }
        })
        .collect();
    upper_camel(&camel)
}

/// A Rust field name for an element or attribute.
pub fn field_name(xml: &str) -> String {
    let mut s = xml
        .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        .to_snake_case();
    if s.is_empty() {
        s = "value".into();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'f');
    }
    escape_keyword(s)
}

fn escape_keyword(s: String) -> String {
    if KEYWORDS.contains(&s.as_str()) {
        format!("{s}_")
    } else {
        s
    }
}

/// Hands out unique names within one scope (a module, a struct's fields, an enum's variants).
#[derive(Debug, Default)]
pub struct Scope {
    taken: HashSet<String>,
}

impl Scope {
    /// Marks `name` as taken without checking.
    pub fn reserve(&mut self, name: &str) {
        self.taken.insert(name.to_owned());
    }

    /// Whether `name` is taken.
    pub fn contains(&self, name: &str) -> bool {
        self.taken.contains(name)
    }

    /// Returns `name`, or `name2`, `name3`, … if taken, and marks the result as taken.
    pub fn unique(&mut self, name: &str) -> String {
        let mut candidate = name.to_owned();
        let mut n = 2;
        while self.taken.contains(&candidate) {
            candidate = format!("{name}{n}");
            n += 1;
        }
        self.taken.insert(candidate.clone());
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_follow_the_table() {
        assert_eq!(type_name("CalendarItemType"), "CalendarItem");
        assert_eq!(type_name("GetItemType"), "GetItem");
        assert_eq!(type_name("Type"), "Type");
        assert_eq!(type_name("BodyTypeType"), "BodyType");
        assert_eq!(
            type_name("NonEmptyArrayOfAttachmentsType"),
            "NonEmptyArrayOfAttachments"
        );
        assert_eq!(type_name("ExchangeVersionType"), "ExchangeVersion");
        assert_eq!(type_name("lowerType"), "Lower");
    }

    #[test]
    fn enum_variants_are_camel_case_and_valid() {
        assert_eq!(enum_variant("item:Subject"), "ItemSubject");
        assert_eq!(enum_variant("Exchange2007_SP1"), "Exchange2007Sp1");
        assert_eq!(enum_variant("HTML"), "Html");
        assert_eq!(enum_variant("NoError"), "NoError");
        assert_eq!(enum_variant(""), "Empty");
        assert_eq!(enum_variant("15"), "V15");
        assert_eq!(
            enum_variant("calendar:IsAllDayEvent"),
            "CalendarIsAllDayEvent"
        );
        assert_eq!(enum_variant("Self"), "Self_");
    }

    #[test]
    fn field_names_are_snake_case_and_escape_keywords() {
        assert_eq!(field_name("ItemId"), "item_id");
        assert_eq!(field_name("UID"), "uid");
        assert_eq!(field_name("Type"), "type_");
        assert_eq!(field_name("Move"), "move_");
        assert_eq!(field_name("lang"), "lang");
        assert_eq!(field_name("ChangeKey"), "change_key");
    }

    #[test]
    fn scopes_number_collisions_in_order() {
        let mut s = Scope::default();
        assert_eq!(s.unique("Foo"), "Foo");
        assert_eq!(s.unique("Foo"), "Foo2");
        assert_eq!(s.unique("Foo"), "Foo3");
        assert!(s.contains("Foo2"));
    }
}
