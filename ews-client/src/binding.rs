//! Channel binding (Extended Protection for Authentication): ties a connection-bound sign-in
//! to the TLS connection it runs on, so that a man in the middle who terminates TLS with
//! another certificate cannot relay it.
//!
//! The binding is RFC 5929's `tls-server-end-point`: a hash of the server's certificate, with
//! the hash function of the certificate's signature (SHA-256 for MD5 and SHA-1). NTLM carries
//! the MD5 of the GSS-API channel-bindings structure holding it (the `MsvAvChannelBindings`
//! AV pair, MS-NLMP 2.2.2.1); Kerberos hands the structure to GSS-API. IIS checks it when the
//! virtual directory's Extended Protection is `Allow` or `Require`, the default since Exchange
//! 2019 CU14.

use md5::Digest;

use crate::error::{Error, ErrorKind};

/// The `tls-server-end-point` binding of one TLS connection.
#[derive(Clone, PartialEq, Eq)]
pub struct ChannelBinding {
    /// `tls-server-end-point:` followed by the certificate's hash.
    application_data: Vec<u8>,
}

impl std::fmt::Debug for ChannelBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelBinding")
            .field("hash_len", &(self.application_data.len() - PREFIX.len()))
            .finish()
    }
}

const PREFIX: &[u8] = b"tls-server-end-point:";

/// The hash RFC 5929 section 4.1 prescribes for a signature algorithm OID.
fn hash_for(oid: &str) -> Option<HashKind> {
    Some(match oid {
        // md5WithRSA, sha1WithRSA, ecdsa-with-SHA1, dsa-with-sha1: upgraded to SHA-256.
        "1.2.840.113549.1.1.4"
        | "1.2.840.113549.1.1.5"
        | "1.2.840.10045.4.1"
        | "1.2.840.10040.4.3" => HashKind::Sha256,
        // sha256WithRSA, ecdsa-with-SHA256, dsa-with-sha256.
        "1.2.840.113549.1.1.11" | "1.2.840.10045.4.3.2" | "2.16.840.1.101.3.4.3.2" => {
            HashKind::Sha256
        }
        // sha384WithRSA, ecdsa-with-SHA384.
        "1.2.840.113549.1.1.12" | "1.2.840.10045.4.3.3" => HashKind::Sha384,
        // sha512WithRSA, ecdsa-with-SHA512.
        "1.2.840.113549.1.1.13" | "1.2.840.10045.4.3.4" => HashKind::Sha512,
        // RSASSA-PSS names its hash in its parameters; Windows (SChannel) hashes with
        // SHA-256 whatever they say, and so does every client Exchange is tested with.
        "1.2.840.113549.1.1.10" => HashKind::Sha256,
        // Ed25519/Ed448 have no hash of their own; Windows uses SHA-256.
        "1.3.101.112" | "1.3.101.113" => HashKind::Sha256,
        _ => return None,
    })
}

#[derive(Clone, Copy)]
enum HashKind {
    Sha256,
    Sha384,
    Sha512,
}

impl ChannelBinding {
    /// The binding of a connection whose server presented `certificate` (DER).
    pub fn tls_server_end_point(certificate: &[u8]) -> Result<Self, Error> {
        use x509_parser::prelude::FromDer;
        let (_, cert) =
            x509_parser::certificate::X509Certificate::from_der(certificate).map_err(|_| {
                Error::new(
                    ErrorKind::Tls,
                    "the server's TLS certificate could not be read for channel binding",
                )
            })?;
        let oid = cert.signature_algorithm.algorithm.to_id_string();
        let kind = hash_for(&oid).ok_or_else(|| {
            Error::new(
                ErrorKind::Tls,
                format!(
                    "the server's certificate is signed with {oid}, for which RFC 5929 defines no channel binding"
                ),
            )
        })?;
        let hash: Vec<u8> = match kind {
            HashKind::Sha256 => sha2::Sha256::digest(certificate).to_vec(),
            HashKind::Sha384 => sha2::Sha384::digest(certificate).to_vec(),
            HashKind::Sha512 => sha2::Sha512::digest(certificate).to_vec(),
        };
        let mut application_data = PREFIX.to_vec();
        application_data.extend_from_slice(&hash);
        Ok(ChannelBinding { application_data })
    }

    /// The application data of the GSS-API channel bindings (`tls-server-end-point:` and the
    /// hash), as Kerberos takes it.
    pub fn application_data(&self) -> &[u8] {
        &self.application_data
    }

    /// The GSS-API `gss_channel_bindings_struct` as Windows serializes it: no initiator or
    /// acceptor address, then the application data, each length little-endian.
    pub fn gss_bindings(&self) -> Vec<u8> {
        let mut s = Vec::with_capacity(20 + self.application_data.len());
        s.extend_from_slice(&[0; 16]); // initiator and acceptor: address type 0, no address
        s.extend_from_slice(&(self.application_data.len() as u32).to_le_bytes());
        s.extend_from_slice(&self.application_data);
        s
    }

    /// The value of NTLM's `MsvAvChannelBindings`: the MD5 of [`Self::gss_bindings`].
    pub fn ntlm_hash(&self) -> [u8; 16] {
        md5::Md5::digest(self.gss_bindings()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_follows_the_signature_algorithm() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["mail.contoso.com".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let b = ChannelBinding::tls_server_end_point(cert.der()).unwrap();
        assert_eq!(b.application_data().len(), PREFIX.len() + 48);
        assert_eq!(
            &b.application_data()[PREFIX.len()..],
            sha2::Sha384::digest(cert.der()).as_slice()
        );
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let other = rcgen::CertificateParams::new(vec!["mail.contoso.com".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let c = ChannelBinding::tls_server_end_point(other.der()).unwrap();
        assert_eq!(c.application_data().len(), PREFIX.len() + 32);
        assert_ne!(b.ntlm_hash(), c.ntlm_hash());
        assert!(!format!("{b:?}").contains("tls-server"));
    }

    #[test]
    fn the_ntlm_value_is_the_md5_of_the_gss_structure() {
        let b = ChannelBinding {
            application_data: b"tls-server-end-point:abc".to_vec(),
        };
        let s = b.gss_bindings();
        assert_eq!(&s[..16], &[0; 16]);
        assert_eq!(&s[16..20], &24u32.to_le_bytes());
        assert_eq!(b.ntlm_hash(), <[u8; 16]>::from(md5::Md5::digest(&s)));
        assert!(ChannelBinding::tls_server_end_point(b"not a certificate").is_err());
    }
}
