//! Usage recording: which actions each credential actually used.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::action_set::ActionSet;
use crate::catalog::ActionId;

/// One bit per catalog action for one credential, set without locks.
#[derive(Debug)]
pub(crate) struct UsageBits {
    words: Box<[AtomicU64]>,
}

impl UsageBits {
    pub(crate) fn new(actions: usize) -> Self {
        Self {
            words: (0..actions.div_ceil(64))
                .map(|_| AtomicU64::new(0))
                .collect(),
        }
    }

    /// Copies these bits into a record for a catalog of `actions` actions.
    pub(crate) fn resized(&self, actions: usize) -> Self {
        let fresh = Self::new(actions);
        for (new, old) in fresh.words.iter().zip(self.words.iter()) {
            new.store(old.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        fresh
    }

    /// Records a use of `action`. The load first keeps a hot, already
    /// recorded action from bouncing its cache line between cores.
    #[inline]
    pub(crate) fn record(&self, action: ActionId) {
        let index = action.index();
        let bit = 1u64 << (index % 64);
        if let Some(word) = self.words.get(index / 64)
            && word.load(Ordering::Relaxed) & bit == 0
        {
            word.fetch_or(bit, Ordering::Relaxed);
        }
    }

    pub(crate) fn to_set(&self) -> ActionSet {
        let mut set = ActionSet::new();
        for (w, word) in self.words.iter().enumerate() {
            let mut bits = word.load(Ordering::Relaxed);
            while bits != 0 {
                let bit = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if let Ok(id) = u32::try_from(w * 64 + bit) {
                    set.insert(ActionId::new(id));
                }
            }
        }
        set
    }

    pub(crate) fn clear(&self) {
        for word in self.words.iter() {
            word.store(0, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_resizes() {
        let usage = UsageBits::new(100);
        usage.record(ActionId::new(3));
        usage.record(ActionId::new(99));
        usage.record(ActionId::new(99));
        usage.record(ActionId::new(500));
        let grown = usage.resized(300);
        grown.record(ActionId::new(250));
        let ids: Vec<u32> = grown.to_set().iter().map(ActionId::get).collect();
        assert_eq!(ids, [3, 99, 250]);
        grown.clear();
        assert!(grown.to_set().is_empty());
    }
}
