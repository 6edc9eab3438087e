//! One mailbox at a time: `ews meeting create --on-behalf-of`, `ews delegates …` and
//! `ews permissions …`. Each opens the mailbox by delegate access (the signed-in account is
//! its owner or a delegate), or with `--impersonate` as its owner through impersonation.

use clap::{Args, Subcommand, ValueEnum};
use ews_client::{
    Client, ConnectingSid, Delegate, FolderLevels, MailboxClient, PermissionLevel, PermissionSet, t,
};
use ews_types::runtime::XmlValue;

use crate::config::Connection;
use crate::fail::Failure;
use crate::input::Appointment;
use crate::report::{Format, Row};

/// The mailbox a command works on.
#[derive(Args, Debug)]
pub struct Target {
    /// The mailbox's SMTP address.
    #[arg(long, value_name = "ADDRESS")]
    pub mailbox: String,
    /// Reach it as its owner through impersonation (a service account), not by delegate
    /// access.
    #[arg(long)]
    pub impersonate: bool,
}

impl Target {
    fn open(&self, client: &Client) -> Result<MailboxClient, Failure> {
        let opened = if self.impersonate {
            client
                .impersonate(ConnectingSid::smtp(&self.mailbox))
                .and_then(|i| i.mailbox().client().mailbox(&self.mailbox))
        } else {
            client.mailbox(&self.mailbox)
        };
        opened.map_err(|e| Failure::usage(e.to_string()))
    }
}

/// `ews meeting …`
#[derive(Subcommand, Debug)]
pub enum Meeting {
    /// Create a meeting in a principal's calendar and send its invitations on the principal's
    /// behalf (the signed-in account is the principal's delegate, with Author or Editor on the
    /// calendar).
    Create {
        /// The principal, whose calendar gets the meeting and who organizes it.
        #[arg(long = "on-behalf-of", value_name = "ADDRESS")]
        on_behalf_of: String,
        #[command(flatten)]
        appointment: Appointment,
    },
}

/// A delegate's folder levels, as flags.
#[derive(Args, Debug, Default)]
pub struct Levels {
    /// Calendar level: none, reviewer, author, editor.
    #[arg(long, value_enum)]
    calendar: Option<Level>,
    /// Inbox level.
    #[arg(long, value_enum)]
    inbox: Option<Level>,
    /// Tasks level.
    #[arg(long, value_enum)]
    tasks: Option<Level>,
    /// Contacts level.
    #[arg(long, value_enum)]
    contacts: Option<Level>,
    /// Notes level.
    #[arg(long, value_enum)]
    notes: Option<Level>,
    /// Journal level.
    #[arg(long, value_enum)]
    journal: Option<Level>,
    /// The delegate may see private items.
    #[arg(long = "view-private", num_args = 0..=1, default_missing_value = "true")]
    view_private: Option<bool>,
    /// The delegate gets copies of meeting messages.
    #[arg(long = "receive-copies", num_args = 0..=1, default_missing_value = "true")]
    receive_copies: Option<bool>,
    /// Where meeting requests go: delegates-only, delegates-and-me, delegates-and-send-information-to-me, no-forward.
    #[arg(long, value_enum)]
    deliver: Option<Deliver>,
}

/// A delegate folder level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Level {
    /// No access.
    None,
    /// Read.
    Reviewer,
    /// Read and create; change and delete its own.
    Author,
    /// Read, create, change and delete all.
    Editor,
}

impl From<Level> for PermissionLevel {
    fn from(l: Level) -> Self {
        match l {
            Level::None => PermissionLevel::None,
            Level::Reviewer => PermissionLevel::Reviewer,
            Level::Author => PermissionLevel::Author,
            Level::Editor => PermissionLevel::Editor,
        }
    }
}

/// Where the principal's meeting requests go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Deliver {
    /// Only to the delegates.
    DelegatesOnly,
    /// To the delegates and the principal.
    DelegatesAndMe,
    /// To the delegates, with a notice to the principal.
    DelegatesAndSendInformationToMe,
    /// Not forwarded.
    NoForward,
}

