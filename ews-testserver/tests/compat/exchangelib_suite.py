"""Ordinary work with exchangelib (a client this project did not write) against ews-testserver.

Run by tests/exchangelib.rs: `python exchangelib_suite.py URL`. Prints one line per scenario:
`RESULT<TAB>ok|fail<TAB>scenario<TAB>detail`. Every scenario reads its outcome back through
exchangelib, so "ok" means the client saw what it wrote.
"""

import datetime
import sys
import traceback

from exchangelib import (
    BASIC,
    DELEGATE,
    IMPERSONATION,
    Account,
    Build,
    CalendarItem,
    Configuration,
    Credentials,
    EWSDateTime,
    EWSTimeZone,
    FileAttachment,
    Folder,
    Mailbox,
    Message,
    Version,
)
from exchangelib.recurrence import DailyPattern, Recurrence, WeeklyPattern

URL = sys.argv[1]
UTC = EWSTimeZone("UTC")
START = EWSDateTime(2026, 12, 1, 9, 0, tzinfo=UTC)
HOUR = datetime.timedelta(hours=1)


def account(user, password, primary, access=DELEGATE):
    config = Configuration(
        service_endpoint=URL,
        credentials=Credentials(user, password),
        auth_type=BASIC,
        version=Version(build=Build(15, 1, 2507, 0)),
    )
    return Account(primary, config=config, autodiscover=False, access_type=access)


def scenario(name):
    def wrap(f):
        try:
            outcome, detail = "ok", repr(f())
        except Exception as e:  # every failure is reported, none stops the suite
            outcome, detail = "fail", traceback.format_exception_only(type(e), e)[-1]
        detail = " ".join(detail.split())[:500]
        print(f"RESULT\t{outcome}\t{name}\t{detail}", flush=True)
        return f

    return wrap


def check(cond, what):
    if not cond:
        raise AssertionError(what)


boss = account("boss@contoso.com", "boss-pw", "boss@contoso.com")


@scenario("folders: root, msgfolderroot, calendar, inbox, junk, the tree")
def _():
    names = [boss.root.name, boss.msg_folder_root.name, boss.calendar.name, boss.inbox.name, boss.junk.name]
    check(names == ["Root", "Top of Information Store", "Calendar", "Inbox", "Junk Email"], names)
    children = [f.name for f in boss.msg_folder_root.children]
    check("Sent Items" in children and "Deleted Items" in children, children)
    return names


@scenario("create and read an appointment")
def _():
    item = CalendarItem(
        account=boss, folder=boss.calendar, subject="Planning", start=START, end=START + HOUR, location="Room 1"
    )
    item.save()
    got = boss.calendar.get(id=item.id)
    check((got.subject, got.location, got.start) == ("Planning", "Room 1", START), got)
    return got.subject


@scenario("calendar view")
def _():
    seen = [i.subject for i in boss.calendar.view(start=START - HOUR, end=START + 2 * HOUR)]
    check(seen == ["Planning"], seen)
    return seen


@scenario("filter on subject")
def _():
    CalendarItem(account=boss, folder=boss.calendar, subject="Review", start=START + 3 * HOUR, end=START + 4 * HOUR).save()
    seen = [i.subject for i in boss.calendar.filter(subject="Review")]
    check(seen == ["Review"], seen)
    return seen


@scenario("sort by start, both ways")
def _():
    up = [i.subject for i in boss.calendar.all().order_by("start")]
    down = [i.subject for i in boss.calendar.all().order_by("-start")]
    check(up == ["Planning", "Review"] and down == ["Review", "Planning"], (up, down))
    return up


@scenario("paging through a folder")
def _():
    for n in range(5):
        Message(account=boss, folder=boss.drafts, subject=f"Draft {n}", body="x").save()
    seen = [m.subject for m in boss.drafts.all().order_by("subject")[1:4]]
    check(seen == ["Draft 1", "Draft 2", "Draft 3"], seen)
    return seen


@scenario("update an appointment's time")
def _():
    item = boss.calendar.get(subject="Planning")
    item.start, item.end = START + 5 * HOUR, START + 6 * HOUR
    item.save()
    got = boss.calendar.get(subject="Planning")
    check(got.start == START + 5 * HOUR, got.start)
    return got.start


