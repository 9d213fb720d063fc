//! [`ActionSet`], the bitset over [`ActionId`]s: its core.

mod iter;
mod ops;

pub use iter::Iter;

use smallvec::SmallVec;

use crate::catalog::ActionId;

/// Words held inline: 4 words of 64 bits cover catalogs up to 256 actions.
const INLINE_WORDS: usize = 4;

/// A set of actions, stored as a bitset indexed by [`ActionId`].
///
/// Sets over catalogs of up to 256 actions live inline, without a heap
/// allocation; larger ones spill to the heap. Set operations work a word of 64
/// actions at a time. Two sets are equal when they hold the same actions,
/// whatever capacity either was built with.
///
/// # Example
///
/// ```
/// use api_roles::{ActionId, ActionSet};
///
/// let mut read: ActionSet = [ActionId::new(0), ActionId::new(3)].into_iter().collect();
/// let write: ActionSet = [ActionId::new(3), ActionId::new(300)].into_iter().collect();
/// assert!(read.contains(ActionId::new(3)));
/// assert_eq!((&read | &write).len(), 3);
/// assert_eq!((&read & &write).iter().collect::<Vec<_>>(), [ActionId::new(3)]);
/// read.remove(ActionId::new(3));
/// assert!(read.is_disjoint(&write));
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct ActionSet {
    /// Bit `i % 64` of word `i / 64` is action `i`. Never ends in a zero word,
    /// so that equal sets have equal words.
    words: SmallVec<[u64; INLINE_WORDS]>,
}

impl ActionSet {
    /// Creates an empty set.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(api_roles::ActionSet::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates the set of all actions with ids below `len`: every action of a
    /// catalog of `len` actions.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionId, ActionSet};
    ///
    /// let all = ActionSet::full(130);
    /// assert_eq!(all.len(), 130);
    /// assert!(all.contains(ActionId::new(129)));
    /// assert!(!all.contains(ActionId::new(130)));
    /// ```
    pub fn full(len: usize) -> Self {
        let mut words: SmallVec<[u64; INLINE_WORDS]> = SmallVec::from_elem(u64::MAX, len / 64);
        if !len.is_multiple_of(64) {
            words.push((1u64 << (len % 64)) - 1);
        }
        Self { words }
    }

    /// Returns whether the set holds `action`.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionId, ActionSet};
    ///
    /// let set = ActionSet::from_iter([ActionId::new(7)]);
    /// assert!(set.contains(ActionId::new(7)));
    /// assert!(!set.contains(ActionId::new(1_000_000)));
    /// ```
    #[inline]
    pub fn contains(&self, action: ActionId) -> bool {
        let (word, bit) = locate(action);
        self.words.get(word).is_some_and(|w| w & bit != 0)
    }

    /// Adds `action`; returns whether it was new.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionId, ActionSet};
    ///
    /// let mut set = ActionSet::new();
    /// assert!(set.insert(ActionId::new(2)));
    /// assert!(!set.insert(ActionId::new(2)));
    /// ```
    pub fn insert(&mut self, action: ActionId) -> bool {
        let (word, bit) = locate(action);
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        let fresh = self.words[word] & bit == 0;
        self.words[word] |= bit;
        fresh
    }

    /// Removes `action`; returns whether it was there.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionId, ActionSet};
    ///
    /// let mut set = ActionSet::from_iter([ActionId::new(2)]);
    /// assert!(set.remove(ActionId::new(2)));
    /// assert!(!set.remove(ActionId::new(2)));
    /// assert_eq!(set, ActionSet::new());
    /// ```
    pub fn remove(&mut self, action: ActionId) -> bool {
        let (word, bit) = locate(action);
        let Some(w) = self.words.get_mut(word) else {
            return false;
        };
        let present = *w & bit != 0;
        *w &= !bit;
        self.trim();
        present
    }

