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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use cel::common::ast::{EntryExpr, Expr};
use cel::objects::{Key, Map};
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

/// The inputs of a rule, converted to CEL values once for every rule that
/// reads them.
#[derive(Debug)]
pub struct AttributeInput {
    predicate_type: Value,
    predicate: Value,
    subject: Value,
    size: u128,
}

impl AttributeInput {
    /// Converts an attestation's predicate type, predicate and subject list
    /// (resource descriptors as JSON). JSON integers become CEL `int` (or
    /// `uint` above `i64::MAX`), other numbers `double`.
    ///
    /// # Errors
    ///
    /// Fails when a value nests deeper than [`MAX_INPUT_DEPTH`].
    pub fn new(
        predicate_type: &str,
        predicate: &serde_json::Value,
        subject: &serde_json::Value,
    ) -> Result<Self, InputTooDeep> {
        let mut size = 1 + predicate_type.len() as u128;
        let predicate = to_cel(predicate, 0, &mut size)?;
        let subject = to_cel(subject, 0, &mut size)?;
        Ok(Self {
            predicate_type: Value::String(Arc::new(predicate_type.to_owned())),
            predicate,
            subject,
            size,
        })
    }

    /// Converts what `rules` can read of an attestation: the predicate
    /// fields they select (the whole predicate if one reads it otherwise),
    /// and the subjects if one reads them. The rules see the same values
    /// as over the whole input.
    ///
    /// # Errors
    ///
    /// Fails when a value read nests deeper than [`MAX_INPUT_DEPTH`].
    pub fn for_rules(
        rules: &[CompiledRule],
        predicate_type: &str,
        predicate: &serde_json::Map<String, serde_json::Value>,
        subject: &[intoto_model::ResourceDescriptor],
    ) -> Result<Self, InputTooDeep> {
        let whole = rules.iter().any(|r| r.needs.whole_predicate);
        let fields: BTreeSet<&str> = rules
            .iter()
            .flat_map(|r| r.needs.predicate_fields.iter().map(String::as_str))
            .collect();
        let mut size = 1 + predicate_type.len() as u128;
        let mut map = HashMap::new();
        for (key, item) in predicate {
            if whole || fields.contains(key.as_str()) {
                size = size.saturating_add(key.len() as u128);
                map.insert(
                    Key::String(Arc::new(key.clone())),
                    to_cel(item, 1, &mut size)?,
                );
            }
        }
        size = size.saturating_add(1);
        let subject = if rules.iter().any(|r| r.needs.subject) {
            let list = serde_json::Value::Array(subject.iter().map(|d| d.to_value()).collect());
            to_cel(&list, 0, &mut size)?
        } else {
            Value::List(Arc::new(Vec::new()))
        };
        Ok(Self {
            predicate_type: Value::String(Arc::new(predicate_type.to_owned())),
            predicate: Value::Map(Map { map: Arc::new(map) }),
            subject,
            size,
        })
    }

