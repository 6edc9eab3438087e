//! Hostile and odd XML from the server (ews-reliability.md (b), 1–12): every case is a clean
//! error or a correct parse, never a panic, an expansion or a hang.

mod support;

use std::time::{Duration, Instant};

use ews_client::{ErrorKind, HttpResponse, RetryPolicy};
use ews_types::m::ResponseCode;
use support::*;

async fn answer(
    body: impl Into<bytes::Bytes>,
) -> Result<ews_types::m::GetItemResponse, ews_client::Error> {
    let mut r: HttpResponse = xml_response(200, "");
    r.body = body.into();
    let c = client(Script::new([Ok(r)]))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    c.send(&get_item(1)).await
}

async fn malformed(body: impl Into<bytes::Bytes>) -> ews_client::Error {
    let e = answer(body).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MalformedResponse, "{e}");
    e
}

#[tokio::test]
async fn s01_billion_laughs_is_refused_quickly() {
    let mut dtd = String::from(r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">"#);
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        dtd.push_str(&format!(
            r#"<!ENTITY lol{i} "{}">"#,
            format!("&{prev};").repeat(10)
        ));
    }
    dtd.push_str("]>");
    let body = format!(
        "{dtd}{}",
        get_item_ok(1)
            .replace(r#"<?xml version="1.0" encoding="utf-8"?>"#, "")
            .replace("s0", "&lol9;")
    );
    let start = Instant::now();
    let e = malformed(body).await;
    assert!(start.elapsed() < Duration::from_secs(1));
    assert!(e.to_string().contains("DOCTYPE"), "{e}");
}

#[tokio::test]
async fn s02_external_entities_are_refused() {
    let body = get_item_ok(1).replace("<t:Subject>s0", "<t:Subject>&xxe;");
    let e = malformed(body).await;
    assert!(!e.to_string().contains("root:"), "no file content: {e}");
    let with_dtd = format!(
        r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>{}"#,
        &get_item_ok(1)[38..]
    );
    malformed(with_dtd).await;
}

#[tokio::test]
async fn s03_deep_nesting_is_a_clean_error() {
    let deep = format!("{}{}{}", "<a>".repeat(100_000), "x", "</a>".repeat(100_000));
    let body = get_item_ok(1).replace(
        "<t:Subject>s0</t:Subject>",
        &format!("<t:Subject>s0</t:Subject><t:Unknown>{deep}</t:Unknown>"),
    );
    let e = malformed(body).await;
    assert!(e.to_string().contains("deeper"), "{e}");
}

#[tokio::test]
async fn s05_many_attributes_finish_in_bounded_time() {
    let attrs: String = (0..100_000).map(|i| format!(r#" a{i}="v""#)).collect();
    let body = get_item_ok(1).replace("<t:Subject>", &format!("<t:Subject{attrs}>"));
    let start = Instant::now();
    let _ = answer(body).await;
    assert!(start.elapsed() < Duration::from_secs(5));
    let ns: String = (0..100_000)
        .map(|i| format!(r#" xmlns:p{i}="urn:{i}""#))
        .collect();
    let body = get_item_ok(1).replace("<t:Subject>", &format!("<t:Subject{ns}>"));
    let start = Instant::now();
    let _ = answer(body).await;
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn s06_encodings() {
    // Invalid UTF-8: an error, never lossy replacement.
    let mut bytes = get_item_ok(1).into_bytes();
    let at = bytes.windows(2).position(|w| w == b"s0").unwrap();
    bytes[at] = 0xFF;
    let e = malformed(bytes).await;
    assert!(e.to_string().contains("UTF-8"), "{e}");
    // A BOM is accepted.
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(get_item_ok(1).as_bytes());
    answer(bom).await.expect("BOM accepted");
    // UTF-16: a clear error.
    let utf16: Vec<u8> = get_item_ok(1)
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let e = malformed(utf16).await;
    assert!(e.to_string().contains("UTF-8"), "{e}");
}

#[tokio::test]
async fn s07_bad_character_references_and_bare_ampersands() {
    for bad in ["&#0;", "&#xD800;", "AT&T"] {
        let body = get_item_ok(1).replace("<t:Subject>s0", &format!("<t:Subject>{bad}"));
        malformed(body).await;
    }
}

#[tokio::test]
async fn s08_unknown_elements_and_attributes_are_skipped() {
    let body = get_item_ok(1)
        .replace(
            "<t:Subject>",
            r#"<t:NewThing a="1"><t:Deeper/></t:NewThing><t:Subject future="yes">"#,
        )
        .replace(
            "<m:ResponseMessages>",
            "<m:Extra>x</m:Extra><m:ResponseMessages>",
        );
    let r = answer(body).await.unwrap();
    let ews_types::m::ArrayOfResponseMessagesChoice::GetItemResponseMessage(m) =
        &r.response_messages.content[0]
    else {
        panic!()
    };
    let ews_types::t::ArrayOfRealItemsChoice::Message(msg) = &m.items.as_ref().unwrap().content[0]
    else {
        panic!()
    };
    assert_eq!(msg.subject.as_deref(), Some("s0"));
}

#[tokio::test]
async fn s09_duplicates() {
    let body = get_item_ok(1).replace(
        "<m:ResponseCode>NoError</m:ResponseCode>",
        "<m:ResponseCode>NoError</m:ResponseCode><m:ResponseCode>ErrorItemNotFound</m:ResponseCode>",
    );
    malformed(body).await;
    // Duplicate BackOffMilliseconds values: the first wins, no crash.
    let f = fault(
        "ErrorServerBusy",
        "busy",
        &[
            ("BackOffMilliseconds", "1000"),
            ("BackOffMilliseconds", "2000"),
        ],
    );
    let c = client(Script::new([Ok(xml_response(500, f))]))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));
}

#[tokio::test]
async fn s10_prefixes_do_not_matter_namespaces_do() {
    let body = get_item_ok(1)
        .replace("m:", "msg:")
        .replace("xmlns:m=", "xmlns:msg=")
        .replace("xmlns:s=", "xmlns:soap=")
        .replace("<s:", "<soap:")
        .replace("</s:", "</soap:");
    assert!(body.contains("<soap:Envelope") && body.contains("<msg:GetItemResponse"));
    answer(body).await.expect("other prefixes parse the same");
    let body = get_item_ok(1).replace(M_NS, "urn:not-ews");
    malformed(body).await;
}

#[tokio::test]
async fn s12_truncated_mismatched_empty_and_trailing_junk() {
    let ok = get_item_ok(1);
    let cases = [
        ok[..ok.len() / 2].to_owned(),
        ok.replace("</m:ResponseMessages>", "</m:ResponseMessage>"),
        String::new(),
        format!("{ok}<junk/>"),
    ];
    for body in cases {
        let e = malformed(body.clone()).await;
        assert!(e.to_string().len() < 600, "bounded excerpt: {e}");
    }
}

#[tokio::test]
async fn the_server_busy_code_survives_odd_fault_shapes() {
    // Code only in faultcode, no detail.
    let f = envelope(&format!(
        r#"<s:Fault><faultcode xmlns:a="{T_NS}">a:ErrorServerBusy</faultcode><faultstring>busy</faultstring></s:Fault>"#
    ));
    let c = client(Script::new([Ok(xml_response(500, f))]))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.response_code(), Some(&ResponseCode::ErrorServerBusy));
    assert!(e.is_throttled());
}
