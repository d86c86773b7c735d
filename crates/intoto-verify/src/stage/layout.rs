//! Stages 1 to 3 of spec §5: the layout's signatures, its expiry, its
//! parameters, and mistakes in the layout itself.

use std::collections::{BTreeMap, BTreeSet};

use intoto_crypto::{PublicKey, SignatureError, Verified, check_signature_at, verify_by_all_at};
use intoto_model::name::check_item_name;
use intoto_model::{ArtifactRule, ArtifactType, Layout, Metadata, Payload, SupplyChainItem};

use super::kind_of;
use crate::diagnostic::{Code, Diagnostic, RuleSubject, Subject};
use crate::functionary::LayoutAuthority;
use crate::rules::ItemKind;
use crate::session::{Scope, Session};
use crate::verifier::Error;

impl Session<'_, '_> {
    /// Stages 1 to 3: the layout, signed, unexpired, with its parameters
    /// substituted and checked, and the authority of its keys; `None` if
    /// it failed (the findings are in the verdict). The layout stays
    /// [`Verified`] throughout, and only a verified layout makes an
    /// authority.
    pub(crate) fn checked_layout(
        &mut self,
        md: Metadata,
        keys: &[PublicKey],
        scope: &Scope<'_>,
        parameters: Option<&BTreeMap<String, String>>,
    ) -> Result<Option<(Verified<Layout>, LayoutAuthority)>, Error> {
        let errors = self.error_count();
        tracing::info!("verifying layout signatures");
        let Some(layout) = self.layout_signatures(md, keys, scope)? else {
            return Ok(None);
        };

        tracing::info!("verifying layout expiration");
        match &layout.expires {
            None => self.push(
                Diagnostic::new(
                    Code::LayoutExpiresMissing,
                    "the layout has no expiry date (`expires`)",
                    scope.subject(),
                )
                .with_help("have the layout owner set `expires` and sign the layout again")
                .with_severity_if(!self.verifier.expires_required, crate::Severity::Warning),
            ),
            Some(expires) if expires.is_expired_at(self.verifier.now) => self.push(
                Diagnostic::new(
                    Code::LayoutExpired,
                    format!("the layout expired at {expires}"),
                    scope.subject(),
                )
                .with_help("ask the layout owner for a new layout")
                .with_reference("LayoutExpiredError", "Layout expired"),
            ),
            Some(_) => {}
        }
        if self.error_count() > errors {
            return Ok(None);
        }

        let layout = match parameters {
            None => layout,
            Some(parameters) => {
                tracing::info!("substituting layout parameters");
                let mut problems = Vec::new();
                let layout = layout.map(|layout| {
                    let (layout, found) = super::parameters::substitute_layout(layout, parameters);
                    problems = found;
                    layout
                });
                for (problem, item) in problems {
                    self.parameter_problem(scope, problem, item);
                }
                layout
            }
        };
        if self.error_count() > errors {
            return Ok(None);
        }
        let authority = self.check_layout(&layout, scope);
        if self.error_count() > errors {
            return Ok(None);
        }
        Ok(Some((layout, authority)))
    }

