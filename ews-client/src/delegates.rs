//! Delegate management: add, get, update and remove a mailbox's delegates.
//!
//! Folder permission levels follow the EWS Managed API's rules: `Custom` can be read (Outlook
//! sets it) but not written. Adding a delegate with `Custom` is refused before sending; an update
//! leaves a `Custom` level out of the request, so an existing custom permission is never
//! overwritten by the value read back.

use ews_types::runtime::NonEmpty;
use ews_types::{m, t};

use crate::delegate::MailboxClient;
use crate::error::{Error, ErrorKind};
use crate::impersonation::check_address;
use crate::results::message_error;

/// A delegate folder permission level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PermissionLevel {
    /// No access.
    None,
    /// Read items.
    Reviewer,
    /// Read and create items, edit and delete its own.
    Author,
    /// Read, create, edit and delete all items.
    Editor,
    /// A custom combination (read only: cannot be set through EWS).
    Custom,
}

impl PermissionLevel {
    fn to_t(self) -> Option<t::DelegateFolderPermissionLevel> {
        use t::DelegateFolderPermissionLevel as L;
        Some(match self {
            PermissionLevel::None => L::None,
            PermissionLevel::Reviewer => L::Reviewer,
            PermissionLevel::Author => L::Author,
            PermissionLevel::Editor => L::Editor,
            PermissionLevel::Custom => return None,
        })
    }

    fn from_t(l: &t::DelegateFolderPermissionLevel) -> Self {
        use t::DelegateFolderPermissionLevel as L;
        match l {
            L::None => PermissionLevel::None,
            L::Reviewer => PermissionLevel::Reviewer,
            L::Author => PermissionLevel::Author,
            L::Editor => PermissionLevel::Editor,
            L::Custom => PermissionLevel::Custom,
        }
    }
}

/// Permission levels on the six folders a delegate can be given (unset: unchanged on update,
/// `None` on add).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderLevels {
    /// Calendar.
    pub calendar: Option<PermissionLevel>,
    /// Tasks.
    pub tasks: Option<PermissionLevel>,
    /// Inbox.
    pub inbox: Option<PermissionLevel>,
    /// Contacts.
    pub contacts: Option<PermissionLevel>,
    /// Notes.
    pub notes: Option<PermissionLevel>,
    /// Journal.
    pub journal: Option<PermissionLevel>,
}

/// One delegate of a mailbox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delegate {
    /// The delegate's primary SMTP address.
    pub address: String,
    /// Display name (read only).
    pub display_name: Option<String>,
    /// Folder permission levels.
    pub levels: FolderLevels,
    /// Whether the delegate sees items marked private.
    pub view_private_items: Option<bool>,
    /// Whether the delegate receives copies of meeting messages.
    pub receive_copies_of_meeting_messages: Option<bool>,
}

impl Delegate {
    /// A delegate with the given address and nothing else set.
    pub fn new(address: impl Into<String>) -> Self {
        Delegate {
            address: address.into(),
            ..Default::default()
        }
    }

    /// With `level` on the calendar.
    pub fn calendar(mut self, level: PermissionLevel) -> Self {
        self.levels.calendar = Some(level);
        self
    }

    fn to_t(&self, adding: bool) -> Result<t::DelegateUser, Error> {
        check_address(&self.address)?;
        let l = &self.levels;
        let levels = [l.calendar, l.tasks, l.inbox, l.contacts, l.notes, l.journal];
        if adding && levels.contains(&Some(PermissionLevel::Custom)) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "{}: the Custom permission level cannot be set through EWS",
                    self.address
                ),
            ));
        }
        let conv = |l: Option<PermissionLevel>| l.and_then(PermissionLevel::to_t);
        let permissions = t::DelegatePermissions {
            calendar_folder_permission_level: conv(l.calendar),
            tasks_folder_permission_level: conv(l.tasks),
            inbox_folder_permission_level: conv(l.inbox),
            contacts_folder_permission_level: conv(l.contacts),
            notes_folder_permission_level: conv(l.notes),
            journal_folder_permission_level: conv(l.journal),
        };
        let any = permissions != t::DelegatePermissions::default();
        Ok(t::DelegateUser {
            user_id: user_id(&self.address),
            delegate_permissions: any.then_some(permissions),
            receive_copies_of_meeting_messages: self.receive_copies_of_meeting_messages,
            view_private_items: self.view_private_items,
        })
    }

    fn from_t(u: t::DelegateUser) -> Self {
        let p = u.delegate_permissions.unwrap_or_default();
        let conv =
            |l: &Option<t::DelegateFolderPermissionLevel>| l.as_ref().map(PermissionLevel::from_t);
        Delegate {
            address: u
                .user_id
                .primary_smtp_address
                .clone()
                .unwrap_or_default()
                .to_string(),
            display_name: u.user_id.display_name.clone().map(Into::into),
            levels: FolderLevels {
                calendar: conv(&p.calendar_folder_permission_level),
                tasks: conv(&p.tasks_folder_permission_level),
                inbox: conv(&p.inbox_folder_permission_level),
                contacts: conv(&p.contacts_folder_permission_level),
                notes: conv(&p.notes_folder_permission_level),
                journal: conv(&p.journal_folder_permission_level),
            },
            view_private_items: u.view_private_items,
            receive_copies_of_meeting_messages: u.receive_copies_of_meeting_messages,
        }
    }
}

fn user_id(address: &str) -> t::UserId {
    t::UserId {
        primary_smtp_address: Some(address.into()),
        ..Default::default()
    }
}

