//! Artifact maps as the verifier holds them: sorted, compact, and cheap to
//! look up in.
//!
//! A link's `materials` and `products` are usually most of its size, and a
//! verification holds every step's. [`ArtifactMap`] keeps all names of a map
//! in one string, and a digest set that is exactly `{"sha256": <64 lower-case
//! hex digits>}` (what every implementation records by default) as 32 bytes,
//! so a million artifacts take about 70 MB instead of the ~800 MB of a
//! `BTreeMap<String, BTreeMap<String, String>>`.
//!
//! Equality is the reference's: two [`Digests`] are equal exactly when the
//! digest sets are (same algorithms, same hex strings, case included).

use std::cmp::Ordering;
use std::fmt;

pub(crate) use intoto_model::encoding::hex::is_hex;
use intoto_model::encoding::hex::{decode_lower, encode as to_hex};
use intoto_model::{Artifacts, DigestSet};

/// An artifact's digest set, compact when it is a single lower-case sha256.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Digests(Repr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    /// `{"sha256": <64 lower-case hex digits>}`.
    Sha256([u8; 32]),
    /// Any other set (several algorithms, upper-case hex, other lengths).
    Set(Box<DigestSet>),
}

impl Digests {
    /// The compact form of `set`.
    pub fn from_set(set: DigestSet) -> Self {
        if set.len() == 1
            && let Some(hex) = set.get("sha256")
            && let Some(bytes) = decode_lower::<32>(hex)
        {
            return Self(Repr::Sha256(bytes));
        }
        Self(Repr::Set(Box::new(set)))
    }

    /// A single `sha256` digest given as hex (any case, any length).
    pub fn sha256_hex(hex: &str) -> Self {
        match decode_lower::<32>(hex) {
            Some(bytes) => Self(Repr::Sha256(bytes)),
            None => Self(Repr::Set(Box::new(DigestSet::from_iter([(
                "sha256".to_owned(),
                hex.to_owned(),
            )])))),
        }
    }

    /// The compact form of `{"sha256": hex}` when `hex` is 64 lower-case
    /// hex digits.
    pub(crate) fn sha256_lower(hex: &str) -> Option<Self> {
        decode_lower::<32>(hex).map(|bytes| Self(Repr::Sha256(bytes)))
    }

    /// The digest set.
    pub fn to_set(&self) -> DigestSet {
        match &self.0 {
            Repr::Sha256(bytes) => DigestSet::from_iter([("sha256".to_owned(), to_hex(bytes))]),
            Repr::Set(set) => (**set).clone(),
        }
    }

    /// The digest for `algorithm`, as hex.
    pub fn get(&self, algorithm: &str) -> Option<String> {
        match &self.0 {
            Repr::Sha256(bytes) => (algorithm == "sha256").then(|| to_hex(bytes)),
            Repr::Set(set) => set.get(algorithm).map(str::to_owned),
        }
    }
}

/// Digest algorithms too weak for two artifacts to be taken as the same by
/// them alone (collisions are practical).
pub const WEAK_DIGEST_ALGORITHMS: [&str; 2] = ["md5", "sha1"];

impl Digests {
    /// Whether two digest sets name the same artifact under a policy's
    /// rule: they share an algorithm not in [`WEAK_DIGEST_ALGORITHMS`], and
    /// agree (hex compared without regard to case) on every algorithm they
    /// share.
    pub fn agrees_with(&self, other: &Digests) -> bool {
        if let (Repr::Sha256(a), Repr::Sha256(b)) = (&self.0, &other.0) {
            return a == b;
        }
        self.to_set()
            .shared_agreeing(&other.to_set())
            .is_some_and(|shared| {
                shared
                    .iter()
                    .any(|algorithm| !WEAK_DIGEST_ALGORITHMS.contains(algorithm))
            })
    }
}

impl fmt::Debug for Digests {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_set(), f)
    }
}

impl From<DigestSet> for Digests {
    fn from(set: DigestSet) -> Self {
        Self::from_set(set)
    }
}

/// Artifact names and their digests, sorted by name (byte order, which is
/// Python's code-point order), each name once.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ArtifactMap {
    /// Every name, concatenated in order.
    names: String,
    /// Where each name ends in `names`.
    ends: Vec<usize>,
    /// Each name's digests.
    digests: Vec<Digests>,
}

