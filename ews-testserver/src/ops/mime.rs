//! An item's MIME content (`IncludeMimeContent`), and the size a send is measured by.
//!
//! Exchange returns a message as an RFC 5322 message and a calendar item as an iCalendar
//! (RFC 5545) `VEVENT`, base64 in `MimeContent` with `CharacterSet="UTF-8"`. This server writes
//! the properties it holds: the addresses, subject, date, message id and body of a message
//! (`text/plain` or `text/html` as the body's type says; attachments as parts of a
//! `multipart/mixed`), and the uid, times, summary, location, organizer and attendees of an
//! event. Header values are folded nowhere and encoded as RFC 2047 words when not ASCII.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ews_types::t;

/// The MIME content of `item`.
pub(crate) fn content(item: &t::ArrayOfRealItemsChoice) -> t::MimeContent {
    let text = match item {
        t::ArrayOfRealItemsChoice::CalendarItem(c) => calendar(c),
        other => message(other.as_item(), addresses(other)),
    };
    t::MimeContent {
        character_set: Some("UTF-8".into()),
        value: STANDARD.encode(text).into(),
    }
}

/// The MIME content of an attached item (GetAttachment's `AttachmentShape` with
/// `IncludeMimeContent`).
pub(crate) fn attached(item: &t::ItemAttachmentChoice) -> t::MimeContent {
    use t::ItemAttachmentChoice as A;
    let real = match item {
        A::Message(m) => t::ArrayOfRealItemsChoice::Message(m.clone()),
        A::CalendarItem(c) => t::ArrayOfRealItemsChoice::CalendarItem(c.clone()),
        A::MeetingRequest(m) => t::ArrayOfRealItemsChoice::MeetingRequest(m.clone()),
        A::MeetingResponse(m) => t::ArrayOfRealItemsChoice::MeetingResponse(m.clone()),
        A::MeetingCancellation(m) => t::ArrayOfRealItemsChoice::MeetingCancellation(m.clone()),
        other => {
            let none = [("From", vec![]), ("To", vec![]), ("Cc", vec![])];
            return t::MimeContent {
                character_set: Some("UTF-8".into()),
                value: STANDARD.encode(message(other.as_item(), none)).into(),
            };
        }
    };
    content(&real)
}

/// Refuses to send a message bigger than `limit` bytes (`ErrorMessageSizeExceeded`, as
/// Exchange answers a message over the organisation's `MaxSendSize`).
pub(crate) fn check_send(
    limit: Option<usize>,
    message: &dyn ews_types::base::Item,
) -> Result<(), (ews_types::m::ResponseCode, String)> {
    match limit {
        Some(max) if size(message) > max => Err((
            ews_types::m::ResponseCode::ErrorMessageSizeExceeded,
            format!("The message exceeds the maximum supported size ({max} bytes)."),
        )),
        _ => Ok(()),
    }
}

/// The bytes a message counts for against a send limit: its subject, body and attachments.
fn size(base: &dyn ews_types::base::Item) -> usize {
    let text = base.subject().as_ref().map_or(0, |s| s.len())
        + base.body().as_ref().map_or(0, |b| b.value.len());
    let attached: usize = base
        .attachments()
        .iter()
        .flat_map(|a| &a.content)
        .map(|a| match a {
            t::NonEmptyArrayOfAttachmentsChoice::FileAttachment(f) => {
                f.content.as_ref().map_or(0, |c| c.0.len())
            }
            t::NonEmptyArrayOfAttachmentsChoice::ItemAttachment(i) => i.size.unwrap_or(0) as usize,
            t::NonEmptyArrayOfAttachmentsChoice::ReferenceAttachment(_) => 0,
        })
        .sum();
    text + attached
}

