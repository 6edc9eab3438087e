//! What an archiver does, against ews-testserver, read back from the mailboxes: MoveItem and
//! CopyItem (new ids, one result per id in order, the rights each needs) and attachments
//! (added, listed without content, read, removed).

mod support;

use ews_client::{ConnectingSid, ErrorKind};
use ews_testserver::TestServer;
use ews_testserver::store::Item;
use ews_types::m::ResponseCode;
use ews_types::{m, t};
use support::{check_responses, login, serve, stored};

use t::DistinguishedFolderIdName as F;

const ORG: &str = r#"
[[mailbox]]
smtp = "boss@contoso.com"
password = "boss-pw"
[[mailbox]]
smtp = "assistant@contoso.com"
password = "assistant-pw"

[[account]]
user = "svc-archive"
password = "svc-pw"
impersonation = true

[[delegate]]
principal = "boss@contoso.com"
delegate = "assistant@contoso.com"
inbox = "Reviewer"
"#;

fn subjects(server: &TestServer, mailbox: &str, f: F) -> Vec<String> {
    stored(server, mailbox, f)
        .into_iter()
        .map(|(_, item)| match item {
            Item::Message(m) => m.subject.unwrap_or_default().into(),
            other => panic!("{other:?}"),
        })
        .collect()
}

