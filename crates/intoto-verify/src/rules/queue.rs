//! The artifact queue and sorted lookups: the data structures that keep a
//! rule near-linear in the number of artifacts.
//!
//! Artifact maps are `BTreeMap<String, _>`, whose lookups chase a heap
//! pointer per key comparison. Every rule visits names in ascending order,
//! so both the queue and the other side of a comparison (the destination
//! of a MATCH, the other list of the item for CREATE, DELETE and MODIFY)
//! are flat sorted vectors walked with a cursor.

use intoto_model::{Artifacts, DigestSet};

use crate::pattern::Pattern;

/// An artifact name and its digests.
pub(super) type Entry<'a> = (&'a str, &'a DigestSet);

/// The names not yet consumed: every artifact of the item's list, sorted,
/// with a flag per artifact. Consuming clears a flag; positions never move.
pub(super) struct Queue<'a> {
    entries: Vec<Entry<'a>>,
    alive: Vec<bool>,
    len: usize,
}

impl<'a> Queue<'a> {
    pub(super) fn new(source: &'a Artifacts) -> Self {
        let entries: Vec<Entry<'a>> = source.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let len = entries.len();
        Self {
            alive: vec![true; len],
            entries,
            len,
        }
    }

    /// How many names are queued.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn entry(&self, index: usize) -> Entry<'a> {
        self.entries[index]
    }

    /// The position of `name` among the item's artifacts, queued or not.
    pub(super) fn position(&self, name: &str) -> Option<usize> {
        self.entries.binary_search_by(|(n, _)| (*n).cmp(name)).ok()
    }

    /// The position of `name` if it is queued.
    pub(super) fn queued(&self, name: &str) -> Option<usize> {
        self.position(name).filter(|&i| self.alive[i])
    }

    /// Positions of the queued names starting with `prefix`, ascending.
    pub(super) fn with_prefix<'q>(&'q self, prefix: &'q str) -> impl Iterator<Item = usize> + 'q {
        let start = self.entries.partition_point(|(n, _)| *n < prefix);
        (start..self.entries.len())
            .take_while(move |&i| self.entries[i].0.starts_with(prefix))
            .filter(move |&i| self.alive[i])
    }

    /// `fnmatch.filter(queue, pattern)`: positions of the queued names that
    /// match, ascending. A literal pattern is one binary search; otherwise
    /// only the names starting with the pattern's literal prefix are tried.
    pub(super) fn select(&self, pattern: &Pattern) -> Vec<usize> {
        if let Some(literal) = pattern.as_literal() {
            return self.queued(literal).into_iter().collect();
        }
        self.with_prefix(pattern.literal_prefix())
            .filter(|&i| pattern.matches(self.entries[i].0))
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
        self.entries
            .iter()
            .zip(&self.alive)
            .filter(|(_, alive)| **alive)
            .map(|((n, _), _)| *n)
    }
}

/// Lookups by name in an artifact map, for names that mostly come in
/// ascending order.
pub(super) enum Lookup<'s, 'a> {
    /// A few lookups: the map itself.
    Map(&'a Artifacts),
    /// Many lookups: a sorted vector and a cursor that gallops forward, so
    /// ascending names cost about one comparison each.
    Sorted {
        entries: &'s [Entry<'a>],
        pos: usize,
    },
}

impl<'a> Lookup<'_, 'a> {
    pub(super) fn get(&mut self, name: &str) -> Option<&'a DigestSet> {
        match self {
            Lookup::Map(map) => map.get(name),
            Lookup::Sorted { entries, pos } => {
                if *pos > 0 && entries[*pos - 1].0 >= name {
                    *pos = 0;
                }
                // Every entry before `lo` sorts before `name`.
                let (mut lo, mut hi, mut step) = (*pos, *pos, 1);
                while hi < entries.len() && entries[hi].0 < name {
                    lo = hi + 1;
                    hi += step;
                    step *= 2;
                }
                let hi = hi.min(entries.len());
                let found = lo + entries[lo..hi].partition_point(|(n, _)| *n < name);
                *pos = found;
                entries
                    .get(found)
                    .filter(|(n, _)| *n == name)
                    .map(|(_, d)| *d)
            }
        }
    }
}

/// Sorted vectors of artifact maps, built once per map and evaluation.
#[derive(Default)]
pub(super) struct SortedCache<'a> {
    built: Vec<(&'a Artifacts, Vec<Entry<'a>>)>,
}

impl<'a> SortedCache<'a> {
    /// A lookup into `map` for about `expected` names: the map itself for a
    /// few, else its sorted vector.
    pub(super) fn lookup(&mut self, map: &'a Artifacts, expected: usize) -> Lookup<'_, 'a> {
        if expected < 32 || expected.saturating_mul(8) < map.len() {
            return Lookup::Map(map);
        }
        let index = match self.built.iter().position(|(m, _)| std::ptr::eq(*m, map)) {
            Some(index) => index,
            None => {
                let entries = map.iter().map(|(k, v)| (k.as_str(), v)).collect();
                self.built.push((map, entries));
                self.built.len() - 1
            }
        };
        Lookup::Sorted {
            entries: &self.built[index].1,
            pos: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn sorted_lookup_equals_map_lookup(
            keys in prop::collection::btree_set("[a-d]{0,3}", 0..40),
            probes in prop::collection::vec("[a-d]{0,3}", 0..60),
        ) {
            let digest = DigestSet::new();
            let map: Artifacts = keys.into_iter().map(|k| (k, digest.clone())).collect();
            let mut cache = SortedCache::default();
            let mut lookup = cache.lookup(&map, usize::MAX / 16);
            let sorted = matches!(lookup, Lookup::Sorted { .. });
            prop_assert!(sorted);
            for probe in &probes {
                prop_assert_eq!(lookup.get(probe).is_some(), map.contains_key(probe), "{}", probe);
            }
        }
    }
}
