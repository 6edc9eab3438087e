//! The SOAP 1.1 envelope and faults.

use super::XmlNs;
use super::any::AnyElement;
use super::error::{DeError, DeErrorKind, SerError};
use super::reader::{ReaderConfig, XmlReader};
use super::traits::{ElementSet, FromXml};
use super::writer::XmlWriter;

/// The SOAP 1.1 envelope namespace.
pub const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// One child of a SOAP `Header` or `Body`.
#[derive(Debug, Clone, PartialEq)]
pub enum Part<E> {
    /// A global element of the EWS schema.
    Known(E),
    /// A SOAP fault.
    Fault(Fault),
    /// An element from another namespace (e.g. WS-Addressing headers), kept as a tree.
    Other(AnyElement),
}

/// A SOAP envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope<E> {
    /// Header children.
    pub headers: Vec<Part<E>>,
    /// Body children (one, for EWS).
    pub body: Vec<Part<E>>,
    /// True when the document was a bare body element, not an envelope.
    pub bare: bool,
}

/// A SOAP 1.1 fault.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fault {
    /// `faultcode`, e.g. `a:ErrorSchemaValidation` or `s:Client`.
    pub code: String,
    /// `faultstring`.
    pub string: String,
    /// `faultstring`'s `xml:lang`.
    pub lang: Option<String>,
    /// Whether `faultcode` and `faultstring` were written in the SOAP namespace (some servers
    /// do); SOAP 1.1 leaves them unqualified.
    pub qualified: bool,
    /// `faultactor`.
    pub actor: Option<String>,
    /// `detail`, kept whole.
    pub detail: Option<AnyElement>,
}

/// What EWS puts in a fault's `detail`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultDetail {
    /// `ResponseCode` (`ErrorServerBusy`), trimmed.
    pub response_code: Option<String>,
    /// `Message`.
    pub message: Option<String>,
    /// `MessageXml`, kept whole.
    pub message_xml: Option<AnyElement>,
}

impl Fault {
    /// The EWS detail: response code, message and `MessageXml`.
    pub fn ews_detail(&self) -> FaultDetail {
        let Some(d) = &self.detail else {
            return FaultDetail::default();
        };
        FaultDetail {
            response_code: d.child("ResponseCode").map(|e| e.text().trim().to_owned()),
            message: d.child("Message").map(|e| e.text().trim().to_owned()),
            message_xml: d.child("MessageXml").cloned(),
        }
    }

    fn write(&self, w: &mut XmlWriter) -> Result<(), SerError> {
        w.start(XmlNs::Soap, "Fault");
        let ns = if self.qualified {
            XmlNs::Soap
        } else {
            XmlNs::None
        };
        w.value(ns, "faultcode", &self.code)?;
        w.start(ns, "faultstring");
        if let Some(lang) = &self.lang {
            w.attr_str(XmlNs::Xml, "lang", lang)?;
        }
        w.text(&self.string)?;
        w.end(ns, "faultstring");
        if let Some(actor) = &self.actor {
            w.value(ns, "faultactor", actor)?;
        }
        if let Some(d) = &self.detail {
            d.write(w)?;
        }
        w.end(XmlNs::Soap, "Fault");
        Ok(())
    }
}

impl FaultDetail {
    /// A `<t:Value Name="...">` entry of `MessageXml` (the first, if repeated).
    pub fn message_value(&self, name: &str) -> Option<String> {
        self.message_xml
            .as_ref()?
            .elements()
            .find(|e| e.local == "Value" && e.attribute("Name") == Some(name))
            .map(|e| e.text().trim().to_owned())
    }
}

impl FromXml for Fault {
    fn from_xml<'a>(
        r: &mut XmlReader<'a>,
        start: super::reader::Start<'a>,
    ) -> Result<Self, DeError> {
        read_fault(r, start)
    }
}

