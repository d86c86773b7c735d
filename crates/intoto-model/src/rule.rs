//! Artifact rules (spec §4.3.3), parsed when a layout is read.
//!
//! Keywords are matched case-insensitively, as the reference does, and
//! patterns keep their case:
//!
//! ```text
//! MATCH <pattern> [IN <source-prefix>] WITH (MATERIALS|PRODUCTS) [IN <destination-prefix>] FROM <step>
//! CREATE <pattern> | DELETE <pattern> | MODIFY <pattern>
//! ALLOW <pattern>  | DISALLOW <pattern> | REQUIRE <artifact-name>
//! ```

use std::fmt;

use serde_json::Value;

use crate::pattern::ArtifactPattern;

/// Which artifacts of a link a rule or a MATCH destination refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArtifactType {
    /// The link's `materials`.
    Materials,
    /// The link's `products`.
    Products,
}

impl ArtifactType {
    /// The keyword, upper case.
    pub fn keyword(self) -> &'static str {
        match self {
            ArtifactType::Materials => "MATERIALS",
            ArtifactType::Products => "PRODUCTS",
        }
    }

    /// The field name in a link and in a step (`materials`, `products`).
    pub fn field(self) -> &'static str {
        match self {
            ArtifactType::Materials => "materials",
            ArtifactType::Products => "products",
        }
    }
}

impl fmt::Display for ArtifactType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

/// `MATCH <pattern> [IN <source_prefix>] WITH <dest_type> [IN <dest_prefix>] FROM <dest_step>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct MatchRule {
    /// The pattern, matched against artifact names with the source prefix removed.
    pub pattern: ArtifactPattern,
    /// The source prefix; empty when the rule has no `IN` before `WITH`.
    pub source_prefix: String,
    /// Whether the destination is the other step's materials or products.
    pub dest_type: ArtifactType,
    /// The destination prefix; empty when the rule has no `IN` after `WITH`.
    pub dest_prefix: String,
    /// The step or inspection whose link is the destination.
    pub dest_step: String,
}

/// One artifact rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ArtifactRule {
    /// Artifacts whose digests equal those of another step's artifacts.
    Match(MatchRule),
    /// Products that are not materials.
    Create(ArtifactPattern),
    /// Materials that are not products.
    Delete(ArtifactPattern),
    /// Artifacts that are both materials and products, with different digests.
    Modify(ArtifactPattern),
    /// Artifacts that may be present.
    Allow(ArtifactPattern),
    /// Artifacts that must not be present (among those no earlier rule consumed).
    Disallow(ArtifactPattern),
    /// An artifact name (not a pattern) that must be present.
    Require(String),
}

/// Why an artifact rule does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// The rule is not a list of strings.
    #[error("a rule must be a list of strings")]
    NotStrings,
    /// The first word is not a rule keyword, or there is no pattern.
    #[error(
        "a rule must start with MATCH, CREATE, DELETE, MODIFY, ALLOW, DISALLOW or REQUIRE followed by a pattern"
    )]
    UnknownKeyword,
    /// A rule other than MATCH with other than one pattern.
    #[error("{keyword} takes exactly one pattern: `{keyword} <pattern>`")]
    GenericArity {
        /// The rule keyword.
        keyword: &'static str,
    },
    /// A MATCH rule that is not in one of its four shapes.
    #[error(
        "MATCH must read `MATCH <pattern> [IN <source-prefix>] WITH (MATERIALS|PRODUCTS) [IN <destination-prefix>] FROM <step>`"
    )]
    MatchShape,
    /// A MATCH destination other than MATERIALS or PRODUCTS.
    #[error("MATCH must be WITH MATERIALS or WITH PRODUCTS, not {found:?}")]
    MatchDestination {
        /// The word found.
        found: String,
    },
}

