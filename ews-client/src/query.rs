//! [`Query`]: what [`Mailbox::find`](crate::Mailbox::find) looks for — a typed filter over
//! property paths, a sort order and a page size — built without touching the schema's
//! restriction types.
//!
//! ```
//! use ews_client::query::{Field, Query};
//! use ews_client::{chrono::{TimeZone, Utc}, t::UnindexedFieldURI as F};
//!
//! let since = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
//! let query = Query::new()
//!     .filter(Field::from(F::ItemSubject).contains("invoice") & Field::from(F::ItemDateTimeReceived).ge(since))
//!     .sort_descending(F::ItemDateTimeReceived)
//!     .page_size(100);
//! let request = query.restriction().unwrap();
//! assert!(matches!(request.search_expression, ews_client::t::SearchExpression::And(_)));
//! ```

use std::ops::{BitAnd, BitOr, Not};

use chrono::{DateTime, Utc};
use ews_types::runtime::NonEmpty;
use ews_types::{m, t};

/// Items per FindItem request unless [`Query::page_size`] says otherwise (Exchange's default
/// throttling policy returns at most 1,000 per request).
pub const DEFAULT_PAGE_SIZE: i32 = 100;

/// A property to filter or sort on: a schema field (`item:Subject`, `calendar:Start`), an
/// indexed entry or an extended property — any [`t::Path`].
#[derive(Clone, Debug, PartialEq)]
pub struct Field(t::Path);

impl From<t::UnindexedFieldURI> for Field {
    fn from(uri: t::UnindexedFieldURI) -> Self {
        Field(t::Path::FieldURI(t::PathToUnindexedField::new(uri)))
    }
}

impl From<t::Path> for Field {
    fn from(path: t::Path) -> Self {
        Field(path)
    }
}

impl From<t::PathToExtendedField> for Field {
    fn from(path: t::PathToExtendedField) -> Self {
        Field(t::Path::ExtendedFieldURI(path))
    }
}

impl From<Field> for t::Path {
    fn from(field: Field) -> Self {
        field.0
    }
}

/// A constant a [`Field`] is compared with, as EWS writes it (`Constant Value="…"`).
#[derive(Clone, Debug, PartialEq)]
pub struct Value(String);

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value(b.to_string())
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value(n.to_string())
    }
}

impl From<i32> for Value {
    fn from(n: i32) -> Self {
        Value(n.to_string())
    }
}

impl From<DateTime<Utc>> for Value {
    fn from(at: DateTime<Utc>) -> Self {
        Value(at.format("%Y-%m-%dT%H:%M:%SZ").to_string())
    }
}

impl Field {
    fn compare(self, value: Value) -> (t::Path, t::FieldURIOrConstant) {
        let constant = t::FieldURIOrConstantChoice::Constant(t::ConstantValue::new(value.0));
        (self.0, t::FieldURIOrConstant::new(constant))
    }

    /// The property equals `value`.
    pub fn eq(self, value: impl Into<Value>) -> Filter {
        let (p, c) = self.compare(value.into());
        Filter(t::SearchExpression::IsEqualTo(t::IsEqualTo::new(p, c)))
    }

    /// The property differs from `value`.
    pub fn ne(self, value: impl Into<Value>) -> Filter {
        let (p, c) = self.compare(value.into());
        Filter(t::SearchExpression::IsNotEqualTo(t::IsNotEqualTo::new(
            p, c,
        )))
    }

    /// The property is greater (later) than `value`.
    pub fn gt(self, value: impl Into<Value>) -> Filter {
        let (p, c) = self.compare(value.into());
        Filter(t::SearchExpression::IsGreaterThan(t::IsGreaterThan::new(
            p, c,
        )))
    }

    /// The property is greater than or equal to `value`.
    pub fn ge(self, value: impl Into<Value>) -> Filter {
        let (p, c) = self.compare(value.into());
        Filter(t::SearchExpression::IsGreaterThanOrEqualTo(
            t::IsGreaterThanOrEqualTo::new(p, c),
        ))
    }

