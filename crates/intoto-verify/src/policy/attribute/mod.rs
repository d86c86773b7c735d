//! `expectedAttributes` rules (ITE-10/ITE-11): CEL expressions over an
//! attestation's `predicate`, `predicateType` and `subject`.
//!
//! A rule is compiled once ([`CompiledRule::compile`]) and evaluated for
//! many attestations ([`CompiledRule::evaluate`], or
//! [`CompiledRule::evaluate_input`] with an [`AttributeInput`] converted once
//! for all the rules of a step). The language is standard CEL with the
//! standard macros (`has`, `all`, `exists`, `exists_one`, `map`, `filter`)
//! and functions (`size`, `in`, `contains`, `startsWith`, `endsWith`,
//! `matches`, conversions), as the `cel` crate implements them.
//!
//! # Parameters
//!
//! `{name}`, where `name` is an identifier (`[A-Za-z_][A-Za-z0-9_]*`), is
//! replaced by the value of parameter `name`, inserted as it is (values are
//! not scanned again for placeholders, and are not quoted: a layout writes
//! `'{name}'` for a string). A placeholder without a parameter is an error.
//! Any other brace is left alone, so map literals (`{'a': 1}`) need no
//! escaping; a literal `{name}` text is written with a CEL escape,
//! `'\x7bname}'`.
//!
//! A rule's `debug` text has the parameters it names substituted too; other
//! braces in it, and placeholders without a parameter, are kept as written.
//!
//! # Bounded cost
//!
//! An expression cannot hang the verifier. Before parsing, a rule is at
//! most [`MAX_RULE_BYTES`] long and its brackets nest at most
//! [`MAX_BRACKET_DEPTH`] deep (the parser and the evaluator recurse on
//! nesting; the pre-scan counts brackets inside string literals too, which
//! only makes it stricter). The parser's own recursion limit is kept. After
//! parsing, the syntax tree has at most [`MAX_NODES`] nodes and at most
//! [`MAX_COMPREHENSIONS`] macros (comprehensions).
//!
//! Without macros, evaluation is linear in the size of the expression times
//! the size of the input. A macro runs its body once per element of its
//! range, so the cost is at most `len^c × S^d`, where `S` is the input's
//! size ([`AttributeInput::size`]: its JSON values plus its string bytes),
//! `len` the rule's length, `c` its number of macros (each can enlarge the
//! values it makes by at most the length of its body:
//! `l.map(x, x + x + x)`), and `d` the rule's *degree*: the depth of nested
//! macros, plus one if a macro body refers to a whole input (`predicate`,
//! `subject` or `predicateType`: `l.all(x, x in predicate.l)` is quadratic).
//! When that bound passes [`COST_BUDGET`], the rule is not run for that
//! input and evaluates to [`Outcome::Error`]. A rule with one macro that
//! looks only at its own elements (`predicate.materials.all(m, m.uri !=
//! '')`) costs `len × S` and runs over inputs of any size the caller
//! accepts.
//!
//! The bound is an estimate, not a meter; regular expressions are compiled
//! by the `regex` crate, whose size limit and linear-time matching bound
//! `matches`.
//!
//! # Outcomes
//!
//! A field that is absent (CEL's "no such key") gives [`Outcome::NoClaim`],
//! or [`Outcome::Skipped`] when the rule has `allow_if_no_claim`. A field
//! that is present with the value `null` is a claim: `predicate.x == 'a'`
//! is simply false. Any other evaluation error (a type mismatch, an
//! overflow, a division by zero, an index out of range, an undeclared
//! variable) is [`Outcome::Error`], and a rule that evaluates to something
//! other than `true` is [`Outcome::Failed`]. With `warn`, a failure is a
//! warning ([`CompiledRule::is_warning`]).
//!
//! The module is pure: no I/O, no clock; the cost bound is computed, not
//! timed.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use cel::{Context, Env, ExecutionError, IdedExpr, Value};

/// The longest rule, in bytes, after parameter substitution.
pub const MAX_RULE_BYTES: usize = 4096;

/// How deep `(`, `[` and `{` may nest in a rule.
pub const MAX_BRACKET_DEPTH: usize = 32;

/// The most syntax-tree nodes a rule may have, macros expanded.
pub const MAX_NODES: usize = 1024;

/// The most macros (`all`, `exists`, `exists_one`, `map`, `filter`; `has` is
/// not a loop) a rule may use.
pub const MAX_COMPREHENSIONS: usize = 4;

/// The largest cost estimate (`len^c × S^d`, see the module documentation) a
/// rule may have for an input: about a second of evaluation at worst.
pub const COST_BUDGET: u128 = 1 << 32;

/// How deep a JSON input may nest to be converted to CEL values.
pub const MAX_INPUT_DEPTH: usize = 128;

/// The variables a rule may refer to.
const VARIABLES: [&str; 3] = ["predicate", "predicateType", "subject"];