impl From<Deliver> for t::DeliverMeetingRequests {
    fn from(d: Deliver) -> Self {
        match d {
            Deliver::DelegatesOnly => t::DeliverMeetingRequests::DelegatesOnly,
            Deliver::DelegatesAndMe => t::DeliverMeetingRequests::DelegatesAndMe,
            Deliver::DelegatesAndSendInformationToMe => {
                t::DeliverMeetingRequests::DelegatesAndSendInformationToMe
            }
            Deliver::NoForward => t::DeliverMeetingRequests::NoForward,
        }
    }
}

impl Levels {
    fn delegate(&self, address: &str) -> Delegate {
        let mut d = Delegate::new(address);
        d.levels = FolderLevels {
            calendar: self.calendar.map(Into::into),
            tasks: self.tasks.map(Into::into),
            inbox: self.inbox.map(Into::into),
            contacts: self.contacts.map(Into::into),
            notes: self.notes.map(Into::into),
            journal: self.journal.map(Into::into),
        };
        d.view_private_items = self.view_private;
        d.receive_copies_of_meeting_messages = self.receive_copies;
        d
    }
}

/// `ews delegates …`
#[derive(Subcommand, Debug)]
pub enum Delegates {
    /// List a mailbox's delegates and their folder levels.
    List {
        #[command(flatten)]
        target: Target,
    },
    /// Add delegates (levels not given are None).
    Add {
        #[command(flatten)]
        target: Target,
        /// A delegate's address (repeat it).
        #[arg(long = "delegate", value_name = "ADDRESS", required = true)]
        delegates: Vec<String>,
        #[command(flatten)]
        levels: Levels,
    },
    /// Change delegates' levels (levels not given stay as they are).
    Update {
        #[command(flatten)]
        target: Target,
        /// A delegate's address (repeat it).
        #[arg(long = "delegate", value_name = "ADDRESS", required = true)]
        delegates: Vec<String>,
        #[command(flatten)]
        levels: Levels,
    },
    /// Remove delegates.
    Remove {
        #[command(flatten)]
        target: Target,
        /// A delegate's address (repeat it).
        #[arg(long = "delegate", value_name = "ADDRESS", required = true)]
        delegates: Vec<String>,
    },
}

/// `ews permissions …`
#[derive(Subcommand, Debug)]
pub enum Permissions {
    /// Show who has which level on one of a mailbox's folders.
    Get {
        #[command(flatten)]
        target: Target,
        /// The folder: calendar, inbox, contacts, tasks … (the schema's distinguished names).
        #[arg(long, default_value = "calendar")]
        folder: String,
    },
    /// Give a user a level on a folder, or take it away (read, changed, written back).
    Set {
        #[command(flatten)]
        target: Target,
        /// The folder, as for `get`.
        #[arg(long, default_value = "calendar")]
        folder: String,
        /// The user's SMTP address.
        #[arg(long, value_name = "ADDRESS")]
        user: String,
        /// The level, as the schema names it: None, Owner, PublishingEditor, Editor,
        /// PublishingAuthor, Author, NoneditingAuthor, Reviewer, Contributor; on a calendar
        /// also FreeBusyTimeOnly, FreeBusyTimeAndSubjectAndLocation.
        #[arg(long, required_unless_present = "remove")]
        level: Option<String>,
        /// Remove the user's entry instead.
        #[arg(long, conflicts_with = "level")]
        remove: bool,
    },
}

fn level_text<T: XmlValue>(v: &T) -> String {
    v.to_text().into_owned()
}

fn delegate_row(mailbox: &str, d: &Delegate) -> Row {
    let level = |l: Option<PermissionLevel>| l.map(|l| format!("{l:?}")).unwrap_or_default();
    Row::ok(mailbox, None)
        .with("delegate", d.address.as_str())
        .with("calendar", level(d.levels.calendar))
        .with("inbox", level(d.levels.inbox))
        .with("tasks", level(d.levels.tasks))
        .with("contacts", level(d.levels.contacts))
        .with("view-private", d.view_private_items.unwrap_or(false))
        .with(
            "receive-copies",
            d.receive_copies_of_meeting_messages.unwrap_or(false),
        )
}

/// One row per delegate of a per-delegate answer (`Ok` rows via `ok`), in order.
fn per_delegate<T>(
    mailbox: &str,
    addresses: &[String],
    results: Vec<Result<T, ews_client::Error>>,
    ok: impl Fn(&str, T) -> Row,
) -> Vec<Row> {
    addresses
        .iter()
        .zip(results)
        .map(|(a, r)| match r {
            Ok(v) => ok(a, v),
            Err(e) => Row::failed(mailbox, &e).with("delegate", a.as_str()),
        })
        .collect()
}