impl ArtifactRule {
    /// Parses a rule given as its words.
    ///
    /// # Errors
    ///
    /// [`RuleError`] when the words do not form a rule.
    pub fn parse<S: AsRef<str>>(words: &[S]) -> Result<Self, RuleError> {
        let words: Vec<&str> = words.iter().map(AsRef::as_ref).collect();
        // Python's `str.lower()`, which these keywords are compared with.
        let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
        if words.len() < 2 {
            return Err(RuleError::UnknownKeyword);
        }
        let generic = |keyword: &'static str, make: fn(ArtifactPattern) -> ArtifactRule| {
            if words.len() == 2 {
                Ok(make(ArtifactPattern::new(words[1])))
            } else {
                Err(RuleError::GenericArity { keyword })
            }
        };
        match lower[0].as_str() {
            "create" => generic("CREATE", ArtifactRule::Create),
            "delete" => generic("DELETE", ArtifactRule::Delete),
            "modify" => generic("MODIFY", ArtifactRule::Modify),
            "allow" => generic("ALLOW", ArtifactRule::Allow),
            "disallow" => generic("DISALLOW", ArtifactRule::Disallow),
            "require" if words.len() == 2 => Ok(ArtifactRule::Require(words[1].to_owned())),
            "require" => Err(RuleError::GenericArity { keyword: "REQUIRE" }),
            "match" => parse_match(&words, &lower).map(ArtifactRule::Match),
            _ => Err(RuleError::UnknownKeyword),
        }
    }

    /// Reads a rule from its JSON form, a list of strings.
    ///
    /// # Errors
    ///
    /// [`RuleError`] when the value is not a list of strings or not a rule.
    pub fn from_value(value: &Value) -> Result<Self, RuleError> {
        let Value::Array(items) = value else {
            return Err(RuleError::NotStrings);
        };
        let words = items
            .iter()
            .map(|v| v.as_str().ok_or(RuleError::NotStrings))
            .collect::<Result<Vec<&str>, RuleError>>()?;
        Self::parse(&words)
    }

    /// The rule's words, keywords in upper case.
    pub fn to_words(&self) -> Vec<String> {
        let (keyword, pattern) = match self {
            ArtifactRule::Match(m) => {
                let mut words = vec!["MATCH".to_owned(), m.pattern.as_str().to_owned()];
                if !m.source_prefix.is_empty() {
                    words.extend(["IN".to_owned(), m.source_prefix.clone()]);
                }
                words.extend(["WITH".to_owned(), m.dest_type.keyword().to_owned()]);
                if !m.dest_prefix.is_empty() {
                    words.extend(["IN".to_owned(), m.dest_prefix.clone()]);
                }
                words.extend(["FROM".to_owned(), m.dest_step.clone()]);
                return words;
            }
            ArtifactRule::Create(p) => ("CREATE", p.as_str()),
            ArtifactRule::Delete(p) => ("DELETE", p.as_str()),
            ArtifactRule::Modify(p) => ("MODIFY", p.as_str()),
            ArtifactRule::Allow(p) => ("ALLOW", p.as_str()),
            ArtifactRule::Disallow(p) => ("DISALLOW", p.as_str()),
            ArtifactRule::Require(name) => ("REQUIRE", name.as_str()),
        };
        vec![keyword.to_owned(), pattern.to_owned()]
    }

    /// The JSON form, a list of strings.
    pub fn to_value(&self) -> Value {
        Value::Array(self.to_words().into_iter().map(Value::String).collect())
    }

    /// The rule keyword, upper case.
    pub fn keyword(&self) -> &'static str {
        match self {
            ArtifactRule::Match(_) => "MATCH",
            ArtifactRule::Create(_) => "CREATE",
            ArtifactRule::Delete(_) => "DELETE",
            ArtifactRule::Modify(_) => "MODIFY",
            ArtifactRule::Allow(_) => "ALLOW",
            ArtifactRule::Disallow(_) => "DISALLOW",
            ArtifactRule::Require(_) => "REQUIRE",
        }
    }

    /// The rule's pattern (for REQUIRE, the artifact name).
    pub fn pattern(&self) -> &str {
        match self {
            ArtifactRule::Match(m) => m.pattern.as_str(),
            ArtifactRule::Create(p)
            | ArtifactRule::Delete(p)
            | ArtifactRule::Modify(p)
            | ArtifactRule::Allow(p)
            | ArtifactRule::Disallow(p) => p.as_str(),
            ArtifactRule::Require(name) => name,
        }
    }
}

