//! Failures as the reference's programs print them.

use std::io::Write as _;

use intoto::fs::FileError;
use intoto::verify::reference::py_repr;
use intoto::verify::{Diagnostic, ItemKind, Verdict};

use super::Program;

/// The reference version whose behaviour is followed.
pub(crate) const REFERENCE_VERSION: &str = "3.1.0";

/// The exit status for an error (an exception, in the reference):
/// `in-toto-sign` exits 2; the other programs exit 1.
pub(crate) fn error_status(program: Program) -> u8 {
    match program {
        Program::Sign => 2,
        _ => 1,
    }
}

/// Prints an error as the program's `main()` logs it, e.g.
/// `(in-toto-run) FileNotFoundError: [Errno 2] No such file or directory: 'key'`.
pub(crate) fn error(program: Program, step: Option<&str>, err: &anyhow::Error) {
    let (class, message) = exception(err);
    let line = match program {
        Program::Sign => format!("The following error occurred while signing: {message}"),
        Program::Record => format!(
            "(in-toto-record {}) {class}: {message}",
            step.unwrap_or_default()
        ),
        Program::MatchProducts => format!("{class}: {message}"),
        _ => format!("({}) {class}: {message}", program.name()),
    };
    print_error(&line);
}

/// The Python exception the reference would raise for `err`: an `OSError`
/// subclass with its errno text for files that cannot be opened, else the
/// message of intoto's error chain.
fn exception(err: &anyhow::Error) -> (&'static str, String) {
    for cause in err.chain() {
        // A transparent wrapper hides the file error from the chain.
        let file = cause.downcast_ref::<FileError>().or_else(|| {
            match cause.downcast_ref::<intoto::verify::VerifyFileError>() {
                Some(intoto::verify::VerifyFileError::File(e)) => Some(e),
                _ => None,
            }
        });
        if let Some(FileError::Read { path, source } | FileError::Write { path, source }) = file {
            let path = py_repr(&path.to_string_lossy());
            let errno = match source.kind() {
                std::io::ErrorKind::NotFound => {
                    Some(("FileNotFoundError", 2, "No such file or directory"))
                }
                std::io::ErrorKind::PermissionDenied => {
                    Some(("PermissionError", 13, "Permission denied"))
                }
                std::io::ErrorKind::IsADirectory => {
                    Some(("IsADirectoryError", 21, "Is a directory"))
                }
                _ => None,
            };
            if let Some((class, number, text)) = errno {
                return (class, format!("[Errno {number}] {text}: {path}"));
            }
        }
    }
    ("Error", crate::hints::error_text(err))
}

/// `in-toto-verify`'s report: the warnings it logs before it stops, then
/// its first failure (it stops at the first, in the order it checks), in
/// its words.
pub(crate) fn verify_report(verdict: &Verdict) {
    let error = verdict
        .errors()
        .enumerate()
        .min_by_key(|(index, d)| (rank(d), *index))
        .map(|(_, d)| d);
    let stop = error.map_or((u8::MAX, u8::MAX), rank);
    for warning in verdict.warnings() {
        if let Some(reference) = &warning.reference
            && reference.class.is_empty()
            && rank(warning) < stop
        {
            print_error(&reference.message);
        }
    }
    let Some(error) = error else {
        return;
    };
    let (class, message) = match &error.reference {
        Some(reference) => (reference.class, reference.message.clone()),
        None => ("VerificationError", error.to_string()),
    };
    print_error(&format!("(in-toto-verify) {class}: {message}"));
}

/// Where a finding comes in the reference's order of checks: layout
/// signatures, expiry, link files, link signatures, sublayouts, command
/// alignment (warnings), agreement of a step's links, step rules,
/// inspections, inspection rules.
fn rank(d: &Diagnostic) -> (u8, u8) {
    let phase = match d.reference.as_ref().map(|r| r.class) {
        Some("SignatureVerificationError") => 0,
        Some("LayoutExpiredError") => 1,
        Some("LinkNotFoundError") => 2,
        Some("ThresholdVerificationError") if d.subject.other_link_file.is_none() => 3,
        Some("") => 5,
        Some("ThresholdVerificationError") => 6,
        Some("RuleVerificationError" | "KeyError") => match d.subject.item_kind {
            Some(ItemKind::Inspection) => 9,
            _ => 7,
        },
        Some("BadReturnValueError") => 8,
        _ => match d.code.as_str() {
            c if c.starts_with("layout-") => 0,
            c if c.starts_with("inspection-") => 8,
            _ => 4,
        },
    };
    if d.subject.sublayout.is_empty() {
        (phase, 0)
    } else {
        (4, phase)
    }
}

/// Writes a (possibly multi-line) message to standard error, each line's
/// control characters made visible.
fn print_error(text: &str) {
    let mut err = std::io::stderr().lock();
    for line in text.split('\n') {
        let _ = writeln!(err, "{}", crate::output::escape(line));
    }
}
