//! Outcomes and exit codes.

use std::io::Write as _;
use std::process::ExitCode;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Success; for verification, verified. Exit 0.
    Success,
    /// A signature or verification check failed. Exit 1.
    Failed,
    /// Usage or input error. Exit 2.
    Error,
}

impl Outcome {
    pub(crate) fn exit_code(self) -> ExitCode {
        ExitCode::from(match self {
            Outcome::Success => 0,
            Outcome::Failed => 1,
            Outcome::Error => 2,
        })
    }
}

/// Prints an error and its causes on one line: `intoto: error: a: b: c`.
pub(crate) fn report(err: &anyhow::Error) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "intoto: error: {err:#}");
}

pub(crate) fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
