//! Namespace scope: which prefix is bound to which namespace, element by element.
//!
//! The declarations are taken from the pass over a start tag's attributes that checks them
//! (`names.rs`), so a tag's attributes are walked once for both; quick-xml's `NsReader` walked
//! every start tag's attributes again for its own resolver. A binding remembers the depth of the
//! element that declared it and is dropped once the reader is back above that depth.

use std::borrow::Cow;

use crate::runtime::XmlNs;

/// Most namespace declarations in scope at once (as quick-xml's resolver allows by default): a
/// document cannot make every name's resolution walk a long list.
pub(super) const MAX_BINDINGS: usize = 128;

/// The namespace the `xml` prefix is bound to, always.
pub(super) const XML_URI: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace of namespace declarations (`xmlns`), which nothing may be bound to.
pub(super) const XMLNS_URI: &str = "http://www.w3.org/2000/xmlns/";

struct Binding<'a> {
    /// The declared prefix; empty for the default namespace.
    prefix: &'a str,
    /// The namespace name, references resolved; empty when the declaration undoes a binding.
    uri: Cow<'a, str>,
    ns: XmlNs,
    /// Depth of the element that declared it.
    depth: usize,
}

/// A prefix's namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Resolved<'s> {
    /// Bound to a namespace.
    Bound(XmlNs, &'s str),
    /// In no namespace (no prefix, and no default namespace in scope).
    Unbound,
    /// A prefix no enclosing element declares.
    Undeclared,
}

impl<'s> Resolved<'s> {
    /// The namespace as the generated code matches it.
    pub(super) fn ns(self) -> XmlNs {
        match self {
            Resolved::Bound(ns, _) => ns,
            Resolved::Unbound => XmlNs::None,
            Resolved::Undeclared => XmlNs::Other,
        }
    }

    /// The namespace name (empty when unbound).
    pub(super) fn uri(self) -> &'s str {
        match self {
            Resolved::Bound(_, uri) => uri,
            _ => "",
        }
    }
}

/// The namespace declarations in scope.
#[derive(Default)]
pub(super) struct Scope<'a> {
    bindings: Vec<Binding<'a>>,
}

impl<'a> Scope<'a> {
    /// Declares `prefix` (empty: the default namespace) as `uri` on an element at `depth`.
    pub(super) fn declare(
        &mut self,
        prefix: &'a str,
        uri: Cow<'a, str>,
        depth: usize,
    ) -> Result<(), String> {
        if self.bindings.len() >= MAX_BINDINGS {
            return Err(format!(
                "more than {MAX_BINDINGS} namespace declarations are in scope"
            ));
        }
        let ns = if uri.is_empty() {
            XmlNs::None
        } else {
            XmlNs::from_uri(&uri)
        };
        self.bindings.push(Binding {
            prefix,
            uri,
            ns,
            depth,
        });
        Ok(())
    }

    /// Drops the declarations of elements deeper than `depth`.
    #[inline]
    pub(super) fn leave(&mut self, depth: usize) {
        while self.bindings.last().is_some_and(|b| b.depth > depth) {
            self.bindings.pop();
        }
    }

    /// The namespace of an element name's prefix (empty: none written).
    #[inline]
    pub(super) fn element(&self, prefix: &str) -> Resolved<'_> {
        self.find(prefix, true)
    }

    /// The namespace of an attribute name's prefix (unprefixed attributes are in no namespace).
    #[inline]
    pub(super) fn attribute(&self, prefix: &str) -> Resolved<'_> {
        self.find(prefix, false)
    }

    fn find(&self, prefix: &str, use_default: bool) -> Resolved<'_> {
        if prefix.is_empty() && !use_default {
            return Resolved::Unbound;
        }
        match self.bindings.iter().rev().find(|b| b.prefix == prefix) {
            Some(b) if b.uri.is_empty() => {
                if prefix.is_empty() {
                    Resolved::Unbound
                } else {
                    Resolved::Undeclared
                }
            }
            Some(b) => Resolved::Bound(b.ns, &b.uri),
            None => match prefix {
                "" => Resolved::Unbound,
                "xml" => Resolved::Bound(XmlNs::Xml, XML_URI),
                "xmlns" => Resolved::Bound(XmlNs::Other, XMLNS_URI),
                _ => Resolved::Undeclared,
            },
        }
    }
}

/// The prefix of a qualified name (empty when it has none), given where its local part starts.
#[inline]
pub(super) fn prefix_of(qname: &str, local_at: usize) -> &str {
    if local_at == 0 {
        ""
    } else {
        &qname[..local_at - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_resolve_until_their_element_ends() {
        let mut s = Scope::default();
        let t = XmlNs::Types.uri();
        s.declare("t", Cow::Borrowed(t), 1).unwrap();
        s.declare("", Cow::Borrowed("urn:x"), 2).unwrap();
        assert_eq!(s.element("t"), Resolved::Bound(XmlNs::Types, t));
        assert_eq!(s.element(""), Resolved::Bound(XmlNs::Other, "urn:x"));
        assert_eq!(s.attribute(""), Resolved::Unbound);
        assert_eq!(s.element("u"), Resolved::Undeclared);
        assert_eq!(s.element("xml"), Resolved::Bound(XmlNs::Xml, XML_URI));
        // an inner element undoes the default namespace
        s.declare("", Cow::Borrowed(""), 3).unwrap();
        assert_eq!(s.element(""), Resolved::Unbound);
        s.leave(2);
        assert_eq!(s.element(""), Resolved::Bound(XmlNs::Other, "urn:x"));
        s.leave(0);
        assert_eq!(s.element("t"), Resolved::Undeclared);
        assert_eq!(s.element(""), Resolved::Unbound);
    }

    #[test]
    fn the_number_of_declarations_in_scope_is_bounded() {
        let mut s = Scope::default();
        for _ in 0..MAX_BINDINGS {
            s.declare("p", Cow::Borrowed("urn:p"), 1).unwrap();
        }
        assert!(s.declare("p", Cow::Borrowed("urn:p"), 1).is_err());
    }
}
