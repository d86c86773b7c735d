//! After the reference's parsers: the checks its `main()` makes once
//! argparse is done, and the `intoto` command line each parse becomes.

use super::argparse::{Parsed, Parser, Stop, Value};
use super::programs::Program;

/// A check the reference's `main()` makes after parsing failed: it prints
/// the usage (or the whole help) to standard output, then the usage and
/// `prog: error: message` to standard error, and exits 2.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct MainError {
    /// Printed first, to standard output.
    pub(crate) stdout: &'static str,
    pub(crate) stop: Stop,
}

/// Python's truth value of an option: given, and not an empty string.
fn truthy(parsed: &Parsed, dest: &str) -> bool {
    parsed.is_set(dest) && parsed.one(dest) != Some("")
}

/// The checks of the reference's `main()` after argparse.
pub(crate) fn main_checks(
    program: Program,
    parser: &Parser,
    parsed: &Parsed,
) -> Result<(), MainError> {
    let usage_error = |message: &str, stdout: &'static str| MainError {
        stdout,
        stop: Stop::Usage {
            prog: parser.prog,
            usage: parser.usage,
            message: message.to_owned(),
        },
    };
    let key_choice = "Specify either '--signing-key <path>' or '--gpg [<keyid>]'";
    match program {
        Program::Run => {
            if truthy(parsed, "gpg") == truthy(parsed, "signing_key") {
                return Err(usage_error(key_choice, parser.usage));
            }
            let no_command = parsed.is_set("no_command");
            if !no_command && parsed.many("link_cmd").is_none_or(<[String]>::is_empty) {
                return Err(usage_error(
                    "No command specified. Please specify (or use the --no-command option)",
                    parser.usage,
                ));
            }
        }
        Program::Record => {
            let step = parsed.subcommand.as_ref().map(|(_, p)| p.as_ref());
            if let Some(step) = step
                && truthy(step, "gpg") == truthy(step, "signing_key")
            {
                return Err(usage_error(key_choice, parser.usage));
            }
        }
        Program::Verify => {
            if !parsed.is_set("gpg") && !parsed.is_set("verification_keys") {
                return Err(usage_error(
                    "wrong arguments: specify at least one layout verification key: '--verification-keys path [path ...]' and/or '--gpg id [id ...]'.",
                    parser.help,
                ));
            }
        }
        Program::Sign => {
            let verify = parsed.is_set("verify");
            if verify && (parsed.is_set("append") || truthy(parsed, "output")) {
                return Err(usage_error(
                    "conflicting arguments: don't specify any of 'append' or 'output' when verifying signatures",
                    parser.help,
                ));
            }
            if parsed.is_set("key") == parsed.is_set("gpg") {
                return Err(usage_error(
                    "wrong arguments: specify either '--key PATH [PATH ...]' or '--gpg [KEYID [KEYID ...]]'",
                    parser.help,
                ));
            }
            if verify && parsed.is_set("gpg") && parsed.many("gpg").is_none_or(<[String]>::is_empty)
            {
                return Err(usage_error(
                    "missing arguments: specify at least one keyid for GPG signature verification ('--gpg KEYID ...')",
                    parser.help,
                ));
            }
        }
        Program::Mock | Program::MatchProducts => {}
    }
    Ok(())
}

/// The `intoto` command line for a parse: the subcommand, each option
/// given in its long `--name=value` form, then `--` and the positionals.
pub(crate) fn intoto_args(program: Program, parser: &Parser, parsed: &Parsed) -> Vec<String> {
    let mut out = vec!["intoto".to_owned(), program.subcommand().to_owned()];
    let (parser, parsed) = match &parsed.subcommand {
        Some((name, sub)) => {
            out.push((*name).to_owned());
            let sub_parser = parser
                .subcommands
                .iter()
                .find(|(n, _)| n == name)
                .map_or(parser, |(_, p)| p);
            (sub_parser, sub.as_ref())
        }
        None => (parser, parsed),
    };
    let mut positionals = Vec::new();
    for arg in &parser.args {
        let Some(value) = parsed.values.get(arg.dest) else {
            continue;
        };
        let Some(long) = arg.strings.iter().find(|s| s.starts_with("--")) else {
            if let Value::Values(v) = value {
                positionals.extend(v.iter().cloned());
            }
            continue;
        };
        match value {
            Value::Set => out.push((*long).to_owned()),
            Value::Values(values) => {
                for v in values {
                    let v = if arg.int {
                        super::argparse::py_int(v).map_or_else(|| v.clone(), |n| n.to_string())
                    } else {
                        v.clone()
                    };
                    out.push(format!("{long}={v}"));
                }
            }
        }
    }
    // The reference ignores a command given with --no-command.
    if parsed.is_set("no_command") {
        positionals.clear();
    }
    if !positionals.is_empty() {
        out.push("--".to_owned());
        out.extend(positionals);
    }
    out
}
