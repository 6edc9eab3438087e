//! EWS semantics: per-item results, faults, response codes, headers of the request.
//! Reliability scenarios (../shared/reference/ews-reliability.md, section b) are named `sNN`.

mod support;

use ews_client::{Credentials, ErrorKind, RetryPolicy};
use ews_types::m::ResponseCode;
use support::*;

fn ok(body: String) -> Result<ews_client::HttpResponse, ews_client::TransportError> {
    Ok(xml_response(200, body))
}

#[tokio::test]
async fn s14_one_failed_item_among_ten() {
    let mut msgs = vec![("Success", "NoError"); 10];
    msgs[3] = ("Error", "ErrorItemNotFound");
    let script = Script::new([ok(items_response("GetItem", &msgs))]);
    let c = client(script.clone()).build().unwrap();
    let results = c.send_batch(&get_item(10), 10).await.unwrap();
    assert_eq!(results.len(), 10);
    for (i, r) in results.iter().enumerate() {
        if i == 3 {
            let e = r.as_ref().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Response);
            assert_eq!(e.response_code(), Some(&ResponseCode::ErrorItemNotFound));
            assert_eq!(e.item_index(), Some(3));
            assert_eq!(e.operation(), Some("GetItem"));
            assert!(!e.is_transient());
        } else {
            let m = r.as_ref().unwrap();
            let ews_types::m::ArrayOfResponseMessagesChoice::GetItemResponseMessage(m) = m else {
                panic!("not a GetItem message")
            };
            let items = &m.items.as_ref().unwrap().content;
            let ews_types::t::ArrayOfRealItemsChoice::Message(msg) = &items[0] else {
                panic!()
            };
            assert_eq!(
                msg.item_id.as_ref().unwrap().id,
                format!("id{i}"),
                "in order"
            );
        }
    }
    // `send` on the same answer reports the failed item.
    let script = Script::new([ok(items_response("GetItem", &msgs))]);
    let e = client(script)
        .build()
        .unwrap()
        .send(&get_item(10))
        .await
        .unwrap_err();
    assert_eq!(e.item_index(), Some(3));
}

#[tokio::test]
async fn s15_batch_stopped_items_are_not_processed_and_nothing_is_resent() {
    let mut msgs = vec![("Success", "NoError"); 10];
    msgs[4] = ("Error", "ErrorMailboxStoreUnavailable");
    for m in &mut msgs[5..] {
        *m = ("Warning", "ErrorBatchProcessingStopped");
    }
    let script = Script::new([ok(items_response("DeleteItem", &msgs))]);
    let c = client(script.clone()).build().unwrap();
    let results = c.send_batch(&delete_item(10), 10).await.unwrap();
    assert_eq!(
        script.count(),
        1,
        "a partly processed batch is never resent"
    );
    assert!(results[..4].iter().all(Result::is_ok));
    let e4 = results[4].as_ref().unwrap_err();
    assert_eq!(e4.kind(), ErrorKind::Response);
    assert!(e4.is_transient());
    for r in &results[5..] {
        let e = r.as_ref().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotProcessed);
        assert!(e.is_transient(), "safe to resubmit");
    }
}

#[tokio::test]
async fn s16_one_error_for_a_batch_or_a_wrong_count() {
    let single = items_response("GetItem", &[("Error", "ErrorAccessDenied")]);
    let c = client(Script::new([ok(single)])).build().unwrap();
    let e = c.send_batch(&get_item(10), 10).await.unwrap_err();
    assert_eq!(e.response_code(), Some(&ResponseCode::ErrorAccessDenied));
    for n in [9, 11] {
        let c = client(Script::new([ok(get_item_ok(n))])).build().unwrap();
        let e = c.send_batch(&get_item(10), 10).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MalformedResponse, "{n} messages");
        assert!(e.to_string().contains(&format!("got {n}")), "{e}");
    }
}

