//! Response shapes against ews-testserver, as Exchange gives them: `IdOnly`, `Default` (a set
//! per item type) and `AllProperties`; FindItem never returns a body, attachments or
//! recipient lists and refuses a shape that asks for one; a path that names no property of the
//! object (a folder's in an item shape, an item's in a folder shape) is
//! `ErrorInvalidPropertyRequest`. Every answer validates against the schema.

mod support;

use ews_client::{Mailbox, m, m::ResponseCode as Code, t};
use support::{check_responses, login, serve};

use t::DistinguishedFolderIdName as Folder;
use t::UnindexedFieldURI as F;

const ORG: &str = r#"
[[mailbox]]
smtp = "boss@contoso.com"
password = "boss-pw"
[[mailbox]]
smtp = "bob@contoso.com"
"#;

fn shape(base: t::DefaultShapeNames, extra: &[F]) -> t::ItemResponseShape {
    let mut shape = t::ItemResponseShape::new(base);
    let paths = extra.iter().map(|f| {
        t::NonEmptyArrayOfPathsToElementChoice::FieldURI(t::PathToUnindexedField::new(*f))
    });
    if let Some(paths) = ews_types::runtime::NonEmpty::collect(paths) {
        shape = shape.with_additional_properties(t::NonEmptyArrayOfPathsToElement::new(paths));
    }
    shape
}

fn ids(id: &t::ItemId) -> t::NonEmptyArrayOfBaseItemIds {
    t::NonEmptyArrayOfBaseItemIds::new(t::NonEmptyArrayOfBaseItemIdsChoice::ItemId(id.clone()))
}

/// GetItem of one item in `shape`: the item, or the response code of the failure.
async fn get(
    mb: &Mailbox,
    id: &t::ItemId,
    shape: t::ItemResponseShape,
) -> Result<t::ArrayOfRealItemsChoice, Code> {
    match mb.send(&m::GetItem::new(shape, ids(id))).await {
        Ok(r) => {
            let m::ArrayOfResponseMessagesChoice::GetItemResponseMessage(info) =
                r.response_messages.content.into_iter().next().unwrap()
            else {
                panic!("not a GetItem answer")
            };
            Ok(info.items.unwrap().content.remove(0))
        }
        Err(e) => Err(e.response_code().cloned().expect("a response code")),
    }
}

/// FindItem in the Inbox in `shape`: the items, or the response code of the failure.
async fn find(
    mb: &Mailbox,
    shape: t::ItemResponseShape,
) -> Result<Vec<t::ArrayOfRealItemsChoice>, Code> {
    let request = m::FindItem::new(
        t::ItemQueryTraversal::Shallow,
        shape,
        mb.folder_ids(Folder::Inbox),
    );
    match mb.send(&request).await {
        Ok(r) => {
            let m::ArrayOfResponseMessagesChoice::FindItemResponseMessage(f) =
                r.response_messages.content.into_iter().next().unwrap()
            else {
                panic!("not a FindItem answer")
            };
            let t::FindItemParentChoice::Items(items) = f.root_folder.unwrap().content else {
                panic!("groups")
            };
            Ok(items.content)
        }
        Err(e) => Err(e.response_code().cloned().expect("a response code")),
    }
}

/// A message in the boss's Inbox with a body, a recipient, categories and an importance.
async fn message(mb: &Mailbox) -> t::ItemId {
    let draft = mb
        .save_draft(
            t::Message::default()
                .with_subject("Quarterly numbers")
                .with_body(t::Body::new(t::BodyType::Text, "See attached."))
                .with_importance(t::ImportanceChoices::High)
                .with_categories(t::ArrayOfStrings {
                    string: vec!["Finance".to_owned().into()],
                })
                .with_to_recipients(t::ArrayOfRecipients {
                    content: vec![t::ArrayOfRecipientsChoice::Mailbox(
                        t::EmailAddressType::default().with_email_address("bob@contoso.com"),
                    )],
                }),
        )
        .await
        .unwrap();
    mb.move_to(&draft, Folder::Inbox).await.unwrap()
}

