//! Item response shapes: which properties GetItem and FindItem return.
//!
//! - `IdOnly` gives the id.
//! - `Default` gives a set per item type: for messages (and meeting messages) the properties
//!   Microsoft's GetItem (email message) example shows — id, subject, sensitivity, body,
//!   attachments, size, sent and created times, response objects, `HasAttachments`, the
//!   recipients, the receipt flags, `From`, `IsRead`; calendar items add their time, place,
//!   state and people ([`DEFAULT_CALENDAR`]).
//! - `AllProperties` gives everything the server holds (file attachments without their
//!   content, which GetAttachment returns) but extended properties.
//! - `AdditionalProperties` add to any of them; an extended property (`ExtendedFieldURI`) comes
//!   back only when a shape names it. Paths name properties as `props` says.
//!
//! FindItem never returns a body, attachments or recipient lists ([`NOT_IN_FIND`]), whatever
//! the shape, and refuses a shape that names one (`ErrorInvalidPropertyForOperation`), as
//! Exchange does. A path that names no item property (`folder:DisplayName` in an item shape)
//! is `ErrorInvalidPropertyRequest`.

use ews_types::runtime::{
    AnyElement, AnyNode, FromXml, ToXml, XmlNs, XmlReader, XmlValue, XmlWriter,
};
use ews_types::{m, t};

use super::{attachments, props};
use crate::store::{Item, Stored};

/// Properties FindItem does not return and cannot be asked for ("FindItem does not return a
/// message body, attachments, or recipient lists"; "The property Body can't be used in
/// FindItem requests").
pub(crate) const NOT_IN_FIND: &[&str] = &[
    "MimeContent",
    "Body",
    "UniqueBody",
    "TextBody",
    "NormalizedBody",
    "Attachments",
    "ToRecipients",
    "CcRecipients",
    "BccRecipients",
    "ReplyTo",
    "RequiredAttendees",
    "OptionalAttendees",
    "Resources",
];

/// Every item's `Default` properties.
const DEFAULT_COMMON: &[&str] = &[
    "ItemId",
    "Subject",
    "Sensitivity",
    "Body",
    "Attachments",
    "Size",
    "DateTimeSent",
    "DateTimeCreated",
    "ResponseObjects",
    "HasAttachments",
];

/// A message's `Default` properties beyond the common ones.
const DEFAULT_MESSAGE: &[&str] = &[
    "ToRecipients",
    "CcRecipients",
    "BccRecipients",
    "IsReadReceiptRequested",
    "IsDeliveryReceiptRequested",
    "From",
    "Sender",
    "IsRead",
];

/// What a meeting message adds to a message's `Default` properties: the meeting it is about.
const DEFAULT_MEETING_MESSAGE: &[&str] = &[
    "AssociatedCalendarItemId",
    "IsDelegated",
    "IsOutOfDate",
    "HasBeenProcessed",
    "ResponseType",
    "UID",
    "MeetingRequestType",
    "Start",
    "End",
    "Location",
    "Organizer",
];

/// A calendar item's `Default` properties beyond the common ones.
pub(crate) const DEFAULT_CALENDAR: &[&str] = &[
    "UID",
    "Start",
    "End",
    "IsAllDayEvent",
    "LegacyFreeBusyStatus",
    "Location",
    "IsMeeting",
    "IsCancelled",
    "IsRecurring",
    "MeetingRequestWasSent",
    "CalendarItemType",
    "OriginalStart",
    "MyResponseType",
    "Organizer",
    "RequiredAttendees",
    "OptionalAttendees",
    "Resources",
    "Recurrence",
    "StartTimeZone",
    "EndTimeZone",
];

/// Where item properties live: the prefixes of the item `FieldURI`s (`folder:…`,
/// `conversation:…` and the rest name no item property).
const ITEM_PREFIXES: &[&str] = &[
    "item:",
    "message:",
    "meeting:",
    "meetingRequest:",
    "calendar:",
    "task:",
    "contacts:",
    "distributionlist:",
    "postitem:",
];

type Failure = (m::ResponseCode, String);

