//! A hash index from names to dense `u32` positions.
//!
//! The index stores positions only; the names live with their owner, which
//! passes a closure to read the name at a position. Hashing follows a
//! [`NameMatching`] rule without allocating.
//!
//! Names come from untrusted requests, so the hasher is SipHash-1-3 with
//! random keys drawn for each index (the standard library's `RandomState`):
//! an attacker who cannot read the keys cannot choose names that collide,
//! however long they study the process. Faster hashers such as foldhash are
//! only minimally resistant to that; the scale bench measures the difference.
//! The `fast-hash` feature switches to foldhash for hosts whose identifiers
//! and action names are not chosen by attackers.

use std::hash::BuildHasher;

#[cfg(not(feature = "fast-hash"))]
use std::hash::RandomState as IndexHasher;

#[cfg(feature = "fast-hash")]
use hashbrown::DefaultHashBuilder as IndexHasher;

use hashbrown::HashTable;

use crate::name::NameMatching;

#[derive(Clone, Default)]
pub(crate) struct NameIndex {
    matching: NameMatching,
    hasher: IndexHasher,
    table: HashTable<u32>,
}

impl NameIndex {
    pub(crate) fn new(matching: NameMatching) -> Self {
        Self {
            matching,
            ..Self::default()
        }
    }

    pub(crate) fn with_capacity(matching: NameMatching, capacity: usize) -> Self {
        Self {
            matching,
            table: HashTable::with_capacity(capacity),
            ..Self::default()
        }
    }

    #[inline]
    fn hash(&self, name: &str) -> u64 {
        let mut state = self.hasher.build_hasher();
        self.matching.hash_into(name, &mut state);
        std::hash::Hasher::finish(&state)
    }

    /// Returns the position whose name matches `name`.
    #[inline]
    pub(crate) fn get<'a>(&self, name: &str, name_at: impl Fn(u32) -> &'a str) -> Option<u32> {
        // Every indexed name is a validated one; a longer input matches none.
        if name.len() > crate::name::MAX_NAME_LEN {
            return None;
        }
        let hash = self.hash(name);
        self.table
            .find(hash, |&pos| self.matching.matches(name_at(pos), name))
            .copied()
    }

    /// Records `pos` under `name`. The caller has checked that no other
    /// position holds a matching name.
    pub(crate) fn insert<'a>(&mut self, name: &str, pos: u32, name_at: impl Fn(u32) -> &'a str) {
        let hash = self.hash(name);
        let Self {
            matching,
            hasher,
            table,
        } = self;
        table.insert_unique(hash, pos, |&other| {
            let mut state = hasher.build_hasher();
            matching.hash_into(name_at(other), &mut state);
            std::hash::Hasher::finish(&state)
        });
    }

    /// Forgets `pos`, recorded under `name`.
    pub(crate) fn remove(&mut self, name: &str, pos: u32) {
        let hash = self.hash(name);
        if let Ok(entry) = self.table.find_entry(hash, |&other| other == pos) {
            entry.remove();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_under_the_matching_rule() {
        let names = ["GetClients", "AddCredit"];
        for matching in [NameMatching::Exact, NameMatching::AsciiCaseInsensitive] {
            let mut index = NameIndex::new(matching);
            for (pos, name) in names.iter().enumerate() {
                index.insert(name, pos as u32, |p| names[p as usize]);
            }
            assert_eq!(index.get("AddCredit", |p| names[p as usize]), Some(1));
            index.remove("AddCredit", 1);
            assert_eq!(index.get("AddCredit", |p| names[p as usize]), None);
            index.insert("AddCredit", 1, |p| names[p as usize]);
            let folded = index.get("addcredit", |p| names[p as usize]);
            assert_eq!(
                folded.is_some(),
                matching == NameMatching::AsciiCaseInsensitive
            );
            assert_eq!(index.get("GetClients", |p| names[p as usize]), Some(0));
        }
    }
}
