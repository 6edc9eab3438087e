//! Autodiscover's three formats: SOAP `GetUserSettings` (Exchange 2010 and later), POX
//! (`autodiscover.xml`, Exchange 2007 and later) and Exchange Online's JSON. Requests are
//! written with every user string escaped; answers are read with the hardened reader's
//! settings (no DTD, bounded depth) into what the search needs.

use quick_xml::escape::escape;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

use crate::error::{Error, ErrorKind};

const SOAP_AD: &str = "http://schemas.microsoft.com/exchange/2010/Autodiscover";
const POX_REQUEST: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006";
const POX_OUTLOOK: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";
const POX_RESPONSE: &str = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";

/// What one Autodiscover answer says about an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Said {
    /// The mailbox's EWS endpoint (external first, else internal).
    EwsUrl(String),
    /// Ask again about this address (`redirectAddr`, `RedirectAddress`).
    RedirectAddress(String),
    /// Ask this Autodiscover endpoint (`redirectUrl`, `RedirectUrl`).
    RedirectUrl(String),
    /// The server does not know the address, or refused: its code and message.
    Refused(String),
}

/// The SOAP `GetUserSettings` request for `email`, to `url`.
pub(crate) fn soap_request(url: &str, email: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
         <soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" \
         xmlns:a=\"{SOAP_AD}\" xmlns:wsa=\"http://www.w3.org/2005/08/addressing\">\
         <soap:Header><a:RequestedServerVersion>Exchange2013</a:RequestedServerVersion>\
         <wsa:Action>{SOAP_AD}/Autodiscover/GetUserSettings</wsa:Action>\
         <wsa:To>{}</wsa:To></soap:Header>\
         <soap:Body><a:GetUserSettingsRequestMessage><a:Request>\
         <a:Users><a:User><a:Mailbox>{}</a:Mailbox></a:User></a:Users>\
         <a:RequestedSettings><a:Setting>ExternalEwsUrl</a:Setting>\
         <a:Setting>InternalEwsUrl</a:Setting></a:RequestedSettings>\
         </a:Request></a:GetUserSettingsRequestMessage></soap:Body></soap:Envelope>",
        escape(url),
        escape(email)
    )
}

/// The SOAPAction of `GetUserSettings`.
pub(crate) const SOAP_ACTION: &str =
    "\"http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetUserSettings\"";

/// The POX request for `email`.
pub(crate) fn pox_request(email: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Autodiscover xmlns=\"{POX_REQUEST}\">\
         <Request><EMailAddress>{}</EMailAddress>\
         <AcceptableResponseSchema>{POX_OUTLOOK}</AcceptableResponseSchema>\
         </Request></Autodiscover>",
        escape(email)
    )
}

