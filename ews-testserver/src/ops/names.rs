//! ResolveNames against the organisation's mailboxes.

use ews_types::{m, t};

use super::Ctx;
use super::items::{fail, ok};
use crate::soap::Fault;
use crate::store::Store;

pub(crate) fn resolve(
    store: &mut Store,
    _ctx: &Ctx,
    r: m::ResolveNames,
) -> Result<m::ResolveNamesResponse, Fault> {
    let q = r
        .unresolved_entry
        .trim()
        .trim_start_matches("smtp:")
        .trim_start_matches("SMTP:")
        .to_ascii_lowercase();
    let found: Vec<t::Resolution> = store
        .mailboxes
        .iter()
        .filter(|m| {
            m.smtp.starts_with(&q)
                || m.name.to_ascii_lowercase().starts_with(&q)
                || m.upn.starts_with(&q)
        })
        .map(|m| t::Resolution {
            mailbox: m.address(),
            contact: None,
        })
        .collect();
    let msg = match found.len() {
        0 => fail!(
            ResolveNamesResponseMessage,
            m::ResponseCode::ErrorNameResolutionNoResults,
            "No results were found."
        ),
        n => {
            let mut msg = ok!(ResolveNamesResponseMessage {
                resolution_set: Some(Box::new(t::ArrayOfResolution {
                    total_items_in_view: Some(n as i32),
                    includes_last_item_in_range: Some(true),
                    resolution: found,
                    ..Default::default()
                }))
            });
            if n > 1 {
                msg.response_class = t::ResponseClass::Warning;
                msg.response_code = Some(m::ResponseCode::ErrorNameResolutionMultipleResults);
                msg.message_text = Some("Multiple results were found.".into());
            }
            msg
        }
    };
    Ok(m::ResolveNamesResponse {
        response_messages: m::ArrayOfResponseMessages {
            content: m::ArrayOfResponseMessagesChoice::ResolveNamesResponseMessage(msg).into(),
        },
    })
}
