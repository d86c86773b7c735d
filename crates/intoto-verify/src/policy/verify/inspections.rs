//! Stage 6 of policy verification: inspections, run on the verifying
//! machine through the [`InspectionRunner`](crate::InspectionRunner), their
//! link checked by their attribute and artifact rules.

use std::collections::{BTreeMap, BTreeSet};

use intoto_model::{Inspection, Statement};

use super::{Compiled, PolicyVerifier, Run};
use crate::chain::{ChainLink, ReturnValue};
use crate::diagnostic::{Code, Diagnostic, Subject};
use crate::policy::artifacts::AttestedArtifacts;
use crate::policy::binding::Attestation;
use crate::policy::layout::Policy;
use crate::rules::ItemKind;

impl Run<'_> {
    /// Stage 6: the inspections, run where verification runs (not those
    /// of sublayouts: commands a functionary chose), with their attribute
    /// and artifact rules.
    pub(super) fn inspections(
        &mut self,
        verifier: &PolicyVerifier<'_>,
        policy: &Policy,
        compiled: &Compiled,
        mut destinations: BTreeMap<String, AttestedArtifacts>,
    ) {
        for (n, inspection) in policy.inspections.iter().enumerate() {
            let name = inspection.name.as_str();
            let subject = Subject {
                item: Some(name.to_owned()),
                item_kind: Some(ItemKind::Inspection),
                ..Subject::default()
            };
            if !self.folder.is_empty() {
                self.push(Diagnostic::new(
                    Code::InspectionSkipped,
                    format!(
                        "inspection '{name}' ({}) of the sublayout was not run: a sublayout's inspections are commands its functionary chose",
                        inspection.run.join(" ")
                    ),
                    subject,
                ));
                continue;
            }
            let mut model = Inspection::new(name, inspection.run.clone());
            model
                .expected_materials
                .clone_from(&inspection.expected_materials);
            model
                .expected_products
                .clone_from(&inspection.expected_products);
            let link = match verifier.inspections.run(&model) {
                Ok(link) => link,
                Err(e) => {
                    self.push(Diagnostic::new(
                        Code::InspectionNotRun,
                        format!("inspection '{name}' ({}): {}", inspection.run.join(" "), crate::error_chain(e.as_ref())),
                        subject,
                    ).with_help("the inspection's command must be installed on the verifying machine, and finish within the inspection timeout"));
                    return;
                }
            };
            let chain = ChainLink::from_link(&link);
            match chain.return_value() {
                Some(ReturnValue::Integer(0)) => {}
                other => {
                    let seen = match other {
                        Some(ReturnValue::Integer(n)) => format!("returned {n}"),
                        Some(ReturnValue::Other(v)) => format!("returned the non-integer {v}"),
                        None => "recorded no return value".to_owned(),
                    };
                    self.push(Diagnostic::new(
                        Code::InspectionFailed,
                        format!("inspection '{name}' ({}) {seen}", inspection.run.join(" ")),
                        subject,
                    ));
                    return;
                }
            }
            let statement = Statement::from_link(&link);
            let origin = format!("inspection '{name}'");
            let as_attestation = Attestation::new(origin, statement, BTreeSet::new());
            self.attribute_rules(
                name,
                ItemKind::Inspection,
                &as_attestation,
                &[],
                &compiled.inspections[n],
            );
            let own = AttestedArtifacts {
                materials: (*chain.materials).clone(),
                products: (*chain.products).clone(),
                transforms: true,
            };
            self.artifact_rules(
                name,
                ItemKind::Inspection,
                &own,
                [
                    &inspection.expected_materials,
                    &inspection.expected_products,
                ],
                &destinations,
                &subject,
            );
            destinations.insert(name.to_owned(), own);
        }
    }
}