    /// Returns the number of actions in the set.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(api_roles::ActionSet::full(70).len(), 70);
    /// ```
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Returns whether the set holds no action.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(api_roles::ActionSet::full(0).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Removes every action.
    ///
    /// # Example
    ///
    /// ```
    /// let mut set = api_roles::ActionSet::full(10);
    /// set.clear();
    /// assert!(set.is_empty());
    /// ```
    pub fn clear(&mut self) {
        self.words.clear();
    }

    /// Returns whether every action of `self` is in `other`.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::ActionSet;
    ///
    /// assert!(ActionSet::full(3).is_subset(&ActionSet::full(5)));
    /// assert!(!ActionSet::full(5).is_subset(&ActionSet::full(3)));
    /// ```
    pub fn is_subset(&self, other: &Self) -> bool {
        self.words.len() <= other.words.len()
            && self
                .words
                .iter()
                .zip(&other.words)
                .all(|(a, b)| a & !b == 0)
    }

    /// Returns whether every action of `other` is in `self`.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::ActionSet;
    ///
    /// assert!(ActionSet::full(5).is_superset(&ActionSet::full(3)));
    /// ```
    pub fn is_superset(&self, other: &Self) -> bool {
        other.is_subset(self)
    }

    /// Returns whether the sets have no action in common.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionId, ActionSet};
    ///
    /// let a = ActionSet::from_iter([ActionId::new(1)]);
    /// let b = ActionSet::from_iter([ActionId::new(2)]);
    /// assert!(a.is_disjoint(&b));
    /// ```
    pub fn is_disjoint(&self, other: &Self) -> bool {
        self.words.iter().zip(&other.words).all(|(a, b)| a & b == 0)
    }

    /// Adds every action of `other` to `self`.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::ActionSet;
    ///
    /// let mut set = ActionSet::full(3);
    /// set.union_with(&ActionSet::full(100));
    /// assert_eq!(set.len(), 100);
    /// ```
    pub fn union_with(&mut self, other: &Self) {
        if other.words.len() > self.words.len() {
            self.words.resize(other.words.len(), 0);
        }
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }

    /// Keeps only the actions that are also in `other`.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::ActionSet;
    ///
    /// let mut set = ActionSet::full(100);
    /// set.intersect_with(&ActionSet::full(3));
    /// assert_eq!(set, ActionSet::full(3));
    /// ```
    pub fn intersect_with(&mut self, other: &Self) {
        self.words.truncate(other.words.len());
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= b;
        }
        self.trim();
    }

    /// Removes every action of `other` from `self`.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::ActionSet;
    ///
    /// let mut set = ActionSet::full(100);
    /// set.difference_with(&ActionSet::full(99));
    /// assert_eq!(set.len(), 1);
    /// ```
    pub fn difference_with(&mut self, other: &Self) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= !b;
        }
        self.trim();
    }

    /// Returns the words of the set: bit `i % 64` of word `i / 64` stands for
    /// action `i`. The last word, if any, is not zero.
    ///
    /// # Example
    ///
    /// ```
    /// use api_roles::{ActionId, ActionSet};
    ///
    /// let set = ActionSet::from_iter([ActionId::new(0), ActionId::new(65)]);
    /// assert_eq!(set.as_words(), &[1, 2]);
    /// ```
    pub fn as_words(&self) -> &[u64] {
        &self.words
    }

    /// Returns whether the set spilled to the heap (it holds an action with an
    /// id of 256 or more).
    #[cfg(test)]
    fn spilled(&self) -> bool {
        self.words.spilled()
    }

    /// Drops trailing zero words, keeping the representation canonical.
    fn trim(&mut self) {
        while self.words.last() == Some(&0) {
            self.words.pop();
        }
    }
}

/// Returns the word index and the bit mask of `action`.
#[inline]
fn locate(action: ActionId) -> (usize, u64) {
    let index = action.index();
    (index / 64, 1u64 << (index % 64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[u32]) -> ActionSet {
        ids.iter().copied().map(ActionId::new).collect()
    }

    #[test]
    fn equality_ignores_capacity() {
        let mut a = set(&[1, 500]);
        a.remove(ActionId::new(500));
        assert_eq!(a, set(&[1]));
        assert_eq!(a.as_words().len(), 1);
    }

    #[test]
    fn inline_up_to_256_actions() {
        assert!(!ActionSet::full(256).spilled());
        assert!(ActionSet::full(257).spilled());
    }

    #[test]
    fn full_has_exact_length() {
        for len in [0, 1, 63, 64, 65, 128, 255, 256, 1000] {
            let all = ActionSet::full(len);
            assert_eq!(all.len(), len);
            assert_eq!(all.iter().count(), len);
        }
    }

    #[test]
    fn subset_and_disjoint() {
        assert!(set(&[]).is_subset(&set(&[])));
        assert!(set(&[1, 70]).is_subset(&set(&[1, 2, 70])));
        assert!(!set(&[1, 700]).is_subset(&set(&[1, 2, 70])));
        assert!(set(&[1, 700]).is_disjoint(&set(&[2])));
        assert!(!set(&[700]).is_disjoint(&set(&[700])));
    }
}
