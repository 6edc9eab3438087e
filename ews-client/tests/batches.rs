//! Several appointments for one mailbox in batched CreateItem requests
//! ([`Mailbox::create_appointments`]): one result per item in order, meetings batched apart
//! from plain appointments, per-item failures inside a batch, and a request that fails whole
//! reported on each of its items with its outcome.

mod support;

use ews_client::{ErrorKind, Mailbox, RetryPolicy, TransportError, t};
use support::{appointment, check_responses, envelope, login, serve, stored};

use t::DistinguishedFolderIdName as Folder;

const ORG: &str = r#"
[[mailbox]]
smtp = "boss@contoso.com"
password = "boss-pw"
[[mailbox]]
smtp = "bob@contoso.com"
"#;

#[tokio::test]
async fn twenty_five_appointments_in_three_requests() {
    let server = serve(ORG).await;
    let boss: Mailbox = login(&server, "boss@contoso.com", "boss-pw").my_mailbox();
    let items: Vec<t::CalendarItem> = (0..25)
        .map(|i| {
            let with: &[&str] = if i % 5 == 0 {
                &["bob@contoso.com"]
            } else {
                &[]
            };
            appointment(&format!("Slot {i}"), with)
        })
        .collect();
    let results = boss.create_appointments(items, 10).await;
    assert_eq!(results.len(), 25);
    let held = stored(&server, "boss@contoso.com", Folder::Calendar);
    for (i, r) in results.iter().enumerate() {
        let id = r.as_ref().unwrap();
        let (_, item) = held.iter().find(|(h, _)| h.id == id.id).expect("stored");
        let ews_testserver::store::Item::Calendar(c) = item else {
            panic!("not a calendar item")
        };
        assert_eq!(
            c.subject.as_deref(),
            Some(format!("Slot {i}").as_str()),
            "in order"
        );
    }
    // 5 meetings in one request, 20 appointments in two
    let requests = support::sent(&server, "CreateItem");
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].matches("<t:CalendarItem>").count(), 5);
    assert!(requests[0].contains(r#"SendMeetingInvitations="SendToAllAndSaveCopy""#));
    assert!(requests[1].contains(r#"SendMeetingInvitations="SendToNone""#));
    assert_eq!(
        stored(&server, "bob@contoso.com", Folder::Inbox).len(),
        5,
        "five invitations"
    );
    check_responses(&server);
}

fn create_response(messages: &[&str]) -> String {
    let m = "http://schemas.microsoft.com/exchange/services/2006/messages";
    let t = "http://schemas.microsoft.com/exchange/services/2006/types";
    let mut body =
        format!(r#"<m:CreateItemResponse xmlns:m="{m}" xmlns:t="{t}"><m:ResponseMessages>"#);
    for (i, code) in messages.iter().enumerate() {
        let class = match *code {
            "NoError" => "Success",
            "ErrorBatchProcessingStopped" => "Warning",
            _ => "Error",
        };
        body.push_str(&format!(
            r#"<m:CreateItemResponseMessage ResponseClass="{class}">"#
        ));
        if class != "Success" {
            body.push_str("<m:MessageText>no</m:MessageText>");
        }
        body.push_str(&format!("<m:ResponseCode>{code}</m:ResponseCode>"));
        if class != "Success" {
            body.push_str("<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:Items/>");
        } else {
            body.push_str(&format!(
                r#"<m:Items><t:CalendarItem><t:ItemId Id="id{i}" ChangeKey="ck"/></t:CalendarItem></m:Items>"#
            ));
        }
        body.push_str("</m:CreateItemResponseMessage>");
    }
    body.push_str("</m:ResponseMessages></m:CreateItemResponse>");
    envelope(&body)
}

#[tokio::test]
async fn failures_inside_a_batch_stay_with_their_items() {
    let script = support::Script::new([Ok(support::xml_response(
        200,
        create_response(&[
            "NoError",
            "ErrorMailboxStoreUnavailable",
            "ErrorBatchProcessingStopped",
        ]),
    ))]);
    let mb = support::client(script.clone())
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
        .my_mailbox();
    let items = (0..3).map(|i| appointment(&format!("A{i}"), &[])).collect();
    let r = mb.create_appointments(items, 10).await;
    assert_eq!(r[0].as_ref().unwrap().id, "id0");
    assert_eq!(
        r[1].as_ref().unwrap_err().response_code(),
        Some(&ews_client::m::ResponseCode::ErrorMailboxStoreUnavailable)
    );
    assert_eq!(r[2].as_ref().unwrap_err().kind(), ErrorKind::NotProcessed);
    assert_eq!(script.count(), 1);
}

#[tokio::test]
async fn a_request_that_fails_whole_reports_each_item_with_its_outcome() {
    let script = support::Script::new([Err(TransportError::new(
        ErrorKind::Timeout,
        true,
        "the request timed out",
    ))]);
    let mb = support::client(script.clone())
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
        .my_mailbox();
    let items = (0..4).map(|i| appointment(&format!("A{i}"), &[])).collect();
    let r = mb.create_appointments(items, 10).await;
    assert_eq!(r.len(), 4);
    for (k, result) in r.iter().enumerate() {
        let e = result.as_ref().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert!(
            e.outcome_unknown(),
            "a write that timed out: unknown, for each item"
        );
        assert_eq!(e.item_index(), Some(k));
    }
}
