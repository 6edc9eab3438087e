//! An escaping writer that rejects characters XML 1.0 forbids.

use super::XmlNs;
use super::error::SerError;
use super::traits::XmlValue;

/// Writes XML text with the `t:`, `m:`, `s:`, `e:` and `xsi:` prefixes.
///
/// Every string goes through escaping (`<`, `>`, `&`, quotes; CR as `&#xD;` so it survives
/// parsing); characters XML 1.0 does not allow are an error, never written.
///
/// The writer computes which prefixes are in scope: an element or attribute whose prefix no
/// enclosing element declares gets the declaration on its element, and an attribute in any
/// other namespace gets a prefix of its own. So whatever it writes is namespace-correct.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
    open: bool,
    /// The prefixes declared around the next element (bits of [`bit`]).
    base: u8,
    /// Per open element written by `start`/`start_uri`: the prefixes in scope inside it.
    scope: Vec<u8>,
    /// Whether an element was written (the first declares `m` and `t`).
    started: bool,
    /// Prefixes generated on the open element for attributes of other namespaces.
    generated: u32,
    xsi_type: Option<(XmlNs, &'static str)>,
}

/// The scope bit of a namespace with a fixed prefix (0 for none, `xml`, or other).
const fn bit(ns: XmlNs) -> u8 {
    match ns {
        XmlNs::Types => 1,
        XmlNs::Messages => 2,
        XmlNs::Errors => 4,
        XmlNs::Soap => 8,
        XmlNs::Xsi => 16,
        XmlNs::Xml | XmlNs::None | XmlNs::Other => 0,
    }
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
            base: bit(XmlNs::Types) | bit(XmlNs::Messages) | bit(XmlNs::Soap),
            started: true,
            ..Self::default()
        }
    }

    /// The prefixes in scope at the current point.
    fn in_scope(&self) -> u8 {
        self.scope.last().copied().unwrap_or(self.base)
    }

    /// Declares `ns`'s prefix on the open element unless it is in scope.
    fn declare(&mut self, ns: XmlNs) {
        let b = bit(ns);
        if b != 0 && self.in_scope() & b == 0 {
            self.raw_attr(&format!("xmlns:{}", ns.prefix()), ns.uri());
            match self.scope.last_mut() {
                Some(top) => *top |= b,
                None => self.base |= b,
            }
        }
    }

    /// Opens an element: pushes its scope.
    fn open_scope(&mut self) {
        let s = self.in_scope();
        self.scope.push(s);
        self.generated = 0;
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
        self.open_scope();
        if !self.started {
            self.started = true;
            self.declare(XmlNs::Messages);
            self.declare(XmlNs::Types);
        }
        self.declare(ns);
        if let Some((tns, tlocal)) = self.xsi_type.take() {
            self.declare(XmlNs::Xsi);
            self.declare(tns);
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
    pub fn start_uri(&mut self, uri: &str, local: &str) -> Result<(), SerError> {
        self.close_open();
        self.out.push('<');
        self.out.push_str(local);
        self.out.push_str(" xmlns=\"");
        self.escape(uri, local, true)?;
        self.out.push('"');
        self.open_scope();
        self.started = true;
        self.open = true;
        Ok(())
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
        self.declare(ns);
        self.out.push(' ');
        self.push_name(ns, local);
        self.out.push_str("=\"");
        self.escape(text, local, true)?;
        self.out.push('"');
        Ok(())
    }

    /// Writes an attribute in namespace `uri` (one without a fixed prefix), under a prefix
    /// declared for it on the open element (or none, for the empty URI).
    pub fn attr_uri(&mut self, uri: &str, local: &str, text: &str) -> Result<(), SerError> {
        let ns = XmlNs::from_uri(uri);
        if uri.is_empty() || ns != XmlNs::Other {
            return self.attr_str(if uri.is_empty() { XmlNs::None } else { ns }, local, text);
        }
        self.generated += 1;
        let prefix = format!("a{}", self.generated);
        self.out.push_str(" xmlns:");
        self.out.push_str(&prefix);
        self.out.push_str("=\"");
        self.escape(uri, local, true)?;
        self.out.push_str("\" ");
        self.out.push_str(&prefix);
        self.out.push(':');
        self.out.push_str(local);
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
        self.scope.pop();
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
        self.scope.pop();
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
