//! What a rule reads and what it may cost, from its syntax tree: the
//! bracket depth checked before parsing, the shape the cost bound takes
//! (nodes, macros, their nesting), the parts of the input a rule can read,
//! and the fields a failure shows.

use std::collections::BTreeSet;

use cel::IdedExpr;
use cel::common::ast::{EntryExpr, Expr};

use super::{MAX_NODES, MAX_READS_SHOWN, VARIABLES};

/// `len^comprehensions × (size + 1)^degree` (at least `len`), saturating.
pub(super) fn cost_bound(len: usize, comprehensions: u32, size: u128, degree: u32) -> u128 {
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

/// The deepest nesting of `(`, `[` and `{` in `source`.
pub(super) fn bracket_depth(source: &str) -> usize {
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
/// The parts of an attestation a rule can read: converting only those to
/// CEL keeps a rule about `predicate.runDetails` cheap on a provenance with
/// 20,000 dependencies.
#[derive(Debug, Clone, Default)]
pub(super) struct Needs {
    /// The top-level predicate fields it selects (`predicate.x...`).
    pub(super) predicate_fields: BTreeSet<String>,
    /// Whether it reads `predicate` other than by selecting a field.
    pub(super) whole_predicate: bool,
    /// Whether it reads `subject`.
    pub(super) subject: bool,
}

impl Needs {
    pub(super) fn of(expr: &IdedExpr, needs: &mut Needs) {
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

/// What the cost bound needs of a syntax tree.
#[derive(Default)]
pub(super) struct Shape {
    pub(super) nodes: usize,
    pub(super) comprehensions: usize,
    pub(super) max_nesting: u32,
    pub(super) open_body: bool,
}

/// The fields an expression reads: `predicate.a.b` chains (and
/// `predicateType`) outside macro bodies, outermost only, each once, at most
/// [`MAX_READS_SHOWN`].
pub(super) fn field_reads(expr: &IdedExpr, out: &mut Vec<(String, IdedExpr)>) {
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
pub(super) fn field_path(expr: &IdedExpr) -> Option<String> {
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
    pub(super) fn visit(&mut self, expr: &IdedExpr, nesting: u32, in_body: bool) {
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
