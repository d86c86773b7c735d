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

use std::collections::{BTreeMap, BTreeSet};

pub(crate) use intoto::verify::reference::py_repr;

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

impl Parser {
    /// argparse's `parse_args`.
    pub(crate) fn parse(&self, args: &[String]) -> Result<Parsed, Stop> {
        let (parsed, extras) = self.parse_known(args)?;
        if !extras.is_empty() {
            return Err(self.error(format!("unrecognized arguments: {}", extras.join(" "))));
        }
        Ok(parsed)
    }

    fn error(&self, message: String) -> Stop {
        Stop::Usage {
            prog: self.prog,
            usage: self.usage,
            message,
        }
    }

    fn arg_error(&self, arg: &Arg, message: &str) -> Stop {
        self.error(format!("argument {}: {message}", arg.name()))
    }

    fn option_strings(&self) -> impl Iterator<Item = (&'static str, usize)> + '_ {
        self.args
            .iter()
            .enumerate()
            .flat_map(|(i, a)| a.strings.iter().map(move |s| (*s, i)))
    }

    fn exact(&self, text: &str) -> Option<usize> {
        self.option_strings()
            .find(|(s, _)| *s == text)
            .map(|(_, i)| i)
    }

    /// argparse's `_parse_optional`: `None` for a value, else the option
    /// (`None` when unknown), its spelling and an attached value.
    fn classify(&self, arg: &str) -> Result<Option<OptionHit>, Stop> {
        if arg.is_empty() || !arg.starts_with('-') {
            return Ok(None);
        }
        if let Some(i) = self.exact(arg) {
            return Ok(Some(OptionHit::known(i, arg, None)));
        }
        if arg.chars().count() == 1 {
            return Ok(None);
        }
        if let Some((name, value)) = arg.split_once('=')
            && let Some(i) = self.exact(name)
        {
            return Ok(Some(OptionHit::known(i, name, Some(value.to_owned()))));
        }
        let hits = self.prefix_matches(arg);
        if hits.len() > 1 {
            let names = hits.iter().map(|h| h.spelling.as_str()).collect::<Vec<_>>();
            return Err(self.error(format!(
                "ambiguous option: {arg} could match {}",
                names.join(", ")
            )));
        }
        if let Some(hit) = hits.into_iter().next() {
            return Ok(Some(hit));
        }
        if is_negative_number(arg) || arg.contains(' ') {
            return Ok(None);
        }
        Ok(Some(OptionHit {
            arg: None,
            spelling: arg.to_owned(),
            attached: None,
        }))
    }

    /// argparse's `_get_option_tuples`: long options by unique prefix, a
    /// short option with its value attached (`-nfoo`).
    fn prefix_matches(&self, arg: &str) -> Vec<OptionHit> {
        let mut hits = Vec::new();
        if arg.starts_with("--") {
            let (prefix, attached) = match arg.split_once('=') {
                Some((p, v)) => (p, Some(v.to_owned())),
                None => (arg, None),
            };
            for (s, i) in self.option_strings() {
                if s.starts_with(prefix) {
                    hits.push(OptionHit::known(i, s, attached.clone()));
                }
            }
        } else {
            let short_len = arg.char_indices().nth(2).map_or(arg.len(), |(at, _)| at);
            let (short, rest) = arg.split_at(short_len);
            for (s, i) in self.option_strings() {
                if s == short {
                    hits.push(OptionHit::known(i, s, Some(rest.to_owned())));
                } else if s.starts_with(arg) {
                    hits.push(OptionHit::known(i, s, None));
                }
            }
        }
        hits
    }

    /// argparse's `_parse_known_args`.
    fn parse_known(&self, args: &[String]) -> Result<(Parsed, Vec<String>), Stop> {
        // Classify every argument: O, A, or - for the first `--`.
        let mut pattern = Vec::with_capacity(args.len());
        let mut options: BTreeMap<usize, OptionHit> = BTreeMap::new();
        let mut after_separator = false;
        for (index, arg) in args.iter().enumerate() {
            if after_separator {
                pattern.push(b'A');
            } else if arg == "--" {
                pattern.push(b'-');
                after_separator = true;
            } else if let Some(hit) = self.classify(arg)? {
                options.insert(index, hit);
                pattern.push(b'O');
            } else {
                pattern.push(b'A');
            }
        }

        let mut state = State {
            parser: self,
            args,
            pattern: &pattern,
            parsed: Parsed::default(),
            seen: BTreeSet::new(),
            extras: Vec::new(),
            positionals: (0..self.args.len())
                .filter(|i| self.args[*i].strings.is_empty())
                .collect(),
        };
        let mut start = 0;
        let last_option = options.keys().next_back().copied();
        while let Some(last) = last_option
            && start <= last
        {
            let next = options.range(start..).next().map_or(last, |(i, _)| *i);
            if start != next {
                let end = state.consume_positionals(start)?;
                if end > start {
                    start = end;
                    continue;
                }
                start = end;
            }
            if !options.contains_key(&start) {
                state.extras.extend(args[start..next].iter().cloned());
                start = next;
            }
            // `start` is an option's index here: the next one, or where
            // the positionals before it ended.
            let Some(hit) = options.get(&start).cloned() else {
                break;
            };
            start = state.consume_optional(start, hit)?;
        }
        let stop = state.consume_positionals(start)?;
        state.extras.extend(args[stop..].iter().cloned());

        let missing = self
            .args
            .iter()
            .enumerate()
            .filter(|(i, a)| a.required && !state.seen.contains(i))
            .map(|(_, a)| a.name())
            .collect::<Vec<_>>();
        if !missing.is_empty() {
            return Err(self.error(format!(
                "the following arguments are required: {}",
                missing.join(", ")
            )));
        }
        Ok((state.parsed, state.extras))
    }
}

#[derive(Debug, Clone)]
struct OptionHit {
    /// The option's index in the parser's arguments; `None` if unknown.
    arg: Option<usize>,
    spelling: String,
    attached: Option<String>,
}

impl OptionHit {
    fn known(arg: usize, spelling: &str, attached: Option<String>) -> Self {
        Self {
            arg: Some(arg),
            spelling: spelling.to_owned(),
            attached,
        }
    }
}

struct State<'p> {
    parser: &'p Parser,
    args: &'p [String],
    pattern: &'p [u8],
    parsed: Parsed,
    seen: BTreeSet<usize>,
    extras: Vec<String>,
    /// The positionals not yet consumed, as indices into the parser's
    /// arguments.
    positionals: Vec<usize>,
}

