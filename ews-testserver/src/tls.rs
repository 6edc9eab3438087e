//! HTTPS: the acceptor built from `[tls]`, and the channel binding its certificate gives
//! (RFC 5929 `tls-server-end-point`), which Extended Protection compares with the one a
//! client put in its sign-in.

use std::sync::Arc;

use md5::Digest;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::TlsConfig;

/// What serving TLS needs.
pub(crate) struct Tls {
    pub acceptor: tokio_rustls::TlsAcceptor,
    /// `tls-server-end-point:` and the hash of the server's certificate.
    pub application_data: Vec<u8>,
}

impl Tls {
    /// The MD5 of the GSS-API channel-bindings structure, as NTLM carries it.
    pub fn ntlm_binding(&self) -> [u8; 16] {
        let mut s = vec![0u8; 16];
        s.extend_from_slice(&(self.application_data.len() as u32).to_le_bytes());
        s.extend_from_slice(&self.application_data);
        md5::Md5::digest(&s).into()
    }
}

/// PEM text as given, or read from the file it names.
fn pem(value: &str, what: &str) -> Result<Vec<u8>, crate::Error> {
    if value.trim_start().starts_with("-----BEGIN") {
        return Ok(value.as_bytes().to_vec());
    }
    std::fs::read(value).map_err(|e| crate::Error::Config(format!("[tls] {what} {value}: {e}")))
}

pub(crate) fn load(cfg: &TlsConfig) -> Result<Tls, crate::Error> {
    let bad = |what: &str| crate::Error::Config(format!("[tls] {what} is not usable PEM"));
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(&pem(&cfg.cert, "cert")?)
            .collect::<Result<_, _>>()
            .map_err(|_| bad("cert"))?;
    let first = certs.first().ok_or_else(|| bad("cert"))?;
    let application_data = end_point(first).map_err(crate::Error::Config)?;
    let key = PrivateKeyDer::from_pem_slice(&pem(&cfg.key, "key")?).map_err(|_| bad("key"))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| crate::Error::Config(format!("[tls] {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| crate::Error::Config(format!("[tls] {e}")))?;
    Ok(Tls {
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        application_data,
    })
}

/// `tls-server-end-point:` and the certificate's hash, with the hash function RFC 5929 section
/// 4.1 picks from the signature algorithm.
fn end_point(cert: &CertificateDer<'_>) -> Result<Vec<u8>, String> {
    use x509_parser::prelude::FromDer;
    let (_, parsed) = x509_parser::certificate::X509Certificate::from_der(cert)
        .map_err(|e| format!("[tls] cert: {e}"))?;
    let oid = parsed.signature_algorithm.algorithm.to_id_string();
    let hash = if oid == "1.2.840.113549.1.1.12" || oid == "1.2.840.10045.4.3.3" {
        sha2::Sha384::digest(cert).to_vec() // sha384WithRSA, ecdsa-with-SHA384
    } else if oid == "1.2.840.113549.1.1.13" || oid == "1.2.840.10045.4.3.4" {
        sha2::Sha512::digest(cert).to_vec() // sha512WithRSA, ecdsa-with-SHA512
    } else {
        sha2::Sha256::digest(cert).to_vec() // SHA-256, and MD5/SHA-1 upgraded to it
    };
    let mut data = b"tls-server-end-point:".to_vec();
    data.extend_from_slice(&hash);
    Ok(data)
}
