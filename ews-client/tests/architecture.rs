//! The client's rooms and what each may import, as the README's ARCHITECTURE table lists
//! them, checked against the `crate::` paths in `src/`: no room imports one the table does not
//! allow, and the imports form no circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// room → the rooms its source names with `crate::room`.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let room = path.file_stem().unwrap().to_string_lossy().into_owned();
        if room == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut used = BTreeSet::new();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() && name != room {
                used.insert(name);
            }
        }
        out.insert(room, used);
    }
    out
}

/// room → allowed imports, from the README's ARCHITECTURE table (`| room | imports |`).
fn allowed() -> BTreeMap<String, BTreeSet<String>> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let section = readme
        .split("## ARCHITECTURE")
        .nth(1)
        .expect("README has an ARCHITECTURE section");
    let mut out = BTreeMap::new();
    for line in section.lines().take_while(|l| !l.starts_with("## ")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 4 || !cells[1].starts_with('`') {
            continue;
        }
        let room = cells[1].trim_matches('`').to_owned();
        let may: BTreeSet<String> = cells[3]
            .split(',')
            .map(|s| s.trim().trim_matches('`').to_owned())
            .filter(|s| !s.is_empty() && s != "—")
            .collect();
        out.insert(room, may);
    }
    out
}

#[test]
fn every_room_imports_only_what_the_table_allows() {
    let actual = imports();
    let allowed = allowed();
    let rooms: BTreeSet<&String> = actual.keys().collect();
    let listed: BTreeSet<&String> = allowed.keys().collect();
    assert_eq!(
        rooms, listed,
        "the table lists every room of src/ and no other"
    );
    for (room, used) in &actual {
        let extra: Vec<&String> = used.difference(&allowed[room]).collect();
        assert!(
            extra.is_empty(),
            "`{room}` imports {extra:?}, which the table does not allow"
        );
    }
}

#[test]
fn the_imports_form_no_circle() {
    let graph = imports();
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if done.contains(n) {
            return;
        }
        if let Some(at) = path.iter().position(|p| p == n) {
            panic!("import circle: {} -> {n}", path[at..].join(" -> "));
        }
        path.push(n.to_owned());
        for m in g.get(n).into_iter().flatten() {
            visit(m, g, path, done);
        }
        path.pop();
        done.insert(n.to_owned());
    }
    let mut done = BTreeSet::new();
    for n in graph.keys() {
        visit(n, &graph, &mut Vec::new(), &mut done);
    }
}
