//! The command-line parsing of Python's `argparse` (3.11), for the options
//! the reference programs declare: options anywhere among positionals,
//! `--`, unique prefixes of long options (`--step` for `--step-name`),
//! `--opt=value` and `-nvalue`, clustered flags (`-sx`), `nargs` `?`, `+`
//! and `*`, mutually exclusive flags, and a sub-command (`in-toto-record
//! start`). Errors carry argparse's own wording, so that a script checking
//! them sees no difference.
//!
//! It follows argparse's algorithm: each argument is classified as an option
//! (`O`), a value (`A`) or the `--` separator (`-`); options take as many
//! following `A`s as their `nargs` allows; runs of `A`s between options go
//! to the positionals, and what no positional takes is "unrecognized".

use std::collections::BTreeMap;

pub(crate) use intoto::verify::reference::py_repr;

mod matching;
mod parser;
mod state;

pub(crate) use matching::py_int;

/// How many values an option or positional takes (argparse's `nargs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nargs {
    /// A flag (`store_true`, `-h`, `--version`): no value.
    Zero,
    /// Exactly one value (`nargs=None`).
    One,
    /// One value or none (`?`); none gives the option's constant.
    Optional,
    /// Any number of values (`*`).
    Any,
    /// At least one value (`+`).
    AtLeastOne,
    /// A sub-command and everything after it (argparse's `A...`).
    Parser,
}

/// What taking an option does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Stores its values.
    Store,
    /// Stores `true`.
    StoreTrue,
    /// Prints the help and exits 0.
    Help,
    /// Prints the version and exits 0.
    Version,
}

/// One option or positional of a parser.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arg {
    /// Option strings (`-n`, `--step-name`); empty for a positional.
    pub(crate) strings: &'static [&'static str],
    /// Where the value is stored.
    pub(crate) dest: &'static str,
    pub(crate) nargs: Nargs,
    pub(crate) kind: Kind,
    pub(crate) required: bool,
    /// The displayed name of a positional (`<command>`).
    pub(crate) metavar: Option<&'static str>,
    /// Values must be integers (`type=int`).
    pub(crate) int: bool,
}

impl Arg {
    pub(crate) const fn store(
        strings: &'static [&'static str],
        dest: &'static str,
        nargs: Nargs,
    ) -> Self {
        Self {
            strings,
            dest,
            nargs,
            kind: Kind::Store,
            required: false,
            metavar: None,
            int: false,
        }
    }

    pub(crate) const fn flag(strings: &'static [&'static str], dest: &'static str) -> Self {
        Self {
            kind: Kind::StoreTrue,
            ..Self::store(strings, dest, Nargs::Zero)
        }
    }

    pub(crate) const fn help() -> Self {
        Self {
            kind: Kind::Help,
            ..Self::store(&["-h", "--help"], "help", Nargs::Zero)
        }
    }

    pub(crate) const fn version() -> Self {
        Self {
            kind: Kind::Version,
            ..Self::store(&["--version"], "version", Nargs::Zero)
        }
    }

    pub(crate) const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub(crate) const fn int(mut self) -> Self {
        self.int = true;
        self
    }

    pub(crate) const fn positional(
        dest: &'static str,
        metavar: Option<&'static str>,
        nargs: Nargs,
    ) -> Self {
        Self {
            strings: &[],
            dest,
            nargs,
            kind: Kind::Store,
            // argparse makes `*` and `+` positionals required.
            required: true,
            metavar,
            int: false,
        }
    }

    /// argparse's `_get_action_name`: `-n/--step-name`, or the metavar or
    /// destination of a positional.
    pub(crate) fn name(&self) -> String {
        if self.strings.is_empty() {
            self.metavar.unwrap_or(self.dest).to_owned()
        } else {
            self.strings.join("/")
        }
    }
}

/// A parser: its program name (as errors show it), usage line, arguments,
/// mutually exclusive pairs and sub-commands.
#[derive(Debug)]
pub(crate) struct Parser {
    pub(crate) prog: &'static str,
    /// The `usage: ...` text, as argparse formats it for 80 columns.
    pub(crate) usage: &'static str,
    /// The `--help` text.
    pub(crate) help: &'static str,
    pub(crate) args: Vec<Arg>,
    /// Destinations that exclude each other (`-v | -q`).
    pub(crate) exclusive: &'static [&'static str],
    /// Sub-command name and parser, for a `Nargs::Parser` positional.
    pub(crate) subcommands: Vec<(&'static str, Parser)>,
}

/// A parsed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// A flag that was given, or an `?` option given without a value.
    Set,
    /// Values (one for `nargs=None`).
    Values(Vec<String>),
}

/// The outcome of parsing.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Parsed {
    /// Values by destination; the last occurrence of an option wins.
    pub(crate) values: BTreeMap<&'static str, Value>,
    /// The chosen sub-command, and its parse.
    pub(crate) subcommand: Option<(&'static str, Box<Parsed>)>,
}

impl Parsed {
    pub(crate) fn is_set(&self, dest: &str) -> bool {
        self.values.contains_key(dest)
    }

    /// The single value of a `nargs=None` option.
    pub(crate) fn one(&self, dest: &str) -> Option<&str> {
        match self.values.get(dest) {
            Some(Value::Values(v)) => v.first().map(String::as_str),
            _ => None,
        }
    }

    pub(crate) fn many(&self, dest: &str) -> Option<&[String]> {
        match self.values.get(dest) {
            Some(Value::Values(v)) => Some(v),
            _ => None,
        }
    }
}

/// Why parsing stopped.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// A usage error: argparse prints `usage` and `prog: error: message`
    /// to standard error and exits 2.
    Usage {
        prog: &'static str,
        usage: &'static str,
        message: String,
    },
    /// `-h`: print this help to standard output, exit 0.
    Help(&'static str),
    /// `--version`: print the version line of this program, exit 0.
    Version(&'static str),
}

#[cfg(test)]
mod tests;