impl Meeting {
    /// Runs the command; gives the exit code.
    pub async fn run(self, connection: &Connection, format: Format) -> Result<u8, Failure> {
        let Meeting::Create {
            on_behalf_of,
            appointment,
        } = self;
        let item = appointment.item()?;
        if item.required_attendees.is_none() && item.optional_attendees.is_none() {
            return Err(Failure::usage("a meeting needs at least one --attendee"));
        }
        let client = connection.client()?;
        let principal = client
            .mailbox(&on_behalf_of)
            .map_err(|e| Failure::usage(e.to_string()))?;
        let row = match principal.create_meeting(item).await {
            Ok(id) => Row::ok(&on_behalf_of, Some(id.id.into())),
            Err(e) => Row::failed(&on_behalf_of, &e),
        };
        Ok(crate::report::finish(&[row], format))
    }
}

impl Delegates {
    /// Runs the command; gives the exit code.
    pub async fn run(self, connection: &Connection, format: Format) -> Result<u8, Failure> {
        let client = connection.client()?;
        let rows = match self {
            Delegates::List { target } => {
                let mb = target.open(&client)?;
                match mb.get_delegates(true).await {
                    Ok(list) => list
                        .delegates
                        .iter()
                        .map(|d| match d {
                            Ok(d) => delegate_row(&target.mailbox, d),
                            Err(e) => Row::failed(&target.mailbox, e),
                        })
                        .collect(),
                    Err(e) => vec![Row::failed(&target.mailbox, &e)],
                }
            }
            Delegates::Add {
                target,
                delegates,
                levels,
            } => change(&client, target, delegates, levels, true).await?,
            Delegates::Update {
                target,
                delegates,
                levels,
            } => change(&client, target, delegates, levels, false).await?,
            Delegates::Remove { target, delegates } => {
                let mb = target.open(&client)?;
                let refs: Vec<&str> = delegates.iter().map(String::as_str).collect();
                match mb.remove_delegates(&refs).await {
                    Ok(results) => per_delegate(&target.mailbox, &delegates, results, |a, ()| {
                        Row::ok(&target.mailbox, None).with("delegate", a)
                    }),
                    Err(e) => vec![Row::failed(&target.mailbox, &e)],
                }
            }
        };
        Ok(crate::report::finish(&rows, format))
    }
}

/// Adds (`add`) or updates delegates; one row per delegate.
async fn change(
    client: &Client,
    target: Target,
    delegates: Vec<String>,
    levels: Levels,
    add: bool,
) -> Result<Vec<Row>, Failure> {
    let mb = target.open(client)?;
    let wanted: Vec<Delegate> = delegates.iter().map(|a| levels.delegate(a)).collect();
    let deliver = levels.deliver.map(Into::into);
    let answer = if add {
        mb.add_delegates(&wanted, deliver).await
    } else {
        mb.update_delegates(&wanted, deliver).await
    };
    Ok(match answer {
        Ok(results) => per_delegate(&target.mailbox, &delegates, results, |a, d| {
            let mut row = delegate_row(&target.mailbox, &d);
            if d.address.is_empty() {
                row = row.with("delegate", a);
            }
            row
        }),
        Err(e) => vec![Row::failed(&target.mailbox, &e)],
    })
}

/// A distinguished folder name, as the schema spells it (`calendar`, `inbox`, `sentitems` …).
fn folder(name: &str) -> Result<t::DistinguishedFolderIdName, Failure> {
    t::DistinguishedFolderIdName::from_text(name)
        .or_else(|_| t::DistinguishedFolderIdName::from_text(&name.to_ascii_lowercase()))
        .map_err(|_| {
            Failure::usage(format!(
                "--folder {name:?}: use a distinguished folder name such as calendar, inbox, \
                 contacts or tasks"
            ))
        })
}

/// A schema enumeration value, matched without regard to case.
fn schema_value<T: XmlValue>(text: &str, all: &[&str], flag: &str) -> Result<T, Failure> {
    let name = all
        .iter()
        .find(|n| n.eq_ignore_ascii_case(text))
        .ok_or_else(|| Failure::usage(format!("{flag} {text:?}: use one of {}", all.join(", "))))?;
    T::from_text(name).map_err(|e| Failure::usage(format!("{flag} {text:?}: {e}")))
}

