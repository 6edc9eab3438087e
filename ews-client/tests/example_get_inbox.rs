//! The `get_inbox` example, run against a local server that answers like Exchange.

mod support;

#[path = "../examples/get_inbox.rs"]
#[allow(dead_code, unused_imports)]
mod example;

use ews_client::Client;
use support::*;
use wiremock::matchers::{body_string_contains, header, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn find_item_response() -> String {
    envelope(&format!(
        r#"<m:FindItemResponse xmlns:m="{M_NS}" xmlns:t="{T_NS}"><m:ResponseMessages><m:FindItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:RootFolder IndexedPagingOffset="2" TotalItemsInView="57" IncludesLastItemInRange="false"><t:Items><t:Message><t:ItemId Id="AAMk1" ChangeKey="CQAA1"/><t:Subject>Quarterly numbers &amp; plans</t:Subject><t:DateTimeReceived>2026-11-20T09:15:00Z</t:DateTimeReceived></t:Message><t:Message><t:ItemId Id="AAMk2" ChangeKey="CQAA2"/><t:Subject>Lunch?</t:Subject><t:DateTimeReceived>2026-11-19T12:00:00Z</t:DateTimeReceived></t:Message></t:Items></m:RootFolder></m:FindItemResponseMessage></m:ResponseMessages></m:FindItemResponse>"#
    ))
}

#[tokio::test]
async fn get_inbox_lists_subjects_against_a_local_server() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header(
            "soapaction",
            "\"http://schemas.microsoft.com/exchange/services/2006/messages/FindItem\"",
        ))
        .and(body_string_contains(
            r#"<t:DistinguishedFolderId Id="inbox">"#,
        ))
        .and(body_string_contains(
            "<t:EmailAddress>boss@contoso.com</t:EmailAddress>",
        ))
        .and(body_string_contains(r#"MaxEntriesReturned="10""#))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(find_item_response(), "text/xml; charset=utf-8"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder(format!("{}/EWS/Exchange.asmx", server.uri()))
        .build()
        .unwrap();
    let s = example::inbox(&client, Some("boss@contoso.com"), 10)
        .await
        .unwrap();
    assert_eq!(s.total, Some(57));
    assert_eq!(s.items.len(), 2);
    assert_eq!(s.items[0].0, "Quarterly numbers & plans");
    assert_eq!(s.items[0].1.as_deref(), Some("2026-11-20T09:15:00Z"));
}

#[tokio::test]
async fn get_inbox_reports_server_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            items_response("FindItem", &[("Error", "ErrorNonExistentMailbox")]),
            "text/xml",
        ))
        .mount(&server)
        .await;
    let client = Client::builder(format!("{}/EWS/Exchange.asmx", server.uri()))
        .build()
        .unwrap();
    let e = example::inbox(&client, Some("nobody@contoso.com"), 10)
        .await
        .unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&ews_types::m::ResponseCode::ErrorNonExistentMailbox)
    );
}
