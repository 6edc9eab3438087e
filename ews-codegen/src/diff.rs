//! What changed between two schema versions: types, fields, enumeration values and operations.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::model::*;

/// Differences between an old and a new schema.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SchemaDiff {
    /// Types only in the new schema (`t:FooType`).
    pub types_added: Vec<String>,
    /// Types only in the old schema.
    pub types_removed: Vec<String>,
    /// Fields (`t:FooType` and `Bar` or `@Attr`) only in the new schema, of types in both.
    pub fields_added: Vec<(String, String)>,
    /// Fields only in the old schema, of types in both.
    pub fields_removed: Vec<(String, String)>,
    /// Enumeration values only in the new schema, of enumerations in both.
    pub values_added: Vec<(String, String)>,
    /// Enumeration values only in the old schema.
    pub values_removed: Vec<(String, String)>,
    /// Operations only in the new schema.
    pub operations_added: Vec<String>,
    /// Operations only in the old schema.
    pub operations_removed: Vec<String>,
}

/// A type's members: child element and attribute names, or enumeration values.
enum Members {
    Fields(BTreeSet<String>),
    Values(BTreeSet<String>),
    Other,
}

fn prefix(ns: Ns) -> &'static str {
    match ns {
        Ns::Messages => "m",
        Ns::Types => "t",
        Ns::Xml => "xml",
        Ns::None => "",
    }
}

fn is_inline(def: &TypeDef) -> bool {
    ["choice in ", "sequence in ", "types derived from "]
        .iter()
        .any(|p| def.xsd_name.starts_with(p))
}

/// Element names inside a group type (recursively), attributed to the type that holds it.
fn group_names(model: &Model, id: TypeId, out: &mut BTreeSet<String>) {
    match &model.types[id].kind {
        TypeKind::Struct(s) => struct_names(model, s, out),
        TypeKind::Choice(c) => {
            for v in &c.variants {
                match &v.kind {
                    VariantKind::Element { name, .. } => {
                        out.insert(name.local.clone());
                    }
                    VariantKind::Group(g) => group_names(model, *g, out),
                    VariantKind::Any { .. } => {
                        out.insert("xs:any".into());
                    }
                }
            }
        }
        _ => {}
    }
}

fn struct_names(model: &Model, s: &StructDef, out: &mut BTreeSet<String>) {
    for a in &s.attributes {
        out.insert(format!("@{}", a.name.local));
    }
    for f in &s.fields {
        match &f.kind {
            FieldKind::Element { name, .. } => {
                out.insert(name.local.clone());
            }
            FieldKind::Group(g) if is_inline(&model.types[*g]) => group_names(model, *g, out),
            FieldKind::Group(g) => {
                out.insert(model.types[*g].xsd_name.clone());
            }
            FieldKind::Any => {
                out.insert("xs:any".into());
            }
        }
    }
}

fn index(model: &Model) -> BTreeMap<String, Members> {
    let mut out = BTreeMap::new();
    for def in model.types.iter().filter(|d| !is_inline(d)) {
        let key = format!("{}:{}", prefix(def.ns), def.xsd_name);
        let members = match &def.kind {
            TypeKind::Struct(s) => {
                let mut names = BTreeSet::new();
                struct_names(model, s, &mut names);
                Members::Fields(names)
            }
            TypeKind::Enum(e) => Members::Values(e.values.iter().map(|v| v.xml.clone()).collect()),
            _ => Members::Other,
        };
        out.insert(key, members);
    }
    out
}

/// Compares two models.
pub fn diff(old: &Model, new: &Model) -> SchemaDiff {
    let (a, b) = (index(old), index(new));
    let mut d = SchemaDiff {
        types_added: b.keys().filter(|k| !a.contains_key(*k)).cloned().collect(),
        types_removed: a.keys().filter(|k| !b.contains_key(*k)).cloned().collect(),
        ..SchemaDiff::default()
    };
    for (key, old_m) in &a {
        let Some(new_m) = b.get(key) else { continue };
        let (x, y, added, removed) = match (old_m, new_m) {
            (Members::Fields(x), Members::Fields(y)) => {
                (x, y, &mut d.fields_added, &mut d.fields_removed)
            }
            (Members::Values(x), Members::Values(y)) => {
                (x, y, &mut d.values_added, &mut d.values_removed)
            }
            _ => continue,
        };
        added.extend(y.difference(x).map(|n| (key.clone(), n.clone())));
        removed.extend(x.difference(y).map(|n| (key.clone(), n.clone())));
    }
    let ops = |m: &Model| {
        m.operations
            .iter()
            .map(|o| o.name.clone())
            .collect::<BTreeSet<_>>()
    };
    let (oa, ob) = (ops(old), ops(new));
    d.operations_added = ob.difference(&oa).cloned().collect();
    d.operations_removed = oa.difference(&ob).cloned().collect();
    d
}

impl fmt::Display for SchemaDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs = |v: &[(String, String)]| v.iter().map(|(t, n)| format!("{t} {n}")).collect();
        let lists: [(&str, Vec<String>); 8] = [
            ("operation", self.operations_added.clone()),
            ("operation", self.operations_removed.clone()),
            ("type", self.types_added.clone()),
            ("type", self.types_removed.clone()),
            ("field", pairs(&self.fields_added)),
            ("field", pairs(&self.fields_removed)),
            ("value", pairs(&self.values_added)),
            ("value", pairs(&self.values_removed)),
        ];
        for (i, (kind, items)) in lists.iter().enumerate() {
            let sign = if i % 2 == 0 { '+' } else { '-' };
            for item in items {
                writeln!(f, "{sign} {kind} {item}")?;
            }
        }
        let count = |i: usize| lists[i].1.len();
        write!(
            f,
            "operations +{} -{}, types +{} -{}, fields +{} -{}, enumeration values +{} -{}",
            count(0),
            count(1),
            count(2),
            count(3),
            count(4),
            count(5),
            count(6),
            count(7)
        )
    }
}
