//! The client's helpers against the local EWS server (ews-testserver), with outcomes checked
//! by reading the mailboxes back. Every response the server sends here is validated against
//! messages.xsd.

mod support;

use ews_client::bulk::BulkOptions;
use ews_client::{Client, ConnectingSid, Delegate, DelegationProblem, PermissionLevel};
use ews_testserver::store::Item;
use ews_types::m::ResponseCode;
use ews_types::{m, t};
use support::e2e_org::{folder, login, server};
use support::{address, appointment, check_responses};

#[tokio::test]
async fn appointments_by_impersonation_with_one_mailbox_out_of_scope() {
    let server = server().await;
    let svc = login(&server, "svc-booking", "svc-pw");
    let boxes: Vec<String> = ["a0", "a1", "a2", "a3", "outsider"]
        .iter()
        .map(|b| format!("{b}@contoso.com"))
        .collect();
    let results = svc
        .create_appointments(
            &boxes,
            |m| appointment(&format!("Tennis for {m}"), &["cfo@contoso.com"]),
            BulkOptions::default(),
        )
        .await;
    for (b, r) in boxes.iter().zip(&results) {
        if b.starts_with("outsider") {
            let e = r.as_ref().unwrap_err();
            assert_eq!(
                e.response_code(),
                Some(&ResponseCode::ErrorImpersonateUserDenied)
            );
            assert!(folder(&server, b, t::DistinguishedFolderIdName::Calendar).is_empty());
        } else {
            let id = r.as_ref().unwrap();
            let cal = folder(&server, b, t::DistinguishedFolderIdName::Calendar);
            assert_eq!(cal.len(), 1, "{b}: exactly one appointment");
            let Item::Calendar(c) = &cal[0] else { panic!() };
            assert_eq!(
                c.subject.as_deref(),
                Some(format!("Tennis for {b}").as_str())
            );
            assert_eq!(address(&c.organizer).as_deref(), Some(b.as_str()));
            assert!(!id.id.is_empty());
        }
    }
    // The attendee got four meeting requests, each sent as the mailbox owner ("send as").
    let inbox = folder(
        &server,
        "cfo@contoso.com",
        t::DistinguishedFolderIdName::Inbox,
    );
    assert_eq!(inbox.len(), 4);
    for item in &inbox {
        let Item::MeetingRequest(r) = item else {
            panic!("a meeting request")
        };
        assert_eq!(address(&r.from), address(&r.sender));
    }
    check_responses(&server);
}

#[tokio::test]
async fn a_delegate_creates_a_meeting_on_behalf_of_the_principal() {
    let server = server().await;
    let assistant = login(&server, "assistant@contoso.com", "assistant-pw");
    let boss = assistant.mailbox("boss@contoso.com").unwrap();
    let id = boss
        .create_meeting(appointment("Budget review", &["cfo@contoso.com"]))
        .await
        .unwrap();
    let cal = folder(
        &server,
        "boss@contoso.com",
        t::DistinguishedFolderIdName::Calendar,
    );
    assert_eq!(cal.len(), 1);
    assert!(
        folder(
            &server,
            "assistant@contoso.com",
            t::DistinguishedFolderIdName::Calendar
        )
        .is_empty(),
        "not in the delegate's own calendar"
    );
    let inbox = folder(
        &server,
        "cfo@contoso.com",
        t::DistinguishedFolderIdName::Inbox,
    );
    let Item::MeetingRequest(r) = &inbox[0] else {
        panic!()
    };
    assert_eq!(
        address(&r.from).as_deref(),
        Some("boss@contoso.com"),
        "From: the principal"
    );
    assert_eq!(
        address(&r.sender).as_deref(),
        Some("assistant@contoso.com"),
        "Sender: the delegate (on behalf of)"
    );
    assert_eq!(address(&r.organizer).as_deref(), Some("boss@contoso.com"));
    assert_eq!(
        folder(
            &server,
            "boss@contoso.com",
            t::DistinguishedFolderIdName::Sentitems
        )
        .len(),
        1,
        "copy saved"
    );

    // The delegate reads the calendar back and finds the meeting by its id.
    let from = chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let items = boss
        .calendar_view(from, from + chrono::Duration::days(1))
        .await
        .unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].item_id.as_ref().unwrap().id, id.id);

    // A Reviewer may read but not create.
    let temp = login(&server, "temp@contoso.com", "temp-pw");
    let e = temp
        .mailbox("boss@contoso.com")
        .unwrap()
        .create_meeting(appointment("x", &[]))
        .await
        .unwrap_err();
    assert_eq!(
        e.delegation_problem(),
        Some(DelegationProblem::AccessDenied),
        "{e}"
    );
    assert_eq!(
        temp.mailbox("boss@contoso.com")
            .unwrap()
            .calendar_view(from, from + chrono::Duration::days(1))
            .await
            .unwrap()
            .len(),
        1
    );
    // Someone with no rights at all.
    let cfo_less = login(&server, "svc-booking", "svc-pw");
    let e = cfo_less
        .mailbox("boss@contoso.com")
        .unwrap()
        .create_meeting(appointment("x", &[]))
        .await
        .unwrap_err();
    assert_eq!(
        e.delegation_problem(),
        Some(DelegationProblem::MissingEmailAddress),
        "{e}"
    );
    check_responses(&server);
}

