//! Rust bindings for Exchange Web Services, generated at build time from the server's schema.
//!
//! `build.rs` runs `ews-codegen` over `types.xsd`, `messages.xsd` and `services.wsdl` (from
//! `EWS_SCHEMA_DIR`, else `xsd/ews` in the workspace, else `../shared/ews-schema`) into
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

pub mod inspect;
pub mod runtime;

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
