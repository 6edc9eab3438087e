//! The content of complex types: sequences flattened into struct fields, choices into enums,
//! nested groups into structs of their own, with occurrence and field names settled.

use xsd_parser::TypeIdent;
use xsd_parser::models::meta::{ElementMetaVariant, GroupMeta, MetaTypeVariant};
use xsd_parser::models::schema::MaxOccurs;
use xsd_parser::models::schema::xs::FormChoiceType;

use super::Ctx;
use crate::model::*;
use crate::naming::{self, Scope};

impl Ctx<'_> {
    /// Content of a complex type: a group of elements, or simple content.
    pub(super) fn fill_content(
        &mut self,
        parent: &str,
        ns: Ns,
        content: &TypeIdent,
        (occ, min): (Occurs, usize),
        sd: &mut StructDef,
    ) {
        let meta = self.meta;
        let Some(ty) = meta.items.get(content) else {
            self.problems
                .push(format!("{parent}: content {content} not found"));
            return;
        };
        match &ty.variant {
            MetaTypeVariant::Sequence(g) | MetaTypeVariant::All(g) => {
                sd.unordered |= matches!(ty.variant, MetaTypeVariant::All(_));
                if occ == Occurs::Many {
                    let id = self.group_struct(parent, ns, g);
                    sd.fields.push(group_field(id, occ, min));
                } else {
                    self.flatten(parent, ns, g, occ == Occurs::Optional, sd);
                }
            }
            MetaTypeVariant::Choice(g) => {
                let id = self.choice(parent, ns, g);
                sd.fields.push(group_field(id, occ, min));
            }
            _ => sd.text = Some(self.value_type(content)),
        }
    }

    /// The elements of a sequence, appended to `sd` (nested single sequences are flattened).
    pub(super) fn flatten(
        &mut self,
        parent: &str,
        ns: Ns,
        g: &GroupMeta,
        optional: bool,
        sd: &mut StructDef,
    ) {
        let meta = self.meta;
        for el in g.elements.iter() {
            let occ = occurs(
                optional || el.min_occurs == 0,
                el.max_occurs != MaxOccurs::Bounded(1),
            );
            let min = if optional { 0 } else { el.min_occurs };
            let type_ = match &el.variant {
                ElementMetaVariant::Text => {
                    sd.text = Some(ValueType::Builtin(Builtin::String));
                    continue;
                }
                ElementMetaVariant::Any { .. } => {
                    sd.fields.push(Field {
                        rust_name: "any".into(),
                        occurs: occ,
                        min_occurs: min,
                        kind: FieldKind::Any,
                        boxed: false,
                        doc: el.documentation.clone(),
                    });
                    continue;
                }
                ElementMetaVariant::Type { type_, .. } => type_,
            };
            match meta.items.get(type_).map(|t| &t.variant) {
                Some(v @ (MetaTypeVariant::Sequence(g2) | MetaTypeVariant::All(g2))) => {
                    if occ == Occurs::Many {
                        let id = self.group_struct(parent, ns, g2);
                        if let (MetaTypeVariant::All(_), TypeKind::Struct(g)) =
                            (v, &mut self.types[id].kind)
                        {
                            g.unordered = true;
                        }
                        sd.fields.push(group_field(id, occ, min));
                    } else {
                        sd.unordered |= matches!(v, MetaTypeVariant::All(_));
                        self.flatten(parent, ns, g2, occ == Occurs::Optional, sd);
                    }
                }
                Some(MetaTypeVariant::Choice(g2)) => {
                    let id = self.choice(parent, ns, g2);
                    sd.fields.push(group_field(id, occ, min));
                }
                Some(MetaTypeVariant::Dynamic(_)) if self.subst.contains_key(type_) => {
                    let id = self.subst[type_];
                    let mut f = group_field(id, occ, min);
                    f.rust_name = naming::field_name(el.ident.name.as_str());
                    sd.fields.push(f);
                }
                _ => {
                    let name = QName {
                        ns: match el.form {
                            FormChoiceType::Qualified => self.ns_of_prop(&el.ident.ns),
                            FormChoiceType::Unqualified => Ns::None,
                        },
                        local: el.ident.name.to_string(),
                    };
                    sd.fields.push(Field {
                        rust_name: naming::field_name(&name.local),
                        occurs: occ,
                        min_occurs: min,
                        kind: FieldKind::Element {
                            name,
                            ty: self.value_type(type_),
                        },
                        boxed: false,
                        doc: el.documentation.clone(),
                    });
                }
            }
        }
    }

    pub(super) fn group_struct(&mut self, parent: &str, ns: Ns, g: &GroupMeta) -> TypeId {
        let name = self.scope(ns).unique(&format!("{parent}Group"));
        let id = self.push(
            format!("sequence in {parent}"),
            ns,
            name.clone(),
            Vec::new(),
        );
        let mut sd = StructDef {
            is_group: true,
            ..StructDef::default()
        };
        self.flatten(&name, ns, g, false, &mut sd);
        name_fields(&mut sd);
        self.types[id].kind = TypeKind::Struct(sd);
        id
    }

    pub(super) fn choice(&mut self, parent: &str, ns: Ns, g: &GroupMeta) -> TypeId {
        let name = self.scope(ns).unique(&format!("{parent}Choice"));
        let id = self.push(format!("choice in {parent}"), ns, name.clone(), Vec::new());
        let mut variants = Vec::new();
        self.choice_variants(&name, ns, g, &mut variants);
        let mut scope = Scope::default();
        for v in &mut variants {
            v.rust_name = scope.unique(&v.rust_name);
        }
        self.types[id].kind = TypeKind::Choice(ChoiceDef { variants });
        id
    }

    pub(super) fn choice_variants(
        &mut self,
        parent: &str,
        ns: Ns,
        g: &GroupMeta,
        out: &mut Vec<ChoiceVariant>,
    ) {
        let meta = self.meta;
        for el in g.elements.iter() {
            let type_ = match &el.variant {
                ElementMetaVariant::Type { type_, .. } => type_,
                ElementMetaVariant::Any { .. } => {
                    let many = el.max_occurs != MaxOccurs::Bounded(1);
                    out.push(variant(
                        "Any".into(),
                        VariantKind::Any { many },
                        el.documentation.clone(),
                    ));
                    continue;
                }
                ElementMetaVariant::Text => {
                    self.problems
                        .push(format!("{parent}: text inside a choice"));
                    continue;
                }
            };
            match meta.items.get(type_).map(|t| &t.variant) {
                Some(MetaTypeVariant::Sequence(g2) | MetaTypeVariant::All(g2)) => {
                    let id = self.group_struct(parent, ns, g2);
                    let name = self.types[id].rust_name.clone();
                    out.push(variant(
                        name,
                        VariantKind::Group(id),
                        el.documentation.clone(),
                    ));
                }
                Some(MetaTypeVariant::Choice(g2)) => self.choice_variants(parent, ns, g2, out),
                Some(MetaTypeVariant::Dynamic(d)) => {
                    for member in &d.derived_types {
                        let (name, ty) = self.element_decl(&member.type_);
                        out.push(variant(
                            naming::upper_camel(&name.local),
                            VariantKind::Element {
                                name,
                                ty,
                                many: false,
                            },
                            Vec::new(),
                        ));
                    }
                }
                _ => {
                    let name = QName {
                        ns: match el.form {
                            FormChoiceType::Qualified => self.ns_of_prop(&el.ident.ns),
                            FormChoiceType::Unqualified => Ns::None,
                        },
                        local: el.ident.name.to_string(),
                    };
                    let ty = self.value_type(type_);
                    let many = el.max_occurs != MaxOccurs::Bounded(1);
                    out.push(variant(
                        naming::upper_camel(&name.local),
                        VariantKind::Element { name, ty, many },
                        el.documentation.clone(),
                    ));
                }
            }
        }
    }
}

