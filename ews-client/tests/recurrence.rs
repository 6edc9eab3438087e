//! Recurring series against ews-testserver: a delegate's calendar view shows the occurrences
//! (across pages), occurrences are read and deleted by their own ids, and daily, weekly,
//! monthly and yearly patterns (absolute and relative) follow their ranges.

mod support;

use chrono::{DateTime, TimeZone, Utc};
use ews_client::{Client, Credentials, MailboxClient};
use ews_testserver::TestServer;
use ews_types::m::ResponseCode;
use ews_types::runtime::{Date, XmlValue};
use ews_types::{m, t};
use support::{check_responses, serve};

const ORG: &str = r#"
[[mailbox]]
smtp = "boss@contoso.com"
password = "boss-pw"
[[mailbox]]
smtp = "assistant@contoso.com"
password = "assistant-pw"

[[delegate]]
principal = "boss@contoso.com"
delegate = "assistant@contoso.com"
calendar = "Editor"
"#;

fn boss_calendar(server: &TestServer) -> MailboxClient {
    Client::builder(server.url())
        .credentials(Credentials::basic("assistant@contoso.com", "assistant-pw"))
        .build()
        .unwrap()
        .mailbox("boss@contoso.com")
        .unwrap()
}

fn utc(y: i32, mo: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, 0, 0).unwrap()
}

fn series(
    subject: &str,
    start: &str,
    end: &str,
    pattern: t::RecurrenceChoice,
    range: t::RecurrenceChoice2,
) -> t::CalendarItem {
    t::CalendarItem {
        subject: Some(subject.into()),
        start: Some(XmlValue::from_text(start).unwrap()),
        end: Some(XmlValue::from_text(end).unwrap()),
        recurrence: Some(Box::new(t::Recurrence {
            content: pattern,
            content2: range,
        })),
        ..Default::default()
    }
}

fn date(d: &str) -> Date {
    Date::from_text(d).unwrap()
}

async fn create(boss: &MailboxClient, item: t::CalendarItem) -> Result<(), ews_client::Error> {
    boss.send(&m::CreateItem {
        send_meeting_invitations: Some(t::CalendarItemCreateOrDeleteOperation::SendToNone),
        saved_item_folder_id: Some(Box::new(
            boss.target_folder(t::DistinguishedFolderIdName::Calendar),
        )),
        ..m::CreateItem::new(t::NonEmptyArrayOfAllItems {
            content: ews_types::runtime::NonEmpty::new(
                t::NonEmptyArrayOfAllItemsChoice::CalendarItem(Box::new(item)),
            ),
        })
    })
    .await
    .map(drop)
}

fn starts(items: &[t::CalendarItem]) -> Vec<String> {
    items
        .iter()
        .map(|c| c.start.as_ref().unwrap().to_text().into_owned())
        .collect()
}

fn get(id: &t::ItemId) -> m::GetItem {
    m::GetItem {
        item_shape: t::ItemResponseShape::new(t::DefaultShapeNames::Default),
        item_ids: t::NonEmptyArrayOfBaseItemIds {
            content: ews_types::runtime::NonEmpty::new(
                t::NonEmptyArrayOfBaseItemIdsChoice::ItemId(id.clone()),
            ),
        },
    }
}

