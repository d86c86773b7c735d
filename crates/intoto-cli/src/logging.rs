//! Log messages go to standard error; results go to standard output.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

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
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .without_time()
        .with_target(false)
        .try_init();
}