    /// The input's size for the cost bound: its JSON values plus the bytes
    /// of its strings and keys.
    pub fn size(&self) -> u128 {
        self.size
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

/// The parts of an attestation a rule can read: converting only those to
/// CEL keeps a rule about `predicate.runDetails` cheap on a provenance with
/// 20,000 dependencies.
#[derive(Debug, Clone, Default)]
struct Needs {
    /// The top-level predicate fields it selects (`predicate.x...`).
    predicate_fields: BTreeSet<String>,
    /// Whether it reads `predicate` other than by selecting a field.
    whole_predicate: bool,
    /// Whether it reads `subject`.
    subject: bool,
}

impl Needs {
    fn of(expr: &IdedExpr, needs: &mut Needs) {
        match &expr.expr {
            Expr::Unspecified | Expr::Literal(_) => {}
            Expr::Ident(name) => match name.as_str() {
                "predicate" => needs.whole_predicate = true,
                "subject" => needs.subject = true,
                _ => {}
            },
            Expr::Select(select) => match &select.operand.expr {
                Expr::Ident(name) if name == "predicate" => {
                    needs.predicate_fields.insert(select.field.clone());
                }
                _ => Needs::of(&select.operand, needs),
            },
            Expr::Call(call) => {
                if let Some(target) = &call.target {
                    Needs::of(target, needs);
                }
                for arg in &call.args {
                    Needs::of(arg, needs);
                }
            }
            Expr::Comprehension(c) => {
                for e in [
                    &c.iter_range,
                    &c.accu_init,
                    &c.loop_cond,
                    &c.loop_step,
                    &c.result,
                ] {
                    Needs::of(e, needs);
                }
            }
            Expr::List(list) => {
                for element in &list.elements {
                    Needs::of(element, needs);
                }
            }
            Expr::Map(map) => {
                for entry in &map.entries {
                    Needs::of_entry(&entry.expr, needs);
                }
            }
            Expr::Struct(structure) => {
                for entry in &structure.entries {
                    Needs::of_entry(&entry.expr, needs);
                }
            }
        }
    }

    fn of_entry(entry: &EntryExpr, needs: &mut Needs) {
        match entry {
            EntryExpr::StructField(field) => Needs::of(&field.value, needs),
            EntryExpr::MapEntry(entry) => {
                Needs::of(&entry.key, needs);
                Needs::of(&entry.value, needs);
            }
        }
    }
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

/// `len^comprehensions × (size + 1)^degree` (at least `len`), saturating.
fn cost_bound(len: usize, comprehensions: u32, size: u128, degree: u32) -> u128 {
    let len = len.max(1) as u128;
    let mut cost = len;
    for _ in 1..comprehensions {
        cost = cost.saturating_mul(len);
    }
    for _ in 0..degree {
        cost = cost.saturating_mul(size.saturating_add(1));
    }
    cost
}

/// Replaces every `{identifier}` in `rule` by its parameter's value.
fn substitute(rule: &str, params: &BTreeMap<String, String>) -> Result<String, RuleError> {
    let mut out = String::with_capacity(rule.len());
    let mut rest = rule;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = placeholder_len(after);
        if name_len > 0 && after[name_len..].starts_with('}') {
            let name = &after[..name_len];
            let value = params
                .get(name)
                .ok_or_else(|| RuleError::UnknownPlaceholder {
                    rule: shorten(rule),
                    name: name.to_owned(),
                })?;
            out.push_str(value);
            rest = &after[name_len + 1..];
        } else {
            out.push('{');
            rest = after;
        }
        if out.len() > MAX_RULE_BYTES {
            // Stop copying early; the caller reports the length.
            out.push_str(rest);
            return Ok(out);
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Replaces every `{identifier}` in a rule's `debug` text that names a
/// parameter by its value, as the attestation verifier does; free text, so
/// other braces are left as written.
fn substitute_known(text: &str, params: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = placeholder_len(after);
        match params.get(&after[..name_len]) {
            Some(value) if name_len > 0 && after[name_len..].starts_with('}') => {
                out.push_str(value);
                rest = &after[name_len + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The length of the identifier at the start of `text` (0 if none).
fn placeholder_len(text: &str) -> usize {
    let mut len = 0;
    for (index, c) in text.char_indices() {
        let ok = c == '_' || c.is_ascii_alphabetic() || (index > 0 && c.is_ascii_digit());
        if !ok {
            break;
        }
        len = index + c.len_utf8();
    }
    len
}

/// The deepest nesting of `(`, `[` and `{` in `source`.
fn bracket_depth(source: &str) -> usize {
    let mut depth: usize = 0;
    let mut deepest = 0;
    for byte in source.bytes() {
        match byte {
            b'(' | b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// A rule's text for an error message, cut at 200 bytes.
fn shorten(rule: &str) -> String {
    const MAX: usize = 200;
    if rule.len() <= MAX {
        return rule.to_owned();
    }
    let mut end = MAX;
    while !rule.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &rule[..end])
}

/// What the cost bound needs of a syntax tree.
#[derive(Default)]
struct Shape {
    nodes: usize,
    comprehensions: usize,
    max_nesting: u32,
    open_body: bool,
}

/// The fields an expression reads: `predicate.a.b` chains (and
/// `predicateType`) outside macro bodies, outermost only, each once, at most
/// [`MAX_READS_SHOWN`].
fn field_reads(expr: &IdedExpr, out: &mut Vec<(String, IdedExpr)>) {
    if out.len() >= MAX_READS_SHOWN {
        return;
    }
    if let Some(path) = field_path(expr) {
        if !out.iter().any(|(p, _)| *p == path) {
            out.push((path, expr.clone()));
        }
        return;
    }
    match &expr.expr {
        Expr::Call(call) => {
            if let Some(target) = &call.target {
                field_reads(target, out);
            }
            for arg in &call.args {
                field_reads(arg, out);
            }
        }
        Expr::Comprehension(comprehension) => field_reads(&comprehension.iter_range, out),
        Expr::List(list) => {
            for element in &list.elements {
                field_reads(element, out);
            }
        }
        Expr::Select(select) => field_reads(&select.operand, out),
        _ => {}
    }
}

/// `predicate.a.b` for a chain of field selections on an input (not a
/// `has()` test); `predicateType` alone; else `None` (a whole `predicate` or
/// `subject` is too large to show).
fn field_path(expr: &IdedExpr) -> Option<String> {
    match &expr.expr {
        Expr::Ident(name) if name == "predicateType" => Some(name.clone()),
        Expr::Select(select) if !select.test => {
            let base = match &select.operand.expr {
                Expr::Ident(name) if VARIABLES.contains(&name.as_str()) => name.clone(),
                _ => field_path(&select.operand)?,
            };
            Some(format!("{base}.{}", select.field))
        }
        _ => None,
    }
}

impl Shape {
    /// Walks `expr`, `nesting` macros deep (`in_body`: inside a macro body).
    /// The recursion is as deep as the tree, which the bracket depth and the
    /// parser's recursion limit bound.
    fn visit(&mut self, expr: &IdedExpr, nesting: u32, in_body: bool) {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return;
        }
        match &expr.expr {
            Expr::Unspecified | Expr::Literal(_) => {}
            Expr::Ident(name) => {
                if in_body && VARIABLES.contains(&name.as_str()) {
                    self.open_body = true;
                }
            }
            Expr::Call(call) => {
                if let Some(target) = &call.target {
                    self.visit(target, nesting, in_body);
                }
                for arg in &call.args {
                    self.visit(arg, nesting, in_body);
                }
            }
            Expr::Comprehension(comprehension) => {
                self.comprehensions += 1;
                let inner = nesting + 1;
                self.max_nesting = self.max_nesting.max(inner);
                self.visit(&comprehension.iter_range, nesting, in_body);
                self.visit(&comprehension.accu_init, nesting, in_body);
                self.visit(&comprehension.loop_cond, inner, true);
                self.visit(&comprehension.loop_step, inner, true);
                self.visit(&comprehension.result, nesting, in_body);
            }
            Expr::List(list) => {
                for element in &list.elements {
                    self.visit(element, nesting, in_body);
                }
            }
            Expr::Map(map) => {
                for entry in &map.entries {
                    self.visit_entry(&entry.expr, nesting, in_body);
                }
            }
            Expr::Struct(structure) => {
                for entry in &structure.entries {
                    self.visit_entry(&entry.expr, nesting, in_body);
                }
            }
            Expr::Select(select) => self.visit(&select.operand, nesting, in_body),
        }
    }

    fn visit_entry(&mut self, entry: &EntryExpr, nesting: u32, in_body: bool) {
        match entry {
            EntryExpr::StructField(field) => self.visit(&field.value, nesting, in_body),
            EntryExpr::MapEntry(entry) => {
                self.visit(&entry.key, nesting, in_body);
                self.visit(&entry.value, nesting, in_body);
            }
        }
    }
}

/// Converts JSON to a CEL value, adding to `size`.
fn to_cel(value: &serde_json::Value, depth: usize, size: &mut u128) -> Result<Value, InputTooDeep> {
    if depth > MAX_INPUT_DEPTH {
        return Err(InputTooDeep {
            max: MAX_INPUT_DEPTH,
        });
    }
    *size = size.saturating_add(1);
    Ok(match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Int(i)
            } else if let Some(u) = n.as_u64() {
                Value::UInt(u)
            } else {
                Value::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_json::Value::String(s) => {
            *size = size.saturating_add(s.len() as u128);
            Value::String(Arc::new(s.clone()))
        }
        serde_json::Value::Array(items) => Value::List(Arc::new(
            items
                .iter()
                .map(|item| to_cel(item, depth + 1, size))
                .collect::<Result<Vec<_>, _>>()?,
        )),
        serde_json::Value::Object(object) => {
            let mut map = HashMap::with_capacity(object.len());
            for (key, item) in object {
                *size = size.saturating_add(key.len() as u128);
                map.insert(
                    Key::String(Arc::new(key.clone())),
                    to_cel(item, depth + 1, size)?,
                );
            }
            Value::Map(Map { map: Arc::new(map) })
        }
    })
}

/// A map key as CEL-like text.
fn render_key(key: &Key) -> String {
    match key {
        Key::Int(i) => i.to_string(),
        Key::Uint(u) => format!("{u}u"),
        Key::Bool(b) => b.to_string(),
        Key::String(s) => format!("{:?}", s.as_str()),
    }
}

/// A value as CEL-like text for [`Outcome::Failed`], cut at about 200 bytes.
fn render(value: &Value) -> String {
    let mut out = String::new();
    render_into(value, &mut out);
    shorten(&out)
}

fn render_into(value: &Value, out: &mut String) {
    if out.len() > 256 {
        return;
    }
    match value {
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Null => out.push_str("null"),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::UInt(u) => {
            let _ = write!(out, "{u}u");
        }
        Value::Float(f) => {
            let _ = write!(out, "{f:?}");
        }
        Value::String(s) => {
            let _ = write!(out, "{:?}", s.as_str());
        }
        Value::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                render_into(item, out);
            }
            out.push(']');
        }
        Value::Map(map) => {
            let mut entries: Vec<(String, &Value)> = map
                .map
                .iter()
                .map(|(key, value)| (render_key(key), value))
                .collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                out.push_str(&key);
                out.push_str(": ");
                render_into(item, out);
            }
            out.push('}');
        }
        other => {
            let _ = write!(out, "{other:?}");
        }
    }
}

#[cfg(test)]
mod tests;