#[tokio::test]
async fn a_weekly_series_shows_as_occurrences_that_can_be_read_and_deleted() {
    let server = serve(ORG).await;
    let boss = boss_calendar(&server);
    let weekly = t::RecurrenceChoice::WeeklyRecurrence(t::WeeklyRecurrencePattern {
        interval: 1,
        days_of_week: vec![t::DayOfWeek::Monday, t::DayOfWeek::Wednesday],
        first_day_of_week: None,
    });
    let six = t::RecurrenceChoice2::NumberedRecurrence(t::NumberedRecurrenceRange {
        start_date: date("2026-12-07"),
        number_of_occurrences: 6,
    });
    let item = series(
        "Stand-up",
        "2026-12-07T09:00:00Z",
        "2026-12-07T09:30:00Z",
        weekly,
        six,
    );
    create(&boss, item).await.unwrap();
    let (from, until) = (utc(2026, 12, 1, 0), utc(2027, 1, 1, 0));
    let view = boss.calendar_view(from, until).await.unwrap();
    assert_eq!(
        starts(&view),
        [
            "2026-12-07T09:00:00Z",
            "2026-12-09T09:00:00Z",
            "2026-12-14T09:00:00Z",
            "2026-12-16T09:00:00Z",
            "2026-12-21T09:00:00Z",
            "2026-12-23T09:00:00Z",
        ]
    );
    assert!(view.iter().all(
        |c| c.calendar_item_type == Some(t::CalendarItemType::Occurrence)
            && c.end.as_ref().unwrap().to_utc().unwrap()
                - c.start.as_ref().unwrap().to_utc().unwrap()
                == chrono::Duration::minutes(30)
    ));
    // two per page: the client pages by start time and keeps every occurrence once
    let paged = boss.calendar_view_paged(from, until, 2).await.unwrap();
    assert_eq!(starts(&paged), starts(&view));

    // an occurrence by its own id
    let third = *view[2].item_id.clone().unwrap();
    let got = boss.send(&get(&third)).await.unwrap();
    let debug = format!("{got:?}");
    assert!(
        debug.contains("2026-12-14T09:00:00") && debug.contains("Occurrence"),
        "{debug}"
    );
    // deleting one occurrence leaves the rest of the series
    let second = view[1].item_id.clone().unwrap();
    boss.send(&m::DeleteItem {
        send_meeting_cancellations: Some(t::CalendarItemCreateOrDeleteOperation::SendToNone),
        ..m::DeleteItem::new(t::Disposal::MoveToDeletedItems, get(&second).item_ids)
    })
    .await
    .unwrap();
    let view = boss.calendar_view(from, until).await.unwrap();
    assert_eq!(view.len(), 5);
    assert!(!starts(&view).contains(&"2026-12-09T09:00:00Z".to_owned()));
    let e = boss.send(&get(&second)).await.unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&ResponseCode::ErrorCalendarOccurrenceIsDeletedFromRecurrence)
    );

    // moving one occurrence two hours later makes it an exception of the series
    let set = |uri, value: t::CalendarItem| {
        t::NonEmptyArrayOfItemChangeDescriptionsChoice::SetItemField(t::SetItemField {
            path: t::Path::FieldURI(t::PathToUnindexedField { field_uri: uri }),
            content: t::SetItemFieldChoice::CalendarItem(Box::new(value)),
        })
    };
    let at = |s: &str| Some(XmlValue::from_text(s).unwrap());
    let update = m::UpdateItem {
        send_meeting_invitations_or_cancellations: Some(t::CalendarItemUpdateOperation::SendToNone),
        ..m::UpdateItem::new(
            t::ConflictResolution::AlwaysOverwrite,
            t::NonEmptyArrayOfItemChanges::new(ews_types::runtime::NonEmpty::new(
                t::ItemChange::new(
                    t::ItemChangeChoice::ItemId(third.clone()),
                    t::NonEmptyArrayOfItemChangeDescriptions {
                        content: ews_types::runtime::NonEmpty::try_from(vec![
                            set(
                                t::UnindexedFieldURI::CalendarStart,
                                t::CalendarItem {
                                    start: at("2026-12-14T11:00:00Z"),
                                    ..Default::default()
                                },
                            ),
                            set(
                                t::UnindexedFieldURI::CalendarEnd,
                                t::CalendarItem {
                                    end: at("2026-12-14T11:30:00Z"),
                                    ..Default::default()
                                },
                            ),
                        ])
                        .expect("not empty"),
                    },
                ),
            )),
        )
    };
    boss.send(&update).await.unwrap();
    let view = boss.calendar_view(from, until).await.unwrap();
    assert_eq!(
        starts(&view),
        [
            "2026-12-07T09:00:00Z",
            "2026-12-14T11:00:00Z",
            "2026-12-16T09:00:00Z",
            "2026-12-21T09:00:00Z",
            "2026-12-23T09:00:00Z",
        ]
    );
    assert_eq!(
        view[1].calendar_item_type,
        Some(t::CalendarItemType::Exception)
    );
    assert_eq!(
        view[1].original_start.as_ref().unwrap().to_text(),
        "2026-12-14T09:00:00Z"
    );
    // the old occurrence id no longer names an occurrence
    let e = boss.send(&get(&third)).await.unwrap_err();
    assert_eq!(e.response_code(), Some(&ResponseCode::ErrorItemNotFound));
    check_responses(&server);
}

