//! Extended Protection for Authentication: NTLM over TLS against ews-testserver with
//! `extended_protection = "require"` and `"allow"`, as IIS checks it in front of Exchange 2019
//! CU14 and later. The client binds its sign-in to the server's certificate (RFC 5929
//! `tls-server-end-point`, NTLM's `MsvAvChannelBindings`); a client that sends no binding is
//! refused under `Require`, and a relay through a TLS endpoint with another certificate (a man
//! in the middle) is refused under both.

mod support;

use ews_client::{Client, Credentials, ErrorKind};
use ews_types::t::DistinguishedFolderIdName as F;
use support::tls::{certificate, relay};
use support::*;

async fn server(protection: &str, cert: &(String, String)) -> ews_testserver::TestServer {
    serve(&format!(
        r#"
        [[mailbox]]
        smtp = "alice@contoso.com"
        password = "alice-pw"
        [[mailbox]]
        smtp = "bob@contoso.com"
        password = "bob-pw"
        [auth]
        schemes = ["ntlm"]
        extended_protection = "{protection}"
        [tls]
        cert = """{}"""
        key = """{}"""
        "#,
        cert.0, cert.1
    ))
    .await
}

fn client(url: &str, trusted: &[&str], user: &str, password: &str, binding: bool) -> Client {
    let mut b = Client::builder(url)
        .credentials(Credentials::ntlm(user, password))
        .channel_binding(binding);
    for pem in trusted {
        b = b.add_root_certificates_pem(pem.as_bytes());
    }
    b.build().unwrap()
}

async fn create(c: &Client, subject: &str) -> Result<(), ews_client::Error> {
    c.my_mailbox()
        .create_appointment(appointment(subject, &[]))
        .await
        .map(|_| ())
}

fn subjects(server: &ews_testserver::TestServer, mailbox: &str) -> Vec<String> {
    stored(server, mailbox, F::Calendar)
        .into_iter()
        .filter_map(|(_, i)| i.base().subject().as_ref().map(|s| s.to_string()))
        .collect()
}

#[tokio::test]
async fn require_accepts_a_bound_sign_in_and_refuses_one_without() {
    let cert = certificate();
    let server = server("require", &cert).await;
    assert!(server.url().starts_with("https://"));
    let ours = client(
        &server.url(),
        &[&cert.0],
        "CONTOSO\\alice",
        "alice-pw",
        true,
    );
    create(&ours, "bound")
        .await
        .expect("a bound sign-in is accepted");
    create(&ours, "again").await.unwrap();
    // UPN form, another user, on its own connections.
    let bob = client(&server.url(), &[&cert.0], "bob@contoso.com", "bob-pw", true);
    create(&bob, "bob's").await.unwrap();
    assert_eq!(subjects(&server, "alice@contoso.com"), ["bound", "again"]);
    assert_eq!(subjects(&server, "bob@contoso.com"), ["bob's"]);

    let unbound = client(
        &server.url(),
        &[&cert.0],
        "CONTOSO\\alice",
        "alice-pw",
        false,
    );
    let e = create(&unbound, "unbound").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    let wrong = client(&server.url(), &[&cert.0], "CONTOSO\\alice", "nope", true);
    let e = create(&wrong, "wrong").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    assert!(!e.to_string().contains("nope"));
    assert_eq!(subjects(&server, "alice@contoso.com"), ["bound", "again"]);
}

#[tokio::test]
async fn allow_accepts_a_sign_in_without_a_binding() {
    let cert = certificate();
    let server = server("allow", &cert).await;
    let unbound = client(
        &server.url(),
        &[&cert.0],
        "CONTOSO\\alice",
        "alice-pw",
        false,
    );
    create(&unbound, "unbound").await.unwrap();
    let ours = client(
        &server.url(),
        &[&cert.0],
        "CONTOSO\\alice",
        "alice-pw",
        true,
    );
    create(&ours, "bound").await.unwrap();
    assert_eq!(subjects(&server, "alice@contoso.com"), ["unbound", "bound"]);
}

#[tokio::test]
async fn a_relay_with_another_certificate_is_refused() {
    let cert = certificate();
    let theirs = certificate();
    for protection in ["allow", "require"] {
        let server = server(protection, &cert).await;
        let relay = relay(server.addr(), &theirs, &cert.0).await;
        // The client trusts the relay's certificate (a corporate proxy, a stolen CA), so TLS
        // succeeds; the binding names the relay's certificate, which the server sees is not
        // its own.
        let victim = client(&relay, &[&theirs.0], "CONTOSO\\alice", "alice-pw", true);
        let e = create(&victim, "relayed").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth, "{protection}: {e}");
        assert!(subjects(&server, "alice@contoso.com").is_empty());
        // Straight to the server, the same client settings work.
        let direct = client(
            &server.url(),
            &[&cert.0],
            "CONTOSO\\alice",
            "alice-pw",
            true,
        );
        create(&direct, "direct").await.unwrap();
    }
}
