//! Artifact patterns with exactly the semantics of CPython 3.11
//! `fnmatch.fnmatchcase`, which the reference uses for every artifact rule.
//!
//! The translation is a port of `fnmatch.translate`, piece by piece, so that
//! every quirk is kept:
//!
//! - `*` matches any run of characters, `/` included; `**` is just two stars.
//! - `?` matches any one character, `/` and newline included.
//! - `[seq]` and `[!seq]`; `^` is a literal inside brackets; `[]a]` holds `]`;
//!   an unclosed `[` is a literal; a backslash is an ordinary character.
//! - Ranges follow CPython: a reversed range such as `z-a` is dropped (so
//!   `[z-a]` never matches and `[!z-a]` matches any character), a `-` at
//!   either end is literal, and the regular expression text CPython builds is
//!   read back the way `re` reads it.
//! - The whole name must match (`(?s:...)\Z`).
//!
//! Python turns the bracket expression into regular-expression text and lets
//! `re` parse it. Rust's `regex` reads classes differently (nested classes,
//! `[:alpha:]`, `&&`), so [`translate`] keeps CPython's text for reference and
//! the class is re-read with a port of `re`'s class parser into explicit
//! character ranges, which are then written for `regex` with every character
//! escaped.
//!
//! Simple shapes skip the regular expression altogether: a pattern without
//! metacharacters is compared for equality, `*` matches everything, and
//! `prefix*`, `*suffix` and `prefix*suffix` are string tests.

use std::fmt;
use std::str::FromStr;

/// An artifact pattern (spec §4.3.3), compiled once when its rule is
/// parsed: CPython `fnmatch.fnmatchcase` semantics.
///
/// Compiling never fails: every string is a pattern, as in the reference.
/// Two patterns are equal when they are written the same.
///
/// ```
/// use intoto_model::ArtifactPattern;
///
/// let py = ArtifactPattern::new("*.py");
/// assert!(py.matches("src/pkg/mod.py")); // `*` crosses `/`
/// assert!(!py.matches("setup.pyc"));
/// assert!(ArtifactPattern::new("[^a]").matches("^")); // `^` is literal in brackets
/// assert!(ArtifactPattern::new("a[").matches("a[")); // an unclosed `[` is literal
/// ```
#[derive(Debug, Clone)]
pub struct ArtifactPattern {
    source: String,
    matcher: Matcher,
    /// Length in bytes of the literal text every match starts with.
    prefix_len: usize,
}

#[derive(Debug, Clone)]
enum Matcher {
    /// No metacharacters: the name must equal the pattern.
    Literal,
    /// `*`: every name.
    Everything,
    /// A pattern that can never match, such as `[z-a]`.
    Nothing,
    /// `<prefix>*<suffix>` (either may be empty).
    Affixes { prefix: String, suffix: String },
    /// The general case.
    Regex(regex::Regex),
    /// Direct matching over the pieces, used only if `regex` refuses the
    /// translation (for instance beyond its size limit).
    Pieces(Vec<Piece>),
}

/// One element of a translated pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// `*`, consecutive stars folded into one.
    Star,
    /// One literal character.
    Literal(char),
    /// `?`, or `[!...]` that excludes nothing: any one character.
    AnyChar,
    /// A bracket expression.
    Class(CharClass),
    /// A bracket expression that can match nothing (`(?!)` in CPython).
    Never,
}

/// A bracket expression as `re` reads CPython's translation of it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CharClass {
    negated: bool,
    /// Inclusive ranges; a single character is a range of one.
    ranges: Vec<(char, char)>,
    /// The regular-expression text CPython emits, `[...]`.
    python: String,
}

impl ArtifactPattern {
    /// Compiles `pattern`.
    pub fn new(pattern: &str) -> Self {
        let pieces = pieces(pattern);
        let prefix: String = pieces
            .iter()
            .map_while(|p| match p {
                Piece::Literal(c) => Some(*c),
                _ => None,
            })
            .collect();
        let prefix_len = prefix.len();
        let matcher = if pieces.contains(&Piece::Never) {
            Matcher::Nothing
        } else if let Some(matcher) = affix_matcher(&pieces) {
            matcher
        } else {
            match regex::Regex::new(&rust_regex(&pieces)) {
                Ok(re) => Matcher::Regex(re),
                Err(err) => {
                    tracing::debug!(
                        pattern = pattern,
                        error = %err,
                        "regex refused the pattern; matching it piece by piece"
                    );
                    Matcher::Pieces(pieces)
                }
            }
        };
        Self {
            source: pattern.to_owned(),
            matcher,
            prefix_len,
        }
    }

