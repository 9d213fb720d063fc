//! Operators and conversions for [`ActionSet`].

use std::fmt;
use std::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign, Sub, SubAssign};

use super::ActionSet;
use crate::catalog::ActionId;

impl BitOr for &ActionSet {
    type Output = ActionSet;

    /// The union of two sets.
    fn bitor(self, rhs: Self) -> ActionSet {
        let mut out = self.clone();
        out.union_with(rhs);
        out
    }
}

impl BitAnd for &ActionSet {
    type Output = ActionSet;

    /// The intersection of two sets.
    fn bitand(self, rhs: Self) -> ActionSet {
        let mut out = self.clone();
        out.intersect_with(rhs);
        out
    }
}

impl Sub for &ActionSet {
    type Output = ActionSet;

    /// The actions of `self` that are not in `rhs`.
    fn sub(self, rhs: Self) -> ActionSet {
        let mut out = self.clone();
        out.difference_with(rhs);
        out
    }
}

impl BitOrAssign<&ActionSet> for ActionSet {
    fn bitor_assign(&mut self, rhs: &ActionSet) {
        self.union_with(rhs);
    }
}

impl BitAndAssign<&ActionSet> for ActionSet {
    fn bitand_assign(&mut self, rhs: &ActionSet) {
        self.intersect_with(rhs);
    }
}

impl SubAssign<&ActionSet> for ActionSet {
    fn sub_assign(&mut self, rhs: &ActionSet) {
        self.difference_with(rhs);
    }
}

impl FromIterator<ActionId> for ActionSet {
    fn from_iter<I: IntoIterator<Item = ActionId>>(iter: I) -> Self {
        let mut set = Self::new();
        set.extend(iter);
        set
    }
}

impl Extend<ActionId> for ActionSet {
    fn extend<I: IntoIterator<Item = ActionId>>(&mut self, iter: I) {
        for action in iter {
            self.insert(action);
        }
    }
}

impl fmt::Debug for ActionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(ActionId::index))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[u32]) -> ActionSet {
        ids.iter().copied().map(ActionId::new).collect()
    }

    #[test]
    fn operators_match_their_methods() {
        let a = set(&[1, 2, 300]);
        let b = set(&[2, 3]);
        assert_eq!(&a | &b, set(&[1, 2, 3, 300]));
        assert_eq!(&a & &b, set(&[2]));
        assert_eq!(&a - &b, set(&[1, 300]));
        let mut c = a.clone();
        c -= &a;
        assert!(c.is_empty());
        c |= &b;
        c &= &set(&[3]);
        assert_eq!(c, set(&[3]));
    }

    #[test]
    fn debug_lists_ids() {
        assert_eq!(format!("{:?}", set(&[5, 1])), "{1, 5}");
    }
}
