//! IR → Rust tokens. Generated code stays thin: a type definition plus short `FromXml`,
//! `ToXml`, `XmlGroup` or `XmlValue` impls that call into the runtime.

mod bases;
mod choice;
mod ctor;
mod facets;
mod items;
mod members;
mod ops;
mod status;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::model::*;

/// Emitter options.
#[derive(Debug, Clone)]
pub struct EmitOptions {
    /// Path of the runtime module from inside the generated modules (default `crate::runtime`).
    pub runtime: String,
}

impl Default for EmitOptions {
    fn default() -> Self {
        EmitOptions {
            runtime: "crate::runtime".into(),
        }
    }
}

pub(crate) struct Emitter<'m> {
    pub model: &'m Model,
    pub rt: TokenStream,
}

/// Emits the whole model: modules `t` and `m`, `headers`, `Element`, and operation impls.
pub fn emit(model: &Model, options: &EmitOptions) -> TokenStream {
    let rt: TokenStream = options
        .runtime
        .parse()
        .expect("runtime path is a Rust path");
    let e = Emitter { model, rt };
    let mut t_items = TokenStream::new();
    let mut m_items = TokenStream::new();
    for id in 0..model.types.len() {
        let item = e.item(id);
        match model.types[id].ns {
            Ns::Messages => m_items.extend(item),
            _ => t_items.extend(item),
        }
    }
    t_items.extend(e.global_elements(Ns::Types));
    m_items.extend(e.global_elements(Ns::Messages));
    let element = e.element_set();
    let ops = e.operations();
    let headers = e.headers();
    let bases = e.bases();
    let rt = &e.rt;
    quote! {
        /// Types of the `http://schemas.microsoft.com/exchange/services/2006/types` namespace.
        pub mod t {
            #[allow(unused_imports)]
            use #rt as rt;
            #t_items
        }
        /// Types of the `http://schemas.microsoft.com/exchange/services/2006/messages` namespace.
        pub mod m {
            #[allow(unused_imports)]
            use #rt as rt;
            #m_items
        }
        #headers
        #bases
        #element
        #ops
    }
}

impl Emitter<'_> {
    pub(crate) fn ns_tokens(&self, ns: Ns) -> TokenStream {
        let rt = &self.rt;
        match ns {
            Ns::Types => quote!(#rt::XmlNs::Types),
            Ns::Messages => quote!(#rt::XmlNs::Messages),
            Ns::Xml => quote!(#rt::XmlNs::Xml),
            Ns::None => quote!(#rt::XmlNs::None),
        }
    }

    /// Path to a generated item, from inside module `t` or `m`.
    pub(crate) fn path(&self, id: TypeId) -> TokenStream {
        let def = &self.model.types[id];
        let name = format_ident!("{}", def.rust_name);
        match def.ns {
            Ns::Messages => quote!(super::m::#name),
            _ => quote!(super::t::#name),
        }
    }

    /// The Rust type of a value.
    pub(crate) fn rust_type(&self, vt: &ValueType) -> TokenStream {
        let rt = &self.rt;
        match vt {
            ValueType::Named(id) => self.path(*id),
            ValueType::List(inner) => {
                let inner = self.rust_type(inner);
                quote!(::std::vec::Vec<#inner>)
            }
            ValueType::Builtin(b) => match b {
                Builtin::String => quote!(#rt::CompactString),
                Builtin::Bool => quote!(bool),
                Builtin::I8 => quote!(i8),
                Builtin::I16 => quote!(i16),
                Builtin::I32 => quote!(i32),
                Builtin::I64 => quote!(i64),
                Builtin::U8 => quote!(u8),
                Builtin::U16 => quote!(u16),
                Builtin::U32 => quote!(u32),
                Builtin::U64 => quote!(u64),
                Builtin::F32 => quote!(f32),
                Builtin::F64 => quote!(f64),
                Builtin::Decimal => quote!(#rt::Decimal),
                Builtin::DateTime => quote!(#rt::DateTime),
                Builtin::Date => quote!(#rt::Date),
                Builtin::Time => quote!(#rt::Time),
                Builtin::Duration => quote!(#rt::Duration),
                Builtin::Base64 => quote!(#rt::Base64Binary),
                Builtin::Hex => quote!(#rt::HexBinary),
                Builtin::AnyElement => quote!(#rt::AnyElement),
            },
        }
    }

    /// How a value is read and written.
    pub(crate) fn shape(&self, vt: &ValueType) -> Shape {
        match vt {
            ValueType::List(_) => Shape::List,
            ValueType::Builtin(Builtin::AnyElement) => Shape::Complex,
            ValueType::Builtin(_) => Shape::Simple,
            ValueType::Named(id) => match &self.model.types[*id].kind {
                TypeKind::Enum(_) => Shape::Simple,
                TypeKind::Alias(inner) => self.shape(inner),
                TypeKind::Struct(_) => Shape::Complex,
                TypeKind::Choice(_) | TypeKind::Derived(_) => Shape::Complex,
            },
        }
    }

    /// The item type of a list value (through aliases); other values stay as they are.
    pub(crate) fn list_item(&self, vt: &ValueType) -> ValueType {
        match vt {
            ValueType::List(inner) => (**inner).clone(),
            ValueType::Named(id) => match &self.model.types[*id].kind {
                TypeKind::Alias(inner) => self.list_item(inner),
                _ => vt.clone(),
            },
            _ => vt.clone(),
        }
    }
}

/// How a value is read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Text (`XmlValue`).
    Simple,
    /// Whitespace-separated text (`Vec<T: XmlValue>`).
    List,
    /// An element with structure (`FromXml`/`ToXml`).
    Complex,
}

/// Whether a field is a list the schema requires at least one element of (`rt::NonEmpty`).
pub(crate) fn non_empty(f: &Field) -> bool {
    f.occurs == Occurs::Many && f.min_occurs > 0 && !matches!(f.kind, FieldKind::Any)
}

pub(crate) fn doc_attrs(doc: &[String]) -> TokenStream {
    let text: Vec<String> = doc
        .iter()
        .flat_map(|d| d.lines())
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!(" {l}"))
        .collect();
    quote!(#(#[doc = #text])*)
}
