//! Delegate access: meetings on behalf of a principal, the paged calendar view, and delegate
//! management — exact request XML (validated against messages.xsd) and per-item results.

mod support;

use ews_client::{Delegate, DelegationProblem, ErrorKind, MeetingAnswer, PermissionLevel};
use ews_types::t;
use support::*;

fn ok(xml: String) -> Result<ews_client::HttpResponse, ews_client::TransportError> {
    Ok(xml_response(200, xml))
}

fn sent(script: &Script, i: usize) -> ews_client::HttpRequest {
    script.seen.lock().unwrap()[i].request.clone()
}

#[tokio::test]
async fn meeting_on_behalf_goes_to_the_principals_calendar() {
    let script = Script::new([ok(created(&["AAMkMeeting1"]))]);
    let c = client(script.clone()).build().unwrap();
    let boss = c.mailbox("boss@contoso.com").unwrap();
    let id = boss
        .create_meeting(appointment(
            "Budget review",
            &["cfo@contoso.com", "team@contoso.com"],
        ))
        .await
        .unwrap();
    assert_eq!(id.id, "AAMkMeeting1");
    let req = sent(&script, 0);
    let body = body_text(&req);
    assert!(
        body.contains(r#"<m:CreateItem SendMeetingInvitations="SendToAllAndSaveCopy">"#),
        "{body}"
    );
    assert!(
        body.contains(r#"<m:SavedItemFolderId><t:DistinguishedFolderId Id="calendar"><t:Mailbox><t:EmailAddress>boss@contoso.com</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></m:SavedItemFolderId>"#),
        "{body}"
    );
    assert!(body.contains("<t:Attendee><t:Mailbox><t:EmailAddress>cfo@contoso.com</t:EmailAddress></t:Mailbox></t:Attendee>"));
    assert!(
        !body.contains("ExchangeImpersonation"),
        "delegate access never impersonates"
    );
    assert_eq!(req.headers["x-anchormailbox"], "boss@contoso.com");
    validate_request(&body);
}

#[tokio::test]
async fn answering_on_behalf_sends_a_response_object_with_an_escaped_body() {
    let script = Script::new([ok(created(&["AAMkAnswer"]))]);
    let c = client(script.clone()).build().unwrap();
    c.mailbox("boss@contoso.com")
        .unwrap()
        .answer_meeting(
            t::ItemId {
                id: "AAMkRequest".into(),
                change_key: Some("CQAAAB".into()),
            },
            MeetingAnswer::Decline,
            Some("Out <all week> & ]]> back Monday"),
        )
        .await
        .unwrap();
    let req = sent(&script, 0);
    let body = body_text(&req);
    assert!(
        body.contains(r#"<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:DeclineItem><t:Body BodyType="Text">Out &lt;all week&gt; &amp; ]]&gt; back Monday</t:Body><t:ReferenceItemId Id="AAMkRequest" ChangeKey="CQAAAB"/></t:DeclineItem></m:Items></m:CreateItem>"#),
        "{body}"
    );
    assert_eq!(req.headers["x-anchormailbox"], "boss@contoso.com");
    assert_eq!(
        req.headers["soapaction"],
        "\"http://schemas.microsoft.com/exchange/services/2006/messages/CreateItem\""
    );
    validate_request(&body);
}

#[tokio::test]
async fn delegation_failures_say_what_is_missing() {
    let cases = [
        (
            "ErrorAccessDenied",
            DelegationProblem::AccessDenied,
            "Author or Editor",
        ),
        (
            "ErrorNotDelegate",
            DelegationProblem::NotDelegate,
            "AddDelegate",
        ),
        (
            "ErrorDelegateNoUser",
            DelegationProblem::DelegateNoUser,
            "does not resolve",
        ),
        (
            "ErrorMissingEmailAddress",
            DelegationProblem::MissingEmailAddress,
            "mailbox of its own",
        ),
        (
            "ErrorFolderNotFound",
            DelegationProblem::FolderNotFound,
            "visibility",
        ),
    ];
    for (code, problem, advice) in cases {
        let xml = items_response("CreateItem", &[("Error", code)]);
        let c = client(Script::new([ok(xml)])).build().unwrap();
        let e = c
            .mailbox("boss@contoso.com")
            .unwrap()
            .create_meeting(appointment("x", &["a@contoso.com"]))
            .await
            .unwrap_err();
        assert_eq!(e.delegation_problem(), Some(problem), "{code}");
        assert!(e.to_string().contains(advice), "{e}");
        assert_eq!(e.kind(), ErrorKind::Response);
    }
    // A fault for the whole request is mapped the same way.
    let f = fault("ErrorAccessDenied", "Access is denied.", &[]);
    let c = client(Script::new([Ok(xml_response(500, f))]))
        .build()
        .unwrap();
    let e = c
        .mailbox("boss@contoso.com")
        .unwrap()
        .create_meeting(appointment("x", &[]))
        .await
        .unwrap_err();
    assert_eq!(
        e.delegation_problem(),
        Some(DelegationProblem::AccessDenied)
    );
    // one error type, one message: the advice once, nothing repeated through `source()`
    let text = e.to_string();
    assert_eq!(text.matches("Access is denied.").count(), 1, "{text}");
    assert_eq!(text.matches("grant the delegate").count(), 1, "{text}");
    assert!(std::error::Error::source(&e).is_none(), "{e:?}");
    // the same code without delegate access is not a delegation problem
    let f = fault("ErrorAccessDenied", "Access is denied.", &[]);
    let c = client(Script::new([Ok(xml_response(500, f))]))
        .build()
        .unwrap();
    let e = c.send(&get_item(1)).await.unwrap_err();
    assert_eq!(e.delegation_problem(), None);
    assert!(!e.to_string().contains("grant the delegate"), "{e}");
}

fn calendar_page(items: &[(&str, &str)], last: bool) -> String {
    let mut body = format!(
        r#"<m:FindItemResponse xmlns:m="{M_NS}" xmlns:t="{T_NS}"><m:ResponseMessages><m:FindItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:RootFolder TotalItemsInView="{}" IncludesLastItemInRange="{last}"><t:Items>"#,
        items.len()
    );
    for (id, start) in items {
        body.push_str(&format!(
            r#"<t:CalendarItem><t:ItemId Id="{id}" ChangeKey="ck"/><t:Subject>{id}</t:Subject><t:Start>{start}</t:Start><t:End>{start}</t:End></t:CalendarItem>"#
        ));
    }
    body.push_str("</t:Items></m:RootFolder></m:FindItemResponseMessage></m:ResponseMessages></m:FindItemResponse>");
    envelope(&body)
}

#[tokio::test]
async fn the_calendar_view_pages_past_the_server_limit() {
    use chrono::TimeZone;
    let all = [
        ("A", "2026-12-01T09:00:00Z"),
        ("B", "2026-12-01T10:00:00Z"),
        ("C", "2026-12-01T11:00:00Z"),
        ("D", "2026-12-01T12:00:00Z"),
    ];
    // The server returns up to 2 items starting at or after StartDate.
    let script = Script::func(std::time::Duration::ZERO, move |req| {
        let body = String::from_utf8(req.body.to_vec()).unwrap();
        let start = body
            .split(r#"StartDate=""#)
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let start = chrono::DateTime::parse_from_rfc3339(&start).unwrap();
        let rest: Vec<_> = all
            .iter()
            .filter(|(_, s)| chrono::DateTime::parse_from_rfc3339(s).unwrap() >= start)
            .copied()
            .collect();
        let page: Vec<_> = rest.iter().take(2).copied().collect();
        Ok(xml_response(200, calendar_page(&page, rest.len() <= 2)))
    });
    let c = client(script.clone()).build().unwrap();
    let boss = c.mailbox("boss@contoso.com").unwrap();
    let from = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let to = chrono::Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap();
    let items = boss.calendar_view_paged(from, to, 2).await.unwrap();
    let ids: Vec<_> = items
        .iter()
        .map(|i| i.item_id.as_ref().unwrap().id.as_str())
        .collect();
    assert_eq!(ids, ["A", "B", "C", "D"], "every item once, in order");
    assert_eq!(script.count(), 3);
    let first = body_text(&sent(&script, 0));
    assert!(first.contains(r#"<t:DistinguishedFolderId Id="calendar"><t:Mailbox><t:EmailAddress>boss@contoso.com</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>"#));
    assert!(first.contains(r#"MaxEntriesReturned="2""#));
    validate_request(&first);
}

fn delegate_response(op: &str, users: &[(&str, &str, &str)], deliver: Option<&str>) -> String {
    let mut body = format!(
        r#"<m:{op}Response ResponseClass="Success" xmlns:m="{M_NS}" xmlns:t="{T_NS}"><m:ResponseCode>NoError</m:ResponseCode><m:ResponseMessages>"#
    );
    for (addr, code, calendar) in users {
        let class = if *code == "NoError" {
            "Success"
        } else {
            "Error"
        };
        body.push_str(&format!(
            r#"<m:DelegateUserResponseMessageType ResponseClass="{class}">"#
        ));
        if class == "Error" {
            body.push_str(&format!("<m:MessageText>{addr} failed</m:MessageText>"));
        }
        body.push_str(&format!("<m:ResponseCode>{code}</m:ResponseCode>"));
        if class == "Success" && op != "RemoveDelegate" {
            body.push_str(&format!(
                "<m:DelegateUser><t:UserId><t:PrimarySmtpAddress>{addr}</t:PrimarySmtpAddress><t:DisplayName>{addr}</t:DisplayName></t:UserId><t:DelegatePermissions><t:CalendarFolderPermissionLevel>{calendar}</t:CalendarFolderPermissionLevel><t:InboxFolderPermissionLevel>Custom</t:InboxFolderPermissionLevel></t:DelegatePermissions><t:ReceiveCopiesOfMeetingMessages>true</t:ReceiveCopiesOfMeetingMessages><t:ViewPrivateItems>false</t:ViewPrivateItems></m:DelegateUser>"
            ));
        }
        body.push_str("</m:DelegateUserResponseMessageType>");
    }
    body.push_str("</m:ResponseMessages>");
    if let Some(d) = deliver {
        body.push_str(&format!(
            "<m:DeliverMeetingRequests>{d}</m:DeliverMeetingRequests>"
        ));
    }
    body.push_str(&format!("</m:{op}Response>"));
    envelope(&body)
}

#[tokio::test]
async fn delegates_are_read_with_custom_levels() {
    let xml = delegate_response(
        "GetDelegate",
        &[
            ("assistant@contoso.com", "NoError", "Editor"),
            ("temp@contoso.com", "NoError", "Reviewer"),
        ],
        Some("DelegatesAndMe"),
    );
    let script = Script::new([ok(xml)]);
    let c = client(script.clone()).build().unwrap();
    let d = c
        .mailbox("boss@contoso.com")
        .unwrap()
        .get_delegates(true)
        .await
        .unwrap();
    assert_eq!(
        d.deliver_meeting_requests,
        Some(t::DeliverMeetingRequests::DelegatesAndMe)
    );
    let first = d.delegates[0].as_ref().unwrap();
    assert_eq!(first.address, "assistant@contoso.com");
    assert_eq!(first.levels.calendar, Some(PermissionLevel::Editor));
    assert_eq!(first.levels.inbox, Some(PermissionLevel::Custom));
    assert_eq!(first.receive_copies_of_meeting_messages, Some(true));
    let body = body_text(&sent(&script, 0));
    assert!(body.contains(r#"<m:GetDelegate IncludePermissions="true"><m:Mailbox><t:EmailAddress>boss@contoso.com</t:EmailAddress></m:Mailbox></m:GetDelegate>"#), "{body}");
    validate_request(&body);
}

#[tokio::test]
async fn adding_delegates_gives_one_result_each() {
    let xml = delegate_response(
        "AddDelegate",
        &[
            ("assistant@contoso.com", "NoError", "Editor"),
            ("ghost@contoso.com", "ErrorDelegateNoUser", ""),
        ],
        None,
    );
    let script = Script::new([ok(xml)]);
    let c = client(script.clone()).build().unwrap();
    let boss = c.mailbox("boss@contoso.com").unwrap();
    let mut assistant = Delegate::new("assistant@contoso.com").calendar(PermissionLevel::Editor);
    assistant.levels.inbox = Some(PermissionLevel::Reviewer);
    assistant.view_private_items = Some(true);
    assistant.receive_copies_of_meeting_messages = Some(true);
    let results = boss
        .add_delegates(
            &[
                assistant,
                Delegate::new("ghost@contoso.com").calendar(PermissionLevel::Reviewer),
            ],
            Some(t::DeliverMeetingRequests::DelegatesOnly),
        )
        .await
        .unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[0].as_ref().unwrap().levels.calendar,
        Some(PermissionLevel::Editor)
    );
    let e = results[1].as_ref().unwrap_err();
    assert_eq!(e.item_index(), Some(1));
    assert_eq!(
        DelegationProblem::of(e),
        Some(DelegationProblem::DelegateNoUser)
    );
    let body = body_text(&sent(&script, 0));
    assert!(body.contains("<t:DelegateUser><t:UserId><t:PrimarySmtpAddress>assistant@contoso.com</t:PrimarySmtpAddress></t:UserId><t:DelegatePermissions><t:CalendarFolderPermissionLevel>Editor</t:CalendarFolderPermissionLevel><t:InboxFolderPermissionLevel>Reviewer</t:InboxFolderPermissionLevel></t:DelegatePermissions><t:ReceiveCopiesOfMeetingMessages>true</t:ReceiveCopiesOfMeetingMessages><t:ViewPrivateItems>true</t:ViewPrivateItems></t:DelegateUser>"), "{body}");
    assert!(body.contains("<m:DeliverMeetingRequests>DelegatesOnly</m:DeliverMeetingRequests>"));
    validate_request(&body);
}

#[tokio::test]
async fn custom_levels_are_never_written() {
    let script = Script::new([ok(delegate_response(
        "UpdateDelegate",
        &[("assistant@contoso.com", "NoError", "Author")],
        None,
    ))]);
    let c = client(script.clone()).build().unwrap();
    let boss = c.mailbox("boss@contoso.com").unwrap();
    // Adding with Custom is refused before sending.
    let mut custom = Delegate::new("assistant@contoso.com");
    custom.levels.inbox = Some(PermissionLevel::Custom);
    let e = boss
        .add_delegates(&[custom.clone()], None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(script.count(), 0);
    // Updating a delegate read back with a Custom inbox level leaves the inbox out.
    custom.levels.calendar = Some(PermissionLevel::Author);
    let r = boss.update_delegates(&[custom], None).await.unwrap();
    assert!(r[0].is_ok());
    let body = body_text(&sent(&script, 0));
    assert!(
        body.contains("<t:CalendarFolderPermissionLevel>Author</t:CalendarFolderPermissionLevel>")
    );
    assert!(!body.contains("InboxFolderPermissionLevel"), "{body}");
    validate_request(&body);
}

#[tokio::test]
async fn removing_delegates_checks_the_count() {
    let script = Script::new([
        ok(delegate_response(
            "RemoveDelegate",
            &[
                ("a@contoso.com", "NoError", ""),
                ("b@contoso.com", "ErrorNotDelegate", ""),
            ],
            None,
        )),
        ok(delegate_response(
            "RemoveDelegate",
            &[("a@contoso.com", "NoError", "")],
            None,
        )),
    ]);
    let c = client(script.clone()).build().unwrap();
    let boss = c.mailbox("boss@contoso.com").unwrap();
    let r = boss
        .remove_delegates(&["a@contoso.com", "b@contoso.com"])
        .await
        .unwrap();
    assert!(r[0].is_ok());
    assert_eq!(
        r[1].as_ref().unwrap_err().response_code(),
        Some(&ews_types::m::ResponseCode::ErrorNotDelegate)
    );
    let body = body_text(&sent(&script, 0));
    validate_request(&body);
    let e = boss
        .remove_delegates(&["a@contoso.com", "b@contoso.com"])
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MalformedResponse);
}

fn folder_response(calendar: bool) -> String {
    let (folder, list, entry, level) = if calendar {
        (
            "CalendarFolder",
            "CalendarPermissions",
            "CalendarPermission",
            "CalendarPermissionLevel",
        )
    } else {
        ("Folder", "Permissions", "Permission", "PermissionLevel")
    };
    let entry = |user: &str, create: bool, read: &str, lvl: &str| {
        format!(
            "<t:{entry}><t:UserId>{user}</t:UserId><t:CanCreateItems>{create}</t:CanCreateItems><t:ReadItems>{read}</t:ReadItems><t:{level}>{lvl}</t:{level}></t:{entry}>"
        )
    };
    let entries = entry(
        "<t:DistinguishedUser>Default</t:DistinguishedUser>",
        false,
        "None",
        "None",
    ) + &entry(
        "<t:PrimarySmtpAddress>old@contoso.com</t:PrimarySmtpAddress>",
        true,
        "FullDetails",
        "Custom",
    );
    envelope(&format!(
        r#"<m:GetFolderResponse xmlns:m="{M_NS}" xmlns:t="{T_NS}"><m:ResponseMessages><m:GetFolderResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Folders><t:{folder}><t:FolderId Id="AQMkFolder" ChangeKey="AQAAAB"/><t:PermissionSet><t:{list}>{entries}</t:{list}></t:PermissionSet></t:{folder}></m:Folders></m:GetFolderResponseMessage></m:ResponseMessages></m:GetFolderResponse>"#
    ))
}

#[tokio::test]
async fn folder_permissions_are_read_changed_and_written_back() {
    let updated = items_response("UpdateFolder", &[("Success", "NoError")]);
    let script = Script::new([
        ok(folder_response(false)),
        ok(updated.clone()),
        ok(folder_response(true)),
        ok(updated),
    ]);
    let c = client(script.clone()).build().unwrap();
    let team = c.mailbox("team@contoso.com").unwrap();

    let mut inbox = team
        .folder_permissions(t::DistinguishedFolderIdName::Inbox)
        .await
        .unwrap();
    assert_eq!(inbox.folder_id.change_key.as_deref(), Some("AQAAAB"));
    let ews_client::PermissionSet::Folder(set) = &inbox.set else {
        panic!("a mail folder")
    };
    assert_eq!(set.permissions.content.len(), 2);
    let t::ArrayOfPermissionsChoice::Permission(old) = &set.permissions.content[1];
    assert_eq!(
        old.permission_level,
        t::PermissionLevel::Custom,
        "custom levels are readable"
    );
    assert_eq!(old.can_create_items, Some(true));
    inbox
        .set
        .set_level("helper@contoso.com", t::PermissionLevel::Reviewer)
        .unwrap();
    assert!(inbox.set.remove("old@contoso.com"));
    team.set_folder_permissions(&inbox).await.unwrap();
    let body = body_text(&sent(&script, 1));
    assert!(
        body.contains(r#"<t:FolderId Id="AQMkFolder" ChangeKey="AQAAAB"/>"#),
        "{body}"
    );
    assert!(body.contains(r#"<t:SetFolderField><t:FieldURI FieldURI="folder:PermissionSet"/><t:Folder><t:PermissionSet><t:Permissions>"#), "{body}");
    assert!(body.contains("<t:PrimarySmtpAddress>helper@contoso.com</t:PrimarySmtpAddress></t:UserId><t:PermissionLevel>Reviewer</t:PermissionLevel>"), "{body}");
    assert!(!body.contains("old@contoso.com"));
    validate_request(&body);

    let mut cal = team
        .folder_permissions(t::DistinguishedFolderIdName::Calendar)
        .await
        .unwrap();
    assert!(matches!(cal.set, ews_client::PermissionSet::Calendar(_)));
    let e = cal
        .set
        .set_level("x@contoso.com", t::PermissionLevel::Reviewer)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    cal.set
        .set_calendar_level(
            "helper@contoso.com",
            t::CalendarPermissionLevel::FreeBusyTimeAndSubjectAndLocation,
        )
        .unwrap();
    team.set_folder_permissions(&cal).await.unwrap();
    let body = body_text(&sent(&script, 3));
    assert!(
        body.contains("<t:CalendarFolder><t:PermissionSet><t:CalendarPermissions>"),
        "{body}"
    );
    assert!(body.contains(
        "<t:CalendarPermissionLevel>FreeBusyTimeAndSubjectAndLocation</t:CalendarPermissionLevel>"
    ));
    validate_request(&body);
}

#[tokio::test]
async fn returned_ids_are_used_as_they_are() {
    use chrono::TimeZone;
    let script = Script::new([
        ok(calendar_page(&[("AAMkOcc1", "2026-12-01T09:00:00Z")], true)),
        ok(items_response("DeleteItem", &[("Success", "NoError")])),
    ]);
    let c = client(script.clone()).build().unwrap();
    let boss = c.mailbox("boss@contoso.com").unwrap();
    let from = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let items = boss
        .calendar_view(from, from + chrono::Duration::days(1))
        .await
        .unwrap();
    let id = *items[0].item_id.clone().unwrap();
    let delete = ews_types::m::DeleteItem::new(
        t::Disposal::MoveToDeletedItems,
        t::NonEmptyArrayOfBaseItemIds::new(t::NonEmptyArrayOfBaseItemIdsChoice::ItemId(id)),
    )
    .with_send_meeting_cancellations(t::CalendarItemCreateOrDeleteOperation::SendToNone);
    boss.send(&delete).await.unwrap();
    let req = sent(&script, 1);
    let body = body_text(&req);
    assert!(
        body.contains(r#"<m:ItemIds><t:ItemId Id="AAMkOcc1" ChangeKey="ck"/></m:ItemIds>"#),
        "{body}"
    );
    assert!(
        !body.contains("<t:Mailbox>"),
        "implicit access: the id is enough"
    );
    assert_eq!(req.headers["x-anchormailbox"], "boss@contoso.com");
    validate_request(&body);
}