#[tokio::test]
async fn delegates_are_managed_and_listed() {
    let server = server().await;
    let boss_login = login(&server, "boss@contoso.com", "boss-pw");
    let boss = boss_login.mailbox("boss@contoso.com").unwrap();
    let list = boss.get_delegates(true).await.unwrap();
    let addrs: Vec<_> = list
        .delegates
        .iter()
        .map(|d| d.as_ref().unwrap().address.clone())
        .collect();
    assert_eq!(addrs, ["assistant@contoso.com", "temp@contoso.com"]);
    assert_eq!(
        list.delegates[0].as_ref().unwrap().levels.calendar,
        Some(PermissionLevel::Editor)
    );

    let r = boss
        .add_delegates(
            &[
                Delegate::new("cfo@contoso.com").calendar(PermissionLevel::Author),
                Delegate::new("ghost@contoso.com"),
            ],
            None,
        )
        .await
        .unwrap();
    assert!(r[0].is_ok());
    assert_eq!(
        DelegationProblem::of(r[1].as_ref().unwrap_err()),
        Some(DelegationProblem::DelegateNoUser)
    );
    let r = boss
        .update_delegates(
            &[Delegate::new("temp@contoso.com").calendar(PermissionLevel::Author)],
            Some(t::DeliverMeetingRequests::DelegatesOnly),
        )
        .await
        .unwrap();
    assert_eq!(
        r[0].as_ref().unwrap().levels.calendar,
        Some(PermissionLevel::Author)
    );
    let r = boss
        .remove_delegates(&["cfo@contoso.com", "nobody@contoso.com"])
        .await
        .unwrap();
    assert!(r[0].is_ok() && r[1].is_err());
    let list = boss.get_delegates(true).await.unwrap();
    assert_eq!(list.delegates.len(), 2);
    assert_eq!(
        list.deliver_meeting_requests,
        Some(t::DeliverMeetingRequests::DelegatesOnly)
    );
    // Only the owner manages delegates.
    let assistant = login(&server, "assistant@contoso.com", "assistant-pw");
    let e = assistant
        .mailbox("boss@contoso.com")
        .unwrap()
        .get_delegates(false)
        .await
        .unwrap_err();
    assert_eq!(e.response_code(), Some(&ResponseCode::ErrorAccessDenied));
    check_responses(&server);
}