/// One `expectedAttributes` entry of a policy step, as written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttributeRule {
    /// The CEL expression, before parameter substitution.
    pub rule: String,
    /// Skip the rule when it fails only because a field it refers to is
    /// absent (`allowIfNoClaim`; `false` by default).
    pub allow_if_no_claim: bool,
    /// A failure of the rule is a warning, not a failure of the policy.
    pub warn: bool,
    /// Shown when the rule fails.
    pub debug: Option<String>,
}

impl AttributeRule {
    /// A rule with the default options: absent fields fail, no warning, no
    /// debug text.
    pub fn new(rule: impl Into<String>) -> Self {
        Self {
            rule: rule.into(),
            ..Self::default()
        }
    }
}

/// Why a rule could not be compiled: an input error of the policy. The
/// caller adds the step; every variant names the rule.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuleError {
    /// The rule has a `{name}` placeholder and no parameter `name`.
    #[error("attribute rule `{rule}`: unknown parameter placeholder `{{{name}}}`")]
    UnknownPlaceholder {
        /// The rule as written.
        rule: String,
        /// The placeholder's name.
        name: String,
    },
    /// The rule is longer than [`MAX_RULE_BYTES`].
    #[error("attribute rule `{rule}`: {len} bytes long, more than the {max} allowed")]
    TooLong {
        /// The rule as written (shortened).
        rule: String,
        /// Its length after substitution.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The rule's brackets nest deeper than [`MAX_BRACKET_DEPTH`].
    #[error("attribute rule `{rule}`: brackets nest deeper than {max}")]
    TooDeep {
        /// The rule after substitution (shortened).
        rule: String,
        /// The limit.
        max: usize,
    },
    /// The rule has more than [`MAX_NODES`] nodes or more than
    /// [`MAX_COMPREHENSIONS`] macros.
    #[error(
        "attribute rule `{rule}`: too complex ({nodes} nodes, {comprehensions} macros; at most {max_nodes} and {max_comprehensions})"
    )]
    TooComplex {
        /// The rule after substitution (shortened).
        rule: String,
        /// Its node count.
        nodes: usize,
        /// Its macro count.
        comprehensions: usize,
        /// The node limit.
        max_nodes: usize,
        /// The macro limit.
        max_comprehensions: usize,
    },
    /// The rule is not a valid CEL expression.
    #[error("attribute rule `{rule}`: invalid CEL expression: {message}")]
    Invalid {
        /// The rule after substitution (shortened).
        rule: String,
        /// The parser's message.
        message: String,
    },
}

/// An attestation input nests deeper than [`MAX_INPUT_DEPTH`].
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
#[error("attestation input nests deeper than {max}")]
pub struct InputTooDeep {
    /// The limit.
    pub max: usize,
}

/// What a rule says of one attestation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The rule evaluated to `true`.
    Passed,
    /// The rule evaluated to `false`, or to something that is not a bool.
    Failed {
        /// What it evaluated to, as CEL-like text (`false`, `"abc"`, `1`).
        value_seen: String,
        /// The fields the rule reads, with their values in the attestation
        /// (`predicate.runDetails.builder.id = "https://…"`, or `… is
        /// absent`), so a failure shows what was there.
        reads: Vec<String>,
    },
    /// The rule failed because a field it refers to is absent, and the rule
    /// does not allow that.
    NoClaim {
        /// The absent field (map key).
        field: String,
    },
    /// The rule failed because a field it refers to is absent, and the rule
    /// has `allow_if_no_claim`.
    Skipped,
    /// Evaluation failed for another reason, or its cost bound was passed.
    Error(String),
}

impl Outcome {
    /// Whether the rule did not hold: [`Outcome::Failed`],
    /// [`Outcome::NoClaim`] or [`Outcome::Error`].
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Self::Failed { .. } | Self::NoClaim { .. } | Self::Error(_)
        )
    }
}

/// A rule ready to evaluate: parameters substituted, bounds checked, parsed.
#[derive(Debug)]
pub struct CompiledRule {
    rule: AttributeRule,
    source: String,
    debug: Option<String>,
    expression: IdedExpr,
    degree: u32,
    comprehensions: u32,
    /// The fields the rule reads outside macro bodies (at most
    /// [`MAX_READS_SHOWN`]), by their path.
    reads: Vec<(String, IdedExpr)>,
    /// Which parts of the input the rule can read.
    needs: Needs,
}

/// How many of the fields a failed rule reads are shown with their values.
pub const MAX_READS_SHOWN: usize = 4;

