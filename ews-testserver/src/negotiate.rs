//! Negotiate (SPNEGO with Kerberos) as IIS accepts it, through GSS-API (MIT krb5, feature
//! `kerberos`): the service key comes from the keytab `KRB5_KTNAME` names, as for any MIT
//! service. The acceptor's answer token goes back with the response (mutual authentication),
//! and Extended Protection compares the client's channel bindings with this connection's.

use libgssapi::context::{SecurityContext, ServerCtx};
use libgssapi::credential::{Cred, CredUsage};

use crate::config::ExtendedProtection;

/// `GSS_C_CHANNEL_BOUND_FLAG` (MIT krb5 1.19 and later): the initiator's channel bindings were
/// present and matched the acceptor's.
const CHANNEL_BOUND: u32 = 0x800;

/// The result of one Negotiate token.
pub(crate) enum Step {
    /// Signed in as this principal (`alice@REALM`), with the token for the client.
    Done(String, Option<Vec<u8>>),
    /// Another round trip: the token for the client, and the context to continue.
    More(Vec<u8>, Box<ServerCtx>),
}

/// Accepts a client token, continuing `ctx` if one is under way. `application_data` is this
/// connection's `tls-server-end-point` binding (TLS only).
pub(crate) fn accept(
    ctx: Option<Box<ServerCtx>>,
    token: &[u8],
    application_data: Option<&[u8]>,
    protection: ExtendedProtection,
) -> Result<Step, String> {
    let mut ctx = match ctx {
        Some(c) => c,
        None => {
            let cred = Cred::acquire(None, None, CredUsage::Accept, None)
                .map_err(|e| format!("no service key (KRB5_KTNAME): {e}"))?;
            Box::new(ServerCtx::new(Some(cred)))
        }
    };
    let bindings = match protection {
        ExtendedProtection::None => None,
        _ => application_data,
    };
    let out = ctx.step(token, bindings).map_err(|e| e.to_string())?;
    if !ctx.is_complete() {
        let out = out.ok_or("the Kerberos exchange stalled")?;
        return Ok(Step::More(out.to_vec(), ctx));
    }
    if protection == ExtendedProtection::Require && application_data.is_some() {
        let flags = ctx.flags().map_err(|e| e.to_string())?;
        if flags.bits() & CHANNEL_BOUND == 0 {
            return Err(
                "Extended Protection requires channel bindings; the client sent none".into(),
            );
        }
    }
    let who = ctx.source_name().map_err(|e| e.to_string())?.to_string();
    Ok(Step::Done(who, out.map(|b| b.to_vec())))
}
