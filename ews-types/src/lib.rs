//! Rust bindings for Exchange Web Services, generated at build time from the server's schema.
//!
//! `build.rs` runs `ews-codegen` over `types.xsd`, `messages.xsd` and `services.wsdl` (from the
//! folder `EWS_SCHEMA_DIR` names; set it in your crate's `.cargo/config.toml`) into
//! `OUT_DIR`; this crate includes the result next to a small hand-written [`runtime`].
//!
//! - [`t`]: the types namespace (`CalendarItem`, `ItemId`, …);
//! - [`m`]: the messages namespace (`GetItem`, `GetItemResponse`, …), with an
//!   [`Operation`](runtime::Operation) impl per WSDL operation;
//! - [`headers`]: marker traits for the SOAP headers each operation's binding accepts;
//! - [`Element`]: every global element, for reading any SOAP body or header.
//!
//! ```
//! use ews_types::{m, runtime::{XmlReader, FromXml}};
//! let xml = r#"<m:GetFolder xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"
//!   xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
//!   <m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>
//!   <m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>"#;
//! let mut r = XmlReader::new(xml);
//! let root = r.root().unwrap();
//! let req = m::GetFolder::from_xml(&mut r, root).unwrap();
//! assert_eq!(req.folder_ids.content.len(), 1);
//! ```
//!
//! # Safe by construction
//!
//! A type derives `Default` only when every member may be absent. Required members are the
//! arguments of `new`; optional ones have chainable `with_*` setters; a list the schema
//! requires non-empty is a [`NonEmpty`](runtime::NonEmpty). No enum has a default value.
//!
//! ```
//! use ews_types::{m, t, runtime::Operation};
//! let ids = t::NonEmptyArrayOfBaseItemIds::new(t::NonEmptyArrayOfBaseItemIdsChoice::ItemId(
//!     t::ItemId::new("AAMkAD1"),
//! ));
//! // The disposal is a required argument: nothing picks HardDelete for you.
//! let delete = m::DeleteItem::new(t::Disposal::MoveToDeletedItems, ids)
//!     .with_send_meeting_cancellations(t::CalendarItemCreateOrDeleteOperation::SendToNone);
//! assert_eq!(delete.delete_type, t::Disposal::MoveToDeletedItems);
//! // Whether an operation only reads is a generated fact (retry safety), not a guess by name.
//! assert!(m::GetItem::READ_ONLY && !m::DeleteItem::READ_ONLY && !m::CreateItem::READ_ONLY);
//! ```
//!
//! # Large values are boxed where they are usually absent
//!
//! An optional member whose type is a struct or choice larger than 16 bytes is an
//! `Option<Box<T>>`, and an alternative of a choice larger than 256 bytes is a `Box<T>` (a
//! calendar item is one of those: a list of items holds a pointer per item). EWS item types
//! are wide (`CalendarItemType` has 126 members, nearly all optional) and a response holds
//! thousands of items, so inline they cost the size of every absent member: boxed, a calendar
//! item takes 1.4 KB instead of 3.7 KB, and a response of them less memory than its XML. The
//! setters box for you; reading goes through `as_deref()` or plain field access.
//!
//! ```
//! use ews_types::t;
//! let item = t::CalendarItem::default().with_item_id(t::ItemId::new("A"));
//! let id: Option<&t::ItemId> = item.item_id.as_deref();
//! assert_eq!(id.map(|id| id.id.as_str()), Some("A"));
//! let list = [t::ArrayOfRealItemsChoice::CalendarItem(Box::new(item))];
//! assert_eq!(std::mem::size_of_val(&list[0]), 16);
//! ```
//!
//! # Text is a compact string
//!
//! Text values (`xs:string` and the simple types built on it) are
//! [`CompactString`](runtime::CompactString)s (the `compact_str` crate): up to 24 bytes are
//! kept inline, so `SMTP`, a display name or a change key takes no allocation of its own. A
//! response holds tens of such values per item; as `String`s each cost an allocation and the
//! allocator's rounding (a 4-byte `SMTP` takes a 32-byte chunk). It derefs to `&str`, converts
//! from `&str` and `String` with `into()` (a long `String` keeps its buffer), and into a
//! `String` with `String::from` or `to_string()`.
//!
//! ```
//! use ews_types::t;
//! let mut m = t::Message::default().with_subject("Budget");
//! assert_eq!(m.subject.as_deref(), Some("Budget"));
//! m.subject = Some(String::from("Q3 budget").into());
//! let subject: String = m.subject.take().map(String::from).unwrap_or_default();
//! assert_eq!(subject, "Q3 budget");
//! ```
//!
//! # Base types
//!
//! Module [`base`] has a trait per schema base type (`base::Item`, `base::Message: base::Item`,
//! `base::BaseFolder`, `base::ResponseMessage`, …) with an accessor and a `_mut` accessor per
//! member, implemented by every type that extends it; a choice whose alternatives share a base
//! has `as_<base>()`. So an item's id needs no match over item kinds:
//!
//! ```
//! use ews_types::{base, t};
//! let items = [
//!     t::ArrayOfRealItemsChoice::CalendarItem(Box::new(t::CalendarItem::default().with_item_id(t::ItemId::new("A")))),
//!     t::ArrayOfRealItemsChoice::MeetingRequest(Box::new(t::MeetingRequestMessage::default().with_item_id(t::ItemId::new("B")))),
//!     t::ArrayOfRealItemsChoice::Task(Box::new(t::Task::default().with_item_id(t::ItemId::new("C")))),
//! ];
//! let ids: Vec<&str> = items.iter().filter_map(|i| i.as_item().item_id().as_ref()).map(|id| id.id.as_str()).collect();
//! assert_eq!(ids, ["A", "B", "C"]);
//! // a meeting request is a message is an item
//! fn sender<M: base::Message>(m: &M) -> Option<&t::SingleRecipient> { m.sender().as_deref() }
//! let mut request = t::MeetingRequestMessage::default();
//! *base::Item::subject_mut(&mut request) = Some("Board".into());
//! assert_eq!(request.subject.as_deref(), Some("Board"));
//! assert!(sender(&request).is_none());
//! ```
//!
//! A member that several alternatives of a choice have, but not all, is a method of the choice
//! returning it where it exists: the items of any item response message, the start of a
//! calendar item or a meeting request.
//!
//! ```
//! use ews_types::{m, t};
//! let created = m::ArrayOfResponseMessagesChoice::CreateItemResponseMessage(
//!     m::ItemInfoResponseMessage::new(t::ResponseClass::Success).with_items(t::ArrayOfRealItems {
//!         content: vec![t::ArrayOfRealItemsChoice::Message(Box::new(t::Message::default().with_item_id(t::ItemId::new("A"))))],
//!     }),
//! );
//! let first = created.items().and_then(|i| i.content.first()).and_then(|i| i.as_item().item_id().clone());
//! assert_eq!(first.map(|id| id.id).as_deref(), Some("A"));
//! let deleted = m::ArrayOfResponseMessagesChoice::DeleteItemResponseMessage(
//!     m::DeleteItemResponseMessage::new(t::ResponseClass::Success),
//! );
//! assert!(deleted.items().is_none());
//! let request = t::ArrayOfRealItemsChoice::MeetingRequest(Box::new(t::MeetingRequestMessage::default()));
//! assert!(request.start().is_none() && request.as_item().subject().is_none());
//! ```
//!
//! What does not compile:
//!
//! A destructive enum has no default:
//! ```compile_fail,E0599
//! let disposal = ews_types::t::Disposal::default();
//! ```
//! A request with required members has no default, so none can be left out:
//! ```compile_fail,E0599
//! let create = ews_types::m::CreateItem::default();
//! ```
//! ```compile_fail,E0277
//! use ews_types::{m, t};
//! let create = m::CreateItem {
//!     message_disposition: Some(t::MessageDisposition::SendAndSaveCopy),
//!     ..Default::default()
//! };
//! ```
//! `new` takes every required member (here `DeleteType` is missing):
//! ```compile_fail,E0061
//! use ews_types::{m, t};
//! let ids = t::NonEmptyArrayOfBaseItemIds::new(t::NonEmptyArrayOfBaseItemIdsChoice::ItemId(
//!     t::ItemId::new("AAMkAD1"),
//! ));
//! let delete = m::DeleteItem::new(ids);
//! ```
//! A list the schema requires non-empty cannot be a `Vec`:
//! ```compile_fail,E0308
//! use ews_types::t;
//! let none = t::NonEmptyArrayOfBaseItemIds { content: Vec::new() };
//! ```
//! nor is an empty `NonEmpty` to be had:
//! ```compile_fail,E0599
//! let none = ews_types::runtime::NonEmpty::<u8>::default();
//! ```

pub mod inspect;
pub mod runtime;
pub mod tz;

#[allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    non_camel_case_types,
    unused_variables,
    unused_mut,
    unused_assignments,
    dead_code,
    unreachable_patterns
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/ews_bindings.rs"));
}

pub use generated::*;
