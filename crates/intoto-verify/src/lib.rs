//! Verification for in-toto: the artifact-rule engine, exact to the Python
//! reference implementation (in-toto 3.1.0).
//!
//! - [`Pattern`]: artifact patterns with CPython 3.11 `fnmatch.fnmatchcase`
//!   semantics (`*` crosses `/`, no `**`, no braces, no backslash escapes).
//! - [`verify_item_rules`]: one rule list of a step or inspection against its
//!   link (the reference's `verify_item_rules`), returning a [`RuleTrace`]
//!   of what each rule consumed or a [`RuleViolation`] that names the rule,
//!   the artifacts and the earlier rules that selected them without
//!   consuming them. [`verify_item`] runs the materials and then the
//!   products rules of a step or inspection.
//!
//! The crate is pure: no file system, processes or clock.
//!
//! ```
//! use std::collections::BTreeMap;
//!
//! use intoto_model::{ArtifactRule, ArtifactType, DigestSet, Link};
//! use intoto_verify::verify_item_rules;
//!
//! let digest = |hex: &str| DigestSet::from_iter([("sha256".to_owned(), hex.to_owned())]);
//! let mut checkout = Link::new("checkout");
//! checkout.products.insert("src/main.c".into(), digest("aa"));
//! let mut build = Link::new("build");
//! build.materials.insert("src/main.c".into(), digest("aa"));
//! build.materials.insert("evil.sh".into(), digest("bb"));
//! let links = BTreeMap::from([
//!     ("checkout".to_owned(), checkout),
//!     ("build".to_owned(), build.clone()),
//! ]);
//! let rules = [
//!     ArtifactRule::parse(&["MATCH", "src/*", "WITH", "PRODUCTS", "FROM", "checkout"]).unwrap(),
//!     ArtifactRule::parse(&["DISALLOW", "*"]).unwrap(),
//! ];
//!
//! let err = verify_item_rules("build", &rules, ArtifactType::Materials, &build, &links)
//!     .unwrap_err();
//! assert_eq!(err.code(), "rule-disallow-matched");
//! assert_eq!(err.rule_index, 1);
//! assert_eq!(err.artifacts[0].path, "evil.sh");
//! assert_eq!(err.trace.steps[0].consumed, ["src/main.c"]);
//! assert_eq!(
//!     err.to_string(),
//!     "'build': materials rule 1 (DISALLOW *) matched 'evil.sh' (sha256:bb) — no earlier rule consumed it"
//! );
//! ```
//!
//! Deviations from the reference: none in verdicts. Names in the trace and in
//! violations are sorted, where the reference lists sets in hash order.

pub mod pattern;
pub mod rules;

pub use pattern::Pattern;
pub use rules::{
    ItemKind, ItemTrace, NearMiss, NearMissReason, OffendingArtifact, RuleStep, RuleTrace,
    RuleViolation, ViolationKind, verify_item, verify_item_rules,
};
