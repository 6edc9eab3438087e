//! xsd-parser's `MetaTypes` → our [`Model`].

use std::collections::{BTreeMap, HashMap};

use xsd_parser::models::meta::{AttributeMetaVariant, Base, MetaTypeVariant};
use xsd_parser::models::schema::MaxOccurs;
use xsd_parser::models::schema::xs::{FormChoiceType, Use};
use xsd_parser::{IdentType, MetaTypes, TypeIdent};

use super::{DeclKind, GlobalDecl};
use crate::Error;
use crate::model::*;
use crate::naming::{self, Scope};

mod content;
mod facets;

use content::{name_fields, occurs, variant};

const XS: &str = "http://www.w3.org/2001/XMLSchema";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Where {
    Ours(Ns),
    Xs,
    Other,
}

struct Ctx<'a> {
    meta: &'a MetaTypes,
    items: HashMap<TypeIdent, TypeId>,
    subst: HashMap<TypeIdent, TypeId>,
    types: Vec<TypeDef>,
    scopes: BTreeMap<Ns, Scope>,
    open_enums: &'a [String],
    abstract_heads: std::collections::HashSet<String>,
    problems: Vec<String>,
}

/// Converts interpreted schema types and the list of global elements into a [`Model`].
///
/// `open_enums` names the XSD enumerations that get an `Other(String)` variant.
pub fn convert(
    meta: &MetaTypes,
    globals: &[GlobalDecl],
    open_enums: &[String],
) -> Result<Model, Error> {
    let mut cx = Ctx {
        meta,
        items: HashMap::new(),
        subst: HashMap::new(),
        types: Vec::new(),
        scopes: BTreeMap::new(),
        open_enums,
        abstract_heads: globals
            .iter()
            .filter(|g| g.is_abstract)
            .map(|g| g.name.clone())
            .collect(),
        problems: Vec::new(),
    };
    let (elements, types): (Vec<GlobalDecl>, Vec<GlobalDecl>) = globals
        .iter()
        .cloned()
        .partition(|g| g.kind == DeclKind::Element);
    let globals = elements.as_slice();
    cx.declare_items(globals);
    let declared: Vec<(TypeIdent, TypeId)> = {
        let mut v: Vec<_> = cx.items.iter().map(|(k, v)| (k.clone(), *v)).collect();
        v.sort_by_key(|(_, id)| *id);
        v
    };
    for (ident, id) in declared {
        let kind = cx.item_kind(&ident, id);
        cx.types[id].kind = kind;
        if let TypeKind::Alias(_) = cx.types[id].kind {
            let facets = cx.facets(&ident, false);
            cx.types[id].facets = facets.filter(|f| !f.is_empty());
        }
    }
    let substs: Vec<(TypeIdent, TypeId)> = cx.subst.iter().map(|(k, v)| (k.clone(), *v)).collect();
    for (ident, id) in substs {
        let kind = cx.subst_choice(&ident);
        cx.types[id].kind = kind;
    }
    cx.derived_types(&types);
    let elements = cx.global_elements(globals);
    if !cx.problems.is_empty() {
        return Err(Error::Unsupported(cx.problems.join("\n")));
    }
    let mut model = Model {
        types: cx.types,
        elements,
        ..Model::default()
    };
    crate::model_cycles::box_cycles(&mut model);
    crate::model_boxing::box_large(&mut model);
    Ok(model)
}

impl<'a> Ctx<'a> {
    fn where_(&self, ns: &xsd_parser::models::schema::NamespaceId) -> Where {
        let Some(module) = self.meta.modules.get(ns) else {
            return Where::Other;
        };
        let Some(uri) = &module.namespace else {
            return Where::Ours(Ns::None);
        };
        let uri = String::from_utf8_lossy(uri.as_ref());
        if uri == XS {
            Where::Xs
        } else {
            Ns::from_uri(&uri).map_or(Where::Other, Where::Ours)
        }
    }

    fn ns_of(&self, ident: &TypeIdent) -> Ns {
        match self.where_(&ident.ns) {
            Where::Ours(ns) => ns,
            _ => Ns::None,
        }
    }

    fn scope(&mut self, ns: Ns) -> &mut Scope {
        self.scopes.entry(ns).or_default()
    }

    fn push(&mut self, xsd_name: String, ns: Ns, rust_name: String, doc: Vec<String>) -> TypeId {
        self.types.push(TypeDef {
            xsd_name,
            ns,
            rust_name,
            doc,
            kind: TypeKind::Struct(StructDef::default()),
            facets: None,
            base: None,
        });
        self.types.len() - 1
    }

