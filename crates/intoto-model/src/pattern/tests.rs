//! Tests of fnmatch patterns: CPython 3.11 `fnmatchcase` semantics.

use proptest::prelude::*;

use super::*;

fn m(pattern: &str, name: &str) -> bool {
    ArtifactPattern::new(pattern).matches(name)
}

#[test]
fn star_crosses_separators_and_dots() {
    assert!(m("*.py", "a/b/c.py"));
    assert!(m("*", ".hidden"));
    assert!(m("*", ""));
    assert!(m("**/*.py", "a/b.py"));
    assert!(!m("**/*.py", "b.py"));
    assert!(m("src/*", "src/a/b"));
    assert!(m("a*a", "aa"));
    assert!(!m("a*a", "a"));
}

#[test]
fn question_mark_is_any_one_character() {
    assert!(m("?", "/"));
    assert!(m("?", "\n"));
    assert!(m("?", "é"));
    assert!(!m("?", ""));
    assert!(!m("?", "ab"));
}

#[test]
fn brackets_follow_cpython() {
    assert!(m("[^a]", "^"));
    assert!(!m("[^a]", "b"));
    assert!(m("[!a]", "b"));
    assert!(m("[]]", "]"));
    assert!(m("[!]]", "a"));
    assert!(!m("[!]]", "]"));
    assert!(m("[a-]", "-"));
    assert!(!m("[z-a]", "m"));
    assert!(m("[!z-a]", "m"));
    assert!(m("[", "["));
    assert!(m("a[^]b", "a^b"), "`[^]` is a class holding `^`");
    assert!(!m("a[^]b", "a[^]b"));
    assert!(m("[[:alpha:]]", ":]"));
    assert!(!m("[[:alpha:]]", "x"));
    assert!(m("[a&&b]", "&"));
    assert!(m("[b-a!x]", "y"), "a dropped range can expose a `!`");
    assert!(!m("[b-a!x]", "x"));
}

#[test]
fn backslash_and_braces_are_literal() {
    assert!(m("\\*", "\\abc"));
    assert!(m("{a,b}", "{a,b}"));
    assert!(!m("{a,b}", "a"));
}

#[test]
fn fast_paths_report_literals_and_prefixes() {
    assert_eq!(ArtifactPattern::new("foo.py").as_literal(), Some("foo.py"));
    assert_eq!(ArtifactPattern::new("foo*").as_literal(), None);
    assert_eq!(ArtifactPattern::new("src/*.py").literal_prefix(), "src/");
    assert_eq!(ArtifactPattern::new("[a]bc").literal_prefix(), "");
    assert_eq!(ArtifactPattern::new("ab[").literal_prefix(), "ab[");
}

#[test]
fn translate_matches_cpython_text() {
    assert_eq!(translate("*.py"), r"(?s:.*\.py)\Z");
    assert_eq!(translate("a*b*c"), r"(?s:a(?>.*?b).*c)\Z");
    assert_eq!(translate("[!a-c]"), r"(?s:[^a-c])\Z");
    assert_eq!(translate("[z-a]"), r"(?s:(?!))\Z");
}

/// Every piece-by-piece match equals the `regex` match.
fn agree(pattern: &str, name: &str) -> bool {
    let pat = ArtifactPattern::new(pattern);
    match_pieces(&pieces(pattern), name) == pat.matches(name)
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_input(pattern in any::<String>(), name in any::<String>()) {
        let pat = ArtifactPattern::new(&pattern);
        let _ = pat.matches(&name);
        let _ = translate(&pattern);
        prop_assert!(pattern.starts_with(pat.literal_prefix()));
    }

    #[test]
    fn regex_and_direct_matching_agree(
        pattern in "[-\\[\\]!^*?ab\\\\/é]{0,8}",
        name in "[-\\[\\]!^ab\\\\/é]{0,6}",
    ) {
        prop_assert!(agree(&pattern, &name), "pattern {pattern:?} name {name:?}");
    }

    #[test]
    fn matching_after_a_known_prefix_agrees(
        pattern in "[-\\[\\]!*?ab/é]{0,8}",
        rest in "[-\\[\\]!ab/é]{0,6}",
    ) {
        let pat = ArtifactPattern::new(&pattern);
        let name = format!("{}{rest}", pat.literal_prefix());
        prop_assert_eq!(pat.matches_rest(&name), pat.matches(&name));
    }

    #[test]
    fn a_pattern_without_metacharacters_matches_itself(name in "[^*?\\[]{0,12}") {
        prop_assert!(m(&name, &name));
    }
}
