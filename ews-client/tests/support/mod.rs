//! Shared test helpers: requests, response XML written by hand, and a scripted in-process
//! transport (no sockets, so tokio's paused clock stays exact).
#![allow(dead_code, missing_docs)]

pub mod dns;
pub mod e2e_org;
pub mod tls;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use ews_client::{BoxFuture, ErrorKind, HttpRequest, HttpResponse, Transport, TransportError};
use ews_types::{m, t};
use http::HeaderMap;
use tokio::time::Instant;

pub const M_NS: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
pub const T_NS: &str = "http://schemas.microsoft.com/exchange/services/2006/types";

/// A GetItem request for `n` item ids (`id0`, `id1`, …).
pub fn get_item(n: usize) -> m::GetItem {
    let ids = (0..n)
        .map(|i| t::NonEmptyArrayOfBaseItemIdsChoice::ItemId(t::ItemId::new(format!("id{i}"))));
    m::GetItem::new(
        t::ItemResponseShape::new(t::DefaultShapeNames::IdOnly),
        t::NonEmptyArrayOfBaseItemIds::new(
            ews_types::runtime::NonEmpty::collect(ids).expect("at least one id"),
        ),
    )
}

/// A DeleteItem request (a write) for `n` item ids.
pub fn delete_item(n: usize) -> m::DeleteItem {
    m::DeleteItem::new(t::Disposal::MoveToDeletedItems, get_item(n).item_ids)
}

/// A SOAP envelope around `body`, with a ServerVersionInfo header.
pub fn envelope(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><h:ServerVersionInfo MajorVersion="15" MinorVersion="2" MajorBuildNumber="1544" MinorBuildNumber="4" Version="V2018_01_08" xmlns:h="{T_NS}"/></s:Header><s:Body>{body}</s:Body></s:Envelope>"#
    )
}

/// A `GetItemResponse` (or another `<Op>Response`) with one message per `(class, code)`.
pub fn items_response(op: &str, messages: &[(&str, &str)]) -> String {
    let mut body =
        format!(r#"<m:{op}Response xmlns:m="{M_NS}" xmlns:t="{T_NS}"><m:ResponseMessages>"#);
    for (i, (class, code)) in messages.iter().enumerate() {
        body.push_str(&format!(
            r#"<m:{op}ResponseMessage ResponseClass="{class}">"#
        ));
        if *class != "Success" {
            body.push_str(&format!("<m:MessageText>item {i} failed</m:MessageText>"));
        }
        body.push_str(&format!("<m:ResponseCode>{code}</m:ResponseCode>"));
        if *class != "Success" {
            body.push_str("<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>");
        }
        if op == "GetItem" {
            if *class == "Success" {
                body.push_str(&format!(
                    r#"<m:Items><t:Message><t:ItemId Id="id{i}" ChangeKey="ck{i}"/><t:Subject>s{i}</t:Subject></t:Message></m:Items>"#
                ));
            } else {
                body.push_str("<m:Items/>");
            }
        }
        body.push_str(&format!("</m:{op}ResponseMessage>"));
    }
    body.push_str(&format!("</m:ResponseMessages></m:{op}Response>"));
    envelope(&body)
}

/// `n` successful GetItem messages.
pub fn get_item_ok(n: usize) -> String {
    items_response("GetItem", &vec![("Success", "NoError"); n])
}

/// A SOAP fault as EWS sends it, with `MessageXml` values.
pub fn fault(code: &str, message: &str, values: &[(&str, &str)]) -> String {
    let mut xml = String::new();
    for (name, v) in values {
        xml.push_str(&format!(r#"<t:Value Name="{name}">{v}</t:Value>"#));
    }
    envelope(&format!(
        r#"<s:Fault><faultcode xmlns:a="{T_NS}">a:{code}</faultcode><faultstring xml:lang="en-US">{message}</faultstring><detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">
{code}
</e:ResponseCode><e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">{message}</e:Message><t:MessageXml xmlns:t="{T_NS}">{xml}</t:MessageXml></detail></s:Fault>"#
    ))
}

/// A ServerBusy fault with a back-off hint.
pub fn busy(ms: &str) -> String {
    fault(
        "ErrorServerBusy",
        "The server cannot service this request right now. Try again later.",
        &[("BackOffMilliseconds", ms)],
    )
}

pub fn xml_response(status: u16, body: impl Into<String>) -> HttpResponse {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", "text/xml; charset=utf-8".parse().unwrap());
    HttpResponse {
        status,
        headers,
        body: Bytes::from(body.into()),
    }
}

pub fn plain_response(status: u16, content_type: &str, body: &str) -> HttpResponse {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", content_type.parse().unwrap());
    HttpResponse {
        status,
        headers,
        body: Bytes::from(body.to_owned()),
    }
}

type Reply = Result<HttpResponse, TransportError>;
type ReplyFn = Box<dyn Fn(&HttpRequest) -> Reply + Send + Sync>;

/// One recorded request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub request: HttpRequest,
}

/// A transport that answers from a script (or a function) after an optional delay, records
/// every request with the (paused) time it arrived, and tracks how many were in flight.
#[derive(Default)]
pub struct Script {
    replies: Mutex<VecDeque<Reply>>,
    func: Option<ReplyFn>,
    delay: Duration,
    pub seen: Mutex<Vec<Seen>>,
    in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
}

impl std::fmt::Debug for Script {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Script")
    }
}

impl Script {
    pub fn new(replies: impl IntoIterator<Item = Reply>) -> Arc<Self> {
        Arc::new(Script {
            replies: Mutex::new(replies.into_iter().collect()),
            ..Script::default()
        })
    }

    pub fn func(
        delay: Duration,
        f: impl Fn(&HttpRequest) -> Reply + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Script {
            func: Some(Box::new(f)),
            delay,
            ..Script::default()
        })
    }

    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    pub fn times(&self) -> Vec<Instant> {
        self.seen.lock().unwrap().iter().map(|s| s.at).collect()
    }
}

