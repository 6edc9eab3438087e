//! An escaping writer that rejects characters XML 1.0 forbids.

use super::XmlNs;
use super::error::SerError;
use super::traits::XmlValue;

/// Writes XML text with the `t:`, `m:` and `s:` prefixes.
///
/// Every string goes through escaping (`<`, `>`, `&`, quotes; CR as `&#xD;` so it survives
/// parsing); characters XML 1.0 does not allow are an error, never written.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
    open: bool,
    declared: bool,
    xsi_type: Option<(XmlNs, &'static str)>,
}

use super::is_xml_char;

impl XmlWriter {
    /// An empty writer; the first element declares the EWS namespaces.
    pub fn new() -> Self {
        Self::default()
    }

    /// A writer whose output sits inside an element that already declares `t`, `m` and `s`.
    pub fn inside_declared() -> Self {
        XmlWriter {
            declared: true,
            ..Self::default()
        }
    }

    /// The text written so far.
    pub fn into_string(self) -> String {
        self.out
    }

    fn close_open(&mut self) {
        if self.open {
            self.out.push('>');
            self.open = false;
        }
    }

    fn push_name(&mut self, ns: XmlNs, local: &str) {
        let p = ns.prefix();
        if !p.is_empty() {
            self.out.push_str(p);
            self.out.push(':');
        }
        self.out.push_str(local);
    }

    /// Opens `<ns:local`; attributes may follow.
    pub fn start(&mut self, ns: XmlNs, local: &str) {
        self.close_open();
        self.out.push('<');
        self.push_name(ns, local);
        if !self.declared {
            self.declared = true;
            for ns in [XmlNs::Messages, XmlNs::Types] {
                self.raw_attr(&format!("xmlns:{}", ns.prefix()), ns.uri());
            }
        }
        if let Some((tns, tlocal)) = self.xsi_type.take() {
            self.raw_attr("xmlns:xsi", XmlNs::Xsi.uri());
            self.raw_attr("xsi:type", &format!("{}:{tlocal}", tns.prefix()));
        }
        self.open = true;
    }

    /// Gives the next element an `xsi:type` attribute naming the schema type `ns:local` (for a
    /// value of an abstract type's concrete derivation).
    pub fn xsi_type(&mut self, ns: XmlNs, local: &'static str) {
        self.xsi_type = Some((ns, local));
    }

    /// Opens an element in a namespace without a fixed prefix, declaring it as default.
    pub fn start_uri(&mut self, uri: &str, local: &str) {
        self.close_open();
        self.out.push('<');
        self.out.push_str(local);
        self.raw_attr("xmlns", uri);
        self.declared = true;
        self.open = true;
    }

    fn raw_attr(&mut self, key: &str, value: &str) {
        self.out.push(' ');
        self.out.push_str(key);
        self.out.push_str("=\"");
        self.out.push_str(value);
        self.out.push('"');
    }

    /// Writes an attribute; call right after [`start`](Self::start).
    pub fn attr<T: XmlValue>(&mut self, ns: XmlNs, local: &str, value: &T) -> Result<(), SerError> {
        let text = value.to_text();
        self.attr_str(ns, local, &text)
    }

    /// Writes a list-valued attribute.
    pub fn attr_list<T: XmlValue>(
        &mut self,
        ns: XmlNs,
        local: &str,
        values: &[T],
    ) -> Result<(), SerError> {
        let text = join(values);
        self.attr_str(ns, local, &text)
    }

    /// Writes an attribute from a string.
    pub fn attr_str(&mut self, ns: XmlNs, local: &str, text: &str) -> Result<(), SerError> {
        self.out.push(' ');
        self.push_name(ns, local);
        self.out.push_str("=\"");
        self.escape(text, local, true)?;
        self.out.push('"');
        Ok(())
    }

    /// Writes escaped text content.
    pub fn text(&mut self, text: &str) -> Result<(), SerError> {
        if text.is_empty() {
            return Ok(());
        }
        self.close_open();
        self.escape(text, "text", false)
    }

    /// Writes text that is already XML (used for verbatim preserved markup).
    pub fn raw(&mut self, xml: &str) {
        self.close_open();
        self.out.push_str(xml);
    }

    fn escape(&mut self, text: &str, context: &str, attr: bool) -> Result<(), SerError> {
        for c in text.chars() {
            match c {
                '<' => self.out.push_str("&lt;"),
                '>' => self.out.push_str("&gt;"),
                '&' => self.out.push_str("&amp;"),
                '"' if attr => self.out.push_str("&quot;"),
                '\r' => self.out.push_str("&#xD;"),
                '\n' if attr => self.out.push_str("&#xA;"),
                '\t' if attr => self.out.push_str("&#x9;"),
                c if is_xml_char(c) => self.out.push(c),
                c => {
                    return Err(SerError::InvalidChar {
                        element: context.to_owned(),
                        code: c as u32,
                    });
                }
            }
        }
        Ok(())
    }

    /// Closes the element opened last (`/>` when it got no content).
    pub fn end(&mut self, ns: XmlNs, local: &str) {
        if self.open {
            self.out.push_str("/>");
            self.open = false;
        } else {
            self.out.push_str("</");
            self.push_name(ns, local);
            self.out.push('>');
        }
    }

    /// Closes an element opened by [`start_uri`](Self::start_uri).
    pub fn end_uri(&mut self, local: &str) {
        if self.open {
            self.out.push_str("/>");
            self.open = false;
        } else {
            self.out.push_str("</");
            self.out.push_str(local);
            self.out.push('>');
        }
    }

    /// Writes `<ns:local>value</ns:local>`.
    pub fn value<T: XmlValue>(
        &mut self,
        ns: XmlNs,
        local: &str,
        value: &T,
    ) -> Result<(), SerError> {
        self.start(ns, local);
        let text = value.to_text();
        if !text.is_empty() {
            self.close_open();
            self.escape(&text, local, false)?;
        }
        self.end(ns, local);
        Ok(())
    }

    /// Writes a list element (`xs:list`).
    pub fn list<T: XmlValue>(
        &mut self,
        ns: XmlNs,
        local: &str,
        values: &[T],
    ) -> Result<(), SerError> {
        self.start(ns, local);
        let text = join(values);
        if !text.is_empty() {
            self.close_open();
            self.escape(&text, local, false)?;
        }
        self.end(ns, local);
        Ok(())
    }
}

fn join<T: XmlValue>(values: &[T]) -> String {
    let mut s = String::new();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&v.to_text());
    }
    s
}
