//! The hand-written runtime that the generated bindings lean on.
//!
//! Generated code stays thin: each type gets a struct or enum and two short functions that call
//! into [`XmlReader`] and [`XmlWriter`]. Namespace matching, depth limits, escaping, value
//! parsing and the SOAP envelope live here, written once.

mod any;
mod error;
mod facets;
mod nonempty;
mod reader;
mod soap;
mod status;
mod traits;
mod values;
mod writer;

pub use any::{AnyAttribute, AnyElement, AnyNode};
/// The string type of text values: inline up to 24 bytes, else on the heap (`compact_str`).
pub use compact_str::CompactString;
pub use error::{DeError, DeErrorKind, SerError, ValueError};
pub use facets::Facets;
pub use nonempty::{EmptyList, NonEmpty};
pub use reader::{Attr, ReaderConfig, Start, XmlReader};
pub use soap::{
    Envelope, Fault, FaultDetail, Part, SOAP_NS, read_envelope, read_envelope_with, write_envelope,
};
pub use status::{MessageStatus, NoMessage, ResponseBody, ResponseMessage};
pub use traits::{ElementSet, FromXml, Operation, ToXml, XmlGroup, XmlValue};
pub use values::{Base64Binary, Date, DateTime, Decimal, Duration, HexBinary, Time};
pub use writer::XmlWriter;

/// Whether `c` is an XML 1.0 `Char`: what a document may hold, raw or as a reference.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The first character of `s` that XML 1.0 forbids, if any. Scans bytes first: only a control
/// byte or the lead byte of U+FFFE/U+FFFF (0xEF) needs a closer look.
pub(crate) fn first_non_xml_char(s: &str) -> Option<char> {
    if any_byte(s.as_bytes(), suspect_char) {
        s.chars().find(|c| !is_xml_char(*c))
    } else {
        None
    }
}

/// A byte that may begin a character XML 1.0 forbids: a control other than tab, LF and CR, or
/// the lead byte of U+FFFE/U+FFFF.
#[inline(always)]
pub(crate) fn suspect_char(b: u8) -> bool {
    // bitwise, not short-circuit, so that a loop of it vectorizes
    ((b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r')) | (b == 0xEF)
}

/// Whether any byte of `b` is `suspect`, 32 bytes at a time without a branch per byte (so the
/// compiler vectorizes it): text is long and almost never suspect.
#[inline(always)]
pub(crate) fn any_byte(b: &[u8], suspect: impl Fn(u8) -> bool) -> bool {
    let mut chunks = b.chunks_exact(32);
    for chunk in &mut chunks {
        let mut hit = false;
        for &x in chunk {
            hit |= suspect(x);
        }
        if hit {
            return true;
        }
    }
    chunks.remainder().iter().any(|&x| suspect(x))
}

/// Whether text may hold `]]>` or a character XML 1.0 forbids: a byte below 0x20 (tab, LF and
/// CR included, for the caller to look at), 0xEF, or `]`. Eight bytes at a time in a word
/// (most text values are short: dates, flags, names), the tail padded with spaces.
#[inline]
pub(crate) fn suspect_text(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // a byte of `v` is below `n` (n <= 0x80), or equal to `c`: the classic word tricks
    let below = |v: u64, n: u64| v.wrapping_sub(ONES * n) & !v & HIGH;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let word =
        |v: u64| below(v, 0x20) | zero(v ^ (ONES * 0xEF)) | zero(v ^ (ONES * u64::from(b']')));
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        if word(u64::from_le_bytes(c.try_into().expect("8 bytes"))) != 0 {
            return true;
        }
    }
    let rest = chunks.remainder();
    if rest.is_empty() {
        return false;
    }
    let mut last = [b' '; 8];
    last[..rest.len()].copy_from_slice(rest);
    word(u64::from_le_bytes(last)) != 0
}

/// The namespaces the bindings know by name; others are [`XmlNs::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum XmlNs {
    /// `http://schemas.microsoft.com/exchange/services/2006/types`, written with prefix `t`.
    Types,
    /// `http://schemas.microsoft.com/exchange/services/2006/messages`, written with prefix `m`.
    Messages,
    /// `http://schemas.microsoft.com/exchange/services/2006/errors` (fault details).
    Errors,
    /// `http://schemas.xmlsoap.org/soap/envelope/`, written with prefix `s`.
    Soap,
    /// `http://www.w3.org/XML/1998/namespace` (`xml:lang`).
    Xml,
    /// `http://www.w3.org/2001/XMLSchema-instance`.
    Xsi,
    /// No namespace.
    #[default]
    None,
    /// Any other namespace.
    Other,
}

