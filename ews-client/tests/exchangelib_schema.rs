//! Every answer ews-testserver gives exchangelib's ordinary work validates against
//! `messages.xsd` (xmllint). The suite is `ews-testserver/tests/compat/exchangelib_suite.py`,
//! run here against an in-process server so that its record of exchanges can be read; the
//! outcomes per scenario are checked by `ews-testserver/tests/exchangelib.rs` against the
//! binary. Skipped with a message where no Python with exchangelib is found.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

const ORG: &str = include_str!("../../ews-testserver/tests/compat/org.toml");

fn python() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    [
        std::env::var_os("EWS_COMPAT_PYTHON").map(PathBuf::from),
        Some(root.join("target/compat-venv/bin/python")),
        Some(PathBuf::from("python3")),
    ]
    .into_iter()
    .flatten()
    .find(|p| {
        Command::new(p)
            .args(["-c", "import exchangelib"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_to_exchangelib_validates_against_the_schema() {
    let Some(python) = python() else {
        eprintln!("SKIPPED: no Python with exchangelib (run .ci/run, or set EWS_COMPAT_PYTHON)");
        return;
    };
    let server = support::serve(ORG).await;
    let url = server.url();
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ews-testserver/tests/compat/exchangelib_suite.py");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python).arg(script).arg(url).output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.matches("RESULT\tok\t").count() >= 15, "{stdout}");
    let answered = server
        .control()
        .exchanges()
        .iter()
        .filter(|e| e.status == 200)
        .count();
    assert!(answered > 50, "only {answered} answers");
    support::check_responses(&server);
}