/// Elements of a document as (namespace, path of local names, text), depth-bounded.
fn leaves(body: &[u8]) -> Result<Vec<(String, Vec<String>, String)>, Error> {
    let bad = |what: &str| {
        Error::new(
            ErrorKind::MalformedResponse,
            format!("Autodiscover answer: {what}"),
        )
    };
    let mut reader = quick_xml::NsReader::from_reader(body);
    let mut path: Vec<(String, String)> = Vec::new();
    let mut out = Vec::new();
    let mut text = String::new();
    loop {
        let (ns, ev) = reader
            .read_resolved_event()
            .map_err(|e| bad(&e.to_string()))?;
        match ev {
            Event::Start(e) => {
                if path.len() >= 32 {
                    return Err(bad("nested too deeply"));
                }
                let ns = match ns {
                    ResolveResult::Bound(n) => n.as_ref().to_owned(),
                    _ => String::new(),
                };
                let local = e.local_name();
                let local: &str = local.as_ref();
                path.push((ns, local.to_owned()));
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let name: &str = r.as_ref();
                text.push(match name {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    _ => r
                        .resolve_char_ref()
                        .ok()
                        .flatten()
                        .ok_or_else(|| bad("an entity other than XML's own"))?,
                });
            }
            Event::End(_) => {
                if let Some((ns, _)) = path.last() {
                    let names = path.iter().map(|(_, l)| l.clone()).collect();
                    out.push((ns.clone(), names, text.trim().to_owned()));
                }
                path.pop();
                text.clear();
            }
            Event::DocType(_) => return Err(bad("a DOCTYPE")),
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

/// Reads a SOAP `GetUserSettings` answer.
pub(crate) fn soap_answer(body: &[u8]) -> Result<Said, Error> {
    let leaves = leaves(body)?;
    let find = |parent: &str, local: &str| {
        leaves
            .iter()
            .find(|(ns, p, _)| {
                ns == SOAP_AD
                    && p.last().is_some_and(|l| l == local)
                    && p.len() >= 2
                    && p[p.len() - 2] == parent
            })
            .map(|(_, _, t)| t.clone())
    };
    let top = find("Response", "ErrorCode").ok_or_else(|| {
        Error::new(
            ErrorKind::MalformedResponse,
            "Autodiscover answer: no GetUserSettings response",
        )
    })?;
    if top != "NoError" {
        let msg = find("Response", "ErrorMessage").unwrap_or_default();
        return Ok(Said::Refused(format!("{top}: {msg}")));
    }
    let code = find("UserResponse", "ErrorCode").unwrap_or_default();
    let target = find("UserResponse", "RedirectTarget").unwrap_or_default();
    match code.as_str() {
        "NoError" => {}
        "RedirectAddress" => return Ok(Said::RedirectAddress(target)),
        "RedirectUrl" => return Ok(Said::RedirectUrl(target)),
        other => {
            let msg = find("UserResponse", "ErrorMessage").unwrap_or_default();
            return Ok(Said::Refused(format!("{other}: {msg}")));
        }
    }
    let mut settings = Vec::new();
    let mut name = None;
    for (ns, p, t) in &leaves {
        if ns != SOAP_AD || !p.iter().any(|l| l == "UserSetting") {
            continue;
        }
        match p.last().map(String::as_str) {
            Some("Name") => name = Some(t.clone()),
            Some("Value") => {
                if let Some(n) = name.take() {
                    settings.push((n, t.clone()));
                }
            }
            _ => {}
        }
    }
    ["ExternalEwsUrl", "InternalEwsUrl"]
        .iter()
        .find_map(|want| {
            settings
                .iter()
                .find(|(n, v)| n == want && !v.is_empty())
                .map(|(_, v)| Said::EwsUrl(v.clone()))
        })
        .ok_or_else(|| {
            Error::new(
                ErrorKind::MalformedResponse,
                "Autodiscover answered without an EWS URL",
            )
        })
}

/// Reads a POX answer.
pub(crate) fn pox_answer(body: &[u8]) -> Result<Said, Error> {
    let leaves = leaves(body)?;
    let get = |local: &str| {
        leaves
            .iter()
            .find(|(ns, p, _)| {
                (ns == POX_OUTLOOK || ns == POX_RESPONSE) && p.last().is_some_and(|l| l == local)
            })
            .map(|(_, _, t)| t.clone())
    };
    if !leaves.iter().any(|(ns, p, _)| {
        (ns == POX_RESPONSE || ns == POX_OUTLOOK) && p.first().is_some_and(|r| r == "Autodiscover")
    }) {
        return Err(Error::new(
            ErrorKind::MalformedResponse,
            "not a POX Autodiscover answer",
        ));
    }
    if let Some(code) = get("ErrorCode") {
        let msg = get("Message").unwrap_or_default();
        return Ok(Said::Refused(format!("{code}: {msg}")));
    }
    match get("Action").as_deref() {
        Some("redirectAddr") => {
            return get("RedirectAddr")
                .map(Said::RedirectAddress)
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::MalformedResponse,
                        "redirectAddr without an address",
                    )
                });
        }
        Some("redirectUrl") => {
            return get("RedirectUrl").map(Said::RedirectUrl).ok_or_else(|| {
                Error::new(ErrorKind::MalformedResponse, "redirectUrl without a URL")
            });
        }
        _ => {}
    }
    // EXPR (the external URL) first, then EXCH (inside the organisation), as the SOAP answer
    // is read: ExternalEwsUrl, then InternalEwsUrl.
    let mut kind = String::new();
    let mut urls: Vec<(String, String)> = Vec::new();
    for (ns, p, t) in &leaves {
        if ns != POX_OUTLOOK || !p.iter().any(|l| l == "Protocol") {
            continue;
        }
        match p.last().map(String::as_str) {
            Some("Type") => kind = t.clone(),
            Some("EwsUrl") if !t.is_empty() => urls.push((kind.clone(), t.clone())),
            _ => {}
        }
    }
    ["EXPR", "EXCH"]
        .iter()
        .find_map(|k| urls.iter().find(|(t, _)| t == k))
        .or(urls.first())
        .map(|(_, u)| Said::EwsUrl(u.clone()))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::MalformedResponse,
                "Autodiscover answered without an EWS URL",
            )
        })
}

