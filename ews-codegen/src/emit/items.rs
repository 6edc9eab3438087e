//! One Rust item per IR type, with its (de)serialization.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Emitter, Shape, doc_attrs, non_empty};
use crate::model::*;

impl Emitter<'_> {
    pub(crate) fn item(&self, id: TypeId) -> TokenStream {
        let def = &self.model.types[id];
        let name = format_ident!("{}", def.rust_name);
        let mut doc = def.doc.clone();
        if doc.is_empty() {
            doc.push(format!("`{}`.", def.xsd_name));
        }
        let doc = doc_attrs(&doc);
        let status = self.message_impl(id, &name);
        match &def.kind {
            TypeKind::Struct(s) => {
                let item = self.struct_item(&name, doc, s);
                quote!(#item #status)
            }
            TypeKind::Choice(c) => {
                let item = self.choice_item(&name, doc, c);
                quote!(#item #status)
            }
            TypeKind::Enum(e) => self.enum_item(&name, doc, &def.xsd_name, e),
            TypeKind::Alias(vt) => {
                let ty = self.rust_type(vt);
                quote! { #doc pub type #name = #ty; }
            }
            TypeKind::Derived(d) => self.derived_item(&name, doc, d),
        }
    }

    fn derived_item(
        &self,
        name: &proc_macro2::Ident,
        doc: TokenStream,
        d: &DerivedDef,
    ) -> TokenStream {
        let rt = &self.rt;
        let mut variants = Vec::new();
        let mut read = Vec::new();
        let mut write = Vec::new();
        for v in &d.variants {
            let vname = format_ident!("{}", v.rust_name);
            let path = self.path(v.ty);
            let xsi = &v.xsi_type.local;
            let xsi_ns = self.ns_tokens(v.xsi_type.ns);
            let vdoc = format!(" `xsi:type=\"{xsi}\"`");
            variants.push(quote!(#[doc = #vdoc] #vname(#path),));
            read.push(
                quote!(Some(#xsi) => Self::#vname(<#path as #rt::FromXml>::from_xml(r, start)?),),
            );
            write.push(quote!(Self::#vname(v) => { w.xsi_type(#xsi_ns, #xsi); #rt::ToXml::to_xml(v, w, ns, local) }));
        }
        quote! {
            #doc
            #[derive(Debug, Clone, PartialEq)]
            pub enum #name { #(#variants)* }
            impl #rt::FromXml for #name {
                fn from_xml<'a>(r: &mut #rt::XmlReader<'a>, start: #rt::Start<'a>) -> ::std::result::Result<Self, #rt::DeError> {
                    let xsi = r.xsi_type(&start)?;
                    Ok(match xsi.as_deref() {
                        #(#read)*
                        other => return Err(r.error(#rt::DeErrorKind::Unexpected {
                            expected: ::std::string::String::from(concat!("an xsi:type for ", stringify!(#name))),
                            found: ::std::format!("{other:?}"),
                        })),
                    })
                }
            }
            impl #rt::ToXml for #name {
                fn to_xml(&self, w: &mut #rt::XmlWriter, ns: #rt::XmlNs, local: &str) -> ::std::result::Result<(), #rt::SerError> {
                    match self { #(#write)* }
                }
            }
        }
    }

    /// An attribute's field type: its value (a `Vec` for an `xs:list`), in an `Option` unless
    /// the attribute is required.
    pub(crate) fn attr_type(&self, a: &Attribute) -> TokenStream {
        let ty = self.attr_value_type(a);
        if a.required {
            ty
        } else {
            quote!(::std::option::Option<#ty>)
        }
    }

    /// An attribute's value type (a `Vec` for an `xs:list`).
    pub(crate) fn attr_value_type(&self, a: &Attribute) -> TokenStream {
        match self.shape(&a.ty) {
            Shape::List => {
                let item = self.rust_type(&self.list_item(&a.ty));
                quote!(::std::vec::Vec<#item>)
            }
            _ => self.rust_type(&a.ty),
        }
    }

    pub(crate) fn field_type(&self, f: &Field) -> TokenStream {
        let base = match &f.kind {
            FieldKind::Element { ty, .. } => self.rust_type(ty),
            FieldKind::Group(g) => self.path(*g),
            FieldKind::Any => {
                let rt = &self.rt;
                quote!(#rt::AnyElement)
            }
        };
        let base = if f.boxed {
            quote!(::std::boxed::Box<#base>)
        } else {
            base
        };
        match f.occurs {
            Occurs::Required => base,
            Occurs::Optional => quote!(::std::option::Option<#base>),
            Occurs::Many if non_empty(f) => {
                let rt = &self.rt;
                quote!(#rt::NonEmpty<#base>)
            }
            Occurs::Many => quote!(::std::vec::Vec<#base>),
        }
    }

    fn struct_item(
        &self,
        name: &proc_macro2::Ident,
        doc: TokenStream,
        s: &StructDef,
    ) -> TokenStream {
        let rt = &self.rt;
        let mut fields = Vec::new();
        for a in &s.attributes {
            let fname = format_ident!("{}", a.rust_name);
            let ty = self.attr_type(a);
            let mut d = a.doc.clone();
            d.insert(0, format!("Attribute `{}`.", a.name.local));
            let d = doc_attrs(&d);
            fields.push(quote!(#d pub #fname: #ty,));
        }
        for f in &s.fields {
            let fname = format_ident!("{}", f.rust_name);
            let ty = self.field_type(f);
            let mut d = f.doc.clone();
            let label = match &f.kind {
                FieldKind::Element { name, .. } => format!("Element `{}`.", name.local),
                FieldKind::Group(g) => self.group_label(*g),
                FieldKind::Any => "Any element (`xs:any`).".to_owned(),
            };
            d.insert(0, label);
            let d = doc_attrs(&d);
            fields.push(quote!(#d pub #fname: #ty,));
        }
        if let Some(text) = &s.text {
            let ty = self.rust_type(text);
            fields.push(quote!(#[doc = " The element's text content."] pub value: #ty,));
        }
        let read = self.struct_read(s);
        let write = self.struct_write(s);
        let (read_impl, write_impl) = if s.is_group {
            let starts = self.group_starts(s);
            (
                quote! {
                    impl #rt::XmlGroup for #name {
                        fn starts_with(ns: #rt::XmlNs, local: &str) -> bool { #starts }
                        fn read_group<'a>(r: &mut #rt::XmlReader<'a>, parent: &#rt::Start<'a>, first: #rt::Start<'a>) -> ::std::result::Result<Self, #rt::DeError> {
                            #read
                        }
                        fn write_group(&self, w: &mut #rt::XmlWriter) -> ::std::result::Result<(), #rt::SerError> {
                            #write
                            Ok(())
                        }
                    }
                },
                quote!(),
            )
        } else {
            (
                quote! {
                    impl #rt::FromXml for #name {
                        fn from_xml<'a>(r: &mut #rt::XmlReader<'a>, start: #rt::Start<'a>) -> ::std::result::Result<Self, #rt::DeError> {
                            #read
                        }
                    }
                },
                quote! {
                    impl #rt::ToXml for #name {
                        fn to_xml(&self, w: &mut #rt::XmlWriter, ns: #rt::XmlNs, local: &str) -> ::std::result::Result<(), #rt::SerError> {
                            w.start(ns, local);
                            #write
                            w.end(ns, local);
                            Ok(())
                        }
                    }
                },
            )
        };
        let derives = if self.has_required(s) {
            quote!(#[derive(Debug, Clone, PartialEq)])
        } else {
            quote!(#[derive(Debug, Clone, PartialEq, Default)])
        };
        let ctor = self.constructor(name, s);
        quote! {
            #doc
            #derives
            pub struct #name { #(#fields)* }
            #ctor
            #read_impl
            #write_impl
        }
    }

    /// "One of `A`, `B`, …" for a choice; "Elements `A`, `B`, …" for a sequence group.
    fn group_label(&self, id: TypeId) -> String {
        let mut names: Vec<String> = Vec::new();
        let choice = match &self.model.types[id].kind {
            TypeKind::Choice(c) => {
                for v in &c.variants {
                    names.push(match &v.kind {
                        VariantKind::Element { name, .. } => format!("`{}`", name.local),
                        VariantKind::Group(g) => {
                            format!("the group `{}`", self.model.types[*g].rust_name)
                        }
                        VariantKind::Any { .. } => "any element".into(),
                    });
                }
                true
            }
            TypeKind::Struct(s) => {
                for f in &s.fields {
                    if let FieldKind::Element { name, .. } = &f.kind {
                        names.push(format!("`{}`", name.local));
                    }
                }
                false
            }
            _ => false,
        };
        let more = names.len().saturating_sub(8);
        names.truncate(8);
        let mut list = names.join(", ");
        if more > 0 {
            list.push_str(&format!(" and {more} more"));
        }
        if choice {
            format!("One of {list}.")
        } else {
            format!("Elements {list}.")
        }
    }

    /// `matches!` over the names that can start a sequence group.
    fn group_starts(&self, s: &StructDef) -> TokenStream {
        let mut arms = Vec::new();
        for f in &s.fields {
            match &f.kind {
                FieldKind::Element { name, .. } => {
                    let ns = self.ns_tokens(name.ns);
                    let local = &name.local;
                    arms.push(quote!(matches!((ns, local), (#ns, #local))));
                }
                FieldKind::Group(g) => {
                    let p = self.path(*g);
                    let rt = &self.rt;
                    arms.push(quote!(<#p as #rt::XmlGroup>::starts_with(ns, local)));
                }
                FieldKind::Any => arms.push(quote!(true)),
            }
        }
        if arms.is_empty() {
            return quote!(false);
        }
        quote!(#(#arms)||*)
    }

    fn struct_read(&self, s: &StructDef) -> TokenStream {
        let rt = &self.rt;
        let mut lets = Vec::new();
        let mut build = Vec::new();
        // attributes
        let mut attr_arms = Vec::new();
        for (i, a) in s.attributes.iter().enumerate() {
            let var = format_ident!("a{}", i);
            let fname = format_ident!("{}", a.rust_name);
            let ns = self.ns_tokens(a.name.ns);
            let local = &a.name.local;
            lets.push(quote!(let mut #var = None;));
            let parse = self.parse_attr(&a.ty);
            attr_arms.push(quote!((#ns, #local) => #var = Some(#parse),));
            build.push(if a.required {
                let start = if s.is_group {
                    quote!(first)
                } else {
                    quote!(start)
                };
                quote!(#fname: #var.ok_or_else(|| r.missing_attr(&#start, #local))?,)
            } else {
                quote!(#fname: #var,)
            });
        }
        let attrs = if s.is_group {
            quote!()
        } else if attr_arms.is_empty() {
            quote!(r.no_attributes(&start)?;)
        } else {
            quote! {
                for a in r.attributes(&start) {
                    let a = a?;
                    match (a.ns, a.local) { #(#attr_arms)* _ => r.unknown_attr(&start, &a)?, }
                }
            }
        };
        // schema order, checked by strict readers: one (name, required) pair per field
        let ordered = !s.unordered && !s.fields.is_empty();
        let seq: Vec<TokenStream> = s
            .fields
            .iter()
            .map(|f| {
                let name = match &f.kind {
                    FieldKind::Element { name, .. } => format!("<{}>", name.local),
                    FieldKind::Group(g) => {
                        self.group_label(*g).trim_end_matches('.').replace('`', "")
                    }
                    FieldKind::Any => "any element".to_owned(),
                };
                let required = f.occurs == Occurs::Required || f.min_occurs > 0;
                quote!((#name, #required))
            })
            .collect();
        if ordered && !s.is_group {
            lets.push(quote! {
                const SEQUENCE: &[(&str, bool)] = &[#(#seq),*];
                let mut order = 0usize;
            });
        } else if ordered {
            lets.push(quote!(let mut order = 0usize;));
        }
        let mut minimums = Vec::new();
        // child elements
        let mut arms = Vec::new();
        let mut catch_all = None;
        for (i, f) in s.fields.iter().enumerate() {
            let var = format_ident!("f{}", i);
            let fname = format_ident!("{}", f.rust_name);
            lets.push(match (f.occurs, &f.kind) {
                (Occurs::Many, _) | (_, FieldKind::Any) => {
                    quote!(let mut #var = ::std::vec::Vec::new();)
                }
                _ => quote!(let mut #var = None;),
            });
            let take = if s.is_group {
                quote!(r.take_peeked();)
            } else {
                quote!()
            };
            let parent = if s.is_group {
                quote!(parent)
            } else {
                quote!(&start)
            };
            let (pattern, value) = match &f.kind {
                FieldKind::Element { name, ty } => {
                    let ns = self.ns_tokens(name.ns);
                    let local = &name.local;
                    let value = match self.shape(ty) {
                        Shape::Simple | Shape::List => self.read_simple(ty, quote!(c)),
                        Shape::Complex => {
                            let t = self.rust_type(ty);
                            quote!(<#t as #rt::FromXml>::from_xml(r, c)?)
                        }
                    };
                    (quote!((#ns, #local)), value)
                }
                FieldKind::Group(g) => {
                    let p = self.path(*g);
                    (
                        quote!((ns, local) if <#p as #rt::XmlGroup>::starts_with(ns, local)),
                        quote!(<#p as #rt::XmlGroup>::read_group(r, #parent, c)?),
                    )
                }
                FieldKind::Any => {
                    catch_all = Some(
                        quote! { _ => { #take #var.push(<#rt::AnyElement as #rt::FromXml>::from_xml(r, c)?); } },
                    );
                    let start = if s.is_group {
                        quote!(first)
                    } else {
                        quote!(start)
                    };
                    build.push(match f.occurs {
                        Occurs::Many => quote!(#fname: r.exact(#var),),
                        Occurs::Optional => quote!(#fname: #var.into_iter().next(),),
                        Occurs::Required => quote!(#fname: #var.into_iter().next().ok_or_else(|| r.missing(&#start, "any element"))?,),
                    });
                    continue;
                }
            };
            let value = if f.boxed {
                quote!(::std::boxed::Box::new(#value))
            } else {
                value
            };
            if f.occurs == Occurs::Many && f.min_occurs > 0 {
                let start = if s.is_group {
                    quote!(parent)
                } else {
                    quote!(&start)
                };
                let what = match &f.kind {
                    FieldKind::Element { name, .. } => name.local.clone(),
                    _ => f.rust_name.clone(),
                };
                let min = f.min_occurs;
                minimums.push(quote!(r.at_least(#start, #what, #var.len(), #min)?;));
            }
            // strict readers: in a struct an element out of order is an error; in a group an
            // earlier field starts the group's next repetition
            let order = match (ordered, s.is_group) {
                (false, _) => quote!(),
                (true, false) => quote!(r.sequence(&c, &mut order, #i, SEQUENCE)?;),
                (true, true) => quote!(order = #i + 1;),
            };
            let follows = if ordered && s.is_group {
                quote!(&& r.follows(order, #i))
            } else {
                quote!()
            };
            let arm = match f.occurs {
                Occurs::Many if s.is_group => {
                    let pattern = match &f.kind {
                        FieldKind::Group(g) => {
                            let p = self.path(*g);
                            quote!((ns, local) if <#p as #rt::XmlGroup>::starts_with(ns, local) #follows)
                        }
                        _ if ordered => quote!(#pattern if r.follows(order, #i)),
                        _ => pattern,
                    };
                    quote!(#pattern => { #order #take #var.push(#value); })
                }
                Occurs::Many => quote!(#pattern => { #order #take #var.push(#value); }),
                _ if s.is_group => {
                    // in a group a filled slot ends the group: the element starts the next one
                    let pattern = match &f.kind {
                        FieldKind::Group(g) => {
                            let p = self.path(*g);
                            quote!((ns, local) if #var.is_none() #follows && <#p as #rt::XmlGroup>::starts_with(ns, local))
                        }
                        _ => quote!(#pattern if #var.is_none() #follows),
                    };
                    quote!(#pattern => { #order #take #var = Some(#value); })
                }
                _ => match &f.kind {
                    FieldKind::Group(g)
                        if matches!(self.model.types[*g].kind, TypeKind::Choice(_)) =>
                    {
                        let choices = self
                            .group_label(*g)
                            .trim_start_matches("One of ")
                            .trim_end_matches('.')
                            .replace('`', "");
                        quote!(#pattern => { #order let v = #value; r.set_choice_once(&mut #var, &c, #choices, v)?; })
                    }
                    _ => {
                        quote!(#pattern => { #order let v = #value; r.set_once(&mut #var, &c, v)?; })
                    }
                },
            };
            arms.push(arm);
            // a required field or non-empty list missing: reported at the element (or group start)
            let what = match &f.kind {
                FieldKind::Element { name, .. } => name.local.clone(),
                _ => f.rust_name.clone(),
            };
            let at = if s.is_group {
                quote!(first)
            } else {
                quote!(start)
            };
            build.push(match f.occurs {
                Occurs::Required => quote!(#fname: #var.ok_or_else(|| r.missing(&#at, #what))?,),
                Occurs::Many if non_empty(f) => {
                    quote!(#fname: #rt::NonEmpty::from_vec(r.exact(#var)).ok_or_else(|| r.missing(&#at, #what))?,)
                }
                Occurs::Many => quote!(#fname: r.exact(#var),),
                _ => quote!(#fname: #var,),
            });
        }
        match &s.text {
            Some(t) if s.fields.is_empty() && !s.is_group => {
                let parse = self.read_simple(t, quote!(start));
                build.push(quote!(value: #parse,));
            }
            Some(_) => build.push(quote!(value: ::std::default::Default::default(),)),
            None => {}
        }
        let unknown = catch_all.unwrap_or_else(|| {
            if s.is_group {
                quote!(_ => break,)
            } else {
                quote!(_ => r.unknown(&start, c)?,)
            }
        });
        let children = if s.text.is_some() && s.fields.is_empty() && !s.is_group {
            quote!()
        } else if s.is_group {
            quote! {
                let mut next = Some(first);
                while let Some(c) = next {
                    match (c.ns, c.local) { #(#arms)* #unknown }
                    next = r.peek_child(parent)?;
                }
            }
        } else {
            quote! {
                while let Some(c) = r.next_child(&start)? {
                    match (c.ns, c.local) { #(#arms)* #unknown }
                }
            }
        };
        quote! {
            #(#lets)*
            #attrs
            #children
            #(#minimums)*
            Ok(Self { #(#build)* })
        }
    }

    fn struct_write(&self, s: &StructDef) -> TokenStream {
        let mut out = Vec::new();
        for a in &s.attributes {
            let fname = format_ident!("{}", a.rust_name);
            let ns = self.ns_tokens(a.name.ns);
            let local = &a.name.local;
            let call = if self.shape(&a.ty) == Shape::List {
                quote!(attr_list)
            } else {
                quote!(attr)
            };
            out.push(if a.required {
                quote!(w.#call(#ns, #local, &self.#fname)?;)
            } else {
                quote!(if let Some(v) = &self.#fname { w.#call(#ns, #local, v)?; })
            });
        }
        for f in &s.fields {
            let fname = format_ident!("{}", f.rust_name);
            let vref = if f.boxed { quote!(&**v) } else { quote!(v) };
            let write_one = match &f.kind {
                FieldKind::Element { name, ty } => {
                    let ns = self.ns_tokens(name.ns);
                    let local = &name.local;
                    match self.shape(ty) {
                        Shape::Simple => quote!(w.value(#ns, #local, v)?;),
                        Shape::List => quote!(w.list(#ns, #local, v)?;),
                        Shape::Complex => {
                            let rt = &self.rt;
                            quote!(#rt::ToXml::to_xml(#vref, w, #ns, #local)?;)
                        }
                    }
                }
                FieldKind::Group(_) => {
                    let rt = &self.rt;
                    quote!(#rt::XmlGroup::write_group(#vref, w)?;)
                }
                FieldKind::Any => quote!(v.write(w)?;),
            };
            out.push(match f.occurs {
                Occurs::Required => quote!({ let v = &self.#fname; #write_one }),
                Occurs::Optional => quote!(if let Some(v) = &self.#fname { #write_one }),
                Occurs::Many => quote!(for v in &self.#fname { #write_one }),
            });
        }
        if let Some(t) = &s.text {
            let rt = &self.rt;
            out.push(match self.shape(t) {
                Shape::List => quote! {
                    let parts: ::std::vec::Vec<_> = self.value.iter().map(|v| #rt::XmlValue::to_text(v).into_owned()).collect();
                    w.text(&parts.join(" "))?;
                },
                _ => quote!(w.text(&#rt::XmlValue::to_text(&self.value))?;),
            });
        }
        quote!(#(#out)*)
    }

    fn enum_item(
        &self,
        name: &proc_macro2::Ident,
        doc: TokenStream,
        xsd: &str,
        e: &EnumDef,
    ) -> TokenStream {
        let rt = &self.rt;
        let mut variants = Vec::new();
        let mut from = Vec::new();
        let mut to = Vec::new();
        for v in &e.values {
            let vname = format_ident!("{}", v.rust_name);
            let mut d = v.doc.clone();
            d.insert(0, format!("`{}`", v.xml));
            let d = doc_attrs(&d);
            variants.push(quote!(#d #vname,));
            let xml = &v.xml;
            from.push(quote!(#xml => Self::#vname,));
            to.push(quote!(Self::#vname => #xml,));
        }
        let (other_variant, other_from, other_to, derives) = if e.open || e.values.is_empty() {
            (
                quote!(
                    #[doc = " A value this schema does not list, kept verbatim."]
                    Other(::std::string::String),
                ),
                quote!(other => Self::Other(other.to_owned()),),
                quote!(Self::Other(s) => return ::std::borrow::Cow::Borrowed(s),),
                quote!(#[derive(Debug, Clone, PartialEq, Eq, Hash)]),
            )
        } else {
            (
                quote!(),
                quote!(_ => return Err(#rt::ValueError::new(#xsd, text)),),
                quote!(),
                quote!(#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]),
            )
        };
        let derives = if e.values.is_empty() {
            quote!(#[derive(Debug, Clone, PartialEq, Eq, Hash)])
        } else {
            derives
        };
        quote! {
            #doc
            #derives
            pub enum #name { #(#variants)* #other_variant }
            impl #rt::XmlValue for #name {
                fn from_text(text: &str) -> ::std::result::Result<Self, #rt::ValueError> {
                    Ok(match text.trim() { #(#from)* #other_from })
                }
                fn to_text(&self) -> ::std::borrow::Cow<'_, str> {
                    ::std::borrow::Cow::Borrowed(match self { #(#to)* #other_to })
                }
            }
        }
    }
}