    /// Step 1: every key signed the layout. Returns the layout.
    pub(crate) fn layout_signatures(
        &mut self,
        md: Metadata,
        keys: &[PublicKey],
        scope: &Scope<'_>,
    ) -> Result<Option<Verified<Layout>>, Error> {
        if keys.is_empty() {
            self.push(
                Diagnostic::new(
                    Code::LayoutNoKeys,
                    "no key was given to verify the layout's signatures",
                    scope.subject(),
                )
                .with_help("give the layout owner's public key(s) to verify the layout with"),
            );
            return Ok(None);
        }
        let mut failed = false;
        let legacy = matches!(md, Metadata::Metablock(_));
        for key in keys {
            let Err(e) = check_signature_at(&md, key, self.now_unix) else {
                continue;
            };
            failed = true;
            // The reference's Metablock names the key; its DSSE check
            // raises the error without a message.
            let reference = |legacy_message: String| {
                if legacy {
                    legacy_message
                } else {
                    String::new()
                }
            };
            let subject = Subject {
                keyid: Some(key.keyid().clone()),
                ..scope.subject()
            };
            let diagnostic = signature_finding("layout", key, e, subject);
            let diagnostic = match diagnostic.code {
                Code::LayoutSignatureMissing => diagnostic.with_reference(
                    "SignatureVerificationError",
                    reference(format!("No signature found for key '{}'", key.keyid())),
                ),
                Code::LayoutSignatureInvalid => diagnostic.with_reference(
                    "SignatureVerificationError",
                    reference(format!("Invalid signature for keyid '{}'", key.keyid())),
                ),
                _ => diagnostic,
            };
            self.push(diagnostic);
        }
        if failed {
            return Ok(None);
        }
        let verified = match verify_by_all_at(md, keys, self.now_unix) {
            Ok(verified) => verified,
            Err(e) => {
                self.push(Diagnostic::new(
                    Code::LayoutSignatureInvalid,
                    format!("the layout's signatures: {e}"),
                    scope.subject(),
                ));
                return Ok(None);
            }
        };
        let layout: Result<Verified<Layout>, Error> = verified
            .try_map(Metadata::into_payload)
            .map_err(Error::Layout)
            .and_then(|v| {
                v.try_map(|payload| match payload {
                    Payload::Layout(layout) => Ok(layout),
                    other => Err(Error::NotALayout {
                        found: other.kind(),
                    }),
                })
            });
        match layout {
            Ok(layout) => Ok(Some(layout)),
            // The root layout that is not one: verification cannot be
            // carried out. A sublayout that is not one is a finding.
            Err(e) if scope.folder.is_empty() => Err(e),
            Err(e) => {
                self.push(
                    Diagnostic::new(
                        Code::LinkMalformed,
                        format!(
                            "the sublayout is not a valid layout: {}",
                            crate::error_chain(&e)
                        ),
                        scope.subject(),
                    )
                    .with_help("the functionary must sign a valid layout as the step's sublayout"),
                );
                Ok(None)
            }
        }
    }

