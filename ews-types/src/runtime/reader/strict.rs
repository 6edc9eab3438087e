//! The checks of a strict reader ([`ReaderConfig::strict`](super::ReaderConfig::strict)).

use super::{Attr, Start, XmlReader, at};
use crate::runtime::XmlNs;
use crate::runtime::error::{DeError, DeErrorKind};
use crate::runtime::facets::Facets;
use crate::runtime::traits::XmlValue;

/// What strict reading checks ([`ReaderConfig::strict`](super::ReaderConfig::strict));
/// generated code calls these, and each is a no-op (or the lenient behaviour) on a lenient
/// reader.
impl<'a> XmlReader<'a> {
    /// Whether this reader validates strictly.
    #[inline]
    pub fn is_strict(&self) -> bool {
        self.config.strict
    }

    /// A child of `parent` that its type has no field for: skipped, or an error when strict.
    #[inline]
    pub fn unknown(&mut self, parent: &Start<'a>, child: Start<'a>) -> Result<(), DeError> {
        if self.config.strict {
            return Err(at(
                child.position,
                DeErrorKind::NotExpected {
                    element: child.qname().to_owned(),
                    expected: format!("no element <{}> inside <{}>", child.local, parent.qname()),
                },
            ));
        }
        self.skip(child)
    }

    /// An attribute of `start` that its type does not declare: ignored, or an error when
    /// strict unless it belongs to a namespace the schema leaves open (SOAP, `xsi:`, others).
    #[inline]
    pub fn unknown_attr(&self, start: &Start<'a>, attr: &Attr<'a>) -> Result<(), DeError> {
        let ours = matches!(
            attr.ns,
            XmlNs::None | XmlNs::Types | XmlNs::Messages | XmlNs::Xml
        );
        if self.config.strict && ours {
            return Err(at(
                attr.position,
                DeErrorKind::UnexpectedAttribute {
                    element: start.qname().to_owned(),
                    attribute: attr.local.to_owned(),
                },
            ));
        }
        Ok(())
    }

    /// For a type without attributes: when strict, refuses any undeclared attribute of `start`.
    #[inline]
    pub fn no_attributes(&self, start: &Start<'a>) -> Result<(), DeError> {
        if self.config.strict {
            for a in self.attributes(start) {
                self.unknown_attr(start, &a?)?;
            }
        }
        Ok(())
    }

    /// Sequence order, when strict: `child` fills field `index` of a sequence whose fields are
    /// `fields` (how to name the field in a message, e.g. `<ItemShape>`; whether it is
    /// required), and `next` is one past the last field filled. An
    /// element before the last filled field, or one that skips a required field, is not
    /// expected there (reported at `child`, as an XSD validator does).
    #[inline]
    pub fn sequence(
        &self,
        child: &Start<'a>,
        next: &mut usize,
        index: usize,
        fields: &[(&'static str, bool)],
    ) -> Result<(), DeError> {
        if !self.config.strict {
            return Ok(());
        }
        self.strict_sequence(child, next, index, fields)
    }

    #[cold]
    fn strict_sequence(
        &self,
        child: &Start<'a>,
        next: &mut usize,
        index: usize,
        fields: &[(&'static str, bool)],
    ) -> Result<(), DeError> {
        let out_of_order = index + 1 < *next;
        let skipped = fields
            .get(*next..index)
            .unwrap_or(&[])
            .iter()
            .find(|(_, required)| *required);
        if out_of_order || skipped.is_some() {
            let expected = match skipped {
                Some((name, _)) => format!("{name} first"),
                None => {
                    let later: Vec<&str> = fields[*next - 1..].iter().map(|(n, _)| *n).collect();
                    format!("{} (schema order)", later.join(" or "))
                }
            };
            return Err(at(
                child.position,
                DeErrorKind::NotExpected {
                    element: child.qname().to_owned(),
                    expected,
                },
            ));
        }
        *next = index + 1;
        Ok(())
    }

    /// In a sequence group: whether field `index` may follow (`next` is one past the last field
    /// filled); an earlier field starts the next repetition of the group.
    #[inline]
    pub fn follows(&self, next: usize, index: usize) -> bool {
        !self.config.strict || index + 1 >= next
    }

    /// `minOccurs` of a repeated child, when strict.
    #[inline]
    pub fn at_least(
        &self,
        parent: &Start<'a>,
        child: &'static str,
        found: usize,
        min: usize,
    ) -> Result<(), DeError> {
        if self.config.strict && found < min {
            return Err(at(
                parent.position,
                DeErrorKind::TooFew {
                    parent: parent.qname().to_owned(),
                    child: child.to_owned(),
                    min,
                    found,
                },
            ));
        }
        Ok(())
    }

    /// Reads a simple-typed element whose type has facets; a strict reader checks them.
    #[inline]
    pub fn read_checked<T: XmlValue>(
        &mut self,
        start: Start<'a>,
        facets: &Facets,
    ) -> Result<T, DeError> {
        if !self.config.strict {
            return self.read_value(start);
        }
        let text = self.read_text(start)?;
        facets.check(&text).map_err(|violation| DeError {
            position: start.position,
            kind: DeErrorKind::Facet {
                element: start.qname().to_owned(),
                violation,
            },
        })?;
        T::from_text(&text).map_err(|source| DeError {
            position: start.position,
            kind: DeErrorKind::Value {
                element: start.qname().to_owned(),
                source,
            },
        })
    }

    /// Parses an attribute whose type has facets; a strict reader checks them.
    #[inline]
    pub fn parse_checked<T: XmlValue>(
        &self,
        attr: &Attr<'a>,
        facets: &Facets,
    ) -> Result<T, DeError> {
        if self.config.strict {
            facets.check(&attr.value).map_err(|violation| DeError {
                position: attr.position,
                kind: DeErrorKind::Facet {
                    element: format!("@{}", attr.local),
                    violation,
                },
            })?;
        }
        attr.parse()
    }
}
