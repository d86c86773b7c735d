//! The one error type of this crate.

use std::path::PathBuf;
use std::time::Duration;

/// Why recording artifacts or running a step failed.
///
/// Every variant names what it was working on (a path, a pattern, a step);
/// the underlying cause, when there is one, is the [`std::error::Error::source`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The base path cannot be used as the directory artifacts are recorded from.
    #[error("cannot use base path {path}")]
    BasePath {
        /// The base path as given.
        path: PathBuf,
        /// Why it cannot be used.
        #[source]
        source: std::io::Error,
    },
    /// An exclude pattern is malformed.
    #[error("invalid exclude pattern {pattern:?}: {problem}")]
    ExcludePattern {
        /// The pattern as given.
        pattern: String,
        /// What is wrong with it.
        problem: PatternProblem,
    },
    /// Two lstrip prefixes overlap: one is a left substring of the other.
    #[error(
        "lstrip prefixes {first:?} and {second:?} overlap: one is a left substring of the other"
    )]
    OverlappingLstripPrefixes {
        /// The earlier prefix.
        first: String,
        /// The later prefix.
        second: String,
    },
    /// Left-stripping made two artifacts share a name.
    #[error("left-stripping gives two artifacts the name {name:?}: {first} and {second}")]
    DuplicateArtifactName {
        /// The shared name.
        name: String,
        /// The path recorded first under that name.
        first: PathBuf,
        /// The path that collided with it.
        second: PathBuf,
    },
    /// A `dir:` artifact does not name a directory.
    #[error("{path} is not a directory (from artifact {uri:?})")]
    NotADirectory {
        /// The artifact URI as given.
        uri: String,
        /// The path it names.
        path: PathBuf,
    },
    /// A digest this build cannot compute was asked for (blake3 without the
    /// `blake3` feature).
    #[error("cannot compute {algorithm} digests: intoto-record is built without them")]
    UnsupportedDigest {
        /// The algorithm.
        algorithm: intoto_model::DigestAlgorithm,
    },
    /// A file to record has a name that is not UTF-8, so no link can hold it.
    #[error("{path} has a name that is not valid UTF-8")]
    NonUtf8Path {
        /// The path, as found on disk.
        path: PathBuf,
    },
    /// A file to record cannot be read.
    #[error("cannot read {path}")]
    ReadArtifact {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An `ostree:` artifact's ref or commit object cannot be read.
    #[error("cannot resolve ostree ref {reference:?} via {path}")]
    OstreeRef {
        /// The ref as given after `ostree:`.
        reference: String,
        /// The ref file or commit object that failed.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// There is no command to run (the argument list is empty).
    #[error("the command to run is empty")]
    EmptyCommand,
    /// The command to run does not exist (neither as a path nor on `PATH`).
    #[error("command not found: {program:?}")]
    CommandNotFound {
        /// The program, `argv[0]`.
        program: String,
    },
    /// The working directory for the command cannot be used.
    #[error("cannot run {program:?} in {dir}")]
    WorkingDir {
        /// The program, `argv[0]`.
        program: String,
        /// The working directory.
        dir: PathBuf,
        /// Why it cannot be used.
        #[source]
        source: std::io::Error,
    },
    /// The command could not be started for another reason (for example, it
    /// is not executable).
    #[error("cannot start {program:?}")]
    Spawn {
        /// The program, `argv[0]`.
        program: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Waiting for the command, or capturing its output, failed.
    #[error("lost track of {program:?} while it ran")]
    Wait {
        /// The program, `argv[0]`.
        program: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The command ran longer than the timeout and was killed.
    #[error("{program:?} timed out after {} s and was killed", timeout.as_secs_f64())]
    Timeout {
        /// The program, `argv[0]`.
        program: String,
        /// The timeout that expired.
        timeout: Duration,
    },
    /// Recording artifacts went past the time it was given (see
    /// [`RecordOptions::deadline`](crate::RecordOptions::deadline)).
    #[error("ran out of time while recording artifacts (at {path})")]
    OutOfTime {
        /// The file or folder being recorded when time ran out.
        path: PathBuf,
    },
    /// A file or folder that should have been recorded could not be read
    /// (a folder that cannot be listed, a path too long for the system).
    #[error("cannot record {path}: it cannot be read (exclude it if it should not be recorded)")]
    Unreadable {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Something failed while recording a step; the source says what.
    #[error("cannot {} of step {step:?}", phase.action())]
    Step {
        /// The step name.
        step: String,
        /// Which part of the step failed.
        phase: Phase,
        /// What failed.
        #[source]
        source: Box<Error>,
    },
}

/// What is wrong with an exclude pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PatternProblem {
    /// The pattern ends with a lone backslash.
    #[error("it ends with an escape character that escapes nothing")]
    TrailingEscape,
    /// A bracket expression holds a range whose end is below its start (`[z-a]`).
    #[error("a bracket range {start:?}-{end:?} runs backwards")]
    BadRange {
        /// First character of the range.
        start: char,
        /// Last character of the range.
        end: char,
    },
    /// The pattern normalises to nothing (`!` alone).
    #[error("it normalises to nothing")]
    Empty,
    /// The pattern is too large to compile.
    #[error("it is too large to compile")]
    TooLarge,
}

/// The part of a step that failed, for [`Error::Step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// Recording the materials.
    Materials,
    /// Running the command.
    Command,
    /// Recording the products.
    Products,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Materials => "materials",
            Self::Command => "the command",
            Self::Products => "products",
        })
    }
}

impl Phase {
    /// What the phase does, for messages: `record materials`, `run the
    /// command`, `record products`.
    fn action(self) -> &'static str {
        match self {
            Self::Materials => "record materials",
            Self::Command => "run the command",
            Self::Products => "record products",
        }
    }
}

impl Error {
    /// Wraps `self` with the step and phase it happened in.
    pub(crate) fn in_step(self, step: &str, phase: Phase) -> Self {
        Self::Step {
            step: step.to_owned(),
            phase,
            source: Box::new(self),
        }
    }
}
