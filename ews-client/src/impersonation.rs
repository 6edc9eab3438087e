//! Impersonation: a service account acting as a mailbox's owner.

use ews_types::headers::AcceptsExchangeImpersonation;
use ews_types::runtime::{Operation, ResponseBody};
use ews_types::t;
use http::HeaderValue;

use crate::affinity::AffinityGroup;
use crate::client::{Client, Response};
use crate::error::{Error, ErrorKind};

/// Who to impersonate: exactly one of the four `ConnectingSID` forms.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConnectingSid {
    /// The user principal name (`alice@corp.contoso.com`).
    PrincipalName(String),
    /// The security identifier (`S-1-5-21-…`).
    Sid(String),
    /// The primary SMTP address.
    PrimarySmtpAddress(String),
    /// Any SMTP address of the mailbox (Exchange resolves it).
    SmtpAddress(String),
}

impl ConnectingSid {
    /// By SMTP address.
    pub fn smtp(address: impl Into<String>) -> Self {
        ConnectingSid::SmtpAddress(address.into())
    }

    /// By primary SMTP address.
    pub fn primary_smtp(address: impl Into<String>) -> Self {
        ConnectingSid::PrimarySmtpAddress(address.into())
    }

    /// By user principal name.
    pub fn upn(upn: impl Into<String>) -> Self {
        ConnectingSid::PrincipalName(upn.into())
    }

    /// By security identifier.
    pub fn sid(sid: impl Into<String>) -> Self {
        ConnectingSid::Sid(sid.into())
    }

    /// The identifier's text.
    pub fn value(&self) -> &str {
        match self {
            ConnectingSid::PrincipalName(v)
            | ConnectingSid::Sid(v)
            | ConnectingSid::PrimarySmtpAddress(v)
            | ConnectingSid::SmtpAddress(v) => v,
        }
    }

    /// The SMTP address to anchor on, when the identifier is one.
    pub fn smtp_address(&self) -> Option<&str> {
        match self {
            ConnectingSid::PrimarySmtpAddress(v) | ConnectingSid::SmtpAddress(v) => Some(v),
            _ => None,
        }
    }

    /// Checks the identifier before it is sent.
    pub fn validate(&self) -> Result<(), Error> {
        let v = self.value();
        check_text("the impersonated identity", v)?;
        match self {
            ConnectingSid::Sid(s) => {
                let ok = s.starts_with("S-")
                    && s[2..]
                        .split('-')
                        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
                if !ok {
                    return Err(invalid(format!("{s:?} is not a SID (S-1-5-21-…)")));
                }
            }
            ConnectingSid::PrimarySmtpAddress(a) | ConnectingSid::SmtpAddress(a) => {
                check_address(a)?;
            }
            ConnectingSid::PrincipalName(_) => {}
        }
        Ok(())
    }

    /// The `ExchangeImpersonation` header element.
    pub fn to_header(&self) -> t::ExchangeImpersonation {
        let v = self.value().to_owned();
        let content = match self {
            ConnectingSid::PrincipalName(_) => {
                t::ConnectingSIDChoice::PrincipalName(t::PrincipalName { value: v.into() })
            }
            ConnectingSid::Sid(_) => t::ConnectingSIDChoice::SID(t::SID { value: v.into() }),
            ConnectingSid::PrimarySmtpAddress(_) => {
                t::ConnectingSIDChoice::PrimarySmtpAddress(t::PrimarySmtpAddress {
                    value: v.into(),
                })
            }
            ConnectingSid::SmtpAddress(_) => {
                t::ConnectingSIDChoice::SmtpAddress(t::SmtpAddress { value: v.into() })
            }
        };
        t::ExchangeImpersonation {
            connecting_sid: t::ConnectingSID { content },
        }
    }
}

fn invalid(msg: String) -> Error {
    Error::new(ErrorKind::InvalidInput, msg)
}

/// Rejects empty strings and control characters (CR and LF included).
pub(crate) fn check_text(what: &str, v: &str) -> Result<(), Error> {
    if v.trim().is_empty() {
        return Err(invalid(format!("{what} is empty")));
    }
    if v.chars().any(char::is_control) {
        return Err(invalid(format!("{what} contains control characters")));
    }
    Ok(())
}

/// A plausible SMTP address: one `@` with text on both sides, no control characters.
pub(crate) fn check_address(a: &str) -> Result<(), Error> {
    check_text("the mailbox address", a)?;
    match a.rsplit_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => Ok(()),
        _ => Err(invalid(format!("{a:?} is not an SMTP address"))),
    }
}

/// An `X-AnchorMailbox` value: ASCII (Exchange routes on the SMTP address; an internationalized
/// address needs its ASCII alias), a valid header value.
pub(crate) fn anchor_value(smtp: &str) -> Result<HeaderValue, Error> {
    check_address(smtp)?;
    if !smtp.is_ascii() {
        return Err(invalid(format!(
            "X-AnchorMailbox needs an ASCII SMTP address; {smtp:?} is not (use the mailbox's \
             ASCII alias)"
        )));
    }
    HeaderValue::from_str(smtp)
        .map_err(|_| invalid(format!("{smtp:?} is not a valid X-AnchorMailbox value")))
}