#[tokio::test]
async fn folder_permissions_grant_access() {
    let server = server().await;
    let boss = login(&server, "boss@contoso.com", "boss-pw");
    let assistant = login(&server, "assistant@contoso.com", "assistant-pw");
    // The assistant has no rights on the boss's Deleted Items.
    let find = |c: &Client| {
        let c = c.clone();
        async move {
            let mb = c.mailbox("boss@contoso.com").unwrap();
            mb.send(&m::FindItem::new(
                t::ItemQueryTraversal::Shallow,
                t::ItemResponseShape::new(t::DefaultShapeNames::IdOnly),
                mb.folder_ids(t::DistinguishedFolderIdName::Deleteditems),
            ))
            .await
        }
    };
    let e = find(&assistant).await.unwrap_err();
    assert_eq!(e.response_code(), Some(&ResponseCode::ErrorAccessDenied));
    let own = boss.mailbox("boss@contoso.com").unwrap();
    let mut p = own
        .folder_permissions(t::DistinguishedFolderIdName::Deleteditems)
        .await
        .unwrap();
    p.set
        .set_level("assistant@contoso.com", t::PermissionLevel::Reviewer)
        .unwrap();
    own.set_folder_permissions(&p).await.unwrap();
    find(&assistant).await.expect("Reviewer may read");
    // Writing back with the old change key is refused.
    let e = own.set_folder_permissions(&p).await.unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&ResponseCode::ErrorIrresolvableConflict)
    );
    check_responses(&server);
}

#[tokio::test]
async fn stale_change_keys_are_refused() {
    let server = server().await;
    let boss = login(&server, "boss@contoso.com", "boss-pw");
    let created = boss
        .send_batch(
            &m::CreateItem {
                send_meeting_invitations: Some(t::CalendarItemCreateOrDeleteOperation::SendToNone),
                ..m::CreateItem::new(t::NonEmptyArrayOfAllItems {
                    content: ews_types::runtime::NonEmpty::new(
                        t::NonEmptyArrayOfAllItemsChoice::CalendarItem(Box::new(appointment(
                            "v1",
                            &[],
                        ))),
                    ),
                })
            },
            1,
        )
        .await
        .unwrap();
    let m::ArrayOfResponseMessagesChoice::CreateItemResponseMessage(info) =
        created.into_iter().next().unwrap().unwrap()
    else {
        panic!()
    };
    let id = ews_client::item_id(&info.items.unwrap().content[0])
        .cloned()
        .unwrap();
    let update = |id: t::ItemId, subject: &str| m::UpdateItem {
        send_meeting_invitations_or_cancellations: Some(t::CalendarItemUpdateOperation::SendToNone),
        ..m::UpdateItem::new(
            t::ConflictResolution::AutoResolve,
            t::NonEmptyArrayOfItemChanges::new(ews_types::runtime::NonEmpty::new(
                t::ItemChange::new(
                    t::ItemChangeChoice::ItemId(id),
                    t::NonEmptyArrayOfItemChangeDescriptions {
                        content: ews_types::runtime::NonEmpty::new(
                            t::NonEmptyArrayOfItemChangeDescriptionsChoice::SetItemField(
                                t::SetItemField {
                                    path: t::Path::FieldURI(t::PathToUnindexedField {
                                        field_uri: t::UnindexedFieldURI::ItemSubject,
                                    }),
                                    content: t::SetItemFieldChoice::CalendarItem(Box::new(
                                        t::CalendarItem {
                                            subject: Some(subject.into()),
                                            ..Default::default()
                                        },
                                    )),
                                },
                            ),
                        ),
                    },
                ),
            )),
        )
    };
    boss.send(&update(id.clone(), "v2")).await.unwrap();
    let e = boss.send(&update(id.clone(), "v3")).await.unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&ResponseCode::ErrorIrresolvableConflict)
    );
    let cal = folder(
        &server,
        "boss@contoso.com",
        t::DistinguishedFolderIdName::Calendar,
    );
    let Item::Calendar(c) = &cal[0] else { panic!() };
    assert_eq!(c.subject.as_deref(), Some("v2"));
    check_responses(&server);
}

