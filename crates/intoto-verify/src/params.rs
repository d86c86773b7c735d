//! Layout parameters: `{name}` placeholders in artifact rules,
//! `expected_command` and inspection `run`, replaced as the reference's
//! `substitute_parameters` does with Python's `str.format(**parameters)`.
//!
//! - `{{` and `}}` are literal braces; a lone `{` or `}` is an error;
//! - `{name}`, `{name!s}`, `{name:}` are replaced by the parameter's value,
//!   which is not itself formatted again;
//! - a name not given is an error (Python's `KeyError`), and so is a
//!   positional field such as `{}` or `{0}` (Python's `IndexError`);
//! - parameter names match `^[a-zA-Z0-9_-]+$`.
//!
//! Python also understands attribute and index access (`{a.upper}`,
//! `{a[0]}`), the `!r` and `!a` conversions and format specifications
//! (`{a:>8}`); nobody writes those in a layout, and they are rejected here
//! ([`ParameterError::Unsupported`]) rather than imitated.

use std::collections::BTreeMap;

/// Why a parameter or a text with placeholders cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParameterError {
    /// A parameter name outside `[a-zA-Z0-9_-]+`.
    #[error("parameter name {name:?} may only hold letters, digits, '_' and '-'")]
    InvalidName {
        /// The name.
        name: String,
    },
    /// A placeholder names a parameter that was not given.
    #[error("{text:?} uses parameter {name:?}, which was not given (give it a value)")]
    Missing {
        /// The name.
        name: String,
        /// The text holding the placeholder.
        text: String,
    },
    /// Braces that do not form a placeholder (write `{{` and `}}` for
    /// literal braces), or a positional field.
    #[error(
        "{text:?} is not a valid format string: {problem} (write {{{{ and }}}} for literal braces)"
    )]
    Syntax {
        /// The text.
        text: String,
        /// What is wrong, as Python says it.
        problem: &'static str,
    },
    /// A placeholder form Python accepts but this implementation does not
    /// imitate (attribute or index access, `!r`/`!a`, format
    /// specifications).
    #[error("{text:?} uses the placeholder {{{field}}}, which only plain {{name}} forms may be")]
    Unsupported {
        /// The text.
        text: String,
        /// The placeholder's contents.
        field: String,
    },
}

/// Whether `name` may name a parameter: `^[a-zA-Z0-9_-]+$`, as the
/// reference requires.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Checks parameter names (the reference's `_check_parameter_dict`).
///
/// # Errors
///
/// [`ParameterError::InvalidName`] for the first bad name.
pub fn check_names(parameters: &BTreeMap<String, String>) -> Result<(), ParameterError> {
    for name in parameters.keys() {
        if !is_valid_name(name) {
            return Err(ParameterError::InvalidName { name: name.clone() });
        }
    }
    Ok(())
}

