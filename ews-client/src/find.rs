//! Finding items: [`Mailbox::find`] runs a [`Query`] over a folder and hands the items out as a
//! `Stream`, reading the next page only when the caller gets to it.

use futures_util::stream::{self, Stream, TryStreamExt};

use ews_types::{m, t};

use crate::error::{Error, ErrorKind};
use crate::mailbox::Mailbox;
use crate::query::Query;

/// One page of a FindItem answer: its items, and the offset of the next page unless this one
/// reached the end.
struct Page {
    items: Vec<t::ArrayOfRealItemsChoice>,
    next: Option<i32>,
}

impl Mailbox {
    /// The items of one of this mailbox's well-known folders that `query` selects, in its sort
    /// order, as a stream that reads one page (`IndexedPageItemView`) at a time.
    ///
    /// Paging is by offset, as Exchange pages: an item added or removed while the stream runs
    /// may shift later pages by one (seen twice or not at all). A failed page ends the stream
    /// with that error after the items already read.
    ///
    /// ```no_run
    /// # async fn run(mailbox: ews_client::Mailbox) -> Result<(), ews_client::Error> {
    /// use ews_client::futures::TryStreamExt;
    /// use ews_client::query::{Field, Query};
    /// use ews_client::t::{DistinguishedFolderIdName as Folder, UnindexedFieldURI as F};
    ///
    /// let query = Query::new()
    ///     .filter(Field::from(F::ItemSubject).contains("invoice"))
    ///     .sort_ascending(F::ItemDateTimeReceived);
    /// let mut found = std::pin::pin!(mailbox.find(Folder::Inbox, query));
    /// while let Some(item) = found.try_next().await? {
    ///     println!("{:?}", item.as_item().subject());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn find(
        &self,
        folder: t::DistinguishedFolderIdName,
        query: Query,
    ) -> impl Stream<Item = Result<t::ArrayOfRealItemsChoice, Error>> + Send + 'static {
        let mailbox = self.clone();
        let folders = self.folder_ids(folder);
        stream::try_unfold(Some(0), move |offset| {
            let mailbox = mailbox.clone();
            let request = offset.map(|at| query.request(folders.clone(), at));
            async move {
                let Some(request) = request else {
                    return Ok(None);
                };
                let page = mailbox.find_page(&request).await?;
                Ok::<_, Error>(Some((
                    stream::iter(page.items.into_iter().map(Ok)),
                    page.next,
                )))
            }
        })
        .try_flatten()
    }

    /// Every item [`Mailbox::find`] streams, collected.
    pub async fn find_all(
        &self,
        folder: t::DistinguishedFolderIdName,
        query: Query,
    ) -> Result<Vec<t::ArrayOfRealItemsChoice>, Error> {
        self.find(folder, query).try_collect().await
    }

    async fn find_page(&self, request: &m::FindItem) -> Result<Page, Error> {
        let Some(m::FindItemChoice::IndexedPageItemView(view)) = request.content.as_deref() else {
            unreachable!("Query::request pages by IndexedPageItemView");
        };
        let m::ArrayOfResponseMessagesChoice::FindItemResponseMessage(found) =
            self.send_one(request).await?
        else {
            return Err(malformed("expected a FindItemResponseMessage"));
        };
        let root = found
            .root_folder
            .ok_or_else(|| malformed("FindItem returned no RootFolder"))?;
        let items = match root.content {
            t::FindItemParentChoice::Items(list) => list.content,
            t::FindItemParentChoice::Groups(_) => {
                return Err(malformed(
                    "FindItem returned groups to a query without GroupBy",
                ));
            }
        };
        let last = root.includes_last_item_in_range.unwrap_or(true);
        let next = if last || items.is_empty() {
            None
        } else {
            let next = root
                .indexed_paging_offset
                .unwrap_or(view.offset + items.len() as i32);
            if next <= view.offset {
                return Err(malformed(
                    "FindItem's next page does not start after this one",
                ));
            }
            Some(next)
        };
        Ok(Page { items, next })
    }
}

fn malformed(what: &str) -> Error {
    Error::new(ErrorKind::MalformedResponse, what)
}
