//! `services.wsdl`: operations, their request and response elements, SOAPAction and the SOAP
//! headers each binding accepts.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use quick_xml_wsdl::events::{BytesStart, Event};
use quick_xml_wsdl::reader::Reader;

use crate::Error;
use crate::model::{HeaderKind, Ns, Operation, QName};

#[derive(Default)]
struct Raw {
    prefixes: HashMap<String, String>,
    /// message name → part name → element
    messages: HashMap<String, BTreeMap<String, String>>,
    /// operation → (input message, output message), in document order
    port_ops: Vec<(String, String, String)>,
    /// operation → binding details
    binding_ops: HashMap<String, BindingOp>,
}

#[derive(Default)]
struct BindingOp {
    action: String,
    in_headers: Vec<(String, String)>,
    out_headers: Vec<(String, String)>,
    in_body: Option<String>,
    out_body: Option<String>,
}

/// The operations that only read: sending one twice cannot duplicate an effect, so a client may
/// resend it after a transient failure. Every other operation, including any the table does not
/// know (a newer schema's), is treated as a write and never resent blindly.
///
/// `GetStreamingEvents` reads, but holds a connection open for minutes; it is left out so that a
/// client reconnects it deliberately rather than by retrying.
pub const READ_ONLY_OPERATIONS: &[&str] = &[
    "ConvertId",
    "ExecuteSearch",
    "ExpandDL",
    "ExportItems",
    "FindAvailableMeetingTimes",
    "FindConversation",
    "FindFolder",
    "FindItem",
    "FindMeetingSpaceByJoinUrl",
    "FindMeetingTimeCandidates",
    "FindMessageTrackingReport",
    "FindPeople",
    "FindTags",
    "GetAppManifests",
    "GetAppMarketplaceUrl",
    "GetAttachment",
    "GetClientAccessToken",
    "GetConversationItems",
    "GetDelegate",
    "GetDiscoverySearchConfiguration",
    "GetEvents",
    "GetFolder",
    "GetHoldOnMailboxes",
    "GetImItemList",
    "GetImItems",
    "GetInboxRules",
    "GetItem",
    "GetLastPrivateCatalogUpdate",
    "GetMailTips",
    "GetMeetingInstance",
    "GetMeetingSpace",
    "GetMessageTrackingReport",
    "GetNonIndexableItemDetails",
    "GetNonIndexableItemStatistics",
    "GetPasswordExpirationDate",
    "GetPersona",
    "GetPhoneCallInformation",
    "GetPrivateCatalogAddIns",
    "GetReminders",
    "GetRoomLists",
    "GetRooms",
    "GetSearchSuggestions",
    "GetSearchableMailboxes",
    "GetServerTimeZones",
    "GetServiceConfiguration",
    "GetSharingFolder",
    "GetSharingMetadata",
    "GetSpecificUserConfiguration",
    "GetUserAvailability",
    "GetUserConfiguration",
    "GetUserOofSettings",
    "GetUserPhoto",
    "GetUserRetentionPolicyTags",
    "ResolveNames",
    "SearchMailboxes",
    "SyncFolderHierarchy",
    "SyncFolderItems",
];

/// The operations of a WSDL and the header kinds they use.
pub fn read(path: &Path) -> Result<(Vec<Operation>, Vec<HeaderKind>), Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse(&text).map_err(|e| Error::Xml(format!("{}: {e}", path.display())))
}

fn attr(s: &BytesStart<'_>, key: &str) -> Option<String> {
    s.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == key)
        .map(|a| a.value.to_string())
}

