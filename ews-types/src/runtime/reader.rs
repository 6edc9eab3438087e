//! A streaming reader over a borrowed document: namespace-aware, depth-limited, no DTDs.

use std::borrow::Cow;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesRef, BytesStart, Event};

use super::XmlNs;
use super::error::{DeError, DeErrorKind};
use super::traits::{FromXml, XmlValue};

mod joined;
mod lexer;
mod names;
mod scope;
mod strict;

use joined::Joined;
use lexer::Lexer;
use names::check_qname;
use scope::{Resolved, Scope, prefix_of};

/// Limits for reading.
#[derive(Debug, Clone, Copy)]
pub struct ReaderConfig {
    /// Deepest element nesting accepted (default 64; EWS documents nest about 15 deep).
    pub max_depth: usize,
    /// Validate as an XSD validator would (default off): elements in schema order, no unknown
    /// elements or attributes, no text in element-only content, `minOccurs` of repeated
    /// elements, and the facets of simple types. Errors carry the offending node's position.
    /// A lenient reader skips what it does not know, which is what a client wants from a
    /// server that may be newer than its schema; a server wants this.
    pub strict: bool,
}

impl Default for ReaderConfig {
    fn default() -> Self {
        ReaderConfig {
            max_depth: 64,
            strict: false,
        }
    }
}

impl ReaderConfig {
    /// The default limits, validating strictly (see [`ReaderConfig::strict`]).
    pub fn strict() -> Self {
        ReaderConfig {
            strict: true,
            ..ReaderConfig::default()
        }
    }
}

/// A start tag, as handed to generated code. Cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct Start<'a> {
    /// The element's namespace.
    pub ns: XmlNs,
    /// The element's local name.
    pub local: &'a str,
    content: &'a str,
    name_len: usize,
    empty: bool,
    position: u64,
}

impl<'a> Start<'a> {
    /// Whether the tag was self-closing (`<t:Foo/>`).
    pub fn is_empty(&self) -> bool {
        self.empty
    }

    /// The qualified name as written (`t:Foo`).
    pub fn qname(&self) -> &'a str {
        &self.content[..self.name_len]
    }

    /// Byte offset of the tag.
    pub fn position(&self) -> u64 {
        self.position
    }
}

/// One attribute, with its namespace resolved.
#[derive(Debug)]
pub struct Attr<'a> {
    /// Namespace (unprefixed attributes have [`XmlNs::None`]).
    pub ns: XmlNs,
    /// Local name.
    pub local: &'a str,
    /// Value, entity references resolved and whitespace normalised.
    pub value: Cow<'a, str>,
    /// The name as written (`wsu:Id`).
    pub qname: &'a str,
    position: u64,
}

impl Attr<'_> {
    /// Parses the value.
    pub fn parse<T: XmlValue>(&self) -> Result<T, DeError> {
        T::from_text(&self.value).map_err(|source| DeError {
            position: self.position,
            kind: DeErrorKind::Value {
                element: format!("@{}", self.local),
                source,
            },
        })
    }

    /// Parses a whitespace-separated list value.
    pub fn parse_list<T: XmlValue>(&self) -> Result<Vec<T>, DeError> {
        self.value
            .split_ascii_whitespace()
            .map(|s| {
                T::from_text(s).map_err(|source| DeError {
                    position: self.position,
                    kind: DeErrorKind::Value {
                        element: format!("@{}", self.local),
                        source,
                    },
                })
            })
            .collect()
    }
}

enum Peeked<'a> {
    None,
    Child(Start<'a>),
    End,
}

/// Reads a document element by element. Generated `FromXml` impls drive it.
pub struct XmlReader<'a> {
    input: &'a str,
    inner: Lexer<'a>,
    scope: Scope<'a>,
    depth: usize,
    config: ReaderConfig,
    peeked: Peeked<'a>,
}

impl<'a> XmlReader<'a> {
    /// A reader over `xml` with default limits.
    pub fn new(xml: &'a str) -> Self {
        Self::with_config(xml, ReaderConfig::default())
    }