#[tokio::test]
async fn get_item_gives_each_base_shape_its_own_set() {
    let server = serve(ORG).await;
    let boss = login(&server, "boss@contoso.com", "boss-pw").my_mailbox();
    let id = message(&boss).await;

    let t::ArrayOfRealItemsChoice::Message(id_only) =
        get(&boss, &id, shape(t::DefaultShapeNames::IdOnly, &[]))
            .await
            .unwrap()
    else {
        panic!("not a message")
    };
    assert!(id_only.item_id.is_some());
    assert_eq!((id_only.subject, id_only.body), (None, None));

    let t::ArrayOfRealItemsChoice::Message(default) =
        get(&boss, &id, shape(t::DefaultShapeNames::Default, &[]))
            .await
            .unwrap()
    else {
        panic!("not a message")
    };
    assert_eq!(default.subject.as_deref(), Some("Quarterly numbers"));
    assert!(default.body.is_some() && default.to_recipients.is_some());
    assert!(default.from.is_some());
    // not in Default: categories, importance
    assert_eq!((default.categories, default.importance), (None, None));

    // Default plus what a shape adds
    let t::ArrayOfRealItemsChoice::Message(more) = get(
        &boss,
        &id,
        shape(t::DefaultShapeNames::Default, &[F::ItemImportance]),
    )
    .await
    .unwrap() else {
        panic!("not a message")
    };
    assert_eq!(more.importance, Some(t::ImportanceChoices::High));
    assert_eq!(more.categories, None);

    let t::ArrayOfRealItemsChoice::Message(all) =
        get(&boss, &id, shape(t::DefaultShapeNames::AllProperties, &[]))
            .await
            .unwrap()
    else {
        panic!("not a message")
    };
    assert_eq!(all.importance, Some(t::ImportanceChoices::High));
    assert!(all.categories.is_some() && all.body.is_some());
    assert_eq!(
        all.is_draft,
        Some(true),
        "a draft moved to the Inbox is still a draft"
    );
    check_responses(&server);
}

#[tokio::test]
async fn find_item_never_returns_bodies_or_recipients() {
    let server = serve(ORG).await;
    let boss = login(&server, "boss@contoso.com", "boss-pw").my_mailbox();
    message(&boss).await;
    for base in [
        t::DefaultShapeNames::Default,
        t::DefaultShapeNames::AllProperties,
    ] {
        let found = find(&boss, shape(base, &[])).await.unwrap();
        let t::ArrayOfRealItemsChoice::Message(m) = &found[0] else {
            panic!("not a message")
        };
        assert_eq!(m.subject.as_deref(), Some("Quarterly numbers"), "{base:?}");
        assert!(
            m.body.is_none() && m.to_recipients.is_none(),
            "{base:?}: {m:?}"
        );
    }
    // asked for by name: refused, as Exchange refuses it
    for uri in [F::ItemBody, F::MessageToRecipients, F::ItemMimeContent] {
        let refused = find(&boss, shape(t::DefaultShapeNames::IdOnly, &[uri])).await;
        assert_eq!(
            refused.unwrap_err(),
            Code::ErrorInvalidPropertyForOperation,
            "{uri:?}"
        );
    }
    // a subject is fine
    let found = find(
        &boss,
        shape(t::DefaultShapeNames::IdOnly, &[F::ItemSubject]),
    )
    .await
    .unwrap();
    assert_eq!(
        found[0].as_item().subject().as_deref(),
        Some("Quarterly numbers")
    );
    check_responses(&server);
}

#[tokio::test]
async fn a_path_of_another_kind_of_object_is_an_invalid_property_request() {
    let server = serve(ORG).await;
    let boss = login(&server, "boss@contoso.com", "boss-pw").my_mailbox();
    let id = message(&boss).await;
    let refused = get(
        &boss,
        &id,
        shape(t::DefaultShapeNames::IdOnly, &[F::FolderDisplayName]),
    )
    .await;
    assert_eq!(refused.unwrap_err(), Code::ErrorInvalidPropertyRequest);
    let refused = find(
        &boss,
        shape(t::DefaultShapeNames::Default, &[F::FolderTotalCount]),
    )
    .await;
    assert_eq!(refused.unwrap_err(), Code::ErrorInvalidPropertyRequest);

    let folder_shape = t::FolderResponseShape::new(t::DefaultShapeNames::Default)
        .with_additional_properties(t::NonEmptyArrayOfPathsToElement::new(
            t::NonEmptyArrayOfPathsToElementChoice::FieldURI(t::PathToUnindexedField::new(
                F::ItemSubject,
            )),
        ));
    let e = boss
        .send(&m::GetFolder::new(
            folder_shape,
            boss.folder_ids(Folder::Inbox),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&Code::ErrorInvalidPropertyRequest),
        "{e}"
    );
    check_responses(&server);
}

