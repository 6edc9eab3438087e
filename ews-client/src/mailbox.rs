//! [`Mailbox`]: the tasks people do on a mailbox, the same whichever way it was opened.
//!
//! The seeds teach to choose the access mode for the situation — impersonation for a service
//! account, delegate access for an assistant, one's own mailbox — and then do the same work.
//! So the three ways of opening a mailbox ([`Client::my_mailbox`], [`Impersonated::mailbox`],
//! [`Client::delegate_to`]) give one type, and its methods build the requests for it: folder
//! ids carry the principal's `Mailbox` under delegate access, requests carry the
//! `ExchangeImpersonation` header under impersonation, and errors of delegate calls name the
//! right that is missing ([`Error::delegation_problem`]).

use ews_types::runtime::{NonEmpty, Operation, ResponseBody};
use ews_types::{m, t};

use crate::answers::MeetingAnswer;
use crate::client::Client;
use crate::delegate::{MailboxClient, created_id};
use crate::error::{Error, ErrorKind};
use crate::impersonation::Impersonated;

use t::DistinguishedFolderIdName as Folder;

/// A mailbox to act on: one's own, an impersonated user's, or a principal's as a delegate.
///
/// ```no_run
/// # async fn run(client: ews_client::Client, appointment: ews_types::t::CalendarItem) -> Result<(), ews_client::Error> {
/// use ews_client::ConnectingSid;
/// // the same task, by impersonation and as a delegate
/// let alice = client.impersonate(ConnectingSid::smtp("alice@contoso.com"))?.mailbox();
/// let boss = client.delegate_to("boss@contoso.com")?;
/// for mailbox in [alice, boss] {
///     let id = mailbox.create_appointment(appointment.clone()).await?;
///     println!("{}: {}", mailbox.address().unwrap_or("me"), id.id);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Mailbox {
    client: Client,
    /// The principal, under delegate access: folder ids name its mailbox explicitly.
    principal: Option<String>,
    /// The mailbox's address when known (impersonation, delegate access).
    address: Option<String>,
}

impl Client {
    /// The signed-in account's own mailbox.
    pub fn my_mailbox(&self) -> Mailbox {
        Mailbox {
            client: self.clone(),
            principal: None,
            address: None,
        }
    }

    /// `principal`'s mailbox by delegate access (what [`Client::mailbox`] opens, as a
    /// [`Mailbox`]).
    pub fn delegate_to(&self, principal: &str) -> Result<Mailbox, Error> {
        Ok(self.mailbox(principal)?.tasks())
    }
}

impl Impersonated {
    /// The impersonated user's mailbox.
    pub fn mailbox(&self) -> Mailbox {
        Mailbox {
            client: self.client().clone(),
            principal: None,
            address: Some(self.anchor().to_owned()),
        }
    }
}

impl MailboxClient {
    /// The principal's mailbox as a [`Mailbox`], for the tasks every access mode shares.
    pub fn tasks(&self) -> Mailbox {
        Mailbox {
            client: self.client().clone(),
            principal: Some(self.principal().to_owned()),
            address: Some(self.principal().to_owned()),
        }
    }
}

impl Mailbox {
    /// This mailbox with another `TimeZoneContext` for its requests
    /// ([`Client::in_time_zone`]).
    pub fn in_time_zone(&self, zone: impl Into<t::TimeZoneContext>) -> Mailbox {
        Mailbox {
            client: self.client.in_time_zone(zone),
            ..self.clone()
        }
    }

    /// The mailbox's SMTP address, when it was opened by one (impersonation, delegate access).
    pub fn address(&self) -> Option<&str> {
        self.address.as_deref()
    }

    /// A well-known folder of this mailbox, as requests name it (with the principal's
    /// `Mailbox` under delegate access).
    pub fn folder(&self, name: Folder) -> t::DistinguishedFolderId {
        let id = t::DistinguishedFolderId::new(name);
        match &self.principal {
            Some(p) => id.with_mailbox(t::EmailAddressType::default().with_email_address(p)),
            None => id,
        }
    }

    /// The folder as a target (`SavedItemFolderId`, `ToFolderId`).
    pub fn target(&self, name: Folder) -> t::TargetFolderId {
        t::TargetFolderId {
            content: t::TargetFolderIdChoice::DistinguishedFolderId(self.folder(name)),
        }
    }