@scenario("move, copy and delete a message")
def _():
    m = boss.drafts.get(subject="Draft 0")
    m.move(boss.inbox)
    check([x.subject for x in boss.inbox.filter(subject="Draft 0")] == ["Draft 0"], "moved")
    boss.inbox.get(subject="Draft 0").copy(boss.drafts)
    check(boss.drafts.filter(subject="Draft 0").count() == 1, "copied")
    boss.inbox.get(subject="Draft 0").delete()
    check(boss.inbox.filter(subject="Draft 0").count() == 0, "deleted")
    return "ok"


@scenario("attachments: add, list, read")
def _():
    m = boss.drafts.get(subject="Draft 1")
    m.attach(FileAttachment(name="notes.txt", content=b"pay by Friday"))
    again = boss.drafts.get(subject="Draft 1")
    names = [a.name for a in again.attachments]
    check(names == ["notes.txt"] and again.attachments[0].content == b"pay by Friday", names)
    return names


@scenario("a daily recurring series")
def _():
    item = CalendarItem(
        account=boss,
        folder=boss.calendar,
        subject="Stand-up",
        start=START + datetime.timedelta(days=7),
        end=START + datetime.timedelta(days=7) + HOUR / 4,
        recurrence=Recurrence(pattern=DailyPattern(interval=1), start=(START + datetime.timedelta(days=7)).date(), number=3),
    )
    item.save()
    days = [
        i.start.day
        for i in boss.calendar.view(start=START + datetime.timedelta(days=6), end=START + datetime.timedelta(days=12))
        if i.subject == "Stand-up"
    ]
    check(days == [8, 9, 10], days)
    return days


@scenario("a weekly series in Europe/Berlin keeps 09:00 across the October change")
def _():
    berlin = EWSTimeZone("Europe/Berlin")
    first = EWSDateTime(2026, 10, 12, 9, 0, tzinfo=berlin)
    item = CalendarItem(
        account=boss,
        folder=boss.calendar,
        subject="Berlin weekly",
        start=first,
        end=first + HOUR / 2,
        recurrence=Recurrence(pattern=WeeklyPattern(interval=1, weekdays=[1]), start=first.date(), number=4),
    )
    item.save()
    seen = [
        i.start.astimezone(berlin).strftime("%m-%d %H:%M")
        for i in boss.calendar.view(start=first - HOUR, end=first + datetime.timedelta(days=30))
        if i.subject == "Berlin weekly"
    ]
    check(seen == ["10-12 09:00", "10-19 09:00", "10-26 09:00", "11-02 09:00"], seen)
    return seen


@scenario("GetServerTimeZones")
def _():
    zones = {z.id: z.name for z in boss.protocol.get_timezones(return_full_timezone_data=False)}
    check(len(zones) > 130 and "W. Europe Standard Time" in zones, len(zones))
    return zones["W. Europe Standard Time"]


@scenario("folders: create, fill, rename, empty, delete")
def _():
    f = Folder(parent=boss.inbox, name="Projects")
    f.save()
    Message(account=boss, folder=f, subject="In projects").save()
    boss.root.refresh()
    check([c.name for c in boss.inbox.children] == ["Projects"], [c.name for c in boss.inbox.children])
    check(f.all().count() == 1, f.all().count())
    f.name = "Archive 2026"
    f.save(update_fields=["name"])
    boss.root.refresh()
    renamed = [c.name for c in boss.inbox.children]
    check(renamed == ["Archive 2026"], renamed)
    f.empty()
    check(f.all().count() == 0, f.all().count())
    f.delete()
    boss.root.refresh()
    left = [c.name for c in boss.inbox.children]
    check(left == [], left)
    return renamed


@scenario("send and receive")
def _():
    Message(account=boss, subject="Hello a1", body="hi", to_recipients=[Mailbox(email_address="a1@contoso.com")]).send()
    a1 = account("a1@contoso.com", "a1-pw", "a1@contoso.com")
    got = [m.subject for m in a1.inbox.filter(subject="Hello a1")]
    check(got == ["Hello a1"], got)
    return got


