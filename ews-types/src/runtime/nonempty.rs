//! [`NonEmpty`]: the list type of every element the schema requires at least once.

use std::fmt;
use std::ops::{Deref, DerefMut};

/// A list with at least one element, for repeated elements with `minOccurs="1"` or more
/// (`NonEmptyArrayOfAllItems`, `NonEmptyArrayOfBaseItemIds`, …).
///
/// It cannot be built empty, so a request the schema would refuse for an empty list does not
/// compile into existence:
///
/// ```
/// use ews_types::runtime::NonEmpty;
/// let mut ids = NonEmpty::new("AAMkAD1");
/// ids.push("AAMkAD2");
/// assert_eq!(ids.len(), 2);
/// assert_eq!(*ids.first(), "AAMkAD1");
/// let none: Vec<&str> = Vec::new();
/// assert!(NonEmpty::<&str>::try_from(none).is_err());
/// ```
///
/// It reads like a slice (`iter()`, `len()`, indexing) and converts into a `Vec`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NonEmpty<T>(Vec<T>);

/// The error of turning an empty `Vec` into a [`NonEmpty`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the list is empty, but the schema requires at least one element")]
pub struct EmptyList;

impl<T> NonEmpty<T> {
    /// A list of one element.
    pub fn new(first: T) -> Self {
        NonEmpty(vec![first])
    }

    /// The list, or `None` when `items` is empty.
    pub fn from_vec(items: Vec<T>) -> Option<Self> {
        (!items.is_empty()).then_some(NonEmpty(items))
    }

    /// The list of everything `items` yields, or `None` when it yields nothing.
    pub fn collect(items: impl IntoIterator<Item = T>) -> Option<Self> {
        Self::from_vec(items.into_iter().collect())
    }

    /// The first element (there always is one).
    pub fn first(&self) -> &T {
        &self.0[0]
    }

    /// The last element (there always is one).
    pub fn last(&self) -> &T {
        &self.0[self.0.len() - 1]
    }

    /// Appends an element.
    pub fn push(&mut self, item: T) {
        self.0.push(item);
    }

    /// The elements as a slice.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }

    /// The elements as a `Vec`.
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }

    /// Always `false`; here so that `is_empty` does not look like it could be `true`.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// A list of the same length with every element mapped.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> NonEmpty<U> {
        NonEmpty(self.0.into_iter().map(f).collect())
    }
}

impl<T> Deref for NonEmpty<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

/// Elements can change in place; the length cannot drop below one through a slice.
impl<T> DerefMut for NonEmpty<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for NonEmpty<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.0).finish()
    }
}

impl<T> From<T> for NonEmpty<T> {
    fn from(first: T) -> Self {
        NonEmpty::new(first)
    }
}

impl<T, const N: usize> TryFrom<[T; N]> for NonEmpty<T> {
    type Error = EmptyList;
    fn try_from(items: [T; N]) -> Result<Self, EmptyList> {
        Self::from_vec(items.into()).ok_or(EmptyList)
    }
}

impl<T> TryFrom<Vec<T>> for NonEmpty<T> {
    type Error = EmptyList;
    fn try_from(items: Vec<T>) -> Result<Self, EmptyList> {
        Self::from_vec(items).ok_or(EmptyList)
    }
}

impl<T> From<NonEmpty<T>> for Vec<T> {
    fn from(list: NonEmpty<T>) -> Vec<T> {
        list.0
    }
}

impl<T> Extend<T> for NonEmpty<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl<T> IntoIterator for NonEmpty<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a NonEmpty<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'a, T> IntoIterator for &'a mut NonEmpty<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_empty() {
        let mut l = NonEmpty::new(1);
        l.extend([2, 3]);
        assert_eq!(l.as_slice(), &[1, 2, 3]);
        assert_eq!((*l.first(), *l.last()), (1, 3));
        assert_eq!(NonEmpty::<u8>::try_from(Vec::new()), Err(EmptyList));
        assert_eq!(NonEmpty::<u8>::collect([]), None);
        assert_eq!(NonEmpty::<u8>::try_from([7, 8]).map(|l| l.len()), Ok(2));
        assert_eq!(l.map(|x| x * 2).into_vec(), vec![2, 4, 6]);
    }
}