    /// The folder as a one-folder list (`ParentFolderIds`, `FolderIds`).
    pub fn folder_ids(&self, name: Folder) -> t::NonEmptyArrayOfBaseFolderIds {
        t::NonEmptyArrayOfBaseFolderIds::new(
            t::NonEmptyArrayOfBaseFolderIdsChoice::DistinguishedFolderId(self.folder(name)),
        )
    }

    fn mark(&self, e: Error) -> Error {
        if self.principal.is_some() {
            e.delegated()
        } else {
            e
        }
    }

    /// Sends any operation as this mailbox's access mode sends it.
    pub async fn send<O: Operation>(&self, request: &O) -> Result<O::Response, Error> {
        self.client.send(request).await.map_err(|e| self.mark(e))
    }

    /// The one response message of a one-item request, or its error.
    pub(crate) async fn send_one<O: Operation>(
        &self,
        request: &O,
    ) -> Result<<O::Response as ResponseBody>::Message, Error> {
        let mut results = self
            .client
            .send_batch(request, 1)
            .await
            .map_err(|e| self.mark(e))?;
        results.remove(0).map_err(|e| self.mark(e))
    }

    async fn create(
        &self,
        item: t::NonEmptyArrayOfAllItemsChoice,
        folder: Folder,
        disposition: Option<t::MessageDisposition>,
        invitations: Option<t::CalendarItemCreateOrDeleteOperation>,
    ) -> Result<t::ItemId, Error> {
        let mut request = m::CreateItem::new(t::NonEmptyArrayOfAllItems::new(item))
            .with_saved_item_folder_id(self.target(folder));
        request.message_disposition = disposition;
        request.send_meeting_invitations = invitations;
        created_id(self.send_one(&request).await?)
    }

