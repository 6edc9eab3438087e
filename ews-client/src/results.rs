//! Per-item results: one `Result` per request item, in order.
//!
//! Each response message is judged on its own: `Success` with `NoError` is `Ok`;
//! `ErrorBatchProcessingStopped` (class `Warning`) is [`ErrorKind::NotProcessed`], safe to
//! resubmit; other warnings (ResolveNames' `ErrorNameResolutionMultipleResults`) are `Ok`
//! with their status readable on the message; everything else, including `Success` with another
//! code or with none, is [`ErrorKind::Response`].

use ews_types::m::ResponseCode;
use ews_types::runtime::{MessageStatus, ResponseMessage};

use crate::error::{Error, ErrorKind};
use crate::soap::{fill_from_message_xml, parse_code};

/// The error a response message reports, if any.
pub(crate) fn message_error(s: &MessageStatus<'_>) -> Option<Error> {
    if s.is_success() {
        return None;
    }
    let code = s.code.as_deref().map(parse_code);
    let class = s.class.as_deref().unwrap_or("");
    let stopped = matches!(code, Some(ResponseCode::ErrorBatchProcessingStopped));
    if class == "Warning" && !stopped {
        return None;
    }
    let kind = if stopped {
        ErrorKind::NotProcessed
    } else {
        ErrorKind::Response
    };
    let text = match (s.text, &code) {
        (Some(t), _) => t.trim().to_owned(),
        (None, None) => format!("response class {class} without a ResponseCode"),
        (None, Some(_)) => String::new(),
    };
    let mut e = Error::new(kind, text);
    let i = e.inner_mut();
    i.response_code = code;
    i.message_xml = s.message_xml.to_vec();
    fill_from_message_xml(i, |name| s.message_value(name));
    Some(e)
}

/// A call-level error hidden in the messages: the first message failed with a transient code
/// and every later one was not processed, so the server did nothing (a throttled batch).
pub(crate) fn nothing_processed<M: ResponseMessage>(messages: &[M]) -> Option<Error> {
    let (first, rest) = messages.split_first()?;
    let e = message_error(&first.status())?;
    if e.kind() != ErrorKind::Response || !e.is_transient() {
        return None;
    }
    let all_stopped = rest
        .iter()
        .all(|m| message_error(&m.status()).is_some_and(|e| e.kind() == ErrorKind::NotProcessed));
    all_stopped.then_some(e)
}

/// One result per request item, in order; the whole call fails when the server answered a
/// multi-item request with a single error, or with the wrong number of messages.
pub(crate) fn per_item<M: ResponseMessage>(
    messages: Vec<M>,
    expected: usize,
) -> Result<Vec<Result<M, Error>>, Error> {
    if messages.len() != expected {
        if let [only] = &messages[..]
            && let Some(e) = message_error(&only.status())
        {
            return Err(e);
        }
        return Err(Error::new(
            ErrorKind::MalformedResponse,
            format!(
                "expected {expected} response messages, one per request item, got {}",
                messages.len()
            ),
        ));
    }
    Ok(messages
        .into_iter()
        .enumerate()
        .map(|(i, m)| match message_error(&m.status()) {
            None => Ok(m),
            Some(mut e) => {
                e.inner_mut().item_index = Some(i);
                Err(e)
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[derive(Debug)]
    struct M(&'static str, Option<&'static str>);
    impl ResponseMessage for M {
        fn status(&self) -> MessageStatus<'_> {
            MessageStatus {
                class: Some(Cow::Borrowed(self.0)),
                code: self.1.map(Cow::Borrowed),
                text: None,
                message_xml: &[],
            }
        }
    }

    #[test]
    fn success_needs_no_error() {
        assert!(message_error(&M("Success", Some("NoError")).status()).is_none());
        let e = message_error(&M("Success", Some("ErrorItemNotFound")).status()).unwrap();
        assert_eq!(e.response_code(), Some(&ResponseCode::ErrorItemNotFound));
        let e = message_error(&M("Success", None).status()).unwrap();
        assert!(e.to_string().contains("without a ResponseCode"), "{e}");
        let e = message_error(&M("Success", Some("")).status()).unwrap();
        assert_eq!(e.kind(), ErrorKind::Response);
    }

    #[test]
    fn warnings() {
        let e = message_error(&M("Warning", Some("ErrorBatchProcessingStopped")).status());
        assert_eq!(e.unwrap().kind(), ErrorKind::NotProcessed);
        assert!(
            message_error(&M("Warning", Some("ErrorNameResolutionMultipleResults")).status())
                .is_none()
        );
    }

    #[test]
    fn counts_are_checked() {
        let ok = || M("Success", Some("NoError"));
        let r = per_item(vec![ok(), ok()], 2).unwrap();
        assert!(r.iter().all(Result::is_ok));
        let e = per_item(vec![ok()], 2).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MalformedResponse);
        let e = per_item(vec![M("Error", Some("ErrorAccessDenied"))], 10).unwrap_err();
        assert_eq!(e.response_code(), Some(&ResponseCode::ErrorAccessDenied));
    }
}
