//! The folder hierarchy every mailbox starts with, as Exchange 2016/2019 creates it.
//!
//! Each well-known folder has its parent, display name, folder class and the element it is
//! written as (`Folder`, `CalendarFolder`, `ContactsFolder`, `TasksFolder`). Names the schema
//! lists that an on-premises mailbox without an archive or public folders does not have
//! (`archive*`, `publicfoldersroot`, the Office 365 ones) are absent: asking for one gets
//! `ErrorFolderNotFound`, as Exchange answers.

use ews_types::t::DistinguishedFolderIdName as N;

/// How a folder is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `t:Folder`.
    Mail,
    /// `t:CalendarFolder`.
    Calendar,
    /// `t:ContactsFolder`.
    Contacts,
    /// `t:TasksFolder`.
    Tasks,
}

/// One well-known folder.
#[derive(Debug, Clone, Copy)]
pub struct WellKnown {
    /// Its distinguished name.
    pub name: N,
    /// Its parent (`None` for the root).
    pub parent: Option<N>,
    /// `DisplayName`.
    pub display: &'static str,
    /// `FolderClass` (`None` where Exchange leaves it unset, as on the root).
    pub class: Option<&'static str>,
    /// The element it is written as.
    pub kind: Kind,
}

const fn wk(
    name: N,
    parent: Option<N>,
    display: &'static str,
    class: Option<&'static str>,
    kind: Kind,
) -> WellKnown {
    WellKnown {
        name,
        parent,
        display,
        class,
        kind,
    }
}

const ROOT: Option<N> = Some(N::Root);
const TOP: Option<N> = Some(N::Msgfolderroot);
const NOTE: Option<&str> = Some("IPF.Note");

/// The hierarchy, parents before children.
pub const TREE: &[WellKnown] = &[
    wk(N::Root, None, "Root", None, Kind::Mail),
    wk(
        N::Msgfolderroot,
        ROOT,
        "Top of Information Store",
        NOTE,
        Kind::Mail,
    ),
    wk(N::Inbox, TOP, "Inbox", NOTE, Kind::Mail),
    wk(
        N::Calendar,
        TOP,
        "Calendar",
        Some("IPF.Appointment"),
        Kind::Calendar,
    ),
    wk(
        N::Contacts,
        TOP,
        "Contacts",
        Some("IPF.Contact"),
        Kind::Contacts,
    ),
    wk(N::Deleteditems, TOP, "Deleted Items", NOTE, Kind::Mail),
    wk(N::Drafts, TOP, "Drafts", NOTE, Kind::Mail),
    wk(N::Journal, TOP, "Journal", Some("IPF.Journal"), Kind::Mail),
    wk(N::Junkemail, TOP, "Junk Email", NOTE, Kind::Mail),
    wk(N::Notes, TOP, "Notes", Some("IPF.StickyNote"), Kind::Mail),
    wk(N::Outbox, TOP, "Outbox", NOTE, Kind::Mail),
    wk(N::Sentitems, TOP, "Sent Items", NOTE, Kind::Mail),
    wk(N::Tasks, TOP, "Tasks", Some("IPF.Task"), Kind::Tasks),
    wk(
        N::Conversationhistory,
        TOP,
        "Conversation History",
        NOTE,
        Kind::Mail,
    ),
    wk(N::Syncissues, TOP, "Sync Issues", NOTE, Kind::Mail),
    wk(
        N::Conflicts,
        Some(N::Syncissues),
        "Conflicts",
        NOTE,
        Kind::Mail,
    ),
    wk(
        N::Localfailures,
        Some(N::Syncissues),
        "Local Failures",
        NOTE,
        Kind::Mail,
    ),
    wk(
        N::Serverfailures,
        Some(N::Syncissues),
        "Server Failures",
        NOTE,
        Kind::Mail,
    ),
    wk(
        N::Recipientcache,
        Some(N::Contacts),
        "Recipient Cache",
        Some("IPF.Contact.RecipientCache"),
        Kind::Contacts,
    ),
    wk(N::Voicemail, ROOT, "Voice Mail", NOTE, Kind::Mail),
    wk(N::Searchfolders, ROOT, "Finder", None, Kind::Mail),
    wk(
        N::Recoverableitemsroot,
        ROOT,
        "Recoverable Items",
        None,
        Kind::Mail,
    ),
    wk(
        N::Recoverableitemsdeletions,
        Some(N::Recoverableitemsroot),
        "Deletions",
        None,
        Kind::Mail,
    ),
    wk(
        N::Recoverableitemsversions,
        Some(N::Recoverableitemsroot),
        "Versions",
        None,
        Kind::Mail,
    ),
    wk(
        N::Recoverableitemspurges,
        Some(N::Recoverableitemsroot),
        "Purges",
        None,
        Kind::Mail,
    ),
    wk(
        N::Recoverableitemsdiscoveryholds,
        Some(N::Recoverableitemsroot),
        "DiscoveryHolds",
        None,
        Kind::Mail,
    ),
];

/// The entry of a well-known folder, if mailboxes have it.
pub fn well_known(name: N) -> Option<&'static WellKnown> {
    TREE.iter().find(|w| w.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_root_and_parents_come_first() {
        assert_eq!(TREE.iter().filter(|w| w.parent.is_none()).count(), 1);
        for (i, w) in TREE.iter().enumerate() {
            if let Some(p) = w.parent {
                let at = TREE
                    .iter()
                    .position(|x| x.name == p)
                    .expect("parent listed");
                assert!(at < i, "{:?} before its parent", w.name);
            }
        }
        assert!(well_known(N::Archiveroot).is_none());
    }
}