fn read_fault<'a>(
    r: &mut XmlReader<'a>,
    start: super::reader::Start<'a>,
) -> Result<Fault, DeError> {
    let mut f = Fault::default();
    while let Some(c) = r.next_child(&start)? {
        if c.local == "faultcode" {
            f.qualified = c.ns == XmlNs::Soap;
        }
        match c.local {
            "faultcode" => f.code = r.read_text(c)?.trim().to_owned(),
            "faultstring" => {
                for a in r.attributes(&c) {
                    let a = a?;
                    if a.ns == XmlNs::Xml && a.local == "lang" {
                        f.lang = Some(a.value.into_owned());
                    }
                }
                f.string = r.read_text(c)?.into_owned();
            }
            "faultactor" => f.actor = Some(r.read_text(c)?.into_owned()),
            "detail" => f.detail = Some(AnyElement::from_xml(r, c)?),
            _ => r.skip(c)?,
        }
    }
    Ok(f)
}

/// Reads a SOAP envelope (or a bare body element) whose parts are elements of `E`.
pub fn read_envelope<E: ElementSet>(xml: &str) -> Result<Envelope<E>, DeError> {
    read_envelope_with(xml, ReaderConfig::default())
}

/// [`read_envelope`] with the reader's limits and strictness: with
/// [`ReaderConfig::strict`] every known header and body element is validated as an XSD
/// validator would (parts of other namespaces are kept as trees, unchecked).
pub fn read_envelope_with<E: ElementSet>(
    xml: &str,
    config: ReaderConfig,
) -> Result<Envelope<E>, DeError> {
    let mut r = XmlReader::with_config(xml, config);
    let root = r.root()?;
    fn read_part<'a, E: ElementSet>(
        r: &mut XmlReader<'a>,
        c: super::reader::Start<'a>,
    ) -> Result<Part<E>, DeError> {
        if c.ns == XmlNs::Soap && c.local == "Fault" {
            return read_fault(r, c).map(Part::Fault);
        }
        if E::knows(c.ns, c.local)
            && let Some(e) = E::read_element(r, c)?
        {
            return Ok(Part::Known(e));
        }
        AnyElement::from_xml(r, c).map(Part::Other)
    }
    let mut env = Envelope {
        headers: Vec::new(),
        body: Vec::new(),
        bare: false,
    };
    if root.ns == XmlNs::Soap && root.local == "Envelope" {
        while let Some(section) = r.next_child_in(&root, false)? {
            match (section.ns, section.local) {
                (XmlNs::Soap, "Header") => {
                    while let Some(c) = r.next_child_in(&section, false)? {
                        env.headers.push(read_part(&mut r, c)?);
                    }
                }
                (XmlNs::Soap, "Body") => {
                    while let Some(c) = r.next_child_in(&section, false)? {
                        env.body.push(read_part(&mut r, c)?);
                    }
                }
                _ => r.skip(section)?,
            }
        }
    } else {
        env.bare = true;
        env.body.push(read_part(&mut r, root)?);
    }
    r.finish()?;
    if env.body.is_empty() && !env.bare {
        return Err(r.error(DeErrorKind::Unexpected {
            expected: "a SOAP Body child".into(),
            found: "nothing".into(),
        }));
    }
    Ok(env)
}

/// Writes an envelope (`s:`, `m:` and `t:` declared on it).
pub fn write_envelope<E: ElementSet>(env: &Envelope<E>) -> Result<String, SerError> {
    let write_part = |w: &mut XmlWriter, p: &Part<E>| match p {
        Part::Known(e) => e.write_element(w),
        Part::Fault(f) => f.write(w),
        Part::Other(a) => a.write(w),
    };
    let mut w = XmlWriter::inside_declared();
    if env.bare {
        let mut w = XmlWriter::new();
        for p in &env.body {
            write_part(&mut w, p)?;
        }
        return Ok(w.into_string());
    }
    w.raw(concat!(
        r#"<?xml version="1.0" encoding="utf-8"?>"#,
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/""#,
        r#" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages""#,
        r#" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">"#
    ));
    if !env.headers.is_empty() {
        w.raw("<s:Header>");
        for p in &env.headers {
            write_part(&mut w, p)?;
        }
        w.raw("</s:Header>");
    }
    w.raw("<s:Body>");
    for p in &env.body {
        write_part(&mut w, p)?;
    }
    w.raw("</s:Body></s:Envelope>");
    Ok(w.into_string())
}