    /// A reader over `xml`.
    pub fn with_config(xml: &'a str, config: ReaderConfig) -> Self {
        XmlReader {
            input: xml,
            inner: Lexer::new(xml),
            scope: Scope::default(),
            depth: 0,
            config,
            peeked: Peeked::None,
        }
    }

    /// Current byte position.
    pub fn position(&self) -> u64 {
        self.inner.buffer_position()
    }

    /// An error of `kind` at the current position.
    pub fn error(&self, kind: DeErrorKind) -> DeError {
        DeError {
            position: self.position(),
            kind,
        }
    }

    fn syntax(&self, e: impl std::fmt::Display) -> DeError {
        DeError {
            position: self.inner.error_position(),
            kind: DeErrorKind::Syntax(e.to_string()),
        }
    }

    /// Reads the document's root element start (skipping the declaration, comments and PIs).
    pub fn root(&mut self) -> Result<Start<'a>, DeError> {
        match self.next_significant(false)? {
            Some(s) => Ok(s),
            None => Err(self.error(DeErrorKind::Unexpected {
                expected: "a root element".into(),
                found: "an end tag".into(),
            })),
        }
    }

    /// After the root element: only whitespace, comments and PIs may follow.
    pub fn finish(&mut self) -> Result<(), DeError> {
        loop {
            let position = self.position();
            match self.inner.read_event().map_err(|e| self.syntax(e))? {
                Event::Eof => return Ok(()),
                Event::Comment(_) | Event::PI(_) => {}
                Event::Text(t) if t.trim_ascii().is_empty() => {}
                _ => {
                    return Err(DeError {
                        position,
                        kind: DeErrorKind::Syntax("content after the root element".into()),
                    });
                }
            }
        }
    }

    /// The next event, the declarations of elements already left out of scope. A start tag's
    /// namespace is resolved in [`start`](Self::start), once its own declarations are read.
    #[inline]
    fn event(&mut self, position: u64) -> Result<Event<'a>, DeError> {
        self.scope.leave(self.depth);
        self.inner.read_event().map_err(|e| DeError {
            position,
            kind: DeErrorKind::Syntax(e.to_string()),
        })
    }

    /// The next child start tag of the current element, or `None` at its end tag. With
    /// `element_only` a strict reader refuses text other than whitespace.
    fn next_significant(&mut self, element_only: bool) -> Result<Option<Start<'a>>, DeError> {
        let check_text = element_only && self.config.strict;
        loop {
            let position = self.position();
            match self.event(position)? {
                Event::Start(s) => return self.start(s, false, position).map(Some),
                Event::Empty(s) => return self.start(s, true, position).map(Some),
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    return Ok(None);
                }
                Event::Eof => return Err(at(position, DeErrorKind::Eof)),
                Event::DocType(_) => return Err(at(position, DeErrorKind::DocType)),
                Event::GeneralRef(r) => {
                    self.resolve_ref(&r, position)?;
                    if check_text || self.depth == 0 {
                        return Err(at(position, DeErrorKind::UnexpectedText));
                    }
                }
                Event::Text(t) => {
                    // ignored text is still well-formed text
                    check_raw_text(&t, position)?;
                    if !t.trim_ascii().is_empty() && (check_text || self.depth == 0) {
                        return Err(at(position, DeErrorKind::UnexpectedText));
                    }
                }
                Event::CData(_) if check_text || self.depth == 0 => {
                    return Err(at(position, DeErrorKind::UnexpectedText));
                }
                // Text between elements of element-only content is ignored.
                Event::CData(_) | Event::Comment(_) | Event::PI(_) => {}
                Event::Decl(_) => {}
            }
        }
    }

    /// A start tag entering the tree: its name and attributes checked, its declarations in
    /// scope, its namespace resolved (a prefix no enclosing element declares is an error).
    fn start(
        &mut self,
        s: BytesStart<'a>,
        empty: bool,
        position: u64,
    ) -> Result<Start<'a>, DeError> {
        let name_len = s.name().as_ref().len();
        let content = self.reborrow(&s).ok_or_else(|| DeError {
            position,
            kind: DeErrorKind::Syntax("tag text is not a slice of the input".into()),
        })?;
        let qname = &content[..name_len];
        let local_at = match self.inner.checked_local() {
            Some(local_at) => local_at,
            None => check_qname(qname).map_err(|e| at(position, DeErrorKind::Syntax(e)))?,
        };
        let local = &qname[local_at..];
        if content.len() > name_len {
            self.check_attributes(content, name_len, self.depth + 1)
                .map_err(|e| at(position, DeErrorKind::Syntax(e)))?;
        }
        let prefix = prefix_of(qname, local_at);
        let ns = match self.scope.element(prefix) {
            Resolved::Undeclared => {
                return Err(at(
                    position,
                    DeErrorKind::Syntax(format!("the prefix {prefix:?} is not declared")),
                ));
            }
            r => r.ns(),
        };
        if !empty {
            self.depth += 1;
            if self.depth > self.config.max_depth {
                return Err(DeError {
                    position,
                    kind: DeErrorKind::TooDeep(self.config.max_depth),
                });
            }
        }
        Ok(Start {
            ns,
            local,
            content,
            name_len,
            empty,
            position,
        })
    }

    /// The tag text of `s` as a slice of the input (events of a `&str` reader borrow from it).
    fn reborrow(&self, s: &str) -> Option<&'a str> {
        let base = self.input.as_ptr() as usize;
        let at = (s.as_ptr() as usize).checked_sub(base)?;
        self.input.get(at..at.checked_add(s.len())?)
    }

    /// The next child of `parent`, or `None` once its end tag is consumed.
    #[inline]
    pub fn next_child(&mut self, parent: &Start<'a>) -> Result<Option<Start<'a>>, DeError> {
        self.next_child_in(parent, true)
    }

    /// [`next_child`](Self::next_child), where text between children is never checked (the
    /// SOAP envelope is outside the EWS schema).
    pub(super) fn next_child_in(
        &mut self,
        parent: &Start<'a>,
        element_only: bool,
    ) -> Result<Option<Start<'a>>, DeError> {
        match std::mem::replace(&mut self.peeked, Peeked::None) {
            Peeked::Child(s) => return Ok(Some(s)),
            Peeked::End => return Ok(None),
            Peeked::None => {}
        }
        if parent.empty {
            return Ok(None);
        }
        self.next_significant(element_only)
    }

    /// Looks at the next child of `parent` without consuming it.
    pub fn peek_child(&mut self, parent: &Start<'a>) -> Result<Option<Start<'a>>, DeError> {
        match self.peeked {
            Peeked::Child(s) => return Ok(Some(s)),
            Peeked::End => return Ok(None),
            Peeked::None => {}
        }
        if parent.empty {
            return Ok(None);
        }
        match self.next_significant(true)? {
            Some(s) => {
                self.peeked = Peeked::Child(s);
                Ok(Some(s))
            }
            None => {
                self.peeked = Peeked::End;
                Ok(None)
            }
        }
    }

    /// Consumes the child returned by [`peek_child`](Self::peek_child).
    pub fn take_peeked(&mut self) {
        if let Peeked::Child(_) = self.peeked {
            self.peeked = Peeked::None;
        }
    }

    /// Skips `start` and everything inside it.
    pub fn skip(&mut self, start: Start<'a>) -> Result<(), DeError> {
        let first = match std::mem::replace(&mut self.peeked, Peeked::None) {
            Peeked::Child(s) => Some(s),
            Peeked::End => return Ok(()),
            Peeked::None if start.empty => return Ok(()),
            Peeked::None => self.next_significant(false)?,
        };
        let mut next = first;
        while let Some(child) = next {
            self.skip(child)?;
            next = self.next_significant(false)?;
        }
        Ok(())
    }

    /// The attributes of `start` (namespace declarations left out).
    pub fn attributes(
        &self,
        start: &Start<'a>,
    ) -> impl Iterator<Item = Result<Attr<'a>, DeError>> + use<'a, '_> {
        let position = start.position;
        let syntax =
            move |e: &dyn std::fmt::Display| at(position, DeErrorKind::Syntax(e.to_string()));
        let mut attributes =
            quick_xml::events::attributes::Attributes::new(start.content, start.name_len);
        // duplicates were refused when the tag was read (`check_attributes`)
        attributes.with_checks(false);
        attributes.filter_map(move |a| {
            let a = match a {
                Ok(a) => a,
                Err(e) => return Some(Err(syntax(&e))),
            };
            let quick_xml::name::QName(key) = a.key;
            if key == "xmlns" || key.starts_with("xmlns:") {
                return None;
            }
            let (ns, local) = match key.split_once(':') {
                None => (XmlNs::None, key),
                Some(("xml", l)) => (XmlNs::Xml, l),
                Some((p, l)) => (self.scope.attribute(p).ns(), l),
            };
            let value = match a.value {
                // no reference and no control byte (so no whitespace to normalize), no
                // 0xEF (U+FFFE, U+FFFF): the value is as written, and allowed
                Cow::Borrowed(v) if !v.contains('&') && !super::suspect_text(v.as_bytes()) => {
                    Ok(Cow::Borrowed(v))
                }
                _ => match a.normalized_value(XmlVersion::Implicit1_0) {
                    Ok(value) => check_chars(&value, position).map(|()| value),
                    Err(e) => Err(syntax(&e)),
                },
            };
            Some(value.map(|value| Attr {
                ns,
                local,
                value,
                qname: key,
                position,
            }))
        })
    }

    /// The local part of `start`'s `xsi:type` attribute (`t:AlternateIdType` →
    /// `AlternateIdType`), if it has one. Schema type names are unique within the EWS
    /// namespaces, so the prefix is not resolved.
    pub fn xsi_type(&self, start: &Start<'a>) -> Result<Option<Cow<'a, str>>, DeError> {
        for a in self.attributes(start) {
            let a = a?;
            if a.ns == XmlNs::Xsi && a.local == "type" {
                if self.config.strict
                    && let Some((p, _)) = a.value.trim().split_once(':')
                    && self.scope.element(p) == Resolved::Undeclared
                {
                    return Err(at(
                        a.position,
                        DeErrorKind::Syntax(format!(
                            "xsi:type {:?} uses a prefix with no namespace declaration in scope",
                            a.value
                        )),
                    ));
                }
                let local = match a.value {
                    Cow::Borrowed(v) => Cow::Borrowed(v.rsplit(':').next().unwrap_or(v).trim()),
                    Cow::Owned(v) => {
                        Cow::Owned(v.rsplit(':').next().unwrap_or(&v).trim().to_owned())
                    }
                };
                return Ok(Some(local));
            }
        }
        Ok(None)
    }

    /// The text content of `start` (which must hold no elements), consuming its end tag.
    pub fn read_text(&mut self, start: Start<'a>) -> Result<Cow<'a, str>, DeError> {
        if start.empty {
            return Ok(Cow::Borrowed(""));
        }
        let mut out = Joined::default();
        let input = self.input;
        // what is left of the text after `at`, as written (for the first join to size the buffer)
        let rest = |at: u64| {
            input
                .get(usize::try_from(at).unwrap_or(usize::MAX)..)
                .and_then(|r| r.find('<'))
                .unwrap_or(0)
        };
        loop {
            let position = self.position();
            let ev = self.inner.read_event().map_err(|e| self.syntax(e))?;
            let after = self.position();
            match ev {
                // Each piece is checked as it comes (a reference once resolved), so the text
                // handed out holds no character XML forbids.
                Event::Text(t) => {
                    // text with no control byte holds no CR either: nothing to normalize
                    if super::suspect_text(t.as_bytes()) {
                        check_suspect_text(&t, position)?;
                        out.push_eols_normalized(t.into_inner(), || rest(after));
                    } else {
                        out.push(t.into_inner(), || rest(after));
                    }
                }
                Event::CData(c) => {
                    let piece = c.into_inner();
                    check_chars(&piece, position)?;
                    out.push(piece, || rest(after))
                }
                Event::GeneralRef(r) => {
                    let piece = self.resolve_ref(&r, position)?;
                    check_chars(&piece, position)?;
                    out.push(piece, || rest(after))
                }
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    return Ok(out.into_text());
                }
                Event::Start(s) | Event::Empty(s) => {
                    let name = String::from_utf8_lossy(s.name().as_ref().as_bytes()).into_owned();
                    return Err(DeError {
                        position,
                        kind: DeErrorKind::UnexpectedElement(name),
                    });
                }
                Event::Comment(_) | Event::PI(_) | Event::Decl(_) => {}
                Event::DocType(_) => return Err(at(position, DeErrorKind::DocType)),
                Event::Eof => return Err(at(position, DeErrorKind::Eof)),
            }
        }
    }

    /// Reads a simple-typed element.
    pub fn read_value<T: XmlValue>(&mut self, start: Start<'a>) -> Result<T, DeError> {
        let text = self.read_text(start)?;
        T::from_cow(text).map_err(|source| DeError {
            position: start.position,
            kind: DeErrorKind::Value {
                element: start.qname().to_owned(),
                source,
            },
        })
    }

    /// Reads a whitespace-separated list element (`xs:list`).
    pub fn read_list<T: XmlValue>(&mut self, start: Start<'a>) -> Result<Vec<T>, DeError> {
        let text = self.read_text(start)?;
        text.split_ascii_whitespace()
            .map(|s| {
                T::from_text(s).map_err(|source| DeError {
                    position: start.position,
                    kind: DeErrorKind::Value {
                        element: start.qname().to_owned(),
                        source,
                    },
                })
            })
            .collect()
    }

    /// A list as read, its spare capacity given back: a list grows by doubling from four
    /// (three attendees took room for four), and a response holds thousands of them.
    #[inline]
    pub fn exact<T>(&self, mut list: Vec<T>) -> Vec<T> {
        if list.capacity() > list.len() {
            list.shrink_to_fit();
        }
        list
    }

    /// Reads a complex-typed element.
    pub fn read<T: FromXml>(&mut self, start: Start<'a>) -> Result<T, DeError> {
        T::from_xml(self, start)
    }

    /// Error: `parent` lacks `child`.
    pub fn missing(&self, parent: &Start<'a>, child: &'static str) -> DeError {
        DeError {
            position: parent.position,
            kind: DeErrorKind::MissingElement {
                parent: parent.qname().to_owned(),
                child,
            },
        }
    }

    /// Error: `element` lacks attribute `attribute`.
    pub fn missing_attr(&self, element: &Start<'a>, attribute: &'static str) -> DeError {
        DeError {
            position: element.position,
            kind: DeErrorKind::MissingAttribute {
                element: element.qname().to_owned(),
                attribute,
            },
        }
    }

    /// Stores `value` in `slot`, failing if `child` already filled it.
    pub fn set_once<T>(
        &self,
        slot: &mut Option<T>,
        child: &Start<'a>,
        value: T,
    ) -> Result<(), DeError> {
        if slot.is_some() {
            return Err(DeError {
                position: child.position,
                kind: DeErrorKind::Duplicate(child.qname().to_owned()),
            });
        }
        *slot = Some(value);
        Ok(())
    }

    /// Stores the alternative `value` of a choice in `slot`, failing if the choice was already
    /// made: only one of `choices` may occur.
    pub fn set_choice_once<T>(
        &self,
        slot: &mut Option<T>,
        child: &Start<'a>,
        choices: &'static str,
        value: T,
    ) -> Result<(), DeError> {
        if slot.is_some() {
            return Err(DeError {
                position: child.position,
                kind: DeErrorKind::SecondChoice {
                    element: child.qname().to_owned(),
                    choices,
                },
            });
        }
        *slot = Some(value);
        Ok(())
    }
}