#[tokio::test]
async fn s17_success_class_with_an_error_code_is_an_error() {
    for code in ["ErrorItemNotFound", ""] {
        let xml = items_response("GetItem", &[("Success", code)]);
        let c = client(Script::new([ok(xml)])).build().unwrap();
        let e = c.send(&get_item(1)).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Response, "code {code:?}");
    }
    // And a missing ResponseCode.
    let xml = get_item_ok(1).replace("<m:ResponseCode>NoError</m:ResponseCode>", "");
    let c = client(Script::new([ok(xml)])).build().unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert!(e.to_string().contains("without a ResponseCode"), "{e}");
}

#[tokio::test]
async fn s22_unknown_response_code_is_kept_verbatim() {
    let xml = items_response("GetItem", &[("Error", "ErrorSomethingNew2027")]);
    let c = client(Script::new([ok(xml)])).build().unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&ResponseCode::Other("ErrorSomethingNew2027".into()))
    );
    assert!(
        e.to_string()
            .contains("ErrorSomethingNew2027: item 0 failed"),
        "{e}"
    );
}

#[tokio::test]
async fn s29_fault_with_http_500_is_parsed() {
    let f = fault(
        "ErrorSchemaValidation",
        "The request failed schema validation.",
        &[
            ("LineNumber", "1"),
            ("LinePosition", "612"),
            ("Violation", "bad"),
        ],
    );
    let c = client(Script::new([Ok(xml_response(500, f))]))
        .build()
        .unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Fault);
    assert_eq!(e.status(), Some(500));
    assert_eq!(
        e.response_code(),
        Some(&ResponseCode::ErrorSchemaValidation)
    );
    assert_eq!(e.schema_position(), Some((1, 612)));
    assert_eq!(e.message_xml().len(), 3);
    assert!(!e.is_transient());
}

#[tokio::test]
async fn s11_odd_message_xml_never_hides_the_code() {
    // Attribute-only FieldURI, plain tags and the errors namespace inside MessageXml.
    let xml = items_response("GetItem", &[("Error", "ErrorInvalidPropertyRequest")]).replace(
        "<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>",
        r#"<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:MessageXml><t:FieldURI FieldURI="item:Subject"/><Value>x</Value><e:Thing xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors"/></m:MessageXml>"#,
    );
    let c = client(Script::new([ok(xml)])).build().unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&ResponseCode::ErrorInvalidPropertyRequest)
    );
    assert_eq!(e.message_xml().len(), 3);
}

#[tokio::test]
async fn s13_html_instead_of_xml() {
    let page = "<html><body>Sign in to the portal</body></html>";
    let c = client(Script::new([Ok(plain_response(200, "text/html", page))]))
        .build()
        .unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnexpectedContentType);
    assert!(e.to_string().contains("Sign in"), "{e}");
}

#[tokio::test]
async fn http_status_errors_carry_status_and_cas_code() {
    let mut r = plain_response(401, "text/html", "denied");
    r.headers
        .insert("x-caserrorcode", "UserNotFound".parse().unwrap());
    r.headers.insert("request-id", "req-123".parse().unwrap());
    let c = client(Script::new([Ok(r)])).build().unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert_eq!(e.status(), Some(401));
    assert_eq!(e.cas_error_code(), Some("UserNotFound"));
    assert_eq!(e.request_id(), Some("req-123"));
    assert!(!e.is_transient());

    let c = client(Script::new([Ok(plain_response(403, "text/plain", "no"))]))
        .build()
        .unwrap();
    assert_eq!(
        c.send(&get_item(1)).await.unwrap_err().kind(),
        ErrorKind::Auth
    );
}

#[tokio::test]
async fn redirects_are_errors_with_their_location() {
    let mut r = plain_response(302, "text/html", "");
    r.headers.insert(
        "location",
        "https://evil.example/EWS/Exchange.asmx?token=x"
            .parse()
            .unwrap(),
    );
    let c = client(Script::new([Ok(r)])).build().unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Redirect);
    assert_eq!(
        e.redirect_location(),
        Some("https://evil.example/EWS/Exchange.asmx?token=x")
    );
    assert!(
        !e.to_string().contains("token=x"),
        "the message is redacted: {e}"
    );
    // and so is Debug (a finding of the `response` fuzz target)
    assert!(!format!("{e:?}").contains("token=x"), "{e:?}");
    assert!(!e.is_transient());
}

