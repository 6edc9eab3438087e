//! The rest of the task API on a [`Mailbox`], against ews-testserver: `find` with a typed
//! query as a paged `Stream` (filter, sort, page size), `update` with typed changes, and file
//! attachments — under impersonation and as a delegate alike. Every request the client sent
//! validates against messages.xsd, and so does every answer.

mod support;

use chrono::{TimeZone, Utc};
use ews_client::edits::Changes;
use ews_client::futures::TryStreamExt;
use ews_client::query::{Field, Query};
use ews_client::{ConnectingSid, ErrorKind, Mailbox, m::ResponseCode as Code, t};
use support::{appointment, check_responses, login, serve};

use t::DistinguishedFolderIdName as Folder;
use t::UnindexedFieldURI as F;

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
inbox = "Editor"
"#;

/// Alice's mailbox, by impersonation.
fn alice(server: &ews_testserver::TestServer) -> Mailbox {
    login(server, "svc-booking", "svc-pw")
        .impersonate(ConnectingSid::smtp("alice@contoso.com"))
        .unwrap()
        .mailbox()
}

fn subject(item: &t::ArrayOfRealItemsChoice) -> String {
    item.as_item()
        .subject()
        .clone()
        .unwrap_or_default()
        .to_string()
}

/// Five drafts moved into the Inbox: "Invoice 1" … "Invoice 4" and "Lunch".
async fn fill_inbox(mb: &Mailbox) {
    for s in ["Invoice 3", "Lunch", "Invoice 1", "Invoice 4", "Invoice 2"] {
        let draft = mb
            .save_draft(t::Message::default().with_subject(s))
            .await
            .unwrap();
        mb.move_to(&draft, Folder::Inbox).await.unwrap();
    }
}

