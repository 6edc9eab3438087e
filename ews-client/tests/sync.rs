//! Synchronization against ews-testserver: every change another client makes arrives exactly
//! once — paged, resumed from a persisted state after a "crash", and after the server forgets
//! the state (a full resync) — by impersonation and as a delegate; the folder tree too. Every
//! answer validates against messages.xsd.

mod support;

use ews_types::runtime::CompactString;
use std::collections::{BTreeMap, BTreeSet};

use ews_client::edits::Changes;
use ews_client::futures::TryStreamExt;
use ews_client::sync::{FolderChange, ItemChange, SyncOptions, SyncPage, SyncState};
use ews_client::{ConnectingSid, Mailbox, m, t};
use support::{appointment, check_responses, login, serve};

use t::DistinguishedFolderIdName as Folder;

const ORG: &str = r#"
[[mailbox]]
smtp = "boss@contoso.com"
password = "boss-pw"
[[mailbox]]
smtp = "assistant@contoso.com"
password = "assistant-pw"
[[mailbox]]
smtp = "alice@contoso.com"

[[account]]
user = "svc-booking"
password = "svc-pw"
impersonation = true

[[delegate]]
principal = "boss@contoso.com"
delegate = "assistant@contoso.com"
calendar = "Editor"
"#;

fn alice(server: &ews_testserver::TestServer) -> Mailbox {
    login(server, "svc-booking", "svc-pw")
        .impersonate(ConnectingSid::smtp("alice@contoso.com"))
        .unwrap()
        .mailbox()
}

async fn pages(
    mb: &Mailbox,
    folder: Folder,
    from: Option<SyncState>,
    options: SyncOptions,
) -> Vec<SyncPage<ItemChange>> {
    mb.sync_items(folder, from, options)
        .try_collect()
        .await
        .unwrap()
}

/// What a local copy holds after applying pages: id → subject (None for id-only items).
#[derive(Default, Debug)]
struct Mirror {
    items: BTreeMap<CompactString, Option<CompactString>>,
    read: BTreeMap<CompactString, bool>,
}

impl Mirror {
    fn apply(&mut self, page: &SyncPage<ItemChange>) {
        if page.restarted {
            self.items.clear();
            self.read.clear();
        }
        for c in &page.changes {
            match c {
                ItemChange::Created(item) => {
                    let id = c.id().unwrap().id.clone();
                    let before = self
                        .items
                        .insert(id.to_string().into(), item.as_item().subject().clone());
                    assert!(before.is_none(), "{id} created twice");
                }
                ItemChange::Updated(item) => {
                    let id = c.id().unwrap().id.clone();
                    assert!(self.items.contains_key(&id), "update of an unknown {id}");
                    self.items
                        .insert(id.to_string().into(), item.as_item().subject().clone());
                }
                ItemChange::Deleted(id) => {
                    assert!(
                        self.items.remove(&id.id).is_some(),
                        "delete of an unknown {}",
                        id.id
                    );
                }
                ItemChange::ReadFlagChanged { id, is_read } => {
                    assert!(self.items.contains_key(&id.id));
                    self.read.insert(id.id.clone(), *is_read);
                }
            }
        }
    }
}

fn stored_ids(
    server: &ews_testserver::TestServer,
    mailbox: &str,
    f: Folder,
) -> BTreeSet<CompactString> {
    support::stored(server, mailbox, f)
        .into_iter()
        .map(|(id, _)| id.id)
        .collect()
}

fn subject_shape() -> SyncOptions {
    SyncOptions::default().shape(t::ItemResponseShape::new(t::DefaultShapeNames::Default))
}

