//! Lists the newest messages of a mailbox's Inbox.
//!
//! ```text
//! EWS_URL=https://mail.contoso.com/EWS/Exchange.asmx \
//! EWS_USERNAME=user@contoso.com EWS_PASSWORD=... \
//!     cargo run -p ews-client --example get_inbox
//! ```
//!
//! Credentials: `EWS_TOKEN` (a bearer token) or `EWS_USERNAME` and `EWS_PASSWORD` (Basic).
//! `EWS_MAILBOX` reads another mailbox's Inbox by delegate access (the account needs
//! permission on it). `EWS_INSECURE_TLS=1` trusts any certificate (test servers only).

use ews_client::{Client, Credentials, Error};
use ews_types::{m, t};

/// What the example prints.
#[derive(Debug)]
pub struct InboxSummary {
    /// `TotalItemsInView`.
    pub total: Option<i32>,
    /// Subject and received time of each item, newest first.
    pub items: Vec<(String, Option<String>)>,
}

/// Reads the first `n` items of the Inbox (of `mailbox`, or of the account itself).
pub async fn inbox(client: &Client, mailbox: Option<&str>, n: i32) -> Result<InboxSummary, Error> {
    let folder = t::DistinguishedFolderId {
        mailbox: mailbox.map(|m| Box::new(t::EmailAddressType::default().with_email_address(m))),
        ..t::DistinguishedFolderId::new(t::DistinguishedFolderIdName::Inbox)
    };
    let request = m::FindItem::new(
        t::ItemQueryTraversal::Shallow,
        t::ItemResponseShape::new(t::DefaultShapeNames::Default),
        t::NonEmptyArrayOfBaseFolderIds::new(
            t::NonEmptyArrayOfBaseFolderIdsChoice::DistinguishedFolderId(folder),
        ),
    )
    .with_content(m::FindItemChoice::IndexedPageItemView(
        t::IndexedPageView::new(0, t::IndexBasePoint::Beginning).with_max_entries_returned(n),
    ));
    let response = client.send(&request).await?;
    let mut summary = InboxSummary {
        total: None,
        items: Vec::new(),
    };
    for message in response.response_messages.content {
        let m::ArrayOfResponseMessagesChoice::FindItemResponseMessage(found) = message else {
            continue;
        };
        let Some(root) = found.root_folder else {
            continue;
        };
        summary.total = root.total_items_in_view;
        let t::FindItemParentChoice::Items(items) = root.content else {
            continue;
        };
        for item in items.content {
            use ews_types::runtime::XmlValue;
            let (subject, received) = match &item {
                t::ArrayOfRealItemsChoice::Message(m) => (&m.subject, &m.date_time_received),
                t::ArrayOfRealItemsChoice::Item(i) => (&i.subject, &i.date_time_received),
                t::ArrayOfRealItemsChoice::CalendarItem(c) => (&c.subject, &c.date_time_received),
                t::ArrayOfRealItemsChoice::MeetingRequest(r) => (&r.subject, &r.date_time_received),
                _ => (&None, &None),
            };
            summary.items.push((
                subject
                    .clone()
                    .unwrap_or_else(|| "(no subject)".into())
                    .to_string(),
                received.as_ref().map(|d| d.to_text().into_owned()),
            ));
        }
    }
    Ok(summary)
}

/// Builds a client from `EWS_URL` and the credential variables.
pub fn client_from_env() -> Result<Client, String> {
    let url =
        std::env::var("EWS_URL").map_err(|_| "set EWS_URL (https://host/EWS/Exchange.asmx)")?;
    let credentials = match (
        std::env::var("EWS_TOKEN"),
        std::env::var("EWS_USERNAME"),
        std::env::var("EWS_PASSWORD"),
    ) {
        (Ok(token), _, _) => Credentials::bearer(token),
        (_, Ok(user), Ok(password)) => Credentials::basic(user, password),
        _ => return Err("set EWS_TOKEN, or EWS_USERNAME and EWS_PASSWORD".into()),
    };
    Client::builder(url)
        .credentials(credentials)
        .danger_accept_invalid_certs(std::env::var("EWS_INSECURE_TLS").as_deref() == Ok("1"))
        .build()
        .map_err(|e| e.to_string())
}

#[tokio::main]
#[allow(dead_code)]
async fn main() -> std::process::ExitCode {
    let client = match client_from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("get_inbox: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let mailbox = std::env::var("EWS_MAILBOX").ok();
    match inbox(&client, mailbox.as_deref(), 10).await {
        Ok(s) => {
            println!(
                "Inbox: {} items in view",
                s.total.map_or("?".into(), |t| t.to_string())
            );
            for (subject, received) in s.items {
                println!("  {}  {subject}", received.as_deref().unwrap_or("-"));
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("get_inbox: {e}");
            if let Some(id) = e.request_id() {
                eprintln!("  request-id: {id}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}
