//! The operations: who acts, with which rights, and the dispatch to each operation.

mod attachments;
mod convert;
mod delegates;
mod folder_edits;
mod folders;
mod items;
mod meetings;
mod mime;
mod movecopy;
mod names;
mod notify;
mod props;
mod recurrence;
mod restrict;
mod shape;
mod sync;
mod update;
mod zones;

pub(crate) use notify::notification_event;
pub(crate) use zones::context_zone;

use ews_types::{m, t};

use crate::State;
use crate::auth::Account;
use crate::soap::Fault;
use crate::store::{FolderKey, Level, Store};

/// Who a request acts as.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// The signed-in account.
    pub account: Account,
    /// The mailbox the request acts as: the impersonated one, or the caller's own.
    pub acting: Option<usize>,
    /// Whether by impersonation (then sending is "send as").
    pub impersonated: bool,
    /// The request's `TimeZoneContext`: the zone of times it writes without an offset.
    pub time_zone: Option<ews_types::tz::Zone>,
    /// The mailbox server the request was routed to (`Faults::backends`).
    pub backend: usize,
}

impl Ctx {
    /// The throttling identity: account and acting mailbox.
    pub fn identity(&self) -> String {
        format!("{}|{:?}", self.account.login, self.acting)
    }
}

/// Resolves impersonation against the role, its scope and the directory.
pub(crate) fn context(
    state: &State,
    account: Account,
    impersonation: Option<&t::ExchangeImpersonation>,
    anchor: Option<&str>,
) -> Result<Ctx, Fault> {
    let Some(imp) = impersonation else {
        let acting = account.mailbox;
        return Ok(Ctx {
            account,
            acting,
            impersonated: false,
            time_zone: None,
            backend: 0,
        });
    };
    let denied = || {
        Fault::new(
            m::ResponseCode::ErrorImpersonateUserDenied,
            "The account does not have permission to impersonate the requested user.",
        )
    };
    if !account.impersonation {
        return Err(denied());
    }
    if state.control.require_anchor() && anchor.is_none() {
        return Err(Fault::new(
            m::ResponseCode::ErrorImpersonationFailed,
            "Impersonated requests must carry X-AnchorMailbox.",
        ));
    }
    let store = state.store();
    let target = match &imp.connecting_sid.content {
        t::ConnectingSIDChoice::SmtpAddress(a) => store.find_smtp(&a.value),
        t::ConnectingSIDChoice::PrimarySmtpAddress(a) => store.find_smtp(&a.value),
        t::ConnectingSIDChoice::PrincipalName(u) => store
            .mailboxes
            .iter()
            .position(|m| m.upn.eq_ignore_ascii_case(u.value.trim())),
        t::ConnectingSIDChoice::SID(s) => store
            .mailboxes
            .iter()
            .position(|m| m.sid.eq_ignore_ascii_case(s.value.trim())),
    };
    let Some(target) = target else {
        return Err(Fault::new(
            m::ResponseCode::ErrorNonExistentMailbox,
            "The SMTP address has no mailbox associated with it.",
        ));
    };
    if let Some(scope) = &account.scope
        && !scope.contains(&store.mailboxes[target].smtp)
    {
        return Err(denied());
    }
    Ok(Ctx {
        account,
        acting: Some(target),
        impersonated: true,
        time_zone: None,
        backend: 0,
    })
}

/// Runs one request.
pub(crate) fn dispatch(
    store: &mut Store,
    ctx: &Ctx,
    body: m::GlobalElement,
) -> Result<m::GlobalElement, Fault> {
    let answer = run(store, ctx, body);
    // every change the request made raises its events, whatever operation made it
    store.notifications.observe(&store.mailboxes);
    answer
}

