//! Keeps large values out of line where they are usually absent.
//!
//! EWS item types are wide: `CalendarItemType` has 126 members, nearly all optional, and a
//! response holds thousands of items. Held inline, every absent `Option` of a large struct still
//! takes that struct's whole size, and a choice enum is as large as its largest alternative (a
//! `Vec` of items of any kind took 4.9 KB per calendar item). So a struct or choice whose estimated
//! size exceeds [`INLINE_LIMIT`] is held behind a `Box` wherever it is optional (an `Option`
//! field): an absent member costs a pointer, and a present one one allocation of its own size.
//! An alternative of a choice is boxed above [`ALTERNATIVE_LIMIT`]: a list of items then costs
//! a pointer per item, while the small alternatives (response messages, ids) stay inline.
//! Required members and lists keep their values inline.
//!
//! The decision is a property of the held type, not of the holder, so a member has the same Rust
//! type in every struct that has it (the base traits of `crate::emit` rely on that).

use crate::model::*;

/// Estimated size in bytes above which a struct or choice is boxed where optional.
pub const INLINE_LIMIT: usize = 16;

/// Estimated size in bytes above which an alternative of a choice is boxed.
pub const ALTERNATIVE_LIMIT: usize = 256;

/// Estimated in-memory size of each type, given the boxing decided so far for its members.
struct Sizes<'m> {
    model: &'m Model,
    memo: Vec<Option<usize>>,
}

impl Sizes<'_> {
    fn of_type(&mut self, id: TypeId) -> usize {
        if let Some(s) = self.memo[id] {
            return s;
        }
        // a by-value cycle is already boxed (model_cycles); this guards against a miss
        self.memo[id] = Some(8);
        let model = self.model;
        let size = match &model.types[id].kind {
            TypeKind::Struct(s) => {
                let attrs: usize = s
                    .attributes
                    .iter()
                    .map(|a| {
                        let v = self.of_value(&a.ty);
                        if a.required { v } else { optional(v) }
                    })
                    .sum();
                let fields: usize = s.fields.iter().map(|f| self.of_field(f)).sum();
                let text = s.text.as_ref().map_or(0, |t| self.of_value(t));
                round8(attrs + fields + text)
            }
            TypeKind::Choice(c) => {
                let widest = c
                    .variants
                    .iter()
                    .map(|v| match &v.kind {
                        VariantKind::Element { many: true, .. }
                        | VariantKind::Any { many: true } => 24,
                        _ if v.boxed || self.boxes(held(&v.kind), ALTERNATIVE_LIMIT) => 8,
                        VariantKind::Element { ty, .. } => self.of_value(ty),
                        VariantKind::Group(g) => self.of_type(*g),
                        VariantKind::Any { .. } => ANY,
                    })
                    .max()
                    .unwrap_or(0);
                round8(widest + 8)
            }
            TypeKind::Enum(e) => {
                if e.open {
                    24
                } else {
                    1
                }
            }
            TypeKind::Alias(vt) => self.of_value(vt),
            TypeKind::Derived(d) => {
                let widest = d
                    .variants
                    .iter()
                    .map(|v| self.of_type(v.ty))
                    .max()
                    .unwrap_or(0);
                round8(widest + 8)
            }
        };
        self.memo[id] = Some(size);
        size
    }

    fn of_field(&mut self, f: &Field) -> usize {
        if f.occurs == Occurs::Many {
            return 24;
        }
        let target = match &f.kind {
            FieldKind::Element { ty, .. } => held_value(ty),
            FieldKind::Group(g) => Some(*g),
            FieldKind::Any => None,
        };
        let boxed = f.boxed || (f.occurs == Occurs::Optional && self.boxes(target, INLINE_LIMIT));
        let v = if boxed {
            8
        } else {
            match &f.kind {
                FieldKind::Element { ty, .. } => self.of_value(ty),
                FieldKind::Group(g) => self.of_type(*g),
                FieldKind::Any => ANY,
            }
        };
        if f.occurs == Occurs::Optional {
            optional(v)
        } else {
            v
        }
    }

    fn of_value(&mut self, vt: &ValueType) -> usize {
        match vt {
            ValueType::List(_) => 24,
            ValueType::Named(id) => self.of_type(*id),
            ValueType::Builtin(b) => match b {
                Builtin::Bool | Builtin::I8 | Builtin::U8 => 1,
                Builtin::I16 | Builtin::U16 => 2,
                Builtin::I32 | Builtin::U32 | Builtin::F32 => 4,
                Builtin::I64 | Builtin::U64 | Builtin::F64 => 8,
                Builtin::Date => 12,
                Builtin::Time => 16,
                Builtin::DateTime => 20,
                Builtin::Duration => 32,
                Builtin::String | Builtin::Decimal | Builtin::Base64 | Builtin::Hex => 24,
                Builtin::AnyElement => ANY,
            },
        }
    }

    /// Whether a member holding `target` (a struct or choice) is boxed where optional.
    fn boxes(&mut self, target: Option<TypeId>, limit: usize) -> bool {
        let Some(t) = target else {
            return false;
        };
        matches!(
            self.model.types[t].kind,
            TypeKind::Struct(_) | TypeKind::Choice(_) | TypeKind::Derived(_)
        ) && self.of_type(t) > limit
    }
}

