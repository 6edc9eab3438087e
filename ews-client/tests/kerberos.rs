//! Negotiate/Kerberos against ews-testserver with a real MIT KDC (feature `kerberos`; `.ci/run`
//! installs MIT Kerberos). The test starts a realm on loopback, issues a keytab for the
//! server's `HTTP/127.0.0.1`, `kinit`s users into a credentials-cache collection, and runs the
//! sign-in tests in a child process whose environment points GSS-API at them (`KRB5_CONFIG`,
//! `KRB5CCNAME`, `KRB5_KTNAME`: MIT krb5 reads them from the environment only).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use ews_client::{Client, Credentials, ErrorKind, Kerberos};
use ews_types::t::DistinguishedFolderIdName as F;
use support::tls::{certificate, relay};
use support::*;

const REALM: &str = "EWS.TEST";

/// A running KDC and the files around it; the KDC stops when dropped.
struct Realm {
    dir: tempfile::TempDir,
    kdc: Child,
}

impl Drop for Realm {
    fn drop(&mut self) {
        let _ = self.kdc.kill();
        let _ = self.kdc.wait();
    }
}

impl Realm {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        let p = |n: &str| self.path(n).display().to_string();
        vec![
            ("KRB5_CONFIG", p("krb5.conf")),
            ("KRB5_KDC_PROFILE", p("kdc.conf")),
            ("KRB5CCNAME", format!("DIR:{}", p("ccache"))),
            ("KRB5_KTNAME", format!("FILE:{}", p("http.keytab"))),
            ("KRB5RCACHETYPE", "none".into()),
        ]
    }

    fn run(&self, program: &str, args: &[&str], stdin: Option<&str>) {
        let tool = which(program);
        let mut cmd = Command::new(&tool);
        cmd.args(args)
            .envs(self.env())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{program}: {e}"));
        if let Some(text) = stdin {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn kinit(&self, user: &str, password: &str, lifetime: &str) {
        self.run(
            "kinit",
            &["-l", lifetime, &format!("{user}@{REALM}")],
            Some(&format!("{password}\n")),
        );
    }
}

/// The MIT Kerberos program `name`, from PATH or sbin.
fn which(name: &str) -> PathBuf {
    let dirs = std::env::var("PATH").unwrap_or_default();
    std::env::split_paths(&dirs)
        .chain(["/usr/sbin".into(), "/usr/bin".into()])
        .map(|d: PathBuf| d.join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!(
                "{name} not found: the kerberos tests need MIT Kerberos \
                 (apt-get install krb5-kdc krb5-admin-server krb5-user; .ci/run installs them)"
            )
        })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A realm on loopback with alice, bob, eve (whose ticket expires at once) and the server's
/// service principal `HTTP/127.0.0.1` in a keytab.
fn start_realm() -> Realm {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let d = dir.path().display();
    std::fs::write(
        dir.path().join("krb5.conf"),
        format!(
            "[libdefaults]\n default_realm = {REALM}\n dns_lookup_kdc = false\n dns_lookup_realm = false\n \
             rdns = false\n dns_canonicalize_hostname = false\n udp_preference_limit = 1\n\
             [realms]\n {REALM} = {{\n  kdc = 127.0.0.1:{port}\n }}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("kdc.conf"),
        format!(
            "[kdcdefaults]\n kdc_ports = {port}\n kdc_tcp_ports = {port}\n\
             [realms]\n {REALM} = {{\n  database_name = {d}/principal\n  key_stash_file = {d}/stash\n  \
             acl_file = {d}/kadm5.acl\n  max_life = 10h\n }}\n\
             [logging]\n kdc = FILE:{d}/kdc.log\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("kadm5.acl"), "").unwrap();
    std::fs::create_dir(dir.path().join("ccache")).unwrap();
    let kdc = Command::new("/bin/true").spawn().unwrap();
    let mut realm = Realm { dir, kdc };
    realm.run(
        "kdb5_util",
        &["create", "-s", "-r", REALM, "-P", "master-pw", "-W"],
        None,
    );
    for q in [
        "addprinc -pw alice-pw alice".to_owned(),
        "addprinc -pw bob-pw bob".to_owned(),
        "addprinc -pw carol-pw carol".to_owned(),
        "addprinc -pw eve-pw eve".to_owned(),
        "addprinc -randkey HTTP/127.0.0.1".to_owned(),
        format!(
            "ktadd -k {} HTTP/127.0.0.1",
            realm.path("http.keytab").display()
        ),
    ] {
        realm.run("kadmin.local", &["-r", REALM, "-q", &q], None);
    }
    realm.kdc = Command::new(which("krb5kdc"))
        .args(["-n", "-r", REALM])
        .envs(realm.env())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let up = (0..200).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(25));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(up, "the KDC did not start: {}", log(&realm.path("kdc.log")));
    realm.kinit("alice", "alice-pw", "10h");
    realm.kinit("bob", "bob-pw", "10h");
    realm.kinit("eve", "eve-pw", "1s");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    realm
}

fn log(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// Starts the realm, then runs the `in_realm_*` tests in a child process with the realm's
/// environment.
#[test]
fn negotiate_with_a_real_kdc() {
    let realm = start_realm();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--test-threads", "1", "in_realm_"])
        .envs(realm.env())
        .env("EWS_KERBEROS_REALM", realm.dir.path())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{text}\nKDC log:\n{}",
        log(&realm.path("kdc.log"))
    );
    assert!(text.contains("test result: ok. 3 passed"), "{text}");
}

fn in_realm() -> PathBuf {
    std::env::var_os("EWS_KERBEROS_REALM")
        .map(PathBuf::from)
        .expect("run through negotiate_with_a_real_kdc, which starts the realm")
}

async fn server_for(protection: &str, cert: &(String, String)) -> ews_testserver::TestServer {
    serve(&format!(
        r#"
        [[mailbox]]
        smtp = "alice@contoso.com"
        [[mailbox]]
        smtp = "bob@contoso.com"
        [[mailbox]]
        smtp = "eve@contoso.com"
        [auth]
        schemes = ["negotiate"]
        extended_protection = "{protection}"
        [tls]
        cert = """{}"""
        key = """{}"""
        "#,
        cert.0, cert.1
    ))
    .await
}

fn client(url: &str, ca: &str, k: Kerberos, binding: bool) -> Client {
    Client::builder(url)
        .credentials(Credentials::kerberos(k))
        .add_root_certificates_pem(ca.as_bytes())
        .channel_binding(binding)
        .build()
        .unwrap()
}

fn user(name: &str) -> Kerberos {
    Kerberos::new().principal(format!("{name}@{REALM}"))
}

async fn create(c: &Client, subject: &str) -> Result<(), ews_client::Error> {
    c.my_mailbox()
        .create_appointment(appointment(subject, &[]))
        .await
        .map(|_| ())
}

fn subjects(server: &ews_testserver::TestServer, mailbox: &str) -> Vec<String> {
    let mut s: Vec<String> = stored(server, mailbox, F::Calendar)
        .into_iter()
        .filter_map(|(_, i)| i.base().subject().as_ref().map(|s| s.to_string()))
        .collect();
    s.sort();
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by negotiate_with_a_real_kdc"]
async fn in_realm_two_identities_sign_in_and_never_share_a_connection() {
    in_realm();
    let cert = certificate();
    let server = server_for("require", &cert).await;
    let alice = client(&server.url(), &cert.0, user("alice"), true);
    let bob = client(&server.url(), &cert.0, user("bob"), true);
    let mut tasks = Vec::new();
    for i in 0..6 {
        let (a, b) = (alice.clone(), bob.clone());
        tasks.push(tokio::spawn(async move {
            create(&a, &format!("a{i}")).await.unwrap();
            create(&b, &format!("b{i}")).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        subjects(&server, "alice@contoso.com"),
        ["a0", "a1", "a2", "a3", "a4", "a5"]
    );
    assert_eq!(
        subjects(&server, "bob@contoso.com"),
        ["b0", "b1", "b2", "b3", "b4", "b5"]
    );
    assert!(server.url().starts_with("https://"));
    let sign_ins = server.control().sign_ins();
    assert!(sign_ins.len() >= 2, "{sign_ins:?}");
    for (conn, login) in &sign_ins {
        let others: Vec<_> = sign_ins
            .iter()
            .filter(|(c, l)| c == conn && l != login)
            .collect();
        assert!(
            others.is_empty(),
            "connection {conn} carried {login} and {others:?}"
        );
    }
    // Connections stay signed in: more requests, one after another, sign in no more.
    for i in 0..4 {
        create(&alice, &format!("later a{i}")).await.unwrap();
        create(&bob, &format!("later b{i}")).await.unwrap();
    }
    assert_eq!(server.control().sign_ins(), sign_ins);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by negotiate_with_a_real_kdc"]
async fn in_realm_wrong_spn_and_missing_or_expired_tickets_are_clear_errors() {
    in_realm();
    let cert = certificate();
    let server = server_for("none", &cert).await;
    let cases = [
        (user("alice").spn("HTTP/wrong.ews.test"), "check the SPN"),
        (user("carol"), "run kinit"),
        (user("eve"), "expired"),
    ];
    for (k, expected) in cases {
        let e = create(&client(&server.url(), &cert.0, k.clone(), true), "x")
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth, "{k:?}: {e}");
        assert!(e.to_string().contains(expected), "{k:?}: {e}");
    }
    assert!(server.control().sign_ins().is_empty());
    // The same server takes a good ticket.
    create(&client(&server.url(), &cert.0, user("alice"), true), "ok")
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by negotiate_with_a_real_kdc"]
async fn in_realm_channel_binding_is_required_and_a_relay_is_refused() {
    in_realm();
    let cert = certificate();
    let server = server_for("require", &cert).await;
    let unbound = client(&server.url(), &cert.0, user("alice"), false);
    let e = create(&unbound, "unbound").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    create(
        &client(&server.url(), &cert.0, user("alice"), true),
        "bound",
    )
    .await
    .unwrap();
    let theirs = certificate();
    for protection in ["allow", "require"] {
        let relayed = server_for(protection, &cert).await;
        let relay = relay(relayed.addr(), &theirs, &cert.0).await;
        let e = create(&client(&relay, &theirs.0, user("alice"), true), "relayed")
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth, "{protection}: {e}");
        assert!(subjects(&relayed, "alice@contoso.com").is_empty());
    }
    assert_eq!(subjects(&server, "alice@contoso.com"), ["bound"]);
}