impl State<'_> {
    /// argparse's `consume_optional`.
    fn consume_optional(&mut self, start: usize, hit: OptionHit) -> Result<usize, Stop> {
        let parser = self.parser;
        let Some(mut index) = hit.arg else {
            self.extras.push(self.args[start].clone());
            return Ok(start + 1);
        };
        let mut spelling = hit.spelling;
        let mut attached = hit.attached;
        let mut taken: Vec<(usize, Vec<String>)> = Vec::new();
        let stop;
        loop {
            let arg = &parser.args[index];
            if let Some(value) = attached.take() {
                let count = option_count(arg.nargs, b"A").unwrap_or(0);
                let short = !spelling.starts_with("--");
                if count == 0 && short && !value.is_empty() {
                    // A flag with more flags attached: `-sx`.
                    taken.push((index, Vec::new()));
                    let mut chars = value.chars();
                    let next_char = chars.next().unwrap_or_default();
                    let next = format!("-{next_char}");
                    let rest = chars.as_str();
                    match parser.exact(&next) {
                        Some(i) => {
                            index = i;
                            spelling = next;
                            attached = (!rest.is_empty()).then(|| rest.to_owned());
                        }
                        None => return Err(ignored(parser, arg, &value)),
                    }
                } else if count == 1 {
                    taken.push((index, vec![value]));
                    stop = start + 1;
                    break;
                } else {
                    return Err(ignored(parser, arg, &value));
                }
            } else {
                let from = start + 1;
                let count = option_count(arg.nargs, &self.pattern[from..])
                    .ok_or_else(|| parser.arg_error(arg, nargs_error(arg.nargs)))?;
                taken.push((index, self.args[from..from + count].to_vec()));
                stop = from + count;
                break;
            }
        }
        for (index, values) in taken {
            self.take(index, values)?;
        }
        Ok(stop)
    }

    /// argparse's `consume_positionals`: as many positionals as match the
    /// values from `start`.
    fn consume_positionals(&mut self, start: usize) -> Result<usize, Stop> {
        let Some(&index) = self.positionals.first() else {
            return Ok(start);
        };
        let nargs = self.parser.args[index].nargs;
        let Some(count) = positional_count(nargs, &self.pattern[start..]) else {
            return Ok(start);
        };
        self.positionals.remove(0);
        let values = self.args[start..start + count].to_vec();
        if nargs == Nargs::Parser {
            self.take_subcommand(index, values)?;
        } else {
            self.take(index, values)?;
        }
        Ok(start + count)
    }

    fn take(&mut self, index: usize, mut values: Vec<String>) -> Result<(), Stop> {
        let parser = self.parser;
        let arg = &parser.args[index];
        self.seen.insert(index);
        if let Some(at) = values.iter().position(|v| v == "--") {
            values.remove(at);
        }
        match arg.kind {
            Kind::Help => return Err(Stop::Help(parser.help)),
            Kind::Version => return Err(Stop::Version(parser.prog)),
            Kind::StoreTrue | Kind::Store => {}
        }
        if arg.int
            && let Some(bad) = values.iter().find(|v| py_int(v).is_none())
        {
            return Err(parser.arg_error(arg, &format!("invalid int value: {}", py_repr(bad))));
        }
        // A value other than the default: check the exclusive group.
        let is_default = arg.kind == Kind::Store && values.is_empty() && arg.strings.is_empty();
        if !is_default && parser.exclusive.contains(&arg.dest) {
            for other in parser.exclusive.iter().filter(|d| **d != arg.dest) {
                if self.parsed.is_set(other)
                    && let Some(o) = parser.args.iter().find(|a| a.dest == *other)
                {
                    return Err(
                        parser.arg_error(arg, &format!("not allowed with argument {}", o.name()))
                    );
                }
            }
        }
        let value = match (arg.kind, arg.nargs, values.is_empty()) {
            (Kind::StoreTrue, _, _) | (_, Nargs::Optional, true) => Value::Set,
            (_, Nargs::Any, true) if !arg.strings.is_empty() => Value::Set,
            _ => Value::Values(values),
        };
        self.parsed.values.insert(arg.dest, value);
        Ok(())
    }

    fn take_subcommand(&mut self, index: usize, values: Vec<String>) -> Result<(), Stop> {
        let parser = self.parser;
        let arg = &parser.args[index];
        self.seen.insert(index);
        let name = values.first().map(String::as_str).unwrap_or_default();
        let Some((name, sub)) = parser.subcommands.iter().find(|(n, _)| *n == name) else {
            let choices = parser
                .subcommands
                .iter()
                .map(|(n, _)| py_repr(n))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(parser.arg_error(
                arg,
                &format!("invalid choice: {} (choose from {choices})", py_repr(name)),
            ));
        };
        let (parsed, extras) = sub.parse_known(&values[1..])?;
        self.parsed.subcommand = Some((name, Box::new(parsed)));
        self.extras.extend(extras);
        Ok(())
    }
}

