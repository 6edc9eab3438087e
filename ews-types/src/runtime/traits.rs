//! Traits implemented by generated code.

use std::borrow::Cow;

use super::XmlNs;
use super::error::{DeError, SerError, ValueError};
use super::reader::{Start, XmlReader};
use super::writer::XmlWriter;

/// A simple value written as text (element content or attribute value).
pub trait XmlValue: Sized {
    /// Parses the text.
    fn from_text(text: &str) -> Result<Self, ValueError>;
    /// Parses text the reader holds already: borrowed from the document, or owned where
    /// references were resolved. A `String` takes owned text without copying it.
    fn from_cow(text: Cow<'_, str>) -> Result<Self, ValueError> {
        Self::from_text(&text)
    }
    /// Writes the text (unescaped: the writer escapes).
    fn to_text(&self) -> Cow<'_, str>;
}

/// A complex type read from one element.
pub trait FromXml: Sized {
    /// Reads the element that `start` opened, through its end tag.
    fn from_xml<'a>(r: &mut XmlReader<'a>, start: Start<'a>) -> Result<Self, DeError>;
}

/// A complex type written as one element.
pub trait ToXml {
    /// Writes the element named `ns:local` with this content.
    fn to_xml(&self, w: &mut XmlWriter, ns: XmlNs, local: &str) -> Result<(), SerError>;
}

/// A group of sibling elements: a choice, or a sequence nested in a choice or repeated.
pub trait XmlGroup: Sized {
    /// Whether an element named `ns:local` can start this group.
    fn starts_with(ns: XmlNs, local: &str) -> bool;
    /// Reads the group, beginning with `first` (for which `starts_with` held) and taking
    /// following siblings of `parent` while they belong to the group.
    fn read_group<'a>(
        r: &mut XmlReader<'a>,
        parent: &Start<'a>,
        first: Start<'a>,
    ) -> Result<Self, DeError>;
    /// Writes the group's elements.
    fn write_group(&self, w: &mut XmlWriter) -> Result<(), SerError>;
}

/// The set of global elements of a schema: what may appear in a SOAP body or header.
pub trait ElementSet: Sized {
    /// Reads the element `start` if it is a known global element; `Ok(None)` leaves it unread.
    fn read_element<'a>(r: &mut XmlReader<'a>, start: Start<'a>) -> Result<Option<Self>, DeError>;
    /// Whether `ns:local` is a known global element.
    fn knows(ns: XmlNs, local: &str) -> bool;
    /// Writes the element.
    fn write_element(&self, w: &mut XmlWriter) -> Result<(), SerError>;
    /// The element's local name.
    fn local_name(&self) -> &'static str;
}

/// An EWS operation: its request type, response type and SOAPAction, from `services.wsdl`.
///
/// Header markers (`headers::AcceptsExchangeImpersonation`, …) say which SOAP headers the
/// operation's WSDL binding accepts.
pub trait Operation: FromXml + ToXml {
    /// The operation's name (`GetItem`).
    const NAME: &'static str;
    /// The SOAPAction HTTP header value.
    const SOAP_ACTION: &'static str;
    /// The request element's local name in the messages namespace.
    const REQUEST_ELEMENT: &'static str;
    /// The response element's local name in the messages namespace.
    const RESPONSE_ELEMENT: &'static str;
    /// Local names of the SOAP headers the operation's binding accepts (`RequestServerVersion`,
    /// `ExchangeImpersonation`, …), in WSDL order.
    const INPUT_HEADERS: &'static [&'static str];
    /// Whether the operation only reads, so that resending it after a transient failure cannot
    /// duplicate an effect (the generator's table of read-only operations; an operation it does
    /// not know counts as a write).
    const READ_ONLY: bool;
    /// The response body type.
    type Response: FromXml + ToXml + super::status::ResponseBody;
}