    /// Creates an appointment in this mailbox's calendar; with attendees it is a meeting and
    /// the invitations go out (`SendToAllAndSaveCopy`). Returns the new item's id.
    ///
    /// The item's zone goes as the requested server version takes it: `StartTimeZone` and
    /// `EndTimeZone` for Exchange 2010 and later, the start zone as `MeetingTimeZone` for
    /// Exchange 2007 (whose schema has neither).
    ///
    /// ```no_run
    /// # async fn run(mailbox: ews_client::Mailbox) -> Result<(), ews_client::Error> {
    /// use ews_client::{Zone, chrono::NaiveDate, t};
    /// // 09:00 every Monday in Berlin, six times, across the October change of clocks
    /// let berlin = Zone::iana("Europe/Berlin")?;
    /// let first = NaiveDate::from_ymd_opt(2026, 10, 5).unwrap();
    /// let weekly = t::WeeklyRecurrencePattern::new(1, vec![t::DayOfWeek::Monday]);
    /// let standup = t::CalendarItem::default()
    ///     .with_subject("Standup")
    ///     .with_start(berlin.at(first.and_hms_opt(9, 0, 0).unwrap())?)
    ///     .with_end(berlin.at(first.and_hms_opt(9, 15, 0).unwrap())?)
    ///     .with_start_time_zone(berlin.definition())
    ///     .with_end_time_zone(berlin.definition())
    ///     .with_recurrence(t::Recurrence::new(
    ///         t::RecurrenceChoice::WeeklyRecurrence(weekly),
    ///         t::RecurrenceChoice2::NumberedRecurrence(t::NumberedRecurrenceRange::new(first, 6)),
    ///     ));
    /// mailbox.create_appointment(standup).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_appointment(&self, item: t::CalendarItem) -> Result<t::ItemId, Error> {
        let invitations = if has_attendees(&item) {
            t::CalendarItemCreateOrDeleteOperation::SendToAllAndSaveCopy
        } else {
            t::CalendarItemCreateOrDeleteOperation::SendToNone
        };
        let item = zones_for(self.client.requested_version(), item);
        let item = t::NonEmptyArrayOfAllItemsChoice::CalendarItem(Box::new(item));
        self.create(item, Folder::Calendar, None, Some(invitations))
            .await
    }

    /// Creates several appointments in this mailbox's calendar, `batch` per CreateItem request
    /// (at least 1, at most [`MAX_BATCH`]), as [`Mailbox::create_appointment`] creates one:
    /// invitations go out for those with attendees (which are batched apart from those
    /// without). One result per appointment, in order: an item the server stopped at
    /// (`ErrorBatchProcessingStopped`) is reported as not processed; when a whole request fails,
    /// each of its items gets that error, with its outcome (unknown after a timeout).
    ///
    /// Microsoft gives no hard cap, asks for small batches and runs a request for at most one
    /// minute; 10 is a safe size, exchangelib uses 100.
    pub async fn create_appointments(
        &self,
        items: Vec<t::CalendarItem>,
        batch: usize,
    ) -> Vec<Result<t::ItemId, Error>> {
        let batch = batch.clamp(1, MAX_BATCH);
        let version = self.client.requested_version();
        let mut out: Vec<Option<Result<t::ItemId, Error>>> = items.iter().map(|_| None).collect();
        // (index, item) by invitation mode, each group in input order
        let (inviting, quiet): (Vec<_>, Vec<_>) = items
            .into_iter()
            .enumerate()
            .partition(|(_, item)| has_attendees(item));
        for (group, mode) in [
            (
                inviting,
                t::CalendarItemCreateOrDeleteOperation::SendToAllAndSaveCopy,
            ),
            (quiet, t::CalendarItemCreateOrDeleteOperation::SendToNone),
        ] {
            let mut group = group.into_iter().peekable();
            while group.peek().is_some() {
                let chunk: Vec<(usize, t::CalendarItem)> = group.by_ref().take(batch).collect();
                let indices: Vec<usize> = chunk.iter().map(|(i, _)| *i).collect();
                let list = NonEmpty::collect(chunk.into_iter().map(|(_, item)| {
                    t::NonEmptyArrayOfAllItemsChoice::CalendarItem(Box::new(zones_for(
                        version, item,
                    )))
                }))
                .expect("a chunk holds at least one item");
                let request = m::CreateItem::new(t::NonEmptyArrayOfAllItems::new(list))
                    .with_saved_item_folder_id(self.target(Folder::Calendar))
                    .with_send_meeting_invitations(mode);
                match self.client.send_batch(&request, indices.len()).await {
                    Ok(results) => {
                        for (i, r) in indices.iter().zip(results) {
                            out[*i] = Some(r.map_err(|e| self.mark(e)).and_then(created_id));
                        }
                    }
                    Err(e) => {
                        let e = self.mark(e);
                        for (k, i) in indices.iter().enumerate() {
                            out[*i] = Some(Err(e.for_item(k)));
                        }
                    }
                }
            }
        }
        out.into_iter()
            .map(|r| r.expect("every item was in a batch"))
            .collect()
    }

    /// Saves a message in this mailbox's Drafts; returns its id.
    pub async fn save_draft(&self, message: t::Message) -> Result<t::ItemId, Error> {
        let item = t::NonEmptyArrayOfAllItemsChoice::Message(Box::new(message));
        let saveonly = Some(t::MessageDisposition::SaveOnly);
        self.create(item, Folder::Drafts, saveonly, None).await
    }

    /// Sends a message from this mailbox, keeping a copy in its Sent Items.
    pub async fn send_message(&self, message: t::Message) -> Result<(), Error> {
        let request = m::CreateItem::new(t::NonEmptyArrayOfAllItems::new(
            t::NonEmptyArrayOfAllItemsChoice::Message(Box::new(message)),
        ))
        .with_message_disposition(t::MessageDisposition::SendAndSaveCopy)
        .with_saved_item_folder_id(self.target(Folder::Sentitems));
        self.send_one(&request).await.map(|_| ())
    }

    /// Reads an item, with every property the server returns by default.
    pub async fn get(&self, id: &t::ItemId) -> Result<t::ArrayOfRealItemsChoice, Error> {
        let request = m::GetItem::new(
            t::ItemResponseShape::new(t::DefaultShapeNames::AllProperties),
            ids(id),
        );
        let message = self.send_one(&request).await?;
        message
            .items()
            .and_then(|i| i.content.first())
            .cloned()
            .ok_or_else(|| malformed("GetItem returned no item"))
    }

    /// Deletes an item the way `disposal` says (`MoveToDeletedItems` keeps it recoverable).
    /// Deleting a meeting this way sends no cancellation: see [`Mailbox::cancel_meeting`].
    pub async fn delete(&self, id: &t::ItemId, disposal: t::Disposal) -> Result<(), Error> {
        let request = m::DeleteItem::new(disposal, ids(id))
            .with_send_meeting_cancellations(t::CalendarItemCreateOrDeleteOperation::SendToNone);
        self.send_one(&request).await.map(|_| ())
    }

    /// Cancels a meeting this mailbox organizes: the attendees get a cancellation, and the
    /// item moves to Deleted Items.
    pub async fn cancel_meeting(&self, id: &t::ItemId) -> Result<(), Error> {
        let request = m::DeleteItem::new(t::Disposal::MoveToDeletedItems, ids(id))
            .with_send_meeting_cancellations(
                t::CalendarItemCreateOrDeleteOperation::SendToAllAndSaveCopy,
            );
        self.send_one(&request).await.map(|_| ())
    }

    /// Moves an item to a folder of this mailbox; returns its new id.
    pub async fn move_to(&self, id: &t::ItemId, folder: Folder) -> Result<t::ItemId, Error> {
        let request = m::MoveItem {
            to_folder_id: self.target(folder),
            item_ids: ids(id),
            return_new_item_ids: Some(true),
        };
        created_id(self.send_one(&request).await?)
    }

    /// Copies an item to a folder of this mailbox; returns the copy's id.
    pub async fn copy_to(&self, id: &t::ItemId, folder: Folder) -> Result<t::ItemId, Error> {
        let request = m::CopyItem {
            to_folder_id: self.target(folder),
            item_ids: ids(id),
            return_new_item_ids: Some(true),
        };
        created_id(self.send_one(&request).await?)
    }

    /// Accepts, tentatively accepts or declines a meeting request (or the calendar item it
    /// made), with an optional text for the organizer.
    pub async fn answer_meeting(
        &self,
        reference: t::ItemId,
        answer: MeetingAnswer,
        text: Option<&str>,
    ) -> Result<(), Error> {
        self.send_one(&answer.request(reference, text))
            .await
            .map(|_| ())
    }

    /// The underlying client, scoped to this mailbox.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// Items per CreateItem request that [`Mailbox::create_appointments`] allows (exchangelib's