@scenario("GetDelegate")
def _():
    who = [d.user_id.primary_smtp_address for d in boss.delegates]
    check(who == ["assistant@contoso.com"], who)
    return who


def grant_root_visible():
    """The administrator's step for delegate access with exchangelib, which opens the principal's
    folders from the root (exchangelib#1282; Exchange: Add-MailboxFolderPermission boss:\\
    -User assistant -AccessRights FolderVisible): the principal lets the assistant see the root."""
    import requests

    body = (
        '<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"'
        ' xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><s:Body>'
        '<m:UpdateFolder><m:FolderChanges><t:FolderChange><t:DistinguishedFolderId Id="root"/><t:Updates>'
        '<t:SetFolderField><t:FieldURI FieldURI="folder:PermissionSet"/><t:Folder><t:PermissionSet><t:Permissions>'
        "<t:Permission><t:UserId><t:PrimarySmtpAddress>assistant@contoso.com</t:PrimarySmtpAddress></t:UserId>"
        "<t:PermissionLevel>Reviewer</t:PermissionLevel></t:Permission>"
        "</t:Permissions></t:PermissionSet></t:Folder></t:SetFolderField></t:Updates></t:FolderChange>"
        "</m:FolderChanges></m:UpdateFolder></s:Body></s:Envelope>"
    )
    r = requests.post(URL, data=body.encode(), auth=("boss@contoso.com", "boss-pw"), headers={"Content-Type": "text/xml"})
    check(r.status_code == 200 and 'ResponseClass="Success"' in r.text, r.text)


@scenario("delegate: a meeting in the principal's calendar, on the principal's behalf")
def _():
    grant_root_visible()
    assistant = account("assistant@contoso.com", "assistant-pw", "boss@contoso.com")
    item = CalendarItem(
        account=assistant,
        folder=assistant.calendar,
        subject="Board",
        start=START + 24 * HOUR,
        end=START + 25 * HOUR,
        required_attendees=["a1@contoso.com"],
    )
    item.save(send_meeting_invitations="SendToAllAndSaveCopy")
    a1 = account("a1@contoso.com", "a1-pw", "a1@contoso.com")
    req = a1.inbox.get(subject="Board")
    check((req.sender.email_address, req.author.email_address) == ("assistant@contoso.com", "boss@contoso.com"), req)
    return req.subject


@scenario("impersonation by SMTP address")
def _():
    a2 = account("svc-booking", "svc-pw", "a2@contoso.com", IMPERSONATION)
    CalendarItem(account=a2, folder=a2.calendar, subject="Booked", start=START, end=START + HOUR).save()
    seen = [i.subject for i in a2.calendar.all()]
    check(seen == ["Booked"], seen)
    return seen


@scenario("ConvertId: an item id to a hex entry id, an OWA id and back")
def _():
    from exchangelib.properties import EWS_ID, HEX_ENTRY_ID, OWA_ID, AlternateId

    item = boss.calendar.all()[0]
    original = AlternateId(id=item.id, format=EWS_ID, mailbox=boss.primary_smtp_address)
    (hex_id,) = boss.protocol.convert_ids([original], destination_format=HEX_ENTRY_ID)
    check(all(c in "0123456789ABCDEF" for c in hex_id.id), hex_id.id)
    (owa,) = boss.protocol.convert_ids([hex_id], destination_format=OWA_ID)
    (back,) = boss.protocol.convert_ids([owa], destination_format=EWS_ID)
    check(back.id == item.id, (back.id, item.id))
    check(boss.calendar.get(id=back.id).subject == item.subject, "the converted id reads the item")
    return hex_id.id[:16]


@scenario("impersonation by SID and UPN (exchangelib adds them to the SMTP address)")
def _():
    a2 = account("svc-booking", "svc-pw", "a2@contoso.com", IMPERSONATION)
    a2.identity.sid = "S-1-5-21-1-2-3-1002"
    a2.identity.upn = "a2@corp.contoso.com"
    return [i.subject for i in a2.calendar.all()]


@scenario("a folder's permission set")
def _():
    perms = boss.calendar.permission_set
    return perms