#[tokio::test]
async fn a_calendar_items_default_shape_has_its_time_place_and_people() {
    let server = serve(ORG).await;
    let boss = login(&server, "boss@contoso.com", "boss-pw").my_mailbox();
    let item = support::appointment("Review", &["bob@contoso.com"])
        .with_categories(t::ArrayOfStrings {
            string: vec!["Blue".to_owned().into()],
        })
        .with_location("Room 1");
    let id = boss.create_appointment(item).await.unwrap();
    let t::ArrayOfRealItemsChoice::CalendarItem(c) =
        get(&boss, &id, shape(t::DefaultShapeNames::Default, &[]))
            .await
            .unwrap()
    else {
        panic!("not a calendar item")
    };
    assert!(c.start.is_some() && c.end.is_some() && c.organizer.is_some());
    assert_eq!(c.location.as_deref(), Some("Room 1"));
    assert!(c.required_attendees.is_some());
    assert_eq!(c.categories, None, "categories are not in Default");
    check_responses(&server);
}

#[tokio::test]
async fn mime_content_comes_with_get_item_only() {
    use base64::Engine;
    let server = serve(ORG).await;
    let boss = login(&server, "boss@contoso.com", "boss-pw").my_mailbox();
    let id = message(&boss).await;
    let with_mime = shape(t::DefaultShapeNames::IdOnly, &[]).with_include_mime_content(true);
    let item = get(&boss, &id, with_mime.clone()).await.unwrap();
    let mime = item.as_item().mime_content().clone().expect("MimeContent");
    assert_eq!(mime.character_set.as_deref(), Some("UTF-8"));
    let text = base64::engine::general_purpose::STANDARD
        .decode(mime.value)
        .unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("Subject: Quarterly numbers\r\n"), "{text}");
    assert!(text.contains("To: bob@contoso.com\r\n"), "{text}");
    // FindItem refuses it, as Exchange does
    let refused = find(&boss, with_mime).await;
    assert_eq!(refused.unwrap_err(), Code::ErrorInvalidPropertyForOperation);
    check_responses(&server);
}

#[tokio::test]
async fn an_attached_items_mime_content_comes_with_the_attachment_shape() {
    use base64::Engine;
    let server = serve(ORG).await;
    let boss = login(&server, "boss@contoso.com", "boss-pw").my_mailbox();
    let id = message(&boss).await;
    let attached = t::ItemAttachment::default()
        .with_name("Forwarded")
        .with_content(t::ItemAttachmentChoice::Message(Box::new(
            t::Message::default().with_subject("Forwarded note"),
        )));
    let created = boss
        .send(&m::CreateAttachment::new(
            id,
            t::NonEmptyArrayOfAttachments::new(
                t::NonEmptyArrayOfAttachmentsChoice::ItemAttachment(attached),
            ),
        ))
        .await
        .unwrap();
    let m::ArrayOfResponseMessagesChoice::CreateAttachmentResponseMessage(info) = created
        .response_messages
        .content
        .into_iter()
        .next()
        .unwrap()
    else {
        panic!("not a CreateAttachment answer")
    };
    let Some(t::ArrayOfAttachmentsChoice::ItemAttachment(a)) =
        info.attachments.unwrap().content.into_iter().next()
    else {
        panic!("no item attachment")
    };
    let attachment_id = a.attachment_id.unwrap().id;
    let read = |mime: bool| {
        let shape = t::AttachmentResponseShape::default().with_include_mime_content(mime);
        m::GetAttachment::new(t::NonEmptyArrayOfRequestAttachmentIds::new(
            t::NonEmptyArrayOfRequestAttachmentIdsChoice::AttachmentId(
                t::RequestAttachmentId::new(attachment_id.clone()),
            ),
        ))
        .with_attachment_shape(shape)
    };
    for mime in [false, true] {
        let got = boss.send(&read(mime)).await.unwrap();
        let m::ArrayOfResponseMessagesChoice::GetAttachmentResponseMessage(info) =
            got.response_messages.content.into_iter().next().unwrap()
        else {
            panic!("not a GetAttachment answer")
        };
        let Some(t::ArrayOfAttachmentsChoice::ItemAttachment(a)) =
            info.attachments.unwrap().content.into_iter().next()
        else {
            panic!("no item attachment")
        };
        assert!(a.size.is_some_and(|s| s > 0), "a size");
        let content = a.content.unwrap().as_item().mime_content().clone();
        match content {
            None => assert!(!mime),
            Some(c) => {
                assert!(mime);
                let text = base64::engine::general_purpose::STANDARD
                    .decode(c.value)
                    .unwrap();
                assert!(
                    String::from_utf8(text)
                        .unwrap()
                        .contains("Subject: Forwarded note\r\n")
                );
            }
        }
    }
    check_responses(&server);
}
