//! Results on standard output (log messages go to standard error).

use std::io::Write as _;

use serde_json::Value;

/// Prints a line of text. A closed pipe (`intoto ... | head`) surfaces as an
/// error that `main` treats as success.
pub(crate) fn line(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()?;
    Ok(())
}

/// Prints a JSON document, pretty-printed, keys sorted.
pub(crate) fn json(value: &Value) -> anyhow::Result<()> {
    line(&intoto::model::pyjson::to_string(
        value,
        intoto::model::pyjson::Style::Indent1,
    ))
}