@scenario("sync_items: everything in pages, then a create, a read flag and a delete; sync_hierarchy")
def _():
    a1 = account("svc-booking", "svc-pw", "a1@contoso.com", IMPERSONATION)
    f = a1.drafts
    for i in range(3):
        Message(account=a1, folder=f, subject=f"sync {i}").save()
    first = list(f.sync_items(max_changes_returned=2))
    check(sorted(c for c, _ in first) == ["create"] * len(first) and len(first) >= 3, first)
    m = Message(account=a1, folder=f, subject="synced")
    m.save()
    created = list(f.sync_items())
    check([(c, i.subject) for c, i in created] == [("create", "synced")], created)
    m.is_read = True
    m.save(update_fields=["is_read"])
    read = list(f.sync_items())
    check(len(read) == 1 and read[0][0] == "read_flag_change" and read[0][1][1] is True, read)
    gone = m.id
    m.delete()
    deleted = list(f.sync_items())
    check(len(deleted) == 1 and deleted[0][0] == "delete" and deleted[0][1].id == gone, deleted)
    tree = list(a1.msg_folder_root.sync_hierarchy())
    names = {folder.name for c, folder in tree if c == "create"}
    check({"Inbox", "Calendar", "Drafts"} <= names, names)
    return len(first), len(tree)


@scenario("pull notifications: subscribe, a create, a change and a move as events, status, unsubscribe")
def _():
    from exchangelib.errors import ErrorSubscriptionNotFound

    a2 = account("svc-booking", "svc-pw", "a2@contoso.com", IMPERSONATION)
    sid, wm = a2.drafts.subscribe_to_pull()
    m = Message(account=a2, folder=a2.drafts, subject="evented")
    m.save()
    first_id = m.id
    m.subject = "changed"
    m.save(update_fields=["subject"])
    m.move(a2.inbox)
    (n,) = list(a2.drafts.get_events(sid, wm))
    kinds = [type(e).__name__ for e in n.events]
    check(kinds == ["CreatedEvent", "ModifiedEvent", "MovedEvent"], kinds)
    check(n.events[2].old_item_id.id == first_id, n.events[2])
    (quiet,) = list(a2.drafts.get_events(sid, n.events[-1].watermark))
    check([type(e).__name__ for e in quiet.events] == ["StatusEvent"], quiet)
    check(a2.drafts.unsubscribe(sid) is True, "unsubscribed")
    try:
        list(a2.drafts.get_events(sid, wm))
    except ErrorSubscriptionNotFound:
        return kinds
    raise AssertionError("events after unsubscribing")


@scenario("streaming notifications: events queued before the connection, delivered on it, then Closed")
def _():
    a1 = account("svc-booking", "svc-pw", "a1@contoso.com", IMPERSONATION)
    sid = a1.drafts.subscribe_to_streaming()
    m = Message(account=a1, folder=a1.drafts, subject="streamed")
    m.save()
    kinds = []
    for n in a1.drafts.get_streaming_events(sid, connection_timeout=1):
        kinds.extend(type(e).__name__ for e in n.events)
    check(kinds == ["CreatedEvent"], kinds)
    check(a1.drafts.unsubscribe(sid) is True, "unsubscribed")
    return kinds



@scenario("Autodiscover (SOAP GetUserSettings): the EWS URL, a RedirectAddress, an InvalidUser")
def _():
    from exchangelib.autodiscover.protocol import AutodiscoverProtocol

    url = URL.replace("/EWS/Exchange.asmx", "/autodiscover/autodiscover.svc")
    protocol = AutodiscoverProtocol(
        config=Configuration(service_endpoint=url, credentials=Credentials("boss@contoso.com", "boss-pw"), auth_type=BASIC)
    )
    found = protocol.get_user_settings(user="boss@contoso.com")
    check(found.ews_url == URL, found.user_settings)
    check(found.autodiscover_smtp_address == "boss@contoso.com", found.user_settings)
    check(found.version is not None and found.version.api_version == "Exchange2016", found.version)
    moved = protocol.get_user_settings(user="moved@contoso.com")
    check(moved.redirect_address == "a1@contoso.com", moved)
    unknown = protocol.get_user_settings(user="nobody@contoso.com")
    check(unknown.error_code == "InvalidUser", unknown)
    return found.ews_url
