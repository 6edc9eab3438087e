//! Facet literals for strict reading: where a value's type has facets, the generated reader
//! passes a `Facets` constant to `read_checked` / `parse_checked` instead of calling
//! `read_value` / `parse`.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Emitter, Shape};
use crate::model::*;

impl Emitter<'_> {
    /// The facets of a value type through its chain of aliases, if it has any.
    fn facets_of(&self, vt: &ValueType) -> Option<(String, Facets)> {
        let ValueType::Named(id) = vt else {
            return None;
        };
        let def = &self.model.types[*id];
        let TypeKind::Alias(inner) = &def.kind else {
            return None;
        };
        let base = self.facets_of(inner);
        match (&def.facets, base) {
            (Some(own), Some((_, b))) => Some((def.xsd_name.clone(), own.clone().and(&b))),
            (Some(own), None) => Some((def.xsd_name.clone(), own.clone())),
            (None, base) => base,
        }
    }

    /// `Facets { type_name, <what is set>, ..Facets::NONE }`.
    fn facets_literal(&self, name: &str, f: &Facets) -> TokenStream {
        let rt = &self.rt;
        let mut set = vec![quote!(type_name: #name,)];
        if let Some(v) = f.min_length {
            set.push(quote!(min_length: Some(#v),));
        }
        if let Some(v) = f.max_length {
            set.push(quote!(max_length: Some(#v),));
        }
        if !f.patterns.is_empty() {
            let p = &f.patterns;
            set.push(quote!(patterns: &[#(#p),*],));
        }
        if let Some(v) = f.min {
            set.push(quote!(min: Some(#v),));
        }
        if let Some(v) = f.max {
            set.push(quote!(max: Some(#v),));
        }
        if !f.any_of.is_empty() {
            let members = f.any_of.iter().map(|m| self.facets_literal(name, m));
            set.push(quote!(any_of: &[#(#members),*],));
        }
        quote!(#rt::Facets { #(#set)* ..#rt::Facets::NONE })
    }

    /// Reads the simple value of element `c` (an expression of type `Start`).
    pub(crate) fn read_simple(&self, ty: &ValueType, c: TokenStream) -> TokenStream {
        match (self.shape(ty), self.facets_of(ty)) {
            (Shape::List, _) => quote!(r.read_list(#c)?),
            (_, Some((name, f))) => {
                let lit = self.facets_literal(&name, &f);
                quote!(r.read_checked(#c, &#lit)?)
            }
            _ => quote!(r.read_value(#c)?),
        }
    }

    /// Parses attribute `a` (an `Attr` in scope) of type `ty`.
    pub(crate) fn parse_attr(&self, ty: &ValueType) -> TokenStream {
        match (self.shape(ty), self.facets_of(ty)) {
            (Shape::List, _) => quote!(a.parse_list()?),
            (_, Some((name, f))) => {
                let lit = self.facets_literal(&name, &f);
                quote!(r.parse_checked(&a, &#lit)?)
            }
            _ => quote!(a.parse()?),
        }
    }
}
