//! Constraining facets of simple types → [`Facets`], patterns translated to Rust regex syntax.

use std::ops::Bound;

use xsd_parser::TypeIdent;
use xsd_parser::models::meta::{Constrains, MetaTypeVariant};

use super::{Ctx, Where};
use crate::model::Facets;

impl Ctx<'_> {
    /// The facets of the simple type `ident`, merged along its restrictions. A built-in base
    /// adds its integer range only as a union member (elsewhere parsing checks the range).
    pub(super) fn facets(&mut self, ident: &TypeIdent, member: bool) -> Option<Facets> {
        if self.where_(&ident.ns) == Where::Xs {
            return member.then(|| builtin_range(ident.name.as_str()));
        }
        let meta = self.meta;
        match &meta.items.get(ident)?.variant {
            MetaTypeVariant::SimpleType(s) if !s.is_list => {
                let own = self.constrains(ident, &s.constrains);
                let base = self.facets(&s.base, member).unwrap_or_default();
                Some(own.and(&base))
            }
            MetaTypeVariant::Union(u) => {
                let mut any_of = Vec::new();
                for m in &u.types.0 {
                    any_of.push(self.facets(&m.type_, true).unwrap_or_default());
                }
                // a member that accepts everything makes the union accept everything
                if any_of.iter().any(Facets::is_empty) {
                    any_of.clear();
                }
                let own = self.constrains(ident, &u.constrains);
                Some(Facets { any_of, ..own })
            }
            MetaTypeVariant::Reference(r)
                if r.max_occurs == xsd_parser::models::schema::MaxOccurs::Bounded(1) =>
            {
                self.facets(&r.type_.clone(), member)
            }
            _ => None,
        }
    }

    fn constrains(&mut self, ident: &TypeIdent, c: &Constrains) -> Facets {
        let int = |b: &Bound<String>, step: i64| match b {
            Bound::Included(v) => v.trim().parse::<i64>().ok(),
            Bound::Excluded(v) => v.trim().parse::<i64>().ok().map(|n| n + step),
            Bound::Unbounded => None,
        };
        let (min, max) = (int(&c.range.start, 1), int(&c.range.end, -1));
        let non_integer =
            |b: &Bound<String>, n: Option<i64>| !matches!(b, Bound::Unbounded) && n.is_none();
        if non_integer(&c.range.start, min) || non_integer(&c.range.end, max) {
            self.problems.push(format!(
                "{ident}: only integer ranges are supported ({:?})",
                c.range
            ));
        }
        let mut patterns = Vec::new();
        if !c.patterns.is_empty() {
            let alternatives: Result<Vec<String>, String> =
                c.patterns.iter().map(|p| translate(p)).collect();
            match alternatives {
                Ok(a) if a.len() == 1 => patterns.push(a[0].clone()),
                Ok(a) => patterns.push(
                    a.iter()
                        .map(|p| format!("(?:{p})"))
                        .collect::<Vec<_>>()
                        .join("|"),
                ),
                Err(e) => self.problems.push(format!("{ident}: pattern {e}")),
            }
        }
        Facets {
            min_length: c.min_length,
            max_length: c.max_length,
            patterns,
            min,
            max,
            any_of: Vec::new(),
        }
    }
}

/// The value range of a built-in integer type; other built-ins accept any text here.
fn builtin_range(name: &str) -> Facets {
    let (min, max) = match name {
        "byte" => (i8::MIN as i64, i8::MAX as i64),
        "short" => (i16::MIN as i64, i16::MAX as i64),
        "int" => (i32::MIN as i64, i32::MAX as i64),
        "long" | "integer" => (i64::MIN, i64::MAX),
        "unsignedByte" => (0, u8::MAX as i64),
        "unsignedShort" => (0, u16::MAX as i64),
        "unsignedInt" => (0, u32::MAX as i64),
        "nonNegativeInteger" | "unsignedLong" => (0, i64::MAX),
        "positiveInteger" => (1, i64::MAX),
        _ => return Facets::default(),
    };
    Facets {
        min: Some(min),
        max: Some(max),
        ..Facets::default()
    }
}

/// An XSD regular expression in the syntax of the `regex-lite` crate the runtime uses: `^` and
/// `$` are ordinary characters in XSD, `\i` and `\c` are XML name classes. Character-class
/// subtraction (`[a-z-[aeiou]]`) and Unicode block escapes are refused.
pub(crate) fn translate(xsd: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = xsd.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('i') => out.push_str(if in_class { "_:A-Za-z" } else { "[_:A-Za-z]" }),
                Some('c') => out.push_str(if in_class {
                    "\\-._:A-Za-z0-9"
                } else {
                    "[\\-._:A-Za-z0-9]"
                }),
                Some(e @ ('I' | 'C')) => return Err(format!("{xsd:?}: \\{e} is not supported")),
                Some('p' | 'P') if chars.peek() == Some(&'{') => {
                    return Err(format!(
                        "{xsd:?}: Unicode property escapes are not supported"
                    ));
                }
                Some(e) => {
                    out.push('\\');
                    out.push(e);
                }
                None => return Err(format!("{xsd:?}: ends with a backslash")),
            },
            '[' if in_class => {
                return Err(format!(
                    "{xsd:?}: character-class subtraction is not supported"
                ));
            }
            '[' => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().expect("peeked"));
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '-' if in_class && chars.peek() == Some(&'[') => {
                return Err(format!(
                    "{xsd:?}: character-class subtraction is not supported"
                ));
            }
            '^' | '$' if !in_class => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    regex_lite::Regex::new(&format!("^(?:{out})$"))
        .map_err(|e| format!("{xsd:?} does not compile: {e}"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn xsd_patterns_become_rust_patterns() {
        assert_eq!(
            translate("[0-9]{1,4}\\.[0-9]").unwrap(),
            "[0-9]{1,4}\\.[0-9]"
        );
        assert_eq!(translate("a$b^").unwrap(), "a\\$b\\^");
        assert_eq!(translate("[^a$]").unwrap(), "[^a$]");
        assert_eq!(
            translate("\\i\\c*").unwrap(),
            "[_:A-Za-z][\\-._:A-Za-z0-9]*"
        );
        assert!(
            translate("[a-z-[aeiou]]")
                .unwrap_err()
                .contains("subtraction")
        );
        assert!(translate("\\p{IsBasicLatin}").is_err());
        assert!(translate("(").unwrap_err().contains("does not compile"));
    }
}
