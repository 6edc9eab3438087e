//! Names and namespaces as XML 1.0 and Namespaces 1.0 require them, checked once where a
//! start tag enters the tree: QNames, declared prefixes, attributes (no duplicates after
//! resolution, no `<`, reserved prefixes bound right, namespace names of allowed characters).

use std::borrow::Cow;

use quick_xml::XmlVersion;
use quick_xml::name::QName;

use super::XmlReader;
use super::scope::{Resolved, XML_URI, XMLNS_URI, prefix_of};

/// ASCII bytes that may start a name part (letters, `_`), looked up once per byte.
const ASCII_START: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphabetic() || b == b'_';
        c += 1;
    }
    t
};

/// Classes of the bytes of a name, or-ed together over a name: a byte that continues a name
/// part (ASCII letters, digits, `_`, `-`, `.`) adds nothing; the colon, anything else, and the
/// whitespace that ends a tag's name each add their bit.
const COLON: u8 = 1;
const OTHER: u8 = 2;
const SPACE: u8 = 4;
const CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.') {
            t[c] = 0;
        } else if b == b':' {
            t[c] = COLON;
        } else if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
            t[c] = SPACE;
        }
        c += 1;
    }
    t
};

/// A tag's name in one pass over the tag's text: its length (up to the first whitespace, as
/// quick-xml counts it) and, when it is a QName of ASCII name characters, where its local
/// part starts (what [`check_qname`] would answer). Other names are left to `check_qname`.
#[inline]
pub(super) fn scan_name(content: &[u8]) -> (usize, Option<usize>) {
    let mut classes = Classes::default();
    let mut len = content.len();
    for (i, &c) in content.iter().enumerate() {
        if CLASS[c as usize] == SPACE {
            len = i;
            break;
        }
        classes.add(i, c);
    }
    (len, classes.ascii_qname(&content[..len]))
}

/// What one pass over a name found: its bytes' classes, how many colons, where the last was.
#[derive(Default)]
struct Classes {
    flags: u8,
    colons: usize,
    colon: usize,
}

impl Classes {
    #[inline(always)]
    fn add(&mut self, i: usize, c: u8) {
        let class = CLASS[c as usize];
        self.flags |= class;
        self.colons += usize::from(class == COLON);
        self.colon = if class == COLON { i } else { self.colon };
    }

    /// Where the local part of `name` starts, if it is a QName of ASCII name characters.
    #[inline]
    fn ascii_qname(&self, name: &[u8]) -> Option<usize> {
        let &first = name.first()?;
        if !ASCII_START[first as usize] || self.flags & (OTHER | SPACE) != 0 {
            return None;
        }
        match self.colons {
            0 => Some(0),
            1 => {
                let local = self.colon + 1;
                name.get(local)
                    .is_some_and(|&c| ASCII_START[c as usize])
                    .then_some(local)
            }
            _ => None,
        }
    }
}

/// Whether `name` is a QName of XML Namespaces 1.0: an NCName, or two joined by one colon.
/// Gives where its local part starts (after the colon, or 0).
pub(super) fn check_qname(name: &str) -> Result<usize, String> {
    // the common case, in one pass: ASCII name parts, at most one colon
    let b = name.as_bytes();
    let mut classes = Classes::default();
    for (i, &c) in b.iter().enumerate() {
        classes.add(i, c);
    }
    if let Some(local) = classes.ascii_qname(b) {
        return Ok(local);
    }
    let ncname = |n: &str| {
        let mut chars = n.chars();
        chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
    };
    let ok = match name.split_once(':') {
        None => ncname(name).then_some(0),
        Some((prefix, local)) => (ncname(prefix) && ncname(local)).then_some(prefix.len() + 1),
    };
    if let Some(local_at) = ok {
        Ok(local_at)
    } else {
        Err(format!("{name:?} is not a valid name"))
    }
}

