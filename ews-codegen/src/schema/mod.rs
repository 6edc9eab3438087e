//! The only module that talks to `xsd-parser`: Parser → Interpreter → Optimizer, then our IR.

mod convert;
mod globals;

use std::path::Path;

use xsd_parser::config::{InterpreterFlags, ParserFlags, Resolver, Schema};
use xsd_parser::{MetaTypes, Optimizer};

use crate::Error;
pub use convert::convert;
pub use globals::{DeclKind, GlobalDecl, global_elements};

/// The W3C `xml:` namespace schema, which `types.xsd` imports without a location.
///
/// Servers serve `types.xsd` with `<xs:import namespace="http://www.w3.org/XML/1998/namespace"/>`
/// and no `schemaLocation`; we supply the attributes EWS uses (`xml:lang`) ourselves.
pub const XML_XSD: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           targetNamespace="http://www.w3.org/XML/1998/namespace" xml:lang="en">
  <xs:attribute name="lang" type="xs:language"/>
  <xs:attribute name="space">
    <xs:simpleType>
      <xs:restriction base="xs:NCName">
        <xs:enumeration value="default"/>
        <xs:enumeration value="preserve"/>
      </xs:restriction>
    </xs:simpleType>
  </xs:attribute>
  <xs:attribute name="base" type="xs:anyURI"/>
  <xs:attribute name="id" type="xs:ID"/>
</xs:schema>
"#;

/// Reads `messages.xsd` (which imports `types.xsd`) from `dir` and interprets it.
pub fn read_meta_types(dir: &Path) -> Result<MetaTypes, Error> {
    let messages = dir.join("messages.xsd");
    let messages = messages
        .canonicalize()
        .map_err(|e| Error::io(&messages, e))?;
    let mut config = xsd_parser::Config::default();
    config.parser.resolver = vec![Resolver::File];
    config.parser.flags = ParserFlags::all();
    config.parser.schemas = vec![
        Schema::NamedSchema("xml.xsd".into(), XML_XSD.into()),
        Schema::File(messages),
    ];
    config.interpreter.flags = InterpreterFlags::all();
    let schemas = xsd_parser::exec_parser(config.parser).map_err(Error::schema)?;
    let types =
        xsd_parser::exec_interpreter(config.interpreter, &schemas).map_err(Error::schema)?;
    // Only the optimizer passes that keep the schema's shape: they drop enumeration values
    // and unions that hold nothing, which would otherwise become uninhabited Rust enums.
    let types = Optimizer::new(types)
        .remove_empty_enum_variants()
        .remove_empty_enums()
        .remove_empty_unions()
        .finish();
    Ok(types)
}
