//! The reference implementation's wording of failures, for programs that
//! stand in for it: Python `repr()` of strings and lists, and the message
//! of its `RuleVerificationError` with the rule-by-rule trace
//! (`_get_artifact_rule_traceback`).

use std::collections::BTreeSet;

use intoto_model::ArtifactType;

use crate::artifacts::ArtifactMap;
use crate::rules::{RuleViolation, ViolationKind};
use intoto_model::ArtifactPattern;

/// Python's `repr()` of a string: single quotes unless the text holds a
/// single quote and no double quote; backslash, quote and non-printable
/// characters escaped.
pub fn py_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        let n = u32::from(c);
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            _ if n < 0x20 || (0x7f..0xa0).contains(&n) => out.push_str(&format!("\\x{n:02x}")),
            c if !is_printable(c) => {
                if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `str.isprintable` for the characters it rejects beyond
/// Latin-1 controls: separators other than space, format characters,
/// surrogates and private use.
fn is_printable(c: char) -> bool {
    !matches!(c,
        '\u{a0}' | '\u{ad}' | '\u{600}'..='\u{605}' | '\u{61c}' | '\u{6dd}' | '\u{70f}'
        | '\u{1680}' | '\u{180e}' | '\u{2000}'..='\u{200f}' | '\u{2028}'..='\u{202f}'
        | '\u{205f}'..='\u{206f}' | '\u{3000}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}'
        | '\u{e000}'..='\u{f8ff}')
}

/// Python's `repr()` of a list of strings: `['a', 'b']`.
pub fn py_list<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let inner = items
        .into_iter()
        .map(|s| py_repr(s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ");
    format!("[{inner}]")
}

/// The reference's exception for a failed rule list, given the item's
/// link: `RuleVerificationError` with its trace, or the `KeyError` of an
/// unresolvable MATCH source.
pub(crate) fn rule_violation(
    violation: &RuleViolation,
    materials: &ArtifactMap,
    products: &ArtifactMap,
) -> (&'static str, String) {
    let words = violation.rule.to_words();
    let pattern = words.get(1).map(String::as_str).unwrap_or_default();
    let queue = &violation.trace.remaining;
    let message = match &violation.kind {
        ViolationKind::DisallowMatched => {
            let compiled = ArtifactPattern::new(pattern);
            let matched = queue.iter().filter(|name| compiled.matches(name));
            format!(
                "'DISALLOW {pattern}' matched the following artifacts: {}",
                py_list(matched)
            )
        }
        ViolationKind::RequireMissing { .. } => {
            format!(
                "'REQUIRE {pattern}' did not find {pattern} in: {}",
                py_list(queue)
            )
        }
        ViolationKind::MatchSourceUnresolved { source_path } => {
            return ("KeyError", py_repr(source_path));
        }
    };
    (
        "RuleVerificationError",
        format!("{message}\n{}", traceback(violation, materials, products)),
    )
}

/// `_get_artifact_rule_traceback`: both artifact lists, and the queue after
/// each rule before the failing one.
fn traceback(violation: &RuleViolation, materials: &ArtifactMap, products: &ArtifactMap) -> String {
    let trace = &violation.trace;
    let field = trace.artifact_type.field();
    let mut out = format!(
        "Full trace for 'expected_{field}' of item '{}':\n",
        trace.item
    );
    for (artifact_type, map) in [
        (ArtifactType::Materials, materials),
        (ArtifactType::Products, products),
    ] {
        let mut names: Vec<&str> = map.names().collect();
        names.sort_unstable();
        let used = if artifact_type == trace.artifact_type {
            " (used for queue)"
        } else {
            ""
        };
        let kind = match artifact_type {
            ArtifactType::Materials => "materials",
            ArtifactType::Products => "products",
        };
        out.push_str(&format!("Available {kind}{used}:\n{}\n", py_list(names)));
    }
    let mut queue: BTreeSet<&str> = trace.remaining.iter().map(String::as_str).collect();
    for step in &trace.steps {
        queue.extend(step.consumed.iter().map(String::as_str));
    }
    for step in &trace.steps {
        for name in &step.consumed {
            queue.remove(name.as_str());
        }
        out.push_str(&format!(
            "Queue after '{}':\n{}\n",
            step.rule.to_words().join(" "),
            py_list(queue.iter())
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_lists_read_as_python_prints_them() {
        assert_eq!(py_repr("foo.py"), "'foo.py'");
        assert_eq!(py_repr("it's"), "\"it's\"");
        assert_eq!(py_repr("a'\"b"), "'a\\'\"b'");
        assert_eq!(py_repr("tab\there\u{1b}"), "'tab\\there\\x1b'");
        assert_eq!(py_repr("ü\u{200b}"), "'ü\\u200b'");
        assert_eq!(py_list(["a", "b"]), "['a', 'b']");
        assert_eq!(py_list(Vec::<String>::new()), "[]");
    }
}
