//! `--dry-run`: a transport that prints each request, indented, to stdout and sends nothing.
//! Each request then fails as "not sent", which the report shows as `dry-run`.

use std::sync::Mutex;

use ews_client::{BoxFuture, ErrorKind, HttpRequest, HttpResponse, Transport, TransportError};

/// The message of every request's error under `--dry-run`.
pub const NOT_SENT: &str = "dry run: not sent";

/// Prints requests instead of sending them.
#[derive(Debug, Default)]
pub struct DryRun {
    // one request's lines stay together when several mailboxes run at once
    out: Mutex<()>,
}

impl Transport for DryRun {
    fn send(&self, req: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        let text = String::from_utf8_lossy(&req.body);
        let body = indent(&text).unwrap_or_else(|| text.into_owned());
        let mut head = format!("POST {}\n", req.url);
        for (name, value) in &req.headers {
            let value = if value.is_sensitive() || name == http::header::AUTHORIZATION {
                "(not shown)"
            } else {
                value.to_str().unwrap_or("(not text)")
            };
            head.push_str(&format!("{name}: {value}\n"));
        }
        {
            let _one_at_a_time = self.out.lock().expect("lock");
            crate::fail::out(format_args!("{head}\n{body}\n"));
        }
        Box::pin(async { Err(TransportError::new(ErrorKind::Connect, false, NOT_SENT)) })
    }
}

/// Whether `e` is the error a dry run gives every request.
pub fn is_not_sent(e: &ews_client::Error) -> bool {
    e.kind() == ErrorKind::Connect && e.to_string().ends_with(NOT_SENT)
}

/// The XML indented two spaces per level, or `None` if it does not read.
fn indent(xml: &str) -> Option<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut writer = quick_xml::Writer::new_with_indent(Vec::new(), b' ', 2);
    loop {
        match reader.read_event().ok()? {
            Event::Eof => break,
            e => writer.write_event(e).ok()?,
        }
    }
    String::from_utf8(writer.into_inner()).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn indents_nested_elements() {
        let out = super::indent("<a><b>x</b><c/></a>").unwrap();
        assert_eq!(out, "<a>\n  <b>x</b>\n  <c/>\n</a>");
    }

    #[test]
    fn refuses_what_does_not_read() {
        assert!(super::indent("<a><b></a>").is_none());
    }
}