#[tokio::test]
async fn paged_initial_sync_then_each_change_exactly_once() {
    let server = serve(ORG).await;
    let mb = alice(&server);
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(
            mb.create_appointment(appointment(&format!("Lesson {i}"), &[]))
                .await
                .unwrap(),
        );
    }
    let first = pages(&mb, Folder::Calendar, None, subject_shape().page_size(3)).await;
    assert_eq!(
        first.iter().map(|p| p.changes.len()).collect::<Vec<_>>(),
        [3, 3, 1]
    );
    assert_eq!(
        first.iter().map(|p| p.last).collect::<Vec<_>>(),
        [false, false, true]
    );
    assert!(first.iter().all(|p| !p.restarted));
    let mut mirror = Mirror::default();
    first.iter().for_each(|p| mirror.apply(p));
    assert_eq!(
        mirror.items.keys().cloned().collect::<BTreeSet<_>>(),
        stored_ids(&server, "alice@contoso.com", Folder::Calendar)
    );
    let state = first.last().unwrap().state.clone();

    // nothing changed: one empty page
    let none = pages(&mb, Folder::Calendar, Some(state.clone()), subject_shape()).await;
    assert_eq!(none.len(), 1);
    assert!(none[0].changes.is_empty() && none[0].last);

    // another client: two created, one renamed, one deleted, one moved to the inbox
    let other = alice(&server);
    let new_a = other
        .create_appointment(appointment("New A", &[]))
        .await
        .unwrap();
    let new_b = other
        .create_appointment(appointment("New B", &[]))
        .await
        .unwrap();
    other
        .update(&ids[1], Changes::appointment().subject("Renamed"))
        .await
        .unwrap();
    other
        .delete(&ids[2], t::Disposal::HardDelete)
        .await
        .unwrap();
    let moved = other.move_to(&ids[3], Folder::Inbox).await.unwrap();
    let next = pages(&mb, Folder::Calendar, Some(state), subject_shape()).await;
    let changes: Vec<&ItemChange> = next.iter().flat_map(|p| &p.changes).collect();
    let created: BTreeSet<CompactString> = changes
        .iter()
        .filter(|c| matches!(c, ItemChange::Created(_)))
        .map(|c| c.id().unwrap().id.clone())
        .collect();
    assert_eq!(
        created,
        BTreeSet::from([new_a.id.clone(), new_b.id.clone()])
    );
    let deleted: BTreeSet<CompactString> = changes
        .iter()
        .filter(|c| matches!(c, ItemChange::Deleted(_)))
        .map(|c| c.id().unwrap().id.clone())
        .collect();
    assert_eq!(
        deleted,
        BTreeSet::from([ids[2].id.clone(), ids[3].id.clone()])
    );
    let updated: Vec<_> = changes
        .iter()
        .filter(|c| matches!(c, ItemChange::Updated(_)))
        .collect();
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0].id().unwrap().id, ids[1].id);
    next.iter().for_each(|p| mirror.apply(p));
    assert_eq!(mirror.items[&ids[1].id].as_deref(), Some("Renamed"));
    assert_eq!(
        mirror.items.keys().cloned().collect::<BTreeSet<_>>(),
        stored_ids(&server, "alice@contoso.com", Folder::Calendar)
    );

    // the moved item arrives in the inbox as created
    let inbox = pages(&mb, Folder::Inbox, None, SyncOptions::default()).await;
    let inbox_ids: Vec<CompactString> = inbox
        .iter()
        .flat_map(|p| &p.changes)
        .map(|c| c.id().unwrap().id.clone())
        .collect();
    assert_eq!(inbox_ids, std::slice::from_ref(&moved.id));
    check_responses(&server);
}

#[tokio::test]
async fn read_flags_come_as_read_flag_changes_and_ignored_items_stay_quiet() {
    let server = serve(ORG).await;
    let mb = alice(&server);
    let mut drafts = Vec::new();
    for i in 0..3 {
        let msg = t::Message::default().with_subject(format!("Draft {i}"));
        drafts.push(mb.save_draft(msg).await.unwrap());
    }
    let start = pages(&mb, Folder::Drafts, None, SyncOptions::default()).await;
    let state = start.last().unwrap().state.clone();
    let read = |yes: bool| {
        Changes::message().set(
            t::UnindexedFieldURI::MessageIsRead,
            t::SetItemFieldChoice::Message(Box::new(t::Message {
                is_read: Some(yes),
                ..Default::default()
            })),
        )
    };
    mb.update(&drafts[0], read(true)).await.unwrap();
    mb.update(&drafts[1], read(true)).await.unwrap();
    mb.update(&drafts[2], Changes::message().subject("Changed by me"))
        .await
        .unwrap();
    // the caller made the change to drafts[2] itself and asks not to hear of it
    let next = pages(
        &mb,
        Folder::Drafts,
        Some(state),
        SyncOptions::default().ignore(vec![drafts[2].clone()]),
    )
    .await;
    let changes: Vec<&ItemChange> = next.iter().flat_map(|p| &p.changes).collect();
    assert_eq!(changes.len(), 2, "{changes:?}");
    for (c, d) in changes.iter().zip(&drafts) {
        match c {
            ItemChange::ReadFlagChanged { id, is_read } => {
                assert_eq!(id.id, d.id);
                assert!(*is_read);
            }
            other => panic!("expected a read-flag change, got {other:?}"),
        }
    }
    // the ignored change counts as seen: nothing more comes
    let after = pages(
        &mb,
        Folder::Drafts,
        Some(next.last().unwrap().state.clone()),
        SyncOptions::default(),
    )
    .await;
    assert!(after.iter().all(|p| p.changes.is_empty()));
    check_responses(&server);
}

