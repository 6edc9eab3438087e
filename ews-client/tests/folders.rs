//! The folder hierarchy as Exchange has it, against ews-testserver: the shortcuts a client
//! starts with (`root`, `msgfolderroot`, `junkemail`) answer, the tree is walked shallow and
//! deep, the response shape decides which properties come back, and a folder a mailbox does
//! not have is `ErrorFolderNotFound`, one result per id.

mod support;

use ews_client::ErrorKind;
use ews_types::m::ResponseCode;
use ews_types::runtime::NonEmpty;
use ews_types::{m, t};
use support::{check_responses, login, serve};

use t::DistinguishedFolderIdName as F;

const ORG: &str = r#"
[[mailbox]]
smtp = "boss@contoso.com"
password = "boss-pw"
"#;

fn ids(names: &[F]) -> t::NonEmptyArrayOfBaseFolderIds {
    let ids = names.iter().map(|n| {
        t::NonEmptyArrayOfBaseFolderIdsChoice::DistinguishedFolderId(t::DistinguishedFolderId::new(
            *n,
        ))
    });
    t::NonEmptyArrayOfBaseFolderIds::new(NonEmpty::collect(ids).expect("ids"))
}

fn display(f: &t::ArrayOfFoldersChoice) -> Option<&str> {
    use t::ArrayOfFoldersChoice as C;
    match f {
        C::Folder(f) => f.display_name.as_deref(),
        C::CalendarFolder(f) => f.display_name.as_deref(),
        C::ContactsFolder(f) => f.display_name.as_deref(),
        C::TasksFolder(f) => f.display_name.as_deref(),
        C::SearchFolder(f) => f.display_name.as_deref(),
    }
}

#[tokio::test]
async fn well_known_folders_answer_and_absent_ones_are_not_found() {
    let server = serve(ORG).await;
    let boss = login(&server, "boss@contoso.com", "boss-pw");
    let wanted = [
        F::Root,
        F::Msgfolderroot,
        F::Junkemail,
        F::Archiveroot,
        F::Inbox,
    ];
    let request = m::GetFolder::new(
        t::FolderResponseShape::new(t::DefaultShapeNames::AllProperties),
        ids(&wanted),
    );
    let results = boss.send_batch(&request, wanted.len()).await.unwrap();
    let mut names = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Ok(m::ArrayOfResponseMessagesChoice::GetFolderResponseMessage(msg)) => {
                let folders = msg.folders.unwrap().content;
                names.push(display(&folders[0]).unwrap().to_owned());
            }
            Err(e) => {
                assert_eq!(wanted[i], F::Archiveroot, "{e}");
                assert_eq!(e.kind(), ErrorKind::Response);
                assert_eq!(e.response_code(), Some(&ResponseCode::ErrorFolderNotFound));
                names.push("(not found)".into());
            }
            Ok(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(
        names,
        [
            "Root",
            "Top of Information Store",
            "Junk Email",
            "(not found)",
            "Inbox"
        ]
    );
    check_responses(&server);
}

#[tokio::test]
async fn the_tree_is_walked_shallow_and_deep_with_the_shape_asked_for() {
    let server = serve(ORG).await;
    let boss = login(&server, "boss@contoso.com", "boss-pw");
    let find = |traversal, shape| {
        m::FindFolder::new(
            traversal,
            t::FolderResponseShape::new(shape),
            ids(&[F::Msgfolderroot]),
        )
    };
    let listed = |r: m::FindFolderResponse| -> Vec<t::ArrayOfFoldersChoice> {
        match r.response_messages.content.into_vec().remove(0) {
            m::ArrayOfResponseMessagesChoice::FindFolderResponseMessage(f) => {
                f.root_folder.unwrap().folders.unwrap().content
            }
            other => panic!("{other:?}"),
        }
    };
    let shallow = listed(
        boss.send(&find(
            t::FolderQueryTraversal::Shallow,
            t::DefaultShapeNames::Default,
        ))
        .await
        .unwrap(),
    );
    let names: Vec<&str> = shallow.iter().filter_map(display).collect();
    for n in [
        "Inbox",
        "Calendar",
        "Sent Items",
        "Deleted Items",
        "Junk Email",
        "Sync Issues",
    ] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    assert!(
        !names.contains(&"Conflicts"),
        "Conflicts is below Sync Issues"
    );
    assert!(matches!(
        shallow.iter().find(|f| display(f) == Some("Calendar")),
        Some(t::ArrayOfFoldersChoice::CalendarFolder(_))
    ));
    let deep = listed(
        boss.send(&find(
            t::FolderQueryTraversal::Deep,
            t::DefaultShapeNames::IdOnly,
        ))
        .await
        .unwrap(),
    );
    assert!(deep.len() > shallow.len());
    // IdOnly: ids, nothing else
    assert!(deep.iter().all(|f| display(f).is_none()));
    // AdditionalProperties add to the base shape
    let shape = t::FolderResponseShape::new(t::DefaultShapeNames::IdOnly)
        .with_additional_properties(t::NonEmptyArrayOfPathsToElement::new(
            t::NonEmptyArrayOfPathsToElementChoice::FieldURI(t::PathToUnindexedField::new(
                t::UnindexedFieldURI::FolderDisplayName,
            )),
        ));
    let got = boss
        .send(&m::GetFolder::new(shape, ids(&[F::Sentitems])))
        .await
        .unwrap();
    let m::ArrayOfResponseMessagesChoice::GetFolderResponseMessage(msg) =
        &got.response_messages.content[0]
    else {
        panic!("{got:?}")
    };
    let t::ArrayOfFoldersChoice::Folder(f) = &msg.folders.as_ref().unwrap().content[0] else {
        panic!("{msg:?}")
    };
    assert_eq!(f.display_name.as_deref(), Some("Sent Items"));
    assert_eq!(f.total_count, None, "not asked for");
    check_responses(&server);
}