/// `text.format(**parameters)`, for the forms described in the module
/// documentation.
///
/// # Errors
///
/// [`ParameterError`] where Python raises, and for the unsupported forms.
pub fn substitute(
    text: &str,
    parameters: &BTreeMap<String, String>,
) -> Result<String, ParameterError> {
    let syntax = |problem| ParameterError::Syntax {
        text: text.to_owned(),
        problem,
    };
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '}' => {
                if chars.next_if(|&(_, c)| c == '}').is_none() {
                    return Err(syntax("single '}' encountered in format string"));
                }
                out.push('}');
            }
            '{' => {
                if chars.next_if(|&(_, c)| c == '{').is_some() {
                    out.push('{');
                    continue;
                }
                if chars.peek().is_none() {
                    return Err(syntax("single '{' encountered in format string"));
                }
                // The field runs to the matching `}`, counting nested braces.
                let start = i + 1;
                let mut depth = 1;
                let mut end = None;
                for (j, c) in chars.by_ref() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = Some(j);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let Some(end) = end else {
                    return Err(syntax("expected '}' before end of string"));
                };
                out.push_str(replacement(text, &text[start..end], parameters)?);
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// The value of one replacement field (`name[!conversion][:spec]`).
fn replacement<'p>(
    text: &str,
    field: &str,
    parameters: &'p BTreeMap<String, String>,
) -> Result<&'p str, ParameterError> {
    let syntax = |problem| ParameterError::Syntax {
        text: text.to_owned(),
        problem,
    };
    let unsupported = || ParameterError::Unsupported {
        text: text.to_owned(),
        field: field.to_owned(),
    };
    let name_end = field.find([':', '!']).unwrap_or(field.len());
    let (name, rest) = field.split_at(name_end);
    if name.contains('{') {
        return Err(syntax("unexpected '{' in field name"));
    }
    let (conversion, spec) = match rest.strip_prefix('!') {
        Some(after) => {
            let mut it = after.chars();
            let Some(conversion) = it.next() else {
                return Err(syntax(
                    "end of string while looking for conversion specifier",
                ));
            };
            let tail = it.as_str();
            if !tail.is_empty() && !tail.starts_with(':') {
                return Err(syntax("expected ':' after conversion specifier"));
            }
            (Some(conversion), tail.strip_prefix(':'))
        }
        None => (None, rest.strip_prefix(':')),
    };
    // The first part of the name decides: empty or all digits is a
    // positional field, and there are no positional arguments.
    let first = name.split(['.', '[']).next().unwrap_or_default();
    if first.is_empty() || first.chars().all(|c| c.is_ascii_digit()) {
        return Err(syntax("replacement fields must be named"));
    }
    match conversion {
        None | Some('s') => {}
        Some('r' | 'a') => return Err(unsupported()),
        Some(_) => return Err(syntax("unknown conversion specifier")),
    }
    if name.contains(['.', '[']) || spec.is_some_and(|s| !s.is_empty()) {
        return Err(unsupported());
    }
    parameters
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| ParameterError::Missing {
            name: name.to_owned(),
            text: text.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> BTreeMap<String, String> {
        [
            ("a", "A"),
            ("b", "B"),
            ("-", "D"),
            ("0a", "Z"),
            ("x", "{b}"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    #[test]
    fn follows_python_str_format() {
        // Expected values from CPython 3.11's `str.format`.
        for (text, want) in [
            ("{a}", "A"),
            ("{{a}}", "{a}"),
            ("{{{a}}}", "{A}"),
            ("{a!s}", "A"),
            ("{a:}", "A"),
            ("{a!s:}", "A"),
            ("{-}", "D"),
            ("}}", "}"),
            ("{{", "{"),
            ("{a}{b}", "AB"),
            ("{0a}", "Z"),
            ("{x}", "{b}"),
            ("plain", "plain"),
            ("é{a}é", "éAé"),
        ] {
            assert_eq!(substitute(text, &params()).as_deref(), Ok(want), "{text}");
        }
        for text in [
            "{a}}", "}", "{", "x{", "{}", "{0}", "{a!}", "{a!ss}", "{!s}", "{:}", "a}b", "{a",
            "{a:}}", "{[0]}", "{.x}", "{a{b}",
        ] {
            assert!(
                matches!(
                    substitute(text, &params()),
                    Err(ParameterError::Syntax { .. })
                ),
                "{text}: {:?}",
                substitute(text, &params())
            );
        }
        for text in ["{c}", "{ a}", "{a b}", "{a\n}"] {
            assert!(
                matches!(
                    substitute(text, &params()),
                    Err(ParameterError::Missing { .. })
                ),
                "{text}"
            );
        }
        for text in ["{a!r}", "{a:>3}", "{a.upper}", "{a[0]}", "{a:{a}}"] {
            assert!(
                matches!(
                    substitute(text, &params()),
                    Err(ParameterError::Unsupported { .. })
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn names_are_restricted() {
        assert!(check_names(&params()).is_ok());
        for bad in ["", "a b", "é", "a.b", "a\n"] {
            let p = BTreeMap::from([(bad.to_owned(), String::new())]);
            assert!(
                matches!(check_names(&p), Err(ParameterError::InvalidName { .. })),
                "{bad:?}"
            );
        }
    }
}
