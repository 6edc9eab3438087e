//! The client against the local EWS server when things go wrong: throttling and connection
//! limits mid-run, requests the server refuses and why, 503 bursts and missing anchors,
//! schema violations located as xmllint locates them. Split from `e2e.rs`.

mod support;

use std::time::Duration;

use ews_client::bulk::BulkOptions;
use ews_client::{ConnectingSid, ErrorKind};
use ews_testserver::TestServer;
use ews_types::m::ResponseCode;
use ews_types::{m, t};
use support::e2e_org::{folder, login, server};
use support::{appointment, check_responses};

#[tokio::test]
async fn throttling_and_connection_limits_mid_run_lose_nothing() {
    let server = server().await;
    server.control().set_latency(Duration::from_millis(20));
    server.control().throttle_next(3, Duration::from_millis(50));
    server.control().set_concurrency_limit(1);
    let svc = login(&server, "svc-booking", "svc-pw");
    let boxes: Vec<String> = (0..4).map(|i| format!("a{i}@contoso.com")).collect();
    let results = svc
        .create_appointments(
            &boxes,
            |_| appointment("Standup", &[]),
            BulkOptions::default().concurrency(4),
        )
        .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    for b in &boxes {
        assert_eq!(
            folder(&server, b, t::DistinguishedFolderIdName::Calendar).len(),
            1,
            "{b}: once"
        );
    }
    let busy = server
        .control()
        .exchanges()
        .iter()
        .filter(|e| e.response.contains("ErrorServerBusy"))
        .count();
    assert_eq!(busy, 3);
    check_responses(&server);
}

#[tokio::test]
async fn bad_requests_get_faults_that_say_why() {
    let server = server().await;
    let http = reqwest_post(&server, "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>\n<m:GetItem xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\"><m:ItemShape/></m:GetItem></s:Body></s:Envelope>").await;
    assert!(
        http.contains("ErrorSchemaValidation") && http.contains(r#"Name="LineNumber">2<"#),
        "{http}"
    );
    let c = login(&server, "boss@contoso.com", "boss-pw");
    let e = c.send(&m::GetRoomLists::default()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Fault);
    assert!(e.to_string().contains("GetRoomLists"), "{e}");
    let bad = login(&server, "boss@contoso.com", "wrong");
    assert_eq!(
        bad.send(&m::GetServerTimeZones::default())
            .await
            .unwrap_err()
            .status(),
        Some(401)
    );
    let svc = login(&server, "svc-booking", "svc-pw");
    let e = svc
        .impersonate(ConnectingSid::smtp("nobody@contoso.com"))
        .unwrap()
        .send(&support::get_item(1))
        .await
        .unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&ResponseCode::ErrorNonExistentMailbox)
    );
    let by_sid = svc
        .impersonate_anchored(ConnectingSid::sid("S-1-5-21-1-2-3-5000"), "a0@contoso.com")
        .unwrap()
        .send(&m::ResolveNames::new(false, "cfo"))
        .await
        .unwrap();
    assert_eq!(by_sid.response_messages.content.len(), 1);
}

/// Posts a raw body as the boss; returns the response text.
async fn reqwest_post(server: &TestServer, body: &str) -> String {
    // boss@contoso.com:boss-pw
    reqwest_post_as(server, "Ym9zc0Bjb250b3NvLmNvbTpib3NzLXB3", body).await
}

