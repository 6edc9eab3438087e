//! Changing items after they exist: [`Mailbox::update`] with a list of [`Changes`], and file
//! attachments ([`Mailbox::attach_file`], [`Mailbox::file_attachment`],
//! [`Mailbox::delete_attachment`]).

use chrono::{DateTime, Utc};
use ews_types::runtime::{Base64Binary, NonEmpty};
use ews_types::{m, t};

use crate::error::{Error, ErrorKind};
use crate::mailbox::Mailbox;

use t::UnindexedFieldURI as F;

/// The kind of item a [`Changes`] list edits: the element each `SetItemField` carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Appointment,
    Message,
}

/// Property changes for [`Mailbox::update`], each one `SetItemField` or `DeleteItemField`.
///
/// ```
/// use ews_client::edits::Changes;
/// use ews_client::chrono::{TimeZone, Utc};
/// let later = Changes::appointment()
///     .subject("Planning (moved)")
///     .start(Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap())
///     .end(Utc.with_ymd_and_hms(2026, 12, 3, 11, 0, 0).unwrap());
/// assert_eq!(later.len(), 3);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Changes {
    kind: Kind,
    list: Vec<t::NonEmptyArrayOfItemChangeDescriptionsChoice>,
    /// A calendar property was set on a message's list: `update` refuses it.
    misplaced: bool,
}

impl Changes {
    /// Changes to a calendar item. An update that moves a meeting sends the attendees the
    /// update (`SendToAllAndSaveCopy`).
    pub fn appointment() -> Changes {
        Changes {
            kind: Kind::Appointment,
            list: Vec::new(),
            misplaced: false,
        }
    }

    /// Changes to a message (saved, not sent: `SaveOnly`).
    pub fn message() -> Changes {
        Changes {
            kind: Kind::Message,
            list: Vec::new(),
            misplaced: false,
        }
    }

    /// How many changes the list holds.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether the list holds no change (an update needs at least one).
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Sets `field` to its value in `item`, which must be of this list's kind (a
    /// `CalendarItem` for [`Changes::appointment`], a `Message` for [`Changes::message`]).
    #[must_use]
    pub fn set(mut self, field: F, item: t::SetItemFieldChoice) -> Changes {
        let path = t::Path::FieldURI(t::PathToUnindexedField::new(field));
        let set = t::SetItemField::new(path, item);
        self.list
            .push(t::NonEmptyArrayOfItemChangeDescriptionsChoice::SetItemField(set));
        self
    }

    /// Removes `field` from the item.
    #[must_use]
    pub fn delete(mut self, field: F) -> Changes {
        let path = t::Path::FieldURI(t::PathToUnindexedField::new(field));
        self.list.push(
            t::NonEmptyArrayOfItemChangeDescriptionsChoice::DeleteItemField(
                t::DeleteItemField::new(path),
            ),
        );
        self
    }

    fn set_common(self, field: F, edit: impl FnOnce(t::Item) -> t::Item) -> Changes {
        let kind = self.kind;
        let base = edit(t::Item::default());
        let item = match kind {
            Kind::Appointment => t::SetItemFieldChoice::CalendarItem(Box::new(with_base(base))),
            Kind::Message => t::SetItemFieldChoice::Message(Box::new(with_base(base))),
        };
        self.set(field, item)
    }

    /// A new subject.
    #[must_use]
    pub fn subject(self, subject: impl Into<String>) -> Changes {
        let subject = subject.into();
        self.set_common(F::ItemSubject, |i| i.with_subject(subject))
    }

    /// A new plain-text body.
    #[must_use]
    pub fn body_text(self, text: impl Into<String>) -> Changes {
        let body = t::Body::new(t::BodyType::Text, text.into());
        self.set_common(F::ItemBody, |i| i.with_body(body))
    }

    /// A new start (appointments only).
    #[must_use]
    pub fn start(self, at: DateTime<Utc>) -> Changes {
        self.calendar(F::CalendarStart, |c| c.with_start(at))
    }

    /// A new end (appointments only).
    #[must_use]
    pub fn end(self, at: DateTime<Utc>) -> Changes {
        self.calendar(F::CalendarEnd, |c| c.with_end(at))
    }

    /// A new location (appointments only).
    #[must_use]
    pub fn location(self, location: impl Into<String>) -> Changes {
        let location = location.into();
        self.calendar(F::CalendarLocation, |c| c.with_location(location))
    }

    fn calendar(
        mut self,
        field: F,
        edit: impl FnOnce(t::CalendarItem) -> t::CalendarItem,
    ) -> Changes {
        if self.kind != Kind::Appointment {
            self.misplaced = true;
            return self;
        }
        let item = edit(t::CalendarItem::default());
        self.set(field, t::SetItemFieldChoice::CalendarItem(Box::new(item)))
    }

