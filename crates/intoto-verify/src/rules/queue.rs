//! The artifact queue and sorted lookups: the data structures that keep a
//! rule near-linear in the number of artifacts.
//!
//! An [`ArtifactMap`] is a sorted vector, so the queue is the item's map
//! plus one flag per artifact, and every rule visits names in ascending
//! order: the other side of a comparison (the destination of a MATCH, the
//! other list of the item for CREATE, DELETE and MODIFY) is walked with a
//! cursor that gallops forward.

use crate::artifacts::{ArtifactMap, Digests};
use intoto_model::ArtifactPattern;

/// The names not yet consumed: every artifact of the item's list, sorted,
/// with a flag per artifact. Consuming clears a flag; positions never move.
pub(super) struct Queue<'a> {
    map: &'a ArtifactMap,
    alive: Vec<bool>,
    len: usize,
}

impl<'a> Queue<'a> {
    pub(super) fn new(map: &'a ArtifactMap) -> Self {
        Self {
            map,
            alive: vec![true; map.len()],
            len: map.len(),
        }
    }

    /// How many names are queued.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The name and digests at `index`.
    pub(super) fn entry(&self, index: usize) -> (&'a str, &'a Digests) {
        (self.map.name(index), self.map.digests(index))
    }

    /// The name at `index`.
    pub(super) fn name(&self, index: usize) -> &'a str {
        self.map.name(index)
    }

    /// The position of `name` if it is queued.
    pub(super) fn queued(&self, name: &str) -> Option<usize> {
        self.map.position(name).filter(|&i| self.alive[i])
    }

    /// Positions of the queued names starting with `prefix`, ascending.
    pub(super) fn with_prefix(&self, prefix: &str) -> impl Iterator<Item = usize> + '_ {
        self.map
            .prefix_range(prefix)
            .filter(move |&i| self.alive[i])
    }

    /// `fnmatch.filter(queue, pattern)`: positions of the queued names that
    /// match, ascending. A literal pattern is one binary search; otherwise
    /// only the names starting with the pattern's literal prefix are tried.
    pub(super) fn select(&self, pattern: &ArtifactPattern) -> Vec<usize> {
        if let Some(literal) = pattern.as_literal() {
            return self.queued(literal).into_iter().collect();
        }
        self.with_prefix(pattern.literal_prefix())
            .filter(|&i| pattern.matches_rest(self.map.name(i)))
            .collect()
    }

    /// Removes the names at `positions` (each queued, no repeats).
    pub(super) fn consume(&mut self, positions: &[usize]) {
        for &i in positions {
            if std::mem::replace(&mut self.alive[i], false) {
                self.len -= 1;
            }
        }
    }

    /// The queued names, ascending.
    pub(super) fn names(&self) -> impl Iterator<Item = &'a str> + '_ {
        let map = self.map;
        (0..map.len())
            .filter(|&i| self.alive[i])
            .map(move |i| map.name(i))
    }
}

/// Lookups by name in an artifact map, for names that mostly come in
/// ascending order: a cursor that gallops forward, so ascending names cost
/// about one comparison each, and a name out of order costs a binary search.
pub(super) struct Lookup<'a> {
    map: &'a ArtifactMap,
    pos: usize,
}

impl<'a> Lookup<'a> {
    pub(super) fn new(map: &'a ArtifactMap) -> Self {
        Self { map, pos: 0 }
    }

    pub(super) fn get(&mut self, name: &str) -> Option<&'a Digests> {
        let map = self.map;
        if self.pos > 0 && map.name(self.pos - 1) >= name {
            self.pos = 0;
        }
        // Every entry before `lo` sorts before `name`.
        let (mut lo, mut hi, mut step) = (self.pos, self.pos, 1);
        while hi < map.len() && map.name(hi) < name {
            lo = hi + 1;
            hi += step;
            step *= 2;
        }
        let hi = hi.min(map.len());
        let mut found = lo;
        let mut end = hi;
        while found < end {
            let mid = found + (end - found) / 2;
            if map.name(mid) < name {
                found = mid + 1;
            } else {
                end = mid;
            }
        }
        self.pos = found;
        (found < map.len() && map.name(found) == name).then(|| map.digests(found))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::artifacts::ArtifactMapBuilder;

    proptest! {
        #[test]
        fn sorted_lookup_equals_map_lookup(
            keys in prop::collection::btree_set("[a-d]{0,3}", 0..40),
            probes in prop::collection::vec("[a-d]{0,3}", 0..60),
        ) {
            let mut b = ArtifactMapBuilder::default();
            for k in &keys {
                b.push(k, Digests::sha256_hex("00"));
            }
            let map = b.finish();
            let mut lookup = Lookup::new(&map);
            for probe in &probes {
                prop_assert_eq!(lookup.get(probe).is_some(), keys.contains(probe), "{}", probe);
            }
        }
    }
}