pub(super) fn variant(rust_name: String, kind: VariantKind, doc: Vec<String>) -> ChoiceVariant {
    ChoiceVariant {
        rust_name,
        kind,
        boxed: false,
        doc,
    }
}

pub(super) fn group_field(id: TypeId, occurs: Occurs, min_occurs: usize) -> Field {
    Field {
        rust_name: String::new(),
        occurs,
        min_occurs: if occurs == Occurs::Optional {
            0
        } else {
            min_occurs
        },
        kind: FieldKind::Group(id),
        boxed: false,
        doc: Vec::new(),
    }
}

pub(super) fn occurs(optional: bool, many: bool) -> Occurs {
    if many {
        Occurs::Many
    } else if optional {
        Occurs::Optional
    } else {
        Occurs::Required
    }
}

/// Final field names: elements first, then attributes (`_attr` on a clash), groups as `choice`.
pub(super) fn name_fields(sd: &mut StructDef) {
    let mut scope = Scope::default();
    for f in &mut sd.fields {
        let base = match (&f.kind, f.rust_name.is_empty()) {
            (FieldKind::Group(_), true) => "content".to_owned(),
            _ => f.rust_name.clone(),
        };
        f.rust_name = scope.unique(&base);
    }
    if sd.text.is_some() {
        scope.reserve("value");
    }
    for a in &mut sd.attributes {
        let base = naming::field_name(&a.name.local);
        a.rust_name = if scope.contains(&base) {
            scope.unique(&format!("{base}_attr"))
        } else {
            scope.unique(&base)
        };
    }
}
