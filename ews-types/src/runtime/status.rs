//! Per-item status of EWS responses: `ResponseClass`, `ResponseCode`, `MessageText` and
//! `MessageXml`, read uniformly from every `*ResponseMessage` type.

use std::borrow::Cow;

use super::any::AnyElement;

/// The status members every EWS response message carries (from `m:ResponseMessageType`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageStatus<'a> {
    /// `ResponseClass`: `Success`, `Warning` or `Error`.
    pub class: Option<Cow<'a, str>>,
    /// `ResponseCode` (`NoError`, `ErrorItemNotFound`, …), as written.
    pub code: Option<Cow<'a, str>>,
    /// `MessageText`.
    pub text: Option<&'a str>,
    /// The children of `MessageXml` (e.g. `<t:Value Name="BackOffMilliseconds">`).
    pub message_xml: &'a [AnyElement],
}

impl MessageStatus<'_> {
    /// Whether the message reports success: class `Success` and code `NoError`.
    ///
    /// A `Success` class with another code, or with no code at all, is not a success
    /// (exchangelib draws the same line).
    pub fn is_success(&self) -> bool {
        self.class.as_deref() == Some("Success") && self.code.as_deref() == Some("NoError")
    }

    /// A `<Value Name="…">` entry of `MessageXml` (the first, if repeated), trimmed.
    pub fn message_value(&self, name: &str) -> Option<String> {
        self.message_xml
            .iter()
            .find(|e| e.local == "Value" && e.attribute("Name") == Some(name))
            .map(|e| e.text().trim().to_owned())
    }
}

/// A response message: anything derived from `m:ResponseMessageType`, and choices of them.
pub trait ResponseMessage {
    /// The message's status members.
    fn status(&self) -> MessageStatus<'_>;
}

/// An operation's response body: where its per-item response messages are.
///
/// For array responses (`GetItem`, `CreateItem`, …) the messages come one per request item, in
/// request order. Responses without per-item status have [`NoMessage`] messages and an empty
/// list.
pub trait ResponseBody: Sized {
    /// The message type.
    type Message: ResponseMessage;
    /// The messages, in document order.
    fn messages(&self) -> &[Self::Message];
    /// The messages, by value.
    fn into_messages(self) -> Vec<Self::Message>;
}

/// The message type of responses that carry no per-item status. It has no values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoMessage {}

impl ResponseMessage for NoMessage {
    fn status(&self) -> MessageStatus<'_> {
        match *self {}
    }
}