impl Transport for Script {
    fn send(&self, req: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            self.seen.lock().unwrap().push(Seen {
                at: Instant::now(),
                request: req.clone(),
            });
            let n = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_in_flight.fetch_max(n, Ordering::SeqCst);
            struct Dec<'a>(&'a AtomicUsize);
            impl Drop for Dec<'_> {
                fn drop(&mut self) {
                    self.0.fetch_sub(1, Ordering::SeqCst);
                }
            }
            let _dec = Dec(&self.in_flight);
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            if let Some(f) = &self.func {
                return f(&req);
            }
            self.replies.lock().unwrap().pop_front().unwrap_or_else(|| {
                Err(TransportError::new(
                    ErrorKind::Connect,
                    false,
                    "script ran out",
                ))
            })
        })
    }
}

/// A client over `transport` with a fixed jitter seed.
pub fn client(transport: Arc<dyn Transport>) -> ews_client::ClientBuilder {
    ews_client::Client::builder("https://ews.test/EWS/Exchange.asmx")
        .transport(transport)
        .jitter_seed(7)
}

/// The body of a recorded request, as text.
pub fn body_text(r: &HttpRequest) -> String {
    String::from_utf8(r.body.to_vec()).unwrap()
}

/// A raw TCP server on 127.0.0.1: each connection's request head is read, then `handler`
/// writes whatever it likes. Returns the endpoint URL and a connection counter.
pub async fn raw_server<F, Fut>(handler: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let handler = handler.clone();
            tokio::spawn(async move {
                // Read the head and the Content-Length body.
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = sock.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(end) = find(&buf, b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                        let len: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len {
                            break;
                        }
                    }
                }
                handler(sock).await;
            });
        }
    });
    (format!("http://{addr}/EWS/Exchange.asmx"), count)
}

