//! Top-level `xs:element` and `xs:complexType` declarations, read straight from the files.
//!
//! xsd-parser's model says neither which element idents are global nor which complex types are
//! abstract, so we list them ourselves.

use std::path::Path;

use quick_xml_wsdl::events::Event;
use quick_xml_wsdl::reader::Reader;

use crate::Error;

/// What a top-level declaration declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclKind {
    /// `xs:element`.
    Element,
    /// `xs:complexType`.
    ComplexType,
}

/// A top-level declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalDecl {
    /// Element or complex type.
    pub kind: DeclKind,
    /// The schema's target namespace.
    pub target_ns: String,
    /// The local name.
    pub name: String,
    /// `substitutionGroup`, as written (`t:Path`).
    pub substitution_group: Option<String>,
    /// `abstract="true"`.
    pub is_abstract: bool,
}

/// Lists the global elements and complex types of one XSD file.
pub fn global_elements(path: &Path) -> Result<Vec<GlobalDecl>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut reader = Reader::from_str(&text);
    let mut depth = 0usize;
    let mut target_ns = String::new();
    let mut out = Vec::new();
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| Error::Xml(format!("{}: {e}", path.display())))?;
        let (start, empty) = match &ev {
            Event::Start(s) => (s, false),
            Event::Empty(s) => (s, true),
            Event::End(_) => {
                depth -= 1;
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let local = start.local_name();
        let attr = |key: &str| {
            start
                .attributes()
                .flatten()
                .find(|a| a.key.as_ref() == key)
                .map(|a| a.value.to_string())
        };
        if depth == 0 && local.as_ref() == "schema" {
            target_ns = attr("targetNamespace").unwrap_or_default();
        } else if depth == 1
            && let Some(kind) = match local.as_ref() {
                "element" => Some(DeclKind::Element),
                "complexType" => Some(DeclKind::ComplexType),
                _ => None,
            }
            && let Some(name) = attr("name")
        {
            out.push(GlobalDecl {
                kind,
                target_ns: target_ns.clone(),
                name,
                substitution_group: attr("substitutionGroup"),
                is_abstract: attr("abstract").as_deref() == Some("true"),
            });
        }
        if !empty {
            depth += 1;
        }
    }
    Ok(out)
}
