//! Folder permissions: the third way into another mailbox, when neither delegation nor
//! impersonation fits (a shared calendar, a team inbox).
//!
//! EWS reads and writes a folder's whole permission set (`folder:PermissionSet`); calendar
//! folders carry calendar permissions, whose levels add the free/busy ones. These helpers read
//! the set, change one user's entry (level, or custom flags), and write the set back.

use ews_types::{m, t};

use crate::delegate::MailboxClient;
use crate::error::{Error, ErrorKind};
use crate::impersonation::check_address;

/// A folder's permission set, in the form its folder class uses.
#[derive(Debug, Clone, PartialEq)]
pub enum PermissionSet {
    /// Any folder but a calendar.
    Folder(t::PermissionSet),
    /// A calendar folder.
    Calendar(t::CalendarPermissionSet),
}

/// A folder and its permissions, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct FolderPermissions {
    /// The folder's id and change key.
    pub folder_id: t::FolderId,
    /// Its permission set.
    pub set: PermissionSet,
}

fn is_user(id: &t::UserId, address: &str) -> bool {
    id.primary_smtp_address
        .as_deref()
        .is_some_and(|a| a.eq_ignore_ascii_case(address))
}

fn user_id(address: &str) -> t::UserId {
    t::UserId {
        primary_smtp_address: Some(address.into()),
        ..Default::default()
    }
}

impl PermissionSet {
    /// Gives `address` the folder permission level `level` (no custom flags), adding it if
    /// missing. For calendar folders use [`PermissionSet::set_calendar_level`].
    pub fn set_level(&mut self, address: &str, level: t::PermissionLevel) -> Result<(), Error> {
        self.set(address, t::Permission::new(user_id(address), level))
    }

    /// Gives `address` the calendar permission level `level`, adding it if missing.
    pub fn set_calendar_level(
        &mut self,
        address: &str,
        level: t::CalendarPermissionLevel,
    ) -> Result<(), Error> {
        self.set_calendar(address, t::CalendarPermission::new(user_id(address), level))
    }

    /// Sets `address`'s entry to `permission` (its user id is set to the address), adding it
    /// if missing. For calendar folders use [`PermissionSet::set_calendar`].
    pub fn set(&mut self, address: &str, mut permission: t::Permission) -> Result<(), Error> {
        check_address(address)?;
        let PermissionSet::Folder(set) = self else {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "a calendar folder takes calendar permissions (set_calendar)",
            ));
        };
        permission.user_id = user_id(address);
        let list = &mut set.permissions.content;
        list.retain(|t::ArrayOfPermissionsChoice::Permission(p)| !is_user(&p.user_id, address));
        list.push(t::ArrayOfPermissionsChoice::Permission(permission));
        Ok(())
    }

    /// Sets `address`'s calendar permission, adding it if missing.
    pub fn set_calendar(
        &mut self,
        address: &str,
        mut permission: t::CalendarPermission,
    ) -> Result<(), Error> {
        check_address(address)?;
        let PermissionSet::Calendar(set) = self else {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "only calendar folders take calendar permissions (use set)",
            ));
        };
        permission.user_id = user_id(address);
        let list = &mut set.calendar_permissions.content;
        list.retain(
            |t::ArrayOfCalendarPermissionsChoice::CalendarPermission(p)| {
                !is_user(&p.user_id, address)
            },
        );
        list.push(t::ArrayOfCalendarPermissionsChoice::CalendarPermission(
            permission,
        ));
        Ok(())
    }

    /// Removes `address`'s entry; whether there was one.
    pub fn remove(&mut self, address: &str) -> bool {
        match self {
            PermissionSet::Folder(s) => {
                let before = s.permissions.content.len();
                s.permissions
                    .content
                    .retain(|t::ArrayOfPermissionsChoice::Permission(p)| {
                        !is_user(&p.user_id, address)
                    });
                before != s.permissions.content.len()
            }
            PermissionSet::Calendar(s) => {
                let before = s.calendar_permissions.content.len();
                s.calendar_permissions.content.retain(
                    |t::ArrayOfCalendarPermissionsChoice::CalendarPermission(p)| {
                        !is_user(&p.user_id, address)
                    },
                );
                before != s.calendar_permissions.content.len()
            }
        }
    }
}