fn at(position: u64, kind: DeErrorKind) -> DeError {
    DeError { position, kind }
}

impl<'a> XmlReader<'a> {
    /// Resolves `&name;` or `&#n;`: only the five predefined entities and character references
    /// (no DTD, so no other entity can be defined); anything else is an error.
    fn resolve_ref(&self, r: &BytesRef<'a>, position: u64) -> Result<Cow<'a, str>, DeError> {
        if r.is_char_ref() {
            return Ok(match r.resolve_char_ref().map_err(|e| self.syntax(e))? {
                Some(c) => Cow::Owned(c.to_string()),
                None => Cow::Borrowed(""),
            });
        }
        match quick_xml::escape::resolve_predefined_entity(r) {
            Some(s) => Ok(Cow::Borrowed(s)),
            None => Err(at(
                position,
                DeErrorKind::Syntax(format!("unknown entity &{};", &**r)),
            )),
        }
    }
}

/// Text as written: no `]]>` (XML 1.0 forbids it outside CDATA) and no character XML forbids
/// (`&#x1;` is checked where the reference is resolved). One pass over the bytes; only text
/// holding a `]`, a control byte or 0xEF is looked at closely.
fn check_raw_text(t: &quick_xml::events::BytesText<'_>, position: u64) -> Result<(), DeError> {
    if !super::suspect_text(t.as_bytes()) {
        return Ok(());
    }
    check_suspect_text(t, position)
}

/// The exact checks of [`check_raw_text`], for text the screen flagged.
fn check_suspect_text(t: &quick_xml::events::BytesText<'_>, position: u64) -> Result<(), DeError> {
    let raw: &str = t.as_ref();
    if raw.contains("]]>") {
        return Err(at(
            position,
            DeErrorKind::Syntax("\"]]>\" is not allowed in text".into()),
        ));
    }
    check_chars(raw, position)
}

fn check_chars(text: &str, position: u64) -> Result<(), DeError> {
    match super::first_non_xml_char(text) {
        None => Ok(()),
        Some(c) => Err(at(
            position,
            DeErrorKind::Syntax(format!(
                "character U+{:04X} is not allowed in XML 1.0",
                u32::from(c)
            )),
        )),
    }
}

impl<'a> XmlReader<'a> {
    /// The namespace URI of `start`; call before reading past it.
    pub fn element_uri(&self, start: &Start<'a>) -> String {
        let qname = start.qname();
        let prefix = qname.split_once(':').map_or("", |(p, _)| p);
        self.scope.element(prefix).uri().to_owned()
    }

