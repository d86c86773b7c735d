//! Checking a SLSA Verification Summary (VSA v1) before trusting an artifact
//! on its strength (`intoto vsa verify`): the summary must be about the
//! artifact, say PASSED, come from the expected verifier for the expected
//! resource, claim the levels asked for, and be fresh.
//!
//! The signature is checked before (the summary arrives here as
//! `Verified<Statement>`); this module is pure: `now` is a parameter.

use chrono::{DateTime, Duration, Utc};
use intoto_crypto::Verified;
use intoto_model::predicate::kind::VSA_V1;
use intoto_model::predicate::{Predicate, Vsa};
use intoto_model::{DigestSet, Statement};

/// How far in the future a summary's `timeVerified` may be (clock skew).
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(5);

/// What the summary must say.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Expectations {
    /// The artifact's digests: one of the summary's subjects must agree on
    /// every algorithm both have, and share one.
    pub subject: DigestSet,
    /// `verifier.id`, when given.
    pub verifier_id: Option<String>,
    /// `resourceUri`, when given.
    pub resource_uri: Option<String>,
    /// Levels the summary must claim (`SLSA_BUILD_LEVEL_2`); a higher level
    /// of the same track satisfies a lower one.
    pub levels: Vec<String>,
    /// How old `timeVerified` may be.
    pub max_age: Option<Duration>,
}

impl Expectations {
    /// Expectations about the artifact with these digests.
    pub fn new(subject: DigestSet) -> Self {
        Self {
            subject,
            ..Self::default()
        }
    }
}

/// One way a summary falls short.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// Not a VSA v1.
    #[error("the statement is a {0}, not a SLSA verification summary v1")]
    NotAVsa(String),
    /// The predicate breaks the VSA specification.
    #[error("the summary is malformed: {0}")]
    Malformed(String),
    /// No subject is the artifact.
    #[error("the summary is not about this artifact: no subject has its digests ({0})")]
    Subject(String),
    /// `verificationResult` is FAILED.
    #[error("the summary says FAILED")]
    Failed,
    /// Another verifier.
    #[error("verifier.id is {found:?}, not {expected:?}")]
    Verifier {
        /// In the summary.
        found: String,
        /// Asked for.
        expected: String,
    },
    /// Another resource.
    #[error("resourceUri is {found:?}, not {expected:?}")]
    Resource {
        /// In the summary.
        found: String,
        /// Asked for.
        expected: String,
    },
    /// A level is not claimed.
    #[error("level {expected} is not among the verified levels ({found})")]
    Level {
        /// Asked for.
        expected: String,
        /// Claimed.
        found: String,
    },
    /// Too old, in the future, or of unknown age.
    #[error("the summary is not fresh: {0}")]
    Stale(String),
}

/// Checks a verified summary; every problem found is returned.
///
/// # Errors
///
/// The problems, in the order above.
pub fn check(
    summary: &Verified<Statement>,
    expect: &Expectations,
    now: DateTime<Utc>,
) -> Result<Vsa, Vec<Problem>> {
    let statement: &Statement = summary;
    if statement.predicate_type != VSA_V1 {
        return Err(vec![Problem::NotAVsa(statement.predicate_type.clone())]);
    }
    let vsa = match statement.typed_predicate() {
        Ok(Predicate::Vsa(vsa)) => vsa,
        Ok(_) => return Err(vec![Problem::NotAVsa(statement.predicate_type.clone())]),
        Err(e) => return Err(vec![Problem::Malformed(e.to_string())]),
    };
    let mut problems = Vec::new();
    let about = statement
        .subject
        .iter()
        .any(|s| s.digest.as_ref().is_some_and(|d| agree(d, &expect.subject)));
    if !about {
        problems.push(Problem::Subject(
            expect
                .subject
                .iter()
                .map(|(a, h)| format!("{a}:{h}"))
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    if !vsa.passed {
        problems.push(Problem::Failed);
    }
    if let Some(expected) = &expect.verifier_id
        && &vsa.verifier_id != expected
    {
        problems.push(Problem::Verifier {
            found: vsa.verifier_id.clone(),
            expected: expected.clone(),
        });
    }
    if let Some(expected) = &expect.resource_uri
        && &vsa.resource_uri != expected
    {
        problems.push(Problem::Resource {
            found: vsa.resource_uri.clone(),
            expected: expected.clone(),
        });
    }
    for level in &expect.levels {
        if !vsa.verified_levels.iter().any(|l| satisfies(l, level)) {
            problems.push(Problem::Level {
                expected: level.clone(),
                found: vsa.verified_levels.join(", "),
            });
        }
    }
    if let Some(max_age) = expect.max_age {
        match vsa
            .time_verified
            .as_deref()
            .map(DateTime::parse_from_rfc3339)
        {
            None => problems.push(Problem::Stale("it has no timeVerified".into())),
            Some(Err(_)) => problems.push(Problem::Stale("timeVerified is not a time".into())),
            Some(Ok(t)) => {
                let t = t.to_utc();
                if t > now + MAX_CLOCK_SKEW {
                    problems.push(Problem::Stale(format!("timeVerified {t} is in the future")));
                } else if now - t > max_age {
                    problems.push(Problem::Stale(format!(
                        "verified at {t}, more than {} ago",
                        human(max_age)
                    )));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(vsa)
    } else {
        Err(problems)
    }
}

/// Two digest sets are of the same artifact when they share an algorithm
/// and agree on every one they share.
fn agree(a: &DigestSet, b: &DigestSet) -> bool {
    a.shared_agreeing(b)
        .is_some_and(|shared| !shared.is_empty())
}

/// Whether a claimed level satisfies an expected one: equal, or the same
/// track (`SLSA_BUILD_LEVEL_`) at a higher number.
fn satisfies(claimed: &str, expected: &str) -> bool {
    if claimed == expected {
        return true;
    }
    let split = |s: &str| {
        let digits = s.len() - s.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let (track, n) = s.split_at(s.len() - digits);
        n.parse::<u32>().ok().map(|n| (track.to_owned(), n))
    };
    match (split(claimed), split(expected)) {
        (Some((t1, n1)), Some((t2, n2))) => !t1.is_empty() && t1 == t2 && n1 >= n2,
        _ => false,
    }
}

fn human(d: Duration) -> String {
    let s = d.num_seconds();
    if s % 86_400 == 0 {
        format!("{}d", s / 86_400)
    } else if s % 3600 == 0 {
        format!("{}h", s / 3600)
    } else if s % 60 == 0 {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// Reads a duration such as `90s`, `15m`, `24h` or `7d`.
///
/// # Errors
///
/// A message saying what is accepted.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let usage = || format!("{text:?} is not a duration such as 90s, 15m, 24h or 7d");
    let unit = text.chars().last().ok_or_else(usage)?;
    let n: i64 = text[..text.len() - unit.len_utf8()]
        .parse()
        .map_err(|_| usage())?;
    if n <= 0 {
        return Err(usage());
    }
    let seconds = match unit {
        's' => n,
        'm' => n.checked_mul(60).ok_or_else(usage)?,
        'h' => n.checked_mul(3600).ok_or_else(usage)?,
        'd' => n.checked_mul(86_400).ok_or_else(usage)?,
        _ => return Err(usage()),
    };
    Duration::try_seconds(seconds).ok_or_else(usage)
}

#[cfg(test)]
mod tests;