const FOLDER_LEVELS: [&str; 10] = [
    "None",
    "Owner",
    "PublishingEditor",
    "Editor",
    "PublishingAuthor",
    "Author",
    "NoneditingAuthor",
    "Reviewer",
    "Contributor",
    "Custom",
];

const CALENDAR_ONLY: [&str; 2] = ["FreeBusyTimeOnly", "FreeBusyTimeAndSubjectAndLocation"];

/// The level `permissions set` gives.
enum Wanted {
    Calendar(t::CalendarPermissionLevel),
    Folder(t::PermissionLevel),
}

fn who(u: &t::UserId) -> String {
    u.primary_smtp_address
        .as_ref()
        .map(|s| s.to_string())
        .or_else(|| u.distinguished_user.as_ref().map(level_text))
        .or_else(|| u.display_name.as_ref().map(|s| s.to_string()))
        .or_else(|| u.sid.as_ref().map(|s| s.to_string()))
        .unwrap_or_default()
}

fn permission_rows(mailbox: &str, set: &PermissionSet) -> Vec<Row> {
    let row = |u: &t::UserId, level: String| {
        Row::ok(mailbox, None)
            .with("user", who(u))
            .with("level", level)
    };
    match set {
        PermissionSet::Folder(s) => s
            .permissions
            .content
            .iter()
            .map(|t::ArrayOfPermissionsChoice::Permission(p)| {
                row(&p.user_id, level_text(&p.permission_level))
            })
            .collect(),
        PermissionSet::Calendar(s) => s
            .calendar_permissions
            .content
            .iter()
            .map(
                |t::ArrayOfCalendarPermissionsChoice::CalendarPermission(p)| {
                    row(&p.user_id, level_text(&p.calendar_permission_level))
                },
            )
            .collect(),
    }
}

impl Permissions {
    /// Runs the command; gives the exit code.
    pub async fn run(self, connection: &Connection, format: Format) -> Result<u8, Failure> {
        let client = connection.client()?;
        let rows = match self {
            Permissions::Get { target, folder: f } => {
                let name = folder(&f)?;
                let mb = target.open(&client)?;
                match mb.folder_permissions(name).await {
                    Ok(p) => permission_rows(&target.mailbox, &p.set),
                    Err(e) => vec![Row::failed(&target.mailbox, &e)],
                }
            }
            Permissions::Set {
                target,
                folder: f,
                user,
                level,
                remove,
            } => {
                let name = folder(&f)?;
                let calendar = name == t::DistinguishedFolderIdName::Calendar;
                let wanted = match (remove, level.as_deref()) {
                    (true, _) | (false, None) => None,
                    (false, Some(text)) if calendar => {
                        let all: Vec<&str> = FOLDER_LEVELS
                            .iter()
                            .chain(&CALENDAR_ONLY)
                            .copied()
                            .collect();
                        Some(Wanted::Calendar(schema_value(text, &all, "--level")?))
                    }
                    (false, Some(text)) => Some(Wanted::Folder(schema_value(
                        text,
                        &FOLDER_LEVELS,
                        "--level",
                    )?)),
                };
                let mb = target.open(&client)?;
                let result = async {
                    let mut p = mb.folder_permissions(name).await?;
                    let changed = match wanted {
                        None => p.set.remove(&user),
                        Some(Wanted::Calendar(l)) => {
                            p.set.set_calendar_level(&user, l).map(|()| true)?
                        }
                        Some(Wanted::Folder(l)) => p.set.set_level(&user, l).map(|()| true)?,
                    };
                    if changed {
                        mb.set_folder_permissions(&p).await?;
                    }
                    Ok::<_, ews_client::Error>(changed)
                };
                let row = match result.await {
                    Ok(changed) => Row::ok(&target.mailbox, None)
                        .with("user", user.as_str())
                        .with(
                            "level",
                            if remove {
                                "(removed)".to_owned()
                            } else {
                                level.clone().unwrap_or_default()
                            },
                        )
                        .with("changed", changed),
                    Err(e) => Row::failed(&target.mailbox, &e).with("user", user.as_str()),
                };
                vec![row]
            }
        };
        Ok(crate::report::finish(&rows, format))
    }
}