/// From, To and Cc of a message-like item.
fn addresses(item: &t::ArrayOfRealItemsChoice) -> [(&'static str, Vec<String>); 3] {
    let one = |r: Option<&t::SingleRecipient>| -> Vec<String> {
        r.iter()
            .map(|r| match &r.content {
                t::SingleRecipientChoice::Mailbox(m) => mailbox(m),
            })
            .collect()
    };
    let many = |r: &Option<Box<t::ArrayOfRecipients>>| -> Vec<String> {
        r.iter()
            .flat_map(|l| &l.content)
            .map(|t::ArrayOfRecipientsChoice::Mailbox(m)| mailbox(m))
            .collect()
    };
    match item {
        t::ArrayOfRealItemsChoice::Message(m) => [
            ("From", one(m.from.as_deref())),
            ("To", many(&m.to_recipients)),
            ("Cc", many(&m.cc_recipients)),
        ],
        t::ArrayOfRealItemsChoice::MeetingRequest(m) => [
            ("From", one(m.from.as_deref())),
            ("To", many(&m.to_recipients)),
            ("Cc", many(&m.cc_recipients)),
        ],
        t::ArrayOfRealItemsChoice::MeetingResponse(m) => [
            ("From", one(m.from.as_deref())),
            ("To", many(&m.to_recipients)),
            ("Cc", many(&m.cc_recipients)),
        ],
        t::ArrayOfRealItemsChoice::MeetingCancellation(m) => [
            ("From", one(m.from.as_deref())),
            ("To", many(&m.to_recipients)),
            ("Cc", many(&m.cc_recipients)),
        ],
        _ => [("From", vec![]), ("To", vec![]), ("Cc", vec![])],
    }
}

fn mailbox(m: &t::EmailAddressType) -> String {
    let address = m.email_address.clone().unwrap_or_default();
    match &m.name {
        Some(name) if !name.is_empty() => format!("{} <{address}>", word(name)),
        _ => address.to_string(),
    }
}

/// A header value: as is when printable ASCII, else an RFC 2047 encoded word.
fn word(value: &str) -> String {
    let plain = value.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    if plain {
        value.to_owned()
    } else {
        format!("=?UTF-8?B?{}?=", STANDARD.encode(value))
    }
}

fn message(item: &dyn ews_types::base::Item, addresses: [(&str, Vec<String>); 3]) -> String {
    let mut out = String::new();
    for (name, list) in addresses {
        if !list.is_empty() {
            out.push_str(&format!("{name}: {}\r\n", list.join(", ")));
        }
    }
    if let Some(subject) = item.subject() {
        out.push_str(&format!("Subject: {}\r\n", word(subject)));
    }
    if let Some(sent) = item.date_time_sent().as_ref().and_then(|d| d.to_utc()) {
        out.push_str(&format!("Date: {}\r\n", sent.to_rfc2822()));
    }
    if let Some(id) = item.item_id() {
        out.push_str(&format!("Message-ID: <{}@ews-testserver>\r\n", id.id));
    }
    out.push_str("MIME-Version: 1.0\r\n");
    let (kind, text) = match item.body() {
        Some(b) if b.body_type == t::BodyType::Html => ("text/html", b.value.as_str()),
        Some(b) => ("text/plain", b.value.as_str()),
        None => ("text/plain", ""),
    };
    let body_part = format!(
        "Content-Type: {kind}; charset=\"utf-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        STANDARD.encode(text)
    );
    let files: Vec<&t::FileAttachment> = item
        .attachments()
        .iter()
        .flat_map(|a| &a.content)
        .filter_map(|a| match a {
            t::NonEmptyArrayOfAttachmentsChoice::FileAttachment(f) => Some(f),
            _ => None,
        })
        .collect();
    if files.is_empty() {
        out.push_str(&body_part);
        return out;
    }
    let boundary = "_ews-testserver-boundary_";
    out.push_str(&format!(
        "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n--{boundary}\r\n{body_part}"
    ));
    for f in files {
        out.push_str(&format!(
            "--{boundary}\r\nContent-Type: {}\r\nContent-Disposition: attachment; filename=\"{}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            f.content_type.as_deref().unwrap_or("application/octet-stream"),
            word(f.name.as_deref().unwrap_or("attachment")).replace('"', "'"),
            STANDARD.encode(f.content.as_ref().map_or(&[][..], |c| &c.0))
        ));
    }
    out.push_str(&format!("--{boundary}--\r\n"));
    out
}

/// An iCalendar text value (RFC 5545 §3.3.11).
fn ical_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
        .replace('\r', "")
}

