//! Exclude patterns with the semantics of `pathspec.GitIgnoreSpec` (pathspec
//! 1.1, pattern factory `"gitwildmatch"`), which is what the reference uses.
//!
//! This is a port, not a gitignore implementation: pathspec turns each
//! pattern into a regular expression that is *searched* in the path, and
//! decides by priority, not only by order. The differences from git that
//! follow from this are reproduced on purpose, for example:
//! - a pattern ending in `/` matches paths *below* a directory, never the
//!   directory itself (`build/` does not match `build`, but matches `build/x`);
//! - a later match on the file itself beats an earlier-or-later match that
//!   only came from a parent directory (`!keep` re-includes `build/keep`
//!   excluded by `build/`);
//! - patterns match anywhere the path has the segment, and a match on a
//!   directory segment covers everything below it (`.git` matches
//!   `a/.git/config`).
//!
//! The `ignore` crate's gitignore matcher answers "is this path, known to be
//! a file or a directory, ignored", git-style; it disagrees with pathspec on
//! the cases above, so it is not used.

use regex::{Regex, RegexSet};

use crate::error::{Error, PatternProblem};

/// The reference's default exclude patterns (`in_toto.settings.ARTIFACT_EXCLUDE_PATTERNS`).
pub const DEFAULT_EXCLUDE_PATTERNS: [&str; 4] = ["*.link*", ".git", "*.pyc", "*~"];

/// Name of the capture group that marks a match through a directory.
const DIR_MARK: &str = "ps_d";

/// A compiled set of exclude patterns.
#[derive(Debug, Clone)]
pub struct ExcludeSet {
    /// All effective patterns, in the order given, for a quick "does any match".
    set: Option<RegexSet>,
    /// The same patterns, individually, in the order given.
    patterns: Vec<Compiled>,
}

#[derive(Debug, Clone)]
struct Compiled {
    regex: Regex,
    /// `true` for a plain pattern (exclude), `false` for a `!` negation.
    include: bool,
}

impl ExcludeSet {
    /// Compiles `patterns` the way `GitIgnoreSpec.from_lines("gitwildmatch", patterns)`
    /// does. Blank lines, comments, `/` and patterns with an unclosed `[` are
    /// no-ops, as in pathspec.
    ///
    /// # Errors
    ///
    /// [`Error::ExcludePattern`] for a pattern pathspec rejects (a trailing
    /// lone backslash, a backwards bracket range, `!` alone).
    pub fn new<I, S>(patterns: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut compiled = Vec::new();
        for pattern in patterns {
            let pattern = pattern.as_ref();
            let Some((source, include)) =
                pattern_to_regex(pattern).map_err(|problem| Error::ExcludePattern {
                    pattern: pattern.to_owned(),
                    problem,
                })?
            else {
                continue;
            };
            // The translation only emits escaped literals and fixed syntax, so
            // compiling cannot fail short of a size limit; report that as the
            // pattern being unusable rather than panicking.
            let regex = Regex::new(&source).map_err(|_| Error::ExcludePattern {
                pattern: pattern.to_owned(),
                problem: PatternProblem::TooLarge,
            })?;
            compiled.push(Compiled { regex, include });
        }
        // The set only speeds up the common "nothing matches" case; if the
        // patterns are too big to combine, each is tried on its own.
        let set = RegexSet::new(compiled.iter().map(|c| c.regex.as_str())).ok();
        Ok(Self {
            set,
            patterns: compiled,
        })
    }

    /// The reference's defaults, [`DEFAULT_EXCLUDE_PATTERNS`].
    pub fn defaults() -> Self {
        // invariant: the default patterns are valid; on the impossible failure
        // fall back to an empty set rather than panic.
        Self::new(DEFAULT_EXCLUDE_PATTERNS).unwrap_or_else(|_| Self::empty())
    }

    /// A set that excludes nothing.
    pub fn empty() -> Self {
        Self {
            set: None,
            patterns: Vec::new(),
        }
    }