/// A raw TCP server answering every request with `status`, `headers`, a `Content-Length` and
/// `body`. Returns the endpoint URL and a connection counter.
pub async fn answering(
    status: &'static str,
    headers: Vec<(&'static str, String)>,
    body: impl Into<Bytes>,
) -> (String, Arc<AtomicUsize>) {
    use tokio::io::AsyncWriteExt;
    let body: Bytes = body.into();
    raw_server(move |mut sock| {
        let (headers, body) = (headers.clone(), body.clone());
        async move {
            let mut all = headers;
            all.push(("content-length", body.len().to_string()));
            let h = head(status, &all);
            let _ = sock.write_all(h.as_bytes()).await;
            let _ = sock.write_all(&body).await;
        }
    })
    .await
}

/// A raw TCP server answering every request with an endless chunked body of spaces, in
/// chunks of `size` bytes. Returns the endpoint URL.
pub async fn endless_chunks(size: usize) -> String {
    use tokio::io::AsyncWriteExt;
    raw_server(move |mut sock| async move {
        let h = head(
            "200 OK",
            &[
                ("content-type", "text/xml".into()),
                ("transfer-encoding", "chunked".into()),
            ],
        );
        let _ = sock.write_all(h.as_bytes()).await;
        // many chunks per write, so one-byte chunks arrive as fast as large ones
        let chunk = format!("{size:x}\r\n{}\r\n", " ".repeat(size));
        let burst = chunk.repeat((65536 / chunk.len()).max(1));
        while sock.write_all(burst.as_bytes()).await.is_ok() {}
    })
    .await
    .0
}

/// Every request a test server received for `op`, each validated by xmllint.
pub fn sent(server: &ews_testserver::TestServer, op: &str) -> Vec<String> {
    let requests: Vec<String> = server
        .control()
        .exchanges()
        .iter()
        .filter(|e| e.operation.as_deref() == Some(op))
        .map(|e| e.request.clone())
        .collect();
    for r in &requests {
        validate_request(r);
    }
    requests
}

/// Reads the next request of a persistent connection (head and `Content-Length` body) from
/// `sock`, with `buf` holding what was read past the previous one; returns its head, or `None`
/// when the connection ends.
pub async fn read_request(sock: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> Option<String> {
    read_request_body(sock, buf).await.map(|(head, _)| head)
}

/// [`read_request`], with the body.
pub async fn read_request_body(
    sock: &mut tokio::net::TcpStream,
    buf: &mut Vec<u8>,
) -> Option<(String, String)> {
    use tokio::io::AsyncReadExt;
    let mut chunk = [0u8; 8192];
    let (head, need) = loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            break (head, end + 4 + len);
        }
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    while buf.len() < need {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = String::from_utf8_lossy(&buf[head.len() + 4..need]).into_owned();
    buf.drain(..need);
    Some((head, body))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// An HTTP/1.1 response head.
pub fn head(status: &str, headers: &[(&str, String)]) -> String {
    let mut h = format!("HTTP/1.1 {status}\r\n");
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h.push_str("\r\n");
    h
}

/// Validates every SOAP header element and the body element of a request envelope against
/// `messages.xsd` with xmllint. Skips (returns false) only when xmllint is missing outside CI.
pub fn validate_request(envelope: &str) -> bool {
    use ews_types::Element;
    use ews_types::runtime::{Envelope, Part, read_envelope, write_envelope};
    use std::process::Command;
    let Ok(out) = Command::new("sh")
        .args(["-c", "command -v xmllint"])
        .output()
    else {
        return false;
    };
    if !out.status.success() {
        assert!(
            std::env::var_os("CI").is_none(),
            "xmllint is required in CI (.ci/run installs libxml2-utils)"
        );
        eprintln!("skipping schema validation: xmllint not installed");
        return false;
    }
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "ews-client-validate-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let schema = schema_copy(&dir.join("schema"));
    let env = read_envelope::<Element>(envelope).expect("the request parses");
    let mut files = Vec::new();
    for (i, part) in env.headers.iter().chain(env.body.iter()).enumerate() {
        let Part::Known(e) = part else {
            panic!("unknown part in request: {part:?}")
        };
        let single = Envelope {
            headers: Vec::new(),
            body: vec![Part::Known(e.clone())],
            bare: true,
        };
        let f = dir.join(format!("part{i}.xml"));
        std::fs::write(&f, write_envelope(&single).unwrap()).unwrap();
        files.push(f);
    }
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(&schema)
        .args(&files)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "xmllint rejected the request:\n{stderr}\n{envelope}"
    );
    std::fs::remove_dir_all(&dir).ok();
    true
}

/// A test server for the organisation `org` (TOML).
pub async fn serve(org: &str) -> ews_testserver::TestServer {
    ews_testserver::TestServer::start(ews_testserver::Org::from_toml(org).unwrap())
        .await
        .unwrap()
}

/// (id, item) of every item in a folder of a test server's mailbox, read from its store.
pub fn stored(
    server: &ews_testserver::TestServer,
    mailbox: &str,
    f: ews_types::t::DistinguishedFolderIdName,
) -> Vec<(ews_types::t::ItemId, ews_testserver::store::Item)> {
    server.with_store(|s| {
        let i = s.find_smtp(mailbox).unwrap();
        s.mailboxes[i]
            .folder(f)
            .items
            .iter()
            .map(|x| (x.item_id(), x.item.clone()))
            .collect()
    })
}

/// A client signed in to a test server with Basic credentials.
pub fn login(
    server: &ews_testserver::TestServer,
    user: &str,
    password: &str,
) -> ews_client::Client {
    ews_client::Client::builder(server.url())
        .credentials(ews_client::Credentials::basic(user, password))
        .build()
        .unwrap()
}

/// The SMTP address of a `From` or `Sender`.
pub fn address(r: &Option<Box<t::SingleRecipient>>) -> Option<String> {
    r.as_ref().and_then(|r| match &r.content {
        t::SingleRecipientChoice::Mailbox(m) => m.email_address.as_ref().map(|s| s.to_string()),
    })
}

/// Every 200 response a test server sent validates against messages.xsd.
pub fn check_responses(server: &ews_testserver::TestServer) {
    let exchanges = server.control().exchanges();
    assert!(!exchanges.is_empty());
    // a streamed answer's envelopes are not recorded (and Exchange's own form of them is not
    // schema-valid: `m:Notification` where the schema says `t:`)
    let recorded = |e: &&ews_testserver::Exchange| e.response != ews_testserver::STREAMED;
    for e in exchanges
        .iter()
        .filter(|e| e.status == 200)
        .filter(recorded)
    {
        validate_request(&e.response);
    }
}

/// The line of the first schema-validity error xmllint reports for the standalone document
/// `doc` (`None` when it validates); skips (`Err`) only when xmllint is missing outside CI.
pub fn xmllint_error_line(doc: &str) -> Result<Option<usize>, ()> {
    use std::process::Command;
    if !Command::new("sh")
        .args(["-c", "command -v xmllint"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "xmllint is required in CI (.ci/run installs libxml2-utils)"
        );
        return Err(());
    }
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "ews-client-lint-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let schema = schema_copy(&dir.join("schema"));
    let file = dir.join("doc.xml");
    std::fs::write(&file, doc).unwrap();
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(&schema)
        .arg(&file)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    if out.status.success() {
        return Ok(None);
    }
    // "/tmp/…/doc.xml:3: element ResolveNames: Schemas validity error : …"
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("validity error"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|n| n.trim().parse().ok());
    Ok(Some(
        line.unwrap_or_else(|| panic!("xmllint said:\n{stderr}")),
    ))
}

fn schema_dir() -> std::path::PathBuf {
    match std::env::var_os("EWS_SCHEMA_DIR") {
        Some(d) => d.into(),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/ews-schema"),
    }
}

/// A copy of the schema with the `xml:` namespace import pointed at a local `xml.xsd`.
fn schema_copy(dir: &std::path::Path) -> std::path::PathBuf {
    let src = schema_dir();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(src.join("messages.xsd"), dir.join("messages.xsd")).unwrap();
    let types = std::fs::read_to_string(src.join("types.xsd")).unwrap().replace(
        r#"<xs:import namespace="http://www.w3.org/XML/1998/namespace"/>"#,
        r#"<xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="xml.xsd"/>"#,
    );
    std::fs::write(dir.join("types.xsd"), types).unwrap();
    std::fs::write(
        dir.join("xml.xsd"),
        r#"<?xml version="1.0" encoding="utf-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.w3.org/XML/1998/namespace">
  <xs:attribute name="lang" type="xs:language"/>
</xs:schema>"#,
    )
    .unwrap();
    dir.join("messages.xsd")
}

/// A CreateItem response with one new item id per message.
pub fn created(ids: &[&str]) -> String {
    let mut body =
        format!(r#"<m:CreateItemResponse xmlns:m="{M_NS}" xmlns:t="{T_NS}"><m:ResponseMessages>"#);
    for id in ids {
        body.push_str(&format!(
            r#"<m:CreateItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items><t:CalendarItem><t:ItemId Id="{id}" ChangeKey="DwAAAB"/></t:CalendarItem></m:Items></m:CreateItemResponseMessage>"#
        ));
    }
    body.push_str("</m:ResponseMessages></m:CreateItemResponse>");
    envelope(&body)
}

/// A calendar item for tests.
pub fn appointment(subject: &str, attendees: &[&str]) -> ews_types::t::CalendarItem {
    use ews_types::runtime::XmlValue;
    ews_types::t::CalendarItem {
        subject: Some(subject.into()),
        start: Some(ews_types::runtime::DateTime::from_text("2026-12-01T09:00:00Z").unwrap()),
        end: Some(ews_types::runtime::DateTime::from_text("2026-12-01T10:00:00Z").unwrap()),
        location: Some("Room 1".into()),
        required_attendees: (!attendees.is_empty())
            .then(|| {
                let list = attendees.iter().map(|a| {
                    ews_types::t::Attendee::new(
                        ews_types::t::EmailAddressType::default().with_email_address(*a),
                    )
                });
                ews_types::t::NonEmptyArrayOfAttendees::new(
                    ews_types::runtime::NonEmpty::collect(list).expect("not empty"),
                )
            })
            .map(Box::new),
        ..Default::default()
    }
}

/// The NTLM challenge (type 2 message) of the local NTLM test servers, base64: domain
/// CONTOSO, a fixed challenge.
pub fn ntlm_challenge() -> String {
    use base64::Engine;
    let msg = ntlmclient::Message::Challenge(ntlmclient::ChallengeMessage {
        target_name: "CONTOSO".into(),
        flags: ntlmclient::Flags::NEGOTIATE_UNICODE
            | ntlmclient::Flags::NEGOTIATE_NTLM
            | ntlmclient::Flags::REQUEST_TARGET,
        challenge: *b"\x01\x23\x45\x67\x89\xab\xcd\xef",
        context: (0, 0),
        target_information: vec![ntlmclient::TargetInfoEntry::from_string(
            ntlmclient::TargetInfoType::NtDomain,
            "CONTOSO",
        )],
        os_version: Default::default(),
    });
    base64::engine::general_purpose::STANDARD.encode(msg.to_bytes().unwrap())
}