/// argparse's error for a value attached to an option that takes none.
fn ignored(parser: &Parser, arg: &Arg, value: &str) -> Stop {
    parser.arg_error(
        arg,
        &format!("ignored explicit argument {}", py_repr(value)),
    )
}

/// How many values an option takes from `pattern` (argparse's
/// `_match_argument` with the `-` and `-*` of its patterns removed).
fn option_count(nargs: Nargs, pattern: &[u8]) -> Option<usize> {
    let run = pattern.iter().take_while(|c| **c == b'A').count();
    match nargs {
        Nargs::Zero => Some(0),
        Nargs::One => (run >= 1).then_some(1),
        Nargs::Optional => Some(run.min(1)),
        Nargs::Any => Some(run),
        Nargs::AtLeastOne => (run >= 1).then_some(run),
        Nargs::Parser => (run >= 1).then_some(pattern.len()),
    }
}

/// How many arguments a positional takes from `pattern`, or `None` when
/// it does not match (argparse's `_match_arguments_partial` for one).
fn positional_count(nargs: Nargs, pattern: &[u8]) -> Option<usize> {
    let dashes = pattern.iter().take_while(|c| **c == b'-').count();
    let values = |from: usize| {
        pattern[from..]
            .iter()
            .take_while(|c| matches!(**c, b'A' | b'-'))
            .count()
    };
    let has_value = pattern.get(dashes) == Some(&b'A');
    match nargs {
        Nargs::Zero => Some(dashes),
        Nargs::Any => Some(values(0)),
        Nargs::AtLeastOne => has_value.then(|| dashes + 1 + values(dashes + 1)),
        Nargs::One => has_value.then(|| {
            let after = pattern[dashes + 1..]
                .iter()
                .take_while(|c| **c == b'-')
                .count();
            dashes + 1 + after
        }),
        Nargs::Optional => Some(if has_value {
            let after = pattern[dashes + 1..]
                .iter()
                .take_while(|c| **c == b'-')
                .count();
            dashes + 1 + after
        } else {
            dashes
        }),
        Nargs::Parser => has_value.then_some(pattern.len()),
    }
}

fn nargs_error(nargs: Nargs) -> &'static str {
    match nargs {
        Nargs::AtLeastOne => "expected at least one argument",
        Nargs::Optional => "expected at most one argument",
        _ => "expected one argument",
    }
}

/// argparse's `_negative_number_matcher`: `-1`, `-1.5`, `-.5`.
fn is_negative_number(arg: &str) -> bool {
    let Some(rest) = arg.strip_prefix('-') else {
        return false;
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    match rest.split_once('.') {
        None => !rest.is_empty() && digits(rest),
        Some((whole, fraction)) => digits(whole) && !fraction.is_empty() && digits(fraction),
    }
}

/// Python's `int(text)`: surrounding whitespace, a sign, digits with single
/// underscores between them.
pub(crate) fn py_int(text: &str) -> Option<i64> {
    let t = text.trim();
    let (negative, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    let value: i64 = digits.replace('_', "").parse().ok()?;
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests;
