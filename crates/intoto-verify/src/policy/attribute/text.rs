//! The text of rules: `{name}` parameters substituted, and rules shortened
//! for messages.

use std::collections::BTreeMap;

use super::{MAX_RULE_BYTES, RuleError};

/// Replaces every `{identifier}` in `rule` by its parameter's value.
pub(super) fn substitute(
    rule: &str,
    params: &BTreeMap<String, String>,
) -> Result<String, RuleError> {
    let mut out = String::with_capacity(rule.len());
    let mut rest = rule;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = placeholder_len(after);
        if name_len > 0 && after[name_len..].starts_with('}') {
            let name = &after[..name_len];
            let value = params
                .get(name)
                .ok_or_else(|| RuleError::UnknownPlaceholder {
                    rule: shorten(rule),
                    name: name.to_owned(),
                })?;
            out.push_str(value);
            rest = &after[name_len + 1..];
        } else {
            out.push('{');
            rest = after;
        }
        if out.len() > MAX_RULE_BYTES {
            // Stop copying early; the caller reports the length.
            out.push_str(rest);
            return Ok(out);
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Replaces every `{identifier}` in a rule's `debug` text that names a
/// parameter by its value, as the attestation verifier does; free text, so
/// other braces are left as written.
pub(super) fn substitute_known(text: &str, params: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = placeholder_len(after);
        match params.get(&after[..name_len]) {
            Some(value) if name_len > 0 && after[name_len..].starts_with('}') => {
                out.push_str(value);
                rest = &after[name_len + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The length of the identifier at the start of `text` (0 if none).
pub(super) fn placeholder_len(text: &str) -> usize {
    let mut len = 0;
    for (index, c) in text.char_indices() {
        let ok = c == '_' || c.is_ascii_alphabetic() || (index > 0 && c.is_ascii_digit());
        if !ok {
            break;
        }
        len = index + c.len_utf8();
    }
    len
}

/// A rule's text for an error message, cut at 200 bytes.
pub(super) fn shorten(rule: &str) -> String {
    const MAX: usize = 200;
    if rule.len() <= MAX {
        return rule.to_owned();
    }
    let mut end = MAX;
    while !rule.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &rule[..end])
}
