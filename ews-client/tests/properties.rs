//! Property paths against ews-testserver, the way Exchange treats them: an extended property
//! (an integration's key) is stored, returned only when a shape names it, found by a
//! restriction, changed and deleted; restrictions and sorting reach any property of the item's
//! type, not a fixed few. Every answer validates against the schema.

mod support;

use ews_client::{Mailbox, m, t};
use ews_types::runtime::NonEmpty;
use support::{check_responses, login, serve};

const ORG: &str = r#"
[[mailbox]]
smtp = "boss@contoso.com"
password = "boss-pw"
"#;

fn key_path() -> t::PathToExtendedField {
    t::PathToExtendedField {
        distinguished_property_set_id: None,
        property_set_id: Some("c11ff724-aa03-4555-9952-8fa248a11c3e".into()),
        property_tag: None,
        property_name: Some("BookingKey".into()),
        property_id: None,
        property_type: t::MapiPropertyType::String,
    }
}

fn key(value: &str) -> t::ExtendedProperty {
    t::ExtendedProperty::new(key_path(), t::ExtendedPropertyChoice::Value(value.into()))
}

fn booking(
    subject: &str,
    location: &str,
    importance: t::ImportanceChoices,
    k: &str,
) -> t::CalendarItem {
    let start = chrono::DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z").unwrap();
    t::CalendarItem::default()
        .with_subject(subject)
        .with_location(location)
        .with_importance(importance)
        .with_start(start)
        .with_end(start + chrono::Duration::hours(1))
        .with_extended_property(vec![key(k)])
}

fn constant(path: t::Path, value: &str) -> (t::Path, t::FieldURIOrConstant) {
    (
        path,
        t::FieldURIOrConstant::new(t::FieldURIOrConstantChoice::Constant(
            t::ConstantValue::new(value),
        )),
    )
}

fn field(uri: t::UnindexedFieldURI) -> t::Path {
    t::Path::FieldURI(t::PathToUnindexedField::new(uri))
}

/// Subjects of the calendar items `expr` finds, sorted by `sort` when given.
async fn find(
    mb: &Mailbox,
    expr: Option<t::SearchExpression>,
    sort: Option<(t::Path, t::SortDirection)>,
) -> Vec<String> {
    let mut request = m::FindItem::new(
        t::ItemQueryTraversal::Shallow,
        t::ItemResponseShape::new(t::DefaultShapeNames::Default),
        mb.folder_ids(t::DistinguishedFolderIdName::Calendar),
    );
    request.restriction = expr.map(|e| Box::new(t::Restriction::new(e)));
    request.sort_order = sort
        .map(|(path, dir)| {
            t::NonEmptyArrayOfFieldOrders::new(NonEmpty::new(t::FieldOrder::new(dir, path)))
        })
        .map(Box::new);
    let r = mb.send(&request).await.unwrap();
    let m::ArrayOfResponseMessagesChoice::FindItemResponseMessage(found) =
        &r.response_messages.content[0]
    else {
        panic!("a FindItemResponseMessage");
    };
    let t::FindItemParentChoice::Items(items) = &found.root_folder.as_ref().unwrap().content else {
        panic!("items");
    };
    items
        .content
        .iter()
        .filter_map(|i| i.as_item().subject().as_ref().map(|s| s.to_string()))
        .collect()
}

async fn get(mb: &Mailbox, id: &t::ItemId, shape: t::ItemResponseShape) -> t::CalendarItem {
    let request = m::GetItem::new(
        shape,
        t::NonEmptyArrayOfBaseItemIds::new(t::NonEmptyArrayOfBaseItemIdsChoice::ItemId(id.clone())),
    );
    let r = mb.send(&request).await.unwrap();
    let m::ArrayOfResponseMessagesChoice::GetItemResponseMessage(msg) =
        &r.response_messages.content[0]
    else {
        panic!("a GetItemResponseMessage");
    };
    let Some(t::ArrayOfRealItemsChoice::CalendarItem(c)) =
        msg.items.as_ref().and_then(|i| i.content.first())
    else {
        panic!("a calendar item: {msg:?}");
    };
    (**c).clone()
}

