//! Global elements, the `Element` set, header markers and `Operation` impls.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Emitter, Shape};
use crate::model::*;

impl Emitter<'_> {
    /// The concrete (non-abstract, non-substitution-head) global elements of `ns`.
    fn concrete(&self, ns: Ns) -> impl Iterator<Item = &GlobalElement> {
        self.model
            .elements
            .iter()
            .filter(move |e| e.name.ns == ns && !e.is_abstract)
    }

    pub(crate) fn global_elements(&self, ns: Ns) -> TokenStream {
        let rt = &self.rt;
        let nst = self.ns_tokens(ns);
        let mut variants = Vec::new();
        let mut read = Vec::new();
        let mut write = Vec::new();
        let mut names = Vec::new();
        for e in self.concrete(ns) {
            let v = format_ident!("{}", e.rust_name);
            let ty = self.rust_type(&e.ty);
            let local = &e.name.local;
            let doc = format!(
                " `<{}:{}>`",
                if ns == Ns::Messages { "m" } else { "t" },
                local
            );
            variants.push(quote!(#[doc = #doc] #v(#ty),));
            let (r, w) = match self.shape(&e.ty) {
                Shape::Simple => (
                    quote!(r.read_value(start)?),
                    quote!(w.value(#nst, #local, v)?),
                ),
                Shape::List => (
                    quote!(r.read_list(start)?),
                    quote!(w.list(#nst, #local, v)?),
                ),
                Shape::Complex => (
                    quote!(<#ty as #rt::FromXml>::from_xml(r, start)?),
                    quote!(#rt::ToXml::to_xml(v, w, #nst, #local)?),
                ),
            };
            read.push(quote!(#local => Self::#v(#r),));
            write.push(quote!(Self::#v(v) => #w,));
            names.push(quote!(Self::#v(_) => #local,));
        }
        let locals: Vec<&str> = self.concrete(ns).map(|e| e.name.local.as_str()).collect();
        quote! {
            /// Every global element of this namespace.
            #[derive(Debug, Clone, PartialEq)]
            pub enum GlobalElement { #(#variants)* }
            impl GlobalElement {
                /// Whether `local` names a global element of this namespace.
                pub fn knows(local: &str) -> bool { matches!(local, #(#locals)|*) }
                /// Reads the element `start` (already known to be in this namespace).
                pub fn read<'a>(r: &mut #rt::XmlReader<'a>, start: #rt::Start<'a>) -> ::std::result::Result<::std::option::Option<Self>, #rt::DeError> {
                    Ok(Some(match start.local { #(#read)* _ => return Ok(None) }))
                }
                /// Writes the element.
                pub fn write(&self, w: &mut #rt::XmlWriter) -> ::std::result::Result<(), #rt::SerError> {
                    match self { #(#write)* }
                    Ok(())
                }
                /// The element's local name.
                pub fn local_name(&self) -> &'static str {
                    match self { #(#names)* }
                }
            }
        }
    }

    pub(crate) fn element_set(&self) -> TokenStream {
        let rt = &self.rt;
        quote! {
            /// Any global element of the EWS schema: what a SOAP body or header may hold.
            #[derive(Debug, Clone, PartialEq)]
            pub enum Element {
                /// An element of the types namespace.
                Types(t::GlobalElement),
                /// An element of the messages namespace.
                Messages(m::GlobalElement),
            }
            impl #rt::ElementSet for Element {
                fn read_element<'a>(r: &mut #rt::XmlReader<'a>, start: #rt::Start<'a>) -> ::std::result::Result<::std::option::Option<Self>, #rt::DeError> {
                    Ok(match start.ns {
                        #rt::XmlNs::Types => t::GlobalElement::read(r, start)?.map(Element::Types),
                        #rt::XmlNs::Messages => m::GlobalElement::read(r, start)?.map(Element::Messages),
                        _ => None,
                    })
                }
                fn knows(ns: #rt::XmlNs, local: &str) -> bool {
                    match ns {
                        #rt::XmlNs::Types => t::GlobalElement::knows(local),
                        #rt::XmlNs::Messages => m::GlobalElement::knows(local),
                        _ => false,
                    }
                }
                fn write_element(&self, w: &mut #rt::XmlWriter) -> ::std::result::Result<(), #rt::SerError> {
                    match self { Element::Types(e) => e.write(w), Element::Messages(e) => e.write(w) }
                }
                fn local_name(&self) -> &'static str {
                    match self { Element::Types(e) => e.local_name(), Element::Messages(e) => e.local_name() }
                }
            }
        }
    }

    pub(crate) fn headers(&self) -> TokenStream {
        let rt = &self.rt;
        let traits = self.model.headers.iter().map(|h| {
            let name = format_ident!("{}", h.marker);
            let doc = format!(
                " Operations whose WSDL binding accepts the `{}` SOAP header.",
                h.element.local
            );
            quote!(#[doc = #doc] pub trait #name: #rt::Operation {})
        });
        quote! {
            /// Marker traits: which SOAP headers each operation's binding accepts (from the WSDL).
            pub mod headers {
                #[allow(unused_imports)]
                use super::*;
                #(#traits)*
            }
        }
    }

    pub(crate) fn operations(&self) -> TokenStream {
        let rt = &self.rt;
        let by_name: HashMap<&QName, &GlobalElement> =
            self.model.elements.iter().map(|e| (&e.name, e)).collect();
        let mut out = Vec::new();
        let mut seen: HashMap<TypeId, &str> = HashMap::new();
        let mut bodies = std::collections::HashSet::new();
        for op in &self.model.operations {
            let (Some(input), Some(output)) = (by_name.get(&op.input), by_name.get(&op.output))
            else {
                continue;
            };
            let (ValueType::Named(in_id), ValueType::Named(out_id)) = (&input.ty, &output.ty)
            else {
                continue;
            };
            if seen.insert(*in_id, &op.name).is_some() {
                continue; // a request type shared by two operations keeps its first
            }
            let req = self
                .rust_type(&input.ty)
                .to_string()
                .replace("super :: ", "");
            let req: TokenStream = req.parse().expect("path");
            let resp = self
                .rust_type(&output.ty)
                .to_string()
                .replace("super :: ", "");
            let resp: TokenStream = resp.parse().expect("path");
            if bodies.insert(*out_id) {
                out.push(self.body_impl(*out_id, &resp));
            }
            let name = &op.name;
            let read_only = op.read_only;
            let action = &op.soap_action;
            let req_el = &op.input.local;
            let resp_el = &op.output.local;
            let header_names: Vec<&str> = op
                .input_headers
                .iter()
                .map(|&h| self.model.headers[h].element.local.as_str())
                .collect();
            let markers = op.input_headers.iter().map(|&h| {
                let marker = format_ident!("{}", self.model.headers[h].marker);
                quote!(impl headers::#marker for #req {})
            });
            out.push(quote! {
                impl #rt::Operation for #req {
                    const NAME: &'static str = #name;
                    const SOAP_ACTION: &'static str = #action;
                    const REQUEST_ELEMENT: &'static str = #req_el;
                    const RESPONSE_ELEMENT: &'static str = #resp_el;
                    const INPUT_HEADERS: &'static [&'static str] = &[#(#header_names),*];
                    const READ_ONLY: bool = #read_only;
                    type Response = #resp;
                }
                #(#markers)*
            });
        }
        let names: Vec<&str> = self
            .model
            .operations
            .iter()
            .map(|o| o.name.as_str())
            .collect();
        quote! {
            /// The names of every operation in the WSDL, in document order.
            pub const OPERATIONS: &[&str] = &[#(#names),*];
            #(#out)*
        }
    }
}
