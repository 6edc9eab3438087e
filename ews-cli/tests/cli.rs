//! The `ews` binary run as a user runs it, against an in-process ews-testserver: every
//! subcommand, the exit codes, the JSON/CSV reports, `--dry-run`, credentials from the
//! environment and from a config file, and progress on a stderr that is not a terminal.

use std::path::{Path, PathBuf};
use std::process::Output;

use ews_testserver::store::Item;
use ews_testserver::{Org, TestServer};
use ews_types::t::DistinguishedFolderIdName as Folder;
use serde_json::Value;

const ORG: &str = r#"
[[mailbox]]
smtp = "boss@contoso.com"
name = "Pat Boss"
password = "boss-pw"
[[mailbox]]
smtp = "assistant@contoso.com"
password = "assistant-pw"
[[mailbox]]
smtp = "a0@contoso.com"
[[mailbox]]
smtp = "a1@contoso.com"
[[mailbox]]
smtp = "a2@contoso.com"
[[mailbox]]
smtp = "a3@contoso.com"
[[mailbox]]
smtp = "outsider@contoso.com"

[[account]]
user = "svc-booking"
password = "svc-pw-7Qz"
impersonation = true
scope = ["a0@contoso.com", "a1@contoso.com", "a2@contoso.com", "a3@contoso.com"]

[[delegate]]
principal = "boss@contoso.com"
delegate = "assistant@contoso.com"
calendar = "Editor"
inbox = "Reviewer"
"#;

async fn server() -> TestServer {
    TestServer::start(Org::from_toml(ORG).unwrap())
        .await
        .unwrap()
}

/// Runs `ews ARGS` signed in as `user` (environment credentials), stdin closed, stderr a pipe.
async fn ews(server: &TestServer, user: &str, password: &str, args: &[&str]) -> Output {
    ews_env(
        args,
        &[
            ("EWS_URL", &server.url()),
            ("EWS_USERNAME", user),
            ("EWS_PASSWORD", password),
        ],
    )
    .await
}

async fn ews_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_ews"));
    c.args(args)
        .env_remove("EWS_URL")
        .env_remove("EWS_USERNAME")
        .env_remove("EWS_PASSWORD")
        .env_remove("EWS_TOKEN")
        .env_remove("EWS_AUTH")
        .env_remove("EWS_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().await.unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn json(out: &Output) -> Vec<Value> {
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", text(&out.stdout), text(&out.stderr)))
        .as_array()
        .unwrap()
        .clone()
}

fn subjects(server: &TestServer, mailbox: &str, f: Folder) -> Vec<String> {
    server.with_store(|s| {
        let i = s.find_smtp(mailbox).unwrap();
        s.mailboxes[i]
            .folder(f)
            .items
            .iter()
            .filter_map(|x| x.item.base().subject().as_ref().map(|s| s.to_string()))
            .collect()
    })
}

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

const ADD: [&str; 8] = [
    "calendar",
    "add",
    "--subject",
    "Tennis lesson",
    "--start",
    "2026-12-10T09:00",
    "--time-zone",
    "Europe/Berlin",
];

