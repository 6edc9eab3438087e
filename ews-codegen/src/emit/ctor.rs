//! Constructors and setters: how a struct is built safely.
//!
//! A struct whose every member may be absent derives `Default`. A struct with required members
//! (required attributes, elements with `minOccurs="1"`, lists the schema wants non-empty, simple
//! content) does not: it gets `new(required…)`, so leaving one out does not compile. Every
//! optional member gets a chainable `with_<name>` setter either way.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::{Emitter, non_empty};
use crate::model::*;

/// One member of a struct as the constructor and setters see it.
struct Member {
    /// Field identifier.
    field: Ident,
    /// Name for setters, without a keyword escape.
    plain: String,
    /// The value's type (unboxed, without `Option`/`Vec`/`NonEmpty`).
    ty: TokenStream,
    how: How,
    boxed: bool,
}

#[derive(PartialEq)]
enum How {
    /// Must be given: a plain value.
    Required,
    /// Must be given: a non-empty list.
    NonEmpty,
    /// `Option`.
    Optional,
    /// `Vec`.
    Many,
}

impl Emitter<'_> {
    /// Whether `s` has a member that must be given, so it cannot derive `Default`.
    pub(crate) fn has_required(&self, s: &StructDef) -> bool {
        s.attributes.iter().any(|a| a.required)
            || s.fields
                .iter()
                .any(|f| f.occurs == Occurs::Required || non_empty(f))
            || (s.text.is_some() && s.fields.is_empty())
    }

    fn members(&self, s: &StructDef) -> Vec<Member> {
        let mut out = Vec::new();
        for a in &s.attributes {
            out.push(Member {
                field: format_ident!("{}", a.rust_name),
                plain: plain(&a.rust_name),
                ty: self.attr_value_type(a),
                how: if a.required {
                    How::Required
                } else {
                    How::Optional
                },
                boxed: false,
            });
        }
        for f in &s.fields {
            let ty = match &f.kind {
                FieldKind::Element { ty, .. } => self.rust_type(ty),
                FieldKind::Group(g) => self.path(*g),
                FieldKind::Any => {
                    let rt = &self.rt;
                    quote!(#rt::AnyElement)
                }
            };
            out.push(Member {
                field: format_ident!("{}", f.rust_name),
                plain: plain(&f.rust_name),
                ty,
                how: match f.occurs {
                    Occurs::Required => How::Required,
                    Occurs::Optional => How::Optional,
                    Occurs::Many if non_empty(f) => How::NonEmpty,
                    Occurs::Many => How::Many,
                },
                boxed: f.boxed,
            });
        }
        if let Some(text) = &s.text {
            let required = s.fields.is_empty();
            out.push(Member {
                field: format_ident!("value"),
                plain: "value".into(),
                ty: self.rust_type(text),
                how: if required {
                    How::Required
                } else {
                    How::Optional
                },
                boxed: false,
            });
        }
        out
    }

    /// `impl Name { pub fn new(…) -> Self; pub fn with_…(self, …) -> Self … }`.
    pub(crate) fn constructor(&self, name: &Ident, s: &StructDef) -> TokenStream {
        let rt = &self.rt;
        let members = self.members(s);
        let mut params = Vec::new();
        let mut inits = Vec::new();
        let mut setters = Vec::new();
        let mut required_docs = Vec::new();
        for m in &members {
            let field = &m.field;
            let ty = &m.ty;
            let param = field;
            let wrap = |v: TokenStream| {
                if m.boxed {
                    quote!(::std::boxed::Box::new(#v))
                } else {
                    v
                }
            };
            match m.how {
                How::Required => {
                    params.push(quote!(#param: impl ::std::convert::Into<#ty>));
                    let v = wrap(quote!(#param.into()));
                    inits.push(quote!(#field: #v,));
                    required_docs.push(format!("`{}`", m.plain));
                }
                How::NonEmpty => {
                    let elem = if m.boxed {
                        quote!(::std::boxed::Box<#ty>)
                    } else {
                        quote!(#ty)
                    };
                    params.push(quote!(#param: impl ::std::convert::Into<#rt::NonEmpty<#elem>>));
                    inits.push(quote!(#field: #param.into(),));
                    required_docs.push(format!("`{}` (at least one)", m.plain));
                }
                How::Optional => {
                    inits.push(quote!(#field: ::std::option::Option::None,));
                    let setter = format_ident!("with_{}", m.plain);
                    let v = wrap(quote!(value.into()));
                    let doc = format!(" Sets `{}`.", m.plain);
                    setters.push(quote! {
                        #[doc = #doc]
                        #[must_use]
                        pub fn #setter(mut self, value: impl ::std::convert::Into<#ty>) -> Self {
                            self.#field = ::std::option::Option::Some(#v);
                            self
                        }
                    });
                }
                How::Many => {
                    inits.push(quote!(#field: ::std::vec::Vec::new(),));
                    let setter = format_ident!("with_{}", m.plain);
                    let item = if m.boxed {
                        quote!(::std::boxed::Box<#ty>)
                    } else {
                        quote!(#ty)
                    };
                    let doc = format!(" Sets `{}` (replacing what it held).", m.plain);
                    setters.push(quote! {
                        #[doc = #doc]
                        #[must_use]
                        pub fn #setter(mut self, values: impl ::std::iter::IntoIterator<Item = #item>) -> Self {
                            self.#field = values.into_iter().collect();
                            self
                        }
                    });
                }
            }
        }
        let new = if self.has_required(s) {
            let doc = format!(
                " A value with the required {}; every optional member absent.",
                required_docs.join(", ")
            );
            quote! {
                #[doc = #doc]
                pub fn new(#(#params),*) -> Self {
                    Self { #(#inits)* }
                }
            }
        } else {
            quote!()
        };
        if setters.is_empty() && new.is_empty() {
            return quote!();
        }
        quote! {
            impl #name {
                #new
                #(#setters)*
            }
        }
    }
}

/// `type_` → `type`: setter names need no keyword escape.
fn plain(rust_name: &str) -> String {
    rust_name.trim_end_matches('_').to_owned()
}
