//! One module per subcommand: arguments in, library calls, an outcome out.

use crate::cli::{Cli, Command};
use crate::exit::Outcome;

pub(crate) mod key;
pub(crate) mod sign;

/// Runs the chosen subcommand.
pub(crate) fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let format = cli.format;
    match cli.command {
        Command::Key(args) => key::run(args, format),
        Command::Sign(args) => sign::run(args, format),
    }
}
