//! Text taken from metadata, made safe to show: the one rule both the
//! terminal output and the HTML report follow.

use std::borrow::Cow;

/// `text` with control characters (C0 including newlines, DEL, C1) and
/// bidirectional overrides written as escapes (`\n`, `\u{1b}`), so that a
/// name taken from metadata cannot start a new line, move a terminal's
/// cursor, draw a fake `verified:` line, or disguise itself or another.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if hidden(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Characters [`visible`] escapes.
fn hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_direction_overrides_are_escaped() {
        assert!(matches!(visible("plain é"), Cow::Borrowed("plain é")));
        assert_eq!(
            visible("a\nb\r\t\u{1b}[2J\u{202e}x"),
            "a\\nb\\r\\t\\u{1b}[2J\\u{202e}x"
        );
    }
}
