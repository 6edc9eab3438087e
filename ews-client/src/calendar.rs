//! Reading a calendar: a calendar view over any number of pages, for any [`Mailbox`].

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use ews_types::runtime;
use ews_types::{m, t};

use crate::delegate::MailboxClient;
use crate::error::{Error, ErrorKind};
use crate::mailbox::Mailbox;

/// Items per calendar-view request (Exchange's default policy allows at most 1000).
pub const DEFAULT_PAGE: i32 = 500;

impl MailboxClient {
    /// [`Mailbox::calendar_view`] of the principal's calendar.
    pub async fn calendar_view(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<t::CalendarItem>, Error> {
        self.tasks().calendar_view(start, end).await
    }

    /// [`Mailbox::calendar_view_paged`] of the principal's calendar.
    pub async fn calendar_view_paged(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        page: i32,
    ) -> Result<Vec<t::CalendarItem>, Error> {
        self.tasks().calendar_view_paged(start, end, page).await
    }
}

impl Mailbox {
    /// Every calendar item (occurrences expanded) of this mailbox's calendar that overlaps
    /// `[start, end)`, in start order, reading as many pages as needed.
    ///
    /// A `CalendarView` cannot be paged by offset: when the server stops before the end of the
    /// range, the next request starts at the last item's start, and items already seen are
    /// skipped by id. Get, update or delete the returned items by their ids.
    pub async fn calendar_view(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<t::CalendarItem>, Error> {
        self.calendar_view_paged(start, end, DEFAULT_PAGE).await
    }

    /// [`Mailbox::calendar_view`] with `page` items per request.
    pub async fn calendar_view_paged(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        page: i32,
    ) -> Result<Vec<t::CalendarItem>, Error> {
        let page = page.max(1);
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut from = start;
        loop {
            let request = m::FindItem::new(
                t::ItemQueryTraversal::Shallow,
                t::ItemResponseShape::new(t::DefaultShapeNames::Default),
                self.folder_ids(t::DistinguishedFolderIdName::Calendar),
            )
            .with_content(m::FindItemChoice::CalendarView(
                t::CalendarView::new(from, end).with_max_entries_returned(page),
            ));
            let response = self.send(&request).await?;
            let (items, last_in_range) = calendar_items(response)?;
            let returned = items.len();
            let mut latest = None;
            for item in items {
                let key = item.item_id.as_ref().map(|i| i.id.clone());
                if let Some(s) = item.start.as_ref().and_then(runtime::DateTime::to_utc) {
                    latest = latest.max(Some(s));
                }
                if key.is_none_or(|k| seen.insert(k)) {
                    out.push(item);
                }
            }
            if last_in_range || returned < page as usize {
                return Ok(out);
            }
            match latest {
                Some(next) if next > from => from = next,
                _ => {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        format!(
                            "more than {page} calendar items start at {from}; use a larger page"
                        ),
                    ));
                }
            }
        }
    }
}

/// The calendar items of a `FindItem` response, and whether the view reached the range's end.
fn calendar_items(r: m::FindItemResponse) -> Result<(Vec<t::CalendarItem>, bool), Error> {
    let mut items = Vec::new();
    let mut last = true;
    for message in r.response_messages.content {
        let m::ArrayOfResponseMessagesChoice::FindItemResponseMessage(found) = message else {
            return Err(Error::new(
                ErrorKind::MalformedResponse,
                "expected a FindItemResponseMessage",
            ));
        };
        let Some(root) = found.root_folder else {
            continue;
        };
        last &= root.includes_last_item_in_range.unwrap_or(true);
        if let t::FindItemParentChoice::Items(list) = root.content {
            items.extend(list.content.into_iter().filter_map(|i| match i {
                t::ArrayOfRealItemsChoice::CalendarItem(c) => Some(*c),
                _ => None,
            }));
        }
    }
    Ok((items, last))
}