#[tokio::test]
async fn find_streams_every_page_filtered_and_sorted() {
    let server = serve(ORG).await;
    let alice = alice(&server);
    fill_inbox(&alice).await;

    let query = Query::new()
        .filter(Field::from(F::ItemSubject).starts_with("invoice"))
        .sort_ascending(F::ItemSubject)
        .page_size(2);
    let mut stream = std::pin::pin!(alice.find(Folder::Inbox, query));
    let mut seen = Vec::new();
    while let Some(item) = stream.try_next().await.unwrap() {
        seen.push(subject(&item));
    }
    assert_eq!(
        seen,
        ["Invoice 1", "Invoice 2", "Invoice 3", "Invoice 4"],
        "filtered, sorted, across pages"
    );
    // two items per page: offsets 0 and 2 hold four items, and the second page says it is
    // the last one
    let requests = support::sent(&server, "FindItem");
    assert_eq!(requests.len(), 2, "{requests:#?}");
    assert!(requests[0].contains(r#"Offset="0""#) && requests[1].contains(r#"Offset="2""#));
    assert!(requests[0].contains(r#"MaxEntriesReturned="2""#));

    // descending, with `|` and `!`
    let either =
        Field::from(F::ItemSubject).eq("Lunch") | Field::from(F::ItemSubject).eq("Invoice 2");
    let query = Query::new()
        .filter(either & !Field::from(F::ItemSubject).contains("4"))
        .sort_descending(F::ItemSubject);
    let found = alice.find_all(Folder::Inbox, query).await.unwrap();
    let found: Vec<String> = found.iter().map(subject).collect();
    assert_eq!(found, ["Lunch", "Invoice 2"]);

    // nothing matches: an empty stream, one request
    let none = Query::new().filter(Field::from(F::ItemSubject).eq("nothing like it"));
    assert!(
        alice
            .find_all(Folder::Inbox, none)
            .await
            .unwrap()
            .is_empty()
    );
    check_responses(&server);
}

#[tokio::test]
async fn a_failed_page_ends_the_stream_with_its_error() {
    let server = serve(ORG).await;
    let alice = alice(&server);
    fill_inbox(&alice).await;
    // a constant that is no date for a date property: the server refuses the restriction
    let query = Query::new().filter(Field::from(F::ItemDateTimeCreated).gt("yesterday"));
    let err = alice.find_all(Folder::Inbox, query).await.unwrap_err();
    assert_eq!(
        err.response_code(),
        Some(&Code::ErrorInvalidValueForProperty),
        "{err}"
    );
}

#[tokio::test]
async fn update_moves_an_appointment_and_renames_it() {
    let server = serve(ORG).await;
    let assistant = login(&server, "assistant@contoso.com", "assistant-pw");
    let boss = assistant.delegate_to("boss@contoso.com").unwrap();
    let id = boss
        .create_appointment(appointment("Planning", &[]))
        .await
        .unwrap();
    let start = Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap();
    let end = Utc.with_ymd_and_hms(2026, 12, 3, 11, 0, 0).unwrap();
    let changes = Changes::appointment()
        .subject("Planning (moved)")
        .start(start)
        .end(end)
        .location("Room 4");
    let new = boss.update(&id, changes).await.unwrap();
    assert_eq!(new.id, id.id);
    assert_ne!(new.change_key, id.change_key, "a new change key");

    let t::ArrayOfRealItemsChoice::CalendarItem(read) = boss.get(&new).await.unwrap() else {
        panic!("not a calendar item")
    };
    assert_eq!(read.subject.as_deref(), Some("Planning (moved)"));
    assert_eq!(read.location.as_deref(), Some("Room 4"));
    assert_eq!(read.start.as_ref().and_then(|s| s.to_utc()), Some(start));
    assert_eq!(read.end.as_ref().and_then(|s| s.to_utc()), Some(end));
    // the old change key is stale now
    let stale = boss
        .update(&id, Changes::appointment().subject("again"))
        .await;
    assert_eq!(
        stale.unwrap_err().response_code(),
        Some(&Code::ErrorIrresolvableConflict)
    );
    assert!(!support::sent(&server, "UpdateItem").is_empty());
    check_responses(&server);
}

#[tokio::test]
async fn changes_that_cannot_apply_are_refused_before_sending() {
    let server = serve(ORG).await;
    let alice = alice(&server);
    let draft = alice
        .save_draft(t::Message::default().with_subject("Draft"))
        .await
        .unwrap();
    let before = server.control().exchanges().len();
    let misplaced = alice
        .update(&draft, Changes::message().start(Utc::now()))
        .await
        .unwrap_err();
    assert_eq!(misplaced.kind(), ErrorKind::InvalidInput, "{misplaced}");
    let empty = alice.update(&draft, Changes::message()).await.unwrap_err();
    assert_eq!(empty.kind(), ErrorKind::InvalidInput, "{empty}");
    assert_eq!(server.control().exchanges().len(), before, "nothing sent");
    // a message's subject and body change, and it stays a draft
    let new = alice
        .update(
            &draft,
            Changes::message().subject("Draft 2").body_text("Hello <b>"),
        )
        .await
        .unwrap();
    let t::ArrayOfRealItemsChoice::Message(read) = alice.get(&new).await.unwrap() else {
        panic!("not a message")
    };
    assert_eq!(read.subject.as_deref(), Some("Draft 2"));
    assert_eq!(read.body.map(|b| b.value).as_deref(), Some("Hello <b>"));
    assert_eq!(read.is_draft, Some(true));
}

#[tokio::test]
async fn a_file_attached_read_back_and_deleted() {
    let server = serve(ORG).await;
    let alice = alice(&server);
    let draft = alice
        .save_draft(t::Message::default().with_subject("With a file"))
        .await
        .unwrap();
    let bytes: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let id = alice
        .attach_file(
            &draft,
            "data.bin",
            "application/octet-stream",
            bytes.clone(),
        )
        .await
        .unwrap();
    let file = alice.file_attachment(&id).await.unwrap();
    assert_eq!(file.name.as_deref(), Some("data.bin"));
    assert_eq!(file.size, Some(3000), "Exchange sets the size");
    assert_eq!(file.content.map(|c| c.0), Some(bytes));
    // the item lists it
    let item = alice.get(&draft).await.unwrap();
    let listed = item
        .as_item()
        .attachments()
        .as_ref()
        .map(|a| a.content.len());
    assert_eq!(listed, Some(1));
    alice.delete_attachment(&id).await.unwrap();
    let gone = alice.file_attachment(&id).await.unwrap_err();
    assert_eq!(
        gone.response_code(),
        Some(&Code::ErrorInvalidAttachmentId),
        "{gone}"
    );
    // the ids went back without the root item id the schema does not allow in requests
    for r in support::sent(&server, "GetAttachment")
        .iter()
        .chain(&support::sent(&server, "DeleteAttachment"))
    {
        assert!(!r.contains("RootItemId"), "{r}");
    }
    check_responses(&server);
}

#[tokio::test]
async fn a_message_over_the_send_limit_is_refused_and_kept() {
    let org = format!("{ORG}\n[limits]\nmax_send_bytes = 1000\n");
    let server = serve(&org).await;
    let boss = login(&server, "boss@contoso.com", "boss-pw").my_mailbox();
    let big = t::Message::default()
        .with_subject("Big")
        .with_to_recipients(t::ArrayOfRecipients {
            content: vec![t::ArrayOfRecipientsChoice::Mailbox(
                t::EmailAddressType::default().with_email_address("assistant@contoso.com"),
            )],
        });
    let draft = boss.save_draft(big.clone()).await.unwrap();
    boss.attach_file(&draft, "big.bin", "application/octet-stream", vec![7; 2000])
        .await
        .unwrap();
    let refused = boss
        .send(&ews_client::m::SendItem::new(
            true,
            t::NonEmptyArrayOfBaseItemIds::new(t::NonEmptyArrayOfBaseItemIdsChoice::ItemId(
                boss.get(&draft)
                    .await
                    .unwrap()
                    .as_item()
                    .item_id()
                    .as_deref()
                    .cloned()
                    .unwrap(),
            )),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        refused.response_code(),
        Some(&Code::ErrorMessageSizeExceeded),
        "{refused}"
    );
    // small enough: sent
    boss.send_message(big.with_subject("Small")).await.unwrap();
    let inbox = support::stored(&server, "assistant@contoso.com", Folder::Inbox);
    assert_eq!(inbox.len(), 1, "only the small one arrived");
    assert_eq!(
        support::stored(&server, "boss@contoso.com", Folder::Drafts).len(),
        1,
        "the big draft is kept"
    );
}
