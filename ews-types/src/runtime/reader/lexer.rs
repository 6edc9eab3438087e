//! The document's events, cut straight from the `&str` it is: quick-xml's own parsers find
//! where each piece of markup ends, and its event types carry the pieces.
//!
//! quick-xml's `Reader` reads bytes, so it checks every event's UTF-8 again, although a
//! `&str` is valid UTF-8 already: that check was a quarter of the reading time (see
//! BENCHMARKS.md, "Reading events from the string"). This lexer hands out the same events for
//! the configuration the reader used (`expand_empty_elements = false`, `check_end_names`,
//! no trimming, text split at references), with the same errors. Every cut is at an ASCII
//! delimiter (`<`, `>`, `&`, `;`), so every slice is a `str` slice, checked by the slicing.
//! End tags are matched against the open elements' names as borrowed slices, not copies.

use quick_xml::errors::{Error, IllFormedError, SyntaxError};
use quick_xml::events::{
    BytesCData, BytesDecl, BytesEnd, BytesPI, BytesRef, BytesStart, BytesText, Event,
};
use quick_xml::parser::{ElementParser, Parser, PiParser};
use quick_xml::utils::is_whitespace;

use super::names::scan_name;

/// A pull lexer over a whole document.
pub(super) struct Lexer<'a> {
    input: &'a str,
    /// Offset of the next unread byte.
    pos: usize,
    /// Where the last error was found.
    error_pos: usize,
    /// The names of the elements open, outermost first.
    open: Vec<&'a str>,
    /// Nothing more to read (the end, or an error).
    done: bool,
    /// Where the local part of the last start tag's name starts, when the name was found to
    /// be a QName of ASCII name characters while it was measured.
    local: Option<usize>,
}

impl<'a> Lexer<'a> {
    /// A lexer over `input`; a byte order mark is skipped.
    pub(super) fn new(input: &'a str) -> Self {
        Lexer {
            input,
            pos: if input.starts_with('\u{FEFF}') { 3 } else { 0 },
            error_pos: 0,
            open: Vec::with_capacity(16),
            done: false,
            local: None,
        }
    }

    /// Offset just past the last event read.
    #[inline]
    pub(super) fn buffer_position(&self) -> u64 {
        self.pos as u64
    }

    /// Where the local part of the last start tag's name starts, if the name is a QName of
    /// ASCII name characters (checked as it was measured); otherwise the name is unchecked.
    #[inline]
    pub(super) fn checked_local(&self) -> Option<usize> {
        self.local
    }

    /// Offset of the last error.
    pub(super) fn error_position(&self) -> u64 {
        self.error_pos as u64
    }

