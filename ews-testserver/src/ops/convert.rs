//! ConvertId: an item or folder id from one format into another.
//!
//! Every format here encodes the same bytes, the store's key of the object (what an EWS id of
//! this server decodes to), so any format converts into any other and back:
//!
//! | format | how the key is written |
//! |---|---|
//! | `EwsId` | base64 of the key (the id every other operation takes) |
//! | `EwsLegacyId` | base64 of `L` + the key (Exchange 2007's form; other operations refuse it, as Exchange refuses a legacy id under a 2010+ request version) |
//! | `EntryId` | base64 of a MAPI-style entry id: four flag bytes (zero) + the key |
//! | `HexEntryId` | that entry id in upper-case hexadecimal |
//! | `StoreId` | base64 of `S` + the key |
//! | `OwaId` | base64 of `F`, four zero bytes and the key, URL-encoded (so it starts `RgAAAA`, as Outlook on the web's ids do) |
//!
//! An id that does not decode in its stated format is `ErrorInvalidIdMalformed`; a `Mailbox`
//! no mailbox of the organisation has is `ErrorNonExistentMailbox`; public-folder ids are
//! refused (`ErrorInvalidOperation`: the server has no public folders).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ews_types::{m, t};

use super::Ctx;
use super::items::{Code, messages};
use crate::soap::Fault;
use crate::store::Store;

type Failure = (Code, String);

/// What an `OwaId` puts before the key: `F` and four zero bytes, so its base64 starts `RgAAAA`.
const OWA: &[u8] = b"F\0\0\0\0";

/// The store key an id in `format` encodes.
fn decode(format: t::IdFormat, id: &str) -> Option<Vec<u8>> {
    use t::IdFormat as F;
    let prefixed = |prefix: &[u8], bytes: Vec<u8>| -> Option<Vec<u8>> {
        bytes.strip_prefix(prefix).map(<[u8]>::to_vec)
    };
    let key = match format {
        F::EwsId => STANDARD.decode(id).ok()?,
        F::EwsLegacyId => prefixed(b"L", STANDARD.decode(id).ok()?)?,
        F::StoreId => prefixed(b"S", STANDARD.decode(id).ok()?)?,
        F::OwaId => {
            let unescaped: String = form_urlencoded::parse(format!("x={id}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())?;
            prefixed(OWA, STANDARD.decode(unescaped).ok()?)?
        }
        F::EntryId => entry_key(STANDARD.decode(id).ok()?)?,
        F::HexEntryId => {
            if !id.len().is_multiple_of(2) {
                return None;
            }
            let bytes = (0..id.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(id.get(i..i + 2)?, 16).ok())
                .collect::<Option<Vec<u8>>>()?;
            entry_key(bytes)?
        }
    };
    // the key names an object: `kind:mailbox:counter`
    let text = std::str::from_utf8(&key).ok()?;
    let mut parts = text.split(':');
    let well_formed = parts.next().is_some_and(|k| !k.is_empty())
        && parts.next().is_some_and(|m| m.parse::<usize>().is_ok())
        && parts.next().is_some_and(|n| n.parse::<u64>().is_ok());
    well_formed.then_some(key)
}

fn entry_key(bytes: Vec<u8>) -> Option<Vec<u8>> {
    (bytes.len() > 4 && bytes[..4] == [0, 0, 0, 0]).then(|| bytes[4..].to_vec())
}

/// The id of the store key `key` in `format`.
fn encode(format: t::IdFormat, key: &[u8]) -> String {
    use t::IdFormat as F;
    let with = |prefix: &[u8]| [prefix, key].concat();
    let entry = || {
        let mut v = vec![0u8; 4];
        v.extend_from_slice(key);
        v
    };
    match format {
        F::EwsId => STANDARD.encode(key),
        F::EwsLegacyId => STANDARD.encode(with(b"L")),
        F::StoreId => STANDARD.encode(with(b"S")),
        F::OwaId => {
            form_urlencoded::byte_serialize(STANDARD.encode(with(OWA)).as_bytes()).collect()
        }
        F::EntryId => STANDARD.encode(entry()),
        F::HexEntryId => entry().iter().map(|b| format!("{b:02X}")).collect(),
    }
}

fn convert_one(
    store: &Store,
    destination: t::IdFormat,
    source: &t::NonEmptyArrayOfAlternateIdsChoice,
) -> Result<t::AlternateId, Failure> {
    let t::NonEmptyArrayOfAlternateIdsChoice::AlternateId(a) = source else {
        return Err((
            Code::ErrorInvalidOperation,
            "ews-testserver has no public folders to convert ids of.".into(),
        ));
    };
    if store.find_smtp(&a.mailbox).is_none() {
        return Err((
            Code::ErrorNonExistentMailbox,
            format!("No mailbox with such SMTP address: {}", a.mailbox),
        ));
    }
    let key = decode(a.format, &a.id)
        .ok_or((Code::ErrorInvalidIdMalformed, "Id is malformed.".to_owned()))?;
    Ok(t::AlternateId {
        format: destination,
        id: encode(destination, &key).into(),
        mailbox: a.mailbox.clone(),
        is_archive: a.is_archive,
    })
}

/// ConvertId: one response message per source id, in order.
pub(crate) fn convert(
    store: &mut Store,
    _ctx: &Ctx,
    r: m::ConvertId,
) -> Result<m::ConvertIdResponse, Fault> {
    let out = r
        .source_ids
        .content
        .iter()
        .map(|source| {
            m::ArrayOfResponseMessagesChoice::ConvertIdResponseMessage(
                match convert_one(store, r.destination_format, source) {
                    Ok(id) => m::ConvertIdResponseMessage {
                        response_code: Some(Code::NoError),
                        alternate_id: Some(Box::new(t::AlternateIdBaseDerived::AlternateId(id))),
                        ..m::ConvertIdResponseMessage::new(t::ResponseClass::Success)
                    },
                    Err((code, text)) => m::ConvertIdResponseMessage {
                        response_code: Some(code),
                        message_text: Some(text.into()),
                        descriptive_link_key: Some(0),
                        ..m::ConvertIdResponseMessage::new(t::ResponseClass::Error)
                    },
                },
            )
        })
        .collect();
    Ok(m::ConvertIdResponse {
        response_messages: messages(out),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_converts_into_every_other_and_back() {
        use t::IdFormat as F;
        let key = b"I:3:00000210";
        let formats = [
            F::EwsId,
            F::EwsLegacyId,
            F::EntryId,
            F::HexEntryId,
            F::StoreId,
            F::OwaId,
        ];
        for from in formats {
            let id = encode(from, key);
            assert_eq!(
                decode(from, &id).as_deref(),
                Some(&key[..]),
                "{from:?}: {id}"
            );
            for to in formats {
                let other = encode(to, &decode(from, &id).unwrap());
                assert_eq!(decode(to, &other).as_deref(), Some(&key[..]));
            }
        }
        assert!(encode(F::OwaId, key).starts_with("RgAAAA"));
        // an EwsId is not a legacy id, and garbage is no id at all
        assert_eq!(decode(F::EwsLegacyId, &encode(F::EwsId, key)), None);
        assert_eq!(decode(F::EwsId, "not base64!"), None);
        assert_eq!(decode(F::HexEntryId, "ABC"), None);
        assert_eq!(decode(F::EwsId, &STANDARD.encode("no key")), None);
    }
}
