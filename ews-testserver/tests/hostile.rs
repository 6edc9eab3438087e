//! Bad input against the server binary on loopback: huge bodies (declared and chunked), deep
//! nesting, DOCTYPE and entities, invalid UTF-8, characters XML forbids, a stalled body, 500
//! connections that never finish their header, and an unauthenticated flood. The server keeps
//! answering, its memory stays bounded, and what it stored stays readable.
//!
//! Every loop here is bounded in count and time and talks to 127.0.0.1 only.

mod support;

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CONFIG: &str = r#"
[[mailbox]]
smtp = "boss@contoso.com"
password = "boss-pw"

[limits]
max_body_bytes = 4194304
header_timeout_ms = 500
body_timeout_ms = 1000
"#;

/// `boss@contoso.com:boss-pw`
const AUTH: &str = "Authorization: Basic Ym9zc0Bjb250b3NvLmNvbTpib3NzLXB3\r\n";

/// The growth of the server's resident memory over the whole run that this test allows.
const RSS_BOUND_KIB: u64 = 96 * 1024;

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Sends `head` then `body`, reads the answer until the server closes; `(status, body)`.
async fn exchange(addr: &str, head: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    // the server may answer and close before it has read everything: that is the point
    let _ = s.write_all(body).await;
    read_answer(&mut s).await
}

async fn read_answer(s: &mut TcpStream) -> (u16, String) {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

fn head(auth: bool, length: usize) -> String {
    format!(
        "POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nConnection: close\r\n{}Content-Length: {length}\r\n\r\n",
        if auth { AUTH } else { "" }
    )
}

async fn post(addr: &str, body: &str) -> (u16, String) {
    exchange(addr, &head(true, body.len()), body.as_bytes()).await
}

fn envelope(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><s:Body>{body}</s:Body></s:Envelope>"#
    )
}

fn draft(subject: &str) -> String {
    envelope(&format!(
        r#"<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId><t:DistinguishedFolderId Id="drafts"/></m:SavedItemFolderId><m:Items><t:Message><t:Subject>{subject}</t:Subject></t:Message></m:Items></m:CreateItem>"#
    ))
}

fn find_drafts() -> String {
    envelope(
        r#"<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="drafts"/></m:ParentFolderIds></m:FindItem>"#,
    )
}

async fn drafts_hold(addr: &str, subject: &str) {
    let (status, body) = post(addr, &find_drafts()).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(&format!("<t:Subject>{subject}</t:Subject>")),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_neither_stops_the_server_nor_loses_what_it_stored() {
    let server = support::start(CONFIG);
    let addr = server.addr.clone();
    let pid = server.child.id();
    let (status, body) = post(&addr, &draft("keep me")).await;
    assert_eq!(status, 200, "{body}");
    let rss_start = rss_kib(pid);

    // 200 MB declared: refused from the header, before any of the body is read
    let t = Instant::now();
    let (status, _) = exchange(&addr, &head(true, 200_000_000), b"<s:Envelope").await;
    assert_eq!(status, 413);
    assert!(t.elapsed() < Duration::from_secs(5));

    // 200 MB chunked: refused once the limit is passed; the sender is cut off
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let chunked = format!(
        "POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: x\r\n{AUTH}Transfer-Encoding: chunked\r\n\r\n"
    );
    s.write_all(chunked.as_bytes()).await.unwrap();
    let chunk = format!("100000\r\n{}\r\n", "a".repeat(0x100000));
    let mut sent = 0;
    for _ in 0..200 {
        let w = tokio::time::timeout(Duration::from_secs(2), s.write_all(chunk.as_bytes())).await;
        if !matches!(w, Ok(Ok(()))) {
            break;
        }
        sent += 1;
    }
    assert!(sent < 200, "the server read all 200 MB");
    let (status, _) = read_answer(&mut s).await;
    assert_eq!(status, 413);

    // 100,000-deep nesting, DOCTYPE and entities, invalid UTF-8, a forbidden character
    let deep = envelope(&"<t:Not>".repeat(100_000));
    let (status, body) = post(&addr, &deep).await;
    assert_eq!(status, 500);
    assert!(body.contains("ErrorSchemaValidation"), "{body}");
    let laughs = format!(
        r#"<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>{}"#,
        draft("&b;")
    );
    let (status, body) = post(&addr, &laughs).await;
    assert_eq!(status, 500);
    assert!(body.contains("ErrorSchemaValidation"), "{body}");
    let mut bad_utf8 = draft("caf").into_bytes();
    let at = bad_utf8.windows(4).position(|w| w == b"caf<").unwrap() + 3;
    bad_utf8.insert(at, 0xE9); // Latin-1 é
    let (status, body) = exchange(&addr, &head(true, bad_utf8.len()), &bad_utf8).await;
    assert_eq!(status, 500);
    assert!(
        body.contains("ErrorSchemaValidation") && body.contains("UTF-8"),
        "{body}"
    );
    for forbidden in ["a&#x1;b", "a\u{1}b", "&#xFFFF;"] {
        let (status, body) = post(&addr, &draft(forbidden)).await;
        assert_eq!(status, 500, "{forbidden:?}");
        assert!(body.contains("not allowed in XML 1.0"), "{body}");
    }
    drafts_hold(&addr, "keep me").await;

    // a body that stalls: 408 once the body timeout passes
    let t = Instant::now();
    let (status, _) = exchange(&addr, &head(true, 1000), b"<s:Envelope").await;
    assert_eq!(status, 408);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());

    // 500 connections that never finish their header are all closed by the header timeout,
    // and the server answers others meanwhile
    let mut slow = Vec::new();
    for _ in 0..500 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow.push(s);
    }
    drafts_hold(&addr, "keep me").await;
    let closed = async {
        let mut n = 0;
        for mut s in slow {
            let mut buf = [0u8; 256];
            // closed: end of stream (or an error status first, then end of stream)
            loop {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            n += 1;
        }
        n
    };
    let n = tokio::time::timeout(Duration::from_secs(10), closed)
        .await
        .expect("slow-header connections are closed");
    assert_eq!(n, 500);

    // an unauthenticated flood: 100 posts of 1.9 MB, each refused without reading the body
    let big = vec![b'a'; 1_900_000];
    for _ in 0..100 {
        let (status, _) = exchange(&addr, &head(false, big.len()), &big).await;
        assert_eq!(status, 401);
    }
    let grown = rss_kib(pid).saturating_sub(rss_start);
    eprintln!("resident memory grew by {grown} KiB over the run");
    assert!(
        grown < RSS_BOUND_KIB,
        "resident memory grew by {grown} KiB (bound {RSS_BOUND_KIB} KiB)"
    );
    drafts_hold(&addr, "keep me").await;
}