impl fmt::Debug for ArtifactMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl ArtifactMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many artifacts.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there is no artifact.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The name at `index` (in sorted order).
    ///
    /// # Panics
    ///
    /// If `index` is out of range.
    pub fn name(&self, index: usize) -> &str {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        &self.names[start..self.ends[index]]
    }

    /// The digests at `index`.
    ///
    /// # Panics
    ///
    /// If `index` is out of range.
    pub fn digests(&self, index: usize) -> &Digests {
        &self.digests[index]
    }

    /// Names and digests, in name order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Digests)> + '_ {
        (0..self.len()).map(|i| (self.name(i), &self.digests[i]))
    }

    /// Names, in order.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.name(i))
    }

    /// The position of `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        let at = self.lower_bound(name);
        (at < self.len() && self.name(at) == name).then_some(at)
    }

    /// The digests of `name`.
    pub fn get(&self, name: &str) -> Option<&Digests> {
        self.position(name).map(|i| &self.digests[i])
    }

    /// Whether `name` is in the map.
    pub fn contains(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// The first position whose name is not less than `name`.
    pub fn lower_bound(&self, name: &str) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.name(mid) < name {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The positions of the names starting with `prefix`: two binary
    /// searches, no comparison per name.
    pub fn prefix_range(&self, prefix: &str) -> std::ops::Range<usize> {
        let start = self.lower_bound(prefix);
        if prefix.is_empty() {
            return start..self.len();
        }
        // From `start` on, names start with `prefix` and then do not.
        let (mut lo, mut hi) = (start, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.name(mid).starts_with(prefix) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        start..lo
    }

    /// The map as the model holds it.
    pub fn to_artifacts(&self) -> Artifacts {
        self.iter()
            .map(|(name, digests)| (name.to_owned(), digests.to_set()))
            .collect()
    }
}

impl From<&Artifacts> for ArtifactMap {
    fn from(artifacts: &Artifacts) -> Self {
        let mut builder = ArtifactMapBuilder::with_capacity(artifacts.len(), 0);
        for (name, set) in artifacts {
            builder.push(name, Digests::from_set(set.clone()));
        }
        builder.finish()
    }
}

impl FromIterator<(String, DigestSet)> for ArtifactMap {
    fn from_iter<I: IntoIterator<Item = (String, DigestSet)>>(iter: I) -> Self {
        let mut builder = ArtifactMapBuilder::default();
        for (name, set) in iter {
            builder.push(&name, Digests::from_set(set));
        }
        builder.finish()
    }
}

/// Builds an [`ArtifactMap`] from names in any order. A name given twice
/// keeps its last digests, as a JSON object read by Python (or
/// `serde_json`) does.
#[derive(Default)]
pub struct ArtifactMapBuilder {
    map: ArtifactMap,
    /// Whether the names so far are strictly ascending.
    sorted: bool,
}

impl ArtifactMapBuilder {
    /// A builder with room for `artifacts` names of `name_bytes` bytes in all.
    pub fn with_capacity(artifacts: usize, name_bytes: usize) -> Self {
        Self {
            map: ArtifactMap {
                names: String::with_capacity(name_bytes),
                ends: Vec::with_capacity(artifacts),
                digests: Vec::with_capacity(artifacts),
            },
            sorted: true,
        }
    }

    /// Adds an artifact.
    pub fn push(&mut self, name: &str, digests: Digests) {
        let map = &mut self.map;
        if self.sorted && !map.is_empty() && map.name(map.len() - 1) >= name {
            self.sorted = false;
        }
        map.names.push_str(name);
        map.ends.push(map.names.len());
        map.digests.push(digests);
    }

    /// The map: sorted by name, the last digests of a repeated name kept.
    pub fn finish(self) -> ArtifactMap {
        let mut map = self.map;
        if self.sorted {
            map.names.shrink_to_fit();
            map.ends.shrink_to_fit();
            map.digests.shrink_to_fit();
            return map;
        }
        let mut order: Vec<usize> = (0..map.len()).collect();
        // Stable: among equal names the input order stays, so the last of a
        // run is the one given last.
        order.sort_by(|&a, &b| map.name(a).cmp(map.name(b)));
        let mut names = String::with_capacity(map.names.len());
        let mut ends = Vec::with_capacity(map.len());
        let mut digests = Vec::with_capacity(map.len());
        let mut old_digests: Vec<Option<Digests>> = map.digests.drain(..).map(Some).collect();
        for (k, &i) in order.iter().enumerate() {
            let next_is_same = order
                .get(k + 1)
                .is_some_and(|&j| map.name(j).cmp(map.name(i)) == Ordering::Equal);
            if next_is_same {
                continue;
            }
            names.push_str(map.name(i));
            ends.push(names.len());
            if let Some(d) = old_digests[i].take() {
                digests.push(d);
            }
        }
        ArtifactMap {
            names,
            ends,
            digests,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn set(pairs: &[(&str, &str)]) -> DigestSet {
        pairs
            .iter()
            .map(|(a, h)| ((*a).to_owned(), (*h).to_owned()))
            .collect()
    }

    #[test]
    fn policies_take_digest_sets_that_agree_on_a_strong_shared_algorithm() {
        let d = |pairs: &[(&str, &str)]| Digests::from_set(set(pairs));
        let a = "a".repeat(64);
        let b = "b".repeat(64);
        // Same compact sha256; different.
        assert!(d(&[("sha256", &a)]).agrees_with(&d(&[("sha256", &a)])));
        assert!(!d(&[("sha256", &a)]).agrees_with(&d(&[("sha256", &b)])));
        // An extra algorithm on one side is fine; case is not a difference.
        assert!(
            d(&[("sha256", &a)])
                .agrees_with(&d(&[("sha256", &a.to_uppercase()), ("sha512", "cc")]))
        );
        // Disagreeing on any shared algorithm is not.
        assert!(
            !d(&[("sha256", &a), ("sha512", "cc")])
                .agrees_with(&d(&[("sha256", &a), ("sha512", "dd")]))
        );
        // Nothing shared, or only weak algorithms shared: not the same.
        assert!(!d(&[("sha256", &a)]).agrees_with(&d(&[("sha512", "cc")])));
        assert!(!d(&[("sha1", "ab")]).agrees_with(&d(&[("sha1", "ab")])));
        assert!(
            !d(&[("md5", "ab"), ("sha1", "cd")]).agrees_with(&d(&[("md5", "ab"), ("sha1", "cd")]))
        );
        assert!(
            d(&[("sha1", "ab"), ("gitCommit", "ef")])
                .agrees_with(&d(&[("sha1", "ab"), ("gitCommit", "ef")]))
        );
        // Empty sets never match.
        assert!(!d(&[]).agrees_with(&d(&[])));
    }

    #[test]
    fn only_a_lone_lower_case_sha256_is_compact() {
        let hex = "ab".repeat(32);
        assert!(matches!(
            Digests::from_set(set(&[("sha256", &hex)])).0,
            Repr::Sha256(_)
        ));
        for other in [
            set(&[("sha256", &hex.to_uppercase())]),
            set(&[("sha256", "abcd")]),
            set(&[("sha256", &hex), ("sha512", "cc")]),
            set(&[("sha512", &hex)]),
            set(&[]),
        ] {
            let d = Digests::from_set(other.clone());
            assert!(matches!(d.0, Repr::Set(_)), "{other:?}");
            assert_eq!(d.to_set(), other);
        }
        assert_eq!(
            Digests::from_set(set(&[("sha256", &hex)])).to_set(),
            set(&[("sha256", &hex)])
        );
    }

    #[test]
    fn equality_is_digest_set_equality() {
        let hex = "0f".repeat(32);
        assert_ne!(
            Digests::from_set(set(&[("sha256", &hex)])),
            Digests::from_set(set(&[("sha256", &hex.to_uppercase())]))
        );
        assert_eq!(
            Digests::sha256_hex(&hex),
            Digests::from_set(set(&[("sha256", &hex)]))
        );
    }

    #[test]
    fn repeated_names_keep_the_last_digests() {
        let mut b = ArtifactMapBuilder::default();
        b.push("b", Digests::sha256_hex("01"));
        b.push("a", Digests::sha256_hex("02"));
        b.push("b", Digests::sha256_hex("03"));
        let map = b.finish();
        assert_eq!(map.names().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(map.get("b"), Some(&Digests::sha256_hex("03")));
    }

    proptest! {
        #[test]
        fn behaves_like_a_btreemap(
            entries in prop::collection::vec(("[a-c/é]{0,4}", "[0-9a-f]{1,3}"), 0..30),
            probes in prop::collection::vec("[a-c/é]{0,4}", 0..20),
        ) {
            let mut expected = Artifacts::new();
            let mut b = ArtifactMapBuilder::default();
            for (name, hex) in &entries {
                expected.insert(name.clone(), set(&[("sha256", hex)]));
                b.push(name, Digests::sha256_hex(hex));
            }
            let map = b.finish();
            prop_assert_eq!(map.to_artifacts(), expected.clone());
            prop_assert_eq!(ArtifactMap::from(&expected), map.clone());
            for p in &probes {
                prop_assert_eq!(map.get(p).map(Digests::to_set), expected.get(p).cloned());
                let lb = map.lower_bound(p);
                prop_assert_eq!(lb, expected.keys().filter(|k| k.as_str() < p.as_str()).count());
                let with_prefix: Vec<&str> = map.prefix_range(p).map(|i| map.name(i)).collect();
                let want: Vec<&str> = expected.keys().map(String::as_str).filter(|k| k.starts_with(p.as_str())).collect();
                prop_assert_eq!(with_prefix, want);
            }
        }
    }
}