    /// Step 3: mistakes in the layout itself. Returns the usable keys.
    fn check_layout(&mut self, layout: &Verified<Layout>, scope: &Scope<'_>) -> LayoutAuthority {
        let mut seen = BTreeSet::new();
        for item in layout.items() {
            if let Err(problem) = check_item_name(item.name()) {
                self.push(
                    Diagnostic::new(
                        Code::LayoutNameInvalid,
                        format!(
                            "the {} named {:?} cannot be used: the name {problem}",
                            kind_of(item),
                            item.name()
                        ),
                        scope.item(item.name(), kind_of(item)),
                    )
                    .with_help("names become file names (<name>.<keyid prefix>.link); use a plain name without '/', '\\', '..' or control characters"),
                );
            }
        }
        for item in layout.items() {
            if !seen.insert(item.name().to_owned()) {
                self.push(Diagnostic::new(
                    Code::LayoutNameDuplicate,
                    format!(
                        "the layout has more than one step or inspection named '{}'",
                        item.name()
                    ),
                    scope.item(item.name(), kind_of(item)),
                ));
            }
        }
        let authority = LayoutAuthority::new(layout, self.verifier.timestamps.clone());
        for (field, problem) in authority.bundles().problems() {
            self.push(
                Diagnostic::new(
                    Code::LayoutCertificateInvalid,
                    format!("the layout's {field} cannot be used: {problem}"),
                    scope.subject(),
                )
                .with_help("root and intermediate certificates must be PEM X.509 certificates"),
            );
        }
        let keys = authority.keys();
        for (keyid, problem) in keys.invalid() {
            self.push(Diagnostic::new(
                Code::LayoutKeyInvalid,
                format!("layout key {keyid} cannot be used: {problem}"),
                Subject {
                    keyid: Some(keyid.clone()),
                    ..scope.subject()
                },
            ));
        }
        let steps: BTreeSet<&str> = layout.steps.iter().map(|s| s.name.as_str()).collect();
        let inspections: BTreeSet<&str> = layout.inspect.iter().map(|i| i.name.as_str()).collect();
        for step in &layout.steps {
            let subject = || scope.item(&step.name, ItemKind::Step);
            if !step.threshold.is_valid() {
                self.push(
                    Diagnostic::new(
                        Code::LayoutThresholdInvalid,
                        format!(
                            "step '{}' has threshold {}; it must be at least 1",
                            step.name, step.threshold
                        ),
                        subject(),
                    )
                    .with_help("a step is carried out by at least one functionary"),
                );
            }
            for keyid in &step.pubkeys {
                if !keys.knows(keyid) {
                    self.push(Diagnostic::new(
                        Code::LayoutPubkeyUnknown,
                        format!(
                            "step '{}' authorizes key {keyid}, which is not among the layout's keys",
                            step.name
                        ),
                        Subject {
                            keyid: Some(keyid.clone()),
                            ..subject()
                        },
                    ));
                }
            }
        }
        for item in layout.items() {
            let is_step = matches!(item, SupplyChainItem::Step(_));
            for (artifact_type, rules) in [
                (ArtifactType::Materials, item.expected_materials()),
                (ArtifactType::Products, item.expected_products()),
            ] {
                for (index, rule) in rules.iter().enumerate() {
                    let ArtifactRule::Match(m) = rule else {
                        continue;
                    };
                    let dest = m.dest_step.as_str();
                    let subject = Subject {
                        rule: Some(RuleSubject {
                            artifact_type,
                            index,
                            text: rule.to_string(),
                        }),
                        ..scope.item(item.name(), kind_of(item))
                    };
                    let kind = kind_of(item);
                    let name = item.name();
                    let field = artifact_type.field();
                    if steps.contains(dest) || (!is_step && inspections.contains(dest)) {
                        continue;
                    }
                    if inspections.contains(dest) {
                        self.push(Diagnostic::new(
                            Code::LayoutMatchFromInspection,
                            format!(
                                "{kind} '{name}': {field} rule {index} ({rule}) matches against inspection '{dest}', which runs after step rules are checked; the rule consumes nothing"
                            ),
                            subject,
                        ));
                    } else {
                        self.push(
                            Diagnostic::new(
                                Code::LayoutMatchFromUnknown,
                                format!(
                                    "{kind} '{name}': {field} rule {index} ({rule}) matches against '{dest}', which is no step or inspection of the layout"
                                ),
                                subject,
                            )
                            .with_help("fix the name after FROM; as written the rule could never consume anything"),
                        );
                    }
                }
            }
        }
        authority
    }
}

/// The finding for a key given to verify a `noun` ("layout", "policy")
/// whose signature on it does not hold: not there, made with an expired
/// (OpenPGP) key, or not verifying.
pub(crate) fn signature_finding(
    noun: &str,
    key: &PublicKey,
    e: SignatureError,
    subject: Subject,
) -> Diagnostic {
    match e {
        SignatureError::NoSignature { .. } => Diagnostic::new(
            Code::LayoutSignatureMissing,
            format!("the {noun} is not signed by key {}", key.keyid()),
            subject,
        )
        .with_help(format!(
            "every key given must have signed the {noun}: check that this is the {noun} owner's key and the {noun} file you meant"
        )),
        SignatureError::KeyExpired { keyid, expired_at } => Diagnostic::new(
            Code::LayoutKeyExpired,
            format!("{noun} key {keyid} expired at unix time {expired_at}"),
            subject,
        ),
        other => Diagnostic::new(
            Code::LayoutSignatureInvalid,
            format!("the {noun}'s signature by key {}: {other}", key.keyid()),
            subject,
        )
        .with_help(format!(
            "the {noun} was changed after it was signed, or signed with another key"
        )),
    }
}
