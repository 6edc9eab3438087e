//! Folders a client makes, against ews-testserver as Exchange behaves: CreateFolder (a name
//! taken under one parent is `ErrorFolderExists`), items moved in and found there, renaming,
//! EmptyFolder into Deleted Items, DeleteFolder (a well-known folder is
//! `ErrorDeleteDistinguishedFolder`; only the owner deletes). Every answer validates.

mod support;

use ews_client::{Client, m, t};
use support::{check_responses, login, serve};

use t::DistinguishedFolderIdName as F;

const ORG: &str = r#"
[[mailbox]]
smtp = "boss@contoso.com"
password = "boss-pw"
[[mailbox]]
smtp = "assistant@contoso.com"
password = "assistant-pw"

[[delegate]]
principal = "boss@contoso.com"
delegate = "assistant@contoso.com"
inbox = "Editor"
"#;

fn named(n: F) -> t::NonEmptyArrayOfBaseFolderIdsChoice {
    t::NonEmptyArrayOfBaseFolderIdsChoice::DistinguishedFolderId(t::DistinguishedFolderId::new(n))
}

fn by_id(id: &t::FolderId) -> t::NonEmptyArrayOfBaseFolderIdsChoice {
    t::NonEmptyArrayOfBaseFolderIdsChoice::FolderId(id.clone())
}

fn one(f: t::NonEmptyArrayOfBaseFolderIdsChoice) -> t::NonEmptyArrayOfBaseFolderIds {
    t::NonEmptyArrayOfBaseFolderIds::new(f)
}

async fn create(c: &Client, parent: F, name: &str) -> Result<t::FolderId, ews_client::Error> {
    let request = m::CreateFolder::new(
        t::TargetFolderId::new(t::TargetFolderIdChoice::DistinguishedFolderId(
            t::DistinguishedFolderId::new(parent),
        )),
        t::NonEmptyArrayOfFolders::new(t::NonEmptyArrayOfFoldersChoice::Folder(
            t::Folder::default().with_display_name(name),
        )),
    );
    let mut r = c.send_batch(&request, 1).await?;
    let m::ArrayOfResponseMessagesChoice::CreateFolderResponseMessage(msg) = r.remove(0)? else {
        panic!("a CreateFolderResponseMessage");
    };
    let folder = msg.folders.unwrap().content.remove(0);
    let t::ArrayOfFoldersChoice::Folder(f) = folder else {
        panic!("a Folder")
    };
    Ok(*f.folder_id.unwrap())
}

/// (display name, total count) of the children of `parent`.
async fn children(c: &Client, parent: t::NonEmptyArrayOfBaseFolderIdsChoice) -> Vec<(String, i32)> {
    let request = m::FindFolder::new(
        t::FolderQueryTraversal::Shallow,
        t::FolderResponseShape::new(t::DefaultShapeNames::Default),
        one(parent),
    );
    let r = c.send(&request).await.unwrap();
    let m::ArrayOfResponseMessagesChoice::FindFolderResponseMessage(msg) =
        &r.response_messages.content[0]
    else {
        panic!("a FindFolderResponseMessage");
    };
    let folders = &msg
        .root_folder
        .as_ref()
        .unwrap()
        .folders
        .as_ref()
        .unwrap()
        .content;
    folders
        .iter()
        .filter_map(|f| match f {
            t::ArrayOfFoldersChoice::Folder(f) => {
                Some((f.display_name.clone()?.into(), f.total_count?))
            }
            _ => None,
        })
        .collect()
}

async fn delete(
    c: &Client,
    f: t::NonEmptyArrayOfBaseFolderIdsChoice,
    how: t::Disposal,
) -> Result<(), ews_client::Error> {
    c.send_batch(&m::DeleteFolder::new(how, one(f)), 1)
        .await?
        .remove(0)
        .map(drop)
}

