//! Iteration over [`ActionSet`].

use super::ActionSet;
use crate::catalog::ActionId;

/// An iterator over the actions of an [`ActionSet`], in ascending id order.
///
/// Made by [`ActionSet::iter`].
///
/// # Example
///
/// ```
/// use api_roles::{ActionId, ActionSet};
///
/// let set = ActionSet::from_iter([ActionId::new(9), ActionId::new(2)]);
/// let ids: Vec<u32> = set.iter().map(|a| a.get()).collect();
/// assert_eq!(ids, [2, 9]);
/// ```
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    words: &'a [u64],
    /// Index of the word in `current`.
    base: usize,
    /// The bits of the current word not yet returned.
    current: u64,
}

impl ActionSet {
    /// Returns the actions of the set in ascending id order.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(api_roles::ActionSet::full(4).iter().count(), 4);
    /// ```
    pub fn iter(&self) -> Iter<'_> {
        let words = self.as_words();
        Iter {
            words,
            base: 0,
            current: words.first().copied().unwrap_or(0),
        }
    }
}

impl Iterator for Iter<'_> {
    type Item = ActionId;

    fn next(&mut self) -> Option<ActionId> {
        while self.current == 0 {
            self.base += 1;
            self.current = *self.words.get(self.base)?;
        }
        let bit = self.current.trailing_zeros() as usize;
        self.current &= self.current - 1;
        let index = self.base * 64 + bit;
        u32::try_from(index).ok().map(ActionId::new)
    }
}

impl<'a> IntoIterator for &'a ActionSet {
    type Item = ActionId;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterates_in_order_across_words() {
        let ids = [0u32, 63, 64, 127, 200, 1000];
        let set: ActionSet = ids.iter().copied().map(ActionId::new).collect();
        let back: Vec<u32> = set.iter().map(ActionId::get).collect();
        assert_eq!(back, ids);
        assert_eq!(ActionSet::new().iter().next(), None);
    }
}
