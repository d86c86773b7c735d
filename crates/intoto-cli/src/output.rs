//! Results on standard output (log messages go to standard error), with
//! the control characters of text taken from metadata made visible.

use std::borrow::Cow;
use std::io::Write as _;

use serde_json::Value;

/// Output format for results (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Human-readable text.
    Text,
    /// One JSON document on standard output.
    Json,
}

/// Prints a line of text, its control characters escaped (see [`escape`]).
/// A closed pipe (`intoto ... | head`) surfaces as an error that `main`
/// treats as success.
pub(crate) fn line(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", escape(text))?;
    out.flush()?;
    Ok(())
}

/// Prints text of several lines (separated by `\n`), each escaped as
/// [`line()`] does.
pub(crate) fn lines(text: &str) -> anyhow::Result<()> {
    text.split('\n').try_for_each(line)
}

/// Prints a JSON document, pretty-printed, keys sorted.
pub(crate) fn json(value: &Value) -> anyhow::Result<()> {
    // JSON escapes control characters itself.
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}",
        intoto::model::pyjson::to_string(value, intoto::model::pyjson::Style::Indent1)
    )?;
    out.flush()?;
    Ok(())
}

/// `text` with control characters and bidirectional overrides escaped
/// ([`intoto::display::visible`]), so that a name taken from metadata
/// cannot start a new line, move the cursor, or draw a fake `verified:`
/// line on a terminal.
pub(crate) fn escape(text: &str) -> Cow<'_, str> {
    intoto::display::visible(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_made_visible() {
        assert_eq!(escape("build.v2-ü"), "build.v2-ü");
        assert_eq!(
            escape("x\nverified: all good\u{1b}[2K\r"),
            "x\\nverified: all good\\u{1b}[2K\\r"
        );
        assert_eq!(escape("a\u{202e}b\u{85}"), "a\\u{202e}b\\u{85}");
    }
}
