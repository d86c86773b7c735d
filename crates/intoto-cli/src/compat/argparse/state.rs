//! The state of one parse: which option the next argument is, and how
//! options and positionals consume the values that follow (argparse's
//! `consume_optional` and `consume_positionals`).

use std::collections::BTreeSet;

use super::matching::*;
use super::*;

#[derive(Debug, Clone)]
pub(super) struct OptionHit {
    /// The option's index in the parser's arguments; `None` if unknown.
    pub(super) arg: Option<usize>,
    pub(super) spelling: String,
    pub(super) attached: Option<String>,
}

impl OptionHit {
    pub(super) fn known(arg: usize, spelling: &str, attached: Option<String>) -> Self {
        Self {
            arg: Some(arg),
            spelling: spelling.to_owned(),
            attached,
        }
    }
}

pub(super) struct State<'p> {
    pub(super) parser: &'p Parser,
    pub(super) args: &'p [String],
    pub(super) pattern: &'p [u8],
    pub(super) parsed: Parsed,
    pub(super) seen: BTreeSet<usize>,
    pub(super) extras: Vec<String>,
    /// The positionals not yet consumed, as indices into the parser's
    /// arguments.
    pub(super) positionals: Vec<usize>,
}

impl State<'_> {
    /// argparse's `consume_optional`.
    pub(super) fn consume_optional(&mut self, start: usize, hit: OptionHit) -> Result<usize, Stop> {
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
    pub(super) fn consume_positionals(&mut self, start: usize) -> Result<usize, Stop> {
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

    pub(super) fn take(&mut self, index: usize, mut values: Vec<String>) -> Result<(), Stop> {
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

    pub(super) fn take_subcommand(
        &mut self,
        index: usize,
        values: Vec<String>,
    ) -> Result<(), Stop> {
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
