//! Stage 3, parameters: the layout's `{NAME}` placeholders substituted
//! (Python `str.format` semantics, see [`crate::params`]).

use std::collections::BTreeMap;

use intoto_model::{ArtifactRule, Layout};

use crate::diagnostic::{Code, Diagnostic};
use crate::params::{self, ParameterError};
use crate::rules::ItemKind;
use crate::session::{Scope, Session};

impl Session<'_, '_> {
    pub(crate) fn parameter_problem(
        &mut self,
        scope: &Scope<'_>,
        problem: ParameterError,
        item: Option<(String, ItemKind)>,
    ) {
        let code = match &problem {
            ParameterError::InvalidName { .. } => Code::ParameterInvalidName,
            ParameterError::Missing { .. } => Code::ParameterMissing,
            ParameterError::Syntax { .. } => Code::ParameterSyntax,
            ParameterError::Unsupported { .. } => Code::ParameterUnsupported,
        };
        let parameter = match &problem {
            ParameterError::InvalidName { name } | ParameterError::Missing { name, .. } => {
                Some(name.clone())
            }
            _ => None,
        };
        let mut subject = match &item {
            Some((name, kind)) => scope.item(name, *kind),
            None => scope.subject(),
        };
        subject.parameter = parameter;
        let message = match &item {
            Some((name, kind)) => format!("{kind} '{name}': {problem}"),
            None => problem.to_string(),
        };
        self.push(Diagnostic::new(code, message, subject));
    }
}

/// Applies parameters to every rule, expected command and inspection
/// command; returns the layout and the problems found.
#[allow(clippy::type_complexity)] // A list of problems with their item, used once.
pub(crate) fn substitute_layout(
    mut layout: Layout,
    parameters: &BTreeMap<String, String>,
) -> (Layout, Vec<(ParameterError, Option<(String, ItemKind)>)>) {
    let mut problems = Vec::new();
    if let Err(e) = params::check_names(parameters) {
        problems.push((e, None));
        return (layout, problems);
    }
    let text = |s: &str, item: &str, kind: ItemKind, problems: &mut Vec<_>| -> String {
        match params::substitute(s, parameters) {
            Ok(out) => out,
            Err(e) => {
                problems.push((e, Some((item.to_owned(), kind))));
                s.to_owned()
            }
        }
    };
    let rules =
        |rules: &mut Vec<ArtifactRule>, item: &str, kind: ItemKind, problems: &mut Vec<_>| {
            for rule in rules.iter_mut() {
                let words: Vec<String> = rule
                    .to_words()
                    .iter()
                    .map(|w| text(w, item, kind, problems))
                    .collect();
                // Keywords hold no braces, so the substituted words keep the
                // rule's shape.
                if let Ok(parsed) = ArtifactRule::parse(&words) {
                    *rule = parsed;
                }
            }
        };
    for step in &mut layout.steps {
        let name = step.name.clone();
        rules(
            &mut step.expected_materials,
            &name,
            ItemKind::Step,
            &mut problems,
        );
        rules(
            &mut step.expected_products,
            &name,
            ItemKind::Step,
            &mut problems,
        );
        step.expected_command = step
            .expected_command
            .iter()
            .map(|a| text(a, &name, ItemKind::Step, &mut problems))
            .collect();
    }
    for inspection in &mut layout.inspect {
        let name = inspection.name.clone();
        rules(
            &mut inspection.expected_materials,
            &name,
            ItemKind::Inspection,
            &mut problems,
        );
        rules(
            &mut inspection.expected_products,
            &name,
            ItemKind::Inspection,
            &mut problems,
        );
        inspection.run = inspection
            .run
            .iter()
            .map(|a| text(a, &name, ItemKind::Inspection, &mut problems))
            .collect();
    }
    (layout, problems)
}