#[tokio::test]
async fn a_crashed_run_resumes_from_its_last_persisted_state() {
    let server = serve(ORG).await;
    let mb = alice(&server);
    for i in 0..10 {
        mb.create_appointment(appointment(&format!("Item {i}"), &[]))
            .await
            .unwrap();
    }
    let mut mirror = Mirror::default();
    // the first run persists each page's state and "crashes" after two pages
    let mut persisted = None;
    {
        let mut stream =
            std::pin::pin!(mb.sync_items(Folder::Calendar, None, subject_shape().page_size(3)));
        for _ in 0..2 {
            let page = stream.try_next().await.unwrap().unwrap();
            mirror.apply(&page);
            persisted = Some(page.state.as_str().to_owned());
        }
    }
    // meanwhile, another client adds one
    alice(&server)
        .create_appointment(appointment("While down", &[]))
        .await
        .unwrap();
    // the restarted run reads the rest, each item once
    let from = persisted.map(SyncState::from);
    for page in pages(&mb, Folder::Calendar, from, subject_shape().page_size(3)).await {
        assert!(!page.restarted);
        mirror.apply(&page);
    }
    assert_eq!(mirror.items.len(), 11);
    assert_eq!(
        mirror.items.keys().cloned().collect::<BTreeSet<_>>(),
        stored_ids(&server, "alice@contoso.com", Folder::Calendar)
    );
}

#[tokio::test]
async fn a_forgotten_state_is_recovered_by_a_full_resync() {
    let server = serve(ORG).await;
    let mb = alice(&server);
    let kept = mb
        .create_appointment(appointment("Kept", &[]))
        .await
        .unwrap();
    let doomed = mb
        .create_appointment(appointment("Doomed", &[]))
        .await
        .unwrap();
    let first = pages(&mb, Folder::Calendar, None, subject_shape()).await;
    let mut mirror = Mirror::default();
    first.iter().for_each(|p| mirror.apply(p));
    let state = first.last().unwrap().state.clone();
    mb.delete(&doomed, t::Disposal::HardDelete).await.unwrap();
    server.expire_sync_states();

    // without the resync the caller hears of it
    let refused: Result<Vec<_>, _> = mb
        .sync_items(
            Folder::Calendar,
            Some(state.clone()),
            subject_shape().resync_on_invalid_state(false),
        )
        .try_collect()
        .await;
    let e = refused.unwrap_err();
    assert!(e.is_invalid_sync_state(), "{e}");
    // with it (the default) the stream starts over, marked, and the mirror ends up right
    let again = pages(&mb, Folder::Calendar, Some(state), subject_shape()).await;
    assert!(again[0].restarted);
    again.iter().for_each(|p| mirror.apply(p));
    assert_eq!(
        mirror.items.keys().cloned().collect::<Vec<_>>(),
        std::slice::from_ref(&kept.id)
    );
    // a state that was never the server's is refused the same way
    let bogus: Result<Vec<_>, _> = mb
        .sync_items(
            Folder::Calendar,
            Some(SyncState::from("bm90IGEgc3RhdGU=".to_owned())),
            SyncOptions::default().resync_on_invalid_state(false),
        )
        .try_collect()
        .await;
    assert!(bogus.unwrap_err().is_invalid_sync_state());
    check_responses(&server);
}

