//! Shared helpers: size limit, lines, excerpts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

#[test]
fn inputs_over_the_limit_are_refused_before_parsing() {
    let big = vec![b' '; MAX_INPUT_BYTES + 1];
    let err = check_size(InputFormat::Grype, &big).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Grype report: the input is {} bytes, more than the limit of {} bytes",
            MAX_INPUT_BYTES + 1,
            MAX_INPUT_BYTES
        )
    );
    assert!(check_size(InputFormat::Grype, &big[..MAX_INPUT_BYTES]).is_ok());
}

#[test]
fn lines_and_excerpts() {
    assert_eq!(line_at(b"a\nb\nc", 0), 1);
    assert_eq!(line_at(b"a\nb\nc", 2), 2);
    assert_eq!(line_at(b"a\nb\nc", 99), 3);
    assert_eq!(excerpt("short"), "short");
    let long = "é".repeat(150);
    assert_eq!(excerpt(&long), format!("{}...", "é".repeat(100)));
}