impl CompiledRule {
    /// Substitutes `params` into `rule`, checks the bounds and parses it.
    ///
    /// # Errors
    ///
    /// [`RuleError`] names the rule: an unknown placeholder, a rule too long,
    /// too deep or too complex, or an invalid expression.
    pub fn compile(
        rule: &AttributeRule,
        params: &BTreeMap<String, String>,
    ) -> Result<Self, RuleError> {
        let source = substitute(&rule.rule, params)?;
        if source.len() > MAX_RULE_BYTES {
            return Err(RuleError::TooLong {
                rule: shorten(&rule.rule),
                len: source.len(),
                max: MAX_RULE_BYTES,
            });
        }
        if bracket_depth(&source) > MAX_BRACKET_DEPTH {
            return Err(RuleError::TooDeep {
                rule: shorten(&source),
                max: MAX_BRACKET_DEPTH,
            });
        }
        let expression = env()
            .parser()
            .parse(&source)
            .map_err(|errors| RuleError::Invalid {
                rule: shorten(&source),
                message: errors.to_string(),
            })?;
        let mut shape = Shape::default();
        shape.visit(&expression, 0, false);
        if shape.nodes > MAX_NODES || shape.comprehensions > MAX_COMPREHENSIONS {
            return Err(RuleError::TooComplex {
                rule: shorten(&source),
                nodes: shape.nodes,
                comprehensions: shape.comprehensions,
                max_nodes: MAX_NODES,
                max_comprehensions: MAX_COMPREHENSIONS,
            });
        }
        let degree = shape.max_nesting + u32::from(shape.open_body);
        let mut reads = Vec::new();
        field_reads(&expression, &mut reads);
        let mut needs = Needs::default();
        Needs::of(&expression, &mut needs);
        Ok(Self {
            rule: rule.clone(),
            source,
            debug: rule
                .debug
                .as_deref()
                .map(|text| substitute_known(text, params)),
            expression,
            degree,
            comprehensions: u32::try_from(shape.comprehensions).unwrap_or(u32::MAX),
            reads,
            needs,
        })
    }

    /// The rule as written.
    pub fn rule(&self) -> &AttributeRule {
        &self.rule
    }

    /// The expression evaluated: the rule with its parameters substituted.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The text to show when the rule fails, its parameters substituted.
    pub fn debug(&self) -> Option<&str> {
        self.debug.as_deref()
    }

    /// Whether `outcome` is a failure that the rule turns into a warning.
    pub fn is_warning(&self, outcome: &Outcome) -> bool {
        self.rule.warn && outcome.is_failure()
    }

    /// The rule's degree in the cost bound: the depth of nested macros, plus
    /// one if a macro body refers to a whole input.
    pub fn degree(&self) -> u32 {
        self.degree
    }

    /// Evaluates the rule over one attestation's predicate type, predicate
    /// and subject list. To evaluate several rules over one attestation,
    /// convert it once with [`AttributeInput::new`] and call
    /// [`CompiledRule::evaluate_input`].
    pub fn evaluate(
        &self,
        predicate_type: &str,
        predicate: &serde_json::Value,
        subject: &serde_json::Value,
    ) -> Outcome {
        match AttributeInput::new(predicate_type, predicate, subject) {
            Ok(input) => self.evaluate_input(&input),
            Err(error) => Outcome::Error(error.to_string()),
        }
    }

    /// Evaluates the rule over a converted attestation.
    pub fn evaluate_input(&self, input: &AttributeInput) -> Outcome {
        let cost = cost_bound(
            self.source.len(),
            self.comprehensions,
            input.size,
            self.degree,
        );
        if cost > COST_BUDGET {
            return Outcome::Error(format!(
                "cost bound exceeded: a rule of {} macros and degree {} over an input of size {} (estimate {cost}, budget {COST_BUDGET})",
                self.comprehensions, self.degree, input.size
            ));
        }
        let mut context = Context::with_env(Arc::clone(env()));
        context.add_variable_from_value("predicateType", input.predicate_type.clone());
        context.add_variable_from_value("predicate", input.predicate.clone());
        context.add_variable_from_value("subject", input.subject.clone());
        match Value::resolve(&self.expression, &context) {
            Ok(Value::Bool(true)) => Outcome::Passed,
            Ok(value) => Outcome::Failed {
                value_seen: render(&value),
                reads: self
                    .reads
                    .iter()
                    .map(|(path, read)| match Value::resolve(read, &context) {
                        Ok(value) => format!("{path} = {}", render(&value)),
                        Err(ExecutionError::NoSuchKey(_)) => format!("{path} is absent"),
                        Err(e) => format!("{path}: {e}"),
                    })
                    .collect(),
            },
            Err(ExecutionError::NoSuchKey(field)) => {
                if self.rule.allow_if_no_claim {
                    Outcome::Skipped
                } else {
                    Outcome::NoClaim {
                        field: field.to_string(),
                    }
                }
            }
            Err(error) => Outcome::Error(error.to_string()),
        }
    }
}

/// The standard CEL environment, built once.
fn env() -> &'static Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| Arc::new(Env::stdlib()))
}

mod analysis;
mod text;
mod values;

use analysis::{Needs, Shape, bracket_depth, cost_bound, field_reads};
use text::{shorten, substitute, substitute_known};
pub use values::AttributeInput;
use values::render;

#[cfg(test)]
mod tests;