#[tokio::test(flavor = "multi_thread")]
async fn calendar_add_reports_each_mailbox_in_order_and_exits_1_on_partial_failure() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let list = write(
        dir.path(),
        "team.csv",
        "Name,Email\nAna,a0@contoso.com\nOut,outsider@contoso.com\nBen,a1@contoso.com\nCy,a2@contoso.com\n",
    );
    // a2 is told to back off once, and then served: it counts as recovered, not failed
    server
        .control()
        .throttle_identity("a2@contoso.com", 1, std::time::Duration::from_millis(300));
    let mut args = ADD.to_vec();
    args.extend(["--mailboxes", list.to_str().unwrap(), "--output", "json"]);
    let out = ews(&server, "svc-booking", "svc-pw-7Qz", &args).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let rows = json(&out);
    let got: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["mailbox"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("a0@contoso.com", "ok"),
            ("outsider@contoso.com", "failed"),
            ("a1@contoso.com", "ok"),
            ("a2@contoso.com", "ok")
        ]
    );
    assert_eq!(rows[1]["code"], "ErrorImpersonateUserDenied");
    assert!(rows[0]["id"].as_str().is_some_and(|id| !id.is_empty()));
    for m in ["a0@contoso.com", "a1@contoso.com", "a2@contoso.com"] {
        assert_eq!(
            subjects(&server, m, Folder::Calendar),
            ["Tennis lesson"],
            "{m}"
        );
    }
    assert!(subjects(&server, "outsider@contoso.com", Folder::Calendar).is_empty());
    // progress on a stderr that is not a terminal: one plain line per mailbox, no escape codes
    let err = text(&out.stderr);
    assert!(!err.contains('\x1b'), "{err:?}");
    assert_eq!(err.matches("] ").count(), 4, "{err}");
    assert!(err.contains("[4/4]"), "{err}");
    assert!(err.contains("4 in all: 3 ok, 1 failed"), "{err}");
    assert!(
        err.contains("a2@contoso.com: created after a throttling answer"),
        "{err}"
    );
    assert!(
        err.contains("[4/4]") && err.contains("1 recovered from throttling"),
        "{err}"
    );
    // the stored start is 09:00 Berlin time (08:00 UTC in December)
    let start = server.with_store(|s| {
        let i = s.find_smtp("a0@contoso.com").unwrap();
        match &s.mailboxes[i].folder(Folder::Calendar).items[0].item {
            Item::Calendar(c) => c.start.unwrap().to_utc().unwrap(),
            _ => panic!("not a calendar item"),
        }
    });
    assert_eq!(start.to_rfc3339(), "2026-12-10T08:00:00+00:00");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_keyed_run_with_a_checkpoint_creates_once_and_resolves_a_lost_answer_by_key() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("run.checkpoint");
    let mut args = ADD.to_vec();
    args.extend([
        "--mailbox",
        "a0@contoso.com",
        "--mailbox",
        "a1@contoso.com",
        "--mailbox",
        "a2@contoso.com",
        "--key",
        "lesson-1210",
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--timeout",
        "2",
        "-o",
        "json",
    ]);
    // a1's answer is lost: without a key its outcome would be unknown; with one it is looked up
    server
        .control()
        .lose_answers_for("a1@contoso.com", "CreateItem", 1);
    let first = ews(&server, "svc-booking", "svc-pw-7Qz", &args).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let rows = json(&first);
    let status: Vec<&str> = rows.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(status, ["ok", "existed", "ok"]);
    assert_eq!(rows[1]["key"], "lesson-1210/a1@contoso.com");
    // the rerun sends nothing for what the checkpoint holds, and creates nothing twice
    let creates_before = server.control().exchanges().len();
    let second = ews(&server, "svc-booking", "svc-pw-7Qz", &args).await;
    assert_eq!(second.status.code(), Some(0));
    let status: Vec<String> = json(&second)
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(status, ["existed", "existed", "existed"]);
    assert_eq!(
        server.control().exchanges().len(),
        creates_before,
        "no request on a rerun"
    );
    for m in ["a0@contoso.com", "a1@contoso.com", "a2@contoso.com"] {
        assert_eq!(subjects(&server, m, Folder::Calendar).len(), 1, "{m}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_answer_without_a_key_is_reported_as_unknown_with_exit_3() {
    let server = server().await;
    server
        .control()
        .lose_answers_for("a3@contoso.com", "CreateItem", 1);
    let mut args = ADD.to_vec();
    args.extend([
        "--mailbox",
        "a3@contoso.com",
        "--mailbox",
        "a2@contoso.com",
        "--timeout",
        "2",
        "-o",
        "csv",
    ]);
    let out = ews(&server, "svc-booking", "svc-pw-7Qz", &args).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("mailbox,status,"), "{csv}");
    assert!(
        lines[1].starts_with("a3@contoso.com,outcome-unknown,"),
        "{csv}"
    );
    assert!(lines[2].starts_with("a2@contoso.com,ok,"), "{csv}");
    assert!(text(&out.stderr).contains("outcome unknown (rerun with the same --key)"));
}