/// XML 1.0 `NameStartChar`, without the colon.
fn is_name_start(c: char) -> bool {
    matches!(c, 'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 `NameChar`, without the colon.
fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

impl<'a> XmlReader<'a> {
    /// The attributes of a start tag as XML Namespaces 1.0 requires them: valid names, every
    /// prefix declared, no attribute twice (by name, or by namespace and local name), no
    /// prefix bound to nothing or to the reserved namespaces wrongly. The tag's namespace
    /// declarations enter the scope here, for the element at `depth`.
    pub(super) fn check_attributes(
        &mut self,
        content: &'a str,
        name_len: usize,
        depth: usize,
    ) -> Result<(), String> {
        let mut seen: Seen<(&str, &str)> = Seen::default();
        // prefixed attributes, resolved once every declaration of the tag is in scope
        let mut prefixed: Vec<(&'a str, &'a str)> = Vec::new();
        let mut attributes = quick_xml::events::attributes::Attributes::new(content, name_len);
        attributes.with_checks(false);
        for a in attributes {
            let a = a.map_err(|e| e.to_string())?;
            let QName(key) = a.key;
            let local_at = check_qname(key)?;
            let (prefix, local) = (prefix_of(key, local_at), &key[local_at..]);
            if !seen.insert((prefix, local)) {
                return Err(format!("the attribute {key:?} occurs twice"));
            }
            if a.value.contains('<') {
                return Err(format!("the value of {key:?} contains an unescaped '<'"));
            }
            let namespace = prefix == "xmlns" || (prefix.is_empty() && local == "xmlns");
            if !namespace {
                // other values are checked when they are read (`attributes`), so nothing
                // unwritable is ever handed out
                if !matches!(prefix, "" | "xml") {
                    prefixed.push((prefix, local));
                }
                continue;
            }
            // Namespace names are checked here for characters XML forbids.
            let normalized: Cow<'a, str> = match a.value {
                Cow::Borrowed(v) if !v.contains('&') => Cow::Borrowed(v),
                _ => Cow::Owned(
                    a.normalized_value(XmlVersion::Implicit1_0)
                        .map_err(|e| e.to_string())?
                        .into_owned(),
                ),
            };
            if let Some(c) = crate::runtime::first_non_xml_char(&normalized) {
                return Err(format!(
                    "the value of {key:?} holds U+{:04X}, which XML 1.0 forbids",
                    c as u32
                ));
            }
            if let Err(why) = check_uri(&normalized) {
                return Err(format!(
                    "the namespace name {:?} is no URI: {why}",
                    &*normalized
                ));
            }
            let v: &str = &normalized;
            if prefix.is_empty() {
                if matches!(v, XML_URI | XMLNS_URI) {
                    return Err("a reserved namespace cannot be the default".into());
                }
                self.scope.declare("", normalized, depth)?;
            } else {
                if v.is_empty() {
                    return Err(format!("the prefix {local:?} is bound to no namespace"));
                }
                if local == "xmlns" || (local == "xml") != (v == XML_URI) || v == XMLNS_URI {
                    return Err(format!("the prefix {local:?} cannot be bound to {v:?}"));
                }
                if local != "xml" {
                    self.scope.declare(local, normalized, depth)?;
                }
            }
        }
        if prefixed.len() > 1 {
            let mut resolved: Seen<(&str, &str)> = Seen::default();
            for (p, l) in prefixed {
                let uri = match self.scope.attribute(p) {
                    Resolved::Bound(_, uri) => uri,
                    _ => return Err(format!("the prefix {p:?} is not declared")),
                };
                if !resolved.insert((uri, l)) {
                    return Err(format!(
                        "two attributes named {l:?} in the namespace {uri:?}"
                    ));
                }
            }
        } else if let Some((p, _)) = prefixed.first()
            && self.scope.attribute(p) == Resolved::Undeclared
        {
            return Err(format!("the prefix {p:?} is not declared"));
        }
        Ok(())
    }
}

/// A set that stays a short list for the few attributes elements have, and hashes beyond.
enum Seen<T> {
    Few(Vec<T>),
    Many(std::collections::HashSet<T>),
}

impl<T> Default for Seen<T> {
    fn default() -> Self {
        Seen::Few(Vec::new())
    }
}

impl<T: Eq + std::hash::Hash> Seen<T> {
    /// Adds `x`; false when it was there.
    fn insert(&mut self, x: T) -> bool {
        match self {
            Seen::Few(v) if v.contains(&x) => false,
            Seen::Few(v) if v.len() < 16 => {
                v.push(x);
                true
            }
            Seen::Few(v) => {
                let mut set: std::collections::HashSet<T> = v.drain(..).collect();
                set.insert(x);
                *self = Seen::Many(set);
                true
            }
            Seen::Many(set) => set.insert(x),
        }
    }
}

/// Whether a namespace name is a URI reference as RFC 3986 spells one (what Namespaces 1.0
/// requires and libxml2 checks): ASCII letters, digits and `-._~:/?#@!$&'()*+,;=`, `%`
/// followed by two hexadecimal digits, and `[`/`]` only in an authority (`//[::1]/`). A
/// relative reference passes (Namespaces 1.0 deprecates it; libxml2 warns and accepts).
fn check_uri(name: &str) -> Result<(), String> {
    let authority_end = name
        .find("//")
        .map(|start| {
            let rest = &name[start + 2..];
            start + 2 + rest.find(['/', '?', '#']).unwrap_or(rest.len())
        })
        .unwrap_or(0);
    let bytes = name.as_bytes();
    let mut i = 0;
    for (at, c) in name.char_indices() {
        if at < i {
            continue;
        }
        i = at + c.len_utf8();
        let fine = c.is_ascii_alphanumeric()
            || "-._~:/?#@!$&'()*+,;=".contains(c)
            || (matches!(c, '[' | ']') && at < authority_end);
        if fine {
            continue;
        }
        if c == '%' {
            let hex = |k: usize| bytes.get(at + k).is_some_and(u8::is_ascii_hexdigit);
            if hex(1) && hex(2) {
                i = at + 3;
                continue;
            }
            return Err("'%' must be followed by two hexadecimal digits".into());
        }
        return Err(format!("{c:?} cannot appear in a URI"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{check_qname, scan_name};

    #[test]
    fn qnames_as_namespaces_1_0_defines_them() {
        for ok in [
            "a",
            "a:b",
            "_x-1.2:y_3",
            "t:CalendarItem",
            "é",
            "p:é",
            "a·b",
        ] {
            assert!(check_qname(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", ":a", "a:", "a:b:c", "1a", "a:1", "-a", "a b", "a::b", "p:-x", ".a",
        ] {
            assert!(check_qname(bad).is_err(), "{bad:?}");
        }
        // where the local part starts, in the ASCII pass and the general one
        for (name, local) in [
            ("a", "a"),
            ("t:CalendarItem", "CalendarItem"),
            ("_x-1.2:y_3", "y_3"),
            ("p:é", "é"),
            ("é:x", "x"),
        ] {
            assert_eq!(&name[check_qname(name).unwrap()..], local, "{name}");
        }
    }

    #[test]
    fn a_tag_name_is_measured_and_checked_in_one_pass() {
        for (content, len, local) in [
            ("t:Foo a='1'", 5, Some(2)),
            ("t:Foo\ta='1'", 5, Some(2)),
            ("Foo", 3, Some(0)),
            ("a:b:c x", 5, None),
            ("é", 2, None),
            ("1a", 2, None),
            ("a: x", 2, None),
            (":a", 2, None),
            (" a", 0, None),
            ("", 0, None),
        ] {
            assert_eq!(scan_name(content.as_bytes()), (len, local), "{content:?}");
            // the same verdict as the full check, and quick-xml's length
            let name = &content[..len];
            assert_eq!(
                local,
                check_qname(name).ok().filter(|_| name.is_ascii()),
                "{content:?}"
            );
            assert_eq!(
                len,
                quick_xml::utils::name_len(content.as_bytes()),
                "{content:?}"
            );
        }
    }
}
