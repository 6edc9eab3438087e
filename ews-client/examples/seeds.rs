//! The seed scenarios end to end, with a short report of what happened.
//!
//! By default against the local EWS server (`ews-testserver`, started in-process with a small
//! organisation); against a real server when `EWS_URL` is set:
//!
//! ```text
//! cargo run -p ews-client --example seeds
//!
//! EWS_URL=https://mail.contoso.com/EWS/Exchange.asmx \
//! EWS_USERNAME=svc-booking EWS_PASSWORD=… [EWS_AUTH=ntlm] \
//! EWS_MAILBOXES=a@contoso.com,b@contoso.com EWS_ATTENDEE=cfo@contoso.com \
//! EWS_PRINCIPAL=boss@contoso.com EWS_DELEGATE_USERNAME=assistant@contoso.com EWS_DELEGATE_PASSWORD=… \
//!     cargo run -p ews-client --example seeds
//! ```
//!
//! 1. The service account puts an appointment with the attendee into each mailbox's calendar
//!    by impersonation (seed 000); per-mailbox results, one mailbox outside the role's scope.
//! 2. The delegate creates a meeting in the principal's calendar on the principal's behalf
//!    (seed 001).
//! 3. The principal's delegates are listed (seed 004).
//! 4. Read back: the principal's calendar (as the delegate) and the attendee's meeting requests
//!    with their From and Sender.

#[path = "common/mod.rs"]
mod common;

use ews_client::bulk::BulkOptions;
use ews_client::{Client, ConnectingSid, Credentials};
use ews_types::runtime::XmlValue;
use ews_types::{m, t};

/// `writeln!` into the report.
macro_rules! w {
    ($r:ident, $($t:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($r, $($t)*);
    }};
}

const ORG: &str = r#"
[[mailbox]]
smtp = "boss@contoso.com"
name = "Pat Boss"
password = "boss-pw"
[[mailbox]]
smtp = "assistant@contoso.com"
name = "Sam Assistant"
password = "assistant-pw"
[[mailbox]]
smtp = "cfo@contoso.com"
name = "Chris CFO"
[[mailbox]]
smtp = "ana@contoso.com"
[[mailbox]]
smtp = "ben@contoso.com"
[[mailbox]]
smtp = "carla@contoso.com"
[[mailbox]]
smtp = "dev@contoso.com"
[[mailbox]]
smtp = "eve@contoso.com"

[[account]]
user = "svc-booking"
password = "svc-pw"
impersonation = true
scope = ["ana@contoso.com", "ben@contoso.com", "carla@contoso.com", "dev@contoso.com", "cfo@contoso.com"]

[[delegate]]
principal = "boss@contoso.com"
delegate = "assistant@contoso.com"
calendar = "Editor"
inbox = "Reviewer"
receive_copies = true
"#;

struct Setup {
    where_: String,
    service: Client,
    delegate: Client,
    principal_client: Option<Client>,
    mailboxes: Vec<String>,
    attendee: String,
    principal: String,
    _server: Option<ews_testserver::TestServer>,
}

async fn setup() -> Result<Setup, String> {
    if std::env::var("EWS_URL").is_ok() {
        let service = common::client_from_env()?;
        let url = common::required("EWS_URL", "")?;
        let delegate = Client::builder(&url)
            .credentials(Credentials::basic(
                common::required("EWS_DELEGATE_USERNAME", "the delegate's sign-in")?,
                common::required("EWS_DELEGATE_PASSWORD", "the delegate's password")?,
            ))
            .build()
            .map_err(|e| e.to_string())?;
        return Ok(Setup {
            where_: url,
            service,
            delegate,
            principal_client: None,
            mailboxes: common::required("EWS_MAILBOXES", "comma-separated SMTP addresses")?
                .split(',')
                .map(|s| s.trim().to_owned())
                .collect(),
            attendee: common::required("EWS_ATTENDEE", "an attendee's SMTP address")?,
            principal: common::required("EWS_PRINCIPAL", "the principal's SMTP address")?,
            _server: None,
        });
    }
    let org = ews_testserver::Org::from_toml(ORG).map_err(|e| e.to_string())?;
    let server = ews_testserver::TestServer::start(org)
        .await
        .map_err(|e| e.to_string())?;
    let login = |u: &str, p: &str| {
        Client::builder(server.url())
            .credentials(Credentials::basic(u, p))
            .build()
            .map_err(|e| e.to_string())
    };
    Ok(Setup {
        where_: format!("the local EWS server at {}", server.url()),
        service: login("svc-booking", "svc-pw")?,
        delegate: login("assistant@contoso.com", "assistant-pw")?,
        principal_client: Some(login("boss@contoso.com", "boss-pw")?),
        mailboxes: ["ana", "ben", "carla", "dev", "eve"]
            .iter()
            .map(|n| format!("{n}@contoso.com"))
            .collect(),
        attendee: "cfo@contoso.com".into(),
        principal: "boss@contoso.com".into(),
        _server: Some(server),
    })
}

