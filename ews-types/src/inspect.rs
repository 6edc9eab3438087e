//! The logic of the `inspect` example: read a SOAP document into the generated types and,
//! optionally, check that writing it back gives the same XML.

use crate::Element;
use crate::runtime::AnyAttribute;
use crate::runtime::{
    AnyElement, DateTime, ElementSet, FromXml, Part, XmlReader, XmlValue, read_envelope,
    write_envelope,
};

/// What reading one document found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    /// The body element's local name (`GetItemResponse`, or `Fault`).
    pub element: String,
    /// Differences between the document and its re-serialization (empty when equal or not
    /// compared).
    pub differences: Vec<String>,
}

/// Reads `xml` (an envelope or a bare body element) into the generated types; with `roundtrip`,
/// writes it back and compares the two as XML.
pub fn inspect(xml: &str, roundtrip: bool) -> Result<Inspected, String> {
    let env = read_envelope::<Element>(xml).map_err(|e| e.to_string())?;
    let mut element = String::new();
    for part in env.headers.iter().chain(&env.body) {
        if let Part::Other(a) = part
            && matches!(
                a.ns,
                crate::runtime::XmlNs::Types | crate::runtime::XmlNs::Messages
            )
        {
            return Err(format!("<{}> is not an element of this schema", a.local));
        }
    }
    if let Some(p) = env.body.first() {
        element = match p {
            Part::Known(e) => e.local_name().to_owned(),
            Part::Fault(_) => "Fault".to_owned(),
            Part::Other(a) => {
                return Err(format!("<{}> is not an element of this schema", a.local));
            }
        };
    }
    let mut differences = Vec::new();
    if roundtrip {
        let written = write_envelope(&env).map_err(|e| format!("writing back: {e}"))?;
        let mut a = tree(xml).map_err(|e| format!("original: {e}"))?;
        // an empty SOAP Header says nothing: the writer leaves it out
        a.children.retain(|n| {
            !matches!(n, crate::runtime::AnyNode::Element(h)
                if h.ns == crate::runtime::XmlNs::Soap
                    && h.local == "Header"
                    && h.elements().next().is_none())
        });
        let b = tree(&written).map_err(|e| format!("written back: {e}"))?;
        compare(&a, &b, &mut String::new(), &mut differences);
    }
    Ok(Inspected {
        element,
        differences,
    })
}

fn tree(xml: &str) -> Result<AnyElement, String> {
    let mut r = XmlReader::new(xml);
    let root = r.root().map_err(|e| e.to_string())?;
    AnyElement::from_xml(&mut r, root).map_err(|e| e.to_string())
}

/// Whether two text values are equal as typed values: the same string, the same boolean
/// (`1`/`true`), the same number, or the same instant written with another offset.
pub fn same_value(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    if a == b {
        return true;
    }
    if let (Ok(x), Ok(y)) = (bool::from_text(a), bool::from_text(b)) {
        return x == y;
    }
    if let (Ok(x), Ok(y)) = (a.parse::<f64>(), b.parse::<f64>()) {
        return x == y;
    }
    if let (Ok(x), Ok(y)) = (DateTime::from_text(a), DateTime::from_text(b)) {
        return match (x.to_utc(), y.to_utc()) {
            (Some(p), Some(q)) => p == q,
            _ => x.local == y.local && x.offset == y.offset,
        };
    }
    if let (Ok(x), Ok(y)) = (
        crate::runtime::Duration::from_text(a),
        crate::runtime::Duration::from_text(b),
    ) {
        return x == y;
    }
    // base64 written with other line breaks
    let strip = |s: &str| s.split_ascii_whitespace().collect::<String>();
    strip(a) == strip(b) && !strip(a).is_empty()
}

fn compare(a: &AnyElement, b: &AnyElement, path: &mut String, out: &mut Vec<String>) {
    let len = path.len();
    path.push('/');
    path.push_str(&a.local);
    if a.local != b.local || a.ns != b.ns || a.ns_uri != b.ns_uri {
        out.push(format!(
            "{path}: element <{}> became <{}>",
            a.local, b.local
        ));
        path.truncate(len);
        return;
    }
    let same_name = |x: &AnyAttribute, y: &AnyAttribute| {
        x.ns == y.ns && x.ns_uri == y.ns_uri && x.local == y.local
    };
    for x in &a.attributes {
        let local = &x.local;
        match b.attributes.iter().find(|y| same_name(x, y)) {
            None => out.push(format!("{path}/@{local}: missing after round trip")),
            Some(y) if !same_value(&x.value, &y.value) => out.push(format!(
                "{path}/@{local}: {:?} became {:?}",
                x.value, y.value
            )),
            _ => {}
        }
    }
    for y in &b.attributes {
        if !a.attributes.iter().any(|x| same_name(x, y)) {
            out.push(format!("{path}/@{}: added by round trip", y.local));
        }
    }
    let (ta, tb) = (a.text(), b.text());
    let element_only = a.elements().next().is_some() || b.elements().next().is_some();
    if !element_only && !same_value(&ta, &tb) {
        out.push(format!("{path}: text {:?} became {:?}", cut(&ta), cut(&tb)));
    }
    let ea: Vec<&AnyElement> = a.elements().collect();
    let eb: Vec<&AnyElement> = b.elements().collect();
    for (x, y) in ea.iter().zip(&eb) {
        compare(x, y, path, out);
    }
    if ea.len() > eb.len() {
        for x in &ea[eb.len()..] {
            out.push(format!("{path}/{}: dropped by round trip", x.local));
        }
    } else {
        for y in &eb[ea.len()..] {
            out.push(format!("{path}/{}: added by round trip", y.local));
        }
    }
    path.truncate(len);
}

fn cut(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() > 60 {
        s.chars().take(60).chain("…".chars()).collect()
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENV: &str = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Body>BODY</s:Body></s:Envelope>"#;

    #[test]
    fn typed_values_compare_by_value() {
        assert!(same_value("1", "true") && same_value("0", "false"));
        assert!(same_value(
            "2024-05-01T09:00:00+02:00",
            "2024-05-01T07:00:00Z"
        ));
        assert!(!same_value(
            "2024-05-01T09:00:00+02:00",
            "2024-05-01T09:00:00Z"
        ));
        assert!(same_value("1.50", "1.5") && !same_value("1", "2"));
        assert!(same_value("PT60M", "PT60M") && !same_value("a", "b"));
    }

    #[test]
    fn round_trip_reports_what_was_lost() {
        let doc = ENV.replace(
            "BODY",
            r#"<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:Unknown>x</t:Unknown></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>"#,
        );
        let r = inspect(&doc, true).unwrap();
        assert_eq!(r.element, "GetFolder");
        assert_eq!(r.differences.len(), 1, "{:?}", r.differences);
        assert!(r.differences[0].contains("Unknown: dropped by round trip"));
        let clean = doc.replace("<t:Unknown>x</t:Unknown>", "");
        assert!(inspect(&clean, true).unwrap().differences.is_empty());
    }

    #[test]
    fn errors_carry_positions_and_unknown_ews_elements_fail() {
        let e = inspect(&ENV.replace("BODY", "<m:GetFolder><m:FolderShape>"), false).unwrap_err();
        assert!(e.starts_with("at byte "), "{e}");
        let e = inspect(&ENV.replace("BODY", "<m:NoSuchOperation/>"), false).unwrap_err();
        assert!(e.contains("NoSuchOperation"), "{e}");
    }
}
