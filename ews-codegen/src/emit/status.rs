//! `ResponseMessage` and `ResponseBody` impls: where a response's per-item status lives.
//!
//! EWS responses carry one `*ResponseMessage` per request item, each with `ResponseClass`,
//! `ResponseCode`, `MessageText` and `MessageXml` (all types derived from
//! `m:ResponseMessageType`). Extensions are flattened in the model, so a response message is
//! recognised by those members. Every operation's response type then says how to reach its
//! messages:
//!
//! - a `ResponseMessages` array of response messages (`GetItem`, `CreateItem`, …);
//! - the response is itself a response message (`GetDelegate`, `AddDelegate`, …);
//! - one child element is a response message (`GetUserOofSettings`' `ResponseMessage`);
//! - none of these (`runtime::NoMessage`): the response has no per-item status.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::Emitter;
use crate::model::*;

/// How an operation response reaches its messages.
enum Access {
    /// `self.<field>.content` (or through an `Option`).
    Array {
        field: String,
        optional: bool,
        choice: TypeId,
    },
    /// The response itself.
    SelfMessage,
    /// `self.<field>`, one message (or an `Option` of one).
    Child {
        field: String,
        optional: bool,
        ty: TypeId,
    },
    /// No per-item status.
    None,
}

impl Emitter<'_> {
    /// The `MessageXml` field's name, when `s` is a response message.
    fn message_fields(&self, s: &StructDef) -> Option<String> {
        let class = s
            .attributes
            .iter()
            .any(|a| a.name.ns == Ns::None && a.name.local == "ResponseClass");
        let has = |local: &str| {
            s.fields.iter().find(|f| {
                matches!(&f.kind, FieldKind::Element { name, .. }
                    if name.ns == Ns::Messages && name.local == local)
            })
        };
        let code = has("ResponseCode")?;
        let text = has("MessageText")?;
        let xml = has("MessageXml")?;
        let xml_ok = match &xml.kind {
            FieldKind::Element {
                ty: ValueType::Named(id),
                ..
            } => matches!(&self.model.types[*id].kind, TypeKind::Struct(x)
                if x.fields.len() == 1 && matches!(x.fields[0].kind, FieldKind::Any)
                    && x.fields[0].rust_name == "any"),
            _ => false,
        };
        let scalar = |f: &Field| f.occurs == Occurs::Optional;
        (class && xml_ok && scalar(code) && scalar(text) && scalar(xml))
            .then(|| xml.rust_name.clone())
    }

    /// Whether type `id` implements `ResponseMessage`.
    pub(crate) fn is_message(&self, id: TypeId) -> bool {
        match &self.model.types[id].kind {
            TypeKind::Struct(s) => !s.is_group && self.message_fields(s).is_some(),
            TypeKind::Choice(c) => !c.variants.is_empty() && c.variants.iter().all(|v| {
                matches!(&v.kind, VariantKind::Element { ty: ValueType::Named(t), many: false, .. }
                            if self.is_message(*t))
            }),
            _ => false,
        }
    }

    /// `impl ResponseMessage` for a struct or choice that is one; nothing otherwise.
    pub(crate) fn message_impl(&self, id: TypeId, name: &proc_macro2::Ident) -> TokenStream {
        let rt = &self.rt;
        if !self.is_message(id) {
            return quote!();
        }
        let body = match &self.model.types[id].kind {
            TypeKind::Struct(s) => {
                let code = field_ident(s, "ResponseCode");
                let text = field_ident(s, "MessageText");
                let xml = format_ident!("{}", self.message_fields(s).expect("checked"));
                let class = s
                    .attributes
                    .iter()
                    .find(|a| a.name.local == "ResponseClass")
                    .expect("checked");
                let class_f = format_ident!("{}", class.rust_name);
                let class = if class.required {
                    quote!(::std::option::Option::Some(#rt::XmlValue::to_text(&self.#class_f)))
                } else {
                    quote!(self.#class_f.as_ref().map(#rt::XmlValue::to_text))
                };
                quote! {
                    #rt::MessageStatus {
                        class: #class,
                        code: self.#code.as_ref().map(#rt::XmlValue::to_text),
                        text: self.#text.as_deref(),
                        message_xml: self.#xml.as_ref().map_or(&[], |x| &x.any[..]),
                    }
                }
            }
            TypeKind::Choice(c) => {
                let arms = c.variants.iter().map(|v| {
                    let m = if v.boxed { quote!(&**m) } else { quote!(m) };
                    let v = format_ident!("{}", v.rust_name);
                    quote!(Self::#v(m) => #rt::ResponseMessage::status(#m),)
                });
                quote!(match self { #(#arms)* })
            }
            _ => unreachable!("is_message holds only for structs and choices"),
        };
        quote! {
            impl #rt::ResponseMessage for #name {
                fn status(&self) -> #rt::MessageStatus<'_> { #body }
            }
        }
    }

    fn access(&self, id: TypeId) -> Access {
        if self.is_message(id) {
            return Access::SelfMessage;
        }
        let TypeKind::Struct(s) = &self.model.types[id].kind else {
            return Access::None;
        };
        for f in &s.fields {
            let FieldKind::Element {
                ty: ValueType::Named(t),
                ..
            } = &f.kind
            else {
                continue;
            };
            if f.occurs == Occurs::Many || f.boxed {
                continue;
            }
            let optional = f.occurs == Occurs::Optional;
            if self.is_message(*t) {
                return Access::Child {
                    field: f.rust_name.clone(),
                    optional,
                    ty: *t,
                };
            }
            if let TypeKind::Struct(inner) = &self.model.types[*t].kind
                && let [only] = &inner.fields[..]
                && inner.attributes.is_empty()
                && only.rust_name == "content"
                && only.occurs == Occurs::Many
                && !only.boxed
                && let FieldKind::Group(choice) = only.kind
                && self.is_message(choice)
            {
                return Access::Array {
                    field: f.rust_name.clone(),
                    optional,
                    choice,
                };
            }
        }
        Access::None
    }

    /// `impl ResponseBody` for an operation's response type (path `resp` from the crate root).
    pub(crate) fn body_impl(&self, id: TypeId, resp: &TokenStream) -> TokenStream {
        let rt = &self.rt;
        let strip = |t: TokenStream| -> TokenStream {
            t.to_string()
                .replace("super :: ", "")
                .parse()
                .expect("path")
        };
        let (msg, borrow, owned) = match self.access(id) {
            Access::SelfMessage => (
                resp.clone(),
                quote!(::std::slice::from_ref(self)),
                quote!(::std::vec![self]),
            ),
            Access::Array {
                field,
                optional,
                choice,
            } => {
                let f = format_ident!("{field}");
                let msg = strip(self.path(choice));
                if optional {
                    (
                        msg,
                        quote!(self.#f.as_ref().map_or(&[], |a| &a.content[..])),
                        quote!(self.#f.map(|a| ::std::vec::Vec::from(a.content)).unwrap_or_default()),
                    )
                } else {
                    (
                        msg,
                        quote!(&self.#f.content[..]),
                        quote!(::std::vec::Vec::from(self.#f.content)),
                    )
                }
            }
            Access::Child {
                field,
                optional,
                ty,
            } => {
                let f = format_ident!("{field}");
                let msg = strip(self.path(ty));
                if optional {
                    (
                        msg,
                        quote!(self.#f.as_slice()),
                        quote!(self.#f.into_iter().collect()),
                    )
                } else {
                    (
                        msg,
                        quote!(::std::slice::from_ref(&self.#f)),
                        quote!(::std::vec![self.#f]),
                    )
                }
            }
            Access::None => (
                quote!(#rt::NoMessage),
                quote!(&[]),
                quote!(::std::vec::Vec::new()),
            ),
        };
        quote! {
            impl #rt::ResponseBody for #resp {
                type Message = #msg;
                fn messages(&self) -> &[Self::Message] { #borrow }
                fn into_messages(self) -> ::std::vec::Vec<Self::Message> { #owned }
            }
        }
    }
}

fn field_ident(s: &StructDef, local: &str) -> proc_macro2::Ident {
    let f = s
        .fields
        .iter()
        .find(|f| matches!(&f.kind, FieldKind::Element { name, .. } if name.local == local))
        .expect("checked by message_fields");
    format_ident!("{}", f.rust_name)
}