fn calendar(c: &t::CalendarItem) -> String {
    let at = |d: &Option<ews_types::runtime::DateTime>| {
        d.as_ref()
            .and_then(|d| d.to_utc())
            .map(|d| d.format("%Y%m%dT%H%M%SZ").to_string())
    };
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//ews-testserver//EN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        "BEGIN:VEVENT".to_owned(),
    ];
    if let Some(uid) = &c.uid {
        lines.push(format!("UID:{}", ical_text(uid)));
    }
    if let Some(s) = at(&c.start) {
        lines.push(format!("DTSTART:{s}"));
    }
    if let Some(e) = at(&c.end) {
        lines.push(format!("DTEND:{e}"));
    }
    if let Some(subject) = &c.subject {
        lines.push(format!("SUMMARY:{}", ical_text(subject)));
    }
    if let Some(location) = &c.location {
        lines.push(format!("LOCATION:{}", ical_text(location)));
    }
    if let Some(t::SingleRecipient {
        content: t::SingleRecipientChoice::Mailbox(m),
    }) = c.organizer.as_deref()
        && let Some(a) = &m.email_address
    {
        lines.push(format!("ORGANIZER:mailto:{a}"));
    }
    for list in [&c.required_attendees, &c.optional_attendees]
        .into_iter()
        .flatten()
    {
        for a in list.attendee.iter() {
            if let Some(address) = &a.mailbox.email_address {
                lines.push(format!("ATTENDEE:mailto:{address}"));
            }
        }
    }
    if let Some(d) = at(&c.date_time_created) {
        lines.push(format!("DTSTAMP:{d}"));
    }
    lines.push("END:VEVENT".to_owned());
    lines.push("END:VCALENDAR".to_owned());
    lines.join("\r\n") + "\r\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_becomes_rfc5322_text() {
        let msg = t::Message::default()
            .with_subject("Grüße")
            .with_body(t::Body::new(t::BodyType::Text, "Hallo"))
            .with_to_recipients(t::ArrayOfRecipients {
                content: vec![t::ArrayOfRecipientsChoice::Mailbox(
                    t::EmailAddressType::default()
                        .with_name("Bob")
                        .with_email_address("bob@contoso.com"),
                )],
            });
        let mime = content(&t::ArrayOfRealItemsChoice::Message(Box::new(msg)));
        let text = String::from_utf8(STANDARD.decode(mime.value).unwrap()).unwrap();
        assert!(text.contains("To: Bob <bob@contoso.com>\r\n"), "{text}");
        assert!(text.contains("Subject: =?UTF-8?B?"), "{text}");
        assert!(text.contains(&STANDARD.encode("Hallo")), "{text}");
    }

    #[test]
    fn a_calendar_item_becomes_a_vevent() {
        let start = chrono::DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z").unwrap();
        let c = t::CalendarItem::default()
            .with_subject("Plan; review")
            .with_start(start)
            .with_end(start + chrono::Duration::hours(1));
        let mime = content(&t::ArrayOfRealItemsChoice::CalendarItem(Box::new(c)));
        let text = String::from_utf8(STANDARD.decode(mime.value).unwrap()).unwrap();
        assert!(text.contains("DTSTART:20261201T090000Z\r\n"), "{text}");
        assert!(text.contains("SUMMARY:Plan\\; review\r\n"), "{text}");
    }
}