    /// Whether the set has no effective pattern.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether `path` is excluded: `GitIgnoreSpec.match_file(path)`.
    ///
    /// The path is first normalised as pathspec does: one leading `/` or
    /// `./` is dropped.
    pub fn is_excluded(&self, path: &str) -> bool {
        if self.patterns.is_empty() {
            return false;
        }
        let file = path
            .strip_prefix('/')
            .or_else(|| path.strip_prefix("./"))
            .unwrap_or(path);
        let candidates: Vec<usize> = match &self.set {
            // Most paths match nothing; `is_match` can stop early and use
            // literal prefilters, which the full list of matches cannot.
            Some(set) if !set.is_match(file) => return false,
            Some(set) => set.matches(file).into_iter().collect(),
            None => (0..self.patterns.len()).collect(),
        };
        // pathspec's SimpleGiBackend walks the patterns last to first: the
        // first match on the path itself (priority 2) wins outright; failing
        // that, the last match through a directory (priority 1) decides.
        let mut decision = None;
        let mut best = 0u8;
        for &index in candidates.iter().rev() {
            let Some(pattern) = self.patterns.get(index) else {
                continue;
            };
            let Some(caps) = pattern.regex.captures(file) else {
                continue;
            };
            let dir_mark = caps.name(DIR_MARK).is_some_and(|m| !m.as_str().is_empty());
            let priority = if dir_mark { 1 } else { 2 };
            if priority > best {
                decision = Some(pattern.include);
                best = priority;
            }
            if priority == 2 {
                break;
            }
        }
        decision == Some(true)
    }
}

/// Python's `str.isspace`, which `str.rstrip()` strips: Unicode white space
/// plus the four ASCII separators U+001C..U+001F.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `GitIgnoreSpecPattern.pattern_to_regex`: the regex source (in Rust
/// syntax) and whether it includes (excludes the file, `true`) or negates;
/// `None` for a no-op pattern.
fn pattern_to_regex(pattern: &str) -> Result<Option<(String, bool)>, PatternProblem> {
    // Trailing white space is dropped unless the pattern ends in an escaped
    // space; leading white space is kept.
    let pattern = if pattern.ends_with("\\ ") {
        pattern
    } else {
        pattern.trim_end_matches(is_python_space)
    };
    if pattern.is_empty() || pattern.starts_with('#') || pattern == "/" {
        return Ok(None);
    }
    let (pattern, include) = match pattern.strip_prefix('!') {
        Some(rest) => (rest, false),
        None => (pattern, true),
    };
    let mut segs: Vec<&str> = pattern.split('/').collect();
    let is_dir_pattern = segs.last().is_some_and(|s| s.is_empty());

    // __normalize_segments
    if segs.first().is_some_and(|s| s.is_empty()) {
        segs.remove(0);
    } else if (segs.len() == 1 || (segs.len() == 2 && segs[1].is_empty()))
        && segs.first() != Some(&"**")
    {
        segs.insert(0, "**");
    }
    if segs.is_empty() {
        return Err(PatternProblem::Empty);
    }
    if let Some(last) = segs.last_mut()
        && last.is_empty()
    {
        *last = "**";
    }
    let mut i = segs.len() - 1;
    while i > 0 {
        if segs[i - 1] == "**" && segs[i] == "**" {
            segs.remove(i);
        }
        i -= 1;
    }
    let dir_mark_cg = format!("(?P<{DIR_MARK}>/)");
    match segs.as_slice() {
        ["**"] => {
            let regex = if is_dir_pattern {
                dir_mark_cg
            } else {
                ".".to_owned()
            };
            return Ok(Some((regex, include)));
        }
        ["**", "*"] => return Ok(Some((".".to_owned(), include))),
        ["**", "*", "**"] => {
            let regex = if is_dir_pattern {
                dir_mark_cg
            } else {
                "/".to_owned()
            };
            return Ok(Some((regex, include)));
        }
        _ => {}
    }

    // __translate_segments
    let mut out = String::new();
    let mut need_slash = false;
    let end = segs.len() - 1;
    for (i, seg) in segs.iter().enumerate() {
        if *seg == "**" {
            if i == 0 {
                out.push_str("^(?:.+/)?");
            } else if i < end {
                out.push_str("(?:/.+)?");
                need_slash = true;
            } else if is_dir_pattern {
                out.push_str(&dir_mark_cg);
            } else {
                out.push('/');
            }
        } else {
            if i == 0 {
                out.push('^');
            }
            if need_slash {
                out.push('/');
            }
            if *seg == "*" {
                out.push_str("[^/]+");
            } else {
                match translate_segment_glob(seg)? {
                    Some(glob) => out.push_str(&glob),
                    // An unclosed `[`: git, and so pathspec, discards the pattern.
                    None => return Ok(None),
                }
            }
            if i == end {
                // Python's `$` also matches before a final newline.
                out.push_str(&format!("(?:{dir_mark_cg}|\\n?\\z)"));
            }
            need_slash = true;
        }
    }
    Ok(Some((out, include)))
}

