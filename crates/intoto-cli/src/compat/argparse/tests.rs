//! argparse's behaviour, as Python 3.11's parsers of the reference's
//! programs show it (each expectation was taken from the reference).

use super::matching::*;
use super::*;
use crate::compat::after_parse::intoto_args;
use crate::compat::programs::Program;

fn parse(program: Program, args: &[&str]) -> Result<Parsed, Stop> {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    program.parser().parse(&args)
}

fn error(program: Program, args: &[&str]) -> String {
    match parse(program, args) {
        Err(Stop::Usage { message, .. }) => message,
        other => panic!("expected a usage error, got {other:?}"),
    }
}

fn translated(program: Program, args: &[&str]) -> Vec<String> {
    let parser = program.parser();
    let parsed = parse(program, args).expect("parses");
    intoto_args(program, &parser, &parsed)
}

#[test]
fn options_may_follow_the_command() {
    assert_eq!(
        translated(Program::Run, &["true", "-n", "p", "--signing-key", "bob"]),
        [
            "intoto",
            "run",
            "--step-name=p",
            "--signing-key=bob",
            "--",
            "true"
        ]
    );
}

#[test]
fn everything_after_the_separator_is_the_command() {
    assert_eq!(
        translated(
            Program::Run,
            &["-n", "p", "--signing-key", "k", "--", "ls", "-l", "--", "x"]
        ),
        [
            "intoto",
            "run",
            "--step-name=p",
            "--signing-key=k",
            "--",
            "ls",
            "-l",
            "--",
            "x"
        ]
    );
}

#[test]
fn unknown_flags_are_rejected() {
    assert_eq!(
        error(Program::Run, &["-n", "x", "--signing-key", "k", "ls", "-l"]),
        "unrecognized arguments: -l"
    );
    assert_eq!(
        error(
            Program::Run,
            &["-n", "x", "-p", "out.txt", "--key", "carl", "--", "true"]
        ),
        "unrecognized arguments: --key"
    );
}

#[test]
fn required_options_are_checked_before_unknown_ones() {
    assert_eq!(
        error(Program::Run, &["--bogus"]),
        "the following arguments are required: -n/--step-name"
    );
    assert_eq!(
        error(Program::Mock, &["--bogus"]),
        "the following arguments are required: -n/--name, <command>"
    );
    assert_eq!(
        error(Program::Record, &[]),
        "the following arguments are required: command"
    );
}

#[test]
fn long_options_match_by_unique_prefix() {
    assert_eq!(
        error(Program::Run, &["--s=1"]),
        "ambiguous option: --s=1 could match --step-name, --signing-key"
    );
    assert_eq!(
        translated(Program::Run, &["--step", "a", "--sign=k", "-x"]),
        [
            "intoto",
            "run",
            "--step-name=a",
            "--no-command",
            "--signing-key=k"
        ]
    );
}

#[test]
fn short_options_take_attached_values_and_cluster() {
    assert_eq!(
        translated(Program::Run, &["-na", "--signing-key", "k", "-sx"]),
        [
            "intoto",
            "run",
            "--step-name=a",
            "--record-streams",
            "--no-command",
            "--signing-key=k"
        ]
    );
    assert_eq!(
        error(Program::Run, &["-vz"]),
        "argument -v/--verbose: ignored explicit argument 'z'"
    );
}

#[test]
fn values_and_types_are_checked() {
    assert_eq!(
        error(Program::Run, &["-n"]),
        "argument -n/--step-name: expected one argument"
    );
    assert_eq!(
        error(Program::Run, &["-n", "x", "--run-timeout", "abc"]),
        "argument --run-timeout: invalid int value: 'abc'"
    );
    assert_eq!(
        error(Program::Run, &["-n", "x", "-v", "-q"]),
        "argument -q/--quiet: not allowed with argument -v/--verbose"
    );
    assert_eq!(
        error(Program::Verify, &["-l", "x", "--verification-keys"]),
        "argument --verification-keys: expected at least one argument"
    );
}

#[test]
fn optional_values_fall_back_to_their_constant() {
    assert_eq!(
        translated(Program::Run, &["-n", "a", "-g", "-P", "--", "true"]),
        [
            "intoto",
            "run",
            "--step-name=a",
            "--password",
            "--gpg",
            "--",
            "true"
        ]
    );
    assert_eq!(
        translated(Program::Sign, &["-f", "x", "-g"]),
        ["intoto", "sign", "--file=x", "--gpg"]
    );
}

#[test]
fn the_last_occurrence_wins() {
    assert_eq!(
        translated(
            Program::Run,
            &[
                "-n",
                "a",
                "-n",
                "b",
                "-m",
                "x",
                "-m",
                "y",
                "-x",
                "--signing-key",
                "k"
            ]
        ),
        [
            "intoto",
            "run",
            "--step-name=b",
            "--materials=y",
            "--no-command",
            "--signing-key=k"
        ]
    );
}

#[test]
fn a_positional_before_no_command_is_ignored() {
    assert_eq!(
        translated(
            Program::Run,
            &[
                "in_toto_run.py",
                "--step-name",
                "s",
                "--signing-key",
                "k",
                "--no-command"
            ]
        ),
        [
            "intoto",
            "run",
            "--step-name=s",
            "--no-command",
            "--signing-key=k"
        ]
    );
}

#[test]
fn record_parses_its_step_with_the_step_parser() {
    assert_eq!(
        translated(
            Program::Record,
            &["start", "-n", "s", "--signing-key", "k", "-m", "a", "b"]
        ),
        [
            "intoto",
            "record",
            "start",
            "--step-name=s",
            "--signing-key=k",
            "--materials=a",
            "--materials=b"
        ]
    );
    match parse(Program::Record, &["stop", "--signing-key", "k"]) {
        Err(Stop::Usage { prog, message, .. }) => {
            assert_eq!(prog, "in-toto-record stop");
            assert_eq!(
                message,
                "the following arguments are required: -n/--step-name"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        error(Program::Record, &["x"]),
        "argument command: invalid choice: 'x' (choose from 'start', 'stop')"
    );
    assert_eq!(
        error(Program::Record, &["start", "-n", "s", "--bogus"]),
        "unrecognized arguments: --bogus"
    );
}

#[test]
fn help_and_version_stop_parsing() {
    assert!(
        matches!(parse(Program::Verify, &["-h"]), Err(Stop::Help(h)) if h.starts_with("usage: in-toto-verify"))
    );
    assert!(matches!(
        parse(Program::Run, &["--version"]),
        Err(Stop::Version("in-toto-run"))
    ));
}

#[test]
fn negative_numbers_are_values() {
    assert_eq!(
        translated(
            Program::Run,
            &["-n", "a", "--signing-key", "k", "--", "echo", "-5"]
        ),
        [
            "intoto",
            "run",
            "--step-name=a",
            "--signing-key=k",
            "--",
            "echo",
            "-5"
        ]
    );
    assert!(is_negative_number("-5") && is_negative_number("-.5") && !is_negative_number("-x"));
    assert_eq!(py_int(" 1_0 "), Some(10));
    assert_eq!(py_int("1__0"), None);
}