    /// Gives every named or anonymous type its Rust name (see [`crate::naming`]).
    fn declare_items(&mut self, globals: &[GlobalDecl]) {
        let meta = self.meta;
        let is_global = |ident: &TypeIdent, ns: Ns| {
            globals
                .iter()
                .any(|g| g.name == ident.name.as_str() && Ns::from_uri(&g.target_ns) == Some(ns))
        };
        // 1. substitution-group heads take their element's name.
        for (ident, ty) in &meta.items {
            let Where::Ours(ns) = self.where_(&ident.ns) else {
                continue;
            };
            if ident.type_ == IdentType::Element
                && let MetaTypeVariant::Dynamic(_) = &ty.variant
            {
                let name = self
                    .scope(ns)
                    .unique(&naming::upper_camel(ident.name.as_str()));
                let id = self.push(ident.name.to_string(), ns, name, ty.documentation.clone());
                self.subst.insert(ident.clone(), id);
            }
        }
        for ns in [Ns::Types, Ns::Messages] {
            let scope = self.scope(ns);
            scope.reserve("GlobalElement");
        }
        // 2. named types: names without a `Type` suffix first, so `FooType` yields to `Foo`.
        let mut named: Vec<(&TypeIdent, Ns)> = Vec::new();
        for (ident, ty) in &meta.items {
            let Where::Ours(ns) = self.where_(&ident.ns) else {
                continue;
            };
            if ident.type_ != IdentType::Type || !is_item_variant(&ty.variant, true) {
                continue;
            }
            named.push((ident, ns));
        }
        named.sort_by_key(|(i, _)| i.name.as_str().ends_with("Type"));
        for (ident, ns) in named {
            let xsd = ident.name.as_str();
            let stripped = naming::type_name(xsd);
            let scope = self.scope(ns);
            let name = if scope.contains(&stripped) {
                scope.unique(&naming::upper_camel(xsd))
            } else {
                scope.unique(&stripped)
            };
            let doc = meta.items[ident].documentation.clone();
            let id = self.push(xsd.to_owned(), ns, name, doc);
            self.items.insert(ident.clone(), id);
        }
        // 3. anonymous types of elements take the element's name.
        for (ident, ty) in &meta.items {
            let Where::Ours(ns) = self.where_(&ident.ns) else {
                continue;
            };
            let anonymous = match ident.type_ {
                IdentType::ElementType => true,
                IdentType::Element => !is_global(ident, ns) || !is_reference(&ty.variant),
                _ => false,
            };
            if !anonymous || !is_item_variant(&ty.variant, false) {
                continue;
            }
            let base = naming::upper_camel(ident.name.as_str());
            let scope = self.scope(ns);
            let name = if scope.contains(&base) {
                scope.unique(&format!("{base}Element"))
            } else {
                scope.unique(&base)
            };
            let id = self.push(ident.name.to_string(), ns, name, ty.documentation.clone());
            self.items.insert(ident.clone(), id);
        }
    }

