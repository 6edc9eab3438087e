//! Negotiate with Kerberos (SPNEGO, RFC 4559) through GSS-API: MIT krb5 on Linux, through the
//! `libgssapi` crate (feature `kerberos`). A [`ConnectionAuth`] of one leg: the first token
//! carries the service ticket, bound to the TLS channel; the server's answer carries its own
//! token, which must prove the server's identity (mutual authentication), or the answer is
//! refused.
//!
//! Tickets come from the credentials cache as `kinit` left it (`KRB5CCNAME`, a `DIR:` or
//! `KCM:` collection for several principals); the KDC is found through `krb5.conf`
//! (`KRB5_CONFIG`). Getting a service ticket talks to the KDC synchronously, once per new
//! connection.

use libgssapi::context::{ClientCtx, CtxFlags, SecurityContext};
use libgssapi::credential::{Cred, CredUsage};
use libgssapi::name::Name;
use libgssapi::oid::{GSS_MECH_KRB5, GSS_MECH_SPNEGO, GSS_NT_KRB5_PRINCIPAL, OidSet};

use crate::auth::{ChannelBinding, ConnectionAuth, Credentials, Handshake, Token};
use crate::error::{Error, ErrorKind};

/// Who signs in with Kerberos, and to which service.
#[derive(Debug, Clone, Default)]
pub struct Kerberos {
    principal: Option<String>,
    spn: Option<String>,
}

impl Kerberos {
    /// The credentials cache's default principal, to `HTTP/<endpoint host>`.
    pub fn new() -> Self {
        Kerberos::default()
    }

    /// Sign in as this principal (`alice@CONTOSO.COM`), whose ticket must be in the
    /// credentials cache (collection); by default the cache's default principal.
    pub fn principal(mut self, principal: impl Into<String>) -> Self {
        self.principal = Some(principal.into());
        self
    }

    /// The service principal name of the Exchange server (`HTTP/mail.contoso.com`); by
    /// default `HTTP/` and the endpoint's host name. Set it when clients reach Exchange through
    /// a load-balanced name registered on an alternate service account.
    pub fn spn(mut self, spn: impl Into<String>) -> Self {
        self.spn = Some(spn.into());
        self
    }
}

impl Credentials {
    /// Negotiate/Kerberos (IIS Windows authentication without NTLM), with the tickets of the
    /// credentials cache. Like NTLM, each connection is signed in once and never carries
    /// another identity's requests; sign-ins over TLS are bound to the channel.
    pub fn kerberos(options: Kerberos) -> Self {
        Credentials::connection(options)
    }
}

impl ConnectionAuth for Kerberos {
    fn scheme(&self) -> &'static str {
        "Negotiate"
    }

    fn identity(&self) -> String {
        format!(
            "kerberos:{}",
            self.principal.as_deref().unwrap_or("(default principal)")
        )
    }

    fn handshake(&self, host: &str) -> Result<Box<dyn Handshake>, Error> {
        Ok(Box::new(KerberosHandshake {
            principal: self.principal.clone(),
            spn: self.spn.clone().unwrap_or_else(|| format!("HTTP/{host}")),
            ctx: None,
            binding: None,
        }))
    }

    fn binds_first_token(&self) -> bool {
        true
    }
}

struct KerberosHandshake {
    principal: Option<String>,
    spn: String,
    ctx: Option<ClientCtx>,
    /// The GSS-API channel bindings (`tls-server-end-point`), on TLS connections.
    binding: Option<Vec<u8>>,
}

impl KerberosHandshake {
    fn fail(&self, what: &str, e: libgssapi::error::Error) -> Error {
        let text = e.to_string();
        let hint = if text.contains("expired") {
            "; the ticket has expired: run kinit again"
        } else if text.contains("No Kerberos credentials")
            || text.contains("not found in Kerberos credential cache")
            || text.contains("No credentials")
        {
            "; no ticket for this principal in the credentials cache: run kinit"
        } else if text.contains("not found in Kerberos database") {
            "; the KDC does not know this service principal name: check the SPN"
        } else {
            ""
        };
        Error::new(
            ErrorKind::Auth,
            format!("Kerberos {what} for {}: {text}{hint}", self.spn),
        )
    }

    fn start(&mut self) -> Result<ClientCtx, Error> {
        // SPNEGO carrying Kerberos: the credential must be for both, or SPNEGO acquires a
        // default one of its own (another principal's, from the collection's primary cache).
        let mut mechs = OidSet::new();
        mechs
            .add(GSS_MECH_SPNEGO)
            .and_then(|()| mechs.add(GSS_MECH_KRB5))
            .map_err(|e| self.fail("set-up of the mechanism", e))?;
        let name = match &self.principal {
            Some(p) => Some(
                Name::new(p.as_bytes(), Some(GSS_NT_KRB5_PRINCIPAL))
                    .map_err(|e| self.fail("principal name", e))?,
            ),
            None => None,
        };
        let cred = Cred::acquire(name.as_ref(), None, CredUsage::Initiate, Some(&mechs))
            .map_err(|e| self.fail("credentials", e))?;
        let target = Name::new(self.spn.as_bytes(), Some(GSS_NT_KRB5_PRINCIPAL))
            .map_err(|e| self.fail("service name", e))?;
        Ok(ClientCtx::new(
            Some(cred),
            target,
            CtxFlags::GSS_C_MUTUAL_FLAG | CtxFlags::GSS_C_INTEG_FLAG,
            Some(GSS_MECH_SPNEGO),
        ))
    }
}

impl Handshake for KerberosHandshake {
    fn bind(&mut self, channel: &ChannelBinding) {
        self.binding = Some(channel.application_data().to_vec());
    }

    fn next(&mut self, server: Option<&[u8]>) -> Result<Token, Error> {
        if server.is_some() || self.ctx.is_some() {
            return Err(Error::new(
                ErrorKind::Auth,
                format!(
                    "the server asked for another Kerberos round trip for {}, which a Kerberos sign-in does not have",
                    self.spn
                ),
            ));
        }
        let mut ctx = self.start()?;
        let token = ctx
            .step(None, self.binding.as_deref())
            .map_err(|e| self.fail("service ticket", e))?
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Auth,
                    "GSS-API produced no Kerberos token to send",
                )
            })?;
        let bytes = token.to_vec();
        self.ctx = Some(ctx);
        Ok(Token { bytes, last: true })
    }

    fn verify(&mut self, server: Option<&[u8]>) -> Result<(), Error> {
        let spn = self.spn.clone();
        let Some(ctx) = self.ctx.as_mut() else {
            return Err(Error::new(ErrorKind::Auth, "no Kerberos sign-in under way"));
        };
        if ctx.is_complete() {
            return Ok(());
        }
        let Some(token) = server else {
            return Err(Error::new(
                ErrorKind::Auth,
                format!(
                    "the server did not prove that it is {spn} (no Kerberos answer to mutual authentication)"
                ),
            ));
        };
        let binding = self.binding.clone();
        let step = ctx.step(Some(token), binding.as_deref());
        match step {
            Ok(None) if ctx.is_complete() => Ok(()),
            Ok(_) => Err(Error::new(
                ErrorKind::Auth,
                format!(
                    "the server's Kerberos answer did not complete mutual authentication with {spn}"
                ),
            )),
            Err(e) => Err(self.fail("mutual authentication", e)),
        }
    }
}