/// A mailbox's delegates and where its meeting requests go.
#[derive(Debug)]
pub struct Delegates {
    /// One result per delegate, in the server's order.
    pub delegates: Vec<Result<Delegate, Error>>,
    /// `DeliverMeetingRequests`.
    pub deliver_meeting_requests: Option<t::DeliverMeetingRequests>,
}

/// Per-delegate results from the inner `DelegateUserResponseMessage`s, checked against the
/// number of delegates sent.
fn per_delegate(
    inner: Option<m::ArrayOfDelegateUserResponseMessage>,
    expected: Option<usize>,
) -> Result<Vec<Result<Delegate, Error>>, Error> {
    let messages = inner
        .map(|a| a.delegate_user_response_message_type.into_vec())
        .unwrap_or_default();
    if let Some(n) = expected
        && messages.len() != n
    {
        return Err(Error::new(
            ErrorKind::MalformedResponse,
            format!("expected {n} delegate results, got {}", messages.len()),
        ));
    }
    Ok(messages
        .into_iter()
        .enumerate()
        .map(|(i, msg)| {
            let status = ews_types::runtime::ResponseMessage::status(&msg);
            match message_error(&status) {
                Some(mut e) => {
                    e.inner_mut().item_index = Some(i);
                    Err(e)
                }
                None => Ok(msg
                    .delegate_user
                    .map(|d| Delegate::from_t(*d))
                    .unwrap_or_default()),
            }
        })
        .collect())
}

impl MailboxClient {
    /// The mailbox's delegates, with their folder permissions when `include_permissions`.
    pub async fn get_delegates(&self, include_permissions: bool) -> Result<Delegates, Error> {
        let request = m::GetDelegate {
            include_permissions,
            mailbox: self.mailbox_address(),
            user_ids: None,
        };
        let r = self.send(&request).await?;
        Ok(Delegates {
            delegates: per_delegate(r.response_messages.map(|b| *b), None)?,
            deliver_meeting_requests: r.deliver_meeting_requests,
        })
    }

    /// Adds delegates; one result per delegate, in order. `deliver` sets where meeting
    /// requests go (`DelegatesOnly`, `DelegatesAndMe`, …).
    pub async fn add_delegates(
        &self,
        delegates: &[Delegate],
        deliver: Option<t::DeliverMeetingRequests>,
    ) -> Result<Vec<Result<Delegate, Error>>, Error> {
        let users = delegates
            .iter()
            .map(|d| d.to_t(true))
            .collect::<Result<Vec<_>, _>>()?;
        let users = non_empty(users, "delegates to add")?;
        let request = m::AddDelegate {
            mailbox: self.mailbox_address(),
            delegate_users: t::ArrayOfDelegateUser::new(users),
            deliver_meeting_requests: deliver,
        };
        let r = self.send(&request).await?;
        per_delegate(r.response_messages.map(|b| *b), Some(delegates.len()))
    }

    /// Updates delegates (levels left unset, and `Custom` levels, are not written); one result
    /// per delegate, in order.
    pub async fn update_delegates(
        &self,
        delegates: &[Delegate],
        deliver: Option<t::DeliverMeetingRequests>,
    ) -> Result<Vec<Result<Delegate, Error>>, Error> {
        let users = delegates
            .iter()
            .map(|d| d.to_t(false))
            .collect::<Result<Vec<_>, _>>()?;
        let request = m::UpdateDelegate {
            mailbox: self.mailbox_address(),
            delegate_users: NonEmpty::from_vec(users)
                .map(t::ArrayOfDelegateUser::new)
                .map(Box::new),
            deliver_meeting_requests: deliver,
        };
        let r = self.send(&request).await?;
        per_delegate(r.response_messages.map(|b| *b), Some(delegates.len()))
    }

    /// Removes delegates by address; one result per address, in order.
    pub async fn remove_delegates(
        &self,
        addresses: &[&str],
    ) -> Result<Vec<Result<(), Error>>, Error> {
        for a in addresses {
            check_address(a)?;
        }
        let ids = non_empty(
            addresses.iter().map(|a| user_id(a)).collect(),
            "delegates to remove",
        )?;
        let request = m::RemoveDelegate {
            mailbox: self.mailbox_address(),
            user_ids: t::ArrayOfUserId::new(ids),
        };
        let r = self.send(&request).await?;
        Ok(
            per_delegate(r.response_messages.map(|b| *b), Some(addresses.len()))?
                .into_iter()
                .map(|r| r.map(|_| ()))
                .collect(),
        )
    }
}

/// The list, or an `InvalidInput` error naming what was empty (the schema wants one at least).
fn non_empty<T>(items: Vec<T>, what: &str) -> Result<NonEmpty<T>, Error> {
    NonEmpty::from_vec(items).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("no {what}: give at least one"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_is_refused_on_add_and_left_out_on_update() {
        let mut d = Delegate::new("assistant@contoso.com").calendar(PermissionLevel::Editor);
        d.levels.inbox = Some(PermissionLevel::Custom);
        let e = d.to_t(true).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let u = d.to_t(false).unwrap();
        let p = u.delegate_permissions.unwrap();
        assert_eq!(
            p.calendar_folder_permission_level,
            Some(t::DelegateFolderPermissionLevel::Editor)
        );
        assert_eq!(
            p.inbox_folder_permission_level, None,
            "Custom is not written back"
        );
    }
}