/// What an item response carries.
pub(crate) struct ItemShape {
    base: t::DefaultShapeNames,
    /// FindItem, which leaves out [`NOT_IN_FIND`].
    find: bool,
    /// Element local names asked for on top of the base shape.
    extra: Vec<String>,
    /// Extended properties asked for.
    extended: Vec<t::PathToExtendedField>,
    /// `IncludeMimeContent` (GetItem only).
    mime: bool,
}

impl ItemShape {
    /// The shape of a GetItem request.
    pub(crate) fn get(shape: &t::ItemResponseShape) -> Result<ItemShape, Failure> {
        Self::of(shape, false, true)
    }

    /// The shape of a FindItem request: asking for what FindItem never returns is an error.
    pub(crate) fn find(shape: &t::ItemResponseShape) -> Result<ItemShape, Failure> {
        Self::of(shape, true, true)
    }

    /// The shape of a SyncFolderItems request, which returns what FindItem does. Exchange
    /// leaves out what it cannot return (a body, attachments, MIME content) without an error:
    /// exchangelib asks for every field, and its users get items without attachments
    /// (exchangelib issue 1370).
    pub(crate) fn sync(shape: &t::ItemResponseShape) -> Result<ItemShape, Failure> {
        Self::of(shape, true, false)
    }

    /// `find`: items as FindItem returns them; `refuse`: asking for more is an error rather
    /// than left out.
    fn of(shape: &t::ItemResponseShape, find: bool, refuse: bool) -> Result<ItemShape, Failure> {
        use t::NonEmptyArrayOfPathsToElementChoice as P;
        let paths = shape.additional_properties.iter().flat_map(|a| &a.content);
        let mut extra = Vec::new();
        let mut extended = Vec::new();
        for p in paths {
            let uri = match p {
                P::FieldURI(f) => f.field_uri.to_text(),
                P::IndexedFieldURI(i) => i.field_uri.to_text(),
                P::ExtendedFieldURI(e) => {
                    extended.push(e.clone());
                    continue;
                }
            };
            if !ITEM_PREFIXES.iter().any(|prefix| uri.starts_with(prefix)) {
                return Err((
                    m::ResponseCode::ErrorInvalidPropertyRequest,
                    format!("The property {uri} is not valid for an item."),
                ));
            }
            let local = uri.rsplit(':').next().unwrap_or(&uri).to_owned();
            if find && NOT_IN_FIND.contains(&local.as_str()) {
                if !refuse {
                    continue;
                }
                return Err((
                    m::ResponseCode::ErrorInvalidPropertyForOperation,
                    format!("The property {local} can't be used in FindItem requests."),
                ));
            }
            extra.push(local);
        }
        let mut mime = shape.include_mime_content == Some(true);
        if find && mime {
            if refuse {
                return Err((
                    m::ResponseCode::ErrorInvalidPropertyForOperation,
                    "The property MimeContent can't be used in FindItem requests.".into(),
                ));
            }
            mime = false;
        }
        Ok(ItemShape {
            base: shape.base_shape,
            find,
            extra,
            extended,
            mime,
        })
    }

    /// The element names this shape keeps of `item`; `None` for all of them.
    fn keeps(&self, item: &Item) -> Option<Vec<&str>> {
        let mut keep: Vec<&str> = match self.base {
            t::DefaultShapeNames::IdOnly => vec!["ItemId"],
            t::DefaultShapeNames::Default => {
                let mut k = DEFAULT_COMMON.to_vec();
                match item {
                    Item::Calendar(_) => k.extend(DEFAULT_CALENDAR),
                    Item::Message(_) => k.extend(DEFAULT_MESSAGE),
                    Item::MeetingRequest(_) | Item::Response(_) | Item::Cancellation(_) => {
                        k.extend(DEFAULT_MESSAGE);
                        k.extend(DEFAULT_MEETING_MESSAGE);
                    }
                }
                k
            }
            t::DefaultShapeNames::AllProperties | t::DefaultShapeNames::PcxPeopleSearch => {
                if !self.find {
                    return None;
                }
                vec![]
            }
        };
        keep.extend(self.extra.iter().map(String::as_str));
        Some(keep)
    }