#[tokio::test(flavor = "multi_thread")]
async fn calendar_list_reads_each_calendar_in_the_given_zone() {
    let server = server().await;
    let mut args = ADD.to_vec();
    args.extend(["--mailbox", "a0@contoso.com", "--location", "Court 3", "-q"]);
    assert_eq!(
        ews(&server, "svc-booking", "svc-pw-7Qz", &args)
            .await
            .status
            .code(),
        Some(0)
    );
    let out = ews(
        &server,
        "svc-booking",
        "svc-pw-7Qz",
        &[
            "calendar",
            "list",
            "--mailbox",
            "a0@contoso.com",
            "--mailbox",
            "a1@contoso.com",
            "--from",
            "2026-12-01",
            "--to",
            "2026-12-31",
            "--time-zone",
            "Europe/Berlin",
            "-o",
            "json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows = json(&out);
    assert_eq!(rows.len(), 1, "a1's calendar is empty: {rows:?}");
    assert_eq!(rows[0]["mailbox"], "a0@contoso.com");
    assert_eq!(rows[0]["subject"], "Tennis lesson");
    assert_eq!(rows[0]["start"], "2026-12-10 09:00");
    assert_eq!(rows[0]["end"], "2026-12-10 10:00");
    assert_eq!(rows[0]["location"], "Court 3");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_meeting_is_created_on_the_principals_behalf() {
    let server = server().await;
    let out = ews(
        &server,
        "assistant@contoso.com",
        "assistant-pw",
        &[
            "meeting",
            "create",
            "--on-behalf-of",
            "boss@contoso.com",
            "--subject",
            "Budget",
            "--start",
            "2026-12-11T14:00:00Z",
            "--duration",
            "30m",
            "--attendee",
            "a1@contoso.com",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("boss@contoso.com"));
    assert_eq!(
        subjects(&server, "boss@contoso.com", Folder::Calendar),
        ["Budget"]
    );
    assert_eq!(
        subjects(&server, "a1@contoso.com", Folder::Inbox),
        ["Budget"]
    );
    // without an attendee it is not a meeting: refused before anything is sent
    let out = ews(
        &server,
        "assistant@contoso.com",
        "assistant-pw",
        &[
            "meeting",
            "create",
            "--on-behalf-of",
            "boss@contoso.com",
            "--subject",
            "X",
            "--start",
            "2026-12-11T14:00:00Z",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--attendee"));
}

#[tokio::test(flavor = "multi_thread")]
async fn delegates_are_listed_added_updated_and_removed() {
    let server = server().await;
    let boss = |args: Vec<&'static str>| {
        let server = &server;
        async move { ews(server, "boss@contoso.com", "boss-pw", &args).await }
    };
    let list = || {
        boss(vec![
            "delegates",
            "list",
            "--mailbox",
            "boss@contoso.com",
            "-o",
            "json",
        ])
    };
    let rows = json(&list().await);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["delegate"], "assistant@contoso.com");
    assert_eq!(rows[0]["calendar"], "Editor");
    assert_eq!(rows[0]["inbox"], "Reviewer");

    let out = boss(vec![
        "delegates",
        "add",
        "--mailbox",
        "boss@contoso.com",
        "--delegate",
        "a2@contoso.com",
        "--calendar",
        "reviewer",
        "--view-private",
    ])
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = boss(vec![
        "delegates",
        "update",
        "--mailbox",
        "boss@contoso.com",
        "--delegate",
        "a2@contoso.com",
        "--calendar",
        "author",
    ])
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows = json(&list().await);
    let a2 = rows
        .iter()
        .find(|r| r["delegate"] == "a2@contoso.com")
        .unwrap();
    assert_eq!(a2["calendar"], "Author");
    assert_eq!(a2["view-private"], true);

    // one row per delegate, in order: the one that is not a delegate fails, exit 1
    let out = boss(vec![
        "delegates",
        "remove",
        "--mailbox",
        "boss@contoso.com",
        "--delegate",
        "outsider@contoso.com",
        "--delegate",
        "a2@contoso.com",
        "-o",
        "json",
    ])
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let rows = json(&out);
    assert_eq!(rows[0]["status"], "failed");
    assert_eq!(rows[0]["delegate"], "outsider@contoso.com");
    assert_eq!(rows[1]["status"], "ok");
    assert_eq!(rows[1]["delegate"], "a2@contoso.com");
    assert_eq!(json(&list().await).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn folder_permissions_are_read_and_set() {
    let server = server().await;
    let boss = |args: Vec<&'static str>| {
        let server = &server;
        async move { ews(server, "boss@contoso.com", "boss-pw", &args).await }
    };
    let out = boss(vec![
        "permissions",
        "set",
        "--mailbox",
        "boss@contoso.com",
        "--folder",
        "calendar",
        "--user",
        "a3@contoso.com",
        "--level",
        "freebusytimeandsubjectandlocation",
    ])
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let get = || {
        boss(vec![
            "permissions",
            "get",
            "--mailbox",
            "boss@contoso.com",
            "-o",
            "json",
        ])
    };
    let rows = json(&get().await);
    let a3 = rows.iter().find(|r| r["user"] == "a3@contoso.com").unwrap();
    assert_eq!(a3["level"], "FreeBusyTimeAndSubjectAndLocation");

    let out = boss(vec![
        "permissions",
        "set",
        "--mailbox",
        "boss@contoso.com",
        "--user",
        "a3@contoso.com",
        "--remove",
    ])
    .await;
    assert_eq!(out.status.code(), Some(0));
    assert!(
        !json(&get().await)
            .iter()
            .any(|r| r["user"] == "a3@contoso.com")
    );

    // a level the schema does not have is refused before anything is sent
    let out = boss(vec![
        "permissions",
        "set",
        "--mailbox",
        "boss@contoso.com",
        "--user",
        "a3@contoso.com",
        "--level",
        "admin",
    ])
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("FreeBusyTimeOnly"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_prints_the_requests_and_sends_nothing() {
    let server = server().await;
    let mut args = ADD.to_vec();
    args.extend([
        "--mailbox",
        "a0@contoso.com",
        "--mailbox",
        "a1@contoso.com",
        "--key",
        "k",
        "--dry-run",
    ]);
    // no credentials at all: a dry run reads none
    let out = ews_env(&args, &[("EWS_URL", &server.url())]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert_eq!(printed.matches("POST http://").count(), 2, "{printed}");
    assert_eq!(printed.matches("<m:CreateItem").count(), 2, "{printed}");
    assert!(printed.contains("<t:SmtpAddress>a1@contoso.com</t:SmtpAddress>"));
    assert!(
        printed.contains("k/a0@contoso.com"),
        "the key's extended property is shown"
    );
    assert!(printed.contains("\n    <"), "indented: {printed}");
    assert!(printed.contains("dry-run"));
    assert!(
        server.control().exchanges().is_empty(),
        "nothing reached the server"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_come_from_a_private_config_file_and_never_show() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "url = \"{}\"\nusername = \"svc-booking\"\npassword = \"svc-pw-7Qz\"\n",
        server.url()
    );
    let config = write(dir.path(), "ews.toml", &body);
    let mut args = ADD.to_vec();
    args.extend([
        "--mailbox",
        "a0@contoso.com",
        "--config",
        config.to_str().unwrap(),
    ]);
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = ews_env(&args, &[]).await;
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out.stderr).contains("chmod 600"),
            "{}",
            text(&out.stderr)
        );
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = ews_env(&args, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        subjects(&server, "a0@contoso.com", Folder::Calendar).len(),
        1
    );

    // a wrong password from the environment wins over the file; it is refused and never shown
    let out = ews_env(&args, &[("EWS_PASSWORD", "wrong-Secret-91")]).await;
    assert_eq!(out.status.code(), Some(1));
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(all.contains("failed"), "{all}");
    assert!(
        !all.contains("wrong-Secret-91") && !all.contains("svc-pw-7Qz"),
        "{all}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_usage_exits_2_with_a_clear_message() {
    let no_url = ews_env(
        &ADD.iter()
            .copied()
            .chain(["--mailbox", "a@x.com"])
            .collect::<Vec<_>>(),
        &[],
    )
    .await;
    assert_eq!(no_url.status.code(), Some(2));
    assert!(text(&no_url.stderr).contains("EWS_URL"));
    let env = [
        ("EWS_URL", "http://127.0.0.1:9/EWS/Exchange.asmx"),
        ("EWS_TOKEN", "t"),
    ];
    let no_mailbox = ews_env(&ADD, &env).await;
    assert_eq!(no_mailbox.status.code(), Some(2));
    assert!(text(&no_mailbox.stderr).contains("--mailbox"));
    let skipped = ews_env(
        &[
            "calendar",
            "add",
            "--subject",
            "x",
            "--start",
            "2026-03-29T02:30",
            "--time-zone",
            "Europe/Berlin",
            "--mailbox",
            "a@x.com",
        ],
        &env,
    )
    .await;
    assert_eq!(skipped.status.code(), Some(2));
    let unknown_flag = ews_env(&["calendar", "add", "--password", "x"], &env).await;
    assert_eq!(
        unknown_flag.status.code(),
        Some(2),
        "no password flag exists"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn inspect_and_schema_work_on_files() {
    let conformance = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance");
    let good = conformance.join("013-FindItem-response.xml");
    let out = ews_env(&["inspect", "--roundtrip", good.to_str().unwrap()], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("FindItemResponse, round-trips"));
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.xml",
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><m:Nope xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\"/></s:Body></s:Envelope>",
    );
    let out = ews_env(&["inspect", bad.to_str().unwrap()], &[]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("does not read"),
        "{}",
        text(&out.stdout)
    );

    let schema = PathBuf::from(env!("EWS_SCHEMA_DIR"));
    let old = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/ews-schema-2010sp2");
    let out = ews_env(
        &[
            "schema",
            "diff",
            old.to_str().unwrap(),
            schema.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("+ operation GetUserPhoto"),
        "{}",
        text(&out.stdout)
    );

    // fetch from a server that serves its schema to signed-in users
    let server = TestServer::start_on(
        "127.0.0.1:0".parse().unwrap(),
        Org::from_toml(ORG).unwrap(),
        Some(schema.clone()),
    )
    .await
    .unwrap();
    let out_dir = dir.path().join("fetched");
    let out = ews_env(
        &["schema", "fetch", "--out", out_dir.to_str().unwrap()],
        &[
            ("EWS_URL", &server.url()),
            ("EWS_USERNAME", "boss@contoso.com"),
            ("EWS_PASSWORD", "boss-pw"),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for f in ["types.xsd", "messages.xsd", "services.wsdl"] {
        assert_eq!(
            std::fs::read(out_dir.join(f)).unwrap(),
            std::fs::read(schema.join(f)).unwrap(),
            "{f}"
        );
    }
}
