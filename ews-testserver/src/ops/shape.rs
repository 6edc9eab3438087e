//! Item response shapes: which properties GetItem and FindItem return.
//!
//! `IdOnly` gives the id; `Default` and `AllProperties` give everything the server holds (file
//! attachments without their content, which GetAttachment returns) but extended properties.
//! `AdditionalProperties` on top of `IdOnly` give the id plus exactly those properties, which is
//! how exchangelib reads every item; an extended property (`ExtendedFieldURI`) comes back only
//! when a shape names it. Paths name properties as `props` says.

use ews_types::runtime::{
    AnyElement, AnyNode, FromXml, ToXml, XmlNs, XmlReader, XmlValue, XmlWriter,
};
use ews_types::t;

use super::{attachments, props};
use crate::store::{Item, Stored};

/// What an item response carries.
pub(crate) struct ItemShape {
    id_only: bool,
    /// Element local names asked for on top of the base shape.
    extra: Vec<String>,
    /// Extended properties asked for.
    extended: Vec<t::PathToExtendedField>,
}

impl ItemShape {
    pub(crate) fn of(shape: &t::ItemResponseShape) -> ItemShape {
        use t::NonEmptyArrayOfPathsToElementChoice as P;
        let paths = shape.additional_properties.iter().flat_map(|a| &a.content);
        let mut extra = Vec::new();
        let mut extended = Vec::new();
        for p in paths {
            match p {
                P::FieldURI(f) => extra.push(props::local_name(f.field_uri)),
                P::IndexedFieldURI(i) => {
                    let uri = i.field_uri.to_text();
                    extra.push(uri.rsplit(':').next().unwrap_or(&uri).to_owned());
                }
                P::ExtendedFieldURI(e) => extended.push(e.clone()),
            }
        }
        ItemShape {
            id_only: shape.base_shape == t::DefaultShapeNames::IdOnly,
            extra,
            extended,
        }
    }

    /// The item `s` in this shape.
    pub(crate) fn show(&self, s: &Stored) -> t::ArrayOfRealItemsChoice {
        let mut shown = if !self.id_only {
            present(s, false)
        } else if self.extra.is_empty() {
            present(s, true)
        } else {
            let full = present(s, false);
            project(&full, &self.extra).unwrap_or(full)
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
        shown
    }
}

/// `item` with only its id and the child elements named in `keep`: written, filtered as a tree,
/// read back. `None` if that round trip fails (then the caller keeps the whole item).
fn project(item: &t::ArrayOfRealItemsChoice, keep: &[String]) -> Option<t::ArrayOfRealItemsChoice> {
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
                AnyNode::Element(p) => p.local == "ItemId" || keep.contains(&p.local),
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
        (Item::Calendar(_), true) => t::ArrayOfRealItemsChoice::CalendarItem(t::CalendarItem {
            item_id: id,
            ..Default::default()
        }),
        (Item::Message(_), true) => t::ArrayOfRealItemsChoice::Message(t::Message {
            item_id: id,
            ..Default::default()
        }),
        (Item::MeetingRequest(_), true) => {
            t::ArrayOfRealItemsChoice::MeetingRequest(t::MeetingRequestMessage {
                item_id: id,
                ..Default::default()
            })
        }
        (Item::Response(_), true) => {
            t::ArrayOfRealItemsChoice::MeetingResponse(t::MeetingResponseMessage {
                item_id: id,
                ..Default::default()
            })
        }
        (Item::Response(r), false) => {
            t::ArrayOfRealItemsChoice::MeetingResponse(t::MeetingResponseMessage {
                item_id: id,
                ..(**r).clone()
            })
        }
        (Item::Cancellation(_), true) => {
            t::ArrayOfRealItemsChoice::MeetingCancellation(t::MeetingCancellationMessage {
                item_id: id,
                ..Default::default()
            })
        }
        (Item::Cancellation(r), false) => {
            t::ArrayOfRealItemsChoice::MeetingCancellation(t::MeetingCancellationMessage {
                item_id: id,
                ..(**r).clone()
            })
        }
        (Item::Calendar(c), false) => {
            let mut c = t::CalendarItem {
                item_id: id,
                ..(**c).clone()
            };
            attachments::without_content(&mut c.attachments);
            t::ArrayOfRealItemsChoice::CalendarItem(c)
        }
        (Item::Message(msg), false) => {
            let mut msg = t::Message {
                item_id: id,
                ..(**msg).clone()
            };
            attachments::without_content(&mut msg.attachments);
            t::ArrayOfRealItemsChoice::Message(msg)
        }
        (Item::MeetingRequest(r), false) => {
            t::ArrayOfRealItemsChoice::MeetingRequest(t::MeetingRequestMessage {
                item_id: id,
                ..(**r).clone()
            })
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
