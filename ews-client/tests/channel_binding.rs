//! Extended Protection for Authentication: NTLM over TLS against ews-testserver with
//! `extended_protection = "require"` and `"allow"`, as IIS checks it in front of Exchange 2019
//! CU14 and later. The client binds its sign-in to the server's certificate (RFC 5929
//! `tls-server-end-point`, NTLM's `MsvAvChannelBindings`); a client that sends no binding is
//! refused under `Require`, and a relay through a TLS endpoint with another certificate (a man
//! in the middle) is refused under both.

mod support;

use std::sync::Arc;

use ews_client::{Client, Credentials, ErrorKind};
use ews_types::t::DistinguishedFolderIdName as F;
use support::*;

/// A certificate for 127.0.0.1 and its key, PEM.
fn certificate() -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

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
        .filter_map(|(_, i)| i.base().subject().clone())
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
        let relay = relay(&server, &theirs, &cert.0).await;
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

/// A man in the middle: terminates TLS with `cert` and opens its own TLS connection to the
/// server (trusting `server_ca`), relaying bytes both ways. Returns its EWS URL.
async fn relay(
    server: &ews_testserver::TestServer,
    cert: &(String, String),
    server_ca: &str,
) -> String {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let certs: Vec<CertificateDer> = CertificateDer::pem_slice_iter(cert.0.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(cert.1.as_bytes()).unwrap();
    let accept = tokio_rustls::TlsAcceptor::from(Arc::new(
        rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
    ));
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(server_ca.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let connect = tokio_rustls::TlsConnector::from(Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://{}/EWS/Exchange.asmx",
        listener.local_addr().unwrap()
    );
    let upstream = server.addr();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let (accept, connect) = (accept.clone(), connect.clone());
            tokio::spawn(async move {
                let Ok(mut down) = accept.accept(sock).await else {
                    return;
                };
                let tcp = tokio::net::TcpStream::connect(upstream).await.unwrap();
                let name = ServerName::try_from("127.0.0.1").unwrap();
                let mut up = connect.connect(name, tcp).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
            });
        }
    });
    url
}