    /// Whether `name` matches the whole pattern (`fnmatch.fnmatchcase`).
    pub fn matches(&self, name: &str) -> bool {
        match &self.matcher {
            Matcher::Literal => name == self.source,
            Matcher::Everything => true,
            Matcher::Nothing => false,
            Matcher::Affixes { prefix, suffix } => {
                name.len() >= prefix.len() + suffix.len()
                    && name.starts_with(prefix.as_str())
                    && name.ends_with(suffix.as_str())
            }
            Matcher::Regex(re) => re.is_match(name),
            Matcher::Pieces(pieces) => match_pieces(pieces, name),
        }
    }

    /// [`ArtifactPattern::matches`] for a `name` known to start with
    /// [`ArtifactPattern::literal_prefix`] (as names from a prefix scan of a sorted
    /// list do): the prefix is not compared again.
    pub fn matches_rest(&self, name: &str) -> bool {
        match &self.matcher {
            // A prefix pattern (`src/*`): every such name matches.
            Matcher::Affixes { suffix, .. } if suffix.is_empty() => true,
            Matcher::Affixes { prefix, suffix } => {
                name.len() >= prefix.len() + suffix.len() && name.ends_with(suffix.as_str())
            }
            _ => self.matches(name),
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The pattern itself when it has no metacharacters, so that it matches
    /// exactly one name.
    pub fn as_literal(&self) -> Option<&str> {
        match self.matcher {
            Matcher::Literal => Some(&self.source),
            _ => None,
        }
    }

    /// The literal text every matching name starts with (possibly empty).
    ///
    /// Callers holding names in sorted order can restrict a scan to the
    /// names with this prefix.
    pub fn literal_prefix(&self) -> &str {
        // The pieces before the first metacharacter are the pattern's own
        // characters, unescaped, so this is a prefix of the source.
        self.source.get(..self.prefix_len).unwrap_or("")
    }
}

impl fmt::Display for ArtifactPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl FromStr for ArtifactPattern {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(s))
    }
}

impl From<&str> for ArtifactPattern {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl PartialEq for ArtifactPattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for ArtifactPattern {}

impl std::hash::Hash for ArtifactPattern {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.source.hash(state);
    }
}

impl From<String> for ArtifactPattern {
    fn from(s: String) -> Self {
        Self::new(&s)
    }
}

/// The regular expression CPython 3.11 `fnmatch.translate` returns for
/// `pattern`, character for character.
///
/// This is for tests and diagnostics; [`ArtifactPattern`] does not use this text
/// (Rust's `regex` reads bracket expressions differently).
pub fn translate(pattern: &str) -> String {
    let pieces = pieces(pattern);
    let text = |p: &Piece| -> String {
        match p {
            Piece::Star => String::new(),
            Piece::Literal(c) => python_escape(*c),
            Piece::AnyChar => ".".to_owned(),
            Piece::Class(class) => class.python.clone(),
            Piece::Never => "(?!)".to_owned(),
        }
    };
    // The second half of `fnmatch.translate`: fixed pieces at the start, then
    // `STAR fixed` pairs as atomic minimal matches, and a final `.*fixed`.
    let mut res = String::new();
    let n = pieces.len();
    let mut i = 0;
    while i < n && pieces[i] != Piece::Star {
        res.push_str(&text(&pieces[i]));
        i += 1;
    }
    while i < n {
        // `pieces[i]` is a star here.
        i += 1;
        if i == n {
            res.push_str(".*");
            break;
        }
        let mut fixed = String::new();
        while i < n && pieces[i] != Piece::Star {
            fixed.push_str(&text(&pieces[i]));
            i += 1;
        }
        if i == n {
            res.push_str(".*");
            res.push_str(&fixed);
        } else {
            res.push_str("(?>.*?");
            res.push_str(&fixed);
            res.push(')');
        }
    }
    format!("(?s:{res})\\Z")
}

/// The first half of `fnmatch.translate`: the pattern as pieces.
fn pieces(pattern: &str) -> Vec<Piece> {
    let pat: Vec<char> = pattern.chars().collect();
    let n = pat.len();
    let mut res = Vec::new();
    let mut i = 0;
    while i < n {
        let c = pat[i];
        i += 1;
        match c {
            '*' => {
                if res.last() != Some(&Piece::Star) {
                    res.push(Piece::Star);
                }
            }
            '?' => res.push(Piece::AnyChar),
            '[' => {
                let mut j = i;
                if j < n && pat[j] == '!' {
                    j += 1;
                }
                if j < n && pat[j] == ']' {
                    j += 1;
                }
                while j < n && pat[j] != ']' {
                    j += 1;
                }
                if j >= n {
                    res.push(Piece::Literal('['));
                } else {
                    res.push(bracket(&pat, i, j));
                    i = j + 1;
                }
            }
            _ => res.push(Piece::Literal(c)),
        }
    }
    res
}

