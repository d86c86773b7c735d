//! The reference's six programs: their options as its argparse parsers
//! declare them (same order, so that prefix matches and error messages
//! agree). What happens after parsing is `after_parse.rs`.

use super::argparse::{Arg, Nargs, Parser};

/// A reference program that `intoto` stands in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Program {
    Run,
    Record,
    Verify,
    Sign,
    Mock,
    MatchProducts,
}

impl Program {
    pub(crate) const ALL: [Program; 6] = [
        Program::Run,
        Program::Record,
        Program::Verify,
        Program::Sign,
        Program::Mock,
        Program::MatchProducts,
    ];

    /// The program's name (`in-toto-run`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Program::Run => "in-toto-run",
            Program::Record => "in-toto-record",
            Program::Verify => "in-toto-verify",
            Program::Sign => "in-toto-sign",
            Program::Mock => "in-toto-mock",
            Program::MatchProducts => "in-toto-match-products",
        }
    }

    /// The `intoto` subcommand it corresponds to.
    pub(crate) fn subcommand(self) -> &'static str {
        match self {
            Program::Run => "run",
            Program::Record => "record",
            Program::Verify => "verify",
            Program::Sign => "sign",
            Program::Mock => "mock",
            Program::MatchProducts => "match-products",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The program's argparse parser.
    pub(crate) fn parser(self) -> Parser {
        match self {
            Program::Run => run(),
            Program::Record => record(),
            Program::Verify => verify(),
            Program::Sign => sign(),
            Program::Mock => mock(),
            Program::MatchProducts => match_products(),
        }
    }
}

/// The `usage:` block at the top of a help text.
pub(crate) fn usage_of(help: &'static str) -> &'static str {
    help.split("\n\n").next().unwrap_or(help)
}

macro_rules! help {
    ($file:literal) => {
        include_str!(concat!("help/", $file, ".txt"))
    };
}

fn parser(
    prog: &'static str,
    help: &'static str,
    args: Vec<Arg>,
    exclusive: &'static [&'static str],
) -> Parser {
    Parser {
        prog,
        usage: usage_of(help),
        help,
        args,
        exclusive,
        subcommands: Vec::new(),
    }
}

const VERBOSITY: &[&str] = &["verbose", "quiet"];

fn verbose() -> Arg {
    Arg::flag(&["-v", "--verbose"], "verbose")
}

fn quiet() -> Arg {
    Arg::flag(&["-q", "--quiet"], "quiet")
}

/// The key and recording options `in-toto-run` and `in-toto-record`
/// share, in the order both declare them (the reference's `common_args`).
fn signing_and_recording() -> [Arg; 7] {
    use Nargs::{AtLeastOne, One, Optional};
    [
        Arg::store(&["-P", "--password"], "password", Optional),
        Arg::store(&["-g", "--gpg"], "gpg", Optional),
        Arg::store(&["--gpg-home"], "gpg_home", One),
        Arg::store(&["--signing-key"], "signing_key", One),
        Arg::store(&["--exclude"], "exclude_patterns", AtLeastOne),
        Arg::store(&["--base-path"], "base_path", One),
        Arg::store(&["--lstrip-paths"], "lstrip_paths", AtLeastOne),
    ]
}

fn run() -> Parser {
    use Nargs::{Any, AtLeastOne, One};
    let mut args = vec![
        Arg::help(),
        Arg::store(&["-n", "--step-name"], "step_name", One).required(),
        Arg::store(&["-m", "--materials"], "materials", AtLeastOne),
        Arg::store(&["-p", "--products"], "products", AtLeastOne),
        Arg::flag(&["-s", "--record-streams"], "record_streams"),
        Arg::flag(&["-x", "--no-command"], "no_command"),
    ];
    args.extend(signing_and_recording());
    args.extend([
        Arg::store(&["-d", "--metadata-directory"], "metadata_directory", One),
        Arg::flag(&["--use-dsse"], "use_dsse"),
        Arg::store(&["--run-timeout"], "run_timeout", One).int(),
        verbose(),
        quiet(),
        Arg::positional("link_cmd", Some("<command>"), Any),
        Arg::version(),
    ]);
    parser("in-toto-run", help!("in-toto-run"), args, VERBOSITY)
}

