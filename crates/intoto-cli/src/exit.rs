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
    /// The exit status of a command run as a step (`intoto run`), passed
    /// through when it is not zero, as the reference does.
    Command(u8),
}

impl Outcome {
    pub(crate) fn exit_code(self) -> ExitCode {
        ExitCode::from(match self {
            Outcome::Success => 0,
            Outcome::Failed => 1,
            Outcome::Error => 2,
            Outcome::Command(code) => code,
        })
    }
}

/// The exit status for a step command's return value, as Python's
/// `sys.exit(return_value)` gives it: the low 8 bits, so a command killed by
/// signal 9 (return value -9) gives 247. Zero only for zero.
pub(crate) fn command_status(return_value: i32) -> Outcome {
    match return_value {
        0 => Outcome::Success,
        // invariant: masked to 0..=255, so the conversion cannot fail.
        rv => match u8::try_from(rv & 0xff) {
            Ok(0) | Err(_) => Outcome::Command(1),
            Ok(code) => Outcome::Command(code),
        },
    }
}

/// Prints an error and its causes on one line: `intoto: error: a: b: c`.
pub(crate) fn report(err: &anyhow::Error) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(
        stderr,
        "intoto: error: {}",
        crate::output::escape(&crate::hints::error_text(err))
    );
}

/// Prints why a verification failed, on one line:
/// `intoto: verification failed: a: b: c`.
pub(crate) fn report_failure(err: &anyhow::Error) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(
        stderr,
        "intoto: verification failed: {}",
        crate::output::escape(&crate::hints::error_text(err))
    );
}

pub(crate) fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_status_is_the_low_byte_like_python_sys_exit() {
        assert_eq!(command_status(0), Outcome::Success);
        assert_eq!(command_status(3), Outcome::Command(3));
        assert_eq!(command_status(-9), Outcome::Command(247));
        assert_eq!(command_status(255), Outcome::Command(255));
        // A non-zero value never turns into success.
        assert_eq!(command_status(512), Outcome::Command(1));
    }
}