#[tokio::test]
async fn unavailable_bursts_and_missing_anchors() {
    let server = server().await;
    // A burst of 503s: the client backs off and gets through.
    server.control().unavailable_next(2);
    let boss = login(&server, "boss@contoso.com", "boss-pw");
    boss.send(&m::ResolveNames::new(false, "cfo"))
        .await
        .unwrap();
    let statuses: Vec<u16> = server
        .control()
        .exchanges()
        .iter()
        .map(|e| e.status)
        .collect();
    assert_eq!(statuses, [503, 503, 200]);
    // Impersonated requests without X-AnchorMailbox can be refused; the client always sends it.
    server.control().set_require_anchor(true);
    let svc = login(&server, "svc-booking", "svc-pw");
    svc.impersonate(ConnectingSid::smtp("a0@contoso.com"))
        .unwrap()
        .send(&m::ResolveNames::new(false, "boss"))
        .await
        .expect("the client anchors impersonated requests");
    let raw = reqwest_post_as(&server, "c3ZjLWJvb2tpbmc6c3ZjLXB3", r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><s:Header><t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress>a0@contoso.com</t:SmtpAddress></t:ConnectingSID></t:ExchangeImpersonation></s:Header><s:Body><m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>boss</m:UnresolvedEntry></m:ResolveNames></s:Body></s:Envelope>"#).await;
    assert!(
        raw.contains("ErrorImpersonationFailed") && raw.contains("X-AnchorMailbox"),
        "{raw}"
    );
    check_responses(&server);
}

/// Posts a raw body with the given Basic credentials (base64); returns the response text.
async fn reqwest_post_as(server: &TestServer, basic: &str, body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let req = format!(
        "POST /EWS/Exchange.asmx HTTP/1.1\r\nhost: x\r\nauthorization: Basic {basic}\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn misordered_and_unknown_elements_fail_schema_validation() {
    let server = server().await;
    let env = |body: &str| {
        format!(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Body>{body}</s:Body></s:Envelope>"#
        )
    };
    // ItemIds before ItemShape.
    let misordered = env(
        "<m:GetItem>\n<m:ItemIds><t:ItemId Id=\"x\"/></m:ItemIds>\n<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape></m:GetItem>",
    );
    let answer = reqwest_post(&server, &misordered).await;
    assert!(answer.contains("ErrorSchemaValidation"), "{answer}");
    assert!(answer.contains(r#"Name="LineNumber">2<"#), "{answer}");
    let unknown = env(
        "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:Bogus/></m:ItemShape><m:ItemIds><t:ItemId Id=\"x\"/></m:ItemIds></m:GetItem>",
    );
    let answer = reqwest_post(&server, &unknown).await;
    assert!(
        answer.contains("ErrorSchemaValidation") && answer.contains("Bogus"),
        "{answer}"
    );
    // A well-formed request in schema order passes.
    let fine = env(
        "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id=\"x\"/></m:ItemIds></m:GetItem>",
    );
    let answer = reqwest_post(&server, &fine).await;
    assert!(answer.contains("ErrorItemNotFound"), "{answer}");
}

/// Requests that break the schema in the ways Exchange's validator catches: each gets
/// `ErrorSchemaValidation` with the line xmllint reports for the same body.
#[tokio::test]
async fn schema_violations_are_located_where_xmllint_locates_them() {
    const XMLNS: &str = r#"xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types""#;
    let server = server().await;
    let cases = [
        // NonEmptyStringType (xs:minLength 1)
        (
            "ResolveNames",
            "<m:ResolveNames ReturnFullContactData=\"false\">\n  <m:UnresolvedEntry></m:UnresolvedEntry>\n</m:ResolveNames>",
            "shorter than 1",
        ),
        // ReminderMinutesBeforeStartType: a union of two integer ranges
        (
            "CreateItem",
            "<m:CreateItem SendMeetingInvitations=\"SendToNone\">\n  <m:Items>\n    <t:CalendarItem>\n      <t:Subject>s</t:Subject>\n      <t:ReminderMinutesBeforeStart>99999999</t:ReminderMinutesBeforeStart>\n    </t:CalendarItem>\n  </m:Items>\n</m:CreateItem>",
            "none of the union",
        ),
        // a NonEmptyArrayOfBaseItemIdsType with no id (minOccurs 1)
        (
            "GetItem",
            "<m:GetItem>\n  <m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>\n  <m:ItemIds/>\n</m:GetItem>",
            "at least 1",
        ),
        // an attribute ItemIdType does not declare
        (
            "GetItem",
            "<m:GetItem>\n  <m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>\n  <m:ItemIds>\n    <t:ItemId Id=\"x\" Colour=\"red\"/>\n  </m:ItemIds>\n</m:GetItem>",
            "undeclared attribute Colour",
        ),
        // text in element-only content
        (
            "GetItem",
            "<m:GetItem>\n  <m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>\n  stray</m:ItemShape>\n  <m:ItemIds><t:ItemId Id=\"x\"/></m:ItemIds>\n</m:GetItem>",
            "text is not allowed",
        ),
        // Subject after Sensitivity: out of schema order
        (
            "CreateItem",
            "<m:CreateItem SendMeetingInvitations=\"SendToNone\">\n  <m:Items>\n    <t:CalendarItem>\n      <t:Sensitivity>Private</t:Sensitivity>\n      <t:Subject>s</t:Subject>\n    </t:CalendarItem>\n  </m:Items>\n</m:CreateItem>",
            "schema order",
        ),
    ];
    for (op, body, why) in cases {
        // the body element starts on line 1 in both documents, so their lines agree
        let request = format!(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" {XMLNS}><s:Body>{body}</s:Body></s:Envelope>"#
        );
        let answer = reqwest_post(&server, &request).await;
        assert!(answer.contains("ErrorSchemaValidation"), "{op}: {answer}");
        assert!(answer.contains(why), "{op}: {why}: {answer}");
        let line: usize = answer
            .split(r#"Name="LineNumber">"#)
            .nth(1)
            .and_then(|s| s.split('<').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no LineNumber: {answer}"));
        let standalone = body.replacen(&format!("<m:{op}"), &format!("<m:{op} {XMLNS}"), 1);
        match support::xmllint_error_line(&standalone) {
            Ok(Some(expected)) => assert_eq!(line, expected, "{op}: {why}: {answer}"),
            Ok(None) => panic!("xmllint accepts {standalone}"),
            Err(()) => {}
        }
    }
}
