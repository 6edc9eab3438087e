//! Generates the bindings from the EWS schema into `OUT_DIR`, and the Windows ↔ IANA time-zone
//! tables from the CLDR data in `data/cldr/`.

use std::collections::BTreeMap;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-env-changed=EWS_SCHEMA_DIR");
    let out = std::env::var("OUT_DIR").unwrap();
    let out = Path::new(&out);
    let dir = match ews_codegen::schema_dir_from_env(env!("CARGO_MANIFEST_DIR")) {
        Ok(dir) => dir,
        Err(e) => fail(e),
    };
    let builder = ews_codegen::Builder::new(&dir).out_file(out.join("ews_bindings.rs"));
    for f in builder.schema_files() {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    if let Err(e) = builder.generate() {
        fail(e);
    }
    let tables = windows_zones().unwrap_or_else(|e| fail(e));
    std::fs::write(out.join("windows_zones.rs"), tables).unwrap_or_else(|e| fail(e));
}

fn fail(e: impl std::fmt::Display) -> ! {
    eprintln!("error: {e}");
    std::process::exit(1);
}

fn read_json(name: &str) -> Result<serde_json::Value, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/cldr")
        .join(name);
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Two sorted tables as Rust source: each Windows id with CLDR's world-wide (`001`) IANA zone,
/// and every IANA name CLDR maps (with its aliases from the BCP 47 time-zone keys) with its
/// Windows id.
fn windows_zones() -> Result<String, String> {
    let zones = read_json("windowsZones.json")?;
    let bcp47 = read_json("timezone.json")?;
    let entries = zones["supplemental"]["windowsZones"]["mapTimezones"]
        .as_array()
        .ok_or("windowsZones.json: no mapTimezones")?;
    let mut default = BTreeMap::new();
    let mut to_windows = BTreeMap::new();
    for e in entries {
        let z = &e["mapZone"];
        let (Some(windows), Some(iana), Some(territory)) = (
            z["_other"].as_str(),
            z["_type"].as_str(),
            z["_territory"].as_str(),
        ) else {
            return Err(format!("windowsZones.json: malformed entry {z}"));
        };
        if territory == "001" {
            default.insert(windows.to_owned(), iana.to_owned());
        }
        for name in iana.split_whitespace() {
            // The first mapping wins: CLDR lists each IANA zone under one Windows id.
            to_windows
                .entry(name.to_owned())
                .or_insert_with(|| windows.to_owned());
        }
    }
    // Aliases: "Asia/Kolkata" is "Asia/Calcutta" in windowsZones.
    let keys = bcp47["keyword"]["u"]["tz"]
        .as_object()
        .ok_or("timezone.json: no keyword.u.tz")?;
    for key in keys.values() {
        let mut names: Vec<&str> = key["_alias"]
            .as_str()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        names.extend(key["_iana"].as_str());
        let found = names.iter().find_map(|n| to_windows.get(*n).cloned());
        if let Some(windows) = found {
            for n in names {
                to_windows
                    .entry(n.to_owned())
                    .or_insert_with(|| windows.clone());
            }
        }
    }
    let row = |(a, b): (&String, &String)| format!("    ({a:?}, {b:?}),\n");
    let mut s =
        String::from("/// Windows id → CLDR's world-wide IANA zone, sorted by Windows id.\n");
    s += "pub(crate) static WINDOWS_TO_IANA: &[(&str, &str)] = &[\n";
    s.extend(default.iter().map(row));
    s += "];\n/// IANA name (or alias) → Windows id, sorted by IANA name.\n";
    s += "pub(crate) static IANA_TO_WINDOWS: &[(&str, &str)] = &[\n";
    s.extend(to_windows.iter().map(row));
    s += "];\n";
    Ok(s)
}