#[tokio::test]
async fn extended_properties_are_stored_returned_on_request_found_and_changed() {
    let server = serve(ORG).await;
    let mb = login(&server, "boss@contoso.com", "boss-pw").my_mailbox();
    let id = mb
        .create_appointment(booking("Room A", "A", t::ImportanceChoices::High, "key-1"))
        .await
        .unwrap();
    mb.create_appointment(booking(
        "Room B",
        "B",
        t::ImportanceChoices::Normal,
        "key-2",
    ))
    .await
    .unwrap();

    // not in the Default shape; named by AdditionalProperties, exactly that one
    assert!(
        get(
            &mb,
            &id,
            t::ItemResponseShape::new(t::DefaultShapeNames::Default)
        )
        .await
        .extended_property
        .is_empty()
    );
    let named = t::ItemResponseShape::new(t::DefaultShapeNames::IdOnly).with_additional_properties(
        t::NonEmptyArrayOfPathsToElement::new(NonEmpty::new(
            t::NonEmptyArrayOfPathsToElementChoice::ExtendedFieldURI(key_path()),
        )),
    );
    let c = get(&mb, &id, named.clone()).await;
    assert_eq!(c.extended_property, vec![key("key-1")]);
    assert!(c.subject.is_none(), "IdOnly plus the key only");

    // found by the key, as an idempotent integration looks up what it already created
    let by_key = |v: &str| {
        let (path, c) = constant(t::Path::ExtendedFieldURI(key_path()), v);
        t::SearchExpression::IsEqualTo(t::IsEqualTo::new(path, c))
    };
    assert_eq!(find(&mb, Some(by_key("key-2")), None).await, ["Room B"]);
    assert!(find(&mb, Some(by_key("key-3")), None).await.is_empty());
    let exists = t::SearchExpression::Exists(t::Exists::new(t::Path::ExtendedFieldURI(key_path())));
    assert_eq!(find(&mb, Some(exists.clone()), None).await.len(), 2);

    // any property of the item's type restricts and sorts: location, importance
    let (path, c) = constant(field(t::UnindexedFieldURI::CalendarLocation), "a");
    assert_eq!(
        find(
            &mb,
            Some(t::SearchExpression::IsEqualTo(t::IsEqualTo::new(path, c))),
            None
        )
        .await,
        ["Room A"]
    );
    let (path, c) = constant(field(t::UnindexedFieldURI::ItemImportance), "High");
    assert_eq!(
        find(
            &mb,
            Some(t::SearchExpression::IsEqualTo(t::IsEqualTo::new(path, c))),
            None
        )
        .await,
        ["Room A"]
    );
    let sorted = find(
        &mb,
        None,
        Some((
            field(t::UnindexedFieldURI::CalendarLocation),
            t::SortDirection::Descending,
        )),
    )
    .await;
    assert_eq!(sorted, ["Room B", "Room A"]);

    // changed, then deleted, by its path
    let change = |d: t::NonEmptyArrayOfItemChangeDescriptionsChoice| {
        m::UpdateItem::new(
            t::ConflictResolution::AlwaysOverwrite,
            t::NonEmptyArrayOfItemChanges::new(NonEmpty::new(t::ItemChange::new(
                t::ItemChangeChoice::ItemId(t::ItemId::new(id.id.clone())),
                t::NonEmptyArrayOfItemChangeDescriptions::new(NonEmpty::new(d)),
            ))),
        )
        .with_send_meeting_invitations_or_cancellations(t::CalendarItemUpdateOperation::SendToNone)
    };
    let set = t::NonEmptyArrayOfItemChangeDescriptionsChoice::SetItemField(t::SetItemField::new(
        t::Path::ExtendedFieldURI(key_path()),
        t::SetItemFieldChoice::CalendarItem(Box::new(
            t::CalendarItem::default().with_extended_property(vec![key("key-9")]),
        )),
    ));
    mb.send(&change(set)).await.unwrap();
    assert_eq!(
        get(&mb, &id, named.clone()).await.extended_property,
        vec![key("key-9")]
    );
    let delete = t::NonEmptyArrayOfItemChangeDescriptionsChoice::DeleteItemField(
        t::DeleteItemField::new(t::Path::ExtendedFieldURI(key_path())),
    );
    mb.send(&change(delete)).await.unwrap();
    assert!(get(&mb, &id, named).await.extended_property.is_empty());
    assert_eq!(find(&mb, Some(exists), None).await, ["Room B"]);
    check_responses(&server);
}

