//! TLS for tests: self-signed certificates, and a relay that terminates TLS with its own
//! certificate and opens its own TLS connection to the server (a man in the middle).

use std::net::SocketAddr;
use std::sync::Arc;

/// A self-signed certificate for 127.0.0.1 and localhost and its key, PEM.
pub fn certificate() -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// Starts a relay presenting `cert` (PEM certificate and key) that forwards each connection
/// to `upstream` over TLS, trusting `upstream_ca`. Returns its EWS URL.
pub async fn relay(upstream: SocketAddr, cert: &(String, String), upstream_ca: &str) -> String {
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
    for c in CertificateDer::pem_slice_iter(upstream_ca.as_bytes()) {
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
