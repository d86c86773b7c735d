//! argparse's `parse_args` and `parse_known_args` for a [`Parser`]: the
//! arguments classified as options (`O`), values (`A`) and `--`, the
//! sub-command, and the errors for what is left or missing.

use std::collections::BTreeSet;

use super::matching::is_negative_number;
use super::state::{OptionHit, State};
use super::*;

impl Parser {
    /// argparse's `parse_args`.
    pub(crate) fn parse(&self, args: &[String]) -> Result<Parsed, Stop> {
        let (parsed, extras) = self.parse_known(args)?;
        if !extras.is_empty() {
            return Err(self.error(format!("unrecognized arguments: {}", extras.join(" "))));
        }
        Ok(parsed)
    }

    pub(super) fn error(&self, message: String) -> Stop {
        Stop::Usage {
            prog: self.prog,
            usage: self.usage,
            message,
        }
    }

    pub(super) fn arg_error(&self, arg: &Arg, message: &str) -> Stop {
        self.error(format!("argument {}: {message}", arg.name()))
    }

    pub(super) fn option_strings(&self) -> impl Iterator<Item = (&'static str, usize)> + '_ {
        self.args
            .iter()
            .enumerate()
            .flat_map(|(i, a)| a.strings.iter().map(move |s| (*s, i)))
    }

    pub(super) fn exact(&self, text: &str) -> Option<usize> {
        self.option_strings()
            .find(|(s, _)| *s == text)
            .map(|(_, i)| i)
    }

    /// argparse's `_parse_optional`: `None` for a value, else the option
    /// (`None` when unknown), its spelling and an attached value.
    pub(super) fn classify(&self, arg: &str) -> Result<Option<OptionHit>, Stop> {
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
    pub(super) fn prefix_matches(&self, arg: &str) -> Vec<OptionHit> {
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
    pub(super) fn parse_known(&self, args: &[String]) -> Result<(Parsed, Vec<String>), Stop> {
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
