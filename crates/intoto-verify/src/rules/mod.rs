//! The artifact-rule engine (spec §4.3.3), exactly as the reference's
//! `verifylib.verify_item_rules` behaves.
//!
//! Per item and per artifact type, the item's artifact names form a queue
//! and the rules consume from it in order:
//!
//! | rule | consumes (from the queued names its pattern matches) |
//! |---|---|
//! | `MATCH p [IN s] WITH T [IN d] FROM x` | names starting with `s/`, whose remainder `r` matches `p`, when `x`'s link has `d/r` among its `T` with an equal digest set |
//! | `CREATE p` | products that are not materials |
//! | `DELETE p` | materials that are not products |
//! | `MODIFY p` | names that are both, with different digest sets |
//! | `ALLOW p` | all |
//! | `DISALLOW p` | nothing; fails if any queued name matches |
//! | `REQUIRE n` | nothing; fails unless the literal name `n` is queued |
//!
//! Names left at the end are accepted (the implicit `ALLOW *`).
//!
//! Quirks of the reference kept on purpose:
//! - CREATE in a materials list and DELETE in a products list never consume.
//! - REQUIRE does not consume, so `REQUIRE x` then `DISALLOW *` fails unless
//!   another rule consumes `x`; and REQUIRE looks only at the queue, so it
//!   fails for a name an earlier rule consumed.
//! - A MATCH whose `FROM` item has no link consumes nothing, silently.
//! - MATCH compares whole digest sets: `{sha256: x}` differs from
//!   `{sha256: x, sha512: y}`.
//! - MATCH destinations are looked up by exact name, not by pattern.
//! - MATCH rebuilds names with POSIX `os.path.join` and turns `\` into `/`:
//!   a destination prefix is dropped before an absolute remainder, and with
//!   a source prefix a queued name such as `lib//x` or `lib/a\b` is looked
//!   up as `/x` or `lib/a/b`. When that name is an artifact it is consumed
//!   in place of the queued one; when it is not, the reference raises
//!   `KeyError` and verification fails
//!   ([`ViolationKind::MatchSourceUnresolved`]).

pub(crate) mod engine;
mod evaluation;
mod path;
mod queue;
mod trace;
mod violation;

pub use engine::{verify_item, verify_item_rules};
pub use trace::{ItemKind, ItemTrace, RuleStep, RuleTrace};
pub(crate) use violation::short_digest;
pub use violation::{
    NEAR_MISSES_FOR, NearMiss, NearMissReason, OFFENDING_KEPT, OffendingArtifact, RuleViolation,
    ViolationKind,
};

#[cfg(test)]
mod tests;