fn run(store: &mut Store, ctx: &Ctx, body: m::GlobalElement) -> Result<m::GlobalElement, Fault> {
    use m::GlobalElement as G;
    Ok(match body {
        G::CreateItem(r) => G::CreateItemResponse(items::create(store, ctx, r)?),
        G::GetItem(r) => G::GetItemResponse(items::get(store, ctx, r)?),
        G::FindItem(r) => G::FindItemResponse(items::find(store, ctx, r)?),
        G::DeleteItem(r) => G::DeleteItemResponse(items::delete(store, ctx, r)?),
        G::UpdateItem(r) => G::UpdateItemResponse(update::update(store, ctx, r)?),
        G::MoveItem(r) => G::MoveItemResponse(movecopy::move_items(store, ctx, r)?),
        G::CreateAttachment(r) => G::CreateAttachmentResponse(attachments::create(store, ctx, r)?),
        G::GetAttachment(r) => G::GetAttachmentResponse(attachments::get(store, ctx, r)?),
        G::DeleteAttachment(r) => G::DeleteAttachmentResponse(attachments::delete(store, ctx, r)?),
        G::CopyItem(r) => G::CopyItemResponse(movecopy::copy_items(store, ctx, r)?),
        G::SendItem(r) => G::SendItemResponse(items::send(store, ctx, r)?),
        G::GetFolder(r) => G::GetFolderResponse(folders::get(store, ctx, r)?),
        G::UpdateFolder(r) => G::UpdateFolderResponse(folders::update(store, ctx, r)?),
        G::FindFolder(r) => G::FindFolderResponse(folders::find(store, ctx, r)?),
        G::CreateFolder(r) => G::CreateFolderResponse(folder_edits::create(store, ctx, r)?),
        G::DeleteFolder(r) => G::DeleteFolderResponse(folder_edits::delete(store, ctx, r)?),
        G::EmptyFolder(r) => G::EmptyFolderResponse(folder_edits::empty(store, ctx, r)?),
        G::GetDelegate(r) => G::GetDelegateResponse(delegates::get(store, ctx, r)?),
        G::AddDelegate(r) => G::AddDelegateResponse(delegates::add(store, ctx, r)?),
        G::UpdateDelegate(r) => G::UpdateDelegateResponse(delegates::update(store, ctx, r)?),
        G::RemoveDelegate(r) => G::RemoveDelegateResponse(delegates::remove(store, ctx, r)?),
        G::ResolveNames(r) => G::ResolveNamesResponse(names::resolve(store, ctx, r)?),
        G::ConvertId(r) => G::ConvertIdResponse(convert::convert(store, ctx, r)?),
        G::GetServerTimeZones(r) => G::GetServerTimeZonesResponse(zones::server_time_zones(r)),
        G::SyncFolderItems(r) => G::SyncFolderItemsResponse(sync::items(store, ctx, r)?),
        G::Subscribe(r) => G::SubscribeResponse(notify::subscribe(store, ctx, r)?),
        G::GetEvents(r) => G::GetEventsResponse(notify::get_events(store, ctx, r)?),
        G::Unsubscribe(r) => G::UnsubscribeResponse(notify::unsubscribe(store, ctx, r)?),
        G::SyncFolderHierarchy(r) => {
            G::SyncFolderHierarchyResponse(sync::hierarchy(store, ctx, r)?)
        }
        other => {
            return Err(Fault::new(
                m::ResponseCode::ErrorInvalidOperation,
                format!(
                    "ews-testserver does not implement the {} operation.",
                    other.local_name()
                ),
            ));
        }
    })
}