    /// The item `s` in this shape.
    pub(crate) fn show(&self, s: &Stored) -> t::ArrayOfRealItemsChoice {
        let full = present(s, false);
        let mut shown = match self.keeps(&s.item) {
            None => full,
            Some(keep) if keep.is_empty() => {
                // AllProperties in FindItem: all but what FindItem never returns
                project(&full, |name| !NOT_IN_FIND.contains(&name)).unwrap_or(full)
            }
            Some(keep) if keep == ["ItemId"] => present(s, true),
            Some(keep) => project(&full, |name| {
                keep.contains(&name) && !(self.find && NOT_IN_FIND.contains(&name))
            })
            .unwrap_or(full),
        };
        let wanted: Vec<_> = s
            .item
            .base()
            .extended_property()
            .iter()
            .filter(|e| {
                self.extended
                    .iter()
                    .any(|w| props::same_extended(&e.extended_field_uri, w))
            })
            .cloned()
            .collect();
        *shown.as_item_mut().extended_property_mut() = wanted;
        if self.mime || self.extra.iter().any(|e| e == "MimeContent") {
            *shown.as_item_mut().mime_content_mut() =
                Some(Box::new(super::mime::content(&full_item(s))));
        }
        shown
    }
}

/// The item with everything the server holds, attachments' content included (what its MIME
/// content is made of).
fn full_item(s: &Stored) -> t::ArrayOfRealItemsChoice {
    let mut item = present(s, false);
    let list = match (&mut item, &s.item) {
        (t::ArrayOfRealItemsChoice::Message(m), Item::Message(held)) => {
            Some((&mut m.attachments, &held.attachments))
        }
        (t::ArrayOfRealItemsChoice::CalendarItem(c), Item::Calendar(held)) => {
            Some((&mut c.attachments, &held.attachments))
        }
        _ => None,
    };
    if let Some((shown, held)) = list {
        shown.clone_from(held);
    }
    item
}

/// `item` with only its id and the child elements `keep` accepts: written, filtered as a tree,
/// read back. `None` if that round trip fails (then the caller keeps the whole item).
fn project(
    item: &t::ArrayOfRealItemsChoice,
    keep: impl Fn(&str) -> bool,
) -> Option<t::ArrayOfRealItemsChoice> {
    let wrapper = t::ArrayOfRealItems {
        content: vec![item.clone()],
    };
    let mut w = XmlWriter::new();
    wrapper.to_xml(&mut w, XmlNs::Types, "Items").ok()?;
    let xml = w.into_string();
    let mut r = XmlReader::new(&xml);
    let root = r.root().ok()?;
    let mut tree = AnyElement::from_xml(&mut r, root).ok()?;
    for child in &mut tree.children {
        if let AnyNode::Element(e) = child {
            e.children.retain(|n| match n {
                AnyNode::Element(p) => p.local == "ItemId" || keep(&p.local),
                AnyNode::Text(_) => false,
            });
        }
    }
    let mut w = XmlWriter::new();
    tree.write(&mut w).ok()?;
    let xml = w.into_string();
    let mut r = XmlReader::new(&xml);
    let root = r.root().ok()?;
    let mut back = t::ArrayOfRealItems::from_xml(&mut r, root).ok()?;
    (!back.content.is_empty()).then(|| back.content.remove(0))
}

