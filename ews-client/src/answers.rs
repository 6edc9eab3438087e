//! Answering meeting requests: accept, tentatively accept or decline, for oneself, for a
//! principal as a delegate, or for an impersonated mailbox.

use ews_types::{m, t};

use crate::delegate::MailboxClient;
use crate::error::Error;

/// An answer to a meeting request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeetingAnswer {
    /// `AcceptItem`: the meeting shows as busy.
    Accept,
    /// `TentativelyAcceptItem`: the meeting shows as tentative.
    Tentative,
    /// `DeclineItem`: Exchange moves the meeting to Deleted Items.
    Decline,
}

impl MeetingAnswer {
    /// The `CreateItem` that sends this answer to the organizer and keeps a copy in Sent Items
    /// (`SendAndSaveCopy`). `reference` is the meeting request (the attendee's, or a
    /// delegate's copy of it) or the attendee's calendar item; `text`, if any, is the answer's
    /// plain-text body. Send it with any client: [`Client::send`](crate::Client::send) for
    /// one's own meetings, [`Impersonated::send`](crate::Impersonated::send) for an
    /// impersonated mailbox, or use [`MailboxClient::answer_meeting`] as a delegate.
    ///
    /// ```
    /// use ews_client::MeetingAnswer;
    /// use ews_types::t;
    /// let request = MeetingAnswer::Decline.request(
    ///     t::ItemId { id: "AAMkRequest".into(), change_key: None },
    ///     Some("On leave that week"),
    /// );
    /// assert!(matches!(
    ///     &request.items.content[0],
    ///     t::NonEmptyArrayOfAllItemsChoice::DeclineItem(d)
    ///         if d.reference_item_id.as_ref().map(|r| r.id.as_str()) == Some("AAMkRequest")
    /// ));
    /// ```
    pub fn request(self, reference: t::ItemId, text: Option<&str>) -> m::CreateItem {
        use t::NonEmptyArrayOfAllItemsChoice as I;
        let body = text.map(|text| t::Body::new(t::BodyType::Text, text));
        let reference_item_id = Some(reference);
        let item = match self {
            MeetingAnswer::Accept => I::AcceptItem(t::AcceptItem {
                reference_item_id: reference_item_id.map(Box::new),
                body: body.map(Box::new),
                ..Default::default()
            }),
            MeetingAnswer::Tentative => I::TentativelyAcceptItem(t::TentativelyAcceptItem {
                reference_item_id: reference_item_id.map(Box::new),
                body: body.map(Box::new),
                ..Default::default()
            }),
            MeetingAnswer::Decline => I::DeclineItem(t::DeclineItem {
                reference_item_id: reference_item_id.map(Box::new),
                body: body.map(Box::new),
                ..Default::default()
            }),
        };
        m::CreateItem::new(t::NonEmptyArrayOfAllItems::new(item))
            .with_message_disposition(t::MessageDisposition::SendAndSaveCopy)
    }
}

impl MailboxClient {
    /// Answers a meeting request on the principal's behalf: the organizer receives the answer
    /// with From = the principal and Sender = the delegate, and the principal's calendar item
    /// records it. `reference` is the request (in the principal's inbox, or the copy a delegate
    /// that receives meeting messages got) or the principal's calendar item. Needs Author or
    /// Editor on the principal's calendar. ([`crate::Mailbox::answer_meeting`] for any mailbox.)
    pub async fn answer_meeting(
        &self,
        reference: t::ItemId,
        answer: MeetingAnswer,
        text: Option<&str>,
    ) -> Result<(), Error> {
        self.tasks().answer_meeting(reference, answer, text).await
    }
}
