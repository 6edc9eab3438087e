//! A crate of a user's own (`examples/downstream`, outside the workspace, its own Cargo.toml)
//! builds against ews-client and does the seeds' tasks against ews-testserver.

use std::path::Path;
use std::process::Command;

#[test]
fn a_downstream_crate_builds_and_does_the_seed_tasks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let manifest = root.join("examples/downstream/Cargo.toml");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // its own target directory: the workspace's is locked by the running `cargo test`
    let out = Command::new(cargo)
        .args(["run", "--quiet", "--manifest-path"])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(root.join("target/downstream"))
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("seed 1: Some(\"Planning\") in alice's calendar"),
        "{stdout}"
    );
    assert!(
        stdout.contains("seed 2: 1 item(s) in the boss's calendar"),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#"time zones: ["10-19 09:00", "10-26 09:00", "11-02 09:00"] in Berlin"#),
        "{stdout}"
    );
    assert!(stdout.contains("downstream: ok"), "{stdout}");
}