    /// For each abstract complex type with concrete descendants, a [`TypeKind::Derived`] item
    /// chosen by `xsi:type`, which replaces the abstract type wherever a value uses it.
    fn derived_types(&mut self, types: &[GlobalDecl]) {
        let meta = self.meta;
        let mut parent: HashMap<TypeId, TypeId> = HashMap::new();
        for (ident, &id) in &self.items {
            if let MetaTypeVariant::ComplexType(c) = &meta.items[ident].variant
                && let Base::Extension(b) | Base::Restriction(b) = &c.base
                && let Some(&p) = self.items.get(b)
            {
                parent.insert(id, p);
            }
        }
        for (&child, &p) in &parent {
            self.types[child].base = Some(p);
        }
        let is_abstract = |def: &TypeDef| {
            types.iter().any(|t| {
                t.is_abstract
                    && t.name == def.xsd_name
                    && Ns::from_uri(&t.target_ns) == Some(def.ns)
            })
        };
        // only abstract types that some element is declared with need a dispatching enum
        let mut used = std::collections::HashSet::new();
        for def in &self.types {
            let mut note = |vt: &ValueType| {
                if let ValueType::Named(id) = vt {
                    used.insert(*id);
                }
            };
            match &def.kind {
                TypeKind::Struct(s) => s.fields.iter().for_each(|f| {
                    if let FieldKind::Element { ty, .. } = &f.kind {
                        note(ty);
                    }
                }),
                TypeKind::Choice(c) => c.variants.iter().for_each(|v| {
                    if let VariantKind::Element { ty, .. } = &v.kind {
                        note(ty);
                    }
                }),
                _ => {}
            }
        }
        let mut replace: HashMap<TypeId, TypeId> = HashMap::new();
        for base in 0..self.types.len() {
            if !used.contains(&base) || !is_abstract(&self.types[base]) {
                continue;
            }
            let mut concrete: Vec<TypeId> = (0..self.types.len())
                .filter(|&d| !is_abstract(&self.types[d]))
                .filter(|&d| {
                    let mut at = d;
                    while let Some(&p) = parent.get(&at) {
                        if p == base {
                            return true;
                        }
                        at = p;
                    }
                    false
                })
                .collect();
            if concrete.is_empty() {
                continue;
            }
            concrete.sort_by(|a, b| self.types[*a].xsd_name.cmp(&self.types[*b].xsd_name));
            let def = &self.types[base];
            let (ns, base_name) = (def.ns, def.rust_name.clone());
            let mut scope = Scope::default();
            let variants = concrete
                .into_iter()
                .map(|ty| {
                    let d = &self.types[ty];
                    DerivedVariant {
                        rust_name: scope.unique(&d.rust_name),
                        xsi_type: QName {
                            ns: d.ns,
                            local: d.xsd_name.clone(),
                        },
                        ty,
                    }
                })
                .collect();
            let name = self.scope(ns).unique(&format!("{base_name}Derived"));
            let doc = vec![format!(
                "A concrete type derived from `{}`, chosen by `xsi:type`.",
                self.types[base].xsd_name
            )];
            let id = self.push(
                format!("types derived from {}", self.types[base].xsd_name),
                ns,
                name,
                doc,
            );
            self.types[id].kind = TypeKind::Derived(DerivedDef { variants });
            replace.insert(base, id);
        }
        let swap = |vt: &mut ValueType| {
            if let ValueType::Named(id) = vt
                && let Some(&to) = replace.get(id)
            {
                *id = to;
            }
        };
        for def in &mut self.types {
            match &mut def.kind {
                TypeKind::Struct(s) => {
                    for f in &mut s.fields {
                        if let FieldKind::Element { ty, .. } = &mut f.kind {
                            swap(ty);
                        }
                    }
                }
                TypeKind::Choice(c) => {
                    for v in &mut c.variants {
                        if let VariantKind::Element { ty, .. } = &mut v.kind {
                            swap(ty);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn item_kind(&mut self, ident: &TypeIdent, id: TypeId) -> TypeKind {
        let ty = &self.meta.items[ident];
        let ns = self.types[id].ns;
        let parent = self.types[id].rust_name.clone();
        match &ty.variant {
            MetaTypeVariant::ComplexType(c) => {
                let mut sd = StructDef::default();
                for a in c.attributes.iter() {
                    let AttributeMetaVariant::Type(t) = &a.variant else {
                        continue;
                    };
                    // `xml:lang` and other attributes referenced from another namespace keep
                    // it whatever the form; local ones follow attributeFormDefault.
                    let own = self.ns_of_prop(&a.ident.ns);
                    let name = QName {
                        ns: match (own, a.form) {
                            (Ns::Xml, _) | (_, FormChoiceType::Qualified) => own,
                            (_, FormChoiceType::Unqualified) => Ns::None,
                        },
                        local: a.ident.name.to_string(),
                    };
                    sd.attributes.push(Attribute {
                        rust_name: String::new(),
                        ty: self.value_type(t),
                        required: a.use_ == Use::Required,
                        doc: a.documentation.clone(),
                        name,
                    });
                }
                if let Some(content) = &c.content {
                    let optional = c.min_occurs == 0;
                    let many = c.max_occurs != MaxOccurs::Bounded(1);
                    let occ = (occurs(optional, many), c.min_occurs);
                    self.fill_content(&parent, ns, content, occ, &mut sd);
                } else if let Base::Extension(b) = &c.base {
                    // simple content with no facets of its own
                    if matches!(self.where_(&b.ns), Where::Xs) {
                        sd.text = Some(self.value_type(b));
                    }
                }
                name_fields(&mut sd);
                TypeKind::Struct(sd)
            }
            MetaTypeVariant::Enumeration(e) => TypeKind::Enum(EnumDef {
                open: self.open_enums.iter().any(|o| o == ident.name.as_str()),
                values: {
                    let mut scope = Scope::default();
                    scope.reserve("Other");
                    e.variants
                        .iter()
                        .map(|v| EnumValue {
                            xml: v.ident.name.to_string(),
                            rust_name: scope.unique(&naming::enum_variant(v.ident.name.as_str())),
                            doc: v.documentation.clone(),
                        })
                        .collect()
                },
            }),
            MetaTypeVariant::SimpleType(s) => {
                let vt = self.value_type(&s.base);
                TypeKind::Alias(if s.is_list {
                    ValueType::List(Box::new(vt))
                } else {
                    vt
                })
            }
            MetaTypeVariant::Union(_) => TypeKind::Alias(ValueType::Builtin(Builtin::String)),
            MetaTypeVariant::Reference(r) => {
                let vt = self.value_type(&r.type_);
                TypeKind::Alias(if r.max_occurs == MaxOccurs::Bounded(1) {
                    vt
                } else {
                    ValueType::List(Box::new(vt))
                })
            }
            other => {
                self.problems
                    .push(format!("{ident}: no Rust item for {}", variant_name(other)));
                TypeKind::Alias(ValueType::Builtin(Builtin::String))
            }
        }
    }

    fn ns_of_prop(&self, ns: &xsd_parser::models::schema::NamespaceId) -> Ns {
        match self.where_(ns) {
            Where::Ours(ns) => ns,
            _ => Ns::None,
        }
    }

    /// A global element ident → its name and value type.
    fn element_decl(&mut self, ident: &TypeIdent) -> (QName, ValueType) {
        let name = QName {
            ns: self.ns_of(ident),
            local: ident.name.to_string(),
        };
        (name, self.value_type(ident))
    }

    fn subst_choice(&mut self, ident: &TypeIdent) -> TypeKind {
        let MetaTypeVariant::Dynamic(d) = &self.meta.items[ident].variant else {
            unreachable!("substitution heads are dynamic")
        };
        let mut members = Vec::new();
        // a concrete head element stands for itself too
        if !self.abstract_heads.contains(ident.name.as_str())
            && let Some(t) = &d.type_
        {
            let name = QName {
                ns: self.ns_of(ident),
                local: ident.name.to_string(),
            };
            members.push((name, self.value_type(t)));
        }
        for member in &d.derived_types {
            members.push(self.element_decl(&member.type_));
        }
        let mut scope = Scope::default();
        let variants = members
            .into_iter()
            .map(|(name, ty)| {
                let rust = scope.unique(&naming::upper_camel(&name.local));
                variant(
                    rust,
                    VariantKind::Element {
                        name,
                        ty,
                        many: false,
                    },
                    Vec::new(),
                )
            })
            .collect();
        TypeKind::Choice(ChoiceDef { variants })
    }

    /// The value type an ident stands for.
    fn value_type(&mut self, ident: &TypeIdent) -> ValueType {
        if let Some(id) = self.items.get(ident) {
            return ValueType::Named(*id);
        }
        if let Some(id) = self.subst.get(ident) {
            return ValueType::Named(*id);
        }
        if ident.type_ == IdentType::BuildIn {
            return ValueType::Builtin(buildin(ident.name.as_str()));
        }
        if self.where_(&ident.ns) == Where::Xs {
            return xs_builtin(ident.name.as_str());
        }
        let meta = self.meta;
        match meta.items.get(ident).map(|t| &t.variant) {
            Some(MetaTypeVariant::Reference(r)) => {
                let vt = self.value_type(&r.type_);
                if r.max_occurs == MaxOccurs::Bounded(1) {
                    vt
                } else {
                    ValueType::List(Box::new(vt))
                }
            }
            Some(MetaTypeVariant::BuildIn(_)) => ValueType::Builtin(buildin(ident.name.as_str())),
            other => {
                self.problems.push(format!(
                    "{ident}: cannot use {} as a value type",
                    other.map_or("a missing type", variant_name)
                ));
                ValueType::Builtin(Builtin::String)
            }
        }
    }

    fn global_elements(&mut self, globals: &[GlobalDecl]) -> Vec<GlobalElement> {
        let mut by_name: HashMap<(Ns, String), TypeIdent> = HashMap::new();
        for ident in self.meta.items.keys() {
            if ident.type_ == IdentType::Element
                && let Where::Ours(ns) = self.where_(&ident.ns)
            {
                by_name.insert((ns, ident.name.to_string()), ident.clone());
            }
        }
        let mut out = Vec::new();
        let mut scopes: HashMap<Ns, Scope> = HashMap::new();
        for g in globals {
            let Some(ns) = Ns::from_uri(&g.target_ns) else {
                continue;
            };
            let Some(ident) = by_name.get(&(ns, g.name.clone())).cloned() else {
                self.problems
                    .push(format!("global element {} not interpreted", g.name));
                continue;
            };
            let ty = match (&self.meta.items[&ident].variant, g.is_abstract) {
                (MetaTypeVariant::Dynamic(d), false) if d.type_.is_some() => {
                    let t = d.type_.clone().expect("checked");
                    self.value_type(&t)
                }
                _ => self.value_type(&ident),
            };
            let substitutes = match self.subst.get(&ident) {
                Some(&id) => match &self.types[id].kind {
                    TypeKind::Choice(c) => c
                        .variants
                        .iter()
                        .filter_map(|v| match &v.kind {
                            VariantKind::Element { name, .. } => Some(name.clone()),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                },
                None => Vec::new(),
            };
            out.push(GlobalElement {
                rust_name: scopes
                    .entry(ns)
                    .or_default()
                    .unique(&naming::upper_camel(&g.name)),
                name: QName {
                    ns,
                    local: g.name.clone(),
                },
                ty,
                substitutes,
                is_abstract: g.is_abstract,
            });
        }
        out
    }
}

fn is_item_variant(v: &MetaTypeVariant, named: bool) -> bool {
    match v {
        MetaTypeVariant::ComplexType(_)
        | MetaTypeVariant::Enumeration(_)
        | MetaTypeVariant::SimpleType(_)
        | MetaTypeVariant::Union(_) => true,
        MetaTypeVariant::Reference(_) => named,
        _ => false,
    }
}

fn is_reference(v: &MetaTypeVariant) -> bool {
    matches!(
        v,
        MetaTypeVariant::Reference(_) | MetaTypeVariant::Dynamic(_)
    )
}

fn variant_name(v: &MetaTypeVariant) -> &'static str {
    match v {
        MetaTypeVariant::Union(_) => "a union",
        MetaTypeVariant::BuildIn(_) => "a built-in",
        MetaTypeVariant::Custom(_) => "a custom type",
        MetaTypeVariant::Reference(_) => "a reference",
        MetaTypeVariant::Enumeration(_) => "an enumeration",
        MetaTypeVariant::Dynamic(_) => "a substitution group",
        MetaTypeVariant::All(_) => "an xs:all group",
        MetaTypeVariant::Choice(_) => "a choice group",
        MetaTypeVariant::Sequence(_) => "a sequence group",
        MetaTypeVariant::ComplexType(_) => "a complex type",
        MetaTypeVariant::SimpleType(_) => "a simple type",
    }
}

fn buildin(name: &str) -> Builtin {
    match name {
        "bool" => Builtin::Bool,
        "i8" => Builtin::I8,
        "i16" => Builtin::I16,
        "i32" => Builtin::I32,
        "i64" | "i128" | "isize" => Builtin::I64,
        "u8" => Builtin::U8,
        "u16" => Builtin::U16,
        "u32" => Builtin::U32,
        "u64" | "u128" | "usize" => Builtin::U64,
        "f32" => Builtin::F32,
        "f64" => Builtin::F64,
        _ => Builtin::String,
    }
}

/// Built-in XSD types → runtime value types.
pub fn xs_builtin(name: &str) -> ValueType {
    let b = match name {
        "boolean" => Builtin::Bool,
        "byte" => Builtin::I8,
        "short" => Builtin::I16,
        "int" => Builtin::I32,
        "long" | "integer" | "nonPositiveInteger" | "negativeInteger" => Builtin::I64,
        "unsignedByte" => Builtin::U8,
        "unsignedShort" => Builtin::U16,
        "unsignedInt" => Builtin::U32,
        "unsignedLong" | "nonNegativeInteger" | "positiveInteger" => Builtin::U64,
        "float" => Builtin::F32,
        "double" => Builtin::F64,
        "decimal" => Builtin::Decimal,
        "dateTime" => Builtin::DateTime,
        "date" => Builtin::Date,
        "time" => Builtin::Time,
        "duration" => Builtin::Duration,
        "base64Binary" => Builtin::Base64,
        "hexBinary" => Builtin::Hex,
        "anyType" => Builtin::AnyElement,
        "IDREFS" | "NMTOKENS" | "ENTITIES" => {
            return ValueType::List(Box::new(ValueType::Builtin(Builtin::String)));
        }
        _ => Builtin::String,
    };
    ValueType::Builtin(b)
}