impl XmlNs {
    /// The namespace URI (empty for [`XmlNs::None`] and [`XmlNs::Other`]).
    pub const fn uri(self) -> &'static str {
        match self {
            XmlNs::Types => "http://schemas.microsoft.com/exchange/services/2006/types",
            XmlNs::Messages => "http://schemas.microsoft.com/exchange/services/2006/messages",
            XmlNs::Errors => "http://schemas.microsoft.com/exchange/services/2006/errors",
            XmlNs::Soap => "http://schemas.xmlsoap.org/soap/envelope/",
            XmlNs::Xml => "http://www.w3.org/XML/1998/namespace",
            XmlNs::Xsi => "http://www.w3.org/2001/XMLSchema-instance",
            XmlNs::None | XmlNs::Other => "",
        }
    }

    /// The prefix this crate writes for the namespace.
    pub const fn prefix(self) -> &'static str {
        match self {
            XmlNs::Types => "t",
            XmlNs::Messages => "m",
            XmlNs::Errors => "e",
            XmlNs::Soap => "s",
            XmlNs::Xml => "xml",
            XmlNs::Xsi => "xsi",
            XmlNs::None | XmlNs::Other => "",
        }
    }

    /// Classifies a namespace URI.
    pub fn from_uri(uri: &str) -> XmlNs {
        match uri {
            "http://schemas.microsoft.com/exchange/services/2006/types" => XmlNs::Types,
            "http://schemas.microsoft.com/exchange/services/2006/messages" => XmlNs::Messages,
            "http://schemas.microsoft.com/exchange/services/2006/errors" => XmlNs::Errors,
            "http://schemas.xmlsoap.org/soap/envelope/"
            | "http://www.w3.org/2003/05/soap-envelope" => XmlNs::Soap,
            "http://www.w3.org/XML/1998/namespace" => XmlNs::Xml,
            "http://www.w3.org/2001/XMLSchema-instance" => XmlNs::Xsi,
            "" => XmlNs::None,
            _ => XmlNs::Other,
        }
    }
}

#[cfg(test)]
mod char_tests {
    use super::first_non_xml_char;

    #[test]
    fn suspect_text_finds_every_suspect_byte_at_every_place() {
        for len in 0..40 {
            let clean = vec![b'a'; len];
            assert!(!super::suspect_text(&clean), "{len}");
            let high = "é".repeat(len / 2);
            assert!(!super::suspect_text(high.as_bytes()), "{len}");
            for at in 0..len {
                for bad in [0u8, 1, b'\t', b'\n', b'\r', 0x1F, 0xEF, b']'] {
                    let mut s = clean.clone();
                    s[at] = bad;
                    assert!(super::suspect_text(&s), "{len} {at} {bad}");
                }
                for fine in [b' ', b'~', 0x7F, 0x80, 0xEE, 0xF0, b'^', b'\\'] {
                    let mut s = clean.clone();
                    s[at] = fine;
                    assert!(!super::suspect_text(&s), "{len} {at} {fine}");
                }
            }
        }
    }

    #[test]
    fn forbidden_characters_are_found_wherever_they_are() {
        for len in [0, 1, 31, 32, 33, 64, 95, 200] {
            let clean = "é".repeat(len / 2) + &"a".repeat(len % 2);
            assert_eq!(first_non_xml_char(&clean), None, "{len}");
            for at in [0, len / 2, len] {
                for bad in ['\u{1}', '\u{FFFE}', '\u{FFFF}', '\u{1F}'] {
                    let mut s: String = clean.chars().take(at).collect();
                    s.push(bad);
                    s.extend(clean.chars().skip(at));
                    assert_eq!(first_non_xml_char(&s), Some(bad), "{len} {at} {bad:?}");
                }
            }
        }
        assert_eq!(first_non_xml_char("tab\tlf\ncr\r\u{EFFF}\u{FFFD}"), None);
    }
}
