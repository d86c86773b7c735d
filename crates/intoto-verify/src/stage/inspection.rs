//! Stage 9 of spec §5: inspections, run on the verifying machine through
//! the [`InspectionRunner`](crate::InspectionRunner); each must return 0.

use intoto_model::Inspection;

use crate::chain::{ChainLink, ReturnValue};
use crate::diagnostic::{Code, Diagnostic};
use crate::rules::ItemKind;
use crate::session::{Scope, Session};

impl Session<'_, '_> {
    /// Step 9 for one inspection; `None` if it failed.
    pub(crate) fn inspect(
        &mut self,
        inspection: &Inspection,
        scope: &Scope<'_>,
    ) -> Option<ChainLink> {
        tracing::info!(inspection.name = inspection.name, "running inspection");
        let subject = || scope.item(&inspection.name, ItemKind::Inspection);
        let run = &inspection.run;
        if run.is_empty() {
            self.push(
                Diagnostic::new(
                    Code::InspectionFailed,
                    format!("inspection '{}' has no command to run", inspection.name),
                    subject(),
                )
                .with_help("the layout must give the inspection a `run` command")
                .with_reference("BadReturnValueError", "Got non-int return value 'None'."),
            );
            return None;
        }
        let link = match self.verifier.inspections.run(inspection) {
            Ok(link) => ChainLink::from_link(&link),
            Err(e) => {
                self.push(
                    Diagnostic::new(
                        Code::InspectionNotRun,
                        format!("inspection '{}' ({}): {}", inspection.name, run.join(" "), crate::error_chain(e.as_ref())),
                        subject(),
                    )
                    .with_help("the inspection's command must be installed on the verifying machine, and finish within the inspection timeout"),
                );
                return None;
            }
        };
        let (problem, reference) = match link.return_value() {
            Some(ReturnValue::Integer(0)) => return Some(link),
            Some(ReturnValue::Integer(n)) => (
                format!("returned {n}"),
                format!("non-zero return value '{n}'"),
            ),
            Some(ReturnValue::Other(v)) => (
                format!("returned the non-integer {v}"),
                format!("non-int return value '{v}'"),
            ),
            None => (
                "recorded no return value".to_owned(),
                "non-int return value 'None'".to_owned(),
            ),
        };
        self.push(
            Diagnostic::new(
                Code::InspectionFailed,
                format!(
                    "inspection '{}' ({}) {problem}",
                    inspection.name,
                    run.join(" ")
                ),
                subject(),
            )
            .with_reference(
                "BadReturnValueError",
                format!(
                    "Got {reference} from command '{}'.",
                    crate::reference::py_list(run)
                ),
            ),
        );
        None
    }
}