impl MailboxClient {
    /// Reads the permission set of one of the principal's well-known folders.
    pub async fn folder_permissions(
        &self,
        folder: t::DistinguishedFolderIdName,
    ) -> Result<FolderPermissions, Error> {
        let request = m::GetFolder::new(
            t::FolderResponseShape::new(t::DefaultShapeNames::IdOnly).with_additional_properties(
                t::NonEmptyArrayOfPathsToElement::new(
                    t::NonEmptyArrayOfPathsToElementChoice::FieldURI(t::PathToUnindexedField::new(
                        t::UnindexedFieldURI::FolderPermissionSet,
                    )),
                ),
            ),
            self.folder_ids(folder),
        );
        let response = self.send(&request).await?;
        let folder = response
            .response_messages
            .content
            .into_iter()
            .find_map(|m| match m {
                m::ArrayOfResponseMessagesChoice::GetFolderResponseMessage(f) => f.folders,
                _ => None,
            })
            .and_then(|f| f.content.into_iter().next())
            .ok_or_else(|| {
                Error::new(ErrorKind::MalformedResponse, "GetFolder returned no folder")
            })?;
        use t::ArrayOfFoldersChoice as F;
        // Never an empty set in its place: written back, it would remove every permission.
        let no_set = || {
            Error::new(
                ErrorKind::MalformedResponse,
                "GetFolder returned no PermissionSet",
            )
        };
        let (id, set) = match folder {
            F::CalendarFolder(f) => (
                f.folder_id,
                PermissionSet::Calendar(*f.permission_set.ok_or_else(no_set)?),
            ),
            F::Folder(f) => (
                f.folder_id,
                PermissionSet::Folder(*f.permission_set.ok_or_else(no_set)?),
            ),
            F::ContactsFolder(f) => (
                f.folder_id,
                PermissionSet::Folder(*f.permission_set.ok_or_else(no_set)?),
            ),
            F::TasksFolder(f) => (
                f.folder_id,
                PermissionSet::Folder(*f.permission_set.ok_or_else(no_set)?),
            ),
            F::SearchFolder(f) => (
                f.folder_id,
                PermissionSet::Folder(*f.permission_set.ok_or_else(no_set)?),
            ),
        };
        let folder_id = id.ok_or_else(|| {
            Error::new(
                ErrorKind::MalformedResponse,
                "GetFolder returned no FolderId",
            )
        })?;
        Ok(FolderPermissions {
            folder_id: *folder_id,
            set,
        })
    }

    /// Writes a permission set back (`UpdateFolder`, `SetFolderField folder:PermissionSet`),
    /// with the change key read, so a concurrent change is refused rather than overwritten.
    pub async fn set_folder_permissions(&self, p: &FolderPermissions) -> Result<(), Error> {
        let folder = match &p.set {
            PermissionSet::Folder(s) => t::SetFolderFieldChoice::Folder(t::Folder {
                permission_set: Some(Box::new(s.clone())),
                ..Default::default()
            }),
            PermissionSet::Calendar(s) => {
                t::SetFolderFieldChoice::CalendarFolder(t::CalendarFolder {
                    permission_set: Some(Box::new(s.clone())),
                    ..Default::default()
                })
            }
        };
        let set_field = t::SetFolderField::new(
            t::Path::FieldURI(t::PathToUnindexedField::new(
                t::UnindexedFieldURI::FolderPermissionSet,
            )),
            folder,
        );
        let change = t::FolderChange::new(
            t::FolderChangeChoice::FolderId(p.folder_id.clone()),
            t::NonEmptyArrayOfFolderChangeDescriptions::new(
                t::NonEmptyArrayOfFolderChangeDescriptionsChoice::SetFolderField(Box::new(
                    set_field,
                )),
            ),
        );
        let request = m::UpdateFolder::new(t::NonEmptyArrayOfFolderChanges::new(change));
        self.send(&request).await.map(|_| ())
    }
}