/// Translates the bracket expression `pat[i..j]` (between `[` and `]`) the
/// way `fnmatch.translate` does, then reads it back as `re` would.
fn bracket(pat: &[char], i: usize, j: usize) -> Piece {
    let inner = &pat[i..j];
    let mut stuff = if inner.contains(&'-') {
        range_chunks(pat, i, j)
    } else {
        inner
            .iter()
            .flat_map(|&c| escape_backslash(c, false))
            .collect()
    };
    // Escape set operations (`&&`, `~~`, `||`).
    stuff = stuff
        .chars()
        .flat_map(|c| {
            let esc = matches!(c, '&' | '~' | '|').then_some('\\');
            esc.into_iter().chain(std::iter::once(c))
        })
        .collect();
    if stuff.is_empty() {
        return Piece::Never;
    }
    if stuff == "!" {
        return Piece::AnyChar;
    }
    if let Some(rest) = stuff.strip_prefix('!') {
        stuff = format!("^{rest}");
    } else if stuff.starts_with(['^', '[']) {
        stuff = format!("\\{stuff}");
    }
    let python = format!("[{stuff}]");
    let (negated, ranges) = read_class(&python);
    if ranges.is_empty() {
        // Not reachable from `translate`'s output; kept total.
        return if negated {
            Piece::AnyChar
        } else {
            Piece::Never
        };
    }
    Piece::Class(CharClass {
        negated,
        ranges,
        python,
    })
}

/// The `'-' in stuff` branch of `fnmatch.translate`: split on the hyphens
/// that make ranges, drop empty ranges, escape, and join.
fn range_chunks(pat: &[char], mut i: usize, j: usize) -> String {
    let find_hyphen = |from: usize| -> Option<usize> {
        pat.get(from..j)?
            .iter()
            .position(|&c| c == '-')
            .map(|p| p + from)
    };
    let mut chunks: Vec<Vec<char>> = Vec::new();
    let mut k = if pat[i] == '!' { i + 2 } else { i + 1 };
    while let Some(hyphen) = find_hyphen(k) {
        chunks.push(pat[i..hyphen].to_vec());
        i = hyphen + 1;
        k = hyphen + 3;
    }
    let chunk = pat[i..j].to_vec();
    if !chunk.is_empty() {
        chunks.push(chunk);
    } else if let Some(last) = chunks.last_mut() {
        last.push('-');
    } else {
        chunks.push(vec!['-']);
    }
    // Remove empty ranges, which are invalid in `re`.
    for k in (1..chunks.len()).rev() {
        let (left, right) = (chunks[k - 1].last(), chunks[k].first());
        if let (Some(l), Some(r)) = (left, right)
            && l > r
        {
            let right = chunks.remove(k);
            let left = &mut chunks[k - 1];
            left.pop();
            left.extend(right.iter().skip(1));
        }
    }
    // Escape backslashes and hyphens for set difference (`--`); hyphens
    // that create ranges are not escaped.
    let mut stuff = String::new();
    for (n, chunk) in chunks.iter().enumerate() {
        if n > 0 {
            stuff.push('-');
        }
        stuff.extend(chunk.iter().flat_map(|&c| escape_backslash(c, true)));
    }
    stuff
}

/// `s.replace('\\', r'\\')`, and with `hyphen` also `.replace('-', r'\-')`,
/// for one character.
fn escape_backslash(c: char, hyphen: bool) -> impl Iterator<Item = char> {
    let esc = (c == '\\' || (hyphen && c == '-')).then_some('\\');
    esc.into_iter().chain(std::iter::once(c))
}