#[tokio::test]
async fn request_carries_soap_headers_and_http_headers() {
    let script = Script::new([ok(get_item_ok(1)), ok(get_item_ok(1))]);
    let c = client(script.clone())
        .server_version(ews_types::t::ExchangeVersion::Exchange2013Sp1)
        .mailbox_culture("de-DE")
        .date_time_precision(ews_types::t::DateTimePrecision::Milliseconds)
        .time_zone(ews_types::t::TimeZoneContext {
            time_zone_definition: ews_types::t::TimeZoneDefinition {
                id: Some("W. Europe Standard Time".into()),
                ..Default::default()
            },
        })
        .credentials(Credentials::basic("svc", "pw"))
        .build()
        .unwrap();
    let resp = c.send_raw(&get_item(1)).await.unwrap();
    let v = resp.server_version().unwrap();
    assert_eq!(v.major_version, Some(15));
    assert_eq!(
        c.server_version().unwrap().version.as_deref(),
        Some("V2018_01_08")
    );
    let seen = script.seen.lock().unwrap()[0].request.clone();
    let body = body_text(&seen);
    assert!(
        body.contains(r#"<t:RequestServerVersion Version="Exchange2013_SP1"/>"#),
        "{body}"
    );
    assert!(
        body.contains("<t:MailboxCulture>de-DE</t:MailboxCulture>"),
        "{body}"
    );
    assert!(body.contains("<t:DateTimePrecision>Milliseconds</t:DateTimePrecision>"));
    assert!(
        body.contains(r#"<t:TimeZoneContext><t:TimeZoneDefinition Id="W. Europe Standard Time"/></t:TimeZoneContext>"#),
        "{body}"
    );
    validate_request(&body);
    let h = &seen.headers;
    assert_eq!(h["content-type"], "text/xml; charset=utf-8");
    assert_eq!(
        h["soapaction"],
        "\"http://schemas.microsoft.com/exchange/services/2006/messages/GetItem\""
    );
    assert_eq!(h["return-client-request-id"], "true");
    assert_eq!(h["client-request-id"].len(), 36);
    assert!(h["authorization"].is_sensitive());
    assert!(h["user-agent"].to_str().unwrap().starts_with("ews-client/"));
    // A second call gets a new client-request-id.
    c.send(&get_item(1)).await.unwrap();
    let ids: Vec<_> = script
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.request.headers["client-request-id"].clone())
        .collect();
    assert_ne!(ids[0], ids[1]);
}

#[tokio::test]
async fn optional_headers_go_only_to_operations_that_accept_them() {
    // The client writes an optional header exactly when the operation's WSDL binding lists it.
    use ews_types::runtime::Operation;
    let accepts = ews_types::m::GetItem::INPUT_HEADERS.contains(&"DateTimePrecision");
    let script = Script::new([ok(get_item_ok(1))]);
    let c = client(script.clone())
        .date_time_precision(ews_types::t::DateTimePrecision::Seconds)
        .build()
        .unwrap();
    c.send(&get_item(1)).await.unwrap();
    let body = body_text(&script.seen.lock().unwrap()[0].request);
    assert_eq!(body.contains("DateTimePrecision"), accepts);
    let no_precision = ews_types::m::ResolveNames::INPUT_HEADERS.contains(&"DateTimePrecision");
    assert!(
        !no_precision,
        "ResolveNames does not take DateTimePrecision"
    );
}

#[tokio::test]
async fn retries_off_returns_the_hint() {
    let c = client(Script::new([Ok(xml_response(500, busy("5000")))]))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert!(e.is_throttled());
    assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(5)));
}
