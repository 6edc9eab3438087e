//! `xs:any` and `xs:anyType` content, kept as a tree so nothing the server sent is dropped.

use super::XmlNs;
use super::error::{DeError, SerError};
use super::reader::{Start, XmlReader};
use super::traits::{FromXml, ToXml};
use super::writer::XmlWriter;

/// An element of any content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnyElement {
    /// The element's namespace.
    pub ns: XmlNs,
    /// Its URI when `ns` is [`XmlNs::Other`].
    pub ns_uri: String,
    /// Local name.
    pub local: String,
    /// Attributes, in order.
    pub attributes: Vec<AnyAttribute>,
    /// Children, in order.
    pub children: Vec<AnyNode>,
}

/// An attribute of an [`AnyElement`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnyAttribute {
    /// The attribute's namespace ([`XmlNs::None`] when unprefixed).
    pub ns: XmlNs,
    /// Its URI when `ns` is [`XmlNs::Other`] (`wsu:Id` keeps the WS-Security namespace).
    pub ns_uri: String,
    /// Local name.
    pub local: String,
    /// Value.
    pub value: String,
}

/// A child of an [`AnyElement`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyNode {
    /// A child element.
    Element(AnyElement),
    /// Text (whitespace-only text between elements is dropped).
    Text(String),
}

impl AnyElement {
    /// The first child element named `local` (any namespace).
    pub fn child(&self, local: &str) -> Option<&AnyElement> {
        self.elements().find(|e| e.local == local)
    }

    /// The child elements.
    pub fn elements(&self) -> impl Iterator<Item = &AnyElement> {
        self.children.iter().filter_map(|c| match c {
            AnyNode::Element(e) => Some(e),
            AnyNode::Text(_) => None,
        })
    }

    /// The concatenated text children.
    pub fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|c| match c {
                AnyNode::Text(t) => Some(t.as_str()),
                AnyNode::Element(_) => None,
            })
            .collect()
    }

    /// The value of attribute `local` (any namespace).
    pub fn attribute(&self, local: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.local == local)
            .map(|a| a.value.as_str())
    }

    /// Writes the element under its own name.
    pub fn write(&self, w: &mut XmlWriter) -> Result<(), SerError> {
        self.write_as(w, self.ns, &self.local)
    }

    fn write_as(&self, w: &mut XmlWriter, ns: XmlNs, local: &str) -> Result<(), SerError> {
        self.write_in(w, ns, local, "")
    }

    /// Writes with prefixes for the namespaces the envelope declares (`t`, `m`, `s`) and a
    /// default-namespace declaration for any other; `default` is the default namespace in scope.
    fn write_in(
        &self,
        w: &mut XmlWriter,
        ns: XmlNs,
        local: &str,
        default: &str,
    ) -> Result<(), SerError> {
        let uri = match ns {
            XmlNs::Other => self.ns_uri.as_str(),
            XmlNs::Types | XmlNs::Messages | XmlNs::Soap => "",
            other => other.uri(),
        };
        let prefixed = matches!(ns, XmlNs::Types | XmlNs::Messages | XmlNs::Soap);
        let by_uri = !prefixed && uri != default;
        if prefixed {
            w.start(ns, local);
        } else if by_uri {
            w.start_uri(uri, local)?;
        } else {
            w.start(XmlNs::None, local);
        }
        let inner_default = if prefixed { default } else { uri };
        for a in &self.attributes {
            match a.ns {
                XmlNs::Other => w.attr_uri(&a.ns_uri, &a.local, &a.value)?,
                ns => w.attr_str(ns, &a.local, &a.value)?,
            }
        }
        for c in &self.children {
            match c {
                AnyNode::Element(e) => e.write_in(w, e.ns, &e.local, inner_default)?,
                AnyNode::Text(t) => w.text(t)?,
            }
        }
        if prefixed {
            w.end(ns, local);
        } else {
            w.end_uri(local);
        }
        Ok(())
    }
}

impl FromXml for AnyElement {
    fn from_xml<'a>(r: &mut XmlReader<'a>, start: Start<'a>) -> Result<Self, DeError> {
        let mut el = AnyElement {
            ns: start.ns,
            ns_uri: if start.ns == XmlNs::Other {
                r.element_uri(&start)
            } else {
                String::new()
            },
            local: start.local.to_owned(),
            ..AnyElement::default()
        };
        for a in r.attributes(&start) {
            let a = a?;
            el.attributes.push(AnyAttribute {
                ns: a.ns,
                ns_uri: if a.ns == XmlNs::Other {
                    r.attribute_uri(&a)
                } else {
                    String::new()
                },
                local: a.local.to_owned(),
                value: a.value.into_owned(),
            });
        }
        r.read_mixed(start, |r, item| {
            match item {
                Ok(child) => el
                    .children
                    .push(AnyNode::Element(AnyElement::from_xml(r, child)?)),
                Err(text) => {
                    if !text.trim().is_empty() {
                        el.children.push(AnyNode::Text(text));
                    }
                }
            }
            Ok(())
        })?;
        Ok(el)
    }
}

impl ToXml for AnyElement {
    fn to_xml(&self, w: &mut XmlWriter, ns: XmlNs, local: &str) -> Result<(), SerError> {
        self.write_as(w, ns, local)
    }
}