fn parse_match(words: &[&str], lower: &[String]) -> Result<MatchRule, RuleError> {
    let kw = |i: usize, expected: &str| lower.get(i).is_some_and(|w| w == expected);
    let (source_prefix, dest_type, dest_prefix, dest_step) = match words.len() {
        10 if kw(2, "in") && kw(4, "with") && kw(6, "in") && kw(8, "from") => {
            (words[3], 5, words[7], words[9])
        }
        8 if kw(2, "in") && kw(4, "with") && kw(6, "from") => (words[3], 5, "", words[7]),
        8 if kw(2, "with") && kw(4, "in") && kw(6, "from") => ("", 3, words[5], words[7]),
        6 if kw(2, "with") && kw(4, "from") => ("", 3, "", words[5]),
        _ => return Err(RuleError::MatchShape),
    };
    let dest_type = match lower[dest_type].as_str() {
        "materials" => ArtifactType::Materials,
        "products" => ArtifactType::Products,
        _ => {
            return Err(RuleError::MatchDestination {
                found: words[dest_type].to_owned(),
            });
        }
    };
    Ok(MatchRule {
        pattern: ArtifactPattern::new(words[1]),
        source_prefix: source_prefix.to_owned(),
        dest_type,
        dest_prefix: dest_prefix.to_owned(),
        dest_step: dest_step.to_owned(),
    })
}

impl fmt::Display for ArtifactRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, word) in self.to_words().iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            if word.is_empty() || word.contains(char::is_whitespace) || word.contains(['"', '\'']) {
                write!(f, "{word:?}")?;
            } else {
                f.write_str(word)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn keywords_are_case_insensitive_and_patterns_keep_case() {
        let r = ArtifactRule::parse(&[
            "mAtCh", "Foo*", "in", "Src", "With", "products", "IN", "Dst", "from", "Build",
        ])
        .unwrap();
        assert_eq!(
            r,
            ArtifactRule::Match(MatchRule {
                pattern: "Foo*".into(),
                source_prefix: "Src".into(),
                dest_type: ArtifactType::Products,
                dest_prefix: "Dst".into(),
                dest_step: "Build".into(),
            })
        );
        assert_eq!(
            ArtifactRule::parse(&["disallow", "*"]).unwrap(),
            ArtifactRule::Disallow("*".into())
        );
    }

    #[test]
    fn all_four_match_shapes_parse() {
        for words in [
            vec!["MATCH", "p", "WITH", "MATERIALS", "FROM", "s"],
            vec!["MATCH", "p", "IN", "a", "WITH", "MATERIALS", "FROM", "s"],
            vec!["MATCH", "p", "WITH", "MATERIALS", "IN", "b", "FROM", "s"],
            vec![
                "MATCH",
                "p",
                "IN",
                "a",
                "WITH",
                "MATERIALS",
                "IN",
                "b",
                "FROM",
                "s",
            ],
        ] {
            let rule = ArtifactRule::parse(&words).unwrap();
            assert_eq!(rule.to_words(), words, "round trip of {words:?}");
        }
    }

    #[test]
    fn malformed_rules_say_why() {
        assert!(matches!(
            ArtifactRule::parse(&["MATCH"]),
            Err(RuleError::UnknownKeyword)
        ));
        assert!(matches!(
            ArtifactRule::parse(&["FOO", "x"]),
            Err(RuleError::UnknownKeyword)
        ));
        assert!(matches!(
            ArtifactRule::parse(&["CREATE", "a", "b"]),
            Err(RuleError::GenericArity { keyword: "CREATE" })
        ));
        assert!(matches!(
            ArtifactRule::parse(&["MATCH", "p", "WITH", "MATERIALS", "FROM"]),
            Err(RuleError::MatchShape)
        ));
        assert!(matches!(
            ArtifactRule::parse(&["MATCH", "p", "WITH", "THINGS", "FROM", "s"]),
            Err(RuleError::MatchDestination { .. })
        ));
        assert!(matches!(
            ArtifactRule::from_value(&serde_json::json!(["CREATE", 1])),
            Err(RuleError::NotStrings)
        ));
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_round_trips(words in prop::collection::vec(prop_oneof![
            Just("MATCH".to_owned()), Just("in".to_owned()), Just("WITH".to_owned()),
            Just("products".to_owned()), Just("FROM".to_owned()), Just("create".to_owned()), ".{0,4}"
        ], 0..11)) {
            if let Ok(rule) = ArtifactRule::parse(&words) {
                let again = ArtifactRule::parse(&rule.to_words()).unwrap();
                prop_assert_eq!(again, rule);
            }
        }
    }
}