#[tokio::test]
async fn a_delegate_syncs_the_principals_calendar_and_bodies_are_left_out() {
    let server = serve(ORG).await;
    let boss = login(&server, "boss@contoso.com", "boss-pw").my_mailbox();
    boss.create_appointment(appointment("Board", &[]))
        .await
        .unwrap();
    let assistant = login(&server, "assistant@contoso.com", "assistant-pw")
        .delegate_to("boss@contoso.com")
        .unwrap();
    let seen = pages(&assistant, Folder::Calendar, None, subject_shape()).await;
    let subjects: Vec<Option<CompactString>> = seen
        .iter()
        .flat_map(|p| &p.changes)
        .map(|c| match c {
            ItemChange::Created(i) => i.as_item().subject().clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(subjects, [Some("Board".into())]);
    // the delegate has no inbox rights
    let denied: Result<Vec<_>, _> = assistant
        .sync_items(Folder::Inbox, None, SyncOptions::default())
        .try_collect()
        .await;
    assert!(denied.is_err());
    // SyncFolderItems returns what FindItem does: a body asked for is left out, no error
    let body = t::ItemResponseShape::new(t::DefaultShapeNames::IdOnly).with_additional_properties(
        t::NonEmptyArrayOfPathsToElement::new(t::NonEmptyArrayOfPathsToElementChoice::FieldURI(
            t::PathToUnindexedField::new(t::UnindexedFieldURI::ItemBody),
        )),
    );
    let shown = pages(
        &boss,
        Folder::Calendar,
        None,
        SyncOptions::default().shape(body),
    )
    .await;
    match &shown[0].changes[..] {
        [ItemChange::Created(item)] => {
            assert!(item.as_item().item_id().is_some());
            assert!(item.as_item().body().is_none(), "no body in a sync");
        }
        other => panic!("{other:?}"),
    }
    check_responses(&server);
}

#[tokio::test]
async fn the_folder_tree_syncs_creations_and_deletions() {
    let server = serve(ORG).await;
    let mb = alice(&server);
    let shape = t::FolderResponseShape::new(t::DefaultShapeNames::Default);
    let first: Vec<SyncPage<FolderChange>> = mb
        .sync_folders(None, None, shape.clone())
        .try_collect()
        .await
        .unwrap();
    let names: Vec<CompactString> = first
        .iter()
        .flat_map(|p| &p.changes)
        .filter_map(|c| match c {
            FolderChange::Created(f) => f.as_base_folder().display_name().clone(),
            _ => None,
        })
        .collect();
    assert!(
        names.iter().any(|n| n == "Inbox") && names.iter().any(|n| n == "Calendar"),
        "{names:?}"
    );
    let state = first.last().unwrap().state.clone();

    let created = create_folder(&mb, "Projects").await;
    let next: Vec<SyncPage<FolderChange>> = mb
        .sync_folders(None, Some(state), shape.clone())
        .try_collect()
        .await
        .unwrap();
    let changes: Vec<&FolderChange> = next.iter().flat_map(|p| &p.changes).collect();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(
        matches!(changes[0], FolderChange::Created(f) if f.as_base_folder().folder_id().as_ref().unwrap().id == created.id)
    );
    let state = next.last().unwrap().state.clone();

    delete_folder(&mb, &created).await;
    let gone: Vec<SyncPage<FolderChange>> = mb
        .sync_folders(None, Some(state), shape)
        .try_collect()
        .await
        .unwrap();
    let changes: Vec<&FolderChange> = gone.iter().flat_map(|p| &p.changes).collect();
    assert!(
        matches!(changes.as_slice(), [FolderChange::Deleted(id)] if id.id == created.id),
        "{changes:?}"
    );
    check_responses(&server);
}

async fn create_folder(mb: &Mailbox, name: &str) -> t::FolderId {
    let request = m::CreateFolder::new(
        mb.target(Folder::Inbox),
        t::NonEmptyArrayOfFolders::new(t::NonEmptyArrayOfFoldersChoice::Folder(
            t::Folder::default().with_display_name(name),
        )),
    );
    let r = mb.send(&request).await.unwrap();
    let m::ArrayOfResponseMessagesChoice::CreateFolderResponseMessage(msg) =
        r.response_messages.content.into_iter().next().unwrap()
    else {
        panic!("a CreateFolderResponseMessage");
    };
    match msg.folders.unwrap().content.remove(0) {
        t::ArrayOfFoldersChoice::Folder(f) => *f.folder_id.unwrap(),
        other => panic!("{other:?}"),
    }
}

async fn delete_folder(mb: &Mailbox, id: &t::FolderId) {
    let request = m::DeleteFolder::new(
        t::Disposal::HardDelete,
        t::NonEmptyArrayOfBaseFolderIds::new(t::NonEmptyArrayOfBaseFolderIdsChoice::FolderId(
            id.clone(),
        )),
    );
    let r = mb.send(&request).await.unwrap();
    assert!(matches!(
        &r.response_messages.content[0],
        m::ArrayOfResponseMessagesChoice::DeleteFolderResponseMessage(d)
            if d.response_class == t::ResponseClass::Success
    ));
}
