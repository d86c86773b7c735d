//! Log messages go to standard error; results go to standard output.
//!
//! Messages quote names taken from metadata, so control characters in them
//! are escaped on the way out (colours are off: they are escapes too).

use std::io::Write;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Warnings by default, `-v` info, `-vv` debug, `-q` errors only.
/// `INTOTO_LOG` (an `EnvFilter` directive) overrides.
pub(crate) fn init(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = EnvFilter::try_from_env("INTOTO_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(EscapingStderr)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .try_init();
}

/// Logging as the reference's programs do it: the message alone, warnings
/// by default, `-v` info, `-q` nothing (not even errors); `in-toto-mock`
/// always says what it does (info).
pub(crate) fn init_reference(program: crate::compat::Program, verbose: bool, quiet: bool) {
    let level = if quiet {
        "off"
    } else if verbose || program == crate::compat::Program::Mock {
        "info"
    } else {
        "warn"
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(level))
        .with_writer(EscapingStderr)
        .with_ansi(false)
        .event_format(MessageOnly)
        .try_init();
}

/// An event's message, without level, target or fields.
struct MessageOnly;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for MessageOnly
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let mut visitor = Message(String::new());
        event.record(&mut visitor);
        writeln!(writer, "{}", visitor.0)
    }
}

struct Message(String);

impl tracing::field::Visit for Message {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.0 = value.to_owned();
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

/// Standard error, with control characters escaped in each record but
/// the newline that ends it.
struct EscapingStderr;

impl<'a> MakeWriter<'a> for EscapingStderr {
    type Writer = EscapingWriter;

    fn make_writer(&'a self) -> Self::Writer {
        EscapingWriter
    }
}

struct EscapingWriter;

impl Write for EscapingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let (body, end) = match text.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (text.as_ref(), ""),
        };
        let mut err = std::io::stderr().lock();
        write!(err, "{}{end}", crate::output::escape(body))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