/// Reads Exchange Online's JSON answer (`{"Protocol":"EWS","Url":…}`).
pub(crate) fn json_answer(status: u16, body: &[u8]) -> Result<Said, Error> {
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "Url")]
        url: Option<String>,
        #[serde(rename = "ErrorCode")]
        code: Option<String>,
        #[serde(rename = "ErrorMessage")]
        message: Option<String>,
    }
    let a: Answer = serde_json::from_slice(body).map_err(|_| {
        Error::new(
            ErrorKind::MalformedResponse,
            "not a JSON Autodiscover answer",
        )
    })?;
    match (status, a.url) {
        (200, Some(url)) => Ok(Said::EwsUrl(url)),
        _ => Ok(Said::Refused(format!(
            "{}: {}",
            a.code.unwrap_or_else(|| format!("HTTP {status}")),
            a.message.unwrap_or_default()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_escape_the_address() {
        let hostile = "a<b>&]]>\"@contoso.com";
        for r in [
            pox_request(hostile),
            soap_request("https://x/?a&b", hostile),
        ] {
            assert!(!r.contains("<b>"), "{r}");
            assert!(r.contains("a&lt;b&gt;&amp;]]&gt;"), "{r}");
        }
    }

    #[test]
    fn pox_answers() {
        let ok = format!(
            "<Autodiscover xmlns=\"{POX_RESPONSE}\"><Response xmlns=\"{POX_OUTLOOK}\"><Account>\
             <Action>settings</Action><Protocol><Type>EXPR</Type><EwsUrl>https://ext/EWS/Exchange.asmx</EwsUrl></Protocol>\
             <Protocol><Type>EXCH</Type><EwsUrl>https://int/EWS/Exchange.asmx</EwsUrl></Protocol>\
             </Account></Response></Autodiscover>"
        );
        assert_eq!(
            pox_answer(ok.as_bytes()).unwrap(),
            Said::EwsUrl("https://ext/EWS/Exchange.asmx".into())
        );
        let redirect = format!(
            "<Autodiscover xmlns=\"{POX_RESPONSE}\"><Response xmlns=\"{POX_OUTLOOK}\"><Account>\
             <Action>redirectAddr</Action><RedirectAddr>b@fabrikam.com</RedirectAddr></Account></Response></Autodiscover>"
        );
        assert_eq!(
            pox_answer(redirect.as_bytes()).unwrap(),
            Said::RedirectAddress("b@fabrikam.com".into())
        );
        let error = format!(
            "<Autodiscover xmlns=\"{POX_RESPONSE}\"><Response><Error><ErrorCode>500</ErrorCode>\
             <Message>The email address can&apos;t be found.</Message></Error></Response></Autodiscover>"
        );
        assert_eq!(
            pox_answer(error.as_bytes()).unwrap(),
            Said::Refused("500: The email address can't be found.".into())
        );
        assert!(pox_answer(b"<html><body>It works</body></html>").is_err());
        assert!(pox_answer(b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>").is_err());
    }

    #[test]
    fn json_answers() {
        assert_eq!(
            json_answer(
                200,
                br#"{"Protocol":"EWS","Url":"https://outlook.office365.com/EWS/Exchange.asmx"}"#
            )
            .unwrap(),
            Said::EwsUrl("https://outlook.office365.com/EWS/Exchange.asmx".into())
        );
        assert!(matches!(
            json_answer(404, br#"{"ErrorCode":"UserNotFound","ErrorMessage":"x"}"#).unwrap(),
            Said::Refused(_)
        ));
    }
}
