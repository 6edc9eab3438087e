//! Constraining facets of simple types (`xs:minLength`, `xs:pattern`, `xs:minInclusive`, …),
//! checked by a strict reader ([`ReaderConfig::strict`](super::ReaderConfig::strict)).
//!
//! The generated code keeps simple types as aliases of their value types (`NonEmptyString` is a
//! `String`), so their facets travel as a [`Facets`] value at each place a value of such a type
//! is read. A lenient reader never looks at them.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// The facets of one simple type, merged along its chain of restrictions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facets {
    /// The XSD type name, for messages.
    pub type_name: &'static str,
    /// Fewest characters (`xs:minLength`, `xs:length`).
    pub min_length: Option<usize>,
    /// Most characters (`xs:maxLength`, `xs:length`).
    pub max_length: Option<usize>,
    /// Regular expressions the whole value must match, each one (`xs:pattern`; alternatives of
    /// one restriction step are already joined with `|`).
    pub patterns: &'static [&'static str],
    /// Smallest integer value (`xs:minInclusive`, or `xs:minExclusive` plus one).
    pub min: Option<i64>,
    /// Largest integer value (`xs:maxInclusive`, or `xs:maxExclusive` minus one).
    pub max: Option<i64>,
    /// For an `xs:union`: the value must satisfy at least one of these.
    pub any_of: &'static [Facets],
}

impl Facets {
    /// Facets that accept everything, to build on in `const` context.
    pub const NONE: Facets = Facets {
        type_name: "",
        min_length: None,
        max_length: None,
        patterns: &[],
        min: None,
        max: None,
        any_of: &[],
    };

    /// Checks `text` (the value as written); the error says which facet it breaks.
    pub fn check(&self, text: &str) -> Result<(), String> {
        let len = text.chars().count();
        if let Some(min) = self.min_length
            && len < min
        {
            return Err(self.broken(text, &format!("is shorter than {min} characters")));
        }
        if let Some(max) = self.max_length
            && len > max
        {
            return Err(self.broken(text, &format!("is longer than {max} characters")));
        }
        for p in self.patterns {
            if !matches(p, text) {
                return Err(self.broken(text, &format!("does not match the pattern {p}")));
            }
        }
        if self.min.is_some() || self.max.is_some() {
            let Ok(n) = text.trim().parse::<i64>() else {
                return Err(self.broken(text, "is not an integer"));
            };
            if self.min.is_some_and(|min| n < min) || self.max.is_some_and(|max| n > max) {
                let range = format!(
                    "is outside {}..={}",
                    self.min.map_or(String::new(), |v| v.to_string()),
                    self.max.map_or(String::new(), |v| v.to_string())
                );
                return Err(self.broken(text, &range));
            }
        }
        if !self.any_of.is_empty() && !self.any_of.iter().any(|m| m.check(text).is_ok()) {
            return Err(self.broken(text, "matches none of the union's member types"));
        }
        Ok(())
    }

    fn broken(&self, text: &str, why: &str) -> String {
        let shown = super::ValueError::new(self.type_name, text).value;
        format!("the value {shown:?} of type {} {why}", self.type_name)
    }
}

/// Whether the whole of `text` matches the XSD pattern `pattern` (XSD patterns are anchored).
fn matches(pattern: &'static str, text: &str) -> bool {
    static CACHE: OnceLock<Mutex<HashMap<&'static str, Option<regex_lite::Regex>>>> =
        OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let re = cache
        .entry(pattern)
        .or_insert_with(|| regex_lite::Regex::new(&format!("^(?:{pattern})$")).ok());
    // The codegen compiles every pattern before emitting it, so `None` never happens for
    // generated facets; a hand-written one that does not compile rejects everything.
    re.as_ref().is_some_and(|re| re.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUID: Facets = Facets {
        type_name: "GuidType",
        patterns: &["[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"],
        ..Facets::NONE
    };

    #[test]
    fn lengths_patterns_ranges_and_unions() {
        let non_empty = Facets {
            type_name: "NonEmptyStringType",
            min_length: Some(1),
            ..Facets::NONE
        };
        assert!(non_empty.check("a").is_ok());
        assert!(non_empty.check("").unwrap_err().contains("shorter than 1"));
        assert!(GUID.check("0a1b2c3d-0000-1111-2222-333344445555").is_ok());
        // anchored: a GUID with a tail does not match
        assert!(GUID.check("0a1b2c3d-0000-1111-2222-333344445555x").is_err());
        let minutes = Facets {
            type_name: "SubscriptionTimeoutType",
            min: Some(1),
            max: Some(1440),
            ..Facets::NONE
        };
        assert!(minutes.check(" 30 ").is_ok());
        assert!(minutes.check("0").unwrap_err().contains("outside 1..=1440"));
        assert!(minutes.check("ten").unwrap_err().contains("not an integer"));
        const TAG: Facets = Facets {
            type_name: "PropertyTagType",
            any_of: &[
                Facets {
                    min: Some(0),
                    max: Some(65535),
                    ..Facets::NONE
                },
                Facets {
                    patterns: &["(0x|0X)[0-9A-Fa-f]{1,4}"],
                    ..Facets::NONE
                },
            ],
            ..Facets::NONE
        };
        assert!(TAG.check("0x3001").is_ok() && TAG.check("12289").is_ok());
        assert!(
            TAG.check("0x30011")
                .unwrap_err()
                .contains("none of the union")
        );
        assert!(TAG.check("70000").is_err());
    }
}
