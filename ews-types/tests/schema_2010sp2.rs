//! The bindings regenerate by building against another schema: build this crate against the
//! Exchange 2010 SP2 schema in a separate target directory and read a document with it.

use std::path::Path;
use std::process::Command;

#[test]
fn builds_and_reads_against_the_exchange_2010_sp2_schema() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema = manifest.join("../../shared/ews-schema-2010sp2");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sp2");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo)
        .current_dir(manifest)
        .args([
            "build",
            "-q",
            "-p",
            "ews-types",
            "--example",
            "inspect",
            "--target-dir",
        ])
        .arg(&target)
        .env("EWS_SCHEMA_DIR", &schema)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "ews-types builds against {}",
        schema.display()
    );
    let inspect = target.join("debug/examples/inspect");
    let doc = manifest.join("../../shared/conformance/005-GetDelegate-request.xml");
    let out = Command::new(inspect)
        .arg("--roundtrip")
        .arg(&doc)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("OK GetDelegate"),
        "{stdout}"
    );
}