    /// The property is less (earlier) than `value`.
    pub fn lt(self, value: impl Into<Value>) -> Filter {
        let (p, c) = self.compare(value.into());
        Filter(t::SearchExpression::IsLessThan(t::IsLessThan::new(p, c)))
    }

    /// The property is less than or equal to `value`.
    pub fn le(self, value: impl Into<Value>) -> Filter {
        let (p, c) = self.compare(value.into());
        Filter(t::SearchExpression::IsLessThanOrEqualTo(
            t::IsLessThanOrEqualTo::new(p, c),
        ))
    }

    /// The text property contains `text`, ignoring case (`Substring`, `IgnoreCase`).
    pub fn contains(self, text: impl Into<String>) -> Filter {
        self.text(text, t::ContainmentMode::Substring)
    }

    /// The text property starts with `text`, ignoring case (`Prefixed`, `IgnoreCase`).
    pub fn starts_with(self, text: impl Into<String>) -> Filter {
        self.text(text, t::ContainmentMode::Prefixed)
    }

    fn text(self, text: impl Into<String>, mode: t::ContainmentMode) -> Filter {
        let expression =
            t::ContainsExpression::new(self.0, t::ConstantValue::new(Into::<String>::into(text)))
                .with_containment_mode(mode)
                .with_containment_comparison(t::ContainmentComparison::IgnoreCase);
        Filter(t::SearchExpression::Contains(expression))
    }

    /// The item has the property at all.
    pub fn exists(self) -> Filter {
        Filter(t::SearchExpression::Exists(t::Exists::new(self.0)))
    }
}

/// A condition on items: comparisons of [`Field`]s combined with `&` (and), `|` (or) and `!`
/// (not). It becomes the request's `Restriction`.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter(t::SearchExpression);

impl Filter {
    /// The filter as the schema's search expression.
    pub fn into_expression(self) -> t::SearchExpression {
        self.0
    }

    fn flatten_and(self, out: &mut Vec<t::SearchExpression>) {
        match self.0 {
            t::SearchExpression::And(and) => out.extend(and.search_expression),
            other => out.push(other),
        }
    }

    fn flatten_or(self, out: &mut Vec<t::SearchExpression>) {
        match self.0 {
            t::SearchExpression::Or(or) => out.extend(or.search_expression),
            other => out.push(other),
        }
    }
}

impl BitAnd for Filter {
    type Output = Filter;
    /// Both conditions hold (one `And` however many are chained).
    fn bitand(self, other: Filter) -> Filter {
        let mut all = Vec::new();
        self.flatten_and(&mut all);
        other.flatten_and(&mut all);
        let all = NonEmpty::try_from(all).expect("two operands");
        Filter(t::SearchExpression::And(t::And::new(all)))
    }
}

impl BitOr for Filter {
    type Output = Filter;
    /// Either condition holds (one `Or` however many are chained).
    fn bitor(self, other: Filter) -> Filter {
        let mut any = Vec::new();
        self.flatten_or(&mut any);
        other.flatten_or(&mut any);
        let any = NonEmpty::try_from(any).expect("two operands");
        Filter(t::SearchExpression::Or(t::Or::new(any)))
    }
}

impl Not for Filter {
    type Output = Filter;
    /// The condition does not hold.
    fn not(self) -> Filter {
        Filter(t::SearchExpression::Not(Box::new(t::Not::new(self.0))))
    }
}

/// What to find in a folder: an optional [`Filter`], a sort order, the page size, and the
/// properties each item comes back with.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    filter: Option<Filter>,
    sort: Vec<t::FieldOrder>,
    page_size: i32,
    shape: t::DefaultShapeNames,
    properties: Vec<t::Path>,
}

