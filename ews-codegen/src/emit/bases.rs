//! Module `base`: a trait per schema base type, implemented by every type that extends it.
//!
//! Extensions are flattened into structs, so `t::CalendarItem` holds `ItemType`'s members
//! itself. The chain is kept as traits: `base::Item` (getters and `_mut` accessors for
//! `ItemType`'s members) is implemented by `t::Item`, `t::Message`, `t::CalendarItem`, …;
//! `base::Message: base::Item` adds `MessageType`'s own members. A choice whose alternatives all
//! share a base gets `as_<base>()`/`as_<base>_mut()` returning the trait object, so code that
//! needs an item's id never matches over item kinds (and keeps working when a schema adds one).

use std::collections::{BTreeMap, HashMap, HashSet};

use heck::ToSnakeCase;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::{Emitter, doc_attrs};
use crate::model::*;
use crate::naming::Scope;

/// A member as a trait accessor sees it: the field and its full Rust type.
struct Member {
    field: Ident,
    ty: TokenStream,
    doc: String,
}

impl Emitter<'_> {
    fn members_of(&self, s: &StructDef) -> Vec<Member> {
        let mut out = Vec::new();
        for a in &s.attributes {
            out.push(Member {
                field: format_ident!("{}", a.rust_name),
                ty: self.attr_type(a),
                doc: format!("Attribute `{}`.", a.name.local),
            });
        }
        for f in &s.fields {
            let doc = match &f.kind {
                FieldKind::Element { name, .. } => format!("Element `{}`.", name.local),
                _ => format!("`{}`.", f.rust_name),
            };
            out.push(Member {
                field: format_ident!("{}", f.rust_name),
                ty: self.field_type(f),
                doc,
            });
        }
        out
    }

    fn struct_of(&self, id: TypeId) -> Option<&StructDef> {
        match &self.model.types[id].kind {
            TypeKind::Struct(s) if !s.is_group => Some(s),
            _ => None,
        }
    }

    /// The `base` module: traits, their impls, and the choice accessors (in `t` and `m`).
    pub(crate) fn bases(&self) -> TokenStream {
        let types = &self.model.types;
        let mut children: BTreeMap<TypeId, Vec<TypeId>> = BTreeMap::new();
        for (id, def) in types.iter().enumerate() {
            if let Some(b) = def.base
                && self.struct_of(id).is_some()
                && self.struct_of(b).is_some()
            {
                children.entry(b).or_default().push(id);
            }
        }
        // trait names, unique within `base`
        let mut scope = Scope::default();
        let names: HashMap<TypeId, Ident> = children
            .keys()
            .map(|&b| (b, format_ident!("{}", scope.unique(&types[b].rust_name))))
            .collect();
        let descendants = |b: TypeId| {
            let mut out = vec![b];
            let mut i = 0;
            while i < out.len() {
                out.extend(children.get(&out[i]).into_iter().flatten().copied());
                i += 1;
            }
            out
        };
        // what implements what: a type implements B when it has every one of B's members with
        // the same type (a member boxed to break a cycle in one type only does not match)
        let mut implements: HashSet<(TypeId, TypeId)> = HashSet::new();
        let mut traits = Vec::new();
        let mut impls = Vec::new();
        // parents before children, so a supertrait's impls are known first
        let order = {
            let mut o: Vec<TypeId> = children.keys().copied().collect();
            o.sort_by_key(|&b| {
                let mut depth = 0;
                let mut c = b;
                while let Some(p) = types[c].base {
                    depth += 1;
                    c = p;
                }
                depth
            });
            o
        };
        for &b in &order {
            let s = self.struct_of(b).expect("bases are structs");
            let parent = types[b].base.filter(|p| names.contains_key(p));
            let inherited: HashSet<String> = parent
                .and_then(|p| self.struct_of(p))
                .map(|p| {
                    self.members_of(p)
                        .iter()
                        .map(|m| m.field.to_string())
                        .collect()
                })
                .unwrap_or_default();
            let own: Vec<Member> = self
                .members_of(s)
                .into_iter()
                .filter(|m| !inherited.contains(&m.field.to_string()))
                .collect();
            let name = &names[&b];
            let sig = own.iter().map(|m| {
                let (f, ty) = (&m.field, &m.ty);
                let fm = format_ident!("{}_mut", f.to_string().trim_end_matches('_'));
                let d = doc_attrs(std::slice::from_ref(&m.doc));
                quote! {
                    #d fn #f(&self) -> &#ty;
                    #d fn #fm(&mut self) -> &mut #ty;
                }
            });
            let supertrait = parent.map(|p| {
                let pn = &names[&p];
                quote!(: #pn)
            });
            let doc = format!(
                " The members of `{}` (its own; the rest come from its supertrait), implemented by every type that extends it.",
                types[b].xsd_name
            );
            traits.push(quote! {
                #[doc = #doc]
                pub trait #name #supertrait { #(#sig)* }
            });
            for d in descendants(b) {
                if parent.is_some_and(|p| !implements.contains(&(d, p))) {
                    continue;
                }
                let Some(ds) = self.struct_of(d) else {
                    continue;
                };
                let have: HashMap<String, String> = self
                    .members_of(ds)
                    .into_iter()
                    .map(|m| (m.field.to_string(), m.ty.to_string()))
                    .collect();
                if !own
                    .iter()
                    .all(|m| have.get(&m.field.to_string()) == Some(&m.ty.to_string()))
                {
                    continue;
                }
                implements.insert((d, b));
                let path = self.path(d);
                let bodies = own.iter().map(|m| {
                    let (f, ty) = (&m.field, &m.ty);
                    let fm = format_ident!("{}_mut", f.to_string().trim_end_matches('_'));
                    quote! {
                        fn #f(&self) -> &#ty { &self.#f }
                        fn #fm(&mut self) -> &mut #ty { &mut self.#f }
                    }
                });
                impls.push(quote!(impl #name for #path { #(#bodies)* }));
            }
        }
        let accessors = self.choice_accessors(&names, &implements);
        let members = self.member_accessors();
        quote! {
            /// Traits for the schema's base types (`base::Item`, `base::Message`, …), implemented
            /// by every type that extends them.
            pub mod base {
                #[allow(unused_imports)]
                use super::*;
                #(#traits)*
                #(#impls)*
                #accessors
                #members
            }
        }
    }

    /// `as_<base>()` on each choice whose alternatives all implement one base trait.
    fn choice_accessors(
        &self,
        names: &HashMap<TypeId, Ident>,
        implements: &HashSet<(TypeId, TypeId)>,
    ) -> TokenStream {
        let types = &self.model.types;
        let chain = |mut t: TypeId| {
            let mut out = vec![t];
            while let Some(p) = types[t].base {
                out.push(p);
                t = p;
            }
            out
        };
        let mut out = Vec::new();
        for (id, def) in types.iter().enumerate() {
            let TypeKind::Choice(c) = &def.kind else {
                continue;
            };
            let alts: Option<Vec<(Ident, TypeId, bool)>> = c
                .variants
                .iter()
                .map(|v| match &v.kind {
                    VariantKind::Element {
                        ty: ValueType::Named(t),
                        many: false,
                        ..
                    } => Some((format_ident!("{}", v.rust_name), *t, v.boxed)),
                    _ => None,
                })
                .collect();
            let Some(alts) = alts.filter(|a| a.len() > 1) else {
                continue;
            };
            // the most specific base every alternative implements
            let Some(b) = chain(alts[0].1).into_iter().find(|b| {
                names.contains_key(b) && alts.iter().all(|(_, t, _)| implements.contains(&(*t, *b)))
            }) else {
                continue;
            };
            let trait_name = &names[&b];
            let snake = types[b].rust_name.to_snake_case();
            let get = format_ident!("as_{snake}");
            let get_mut = format_ident!("as_{snake}_mut");
            let arms = alts.iter().map(|(v, _, boxed)| {
                if *boxed {
                    quote!(Self::#v(x) => &**x,)
                } else {
                    quote!(Self::#v(x) => x,)
                }
            });
            let arms_mut = alts.iter().map(|(v, _, boxed)| {
                if *boxed {
                    quote!(Self::#v(x) => &mut **x,)
                } else {
                    quote!(Self::#v(x) => x,)
                }
            });
            let path = self.path(id);
            let doc = format!(" The alternative as a `base::{trait_name}`, whichever it is.");
            out.push(quote! {
                impl #path {
                    #[doc = #doc]
                    pub fn #get(&self) -> &dyn #trait_name { match self { #(#arms)* } }
                    #[doc = #doc]
                    pub fn #get_mut(&mut self) -> &mut dyn #trait_name { match self { #(#arms_mut)* } }
                }
            });
        }
        quote!(#(#out)*)
    }
}