/// chunk size; Microsoft asks for small batches within one minute of work).
pub const MAX_BATCH: usize = 100;

/// Whether the appointment invites anyone (then it is a meeting).
fn has_attendees(item: &t::CalendarItem) -> bool {
    item.required_attendees.is_some()
        || item.optional_attendees.is_some()
        || item.resources.is_some()
}

/// `item` with its zones as `version` takes them: Exchange 2007's schema has no
/// `StartTimeZone`/`EndTimeZone`, only `MeetingTimeZone` (by name since 2007 SP1).
fn zones_for(version: t::ExchangeVersion, mut item: t::CalendarItem) -> t::CalendarItem {
    use t::ExchangeVersion as V;
    if matches!(version, V::Exchange2007 | V::Exchange2007Sp1) {
        let start = item.start_time_zone.take();
        item.end_time_zone = None;
        if item.meeting_time_zone.is_none()
            && let Some(id) = start.and_then(|z| z.id)
        {
            item.meeting_time_zone = Some(Box::new(t::TimeZone::default().with_time_zone_name(id)));
        }
    }
    item
}

/// Attendees by SMTP address, for `required_attendees` or `optional_attendees`; `None` for
/// none (the schema has no empty attendee list).
///
/// ```
/// let meeting = ews_types::t::CalendarItem {
///     subject: Some("Planning".into()),
///     required_attendees: ews_client::attendees(["bob@contoso.com", "carol@contoso.com"]),
///     ..Default::default()
/// };
/// assert_eq!(meeting.required_attendees.unwrap().attendee.len(), 2);
/// assert!(ews_client::attendees(Vec::<String>::new()).is_none());
/// ```
pub fn attendees<S: Into<String>>(
    addresses: impl IntoIterator<Item = S>,
) -> Option<Box<t::NonEmptyArrayOfAttendees>> {
    let list = addresses
        .into_iter()
        .map(|a| t::Attendee::new(t::EmailAddressType::default().with_email_address(a.into())));
    NonEmpty::collect(list).map(|l| Box::new(t::NonEmptyArrayOfAttendees::new(l)))
}

fn ids(id: &t::ItemId) -> t::NonEmptyArrayOfBaseItemIds {
    t::NonEmptyArrayOfBaseItemIds::new(NonEmpty::new(t::NonEmptyArrayOfBaseItemIdsChoice::ItemId(
        id.clone(),
    )))
}

fn malformed(what: &str) -> Error {
    Error::new(ErrorKind::MalformedResponse, what)
}