    /// The namespace URI of attribute `a` of the element being read.
    pub fn attribute_uri(&self, a: &Attr<'a>) -> String {
        let prefix = a.qname.split_once(':').map_or("", |(p, _)| p);
        self.scope.attribute(prefix).uri().to_owned()
    }

    /// Reads mixed content of `start`: `each` gets `Ok(child)` for elements (which it must
    /// read) and `Err(text)` for text runs.
    pub fn read_mixed(
        &mut self,
        start: Start<'a>,
        mut each: impl FnMut(&mut Self, Result<Start<'a>, String>) -> Result<(), DeError>,
    ) -> Result<(), DeError> {
        if start.empty {
            return Ok(());
        }
        let mut text = String::new();
        loop {
            let position = self.position();
            let child = match self.event(position)? {
                Event::Start(s) => Some(self.start(s, false, position)?),
                Event::Empty(s) => Some(self.start(s, true, position)?),
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    if !text.is_empty() {
                        each(self, Err(std::mem::take(&mut text)))?;
                    }
                    return Ok(());
                }
                Event::Text(t) => {
                    check_raw_text(&t, position)?;
                    text.push_str(&t.xml_content(XmlVersion::Implicit1_0));
                    None
                }
                Event::CData(c) => {
                    let piece = c.into_inner();
                    check_chars(&piece, position)?;
                    text.push_str(&piece);
                    None
                }
                Event::GeneralRef(r) => {
                    let piece = self.resolve_ref(&r, position)?;
                    check_chars(&piece, position)?;
                    text.push_str(&piece);
                    None
                }
                Event::DocType(_) => return Err(at(position, DeErrorKind::DocType)),
                Event::Eof => return Err(at(position, DeErrorKind::Eof)),
                Event::Comment(_) | Event::PI(_) | Event::Decl(_) => None,
            };
            if let Some(child) = child {
                if !text.is_empty() {
                    each(self, Err(std::mem::take(&mut text)))?;
                }
                each(self, Ok(child))?;
            }
        }
    }
}
