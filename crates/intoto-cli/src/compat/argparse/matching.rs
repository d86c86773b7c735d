//! How many values an option or positional takes from the pattern of
//! what follows it (argparse's `_match_argument`), negative numbers, and
//! Python's `int()`; with argparse's wording for the errors.

use super::*;

/// argparse's error for a value attached to an option that takes none.
pub(super) fn ignored(parser: &Parser, arg: &Arg, value: &str) -> Stop {
    parser.arg_error(
        arg,
        &format!("ignored explicit argument {}", py_repr(value)),
    )
}

/// How many values an option takes from `pattern` (argparse's
/// `_match_argument` with the `-` and `-*` of its patterns removed).
pub(super) fn option_count(nargs: Nargs, pattern: &[u8]) -> Option<usize> {
    let run = pattern.iter().take_while(|c| **c == b'A').count();
    match nargs {
        Nargs::Zero => Some(0),
        Nargs::One => (run >= 1).then_some(1),
        Nargs::Optional => Some(run.min(1)),
        Nargs::Any => Some(run),
        Nargs::AtLeastOne => (run >= 1).then_some(run),
        Nargs::Parser => (run >= 1).then_some(pattern.len()),
    }
}

/// How many arguments a positional takes from `pattern`, or `None` when
/// it does not match (argparse's `_match_arguments_partial` for one).
pub(super) fn positional_count(nargs: Nargs, pattern: &[u8]) -> Option<usize> {
    let dashes = pattern.iter().take_while(|c| **c == b'-').count();
    let values = |from: usize| {
        pattern[from..]
            .iter()
            .take_while(|c| matches!(**c, b'A' | b'-'))
            .count()
    };
    let has_value = pattern.get(dashes) == Some(&b'A');
    match nargs {
        Nargs::Zero => Some(dashes),
        Nargs::Any => Some(values(0)),
        Nargs::AtLeastOne => has_value.then(|| dashes + 1 + values(dashes + 1)),
        Nargs::One => has_value.then(|| {
            let after = pattern[dashes + 1..]
                .iter()
                .take_while(|c| **c == b'-')
                .count();
            dashes + 1 + after
        }),
        Nargs::Optional => Some(if has_value {
            let after = pattern[dashes + 1..]
                .iter()
                .take_while(|c| **c == b'-')
                .count();
            dashes + 1 + after
        } else {
            dashes
        }),
        Nargs::Parser => has_value.then_some(pattern.len()),
    }
}

pub(super) fn nargs_error(nargs: Nargs) -> &'static str {
    match nargs {
        Nargs::AtLeastOne => "expected at least one argument",
        Nargs::Optional => "expected at most one argument",
        _ => "expected one argument",
    }
}

/// argparse's `_negative_number_matcher`: `-1`, `-1.5`, `-.5`.
pub(super) fn is_negative_number(arg: &str) -> bool {
    let Some(rest) = arg.strip_prefix('-') else {
        return false;
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    match rest.split_once('.') {
        None => !rest.is_empty() && digits(rest),
        Some((whole, fraction)) => digits(whole) && !fraction.is_empty() && digits(fraction),
    }
}

/// Python's `int(text)`: surrounding whitespace, a sign, digits with single
/// underscores between them.
pub(crate) fn py_int(text: &str) -> Option<i64> {
    let t = text.trim();
    let (negative, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    let value: i64 = digits.replace('_', "").parse().ok()?;
    Some(if negative { -value } else { value })
}