    /// The next event; after an error or the end, [`Event::Eof`].
    #[inline]
    pub(super) fn read_event(&mut self) -> Result<Event<'a>, Error> {
        if self.done {
            return Ok(Event::Eof);
        }
        let result = self.next_event();
        if result.is_err() {
            self.done = true;
        }
        result
    }

    fn next_event(&mut self) -> Result<Event<'a>, Error> {
        let bytes = self.input.as_bytes();
        let start = self.pos;
        match bytes.get(start) {
            None => {
                self.done = true;
                Ok(Event::Eof)
            }
            Some(b'<') => self.markup(start),
            Some(b'&') => self.reference(start),
            Some(_) => {
                let end =
                    memchr::memchr2(b'<', b'&', &bytes[start..]).map_or(bytes.len(), |i| start + i);
                self.pos = end;
                Ok(Event::Text(BytesText::from_escaped(
                    &self.input[start..end],
                )))
            }
        }
    }

    /// `&name;` or `&#n;` at `start`, handed out without its `&` and `;`.
    fn reference(&mut self, start: usize) -> Result<Event<'a>, Error> {
        let bytes = self.input.as_bytes();
        match memchr::memchr3(b';', b'&', b'<', &bytes[start + 1..]) {
            Some(i) if bytes[start + 1 + i] == b';' => {
                self.pos = start + i + 2;
                Ok(Event::GeneralRef(BytesRef::new(
                    &self.input[start + 1..start + 1 + i],
                )))
            }
            _ => self.fail(start, Error::IllFormed(IllFormedError::UnclosedReference)),
        }
    }

    /// Markup at `start` (a `<`).
    fn markup(&mut self, start: usize) -> Result<Event<'a>, Error> {
        let rest = &self.input.as_bytes()[start..];
        match rest.get(1) {
            Some(b'!') => self.bang(start),
            Some(b'/') => {
                let gt = self.tag_end(start)?;
                self.end_tag(start, gt)
            }
            Some(b'?') => {
                let Some(i) = PiParser(false).feed(rest) else {
                    let e = PiParser(false).eof_error(rest);
                    return self.fail(start, Error::Syntax(e));
                };
                self.pos = start + i + 1;
                // at least `<??>`
                if i < 3 {
                    let e = PiParser(false).eof_error(&rest[..=i]);
                    return self.fail(start, Error::Syntax(e));
                }
                let content = &self.input[start + 2..start + i - 1];
                let b = content.as_bytes();
                if b.starts_with(b"xml") && (b.len() == 3 || is_whitespace(b[3])) {
                    let decl = BytesStart::from_content(content, 3);
                    Ok(Event::Decl(BytesDecl::from_start(decl)))
                } else {
                    Ok(Event::PI(BytesPI::new(content)))
                }
            }
            Some(_) => {
                let gt = self.tag_end(start)?;
                self.pos = gt + 1;
                let content = &self.input[start + 1..gt];
                if let Some(content) = content.strip_suffix('/') {
                    let len;
                    (len, self.local) = scan_name(content.as_bytes());
                    Ok(Event::Empty(BytesStart::from_content(content, len)))
                } else {
                    let len;
                    (len, self.local) = scan_name(content.as_bytes());
                    self.open.push(&content[..len]);
                    Ok(Event::Start(BytesStart::from_content(content, len)))
                }
            }
            None => self.fail(start, Error::Syntax(SyntaxError::UnclosedTag)),
        }
    }

    /// The `>` closing the tag at `start`, outside quoted values.
    #[inline]
    fn tag_end(&mut self, start: usize) -> Result<usize, Error> {
        let rest = &self.input.as_bytes()[start + 1..];
        let mut parser = ElementParser::default();
        match parser.feed(rest) {
            Some(i) => Ok(start + 1 + i),
            None => self.fail(start, Error::Syntax(parser.eof_error(rest))),
        }
    }

    /// `</name>` from `start` to `gt`: it closes the innermost open element.
    fn end_tag(&mut self, start: usize, gt: usize) -> Result<Event<'a>, Error> {
        self.pos = gt + 1;
        let content = &self.input[start + 2..gt];
        let name = content.trim_end_matches(|c: char| c.is_ascii() && is_whitespace(c as u8));
        match self.open.pop() {
            Some(expected) if expected == name => Ok(Event::End(BytesEnd::new(name))),
            Some(expected) => {
                let e = IllFormedError::MismatchedEndTag {
                    expected: expected.to_owned(),
                    found: name.to_owned(),
                };
                self.fail(start, Error::IllFormed(e))
            }
            None => {
                let e = IllFormedError::UnmatchedEndTag(name.to_owned());
                self.fail(start, Error::IllFormed(e))
            }
        }
    }

    /// `<!--…-->`, `<![CDATA[…]]>` or `<!DOCTYPE…` at `start`. A document type declaration
    /// is handed out as soon as it is recognized: the reader refuses it, so its end is never
    /// looked for.
    fn bang(&mut self, start: usize) -> Result<Event<'a>, Error> {
        let rest = &self.input.as_bytes()[start..];
        let (open, close, unclosed) = match rest.get(2) {
            Some(b'-') => ("<!--", "-->", SyntaxError::UnclosedComment),
            Some(b'[') => ("<![CDATA[", "]]>", SyntaxError::UnclosedCData),
            Some(b'D' | b'd') => {
                if rest.len() >= 9 && rest[..9].eq_ignore_ascii_case(b"<!DOCTYPE") {
                    self.pos = start + 9;
                    return Ok(Event::DocType(BytesText::from_escaped("")));
                }
                return self.fail(start, Error::Syntax(SyntaxError::UnclosedDoctype));
            }
            _ => return self.fail(start, Error::Syntax(SyntaxError::InvalidBangMarkup)),
        };
        if !rest.starts_with(open.as_bytes()) {
            return self.fail(start, Error::Syntax(unclosed));
        }
        let from = start + open.len();
        let Some(i) = memchr::memmem::find(&self.input.as_bytes()[from..], close.as_bytes()) else {
            return self.fail(start, Error::Syntax(unclosed));
        };
        let body = &self.input[from..from + i];
        self.pos = from + i + close.len();
        Ok(if open == "<!--" {
            Event::Comment(BytesText::from_escaped(body))
        } else {
            Event::CData(BytesCData::new(body))
        })
    }

    /// Records an error found at `at`; nothing more is read.
    #[cold]
    fn fail<T>(&mut self, at: usize, e: Error) -> Result<T, Error> {
        self.error_pos = at;
        self.pos = self.input.len();
        self.done = true;
        Err(e)
    }
}