/// Subjects a FindItem of the calendar returns, sorted by subject, through `view`, with the
/// paging numbers of its answer.
async fn page(
    mb: &Mailbox,
    view: m::FindItemChoice,
    expr: Option<t::SearchExpression>,
) -> Result<(Vec<String>, t::FindItemParent), ews_client::Error> {
    let mut request = m::FindItem::new(
        t::ItemQueryTraversal::Shallow,
        t::ItemResponseShape::new(t::DefaultShapeNames::Default),
        mb.folder_ids(t::DistinguishedFolderIdName::Calendar),
    )
    .with_content(view)
    .with_sort_order(t::NonEmptyArrayOfFieldOrders::new(NonEmpty::new(
        t::FieldOrder::new(
            t::SortDirection::Ascending,
            field(t::UnindexedFieldURI::ItemSubject),
        ),
    )));
    request.restriction = expr.map(|e| Box::new(t::Restriction::new(e)));
    let r = mb.send(&request).await?;
    let m::ArrayOfResponseMessagesChoice::FindItemResponseMessage(found) =
        r.response_messages.content.into_vec().remove(0)
    else {
        panic!("a FindItemResponseMessage");
    };
    let root = found.root_folder.unwrap();
    let t::FindItemParentChoice::Items(items) = &root.content else {
        panic!("items")
    };
    let subjects = items
        .content
        .iter()
        .filter_map(|i| i.as_item().subject().as_ref().map(|s| s.to_string()))
        .collect();
    Ok((subjects, *root))
}

#[tokio::test]
async fn paging_views_excludes_and_property_comparisons() {
    let server = serve(ORG).await;
    let mb = login(&server, "boss@contoso.com", "boss-pw").my_mailbox();
    for (i, subject) in ["A", "B", "C", "D"].iter().enumerate() {
        let mut item = booking(subject, "x", t::ImportanceChoices::Normal, subject)
            .with_reminder_minutes_before_start((15 + i).to_string());
        if *subject == "D" {
            item.end = item.start; // no duration
        }
        mb.create_appointment(item).await.unwrap();
    }
    let all = || {
        m::FindItemChoice::IndexedPageItemView(t::IndexedPageView::new(
            0,
            t::IndexBasePoint::Beginning,
        ))
    };
    // the last two, counted from the end
    let end = t::IndexedPageView::new(0, t::IndexBasePoint::End).with_max_entries_returned(2);
    let (subjects, root) = page(&mb, m::FindItemChoice::IndexedPageItemView(end), None)
        .await
        .unwrap();
    assert_eq!(subjects, ["C", "D"]);
    assert_eq!(root.includes_last_item_in_range, Some(false));
    // from half way through, with the next numerator over the item count
    let half = t::FractionalPageView::new(1, 2).with_max_entries_returned(10);
    let (subjects, root) = page(&mb, m::FindItemChoice::FractionalPageItemView(half), None)
        .await
        .unwrap();
    assert_eq!(subjects, ["C", "D"]);
    assert_eq!(
        (root.numerator_offset, root.absolute_denominator),
        (Some(4), Some(4))
    );
    // Excludes: reminders of 15 and 17 minutes have bit 1 set; 16 and 18 do not
    let reminder = field(t::UnindexedFieldURI::ItemReminderMinutesBeforeStart);
    let even =
        t::SearchExpression::Excludes(t::Excludes::new(reminder, t::ExcludesValue::new("0x1")));
    assert_eq!(page(&mb, all(), Some(even)).await.unwrap().0, ["B", "D"]);
    // two properties of one item compared: starts equal to their end
    let instant = t::SearchExpression::IsEqualTo(t::IsEqualTo::new(
        field(t::UnindexedFieldURI::CalendarStart),
        t::FieldURIOrConstant::new(t::FieldURIOrConstantChoice::FieldURI(
            t::PathToUnindexedField::new(t::UnindexedFieldURI::CalendarEnd),
        )),
    ));
    assert_eq!(page(&mb, all(), Some(instant)).await.unwrap().0, ["D"]);
    // what the server does not model is refused by name, not ignored
    let e = page(
        &mb,
        m::FindItemChoice::ContactsView(t::ContactsView::default()),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&m::ResponseCode::ErrorInvalidOperation)
    );
    assert!(e.to_string().contains("ContactsView"), "{e}");
    check_responses(&server);
}
