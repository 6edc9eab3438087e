//! The compatibility suite: exchangelib (pinned 5.6.0; `.ci/run` installs it into
//! `target/compat-venv`) drives the server binary through ordinary work — folders, create,
//! read, update, move, copy, delete, calendar views, filters, sorting, paging, a recurring
//! series, attachments, send and receive, GetDelegate, a delegate's meeting on the principal's
//! behalf, impersonation, permission sets (`tests/compat/exchangelib_suite.py`).
//!
//! Every scenario must pass, except those where exchangelib itself sends a request the schema
//! refuses; those are listed in [`EXCHANGELIB_DEFECTS`] with the rule they break, and the server
//! must answer them as Exchange does.
//!
//! The Python is `EWS_COMPAT_PYTHON`, else `target/compat-venv/bin/python`, else `python3`;
//! without exchangelib the test says so and passes without running (skip).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The organisation the suite works in (shared with ews-client's schema check of the answers).
const ORG: &str = include_str!("compat/org.toml");

/// Scenarios that fail because exchangelib sends a schema-invalid request: (scenario, the
/// rule it breaks, what the server answers, as Exchange does).
const EXCHANGELIB_DEFECTS: &[(&str, &str, &str)] = &[(
    "impersonation by SID and UPN (exchangelib adds them to the SMTP address)",
    "t:ConnectingSIDType is an xs:choice of PrincipalName, SID, PrimarySmtpAddress and \
     SmtpAddress: exactly one child; exchangelib writes PrimarySmtpAddress, SID and \
     PrincipalName together",
    "ErrorSchemaValidation",
)];

fn python() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidates = [
        std::env::var_os("EWS_COMPAT_PYTHON").map(PathBuf::from),
        Some(root.join("target/compat-venv/bin/python")),
        Some(PathBuf::from("python3")),
    ];
    candidates.into_iter().flatten().find(|p| {
        Command::new(p)
            .args(["-c", "import exchangelib"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn exchangelib_does_ordinary_work_against_the_server() {
    let Some(python) = python() else {
        eprintln!(
            "SKIPPED: no Python with exchangelib (set EWS_COMPAT_PYTHON, or run .ci/run, which \
             installs exchangelib 5.6.0 into target/compat-venv)"
        );
        return;
    };
    let server = support::start(ORG);
    let url = format!("http://{}/EWS/Exchange.asmx", server.addr);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compat/exchangelib_suite.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(&url)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the suite itself failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut ran = 0;
    let mut unexpected = Vec::new();
    for line in stdout.lines() {
        let Some(["RESULT", outcome, scenario, detail]) = line
            .splitn(4, '\t')
            .collect::<Vec<_>>()
            .get(..4)
            .map(|v| [v[0], v[1], v[2], v[3]])
        else {
            continue;
        };
        ran += 1;
        let ok = outcome == "ok";
        let defect = EXCHANGELIB_DEFECTS.iter().find(|d| d.0 == scenario);
        match (ok, defect) {
            (true, None) => eprintln!("ok      {scenario}"),
            (false, Some((_, rule, answer))) if detail.contains(answer) => {
                eprintln!(
                    "defect  {scenario}: exchangelib breaks the schema ({rule}); answered {answer}"
                )
            }
            _ => unexpected.push(format!("{scenario}: ok={ok} {detail}")),
        }
    }
    assert!(ran >= 24, "only {ran} scenarios ran:\n{stdout}");
    assert!(
        unexpected.is_empty(),
        "unexpected outcomes:\n{}",
        unexpected.join("\n")
    );
}

/// exchangelib signs in with NTLM over TLS to a server whose Extended Protection is `Require`:
/// its NTLM (pyspnego through requests_ntlm) puts the channel binding of the certificate in
/// its answer, computed by code no one here wrote, and the server accepts it; the same client
/// with a wrong password is refused.
#[test]
fn exchangelib_signs_in_with_ntlm_bound_to_the_tls_channel() {
    let Some(python) = python() else {
        eprintln!("SKIPPED: no Python with exchangelib (see exchangelib_does_ordinary_work…)");
        return;
    };
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (cert, key) = (cert.pem(), key.serialize_pem());
    let server = support::start(&format!(
        "[[mailbox]]\nsmtp = \"alice@contoso.com\"\npassword = \"alice-pw\"\n\
         [auth]\nschemes = [\"ntlm\"]\nextended_protection = \"require\"\n\
         [tls]\ncert = \"\"\"{cert}\"\"\"\nkey = \"\"\"{key}\"\"\"\n"
    ));
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &cert).unwrap();
    let url = format!("https://{}/EWS/Exchange.asmx", server.addr);
    let script = r#"
import sys
from exchangelib import Account, Build, Configuration, Credentials, DELEGATE, NTLM, Version
url, user, password = sys.argv[1:4]
config = Configuration(service_endpoint=url, credentials=Credentials(user, password), auth_type=NTLM,
                       version=Version(build=Build(15, 1, 2507, 0)))
try:
    account = Account("alice@contoso.com", config=config, autodiscover=False, access_type=DELEGATE)
    print("RESULT", account.calendar.name, account.calendar.total_count)
except Exception as e:
    print("REFUSED", type(e).__name__)
"#;
    let run = |password: &str| {
        let out = Command::new(&python)
            .args(["-c", script, &url, "CONTOSO\\alice", password])
            .env("REQUESTS_CA_BUNDLE", &ca)
            .output()
            .expect("python runs");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let ok = run("alice-pw");
    assert!(ok.contains("RESULT Calendar 0"), "{ok}");
    let wrong = run("wrong-pw");
    assert!(wrong.contains("REFUSED"), "{wrong}");
}
