//! Standing in for the reference implementation's programs.
//!
//! Invoked as `in-toto-run`, `in-toto-record`, `in-toto-verify`,
//! `in-toto-sign`, `in-toto-mock` or `in-toto-match-products` (through a
//! link), `intoto` parses its arguments as the reference's argparse parser
//! does ([`argparse`], [`programs`]), with the same usage errors (exit 2),
//! runs the matching subcommand, and reports as the reference does: nothing
//! on success, `(in-toto-verify) RuleVerificationError: ...` and the like
//! on standard error for failures, exit 1 (`in-toto-sign`: 2 for errors, 1
//! for a bad signature; `in-toto-run`: the command's own exit status), and
//! nothing at all with `-q`.

pub(crate) mod after_parse;
pub(crate) mod argparse;
pub(crate) mod programs;
mod report;

use std::ffi::OsString;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::Cli;
use crate::exit::{self, Outcome};
use argparse::Stop;
pub(crate) use programs::Program;
pub(crate) use report::verify_report;

/// The reference program `argv[0]` names, if it names one.
pub(crate) fn program_of(argv0: Option<&OsString>) -> Option<Program> {
    let name = Path::new(argv0?).file_name()?.to_str()?;
    Program::from_name(name)
}

/// Runs as `program`, from the arguments after `argv[0]`.
pub(crate) fn main(program: Program, args: Vec<OsString>) -> ExitCode {
    let parser = program.parser();
    let mut text = Vec::with_capacity(args.len());
    for arg in args {
        match arg.into_string() {
            Ok(arg) => text.push(arg),
            Err(arg) => {
                return usage_error(&Stop::Usage {
                    prog: parser.prog,
                    usage: parser.usage,
                    message: format!(
                        "argument {}: not valid UTF-8",
                        argparse::py_repr(&arg.to_string_lossy())
                    ),
                });
            }
        }
    }
    let parsed = match parser.parse(&text) {
        Ok(parsed) => parsed,
        Err(stop) => return usage_error(&stop),
    };
    if let Err(e) = after_parse::main_checks(program, &parser, &parsed) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", e.stdout.trim_end_matches('\n'));
        let _ = out.flush();
        return usage_error(&e.stop);
    }
    let intoto_args = after_parse::intoto_args(program, &parser, &parsed);
    let mut cli = match Cli::try_parse_from(&intoto_args) {
        Ok(cli) => cli,
        Err(e) => {
            // The reference's parser accepted it but intoto's does not (a
            // value out of range, say): still a usage error.
            let rendered = e.render().to_string();
            let first = rendered
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ");
            return usage_error(&Stop::Usage {
                prog: parser.prog,
                usage: parser.usage,
                message: first.to_owned(),
            });
        }
    };
    cli.reference = Some(program);
    let step = parsed.subcommand.as_ref().map(|(name, _)| *name);
    // -q and -v reach `cli` as its global flags, from any sub-parser.
    let quiet = cli.quiet;
    crate::logging::init_reference(program, cli.verbose > 0, quiet);
    let outcome = match crate::cli::run(cli) {
        Ok(outcome) => outcome,
        Err(err) if exit::is_broken_pipe(&err) => Outcome::Success,
        Err(err) => {
            if !quiet {
                report::error(program, step, &err);
            }
            return ExitCode::from(report::error_status(program));
        }
    };
    ExitCode::from(match outcome {
        Outcome::Success => 0,
        Outcome::Failed => 1,
        Outcome::Error => report::error_status(program),
        Outcome::Command(code) => code,
    })
}

/// argparse's `error()`: the usage and `prog: error: message` on standard
/// error, exit 2; or the help or version on standard output, exit 0.
fn usage_error(stop: &Stop) -> ExitCode {
    match stop {
        Stop::Usage {
            prog,
            usage,
            message,
        } => {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "{usage}\n{prog}: error: {message}\n");
            ExitCode::from(2)
        }
        Stop::Help(help) => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(help.as_bytes());
            ExitCode::SUCCESS
        }
        Stop::Version(prog) => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "{prog} {} (intoto {})",
                report::REFERENCE_VERSION,
                env!("CARGO_PKG_VERSION")
            );
            ExitCode::SUCCESS
        }
    }
}
