//! The command line: global flags and the subcommands.

use clap::{Parser, Subcommand};

use crate::cmd;
use crate::exit::Outcome;
use crate::output::Format;

/// Record, sign and verify in-toto software supply chains.
#[derive(Debug, Parser)]
#[command(
    name = "intoto",
    version,
    infer_long_args = true,
    propagate_version = true,
    after_help = "Invoked as in-toto-run, in-toto-record, in-toto-verify, in-toto-sign, in-toto-mock or \
                  in-toto-match-products (for example through a symbolic link), intoto behaves as that \
                  subcommand, with the reference implementation's flags.\n\n\
                  Exit status: 0 success, 1 verification failed, 2 usage or input error."
)]
pub(crate) struct Cli {
    /// Say more: -v for progress messages, -vv for debugging.
    #[arg(short, long, action = clap::ArgAction::Count, global = true, conflicts_with = "quiet")]
    pub(crate) verbose: u8,
    /// Say only errors.
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
    /// How to print results.
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    pub(crate) format: Format,
    #[command(subcommand)]
    pub(crate) command: Command,
    /// The reference program intoto stands in for, when invoked under its
    /// name: output and errors take that program's form.
    #[arg(skip)]
    pub(crate) reference: Option<crate::compat::Program>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Generate keys and show keyids.
    #[command(subcommand)]
    Key(cmd::key::KeyCommand),
    /// Sign link or layout metadata, or verify its signatures (in-toto-sign).
    Sign(cmd::sign::SignArgs),
    /// Verify a supply chain against its signed layout (in-toto-verify).
    Verify(cmd::verify::VerifyArgs),
    /// Carry out a step and write its signed link (in-toto-run).
    Run(cmd::run::RunArgs),
    /// Record a step in two parts, start and stop (in-toto-record).
    #[command(subcommand)]
    Record(cmd::record::RecordCommand),
    /// Sign a predicate about artifacts as an in-toto attestation (ITE-6).
    Attest(cmd::attest::AttestArgs),
    /// Check whether local artifacts match a link's products (in-toto-match-products).
    MatchProducts(cmd::match_products::MatchProductsArgs),
    /// Run a command and write an unsigned link, to try out recording (in-toto-mock).
    Mock(cmd::mock::MockArgs),
    /// Check signed SLSA verification summaries (VSA v1).
    #[command(subcommand)]
    Vsa(cmd::vsa::VsaCommand),
    /// Record, verify, tamper with and catch a demo supply chain, or a release policy (--policy).
    Demo(cmd::demo::DemoArgs),
    /// Show what metadata files and bundles hold, and which keys verify them.
    Show(cmd::show::ShowArgs),
    /// Serve the attestation store: verified uploads, queries, verification, admission, a web page.
    Serve(cmd::serve::ServeArgs),
    /// Upload to and query an attestation store.
    #[command(subcommand)]
    Store(cmd::store::StoreCommand),
    /// Publish packages with their layouts and links in a TUF repository (ITE-2).
    #[command(subcommand)]
    Tuf(cmd::tuf::TufCommand),
}

/// Runs the chosen subcommand.
pub(crate) fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let format = cli.format;
    let (verbose, quiet) = (cli.verbose > 0, cli.quiet);
    match cli.command {
        Command::Key(args) => cmd::key::run(args, format),
        Command::Sign(args) => cmd::sign::run(args, format),
        Command::Verify(args) => cmd::verify::run(args, format, verbose, quiet, cli.reference),
        Command::Run(args) => cmd::run::run(args, format, quiet),
        Command::Record(args) => cmd::record::run(args, format, quiet),
        Command::Attest(args) => cmd::attest::run(args, format, quiet),
        Command::MatchProducts(args) => cmd::match_products::run(args, format, verbose, quiet),
        Command::Mock(args) => cmd::mock::run(args, format, quiet),
        Command::Serve(args) => cmd::serve::run(args, quiet),
        Command::Store(args) => cmd::store::run(args, format, quiet),
        Command::Tuf(command) => cmd::tuf::run(command, format, quiet),
        Command::Vsa(command) => cmd::vsa::run(command, format),
        Command::Demo(args) => cmd::demo::run(args, format),
        Command::Show(args) => cmd::show::run(args, format),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