#[tokio::test]
async fn private_items_are_hidden_unless_the_delegate_may_view_them() {
    let server = server().await;
    let boss = login(&server, "boss@contoso.com", "boss-pw");
    let mut private = appointment("Doctor", &[]);
    private.sensitivity = Some(t::SensitivityChoices::Private);
    for item in [private, appointment("Team sync", &[])] {
        boss.send(&m::CreateItem {
            send_meeting_invitations: Some(t::CalendarItemCreateOrDeleteOperation::SendToNone),
            ..m::CreateItem::new(t::NonEmptyArrayOfAllItems {
                content: ews_types::runtime::NonEmpty::new(
                    t::NonEmptyArrayOfAllItemsChoice::CalendarItem(Box::new(item)),
                ),
            })
        })
        .await
        .unwrap();
    }
    let assistant = login(&server, "assistant@contoso.com", "assistant-pw");
    let view = |c: Client| async move {
        let from = chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .unwrap()
            .to_utc();
        c.mailbox("boss@contoso.com")
            .unwrap()
            .calendar_view(from, from + chrono::Duration::days(1))
            .await
            .unwrap()
    };
    let seen = view(assistant.clone()).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].subject.as_deref(), Some("Team sync"));
    let mut d = Delegate::new("assistant@contoso.com");
    d.view_private_items = Some(true);
    boss.mailbox("boss@contoso.com")
        .unwrap()
        .update_delegates(&[d], None)
        .await
        .unwrap();
    assert_eq!(
        view(assistant).await.len(),
        2,
        "ViewPrivateItems shows the private appointment"
    );
    check_responses(&server);
}