/// The item as the response carries it (`IdOnly` or everything we hold).
pub(crate) fn present(s: &Stored, id_only: bool) -> t::ArrayOfRealItemsChoice {
    let id = Some(s.item_id());
    match (&s.item, id_only) {
        (Item::Calendar(_), true) => {
            t::ArrayOfRealItemsChoice::CalendarItem(Box::new(t::CalendarItem {
                item_id: id.map(Box::new),
                ..Default::default()
            }))
        }
        (Item::Message(_), true) => t::ArrayOfRealItemsChoice::Message(Box::new(t::Message {
            item_id: id.map(Box::new),
            ..Default::default()
        })),
        (Item::MeetingRequest(_), true) => {
            t::ArrayOfRealItemsChoice::MeetingRequest(Box::new(t::MeetingRequestMessage {
                item_id: id.map(Box::new),
                ..Default::default()
            }))
        }
        (Item::Response(_), true) => {
            t::ArrayOfRealItemsChoice::MeetingResponse(Box::new(t::MeetingResponseMessage {
                item_id: id.map(Box::new),
                ..Default::default()
            }))
        }
        (Item::Response(r), false) => {
            t::ArrayOfRealItemsChoice::MeetingResponse(Box::new(t::MeetingResponseMessage {
                item_id: id.map(Box::new),
                ..(**r).clone()
            }))
        }
        (Item::Cancellation(_), true) => t::ArrayOfRealItemsChoice::MeetingCancellation(Box::new(
            t::MeetingCancellationMessage {
                item_id: id.map(Box::new),
                ..Default::default()
            },
        )),
        (Item::Cancellation(r), false) => t::ArrayOfRealItemsChoice::MeetingCancellation(Box::new(
            t::MeetingCancellationMessage {
                item_id: id.map(Box::new),
                ..(**r).clone()
            },
        )),
        (Item::Calendar(c), false) => {
            let mut c = t::CalendarItem {
                item_id: id.map(Box::new),
                ..(**c).clone()
            };
            attachments::without_content(&mut c.attachments);
            t::ArrayOfRealItemsChoice::CalendarItem(Box::new(c))
        }
        (Item::Message(msg), false) => {
            let mut msg = t::Message {
                item_id: id.map(Box::new),
                ..(**msg).clone()
            };
            attachments::without_content(&mut msg.attachments);
            t::ArrayOfRealItemsChoice::Message(Box::new(msg))
        }
        (Item::MeetingRequest(r), false) => {
            t::ArrayOfRealItemsChoice::MeetingRequest(Box::new(t::MeetingRequestMessage {
                item_id: id.map(Box::new),
                ..(**r).clone()
            }))
        }
    }
}

/// Sets the property `local` of `item` to the element of that name in `source` (SetItemField),
/// or removes it (`source` `None`: DeleteItemField), for any property the item's type has:
/// written as a tree, spliced, read back. The writer puts the element in schema order.
/// `None` when the item's type has no such property (or `source` does not carry it).
pub(crate) fn splice_property(
    item: &mut Item,
    local: &str,
    source: Option<&t::SetItemFieldChoice>,
) -> Option<()> {
    let new = match source {
        None => None,
        Some(choice) => {
            let mut w = XmlWriter::new();
            w.start(XmlNs::Types, "Wrap");
            ews_types::runtime::XmlGroup::write_group(choice, &mut w).ok()?;
            w.end(XmlNs::Types, "Wrap");
            let wrapped = tree_of(&w.into_string())?;
            let item = wrapped.elements().next()?;
            Some(item.child(local)?.clone())
        }
    };
    match item {
        Item::Calendar(c) => splice(&mut **c, local, new),
        Item::Message(m) => splice(&mut **m, local, new),
        Item::MeetingRequest(r) => splice(&mut **r, local, new),
        Item::Cancellation(r) => splice(&mut **r, local, new),
        Item::Response(r) => splice(&mut **r, local, new),
    }
}

fn tree_of(xml: &str) -> Option<AnyElement> {
    let mut r = XmlReader::new(xml);
    let root = r.root().ok()?;
    AnyElement::from_xml(&mut r, root).ok()
}

fn splice<T: FromXml + ToXml>(value: &mut T, local: &str, new: Option<AnyElement>) -> Option<()> {
    let mut w = XmlWriter::new();
    value.to_xml(&mut w, XmlNs::Types, "Item").ok()?;
    let mut tree = tree_of(&w.into_string())?;
    tree.children
        .retain(|n| !matches!(n, AnyNode::Element(e) if e.local == local));
    let setting = new.is_some();
    tree.children.extend(new.map(AnyNode::Element));
    let mut w = XmlWriter::new();
    tree.write(&mut w).ok()?;
    let xml = w.into_string();
    let mut r = XmlReader::new(&xml);
    let root = r.root().ok()?;
    let changed = T::from_xml(&mut r, root).ok()?;
    // the type must have kept the property: a lenient read skips what it does not know
    let mut w = XmlWriter::new();
    changed.to_xml(&mut w, XmlNs::Types, "Item").ok()?;
    let kept = tree_of(&w.into_string())?.child(local).is_some();
    if kept != setting {
        return None;
    }
    *value = changed;
    Some(())
}
