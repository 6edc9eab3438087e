//! Delegate access: acting on a principal's mailbox with rights the principal granted.

use ews_types::runtime::{Operation, ResponseBody};
use ews_types::{m, t};

use crate::client::Client;
use crate::error::{Error, ErrorKind};
use crate::impersonation::{anchor_value, check_address};

/// Delegate access: acting on a principal's mailbox with rights the principal granted.
///
/// [`Client::mailbox`] returns a [`MailboxClient`] for the principal. Its folder helpers build
/// `DistinguishedFolderId`s that carry the principal's `Mailbox` (explicit access); ids the
/// server returns already point into the principal's mailbox, so calls by id go through
/// [`MailboxClient::send`] unchanged (implicit access). Requests are anchored on the principal
/// (`X-AnchorMailbox`). No impersonation header is ever added.
#[derive(Clone, Debug)]
pub struct MailboxClient {
    pub(crate) client: Client,
    pub(crate) principal: String,
}

impl Client {
    /// A client for `principal`'s mailbox (its primary SMTP address), by delegate access.
    pub fn mailbox(&self, principal: &str) -> Result<MailboxClient, Error> {
        check_address(principal)?;
        let anchor = anchor_value(principal)?;
        Ok(MailboxClient {
            client: self.delegating_to(principal, anchor),
            principal: principal.to_owned(),
        })
    }
}

impl MailboxClient {
    /// The principal's SMTP address.
    pub fn principal(&self) -> &str {
        &self.principal
    }

    /// The principal's mailbox, as an `EmailAddress`.
    pub fn mailbox_address(&self) -> t::EmailAddressType {
        t::EmailAddressType {
            email_address: Some(self.principal.clone().into()),
            ..Default::default()
        }
    }

    /// A well-known folder of the principal's mailbox (explicit access).
    pub fn folder(&self, name: t::DistinguishedFolderIdName) -> t::DistinguishedFolderId {
        t::DistinguishedFolderId::new(name).with_mailbox(self.mailbox_address())
    }

    /// The folder as a `TargetFolderId` (for `SavedItemFolderId`, `ParentFolderId`, …).
    pub fn target_folder(&self, name: t::DistinguishedFolderIdName) -> t::TargetFolderId {
        t::TargetFolderId {
            content: t::TargetFolderIdChoice::DistinguishedFolderId(self.folder(name)),
        }
    }

    /// The folder as the only member of a folder-id list (for `FindItem`, `GetFolder`).
    pub fn folder_ids(
        &self,
        name: t::DistinguishedFolderIdName,
    ) -> t::NonEmptyArrayOfBaseFolderIds {
        t::NonEmptyArrayOfBaseFolderIds::new(
            t::NonEmptyArrayOfBaseFolderIdsChoice::DistinguishedFolderId(self.folder(name)),
        )
    }

    /// The underlying client, scoped to the principal (anchored on it).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Sends any operation, anchored on the principal: for calls by ids the server returned
    /// (implicit access) and requests built with [`MailboxClient::folder`]. An error names the
    /// delegate right that is missing ([`Error::delegation_problem`]).
    pub async fn send<O: Operation>(&self, request: &O) -> Result<O::Response, Error> {
        self.client.send(request).await.map_err(Error::delegated)
    }

    /// [`Client::send_batch`], anchored on the principal.
    pub async fn send_batch<O: Operation>(
        &self,
        request: &O,
        expected: usize,
    ) -> Result<Vec<Result<<O::Response as ResponseBody>::Message, Error>>, Error> {
        let results = self
            .client
            .send_batch(request, expected)
            .await
            .map_err(Error::delegated)?;
        Ok(results
            .into_iter()
            .map(|r| r.map_err(Error::delegated))
            .collect())
    }

    /// Creates a meeting in the principal's calendar and sends the invitations on the
    /// principal's behalf (`SendToAllAndSaveCopy`); returns the new item's id.
    ///
    /// The attendees receive a request whose organizer and From are the principal, and whose
    /// Sender is the delegate ("on behalf of"). Needs Author or Editor on the calendar.
    pub async fn create_meeting(&self, item: t::CalendarItem) -> Result<t::ItemId, Error> {
        let request = m::CreateItem::new(t::NonEmptyArrayOfAllItems::new(
            t::NonEmptyArrayOfAllItemsChoice::CalendarItem(Box::new(item)),
        ))
        .with_send_meeting_invitations(t::CalendarItemCreateOrDeleteOperation::SendToAllAndSaveCopy)
        .with_saved_item_folder_id(self.target_folder(t::DistinguishedFolderIdName::Calendar));
        let mut response = self.send_batch(&request, 1).await?;
        created_id(response.remove(0)?)
    }
}

/// The id of the first item a response message carries (CreateItem, UpdateItem, MoveItem,
/// CopyItem …), through the generated `items()` accessor.
pub(crate) fn created_id(message: m::ArrayOfResponseMessagesChoice) -> Result<t::ItemId, Error> {
    message
        .items()
        .and_then(|items| items.content.first())
        .and_then(item_id)
        .cloned()
        .ok_or_else(|| {
            Error::new(
                ErrorKind::MalformedResponse,
                "the response message carries no ItemId",
            )
        })
}

/// The `ItemId` of any item the server returns (the generated `as_item()` accessor: every
/// item kind the schema has, including those a newer schema adds).
pub fn item_id(item: &t::ArrayOfRealItemsChoice) -> Option<&t::ItemId> {
    item.as_item().item_id().as_deref()
}