#[cfg(test)]
mod tests {
    use quick_xml::events::Event;
    use quick_xml::reader::Reader;

    use super::Lexer;

    /// Each event as text, and the error (quick-xml's message) if there is one.
    fn events_of(
        mut next: impl FnMut() -> Result<Event<'static>, quick_xml::Error>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            match next() {
                Ok(Event::Eof) => return out,
                Ok(e) => out.push(format!("{e:?}")),
                Err(e) => {
                    out.push(format!("error: {e}"));
                    return out;
                }
            }
        }
    }

    fn lexed(xml: &'static str) -> Vec<String> {
        let mut l = Lexer::new(xml);
        events_of(move || l.read_event())
    }

    fn quick_xml(xml: &'static str) -> Vec<String> {
        let mut r = Reader::from_str(xml);
        r.config_mut().check_end_names = true;
        events_of(move || r.read_event())
    }

    #[test]
    fn the_events_and_errors_are_quick_xml_s() {
        for xml in [
            "<?xml version=\"1.0\"?><a x='1>2' y=\"'\">t&amp;u&#x41;<b/><!-- c - d --><![CDATA[<]]]]></a >",
            "\u{FEFF}<a><?pi data?></a>",
            "<a>\r\ntext</a>  ",
            "<a></b>",
            "</a>",
            "<a>&amp</a>",
            "<a>&amp<b/></a>",
            "<a>&am&p;</a>",
            "<a><!- x --></a>",
            "<a><!-- x -></a>",
            "<a><![CDATA[ x ]></a>",
            "<a><![CDAT[ x ]]></a>",
            "<a><!x></a>",
            "<a><?></a>",
            "<a><??></a>",
            "<a><?x",
            "<a b='1",
            "<a b=\"1",
            "<a",
            "<",
            "<a>x<",
            "<a></a",
            "<a/><b></b>text",
            "<a><!----></a>",
            "<a><!---></a>--></a>",
        ] {
            assert_eq!(lexed(xml), quick_xml(xml), "{xml:?}");
        }
    }

    #[test]
    fn a_document_type_declaration_is_handed_out_at_once() {
        let mut l = Lexer::new("<!DOCTYPE a [<!ENTITY e 'x'>]><a/>");
        assert!(matches!(l.read_event(), Ok(Event::DocType(_))));
        let mut l = Lexer::new("<!DOCTYP a><a/>");
        assert!(l.read_event().is_err());
        assert_eq!(l.error_position(), 0);
        assert!(matches!(l.read_event(), Ok(Event::Eof)));
    }

    #[test]
    fn positions_are_offsets_in_the_document() {
        let mut l = Lexer::new("<a>x</b>");
        l.read_event().unwrap();
        assert_eq!(l.buffer_position(), 3);
        l.read_event().unwrap();
        assert_eq!(l.buffer_position(), 4);
        assert!(l.read_event().is_err());
        assert_eq!(l.error_position(), 4);
    }
}
