//! Envelopes: reading requests, writing responses and SOAP faults.

use ews_types::runtime::{Envelope, Part, write_envelope};
use ews_types::{Element, m, t};

/// A SOAP fault to send (HTTP 500).
#[derive(Debug, Clone)]
pub(crate) struct Fault {
    pub code: m::ResponseCode,
    pub message: String,
    /// `<t:Value Name="…">` entries of `MessageXml`.
    pub values: Vec<(&'static str, String)>,
}

impl Fault {
    pub fn new(code: m::ResponseCode, message: impl Into<String>) -> Self {
        Fault {
            code,
            message: message.into(),
            values: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.values.push((name, value.into()));
        self
    }

    pub fn to_xml(&self) -> String {
        use ews_types::runtime::XmlValue;
        let code = self.code.to_text();
        let msg = escape(&self.message);
        let values: String = self
            .values
            .iter()
            .map(|(n, v)| format!(r#"<t:Value Name="{n}">{}</t:Value>"#, escape(v)))
            .collect();
        format!(
            concat!(
                r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>"#,
                r#"<faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:{code}</faultcode>"#,
                r#"<faultstring xml:lang="en-US">{msg}</faultstring><detail>"#,
                r#"<e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">{code}</e:ResponseCode>"#,
                r#"<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">{msg}</e:Message>"#,
                r#"<t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">{values}</t:MessageXml>"#,
                r#"</detail></s:Fault></s:Body></s:Envelope>"#
            ),
            code = code,
            msg = msg,
            values = values
        )
    }
}

/// Escapes text for XML content and attributes.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// 1-based line and column of byte `pos` in `text`.
pub(crate) fn line_col(text: &str, pos: u64) -> (usize, usize) {
    let pos = (pos as usize).min(text.len());
    let before = &text.as_bytes()[..pos];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let col = pos
        - before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    (line, col)
}

/// A response envelope with `ServerVersionInfo`; an error if the answer cannot be written (the
/// caller answers with a fault instead, so nothing unwritable leaves the server half-done).
pub(crate) fn response(body: m::GlobalElement) -> Result<String, ews_types::runtime::SerError> {
    let env = Envelope {
        headers: vec![Part::Known(Element::Types(
            t::GlobalElement::ServerVersionInfo(t::ServerVersionInfo {
                major_version: Some(15),
                minor_version: Some(2),
                major_build_number: Some(1544),
                minor_build_number: Some(4),
                version: Some("V2018_01_08".into()),
            }),
        ))],
        body: vec![Part::Known(Element::Messages(body))],
        bare: false,
    };
    write_envelope(&env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("abc", 0), (1, 1));
    }
}