fn who(r: &Option<Box<t::SingleRecipient>>) -> String {
    r.as_ref()
        .and_then(|r| match &r.content {
            t::SingleRecipientChoice::Mailbox(m) => m.email_address.clone(),
        })
        .unwrap_or_else(|| "?".into())
        .to_string()
}

/// Runs the scenarios and returns the report.
pub async fn run() -> Result<String, String> {
    let mut report = String::new();
    let s = setup().await?;
    w!(report, "Seed scenarios against {}\n", s.where_);

    w!(
        report,
        "1. Appointments by impersonation into {} calendars",
        s.mailboxes.len()
    );
    let attendees = vec![s.attendee.clone()];
    let results = s
        .service
        .create_appointments(
            &s.mailboxes,
            |_| common::appointment("Tennis lesson", 3, &attendees),
            BulkOptions::default(),
        )
        .await;
    for (mailbox, r) in s.mailboxes.iter().zip(&results) {
        match r {
            Ok(id) => w!(report, "   {mailbox:<24} created   {}", short(&id.id)),
            Err(e) => w!(report, "   {mailbox:<24} FAILED    {e}"),
        }
    }

    w!(report, "\n2. Meeting on behalf of {}", s.principal);
    let boss = s
        .delegate
        .mailbox(&s.principal)
        .map_err(|e| e.to_string())?;
    match boss
        .create_meeting(common::appointment("Budget review", 2, &attendees))
        .await
    {
        Ok(id) => w!(
            report,
            "   created in {}'s calendar: {}",
            s.principal,
            short(&id.id)
        ),
        Err(e) => w!(report, "   FAILED: {e}"),
    }

    w!(report, "\n3. {}'s delegates", s.principal);
    let owner = s.principal_client.as_ref().unwrap_or(&s.delegate);
    match owner
        .mailbox(&s.principal)
        .map_err(|e| e.to_string())?
        .get_delegates(true)
        .await
    {
        Ok(d) => {
            for x in d.delegates {
                match x {
                    Ok(x) => w!(
                        report,
                        "   {:<24} calendar {:?}, inbox {:?}",
                        x.address,
                        x.levels
                            .calendar
                            .unwrap_or(ews_client::PermissionLevel::None),
                        x.levels.inbox.unwrap_or(ews_client::PermissionLevel::None)
                    ),
                    Err(e) => w!(report, "   FAILED: {e}"),
                }
            }
        }
        Err(e) => w!(report, "   (as the delegate: {e})"),
    }

    w!(report, "\nRead back");
    let now = chrono::Utc::now();
    let cal = boss
        .calendar_view(now, now + chrono::Duration::days(7))
        .await
        .map_err(|e| e.to_string())?;
    w!(
        report,
        "   {}'s calendar, next 7 days: {} item(s)",
        s.principal,
        cal.len()
    );
    for c in &cal {
        w!(
            report,
            "     {}  {}  organizer {}",
            c.start
                .map(|d| d.to_text().into_owned())
                .unwrap_or_default(),
            c.subject.as_deref().unwrap_or(""),
            who(&c.organizer)
        );
    }
    let attendee = s
        .service
        .impersonate(ConnectingSid::smtp(&s.attendee))
        .map_err(|e| e.to_string())?;
    let inbox = attendee
        .send(&m::FindItem::new(
            t::ItemQueryTraversal::Shallow,
            t::ItemResponseShape::new(t::DefaultShapeNames::Default),
            t::NonEmptyArrayOfBaseFolderIds::new(
                t::NonEmptyArrayOfBaseFolderIdsChoice::DistinguishedFolderId(
                    t::DistinguishedFolderId::new(t::DistinguishedFolderIdName::Inbox),
                ),
            ),
        ))
        .await
        .map_err(|e| e.to_string())?;
    w!(report, "   {}'s meeting requests:", s.attendee);
    for msg in inbox.response_messages.content {
        let m::ArrayOfResponseMessagesChoice::FindItemResponseMessage(f) = msg else {
            continue;
        };
        let Some(t::FindItemParentChoice::Items(items)) = f.root_folder.map(|r| r.content) else {
            continue;
        };
        for item in items.content {
            if let t::ArrayOfRealItemsChoice::MeetingRequest(r) = item {
                let (from, sender) = (who(&r.from), who(&r.sender));
                let how = if from == sender {
                    "send as"
                } else {
                    "on behalf of"
                };
                w!(
                    report,
                    "     {:<14} From {:<22} Sender {:<22} ({how})",
                    r.subject.as_deref().unwrap_or(""),
                    from,
                    sender
                );
            }
        }
    }
    Ok(report)
}

fn short(id: &str) -> String {
    if id.len() > 16 {
        format!("{}…", &id[..16])
    } else {
        id.to_owned()
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(report) => {
            print!("{report}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => common::fail(e),
    }
}