fn subjects(r: m::FindItemResponse) -> Vec<String> {
    let mut out = Vec::new();
    for msg in r.response_messages.content {
        let m::ArrayOfResponseMessagesChoice::FindItemResponseMessage(f) = msg else {
            continue;
        };
        if let Some(t::FindItemParentChoice::Items(items)) = f.root_folder.map(|r| r.content) {
            for i in items.content {
                if let t::ArrayOfRealItemsChoice::CalendarItem(c) = i {
                    out.push(c.subject.unwrap_or_default().into());
                }
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn restrictions_on_any_property() {
    let server = server().await;
    let boss = login(&server, "boss@contoso.com", "boss-pw");
    for (subject, start) in [
        ("Budget review", "2026-12-01T09:00:00Z"),
        ("budget follow-up", "2026-12-03T09:00:00Z"),
        ("Lunch", "2026-12-02T12:00:00Z"),
    ] {
        let mut a = appointment(subject, &[]);
        a.start = Some(ews_types::runtime::XmlValue::from_text(start).unwrap());
        a.end = a.start;
        boss.send(&m::CreateItem {
            send_meeting_invitations: Some(t::CalendarItemCreateOrDeleteOperation::SendToNone),
            ..m::CreateItem::new(t::NonEmptyArrayOfAllItems {
                content: ews_types::runtime::NonEmpty::new(
                    t::NonEmptyArrayOfAllItemsChoice::CalendarItem(Box::new(a)),
                ),
            })
        })
        .await
        .unwrap();
    }
    let path = |f| t::Path::FieldURI(t::PathToUnindexedField { field_uri: f });
    let find = |e: t::SearchExpression| m::FindItem {
        restriction: Some(Box::new(t::Restriction {
            search_expression: e,
        })),
        ..m::FindItem::new(
            t::ItemQueryTraversal::Shallow,
            t::ItemResponseShape::new(t::DefaultShapeNames::Default),
            t::NonEmptyArrayOfBaseFolderIds {
                content: ews_types::runtime::NonEmpty::new(
                    t::NonEmptyArrayOfBaseFolderIdsChoice::DistinguishedFolderId(
                        t::DistinguishedFolderId::new(t::DistinguishedFolderIdName::Calendar),
                    ),
                ),
            },
        )
    };
    let contains = t::SearchExpression::Contains(t::ContainsExpression {
        containment_mode: Some(t::ContainmentMode::Substring),
        containment_comparison: Some(t::ContainmentComparison::IgnoreCase),
        path: path(t::UnindexedFieldURI::ItemSubject),
        constant: t::ConstantValue {
            value: "budget".into(),
        },
    });
    assert_eq!(
        subjects(boss.send(&find(contains.clone())).await.unwrap()),
        ["Budget review", "budget follow-up"]
    );
    let after = t::SearchExpression::IsGreaterThan(t::IsGreaterThan {
        path: path(t::UnindexedFieldURI::CalendarStart),
        field_uri_or_constant: t::FieldURIOrConstant {
            content: t::FieldURIOrConstantChoice::Constant(t::ConstantValue {
                value: "2026-12-02T00:00:00Z".into(),
            }),
        },
    });
    let both = t::SearchExpression::And(t::And {
        search_expression: ews_types::runtime::NonEmpty::try_from(vec![contains, after])
            .expect("not empty"),
    });
    assert_eq!(
        subjects(boss.send(&find(both)).await.unwrap()),
        ["budget follow-up"]
    );
    // any property restricts (none of the three has categories)
    let categorized = boss
        .send(&find(t::SearchExpression::Exists(t::Exists {
            path: path(t::UnindexedFieldURI::ItemCategories),
        })))
        .await
        .unwrap();
    assert!(subjects(categorized).is_empty());
    // two properties of one item compared (each of the three ends when it starts)
    let instant = boss
        .send(&find(t::SearchExpression::IsEqualTo(t::IsEqualTo {
            path: path(t::UnindexedFieldURI::CalendarStart),
            field_uri_or_constant: t::FieldURIOrConstant {
                content: t::FieldURIOrConstantChoice::FieldURI(t::PathToUnindexedField {
                    field_uri: t::UnindexedFieldURI::CalendarEnd,
                }),
            },
        })))
        .await
        .unwrap();
    assert_eq!(subjects(instant).len(), 3);
    check_responses(&server);
}

#[tokio::test]
async fn a_delegate_sends_a_draft_on_behalf_of_the_principal() {
    let server = server().await;
    // Grant the assistant Editor on the boss's Drafts folder through its permission set.
    let boss = login(&server, "boss@contoso.com", "boss-pw");
    let own = boss.mailbox("boss@contoso.com").unwrap();
    let mut p = own
        .folder_permissions(t::DistinguishedFolderIdName::Drafts)
        .await
        .unwrap();
    p.set
        .set_level("assistant@contoso.com", t::PermissionLevel::Editor)
        .unwrap();
    own.set_folder_permissions(&p).await.unwrap();
    let assistant = login(&server, "assistant@contoso.com", "assistant-pw");
    let mb = assistant.mailbox("boss@contoso.com").unwrap();
    let draft = t::Message {
        subject: Some("Quarterly numbers".into()),
        to_recipients: Some(Box::new(t::ArrayOfRecipients {
            content: vec![t::ArrayOfRecipientsChoice::Mailbox(t::EmailAddressType {
                email_address: Some("cfo@contoso.com".into()),
                ..Default::default()
            })],
        })),
        ..Default::default()
    };
    let created = mb
        .send_batch(
            &m::CreateItem {
                message_disposition: Some(t::MessageDisposition::SaveOnly),
                saved_item_folder_id: Some(Box::new(
                    mb.target_folder(t::DistinguishedFolderIdName::Drafts),
                )),
                ..m::CreateItem::new(t::NonEmptyArrayOfAllItems {
                    content: ews_types::runtime::NonEmpty::new(
                        t::NonEmptyArrayOfAllItemsChoice::Message(Box::new(draft)),
                    ),
                })
            },
            1,
        )
        .await
        .unwrap();
    let m::ArrayOfResponseMessagesChoice::CreateItemResponseMessage(info) =
        created.into_iter().next().unwrap().unwrap()
    else {
        panic!()
    };
    let id = ews_client::item_id(&info.items.unwrap().content[0])
        .cloned()
        .unwrap();
    mb.send(&m::SendItem {
        save_item_to_folder: true,
        item_ids: t::NonEmptyArrayOfBaseItemIds {
            content: ews_types::runtime::NonEmpty::new(
                t::NonEmptyArrayOfBaseItemIdsChoice::ItemId(id),
            ),
        },
        saved_item_folder_id: None,
    })
    .await
    .unwrap();
    assert!(
        folder(
            &server,
            "boss@contoso.com",
            t::DistinguishedFolderIdName::Drafts
        )
        .is_empty()
    );
    assert_eq!(
        folder(
            &server,
            "boss@contoso.com",
            t::DistinguishedFolderIdName::Sentitems
        )
        .len(),
        1
    );
    let inbox = folder(
        &server,
        "cfo@contoso.com",
        t::DistinguishedFolderIdName::Inbox,
    );
    let Item::Message(msg) = &inbox[0] else {
        panic!()
    };
    assert_eq!(address(&msg.from).as_deref(), Some("boss@contoso.com"));
    assert_eq!(
        address(&msg.sender).as_deref(),
        Some("assistant@contoso.com")
    );
    check_responses(&server);
}

#[tokio::test]
async fn meeting_requests_follow_deliver_meeting_requests() {
    let server = server().await;
    let svc = login(&server, "svc-booking", "svc-pw");
    let invite = |subject: &'static str| {
        let svc = svc.clone();
        async move {
            svc.create_appointments(
                &["a0@contoso.com".to_owned()],
                |_| appointment(subject, &["boss@contoso.com"]),
                BulkOptions::default(),
            )
            .await
            .remove(0)
            .unwrap()
        }
    };
    invite("First").await;
    // Default (DelegatesAndSendInformationToMe): the boss and the assistant (who receives copies).
    assert_eq!(
        folder(
            &server,
            "boss@contoso.com",
            t::DistinguishedFolderIdName::Inbox
        )
        .len(),
        1
    );
    assert_eq!(
        folder(
            &server,
            "assistant@contoso.com",
            t::DistinguishedFolderIdName::Inbox
        )
        .len(),
        1
    );
    let cal = folder(
        &server,
        "boss@contoso.com",
        t::DistinguishedFolderIdName::Calendar,
    );
    let Item::Calendar(tentative) = &cal[0] else {
        panic!()
    };
    assert_eq!(
        tentative.legacy_free_busy_status,
        Some(t::LegacyFreeBusy::Tentative)
    );
    // DelegatesOnly: only the assistant.
    let boss = login(&server, "boss@contoso.com", "boss-pw");
    boss.mailbox("boss@contoso.com")
        .unwrap()
        .update_delegates(&[], Some(t::DeliverMeetingRequests::DelegatesOnly))
        .await
        .unwrap();
    invite("Second").await;
    assert_eq!(
        folder(
            &server,
            "boss@contoso.com",
            t::DistinguishedFolderIdName::Inbox
        )
        .len(),
        1
    );
    assert_eq!(
        folder(
            &server,
            "assistant@contoso.com",
            t::DistinguishedFolderIdName::Inbox
        )
        .len(),
        2
    );
    check_responses(&server);
}

#[tokio::test]
async fn deleting_a_meeting_sends_cancellations() {
    let server = server().await;
    let svc = login(&server, "svc-booking", "svc-pw");
    let id = svc
        .create_appointments(
            &["a1@contoso.com".to_owned()],
            |_| appointment("Offsite", &["cfo@contoso.com"]),
            BulkOptions::default(),
        )
        .await
        .remove(0)
        .unwrap();
    let a1 = svc
        .impersonate(ConnectingSid::smtp("a1@contoso.com"))
        .unwrap();
    a1.send(&m::DeleteItem {
        send_meeting_cancellations: Some(
            t::CalendarItemCreateOrDeleteOperation::SendToAllAndSaveCopy,
        ),
        ..m::DeleteItem::new(
            t::Disposal::MoveToDeletedItems,
            t::NonEmptyArrayOfBaseItemIds {
                content: ews_types::runtime::NonEmpty::new(
                    t::NonEmptyArrayOfBaseItemIdsChoice::ItemId(id),
                ),
            },
        )
    })
    .await
    .unwrap();
    assert!(
        folder(
            &server,
            "a1@contoso.com",
            t::DistinguishedFolderIdName::Calendar
        )
        .is_empty()
    );
    let inbox = folder(
        &server,
        "cfo@contoso.com",
        t::DistinguishedFolderIdName::Inbox,
    );
    assert!(
        matches!(&inbox[1], Item::Cancellation(c) if c.subject.as_deref() == Some("Canceled: Offsite"))
    );
    let cal = folder(
        &server,
        "cfo@contoso.com",
        t::DistinguishedFolderIdName::Calendar,
    );
    let Item::Calendar(copy) = &cal[0] else {
        panic!()
    };
    assert_eq!(copy.is_cancelled, Some(true));
    check_responses(&server);
}