/// Size of the runtime's `AnyElement`.
const ANY: usize = 104;

fn round8(n: usize) -> usize {
    n.div_ceil(8) * 8
}

/// An `Option` around a value of `n` bytes: small scalars need a tag, larger values have a niche.
fn optional(n: usize) -> usize {
    if n < 8 { n * 2 } else { n }
}

fn held_value(vt: &ValueType) -> Option<TypeId> {
    match vt {
        ValueType::Named(id) => Some(*id),
        _ => None,
    }
}

fn held(kind: &VariantKind) -> Option<TypeId> {
    match kind {
        VariantKind::Element {
            ty, many: false, ..
        } => held_value(ty),
        VariantKind::Group(g) => Some(*g),
        _ => None,
    }
}

/// Boxes every optional member whose type is larger than [`INLINE_LIMIT`] and every choice
/// alternative larger than [`ALTERNATIVE_LIMIT`] (run after
/// [`crate::model_cycles::box_cycles`]).
pub fn box_large(model: &mut Model) {
    let mut sizes = Sizes {
        model,
        memo: vec![None; model.types.len()],
    };
    let mut fields = Vec::new();
    let mut variants = Vec::new();
    for (id, def) in model.types.iter().enumerate() {
        match &def.kind {
            TypeKind::Struct(s) => {
                for (i, f) in s.fields.iter().enumerate() {
                    let target = match &f.kind {
                        FieldKind::Element { ty, .. } => held_value(ty),
                        FieldKind::Group(g) => Some(*g),
                        FieldKind::Any => None,
                    };
                    if f.occurs == Occurs::Optional && !f.boxed && sizes.boxes(target, INLINE_LIMIT)
                    {
                        fields.push((id, i));
                    }
                }
            }
            TypeKind::Choice(c) => {
                for (i, v) in c.variants.iter().enumerate() {
                    if !v.boxed && sizes.boxes(held(&v.kind), ALTERNATIVE_LIMIT) {
                        variants.push((id, i));
                    }
                }
            }
            _ => {}
        }
    }
    for (id, i) in fields {
        if let TypeKind::Struct(s) = &mut model.types[id].kind {
            s.fields[i].boxed = true;
        }
    }
    for (id, i) in variants {
        if let TypeKind::Choice(c) = &mut model.types[id].kind {
            c.variants[i].boxed = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, occurs: Occurs, ty: ValueType) -> Field {
        Field {
            rust_name: name.into(),
            occurs,
            min_occurs: 0,
            kind: FieldKind::Element {
                name: QName {
                    ns: Ns::Types,
                    local: name.into(),
                },
                ty,
            },
            boxed: false,
            doc: vec![],
        }
    }

    fn strukt(name: &str, fields: Vec<Field>) -> TypeDef {
        TypeDef {
            xsd_name: name.into(),
            ns: Ns::Types,
            rust_name: name.into(),
            doc: vec![],
            kind: TypeKind::Struct(StructDef {
                fields,
                ..StructDef::default()
            }),
            facets: None,
            base: None,
        }
    }

    #[test]
    fn large_optional_members_and_alternatives_are_boxed_small_ones_are_not() {
        let strings = |name: &str, n: usize| {
            let fields = (0..n)
                .map(|i| {
                    let s = ValueType::Builtin(Builtin::String);
                    field(&format!("f{i}"), Occurs::Optional, s)
                })
                .collect();
            strukt(name, fields)
        };
        let mut model = Model::default();
        let flag = field("flag", Occurs::Optional, ValueType::Builtin(Builtin::I32));
        model.types.push(strukt("Small", vec![flag])); // 0: 8 bytes
        model.types.push(strings("Mid", 4)); // 1: 96 bytes
        model.types.push(strings("Large", 12)); // 2: 288 bytes
        model.types.push(strukt(
            "Holder",
            vec![
                field("small", Occurs::Optional, ValueType::Named(0)),
                field("mid", Occurs::Optional, ValueType::Named(1)),
                field("large", Occurs::Optional, ValueType::Named(2)),
                field("needed", Occurs::Required, ValueType::Named(2)),
                field("many", Occurs::Many, ValueType::Named(2)),
            ],
        ));
        let alt = |name: &str, id| ChoiceVariant {
            rust_name: name.into(),
            kind: VariantKind::Element {
                name: QName {
                    ns: Ns::Types,
                    local: name.into(),
                },
                ty: ValueType::Named(id),
                many: false,
            },
            boxed: false,
            doc: vec![],
        };
        model.types.push(TypeDef {
            kind: TypeKind::Choice(ChoiceDef {
                variants: vec![alt("Small", 0), alt("Mid", 1), alt("Large", 2)],
            }),
            ..strukt("Either", vec![])
        });
        box_large(&mut model);
        let TypeKind::Struct(h) = &model.types[3].kind else {
            panic!("a struct")
        };
        let boxed: Vec<bool> = h.fields.iter().map(|f| f.boxed).collect();
        assert_eq!(boxed, [false, true, true, false, false]);
        let TypeKind::Choice(c) = &model.types[4].kind else {
            panic!("a choice")
        };
        let boxed: Vec<bool> = c.variants.iter().map(|v| v.boxed).collect();
        assert_eq!(boxed, [false, false, true]);
    }
}