fn record_step(prog: &'static str, help: &'static str, start: bool) -> Parser {
    use Nargs::{AtLeastOne, One};
    let mut args = vec![
        Arg::help(),
        Arg::store(&["-n", "--step-name"], "step_name", One).required(),
    ];
    args.extend(signing_and_recording());
    args.extend([Arg::flag(&["--use-dsse"], "use_dsse"), verbose(), quiet()]);
    if start {
        args.push(Arg::store(&["-m", "--materials"], "materials", AtLeastOne));
    } else {
        args.push(Arg::store(&["-p", "--products"], "products", AtLeastOne));
        args.push(Arg::store(
            &["-d", "--metadata-directory"],
            "metadata_directory",
            One,
        ));
    }
    parser(prog, help, args, VERBOSITY)
}

fn record() -> Parser {
    let mut top = parser(
        "in-toto-record",
        help!("in-toto-record"),
        vec![
            Arg::help(),
            Arg::positional("command", None, Nargs::Parser),
            Arg::version(),
        ],
        &[],
    );
    top.subcommands = vec![
        (
            "start",
            record_step("in-toto-record start", help!("in-toto-record-start"), true),
        ),
        (
            "stop",
            record_step("in-toto-record stop", help!("in-toto-record-stop"), false),
        ),
    ];
    top
}

fn verify() -> Parser {
    use Nargs::{AtLeastOne, One};
    parser(
        "in-toto-verify",
        help!("in-toto-verify"),
        vec![
            Arg::help(),
            Arg::store(&["-l", "--layout"], "layout", One).required(),
            Arg::store(&["--verification-keys"], "verification_keys", AtLeastOne),
            Arg::store(&["-g", "--gpg"], "gpg", AtLeastOne),
            Arg::store(&["--link-dir"], "link_dir", One),
            Arg::store(&["--gpg-home"], "gpg_home", One),
            Arg::store(&["--inspection-timeout"], "inspect_timeout", One).int(),
            verbose(),
            quiet(),
            Arg::version(),
        ],
        VERBOSITY,
    )
}

fn sign() -> Parser {
    use Nargs::{Any, AtLeastOne, One};
    parser(
        "in-toto-sign",
        help!("in-toto-sign"),
        vec![
            Arg::help(),
            Arg::store(&["-f", "--file"], "file", One).required(),
            Arg::store(&["-k", "--key"], "key", AtLeastOne),
            Arg::flag(&["-p", "--prompt"], "prompt"),
            Arg::store(&["-g", "--gpg"], "gpg", Any),
            Arg::store(&["--gpg-home"], "gpg_home", One),
            Arg::store(&["-o", "--output"], "output", One),
            Arg::flag(&["-a", "--append"], "append"),
            Arg::flag(&["--verify"], "verify"),
            verbose(),
            quiet(),
            Arg::version(),
        ],
        VERBOSITY,
    )
}

fn mock() -> Parser {
    parser(
        "in-toto-mock",
        help!("in-toto-mock"),
        vec![
            Arg::help(),
            Arg::store(&["-n", "--name"], "name", Nargs::One).required(),
            Arg::flag(&["--use-dsse"], "use_dsse"),
            Arg::positional("link_cmd", Some("<command>"), Nargs::AtLeastOne),
            Arg::version(),
        ],
        &[],
    )
}

fn match_products() -> Parser {
    use Nargs::{AtLeastOne, One};
    parser(
        "in-toto-match-products",
        help!("in-toto-match-products"),
        vec![
            Arg::help(),
            Arg::store(&["-l", "--link"], "link", One).required(),
            Arg::store(&["-p", "--paths"], "paths", AtLeastOne),
            Arg::store(&["-e", "--exclude"], "exclude", AtLeastOne),
            Arg::store(&["--lstrip-paths"], "lstrip_paths", AtLeastOne),
            verbose(),
        ],
        &[],
    )
}