/// Reads `[...]` text produced above as CPython's `re` parser does
/// (`re/_parser.py`, the `"["` branch): `^` negates, `]` first is literal,
/// `\x` is the literal `x`, `a-b` is a range, and a `-` before the closing
/// `]` is literal.
fn read_class(text: &str) -> (bool, Vec<(char, char)>) {
    let chars: Vec<char> = text.chars().collect();
    let mut pos = 1;
    let negated = chars.get(pos) == Some(&'^');
    if negated {
        pos += 1;
    }
    // One token: a character or a backslash escape; `(raw, literal)`.
    let token = |pos: &mut usize| -> Option<(char, char)> {
        let c = *chars.get(*pos)?;
        *pos += 1;
        if c == '\\' {
            let e = *chars.get(*pos)?;
            *pos += 1;
            Some(('\\', e))
        } else {
            Some((c, c))
        }
    };
    let mut ranges = Vec::new();
    let mut items = 0usize;
    while let Some((raw, lo)) = token(&mut pos) {
        if raw == ']' && items > 0 {
            break;
        }
        if chars.get(pos) == Some(&'-') {
            pos += 1;
            let Some((raw_hi, hi)) = token(&mut pos) else {
                break;
            };
            if raw_hi == ']' {
                ranges.push((lo, lo));
                ranges.push(('-', '-'));
                break;
            }
            // `re` rejects a reversed range; `translate` never emits one.
            if lo <= hi {
                ranges.push((lo, hi));
                items += 1;
            }
        } else {
            ranges.push((lo, lo));
            items += 1;
        }
    }
    (negated, ranges)
}

/// CPython 3.11 `re.escape` for one character.
fn python_escape(c: char) -> String {
    if "()[]{}?*+-|^$\\.&~# \t\n\r\u{b}\u{c}".contains(c) {
        format!("\\{c}")
    } else {
        c.to_string()
    }
}

/// The fast paths: a literal, `*`, `prefix*`, `*suffix`, `prefix*suffix`.
fn affix_matcher(pieces: &[Piece]) -> Option<Matcher> {
    let literal = |p: &Piece| match p {
        Piece::Literal(c) => Some(*c),
        _ => None,
    };
    let stars = pieces.iter().filter(|p| **p == Piece::Star).count();
    let others_literal = pieces
        .iter()
        .all(|p| *p == Piece::Star || literal(p).is_some());
    if !others_literal {
        return None;
    }
    match stars {
        0 => Some(Matcher::Literal),
        1 if pieces.len() == 1 => Some(Matcher::Everything),
        1 => {
            let star = pieces.iter().position(|p| *p == Piece::Star)?;
            let prefix = pieces[..star].iter().filter_map(literal).collect();
            let suffix = pieces[star + 1..].iter().filter_map(literal).collect();
            Some(Matcher::Affixes { prefix, suffix })
        }
        _ => None,
    }
}

/// The pattern as a `regex` expression: anchored at both ends, `.` matching
/// newlines, every class character written as `\x{..}`.
///
/// CPython writes an interior `*fixed` as the atomic `(?>.*?fixed)`. Each
/// fixed piece matches exactly one character, so taking the leftmost
/// occurrence never loses a match, and a plain `.*` is equivalent.
fn rust_regex(pieces: &[Piece]) -> String {
    let mut re = String::from(r"(?s)\A");
    for piece in pieces {
        match piece {
            Piece::Star => re.push_str(".*"),
            Piece::Literal(c) => re.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
            Piece::AnyChar => re.push('.'),
            Piece::Never => re.push_str("[^\\x{0}-\\x{10FFFF}]"),
            Piece::Class(class) => {
                re.push('[');
                if class.negated {
                    re.push('^');
                }
                for &(lo, hi) in &class.ranges {
                    re.push_str(&format!("\\x{{{:X}}}", u32::from(lo)));
                    if hi != lo {
                        re.push_str(&format!("-\\x{{{:X}}}", u32::from(hi)));
                    }
                }
                re.push(']');
            }
        }
    }
    re.push_str(r"\z");
    re
}

impl Piece {
    /// Whether a single-character piece accepts `c`.
    fn accepts(&self, c: char) -> bool {
        match self {
            Piece::Literal(l) => *l == c,
            Piece::AnyChar => true,
            Piece::Class(class) => {
                class.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != class.negated
            }
            Piece::Star | Piece::Never => false,
        }
    }
}

/// Glob matching over the pieces, backtracking only to the last star (every
/// other piece matches exactly one character).
fn match_pieces(pieces: &[Piece], name: &str) -> bool {
    let name: Vec<char> = name.chars().collect();
    let (mut p, mut n) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pieces.get(p) {
            Some(Piece::Star) => {
                last_star = Some((p, n));
                p += 1;
                continue;
            }
            Some(piece) if piece.accepts(name[n]) => {
                p += 1;
                n += 1;
                continue;
            }
            _ => {}
        }
        match last_star {
            Some((sp, sn)) => {
                p = sp + 1;
                n = sn + 1;
                last_star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    pieces[p.min(pieces.len())..]
        .iter()
        .all(|piece| *piece == Piece::Star)
}

#[cfg(test)]
mod tests;
