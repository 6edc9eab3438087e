//! Breaks cycles of types that contain each other by value, by boxing the edges inside a cycle.

use crate::model::*;

/// Edges of "contains by value" between generated items.
fn by_value_edges(model: &Model, id: TypeId) -> Vec<TypeId> {
    fn named(vt: &ValueType) -> Option<TypeId> {
        match vt {
            ValueType::Named(id) => Some(*id),
            _ => None,
        }
    }
    match &model.types[id].kind {
        TypeKind::Struct(s) => s
            .fields
            .iter()
            .filter(|f| f.occurs != Occurs::Many)
            .filter_map(|f| match &f.kind {
                FieldKind::Element { ty, .. } => named(ty),
                FieldKind::Group(g) => Some(*g),
                FieldKind::Any => None,
            })
            .chain(s.text.as_ref().and_then(named))
            .collect(),
        TypeKind::Choice(c) => c
            .variants
            .iter()
            .filter_map(|v| match &v.kind {
                VariantKind::Element {
                    ty, many: false, ..
                } => named(ty),
                VariantKind::Group(g) => Some(*g),
                _ => None,
            })
            .collect(),
        TypeKind::Alias(vt) => named(vt).into_iter().collect(),
        TypeKind::Derived(d) => d.variants.iter().map(|v| v.ty).collect(),
        TypeKind::Enum(_) => Vec::new(),
    }
}

/// Tarjan's strongly connected components; returns the component index of every type.
fn components(model: &Model) -> Vec<usize> {
    let n = model.types.len();
    let edges: Vec<Vec<TypeId>> = (0..n).map(|i| by_value_edges(model, i)).collect();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut comp = vec![usize::MAX; n];
    let mut next_index = 0;
    let mut next_comp = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        // iterative DFS: (node, next edge position)
        let mut work = vec![(root, 0usize)];
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut pos)) = work.last_mut() {
            if *pos < edges[v].len() {
                let w = edges[v][*pos];
                *pos += 1;
                if index[w] == usize::MAX {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp[w] = next_comp;
                        if w == v {
                            break;
                        }
                    }
                    next_comp += 1;
                }
            }
        }
    }
    comp
}

/// Marks every by-value field or variant whose target lies in its own type's cycle as boxed.
pub fn box_cycles(model: &mut Model) {
    let comp = components(model);
    let target = |vt: &ValueType| match vt {
        ValueType::Named(id) => Some(*id),
        _ => None,
    };
    for id in 0..model.types.len() {
        let me = comp[id];
        match &mut model.types[id].kind {
            TypeKind::Struct(s) => {
                for f in &mut s.fields {
                    if f.occurs == Occurs::Many {
                        continue;
                    }
                    let t = match &f.kind {
                        FieldKind::Element { ty, .. } => target(ty),
                        FieldKind::Group(g) => Some(*g),
                        FieldKind::Any => None,
                    };
                    f.boxed = t.is_some_and(|t| comp[t] == me);
                }
            }
            TypeKind::Choice(c) => {
                for v in &mut c.variants {
                    let t = match &v.kind {
                        VariantKind::Element {
                            ty, many: false, ..
                        } => target(ty),
                        VariantKind::Group(g) => Some(*g),
                        _ => None,
                    };
                    v.boxed = t.is_some_and(|t| comp[t] == me);
                }
            }
            _ => {}
        }
    }
}
