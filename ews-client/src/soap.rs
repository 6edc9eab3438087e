//! SOAP envelopes for EWS: the request (typed headers + body) and the response (server
//! version, body or fault), both through the generated bindings and their hardened runtime.

use ews_types::m::ResponseCode;
use ews_types::runtime::{
    DeError, Fault, FromXml, Operation, SerError, Start, ToXml, XmlNs, XmlReader, XmlValue,
    XmlWriter,
};
use ews_types::t;

use crate::error::{Error, ErrorKind};
use crate::retry::parse_back_off;

/// The SOAP headers a request may carry; each is written only when the operation's WSDL
/// binding accepts it.
#[derive(Debug, Clone)]
pub(crate) struct RequestHeaders {
    pub version: t::ExchangeVersion,
    pub culture: Option<String>,
    pub time_zone: Option<t::TimeZoneContext>,
    pub precision: Option<t::DateTimePrecision>,
    pub impersonation: Option<t::ExchangeImpersonation>,
}

/// Writes the request envelope for `req`.
pub(crate) fn write_request<O: Operation>(req: &O, h: &RequestHeaders) -> Result<String, Error> {
    let accepts = |name: &str| O::INPUT_HEADERS.contains(&name);
    if h.impersonation.is_some() && !accepts("ExchangeImpersonation") {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "this operation does not accept the ExchangeImpersonation header",
        ));
    }
    let ser = |e: SerError| Error::new(ErrorKind::InvalidInput, e.to_string());
    let mut w = XmlWriter::inside_declared();
    w.raw(concat!(
        r#"<?xml version="1.0" encoding="utf-8"?>"#,
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/""#,
        r#" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages""#,
        r#" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">"#,
        "<s:Header>"
    ));
    if accepts("RequestServerVersion") {
        t::RequestServerVersion { version: h.version }
            .to_xml(&mut w, XmlNs::Types, "RequestServerVersion")
            .map_err(ser)?;
    }
    if let Some(c) = &h.culture
        && accepts("MailboxCulture")
    {
        w.value(XmlNs::Types, "MailboxCulture", c).map_err(ser)?;
    }
    if let Some(i) = &h.impersonation {
        i.to_xml(&mut w, XmlNs::Types, "ExchangeImpersonation")
            .map_err(ser)?;
    }
    if let Some(tz) = &h.time_zone
        && accepts("TimeZoneContext")
    {
        tz.to_xml(&mut w, XmlNs::Types, "TimeZoneContext")
            .map_err(ser)?;
    }
    if let Some(p) = &h.precision
        && accepts("DateTimePrecision")
    {
        w.value(XmlNs::Types, "DateTimePrecision", p).map_err(ser)?;
    }
    w.raw("</s:Header><s:Body>");
    req.to_xml(&mut w, XmlNs::Messages, O::REQUEST_ELEMENT)
        .map_err(ser)?;
    w.raw("</s:Body></s:Envelope>");
    Ok(w.into_string())
}

/// A parsed response envelope.
pub(crate) struct ParsedResponse<R> {
    pub server_version: Option<t::ServerVersionInfo>,
    pub body: Result<R, Fault>,
}

/// Reads a response envelope whose body must be `expected` (or a fault).
pub(crate) fn read_response<R: FromXml>(
    xml: &str,
    expected: &str,
) -> Result<ParsedResponse<R>, DeError> {
    let mut r = XmlReader::new(xml);
    let root = r.root()?;
    if (root.ns, root.local) != (XmlNs::Soap, "Envelope") {
        return Err(unexpected(&r, "a SOAP Envelope", &root));
    }
    let mut server_version = None;
    let mut body = None;
    while let Some(section) = r.next_child(&root)? {
        match (section.ns, section.local) {
            (XmlNs::Soap, "Header") => {
                while let Some(c) = r.next_child(&section)? {
                    if (c.ns, c.local) == (XmlNs::Types, "ServerVersionInfo") {
                        server_version = Some(t::ServerVersionInfo::from_xml(&mut r, c)?);
                    } else {
                        r.skip(c)?;
                    }
                }
            }
            (XmlNs::Soap, "Body") if body.is_none() => {
                let Some(c) = r.next_child(&section)? else {
                    return Err(unexpected(&r, expected, &section));
                };
                body = Some(match (c.ns, c.local) {
                    (XmlNs::Soap, "Fault") => Err(Fault::from_xml(&mut r, c)?),
                    (XmlNs::Messages, local) if local == expected => Ok(R::from_xml(&mut r, c)?),
                    _ => return Err(unexpected(&r, expected, &c)),
                });
                while let Some(extra) = r.next_child(&section)? {
                    r.skip(extra)?;
                }
            }
            _ => r.skip(section)?,
        }
    }
    r.finish()?;
    match body {
        Some(body) => Ok(ParsedResponse {
            server_version,
            body,
        }),
        None => Err(r.error(ews_types::runtime::DeErrorKind::Unexpected {
            expected: "a SOAP Body".into(),
            found: "none".into(),
        })),
    }
}