/// `_translate_segment_glob(pattern, "raise")`; `Ok(None)` stands for the
/// range error that makes pathspec discard the whole pattern.
fn translate_segment_glob(pattern: &str) -> Result<Option<String>, PatternProblem> {
    let chars: Vec<char> = pattern.chars().collect();
    let end = chars.len();
    let mut regex = String::new();
    let mut escape = false;
    let mut i = 0;
    while i < end {
        let c = chars[i];
        i += 1;
        if escape {
            escape = false;
            regex.push_str(&regex::escape(c.encode_utf8(&mut [0; 4])));
        } else if c == '\\' {
            escape = true;
        } else if c == '*' {
            regex.push_str("[^/]*");
        } else if c == '?' {
            regex.push_str("[^/]");
        } else if c == '[' {
            let mut j = i;
            if j < end && (chars[j] == '!' || chars[j] == '^') {
                j += 1;
            }
            if j < end && chars[j] == ']' {
                j += 1;
            }
            while j < end && chars[j] != ']' {
                j += 1;
            }
            if j >= end {
                return Ok(None);
            }
            j += 1;
            let negate = chars[i] == '!' || chars[i] == '^';
            if negate {
                i += 1;
            }
            regex.push_str(&bracket_class(negate, &chars[i..j])?);
            i = j;
        } else {
            regex.push_str(&regex::escape(c.encode_utf8(&mut [0; 4])));
        }
    }
    if escape {
        return Err(PatternProblem::TrailingEscape);
    }
    Ok(Some(regex))
}

/// Parses a bracket expression's body (everything after `[` and the
/// negation, up to and including the closing `]`) the way Python's `re`
/// parses it once pathspec has doubled every backslash: every character is
/// a literal, `a-z` is a range, a `]` first or right after `-` is literal.
/// Returns an equivalent Rust character class.
fn bracket_class(negate: bool, body: &[char]) -> Result<String, PatternProblem> {
    fn lit(c: char) -> String {
        format!("\\x{{{:x}}}", u32::from(c))
    }
    let mut items: Vec<String> = Vec::new();
    let mut k = 0;
    while k < body.len() {
        let this = body[k];
        k += 1;
        if this == ']' && !items.is_empty() {
            break;
        }
        if body.get(k) == Some(&'-') {
            k += 1;
            match body.get(k) {
                Some(']') => {
                    items.push(lit(this));
                    items.push(lit('-'));
                    break;
                }
                Some(&that) => {
                    k += 1;
                    if that < this {
                        return Err(PatternProblem::BadRange {
                            start: this,
                            end: that,
                        });
                    }
                    items.push(format!("{}-{}", lit(this), lit(that)));
                }
                // Cannot happen: the body always ends with `]`.
                None => {
                    items.push(lit(this));
                    items.push(lit('-'));
                    break;
                }
            }
        } else {
            items.push(lit(this));
        }
    }
    Ok(format!(
        "[{}{}]",
        if negate { "^" } else { "" },
        items.concat()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(patterns: &[&str], path: &str) -> bool {
        ExcludeSet::new(patterns).unwrap().is_excluded(path)
    }

    #[test]
    fn defaults_exclude_links_git_and_backups() {
        let set = ExcludeSet::defaults();
        assert!(set.is_excluded("foo.link"));
        assert!(set.is_excluded("a/.foo.1234abcd.link-unfinished"));
        assert!(set.is_excluded(".git"));
        assert!(set.is_excluded("sub/.git/config"));
        assert!(set.is_excluded("x.pyc"));
        assert!(set.is_excluded("notes~"));
        assert!(!set.is_excluded("src/main.rs"));
        assert!(!set.is_excluded(".gitignore"));
        assert!(!set.is_excluded("."));
    }

    #[test]
    fn directory_patterns_match_below_not_the_directory() {
        assert!(!excluded(&["build/"], "build"));
        assert!(excluded(&["build/"], "build/x"));
        assert!(excluded(&["build/", "!build/keep"], "build/x"));
        assert!(!excluded(&["build/", "!build/keep"], "build/keep"));
    }

    #[test]
    fn malformed_patterns_are_typed_errors() {
        assert!(matches!(
            ExcludeSet::new(["foo\\"]),
            Err(Error::ExcludePattern {
                problem: PatternProblem::TrailingEscape,
                ..
            })
        ));
        assert!(matches!(
            ExcludeSet::new(["[z-a]"]),
            Err(Error::ExcludePattern {
                problem: PatternProblem::BadRange {
                    start: 'z',
                    end: 'a'
                },
                ..
            })
        ));
        assert!(matches!(
            ExcludeSet::new(["!"]),
            Err(Error::ExcludePattern {
                problem: PatternProblem::Empty,
                ..
            })
        ));
    }

    #[test]
    fn unclosed_bracket_discards_the_pattern() {
        let set = ExcludeSet::new(["a[b", "# comment", "", "/"]).unwrap();
        assert!(set.is_empty());
        assert!(!set.is_excluded("a[b"));
    }
}