/// Parses WSDL text.
pub fn parse(text: &str) -> Result<(Vec<Operation>, Vec<HeaderKind>), String> {
    let mut reader = Reader::from_str(text);
    let mut raw = Raw::default();
    let mut path: Vec<String> = Vec::new();
    let mut message = String::new();
    let mut op = String::new();
    let mut io = String::new();
    loop {
        let ev = reader.read_event().map_err(|e| e.to_string())?;
        let (s, empty) = match &ev {
            Event::Start(s) => (s, false),
            Event::Empty(s) => (s, true),
            Event::End(_) => {
                path.pop();
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let local = s.local_name().as_ref().to_owned();
        let parent = path.last().map(String::as_str).unwrap_or("");
        let grand = path
            .len()
            .checked_sub(2)
            .map(|i| path[i].as_str())
            .unwrap_or("");
        match (grand, parent, local.as_str()) {
            (_, "", "definitions") => {
                for a in s.attributes().flatten() {
                    let key = a.key.as_ref().to_owned();
                    if let Some(p) = key.strip_prefix("xmlns:") {
                        let v = a.value.to_string();
                        raw.prefixes.insert(p.to_owned(), v);
                    }
                }
            }
            (_, "definitions", "message") => message = attr(s, "name").unwrap_or_default(),
            (_, "message", "part") => {
                let (Some(name), Some(el)) = (attr(s, "name"), attr(s, "element")) else {
                    return Err(format!("message {message}: part without name or element"));
                };
                raw.messages
                    .entry(message.clone())
                    .or_default()
                    .insert(name, el);
            }
            (_, "portType" | "binding", "operation") => op = attr(s, "name").unwrap_or_default(),
            ("portType", "operation", "input" | "output") => {
                let msg = strip_prefix(&attr(s, "message").unwrap_or_default());
                match local.as_str() {
                    "input" => raw.port_ops.push((op.clone(), msg, String::new())),
                    _ => {
                        if let Some(last) = raw.port_ops.iter_mut().rev().find(|o| o.0 == op) {
                            last.2 = msg;
                        }
                    }
                }
            }
            ("binding", "operation", "operation") => {
                raw.binding_ops.entry(op.clone()).or_default().action =
                    attr(s, "soapAction").unwrap_or_default();
            }
            ("binding", "operation", "input" | "output") => io = local.clone(),
            ("operation", "input" | "output", "header") => {
                let msg = strip_prefix(&attr(s, "message").unwrap_or_default());
                let part = attr(s, "part").unwrap_or_default();
                let entry = raw.binding_ops.entry(op.clone()).or_default();
                if io == "input" {
                    &mut entry.in_headers
                } else {
                    &mut entry.out_headers
                }
                .push((msg, part));
            }
            ("operation", "input" | "output", "body") => {
                let entry = raw.binding_ops.entry(op.clone()).or_default();
                let parts = attr(s, "parts");
                if io == "input" {
                    entry.in_body = parts
                } else {
                    entry.out_body = parts
                }
            }
            _ => {}
        }
        if !empty {
            path.push(local);
        }
    }
    raw.finish()
}

fn strip_prefix(q: &str) -> String {
    q.rsplit(':').next().unwrap_or(q).to_owned()
}

impl Raw {
    fn qname(&self, q: &str) -> Result<QName, String> {
        let (prefix, local) = q.split_once(':').unwrap_or(("", q));
        let uri = self
            .prefixes
            .get(prefix)
            .ok_or_else(|| format!("unknown prefix in {q}"))?;
        let ns = Ns::from_uri(uri).ok_or_else(|| format!("{q}: namespace {uri} is not EWS"))?;
        Ok(QName {
            ns,
            local: local.to_owned(),
        })
    }

    fn body_part(
        &self,
        msg: &str,
        named: Option<&str>,
        headers: &[(String, String)],
    ) -> Result<QName, String> {
        let parts = self
            .messages
            .get(msg)
            .ok_or_else(|| format!("message {msg} missing"))?;
        if let Some(name) = named {
            let el = parts
                .get(name)
                .ok_or_else(|| format!("message {msg} lacks part {name}"))?;
            return self.qname(el);
        }
        let body: Vec<_> = parts
            .iter()
            .filter(|(name, _)| !headers.iter().any(|(m, p)| m == msg && p == *name))
            .collect();
        match body.as_slice() {
            [(_, el)] => self.qname(el),
            _ => Err(format!(
                "message {msg}: expected one body part, found {}",
                body.len()
            )),
        }
    }

    fn finish(self) -> Result<(Vec<Operation>, Vec<HeaderKind>), String> {
        let mut headers: Vec<HeaderKind> = Vec::new();
        let mut header_index = |this: &Raw, msg: &str, part: &str| -> Result<usize, String> {
            let el = this
                .messages
                .get(msg)
                .and_then(|p| p.get(part))
                .ok_or_else(|| format!("header part {msg}/{part} missing"))?;
            let element = this.qname(el)?;
            if let Some(i) = headers.iter().position(|h| h.element == element) {
                return Ok(i);
            }
            headers.push(HeaderKind {
                marker: format!("Accepts{}", crate::naming::upper_camel(&element.local)),
                element,
            });
            Ok(headers.len() - 1)
        };
        let mut ops = Vec::new();
        for (name, input, output) in &self.port_ops {
            let b = self
                .binding_ops
                .get(name)
                .ok_or_else(|| format!("operation {name} has no binding"))?;
            let (in_h, out_h) = (&b.in_headers, &b.out_headers);
            let mut op = Operation {
                name: name.clone(),
                soap_action: b.action.clone(),
                input: self.body_part(input, b.in_body.as_deref(), in_h)?,
                output: self.body_part(output, b.out_body.as_deref(), out_h)?,
                input_headers: Vec::new(),
                output_headers: Vec::new(),
                read_only: READ_ONLY_OPERATIONS.contains(&name.as_str()),
            };
            for (m, p) in in_h {
                op.input_headers.push(header_index(&self, m, p)?);
            }
            for (m, p) in out_h {
                op.output_headers.push(header_index(&self, m, p)?);
            }
            ops.push(op);
        }
        Ok((ops, headers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WSDL: &str = r#"<wsdl:definitions xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
        xmlns:tns="http://schemas.microsoft.com/exchange/services/2006/messages"
        xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
        xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
      <wsdl:message name="GetItemSoapIn">
        <wsdl:part name="request" element="tns:GetItem"/>
        <wsdl:part name="Impersonation" element="t:ExchangeImpersonation"/>
      </wsdl:message>
      <wsdl:message name="GetItemSoapOut">
        <wsdl:part name="GetItemResult" element="tns:GetItemResponse"/>
        <wsdl:part name="ServerVersion" element="t:ServerVersionInfo"/>
      </wsdl:message>
      <wsdl:portType name="P"><wsdl:operation name="GetItem">
        <wsdl:input message="tns:GetItemSoapIn"/><wsdl:output message="tns:GetItemSoapOut"/>
      </wsdl:operation></wsdl:portType>
      <wsdl:binding name="B" type="tns:P"><wsdl:operation name="GetItem">
        <soap:operation soapAction="http://schemas.microsoft.com/exchange/services/2006/messages/GetItem"/>
        <wsdl:input><soap:body parts="request" use="literal"/>
          <soap:header message="tns:GetItemSoapIn" part="Impersonation" use="literal"/></wsdl:input>
        <wsdl:output><soap:body parts="GetItemResult" use="literal"/>
          <soap:header message="tns:GetItemSoapOut" part="ServerVersion" use="literal"/></wsdl:output>
      </wsdl:operation></wsdl:binding>
    </wsdl:definitions>"#;

    #[test]
    fn reads_operations_actions_and_headers() {
        let (ops, headers) = parse(WSDL).unwrap();
        assert_eq!(ops.len(), 1);
        let op = &ops[0];
        assert_eq!(op.name, "GetItem");
        assert_eq!(
            op.input,
            QName {
                ns: Ns::Messages,
                local: "GetItem".into()
            }
        );
        assert_eq!(op.output.local, "GetItemResponse");
        assert!(op.soap_action.ends_with("/GetItem"));
        assert_eq!(
            headers[op.input_headers[0]].marker,
            "AcceptsExchangeImpersonation"
        );
        assert_eq!(
            headers[op.output_headers[0]].element.local,
            "ServerVersionInfo"
        );
    }
}