#[tokio::test]
async fn folders_are_created_filled_renamed_emptied_and_deleted() {
    let server = serve(ORG).await;
    let boss = login(&server, "boss@contoso.com", "boss-pw");
    let projects = create(&boss, F::Inbox, "Projects").await.unwrap();
    let e = create(&boss, F::Inbox, "projects").await.unwrap_err();
    assert_eq!(e.response_code(), Some(&m::ResponseCode::ErrorFolderExists));
    // the same name elsewhere is fine
    create(&boss, F::Drafts, "Projects").await.unwrap();

    // a message moved in is counted and found there
    let mb = boss.my_mailbox();
    let draft = mb
        .save_draft(t::Message::default().with_subject("Plan"))
        .await
        .unwrap();
    let moved = m::MoveItem::new(
        t::TargetFolderId::new(t::TargetFolderIdChoice::FolderId(projects.clone())),
        t::NonEmptyArrayOfBaseItemIds::new(t::NonEmptyArrayOfBaseItemIdsChoice::ItemId(draft)),
    );
    boss.send(&moved).await.unwrap();
    assert_eq!(
        children(&boss, named(F::Inbox)).await,
        [("Projects".to_owned(), 1)]
    );

    // renamed
    let rename = m::UpdateFolder::new(t::NonEmptyArrayOfFolderChanges::new(t::FolderChange::new(
        t::FolderChangeChoice::FolderId(t::FolderId::new(projects.id.clone())),
        t::NonEmptyArrayOfFolderChangeDescriptions::new(
            t::NonEmptyArrayOfFolderChangeDescriptionsChoice::SetFolderField(Box::new(
                t::SetFolderField::new(
                    t::Path::FieldURI(t::PathToUnindexedField::new(
                        t::UnindexedFieldURI::FolderDisplayName,
                    )),
                    t::SetFolderFieldChoice::Folder(
                        t::Folder::default().with_display_name("Archive 2026"),
                    ),
                ),
            )),
        ),
    )));
    boss.send(&rename).await.unwrap();
    assert_eq!(
        children(&boss, named(F::Inbox)).await,
        [("Archive 2026".to_owned(), 1)]
    );

    // a delegate with Editor on the inbox may not delete the owner's folder
    let assistant = login(&server, "assistant@contoso.com", "assistant-pw");
    let e = delete(&assistant, by_id(&projects), t::Disposal::HardDelete)
        .await
        .unwrap_err();
    assert_eq!(e.response_code(), Some(&m::ResponseCode::ErrorAccessDenied));

    // emptied into Deleted Items, then the folder itself moved there, then deleted for good
    let empty = m::EmptyFolder::new(
        t::Disposal::MoveToDeletedItems,
        false,
        one(by_id(&projects)),
    );
    boss.send(&empty).await.unwrap();
    assert_eq!(
        children(&boss, named(F::Inbox)).await,
        [("Archive 2026".to_owned(), 0)]
    );
    delete(&boss, by_id(&projects), t::Disposal::MoveToDeletedItems)
        .await
        .unwrap();
    assert!(children(&boss, named(F::Inbox)).await.is_empty());
    assert_eq!(
        children(&boss, named(F::Deleteditems)).await,
        [("Archive 2026".to_owned(), 0)]
    );
    delete(&boss, by_id(&projects), t::Disposal::HardDelete)
        .await
        .unwrap();
    let gone = m::GetFolder::new(
        t::FolderResponseShape::new(t::DefaultShapeNames::IdOnly),
        one(by_id(&projects)),
    );
    let e = boss
        .send_batch(&gone, 1)
        .await
        .unwrap()
        .remove(0)
        .unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&m::ResponseCode::ErrorFolderNotFound)
    );
    // the message emptied out of it is in Deleted Items
    let deleted_items = support::stored(&server, "boss@contoso.com", F::Deleteditems);
    assert_eq!(deleted_items.len(), 1);

    // well-known folders stay
    let e = delete(&boss, named(F::Inbox), t::Disposal::HardDelete)
        .await
        .unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&m::ResponseCode::ErrorDeleteDistinguishedFolder)
    );
    check_responses(&server);
}