fn unexpected(r: &XmlReader<'_>, expected: &str, found: &Start<'_>) -> DeError {
    r.error(ews_types::runtime::DeErrorKind::Unexpected {
        expected: expected.into(),
        found: found.qname().to_owned(),
    })
}

/// Turns a SOAP fault into an error: `ResponseCode` (from `detail`, else from `faultcode`),
/// message, `MessageXml`, back-off hint, schema-error position, inner code.
pub(crate) fn fault_error(f: &Fault) -> Error {
    let d = f.ews_detail();
    let code_text = d.response_code.clone().or_else(|| {
        let local = f.code.rsplit(':').next().unwrap_or(&f.code);
        local.starts_with("Error").then(|| local.to_owned())
    });
    let message = d
        .message
        .clone()
        .unwrap_or_else(|| f.string.trim().to_owned());
    let mut e = Error::new(ErrorKind::Fault, message);
    let i = e.inner_mut();
    i.response_code = code_text.as_deref().map(parse_code);
    if let Some(x) = &d.message_xml {
        i.message_xml = x.elements().cloned().collect();
    }
    fill_from_message_xml(i, |name| d.message_value(name));
    e
}

/// `BackOffMilliseconds`, `LineNumber`/`LinePosition`, `InnerErrorResponseCode`.
pub(crate) fn fill_from_message_xml(
    i: &mut crate::error::Inner,
    value: impl Fn(&str) -> Option<String>,
) {
    if let Some(ms) = value("BackOffMilliseconds") {
        i.retry_after = parse_back_off(&ms);
    }
    let num = |n: &str| value(n).and_then(|v| v.trim().parse::<u64>().ok());
    if let (Some(line), Some(pos)) = (num("LineNumber"), num("LinePosition")) {
        i.position = Some((line, pos));
    }
    if let Some(inner) = value("InnerErrorResponseCode") {
        i.inner_response_code = Some(parse_code(&inner));
    }
}

pub(crate) fn parse_code(text: &str) -> ResponseCode {
    ResponseCode::from_text(text.trim())
        .unwrap_or_else(|_| ResponseCode::Other(text.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const BUSY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>
<faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</faultcode>
<faultstring xml:lang="en-US">The server cannot service this request right now. Try again later.</faultstring>
<detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">
ErrorServerBusy
</e:ResponseCode><e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The server cannot service this request right now. Try again later.</e:Message>
<t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><t:Value Name="BackOffMilliseconds">297749</t:Value></t:MessageXml></detail>
</s:Fault></s:Body></s:Envelope>"#;

    #[test]
    fn server_busy_fault() {
        let p = read_response::<ews_types::m::GetItemResponse>(BUSY, "GetItemResponse").unwrap();
        let f = p.body.expect_err("a fault");
        let e = fault_error(&f);
        assert_eq!(e.response_code(), Some(&ResponseCode::ErrorServerBusy));
        assert_eq!(e.retry_after(), Some(Duration::from_millis(297_749)));
        assert!(e.is_throttled());
    }

    #[test]
    fn unknown_codes_are_kept() {
        assert_eq!(
            parse_code(" ErrorSomethingNew2027 "),
            ResponseCode::Other("ErrorSomethingNew2027".into())
        );
    }

    #[test]
    fn wrong_body_element_is_rejected() {
        let xml = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
            <m:FindItemResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"/>
            </s:Body></s:Envelope>"#;
        let e = read_response::<ews_types::m::GetItemResponse>(xml, "GetItemResponse")
            .err()
            .unwrap();
        assert!(e.to_string().contains("GetItemResponse"), "{e}");
    }
}
