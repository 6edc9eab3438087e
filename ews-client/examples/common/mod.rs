//! Client setup shared by the examples: everything comes from the environment.
//!
//! - `EWS_URL`: `https://host/EWS/Exchange.asmx`
//! - credentials, one of:
//!   - `EWS_TENANT`, `EWS_CLIENT_ID`, `EWS_CLIENT_SECRET`: app-only OAuth (Exchange Online);
//!   - `EWS_TOKEN`: a bearer token;
//!   - `EWS_USERNAME`, `EWS_PASSWORD`: Basic, or NTLM with `EWS_AUTH=ntlm` (`DOMAIN\user`).
//! - `EWS_INSECURE_TLS=1` trusts any certificate (test servers only).
#![allow(dead_code)]

use ews_client::{Client, ClientCredentials, Credentials};

/// A client built from the environment, or a message saying what is missing.
pub fn client_from_env() -> Result<Client, String> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let url = var("EWS_URL").ok_or("set EWS_URL (https://host/EWS/Exchange.asmx)")?;
    let credentials = if let (Some(tenant), Some(id), Some(secret)) = (
        var("EWS_TENANT"),
        var("EWS_CLIENT_ID"),
        var("EWS_CLIENT_SECRET"),
    ) {
        Credentials::token_provider(ClientCredentials::entra(tenant, id, secret))
    } else if let Some(token) = var("EWS_TOKEN") {
        Credentials::bearer(token)
    } else if let (Some(user), Some(password)) = (var("EWS_USERNAME"), var("EWS_PASSWORD")) {
        if var("EWS_AUTH").as_deref() == Some("ntlm") {
            Credentials::ntlm(user, password)
        } else {
            Credentials::basic(user, password)
        }
    } else {
        return Err(
            "set EWS_TENANT/EWS_CLIENT_ID/EWS_CLIENT_SECRET, EWS_TOKEN, or \
                    EWS_USERNAME and EWS_PASSWORD"
                .into(),
        );
    };
    Client::builder(url)
        .credentials(credentials)
        .danger_accept_invalid_certs(var("EWS_INSECURE_TLS").as_deref() == Some("1"))
        .build()
        .map_err(|e| e.to_string())
}

/// A required environment variable.
pub fn required(name: &str, what: &str) -> Result<String, String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("set {name} ({what})"))
}

/// A calendar item for the examples: `subject`, starting in `days` days at 09:00 UTC, one hour.
pub fn appointment(subject: &str, days: i64, attendees: &[String]) -> ews_types::t::CalendarItem {
    use ews_types::runtime::NonEmpty;
    use ews_types::t;
    let start = (chrono::Utc::now() + chrono::Duration::days(days))
        .date_naive()
        .and_hms_opt(9, 0, 0)
        .expect("valid time")
        .and_utc();
    t::CalendarItem {
        subject: Some(subject.into()),
        body: Some(Box::new(t::Body::new(
            t::BodyType::Text,
            "Created by ews-client.",
        ))),
        start: Some(start.into()),
        end: Some((start + chrono::Duration::hours(1)).into()),
        location: Some("Room 1".into()),
        required_attendees: NonEmpty::collect(attendees.iter().map(|a| {
            t::Attendee::new(t::EmailAddressType::default().with_email_address(a.clone()))
        }))
        .map(|a| Box::new(t::NonEmptyArrayOfAttendees::new(a))),
        ..Default::default()
    }
}

/// Exits with the message.
pub fn fail(e: impl std::fmt::Display) -> std::process::ExitCode {
    eprintln!("error: {e}");
    std::process::ExitCode::FAILURE
}