fn ids(server: &TestServer, mailbox: &str, f: F) -> Vec<t::ItemId> {
    stored(server, mailbox, f)
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

fn to(f: F) -> t::TargetFolderId {
    t::TargetFolderId {
        content: t::TargetFolderIdChoice::DistinguishedFolderId(t::DistinguishedFolderId::new(f)),
    }
}

fn id_list(ids: &[t::ItemId]) -> t::NonEmptyArrayOfBaseItemIds {
    let ids = ids
        .iter()
        .cloned()
        .map(t::NonEmptyArrayOfBaseItemIdsChoice::ItemId);
    t::NonEmptyArrayOfBaseItemIds::new(ews_types::runtime::NonEmpty::collect(ids).expect("ids"))
}

/// Three drafts in the boss's Drafts folder, saved by impersonation.
async fn drafts(server: &TestServer) {
    let boss = login(server, "svc-archive", "svc-pw")
        .impersonate(ConnectingSid::smtp("boss@contoso.com"))
        .unwrap();
    for subject in ["one", "two", "three"] {
        let draft = t::Message::default().with_subject(subject);
        boss.send(
            &m::CreateItem::new(t::NonEmptyArrayOfAllItems::new(
                t::NonEmptyArrayOfAllItemsChoice::Message(Box::new(draft)),
            ))
            .with_message_disposition(t::MessageDisposition::SaveOnly),
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn moved_items_get_new_ids_and_copies_leave_the_original() {
    let server = serve(ORG).await;
    drafts(&server).await;
    let boss = login(&server, "svc-archive", "svc-pw")
        .impersonate(ConnectingSid::smtp("boss@contoso.com"))
        .unwrap();
    let mut drafts = ids(&server, "boss@contoso.com", F::Drafts);
    // one unknown id in the middle: three results, in order, nothing lost
    let unknown = t::ItemId {
        id: "no-such-item".into(),
        change_key: None,
    };
    drafts.insert(1, unknown);
    let moved = boss
        .send_batch(
            &m::MoveItem {
                to_folder_id: to(F::Inbox),
                item_ids: id_list(&drafts[..3]),
                return_new_item_ids: Some(true),
            },
            3,
        )
        .await
        .unwrap();
    assert!(moved[0].is_ok() && moved[2].is_ok());
    assert_eq!(
        moved[1].as_ref().unwrap_err().response_code(),
        Some(&ResponseCode::ErrorItemNotFound)
    );
    assert_eq!(
        subjects(&server, "boss@contoso.com", F::Inbox),
        ["one", "two"]
    );
    assert_eq!(subjects(&server, "boss@contoso.com", F::Drafts), ["three"]);
    let m::ArrayOfResponseMessagesChoice::MoveItemResponseMessage(info) =
        moved[0].as_ref().unwrap()
    else {
        panic!("{:?}", moved[0])
    };
    let new_id = ews_client::item_id(&info.items.as_ref().unwrap().content[0])
        .unwrap()
        .clone();
    assert_ne!(new_id.id, drafts[0].id, "a moved item gets a new id");
    assert_eq!(ids(&server, "boss@contoso.com", F::Inbox)[0], new_id);
    // the old id is gone
    let e = boss
        .send(&m::MoveItem {
            to_folder_id: to(F::Deleteditems),
            item_ids: id_list(&drafts[..1]),
            return_new_item_ids: None,
        })
        .await
        .unwrap_err();
    assert_eq!(e.response_code(), Some(&ResponseCode::ErrorItemNotFound));

    // a copy leaves the original where it was
    boss.send(&m::CopyItem {
        to_folder_id: to(F::Sentitems),
        item_ids: id_list(&[new_id]),
        return_new_item_ids: Some(true),
    })
    .await
    .unwrap();
    assert_eq!(subjects(&server, "boss@contoso.com", F::Sentitems), ["one"]);
    assert_eq!(
        subjects(&server, "boss@contoso.com", F::Inbox),
        ["one", "two"]
    );
    check_responses(&server);
}

#[tokio::test]
async fn moving_needs_delete_rights_and_stays_within_one_mailbox() {
    let server = serve(ORG).await;
    drafts(&server).await;
    let boss = login(&server, "boss@contoso.com", "boss-pw");
    let first = ids(&server, "boss@contoso.com", F::Drafts).remove(0);
    boss.send(&m::MoveItem {
        to_folder_id: to(F::Inbox),
        item_ids: id_list(std::slice::from_ref(&first)),
        return_new_item_ids: None,
    })
    .await
    .unwrap();
    let in_inbox = ids(&server, "boss@contoso.com", F::Inbox).remove(0);
    // The assistant reviews the boss's inbox: it may not move out of it, and cannot copy into
    // its own mailbox (another mailbox).
    let assistant = login(&server, "assistant@contoso.com", "assistant-pw")
        .mailbox("boss@contoso.com")
        .unwrap();
    let boss_deleted = t::TargetFolderId {
        content: t::TargetFolderIdChoice::DistinguishedFolderId(assistant.folder(F::Deleteditems)),
    };
    let e = assistant
        .send(&m::MoveItem {
            to_folder_id: boss_deleted,
            item_ids: id_list(std::slice::from_ref(&in_inbox)),
            return_new_item_ids: None,
        })
        .await
        .unwrap_err();
    assert_eq!(e.response_code(), Some(&ResponseCode::ErrorAccessDenied));
    assert_eq!(e.kind(), ErrorKind::Response);
    let e = login(&server, "assistant@contoso.com", "assistant-pw")
        .send(&m::CopyItem {
            to_folder_id: to(F::Inbox),
            item_ids: id_list(&[in_inbox]),
            return_new_item_ids: None,
        })
        .await
        .unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&ResponseCode::ErrorCrossMailboxMoveCopy)
    );
    assert_eq!(subjects(&server, "boss@contoso.com", F::Inbox), ["one"]);
    assert!(subjects(&server, "assistant@contoso.com", F::Inbox).is_empty());
    check_responses(&server);
}

fn attachment_ids(ids: &[&str]) -> t::NonEmptyArrayOfRequestAttachmentIds {
    let ids = ids.iter().map(|id| {
        t::NonEmptyArrayOfRequestAttachmentIdsChoice::AttachmentId(t::RequestAttachmentId::new(*id))
    });
    t::NonEmptyArrayOfRequestAttachmentIds::new(ews_types::runtime::NonEmpty::collect(ids).unwrap())
}

fn file(name: &str, bytes: &[u8]) -> t::NonEmptyArrayOfAttachmentsChoice {
    t::NonEmptyArrayOfAttachmentsChoice::FileAttachment(t::FileAttachment {
        name: Some(name.into()),
        content: Some(ews_types::runtime::Base64Binary(bytes.to_vec())),
        ..Default::default()
    })
}

/// The attachments of the first item in a folder of the boss's: (id, name, content).
fn attachments_in(server: &TestServer, f: F) -> Vec<(String, String, Option<Vec<u8>>)> {
    server.with_store(|s| {
        let i = s.find_smtp("boss@contoso.com").unwrap();
        let Item::Message(m) = &s.mailboxes[i].folder(f).items[0].item else {
            panic!("not a message")
        };
        m.attachments
            .iter()
            .flat_map(|l| &l.content)
            .map(|a| match a {
                t::NonEmptyArrayOfAttachmentsChoice::FileAttachment(f) => (
                    f.attachment_id.as_ref().unwrap().id.to_string(),
                    f.name.clone().unwrap_or_default().into(),
                    f.content.as_ref().map(|c| c.0.clone()),
                ),
                other => panic!("{other:?}"),
            })
            .collect()
    })
}

#[tokio::test]
async fn attachments_are_added_read_and_removed() {
    let server = serve(ORG).await;
    let boss = login(&server, "boss@contoso.com", "boss-pw");
    boss.send(&m::CreateItem {
        message_disposition: Some(t::MessageDisposition::SaveOnly),
        saved_item_folder_id: Some(Box::new(to(F::Inbox))),
        ..m::CreateItem::new(t::NonEmptyArrayOfAllItems {
            content: ews_types::runtime::NonEmpty::new(t::NonEmptyArrayOfAllItemsChoice::Message(
                Box::new(t::Message {
                    subject: Some("Invoice".into()),
                    attachments: Some(Box::new(t::NonEmptyArrayOfAttachments {
                        content: ews_types::runtime::NonEmpty::new(file(
                            "invoice <1>.pdf",
                            b"%PDF-1.7 \x00\xff",
                        )),
                    })),
                    ..Default::default()
                }),
            )),
        })
    })
    .await
    .unwrap();
    let first = attachments_in(&server, F::Inbox).remove(0);
    assert_eq!(first.1, "invoice <1>.pdf");
    // GetItem lists the attachment without its content; GetAttachment reads the content.
    let item = ids(&server, "boss@contoso.com", F::Inbox).remove(0);
    let got = boss
        .send(&m::GetItem {
            item_shape: t::ItemResponseShape::new(t::DefaultShapeNames::Default),
            item_ids: id_list(std::slice::from_ref(&item)),
        })
        .await
        .unwrap();
    let debug = format!("{got:?}");
    assert!(
        debug.contains("has_attachments: Some(true)") && debug.contains(&first.0),
        "{debug}"
    );
    assert!(debug.contains("content: None"), "{debug}");
    // GetItem and GetAttachment give bare attachment ids (as Exchange does): a client can echo
    // them back as RequestAttachmentIds
    assert!(
        debug.contains("root_item_id: None") && !debug.contains("root_item_id: Some"),
        "{debug}"
    );
    let read = boss
        .send(&m::GetAttachment {
            attachment_shape: None,
            attachment_ids: attachment_ids(&[&first.0]),
        })
        .await
        .unwrap();
    let m::ArrayOfResponseMessagesChoice::GetAttachmentResponseMessage(info) =
        &read.response_messages.content[0]
    else {
        panic!("{read:?}")
    };
    let t::ArrayOfAttachmentsChoice::FileAttachment(f) =
        &info.attachments.as_ref().unwrap().content[0]
    else {
        panic!("{info:?}")
    };
    assert_eq!(f.content.as_ref().unwrap().0, b"%PDF-1.7 \x00\xff");
    let bare = f.attachment_id.as_ref().unwrap();
    assert_eq!(
        (&bare.root_item_id, &bare.root_item_change_key),
        (&None, &None)
    );

    // CreateAttachment adds one and changes the item's change key.
    let added = boss
        .send(&m::CreateAttachment {
            parent_item_id: item.clone(),
            attachments: t::NonEmptyArrayOfAttachments {
                content: ews_types::runtime::NonEmpty::new(file("notes.txt", b"pay by Friday")),
            },
        })
        .await
        .unwrap();
    let m::ArrayOfResponseMessagesChoice::CreateAttachmentResponseMessage(info) =
        &added.response_messages.content[0]
    else {
        panic!("{added:?}")
    };
    let t::ArrayOfAttachmentsChoice::FileAttachment(f) =
        &info.attachments.as_ref().unwrap().content[0]
    else {
        panic!("{info:?}")
    };
    let new_id = f.attachment_id.as_ref().unwrap();
    assert_eq!(new_id.root_item_id.as_deref(), Some(item.id.as_str()));
    assert_ne!(new_id.root_item_change_key, item.change_key);
    assert_eq!(attachments_in(&server, F::Inbox).len(), 2);

    // A Reviewer of the inbox reads attachments but may not remove them.
    let assistant = login(&server, "assistant@contoso.com", "assistant-pw");
    assert!(
        assistant
            .send(&m::GetAttachment {
                attachment_shape: None,
                attachment_ids: attachment_ids(&[&first.0]),
            })
            .await
            .is_ok()
    );
    let e = assistant
        .send(&m::DeleteAttachment {
            attachment_ids: attachment_ids(&[&first.0]),
        })
        .await
        .unwrap_err();
    assert_eq!(e.response_code(), Some(&ResponseCode::ErrorAccessDenied));

    // The owner removes one; an unknown id gets its own error, in order.
    let results = boss
        .send_batch(
            &m::DeleteAttachment {
                attachment_ids: attachment_ids(&[&first.0, "no-such-attachment"]),
            },
            2,
        )
        .await
        .unwrap();
    assert!(results[0].is_ok());
    assert_eq!(
        results[1].as_ref().unwrap_err().response_code(),
        Some(&ResponseCode::ErrorInvalidAttachmentId)
    );
    let left = attachments_in(&server, F::Inbox);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].1, "notes.txt");
    // a copy's attachments get ids of their own, naming the copy
    boss.send(&m::CopyItem {
        to_folder_id: to(F::Sentitems),
        item_ids: id_list(&[item]),
        return_new_item_ids: None,
    })
    .await
    .unwrap();
    let copied = attachments_in(&server, F::Sentitems).remove(0);
    assert_ne!(copied.0, left[0].0);
    let read = boss
        .send(&m::GetAttachment {
            attachment_shape: None,
            attachment_ids: attachment_ids(&[&copied.0]),
        })
        .await
        .unwrap();
    assert!(format!("{read:?}").contains("notes.txt"));
    check_responses(&server);
}
