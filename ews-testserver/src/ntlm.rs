//! NTLMv2 as IIS accepts it: a challenge on the Negotiate message, the Authenticate message
//! checked against the account's password, and Extended Protection's channel binding
//! (`MsvAvChannelBindings`, MS-NLMP 2.2.2.1) checked inside the response's HMAC.

use hmac::{Hmac, Mac};
use md5::Md5;

use crate::config::ExtendedProtection;

/// A fresh challenge and the Challenge message that carries it (base64).
pub(crate) fn challenge(domain: &str) -> ([u8; 8], String) {
    use base64::Engine;
    let mut nonce = [0u8; 8];
    for b in &mut nonce {
        *b = fastrand::u8(..);
    }
    let msg = ntlmclient::Message::Challenge(ntlmclient::ChallengeMessage {
        target_name: domain.to_owned(),
        flags: ntlmclient::Flags::NEGOTIATE_UNICODE
            | ntlmclient::Flags::NEGOTIATE_NTLM
            | ntlmclient::Flags::REQUEST_TARGET
            | ntlmclient::Flags::NEGOTIATE_TARGET_INFO,
        challenge: nonce,
        context: (0, 0),
        target_information: vec![
            ntlmclient::TargetInfoEntry::from_string(ntlmclient::TargetInfoType::NtDomain, domain),
            ntlmclient::TargetInfoEntry::from_string(
                ntlmclient::TargetInfoType::NtServer,
                "EWS-TESTSERVER",
            ),
            ntlmclient::TargetInfoEntry {
                entry_type: ntlmclient::TargetInfoType::Terminator,
                data: Vec::new(),
            },
        ],
        os_version: Default::default(),
    });
    let bytes = msg.to_bytes().expect("a challenge of fixed fields encodes");
    (
        nonce,
        base64::engine::general_purpose::STANDARD.encode(bytes),
    )
}

/// Why an Authenticate message was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not an NTLMv2 response, an unknown user or a wrong password.
    BadResponse,
    /// Extended Protection requires a binding and the response carries none.
    BindingMissing,
    /// The binding is not this server's certificate's (a relay through another TLS endpoint).
    BindingMismatch,
}

/// The user and domain an Authenticate message names.
pub(crate) fn names(msg: &ntlmclient::AuthenticateMessage) -> (&str, &str) {
    (&msg.user_name, &msg.domain_name)
}

/// Checks an NTLMv2 response to `nonce` with `password`, then the channel binding:
/// `expected` is the MD5 of this connection's channel-bindings structure (`None` on plain
/// HTTP, where nothing is checked).
pub(crate) fn verify(
    msg: &ntlmclient::AuthenticateMessage,
    nonce: [u8; 8],
    password: &str,
    expected: Option<[u8; 16]>,
    protection: ExtendedProtection,
) -> Result<(), Refusal> {
    let response = &msg.ntlm_response;
    // NTProofStr (16), then the blob: version 1.1, reserved, time, client nonce, reserved,
    // the AV pairs.
    if response.len() < 16 + 28 || response[16] != 1 || response[17] != 1 {
        return Err(Refusal::BadResponse);
    }
    let (proof, blob) = response.split_at(16);
    let key = ntlmclient::ntlm_v2_password_func(&ntlmclient::Credentials {
        username: msg.user_name.clone(),
        password: password.to_owned(),
        domain: msg.domain_name.clone(),
    });
    let mut mac = <Hmac<Md5> as Mac>::new_from_slice(&key).expect("any key length");
    mac.update(&nonce);
    mac.update(blob);
    mac.verify_slice(proof).map_err(|_| Refusal::BadResponse)?;
    let Some(expected) = expected else {
        return Ok(());
    };
    let sent = av_pair(&blob[28..], 0x000A).filter(|b| b.iter().any(|&x| x != 0));
    match (protection, sent) {
        (ExtendedProtection::None, _) => Ok(()),
        (ExtendedProtection::Allow, None) => Ok(()),
        (ExtendedProtection::Require, None) => Err(Refusal::BindingMissing),
        (_, Some(b)) if b == expected.as_slice() => Ok(()),
        (_, Some(_)) => Err(Refusal::BindingMismatch),
    }
}

/// The value of the AV pair `id` in a list ended by `MsvAvEOL`.
fn av_pair(mut pairs: &[u8], id: u16) -> Option<&[u8]> {
    while pairs.len() >= 4 {
        let kind = u16::from_le_bytes([pairs[0], pairs[1]]);
        let len = u16::from_le_bytes([pairs[2], pairs[3]]) as usize;
        if kind == 0 {
            return None;
        }
        let value = pairs.get(4..4 + len)?;
        if kind == id {
            return Some(value);
        }
        pairs = &pairs[4 + len..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn respond(nonce: [u8; 8], password: &str, pairs: &[u8]) -> ntlmclient::AuthenticateMessage {
        let creds = ntlmclient::Credentials {
            username: "alice".into(),
            password: password.into(),
            domain: "CONTOSO".into(),
        };
        let r = ntlmclient::respond_challenge_ntlm_v2(nonce, pairs, 0, &creds);
        match r.to_message(&creds, "WS", ntlmclient::Flags::NEGOTIATE_UNICODE) {
            ntlmclient::Message::Authenticate(a) => a,
            _ => unreachable!(),
        }
    }

    #[test]
    fn passwords_and_bindings_are_checked() {
        let nonce = [7; 8];
        let binding = [9u8; 16];
        let mut bound = vec![0x0A, 0, 16, 0];
        bound.extend_from_slice(&binding);
        bound.extend_from_slice(&[0; 4]);
        let plain = [0u8; 4];
        let ok = respond(nonce, "pw", &bound);
        assert_eq!(
            verify(&ok, nonce, "pw", Some(binding), ExtendedProtection::Require),
            Ok(())
        );
        assert_eq!(
            verify(&ok, nonce, "other", Some(binding), ExtendedProtection::None),
            Err(Refusal::BadResponse)
        );
        assert_eq!(
            verify(&ok, [8; 8], "pw", None, ExtendedProtection::None),
            Err(Refusal::BadResponse)
        );
        assert_eq!(
            verify(&ok, nonce, "pw", Some([1; 16]), ExtendedProtection::Allow),
            Err(Refusal::BindingMismatch)
        );
        let unbound = respond(nonce, "pw", &plain);
        assert_eq!(
            verify(
                &unbound,
                nonce,
                "pw",
                Some(binding),
                ExtendedProtection::Allow
            ),
            Ok(())
        );
        assert_eq!(
            verify(
                &unbound,
                nonce,
                "pw",
                Some(binding),
                ExtendedProtection::Require
            ),
            Err(Refusal::BindingMissing)
        );
        assert_eq!(
            verify(&unbound, nonce, "pw", None, ExtendedProtection::Require),
            Ok(())
        );
    }
}
