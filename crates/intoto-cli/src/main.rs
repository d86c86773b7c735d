//! `intoto`: record, sign and verify in-toto software supply chains.
//!
//! Arguments are parsed into options, a library call does the work, and the
//! outcome becomes the exit code: 0 success (verified), 1 verification
//! failed, 2 usage or input error. Invoked as `in-toto-run`, `in-toto-sign`
//! and so on (through a link), it stands in for the reference
//! implementation's program of that name: its arguments, output and exit
//! codes (see `compat`).

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser as _;

mod cli;
mod cmd;
mod compat;
mod exit;
mod flags;
mod hints;
mod logging;
mod output;
mod password;
mod progress;
mod sigstore;
mod step_error;

use cli::Cli;
use exit::Outcome;

fn main() -> ExitCode {
    let mut args = std::env::args_os().collect::<Vec<OsString>>();
    if let Some(program) = compat::program_of(args.first()) {
        args.remove(0);
        return compat::main(program, args);
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // clap exits 2 for usage errors and 0 for --help/--version.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    // `mock` is for trying things out and says what it does, like in-toto-mock.
    let verbose = cli
        .verbose
        .max(u8::from(matches!(cli.command, cli::Command::Mock(_))));
    logging::init(verbose, cli.quiet);
    match cli::run(cli) {
        Ok(outcome) => outcome.exit_code(),
        // A closed pipe (`intoto ... | head`) is not a failure.
        Err(err) if exit::is_broken_pipe(&err) => Outcome::Success.exit_code(),
        Err(err) => {
            exit::report(&err);
            Outcome::Error.exit_code()
        }
    }
}