#[tokio::test]
async fn monthly_and_daily_series_follow_their_ranges() {
    let server = serve(ORG).await;
    let boss = boss_calendar(&server);
    // day 31 of every month until the end of April: the shorter months get their last day
    let monthly = series(
        "Month end close",
        "2027-01-31T16:00:00Z",
        "2027-01-31T17:00:00Z",
        t::RecurrenceChoice::AbsoluteMonthlyRecurrence(t::AbsoluteMonthlyRecurrencePattern {
            interval: 1,
            day_of_month: 31,
        }),
        t::RecurrenceChoice2::EndDateRecurrence(t::EndDateRecurrenceRange {
            start_date: date("2027-01-31"),
            end_date: date("2027-04-30"),
        }),
    );
    create(&boss, monthly).await.unwrap();
    let view = boss
        .calendar_view(utc(2027, 1, 1, 0), utc(2027, 6, 1, 0))
        .await
        .unwrap();
    assert_eq!(
        starts(&view),
        [
            "2027-01-31T16:00:00Z",
            "2027-02-28T16:00:00Z",
            "2027-03-31T16:00:00Z",
            "2027-04-30T16:00:00Z",
        ]
    );
    // every other day with no end, at +01:00: a window starting mid-occurrence includes it
    let daily = series(
        "Walk",
        "2026-12-01T10:00:00+01:00",
        "2026-12-01T11:00:00+01:00",
        t::RecurrenceChoice::DailyRecurrence(t::DailyRecurrencePattern { interval: 2 }),
        t::RecurrenceChoice2::NoEndRecurrence(t::NoEndRecurrenceRange {
            start_date: date("2026-12-01"),
        }),
    );
    create(&boss, daily).await.unwrap();
    let view = boss
        .calendar_view(
            Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap(),
            utc(2026, 12, 8, 0),
        )
        .await
        .unwrap();
    // (Exchange answers in UTC)
    assert_eq!(
        starts(&view),
        [
            "2026-12-01T09:00:00Z",
            "2026-12-03T09:00:00Z",
            "2026-12-05T09:00:00Z",
            "2026-12-07T09:00:00Z",
        ]
    );
    // the first Tuesday of every other month, three times
    let relative = series(
        "Board",
        "2026-12-01T10:00:00Z",
        "2026-12-01T11:00:00Z",
        t::RecurrenceChoice::RelativeMonthlyRecurrence(t::RelativeMonthlyRecurrencePattern::new(
            2,
            t::DayOfWeek::Tuesday,
            t::DayOfWeekIndex::First,
        )),
        t::RecurrenceChoice2::NumberedRecurrence(t::NumberedRecurrenceRange::new(
            date("2026-12-01"),
            3,
        )),
    );
    create(&boss, relative).await.unwrap();
    // the last weekday of March, every year, twice
    let yearly = series(
        "Year end",
        "2027-03-31T15:00:00Z",
        "2027-03-31T16:00:00Z",
        t::RecurrenceChoice::RelativeYearlyRecurrence(t::RelativeYearlyRecurrencePattern::new(
            t::DayOfWeek::Weekday,
            t::DayOfWeekIndex::Last,
            t::MonthNames::March,
        )),
        t::RecurrenceChoice2::NumberedRecurrence(t::NumberedRecurrenceRange::new(
            date("2027-01-01"),
            2,
        )),
    );
    create(&boss, yearly).await.unwrap();
    let view = boss
        .calendar_view(utc(2026, 12, 1, 0), utc(2029, 1, 1, 0))
        .await
        .unwrap();
    let board: Vec<_> = view
        .iter()
        .filter(|c| matches!(c.subject.as_deref(), Some("Board" | "Year end")))
        .cloned()
        .collect();
    assert_eq!(
        starts(&board),
        [
            "2026-12-01T10:00:00Z",
            "2027-02-02T10:00:00Z",
            "2027-03-31T15:00:00Z",
            "2027-04-06T10:00:00Z",
            // 31 March 2028 is a Friday
            "2028-03-31T15:00:00Z",
        ]
    );
    check_responses(&server);
}