    fn request(self, id: &t::ItemId) -> Result<m::UpdateItem, Error> {
        if self.misplaced {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "start, end and location are calendar properties: use Changes::appointment()",
            ));
        }
        let list = NonEmpty::try_from(self.list).map_err(|_| {
            Error::new(
                ErrorKind::InvalidInput,
                "an update needs at least one change",
            )
        })?;
        let change = t::ItemChange::new(
            t::ItemChangeChoice::ItemId(id.clone()),
            t::NonEmptyArrayOfItemChangeDescriptions::new(list),
        );
        let request = m::UpdateItem::new(
            t::ConflictResolution::AutoResolve,
            t::NonEmptyArrayOfItemChanges::new(change),
        );
        Ok(match self.kind {
            Kind::Appointment => request.with_send_meeting_invitations_or_cancellations(
                t::CalendarItemUpdateOperation::SendToAllAndSaveCopy,
            ),
            Kind::Message => request.with_message_disposition(t::MessageDisposition::SaveOnly),
        })
    }
}

/// A `CalendarItem` or `Message` holding the subject and body of `base`.
fn with_base<T: ews_types::base::Item + Default>(base: t::Item) -> T {
    let mut out = T::default();
    *out.subject_mut() = base.subject;
    *out.body_mut() = base.body;
    out
}

impl Mailbox {
    /// Applies `changes` to the item `id` names; returns its id with the new change key.
    ///
    /// Conflicts resolve as Exchange's `AutoResolve` does: the update fails with
    /// `ErrorIrresolvableConflict` if someone changed the same item since `id`'s change key.
    pub async fn update(&self, id: &t::ItemId, changes: Changes) -> Result<t::ItemId, Error> {
        let request = changes.request(id)?;
        let message = self.send_one(&request).await?;
        message
            .items()
            .and_then(|i| i.content.first())
            .and_then(|item| item.as_item().item_id().clone())
            .ok_or_else(|| malformed("UpdateItem returned no item id"))
            .map(|b| *b)
    }

    /// Attaches a file to the item `item`; returns the attachment's id.
    pub async fn attach_file(
        &self,
        item: &t::ItemId,
        name: &str,
        content_type: &str,
        content: Vec<u8>,
    ) -> Result<t::AttachmentId, Error> {
        let file = t::FileAttachment::default()
            .with_name(name)
            .with_content_type(content_type)
            .with_content(Base64Binary(content));
        let request = m::CreateAttachment::new(
            item.clone(),
            t::NonEmptyArrayOfAttachments::new(
                t::NonEmptyArrayOfAttachmentsChoice::FileAttachment(file),
            ),
        );
        let m::ArrayOfResponseMessagesChoice::CreateAttachmentResponseMessage(info) =
            self.send_one(&request).await?
        else {
            return Err(malformed("expected a CreateAttachmentResponseMessage"));
        };
        info.attachments
            .and_then(|a| a.content.into_iter().next())
            .and_then(|a| match a {
                t::ArrayOfAttachmentsChoice::FileAttachment(f) => f.attachment_id.map(|id| *id),
                _ => None,
            })
            .ok_or_else(|| malformed("CreateAttachment returned no attachment id"))
    }

    /// Reads a file attachment with its content.
    pub async fn file_attachment(&self, id: &t::AttachmentId) -> Result<t::FileAttachment, Error> {
        let request = m::GetAttachment::new(request_ids(id));
        let m::ArrayOfResponseMessagesChoice::GetAttachmentResponseMessage(info) =
            self.send_one(&request).await?
        else {
            return Err(malformed("expected a GetAttachmentResponseMessage"));
        };
        match info.attachments.and_then(|a| a.content.into_iter().next()) {
            Some(t::ArrayOfAttachmentsChoice::FileAttachment(file)) => Ok(file),
            Some(_) => Err(Error::new(
                ErrorKind::InvalidInput,
                "the attachment is not a file attachment",
            )),
            None => Err(malformed("GetAttachment returned no attachment")),
        }
    }

    /// Deletes an attachment.
    pub async fn delete_attachment(&self, id: &t::AttachmentId) -> Result<(), Error> {
        let request = m::DeleteAttachment::new(request_ids(id));
        self.send_one(&request).await.map(|_| ())
    }
}

/// An attachment id as requests carry it: the id alone (the schema's `RequestAttachmentIdType`
/// has no root item id; Exchange puts one on the ids it returns from CreateAttachment).
fn request_ids(id: &t::AttachmentId) -> t::NonEmptyArrayOfRequestAttachmentIds {
    t::NonEmptyArrayOfRequestAttachmentIds::new(
        t::NonEmptyArrayOfRequestAttachmentIdsChoice::AttachmentId(t::RequestAttachmentId::new(
            id.id.clone(),
        )),
    )
}

fn malformed(what: &str) -> Error {
    Error::new(ErrorKind::MalformedResponse, what)
}
