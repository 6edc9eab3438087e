//! ConvertId against ews-testserver: an item's id through every format and back, one answer
//! per source id in order, a malformed id and an unknown mailbox refused each on its own.
//! Every answer validates against the schema.

mod support;

use ews_client::{m, m::ResponseCode as Code, t};
use support::{appointment, check_responses, login, serve};

const ORG: &str = r#"
[[mailbox]]
smtp = "boss@contoso.com"
password = "boss-pw"
"#;

fn source(format: t::IdFormat, id: &str, mailbox: &str) -> t::NonEmptyArrayOfAlternateIdsChoice {
    t::NonEmptyArrayOfAlternateIdsChoice::AlternateId(t::AlternateId::new(format, id, mailbox))
}

/// Each answer: the converted id, or the response code.
async fn convert(
    client: &ews_client::Client,
    to: t::IdFormat,
    sources: Vec<t::NonEmptyArrayOfAlternateIdsChoice>,
) -> Vec<Result<String, Code>> {
    let request = m::ConvertId::new(
        to,
        t::NonEmptyArrayOfAlternateIds::new(
            ews_types::runtime::NonEmpty::try_from(sources).unwrap(),
        ),
    );
    client
        .send_raw(&request)
        .await
        .unwrap()
        .into_results(request.source_ids.content.len())
        .unwrap()
        .into_iter()
        .map(|r| match r {
            Ok(m::ArrayOfResponseMessagesChoice::ConvertIdResponseMessage(c)) => {
                match c.alternate_id.map(|a| *a) {
                    Some(t::AlternateIdBaseDerived::AlternateId(a)) => {
                        assert_eq!(a.format, to);
                        Ok(a.id.into())
                    }
                    other => panic!("{other:?}"),
                }
            }
            Ok(other) => panic!("{other:?}"),
            Err(e) => Err(e.response_code().cloned().unwrap()),
        })
        .collect()
}

#[tokio::test]
async fn an_item_id_goes_through_every_format_and_back() {
    use t::IdFormat as F;
    let server = serve(ORG).await;
    let boss = login(&server, "boss@contoso.com", "boss-pw");
    let id = boss
        .my_mailbox()
        .create_appointment(appointment("Review", &[]))
        .await
        .unwrap();
    let mut current = (F::EwsId, id.id.clone());
    for to in [
        F::HexEntryId,
        F::EntryId,
        F::OwaId,
        F::StoreId,
        F::EwsLegacyId,
        F::EwsId,
    ] {
        let out = convert(
            &boss,
            to,
            vec![source(current.0, &current.1, "boss@contoso.com")],
        )
        .await;
        let converted = out.into_iter().next().unwrap().unwrap();
        if to != F::EwsId {
            assert_ne!(converted, id.id, "{to:?} differs from the EwsId");
        }
        current = (to, converted.into());
    }
    assert_eq!(current.1, id.id, "back where it started");

    // one answer per id, in order; each failure on its own
    let out = convert(
        &boss,
        F::HexEntryId,
        vec![
            source(F::EwsId, "not an id!", "boss@contoso.com"),
            source(F::EwsId, &id.id, "nobody@contoso.com"),
            source(F::EwsId, &id.id, "boss@contoso.com"),
        ],
    )
    .await;
    assert_eq!(out[0], Err(Code::ErrorInvalidIdMalformed));
    assert_eq!(out[1], Err(Code::ErrorNonExistentMailbox));
    assert!(
        out[2]
            .as_ref()
            .unwrap()
            .chars()
            .all(|c| c.is_ascii_hexdigit())
    );
    check_responses(&server);
}
