//! One module per subcommand: arguments in, library calls, an outcome out.

use crate::cli::{Cli, Command};
use crate::exit::Outcome;

pub(crate) mod common;
pub(crate) mod demo;
pub(crate) mod key;
pub(crate) mod match_products;
pub(crate) mod mock;
pub(crate) mod record;
pub(crate) mod run;
pub(crate) mod sign;
pub(crate) mod verify;

/// Runs the chosen subcommand.
pub(crate) fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let format = cli.format;
    let (verbose, quiet) = (cli.verbose > 0, cli.quiet);
    match cli.command {
        Command::Key(args) => key::run(args, format),
        Command::Sign(args) => sign::run(args, format),
        Command::Verify(args) => verify::run(args, format, verbose, quiet, cli.reference),
        Command::Run(args) => run::run(args, format, quiet),
        Command::Record(args) => record::run(args, format, quiet),
        Command::MatchProducts(args) => match_products::run(args, format, verbose, quiet),
        Command::Mock(args) => mock::run(args, format, quiet),
        Command::Demo(args) => demo::run(args, format),
    }
}
