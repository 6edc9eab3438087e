//! NTLM for on-premises Exchange (IIS Windows authentication), through the `ntlmclient`
//! crate: a [`ConnectionAuth`] of two round trips (Negotiate → Challenge → Authenticate), run
//! on each connection by the session transport.

use secrecy::{ExposeSecret, SecretString};

use crate::auth::{ChannelBinding, ConnectionAuth, Credentials, Handshake, Token};
use crate::error::{Error, ErrorKind};

/// NTLM user, password, domain and workstation name.
pub(crate) struct NtlmAuth {
    user: String,
    password: SecretString,
    domain: String,
    workstation: String,
}

impl std::fmt::Debug for NtlmAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ntlm")
            .field("domain", &self.domain)
            .field("user", &self.user)
            .field("password", &"[REDACTED]")
            .finish()
    }
}

impl Credentials {
    /// NTLM, for on-premises Exchange (IIS Windows authentication). `user` may be
    /// `DOMAIN\\user` or a UPN (`user@contoso.com`). The client then speaks HTTP/1.1 and keeps
    /// one authenticated connection per concurrent request slot, never shared with other
    /// credentials.
    pub fn ntlm(user: impl Into<String>, password: impl Into<String>) -> Self {
        let user = user.into();
        let (domain, user) = match user.split_once('\\') {
            Some((d, u)) => (d.to_owned(), u.to_owned()),
            None => (String::new(), user),
        };
        Credentials::connection(NtlmAuth {
            user,
            password: SecretString::from(password.into()),
            domain,
            workstation: "EWS-CLIENT".into(),
        })
    }
}

impl ConnectionAuth for NtlmAuth {
    fn scheme(&self) -> &'static str {
        "NTLM"
    }

    fn identity(&self) -> String {
        format!("ntlm:{}\\{}", self.domain, self.user)
    }

    fn handshake(&self, _host: &str) -> Result<Box<dyn Handshake>, Error> {
        Ok(Box::new(NtlmHandshake {
            creds: ntlmclient::Credentials {
                username: self.user.clone(),
                password: self.password.expose_secret().to_owned(),
                domain: self.domain.clone(),
            },
            workstation: self.workstation.clone(),
            channel: None,
        }))
    }
}

struct NtlmHandshake {
    creds: ntlmclient::Credentials,
    workstation: String,
    channel: Option<[u8; 16]>,
}

impl Handshake for NtlmHandshake {
    fn bind(&mut self, channel: &ChannelBinding) {
        self.channel = Some(channel.ntlm_hash());
    }

    fn next(&mut self, server: Option<&[u8]>) -> Result<Token, Error> {
        let Some(challenge) = server else {
            let negotiate = ntlmclient::Message::Negotiate(ntlmclient::NegotiateMessage {
                flags: ntlmclient::Flags::NEGOTIATE_UNICODE
                    | ntlmclient::Flags::REQUEST_TARGET
                    | ntlmclient::Flags::NEGOTIATE_NTLM
                    | ntlmclient::Flags::NEGOTIATE_WORKSTATION_SUPPLIED,
                supplied_domain: String::new(),
                supplied_workstation: self.workstation.clone(),
                os_version: Default::default(),
            });
            return Ok(Token {
                bytes: encode(&negotiate)?,
                last: false,
            });
        };
        let challenge = match ntlmclient::Message::try_from(challenge) {
            Ok(ntlmclient::Message::Challenge(c)) => c,
            _ => {
                return Err(Error::new(
                    ErrorKind::Auth,
                    "the server's NTLM challenge could not be read",
                ));
            }
        };
        let target_info = target_info(&challenge.target_information, self.channel);
        let response = ntlmclient::respond_challenge_ntlm_v2(
            challenge.challenge,
            &target_info,
            ntlmclient::get_ntlm_time(),
            &self.creds,
        );
        let authenticate = response.to_message(
            &self.creds,
            &self.workstation,
            ntlmclient::Flags::NEGOTIATE_UNICODE | ntlmclient::Flags::NEGOTIATE_NTLM,
        );
        Ok(Token {
            bytes: encode(&authenticate)?,
            last: true,
        })
    }
}

/// The AV pairs the client's NTLMv2 response carries: the server's, then
/// `MsvAvChannelBindings` when the connection is bound, then `MsvAvEOL` (MS-NLMP 2.2.2.1, 3.1.5.1.2).
/// They sit inside the HMAC of the response, so a relay cannot strip or change the binding.
fn target_info(server: &[ntlmclient::TargetInfoEntry], channel: Option<[u8; 16]>) -> Vec<u8> {
    use ntlmclient::{TargetInfoEntry, TargetInfoType};
    let mut out: Vec<u8> = server
        .iter()
        .filter(|e| {
            !matches!(
                e.entry_type,
                TargetInfoType::Terminator | TargetInfoType::ChannelBindings
            )
        })
        .flat_map(|e| e.to_bytes())
        .collect();
    if let Some(hash) = channel {
        out.extend(
            TargetInfoEntry {
                entry_type: TargetInfoType::ChannelBindings,
                data: hash.to_vec(),
            }
            .to_bytes(),
        );
    }
    out.extend_from_slice(&[0; 4]); // MsvAvEOL
    out
}

fn encode(m: &ntlmclient::Message) -> Result<Vec<u8>, Error> {
    m.to_bytes()
        .map_err(|_| Error::new(ErrorKind::InvalidInput, "cannot encode an NTLM message"))
}