/// Impersonation: a service account acting as a mailbox's owner.
///
/// [`Client::impersonate`] returns an [`Impersonated`] client that shares the transport and adds
/// to every request the `ExchangeImpersonation` SOAP header (with exactly one `ConnectingSID`
/// form, as the schema's choice says) and `X-AnchorMailbox` (which Exchange needs to route the
/// request to the target's mailbox server). It only sends operations whose WSDL binding accepts
/// the impersonation header:
///
/// ```compile_fail
/// # async fn f(c: ews_client::Client) {
/// let as_alice = c.impersonate(ews_client::ConnectingSid::smtp("alice@contoso.com")).unwrap();
/// // GetServerTimeZones' binding takes no ExchangeImpersonation header: a compile error.
/// as_alice.send(&ews_types::m::GetServerTimeZones::default()).await;
/// # }
/// ```
///
/// Each impersonated mailbox is its own throttling identity (Exchange 2010 SP2 RU4 and later
/// budget the impersonated user, not the service account), with its own concurrency limit and
/// back-off pauses.
#[derive(Clone, Debug)]
pub struct Impersonated {
    client: Client,
    id: ConnectingSid,
    anchor: String,
}

impl Client {
    /// A client that impersonates `id`, anchored on its SMTP address. A UPN or SID has no SMTP
    /// address to anchor on: use [`Client::impersonate_anchored`].
    pub fn impersonate(&self, id: ConnectingSid) -> Result<Impersonated, Error> {
        let Some(anchor) = id.smtp_address().map(str::to_owned) else {
            return Err(invalid(
                "impersonation by UPN or SID needs an SMTP anchor: use impersonate_anchored".into(),
            ));
        };
        self.impersonate_anchored(id, &anchor)
    }

    /// A client that impersonates `id`, with `X-AnchorMailbox` set to `anchor_smtp`.
    pub fn impersonate_anchored(
        &self,
        id: ConnectingSid,
        anchor_smtp: &str,
    ) -> Result<Impersonated, Error> {
        id.validate()?;
        let anchor = anchor_value(anchor_smtp)?;
        let client = self.impersonating(id.to_header(), anchor_smtp, anchor);
        Ok(Impersonated {
            client,
            id,
            anchor: anchor_smtp.to_owned(),
        })
    }
}

impl Impersonated {
    /// This impersonated client, with its requests in `group` (affinity headers and cookie).
    pub fn with_affinity(&self, group: &AffinityGroup) -> Impersonated {
        Impersonated {
            client: self.client.in_affinity_group(group),
            ..self.clone()
        }
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The impersonated identity.
    pub fn id(&self) -> &ConnectingSid {
        &self.id
    }

    /// The `X-AnchorMailbox` value.
    pub fn anchor(&self) -> &str {
        &self.anchor
    }

    /// The current concurrency limit of this mailbox's identity.
    pub fn concurrency_limit(&self) -> usize {
        self.client.concurrency_limit()
    }

    /// [`Client::send`], as the impersonated user.
    pub async fn send<O>(&self, request: &O) -> Result<O::Response, Error>
    where
        O: Operation + AcceptsExchangeImpersonation,
    {
        self.client.send(request).await
    }

    /// [`Client::send_batch`], as the impersonated user.
    pub async fn send_batch<O>(
        &self,
        request: &O,
        expected: usize,
    ) -> Result<Vec<Result<<O::Response as ResponseBody>::Message, Error>>, Error>
    where
        O: Operation + AcceptsExchangeImpersonation,
    {
        self.client.send_batch(request, expected).await
    }

    /// [`Client::send_raw`], as the impersonated user.
    pub async fn send_raw<O>(&self, request: &O) -> Result<Response<O::Response>, Error>
    where
        O: Operation + AcceptsExchangeImpersonation,
    {
        self.client.send_raw(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_validated() {
        assert!(ConnectingSid::smtp("a@b.com").validate().is_ok());
        assert!(
            ConnectingSid::sid("S-1-5-21-1004336348-1177238915-682003330-512")
                .validate()
                .is_ok()
        );
        for bad in [
            ConnectingSid::smtp(""),
            ConnectingSid::smtp("no-at-sign"),
            ConnectingSid::smtp("v@x.com\r\nX-Evil: 1"),
            ConnectingSid::upn("a\u{0}b"),
            ConnectingSid::sid("S-1-5-x"),
        ] {
            let e = bad.validate().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}");
        }
    }

    #[test]
    fn anchors_must_be_ascii_header_values() {
        assert!(anchor_value("alice@contoso.com").is_ok());
        assert!(anchor_value("v@x.com\r\nX-Evil: 1").is_err());
        let e = anchor_value("jörg@bücher.de").unwrap_err();
        assert!(e.to_string().contains("ASCII"), "{e}");
    }
}
