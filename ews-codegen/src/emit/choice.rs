//! Choice enums (`xs:choice`, substitution groups): one variant per alternative, read and
//! written as a group of sibling elements.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Emitter, Shape, doc_attrs};
use crate::model::*;

impl Emitter<'_> {
    pub(crate) fn choice_item(
        &self,
        name: &proc_macro2::Ident,
        doc: TokenStream,
        c: &ChoiceDef,
    ) -> TokenStream {
        let rt = &self.rt;
        let mut variants = Vec::new();
        let mut starts = Vec::new();
        let mut read_arms = Vec::new();
        let mut any_arm = None;
        let mut write_arms = Vec::new();
        for v in &c.variants {
            let vname = format_ident!("{}", v.rust_name);
            let d = doc_attrs(&v.doc);
            let vref = if v.boxed { quote!(&**v) } else { quote!(v) };
            match &v.kind {
                VariantKind::Element { name: en, ty, many } => {
                    let t = self.rust_type(ty);
                    let t = if v.boxed {
                        quote!(::std::boxed::Box<#t>)
                    } else {
                        t
                    };
                    let t = if *many {
                        quote!(::std::vec::Vec<#t>)
                    } else {
                        t
                    };
                    let mut d2 = v.doc.clone();
                    d2.insert(0, format!("Element `{}`.", en.local));
                    let d = doc_attrs(&d2);
                    variants.push(quote!(#d #vname(#t),));
                    let ns = self.ns_tokens(en.ns);
                    let local = &en.local;
                    starts.push(quote!(matches!((ns, local), (#ns, #local))));
                    let read_one = |c: TokenStream| match self.shape(ty) {
                        Shape::Simple | Shape::List => self.read_simple(ty, c),
                        Shape::Complex => {
                            let t = self.rust_type(ty);
                            quote!(<#t as #rt::FromXml>::from_xml(r, #c)?)
                        }
                    };
                    let one = read_one(quote!(first));
                    let one = if v.boxed {
                        quote!(::std::boxed::Box::new(#one))
                    } else {
                        one
                    };
                    if *many {
                        let more = read_one(quote!(c));
                        let more = if v.boxed {
                            quote!(::std::boxed::Box::new(#more))
                        } else {
                            more
                        };
                        read_arms.push(quote! {
                            (#ns, #local) => {
                                let mut all = vec![#one];
                                while let Some(c) = r.peek_child(parent)? {
                                    if (c.ns, c.local) != (#ns, #local) { break; }
                                    r.take_peeked();
                                    all.push(#more);
                                }
                                Self::#vname(r.exact(all))
                            }
                        });
                    } else {
                        read_arms.push(quote!((#ns, #local) => Self::#vname(#one),));
                    }
                    let write_one = match self.shape(ty) {
                        Shape::Simple => quote!(w.value(#ns, #local, v)?),
                        Shape::List => quote!(w.list(#ns, #local, v)?),
                        Shape::Complex => quote!(#rt::ToXml::to_xml(#vref, w, #ns, #local)?),
                    };
                    write_arms.push(if *many {
                        quote!(Self::#vname(all) => for v in all { #write_one; },)
                    } else {
                        quote!(Self::#vname(v) => #write_one,)
                    });
                }
                VariantKind::Group(g) => {
                    let p = self.path(*g);
                    let t = if v.boxed {
                        quote!(::std::boxed::Box<#p>)
                    } else {
                        p.clone()
                    };
                    variants.push(quote!(#d #vname(#t),));
                    starts.push(quote!(<#p as #rt::XmlGroup>::starts_with(ns, local)));
                    let read = quote!(<#p as #rt::XmlGroup>::read_group(r, parent, first)?);
                    let read = if v.boxed {
                        quote!(::std::boxed::Box::new(#read))
                    } else {
                        read
                    };
                    read_arms.push(quote!((ns, local) if <#p as #rt::XmlGroup>::starts_with(ns, local) => Self::#vname(#read),));
                    write_arms
                        .push(quote!(Self::#vname(v) => #rt::XmlGroup::write_group(#vref, w)?,));
                }
                VariantKind::Any { many: false } => {
                    variants.push(quote!(#d #vname(#rt::AnyElement),));
                    starts.push(quote!(true));
                    any_arm = Some(
                        quote!(_ => Self::#vname(<#rt::AnyElement as #rt::FromXml>::from_xml(r, first)?),),
                    );
                    write_arms.push(quote!(Self::#vname(v) => v.write(w)?,));
                }
                VariantKind::Any { many: true } => {
                    // a repeated wildcard takes every following sibling
                    variants.push(quote!(#d #vname(::std::vec::Vec<#rt::AnyElement>),));
                    starts.push(quote!(true));
                    any_arm = Some(quote! {
                        _ => {
                            let mut all = vec![<#rt::AnyElement as #rt::FromXml>::from_xml(r, first)?];
                            while let Some(c) = r.peek_child(parent)? {
                                r.take_peeked();
                                all.push(<#rt::AnyElement as #rt::FromXml>::from_xml(r, c)?);
                            }
                            Self::#vname(r.exact(all))
                        }
                    });
                    write_arms.push(quote!(Self::#vname(all) => for v in all { v.write(w)?; },));
                }
            }
        }
        let fallback = any_arm.unwrap_or_else(|| {
            quote! {
                _ => return Err(r.error(#rt::DeErrorKind::Unexpected {
                    expected: ::std::string::String::from(stringify!(#name)),
                    found: first.qname().to_owned(),
                })),
            }
        });
        let starts = if starts.is_empty() {
            quote!(false)
        } else {
            quote!(#(#starts)||*)
        };
        quote! {
            #doc
            #[derive(Debug, Clone, PartialEq)]
            pub enum #name { #(#variants)* }
            impl #rt::XmlGroup for #name {
                fn starts_with(ns: #rt::XmlNs, local: &str) -> bool { #starts }
                fn read_group<'a>(r: &mut #rt::XmlReader<'a>, parent: &#rt::Start<'a>, first: #rt::Start<'a>) -> ::std::result::Result<Self, #rt::DeError> {
                    Ok(match (first.ns, first.local) {
                        #(#read_arms)*
                        #fallback
                    })
                }
                fn write_group(&self, w: &mut #rt::XmlWriter) -> ::std::result::Result<(), #rt::SerError> {
                    match self { #(#write_arms)* }
                    Ok(())
                }
            }
        }
    }
}
