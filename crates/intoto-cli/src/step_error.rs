//! What a step's error becomes: the reference's exit status 1 when the
//! step's command could not be run to its end, exit 2 otherwise.

use intoto::record::{self, Phase};

use crate::exit::{self, Outcome};

/// Exit status 1, as the reference gives, when the step's command could not
/// be run to its end (not found, not executable, timed out); `None` for
/// other errors, which exit with 2.
pub(crate) fn command_failure(err: &record::Error) -> Option<Outcome> {
    match err {
        record::Error::Step {
            phase: Phase::Command,
            source,
            ..
        } => matches!(
            **source,
            record::Error::CommandNotFound { .. }
                | record::Error::Spawn { .. }
                | record::Error::Timeout { .. }
        )
        .then_some(Outcome::Failed),
        _ => None,
    }
}

/// Turns a step error into the outcome: the error is reported here when it
/// exits with 1 (command failures), and handed on otherwise.
pub(crate) fn step_error(err: record::Error) -> anyhow::Result<Outcome> {
    match command_failure(&err) {
        Some(outcome) => {
            exit::report(&anyhow::Error::new(err));
            Ok(outcome)
        }
        None => Err(err.into()),
    }
}