/// The caller's level on `folder` of mailbox `mbx`: owner, delegate level, or folder
/// permission, whichever is highest.
pub(crate) fn level(store: &Store, ctx: &Ctx, mbx: usize, folder: impl Into<FolderKey>) -> Level {
    let folder = folder.into();
    let Some(me) = ctx.acting else {
        return Level::None;
    };
    if me == mbx {
        return Level::Owner;
    }
    let me = &store.mailboxes[me].smtp;
    let target = &store.mailboxes[mbx];
    let mut best = Level::None;
    if let Some(d) = target.delegates.iter().find(|d| &d.smtp == me)
        && let Some(l) = folder.named().and_then(|n| d.levels.get(&n))
    {
        best = best.max(*l);
    }
    let f = &target.folder(folder);
    let is_me = |u: &t::UserId| {
        u.primary_smtp_address
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case(me))
    };
    if let Some(set) = &f.permissions {
        for t::ArrayOfPermissionsChoice::Permission(p) in &set.permissions.content {
            if is_me(&p.user_id) {
                best = best.max(folder_level(&p.permission_level));
            }
        }
    }
    if let Some(set) = &f.calendar_permissions {
        for t::ArrayOfCalendarPermissionsChoice::CalendarPermission(p) in
            &set.calendar_permissions.content
        {
            if is_me(&p.user_id) {
                best = best.max(calendar_level(&p.calendar_permission_level));
            }
        }
    }
    best
}

fn folder_level(l: &t::PermissionLevel) -> Level {
    use t::PermissionLevel as P;
    match l {
        P::Owner => Level::Owner,
        P::PublishingEditor | P::Editor => Level::Editor,
        P::PublishingAuthor | P::Author | P::NoneditingAuthor => Level::Author,
        P::Reviewer => Level::Reviewer,
        P::None | P::Contributor | P::Custom => Level::None,
    }
}

fn calendar_level(l: &t::CalendarPermissionLevel) -> Level {
    use t::CalendarPermissionLevel as P;
    match l {
        P::Owner => Level::Owner,
        P::PublishingEditor | P::Editor => Level::Editor,
        P::PublishingAuthor | P::Author | P::NoneditingAuthor => Level::Author,
        P::Reviewer => Level::Reviewer,
        _ => Level::None,
    }
}

/// Whether the caller may change or delete the item at `(mbx, folder, i)`: Editor, or Author
/// of that item.
pub(crate) fn may_edit(store: &Store, ctx: &Ctx, mbx: usize, folder: FolderKey, i: usize) -> bool {
    let lvl = level(store, ctx, mbx, folder);
    let own = ctx.acting.is_some_and(|a| {
        store.mailboxes[a].smtp == store.mailboxes[mbx].folder(folder).items[i].creator
    });
    lvl >= Level::Editor || (lvl == Level::Author && own)
}

/// Whether the caller sees private items of `mbx`.
pub(crate) fn sees_private(store: &Store, ctx: &Ctx, mbx: usize) -> bool {
    let Some(me) = ctx.acting else { return false };
    me == mbx
        || store.mailboxes[mbx]
            .delegates
            .iter()
            .any(|d| d.smtp == store.mailboxes[me].smtp && d.view_private_items)
}

/// The mailbox a `DistinguishedFolderId` names: its `Mailbox`, or the acting one.
pub(crate) fn folder_owner(
    store: &Store,
    ctx: &Ctx,
    id: &t::DistinguishedFolderId,
) -> Result<usize, (m::ResponseCode, String)> {
    let mbx = mailbox_of(store, ctx, id)?;
    if !store.mailboxes[mbx].folders.contains_key(&id.id.into()) {
        return Err((
            m::ResponseCode::ErrorFolderNotFound,
            "The specified folder could not be found in the store.".into(),
        ));
    }
    Ok(mbx)
}

/// The mailbox a distinguished folder id names (its `Mailbox`, else the acting account's).
fn mailbox_of(
    store: &Store,
    ctx: &Ctx,
    id: &t::DistinguishedFolderId,
) -> Result<usize, (m::ResponseCode, String)> {
    match id.mailbox.as_ref().and_then(|m| m.email_address.as_deref()) {
        Some(addr) => store.find_smtp(addr).ok_or_else(|| {
            (
                m::ResponseCode::ErrorNonExistentMailbox,
                format!("No mailbox with such guid or address: {addr}"),
            )
        }),
        None => ctx.acting.ok_or_else(|| {
            (
                m::ResponseCode::ErrorMissingEmailAddress,
                "When making a request as an account that does not have a mailbox, you must specify the mailbox primary SMTP address for any distinguished folder Ids.".into(),
            )
        }),
    }
}