impl Default for Query {
    /// Every item, newest first as the server orders them, [`DEFAULT_PAGE_SIZE`] per request,
    /// with the `Default` shape.
    fn default() -> Self {
        Query {
            filter: None,
            sort: Vec::new(),
            page_size: DEFAULT_PAGE_SIZE,
            shape: t::DefaultShapeNames::Default,
            properties: Vec::new(),
        }
    }
}

impl Query {
    /// Every item of the folder ([`Query::default`]).
    pub fn new() -> Query {
        Query::default()
    }

    /// Only the items `filter` accepts (a second call combines both with `&`).
    #[must_use]
    pub fn filter(mut self, filter: Filter) -> Query {
        self.filter = Some(match self.filter.take() {
            Some(earlier) => earlier & filter,
            None => filter,
        });
        self
    }

    /// Sorts by `field`, ascending; later calls sort ties.
    #[must_use]
    pub fn sort_ascending(self, field: impl Into<Field>) -> Query {
        self.sort(field.into(), t::SortDirection::Ascending)
    }

    /// Sorts by `field`, descending; later calls sort ties.
    #[must_use]
    pub fn sort_descending(self, field: impl Into<Field>) -> Query {
        self.sort(field.into(), t::SortDirection::Descending)
    }

    fn sort(mut self, field: Field, direction: t::SortDirection) -> Query {
        self.sort.push(t::FieldOrder::new(direction, field.0));
        self
    }

    /// Items per request, at least 1 (the stream reads as many pages as there are).
    #[must_use]
    pub fn page_size(mut self, items: i32) -> Query {
        self.page_size = items.max(1);
        self
    }

    /// The base shape of each item (`IdOnly`, `Default` or `AllProperties`).
    #[must_use]
    pub fn shape(mut self, shape: t::DefaultShapeNames) -> Query {
        self.shape = shape;
        self
    }

    /// Also returns `field` with each item (`AdditionalProperties`), for example an extended
    /// property, which no base shape includes.
    #[must_use]
    pub fn with_property(mut self, field: impl Into<Field>) -> Query {
        self.properties.push(field.into().0);
        self
    }

    /// The request's `Restriction`, if the query filters.
    pub fn restriction(&self) -> Option<t::Restriction> {
        self.filter.clone().map(|f| t::Restriction::new(f.0))
    }

    /// Items per request.
    pub fn items_per_page(&self) -> i32 {
        self.page_size
    }

    /// The FindItem request for the page starting at `offset` in `folders`.
    pub fn request(&self, folders: t::NonEmptyArrayOfBaseFolderIds, offset: i32) -> m::FindItem {
        let mut shape = t::ItemResponseShape::new(self.shape);
        if let Some(paths) = NonEmpty::collect(self.properties.iter().cloned().map(to_element)) {
            shape = shape.with_additional_properties(t::NonEmptyArrayOfPathsToElement::new(paths));
        }
        let view = t::IndexedPageView::new(offset, t::IndexBasePoint::Beginning)
            .with_max_entries_returned(self.page_size);
        let mut request = m::FindItem::new(t::ItemQueryTraversal::Shallow, shape, folders)
            .with_content(m::FindItemChoice::IndexedPageItemView(view));
        request.restriction = self.restriction().map(Box::new);
        if let Some(orders) = NonEmpty::collect(self.sort.iter().cloned()) {
            request.sort_order = Some(Box::new(t::NonEmptyArrayOfFieldOrders::new(orders)));
        }
        request
    }
}

fn to_element(path: t::Path) -> t::NonEmptyArrayOfPathsToElementChoice {
    use t::NonEmptyArrayOfPathsToElementChoice as E;
    match path {
        t::Path::FieldURI(p) => E::FieldURI(p),
        t::Path::IndexedFieldURI(p) => E::IndexedFieldURI(p),
        t::Path::ExtendedFieldURI(p) => E::ExtendedFieldURI(p),
    }
}
