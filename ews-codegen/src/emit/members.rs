//! Member accessors on choices: when several alternatives of a choice have the same optional
//! member (same name, same type) that their shared base does not give, the choice gets a method
//! of that name returning it for those alternatives and `None` for the others. So
//! `m::ArrayOfResponseMessagesChoice::items()` reaches the items of a GetItem, CreateItem,
//! UpdateItem … response message without a match over fifty message kinds, and `folders()`,
//! `attachments()` the same way; `as_<base>()` (module `bases`) covers what all alternatives
//! share.

use std::collections::{BTreeMap, HashMap};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::Emitter;
use crate::model::*;

/// One optional element member of an alternative's struct: its Rust name, type and boxing.
fn optional_members(s: &StructDef) -> impl Iterator<Item = (&str, &ValueType, bool)> {
    s.fields.iter().filter_map(|f| match (&f.kind, f.occurs) {
        (FieldKind::Element { ty, .. }, Occurs::Optional) if !f.rust_name.starts_with("r#") => {
            Some((f.rust_name.as_str(), ty, f.boxed))
        }
        _ => None,
    })
}

impl Emitter<'_> {
    /// `<member>()` on each choice for the members several (not all) alternatives share.
    pub(super) fn member_accessors(&self) -> TokenStream {
        let types = &self.model.types;
        let mut out = Vec::new();
        for (id, def) in types.iter().enumerate() {
            let TypeKind::Choice(c) = &def.kind else {
                continue;
            };
            // alternatives that are one struct element each: (variant, struct)
            let alts: Vec<(&str, &StructDef)> = c
                .variants
                .iter()
                .filter_map(|v| match &v.kind {
                    VariantKind::Element {
                        ty: ValueType::Named(t),
                        many: false,
                        ..
                    } => match &types[*t].kind {
                        TypeKind::Struct(s) => Some((v.rust_name.as_str(), s)),
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            if alts.len() < 3 || alts.len() != c.variants.len() {
                continue;
            }
            // member name → (its Rust type, boxed) → the variants that have it
            let mut shared: BTreeMap<&str, BTreeMap<(String, bool), Vec<&str>>> = BTreeMap::new();
            let mut tokens: HashMap<String, TokenStream> = HashMap::new();
            for (variant, s) in &alts {
                for (name, ty, boxed) in optional_members(s) {
                    let rust = self.rust_type(ty);
                    let key = rust.to_string();
                    tokens.entry(key.clone()).or_insert(rust);
                    shared
                        .entry(name)
                        .or_default()
                        .entry((key, boxed))
                        .or_default()
                        .push(variant);
                }
            }
            let mut methods = Vec::new();
            for (name, by_type) in shared {
                // one type only, on at least two alternatives but not on all of them
                if by_type.len() != 1 {
                    continue;
                }
                let Some(((ty, boxed), variants)) = by_type.into_iter().next() else {
                    continue;
                };
                if variants.len() < 2 || variants.len() == alts.len() {
                    continue;
                }
                let method = format_ident!("{name}");
                let field = format_ident!("{name}");
                let ty_path = &tokens[&ty];
                let get = if boxed {
                    quote!(x.#field.as_deref())
                } else {
                    quote!(x.#field.as_ref())
                };
                let arms = variants.iter().map(|v| {
                    let v = format_ident!("{v}");
                    quote!(Self::#v(x) => #get,)
                });
                let listed = variants
                    .iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let doc = format!(
                    " `{name}` of the alternatives that have it ({listed}); `None` for the others."
                );
                methods.push(quote! {
                    #[doc = #doc]
                    pub fn #method(&self) -> ::std::option::Option<&#ty_path> {
                        #[allow(unreachable_patterns)]
                        match self { #(#arms)* _ => ::std::option::Option::None }
                    }
                });
            }
            if methods.is_empty() {
                continue;
            }
            let path = self.path(id);
            out.push(quote!(impl #path { #(#methods)* }));
        }
        quote!(#(#out)*)
    }
}
