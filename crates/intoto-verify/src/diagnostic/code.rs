//! Diagnostic codes: stable kebab-case names, each with its severity and
//! domain. Codes are declared by domain, in the order of the stages of
//! verification, as `docs/diagnostics.md` lists them.

use std::fmt;

/// How serious a finding is.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Verification fails.
    Error,
    /// Verification does not fail, but something deserves a look (a link
    /// that was skipped, a command that differs from the expected one).
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a diagnostic is about, as `docs/diagnostics.md` groups the codes:
/// in the order of the stages of verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Domain {
    /// The layout itself: its signatures, expiry, keys, names and rules.
    Layout,
    /// Layout parameters.
    Parameters,
    /// Evidence (links) and thresholds: signatures, functionaries,
    /// commands, agreement.
    Evidence,
    /// Attestations under a policy: reading and binding them to steps,
    /// their attribute rules, and the final artifacts they attest.
    Attestations,
    /// Sublayouts.
    Sublayouts,
    /// Artifact rules.
    ArtifactRules,
    /// Inspections.
    Inspections,
}

impl Domain {
    /// The heading of the domain's section in `docs/diagnostics.md`.
    pub fn title(self) -> &'static str {
        match self {
            Domain::Layout => "Layout",
            Domain::Parameters => "Parameters",
            Domain::Evidence => "Links and thresholds",
            Domain::Attestations => "Attestations and attribute rules",
            Domain::Sublayouts => "Sublayouts",
            Domain::ArtifactRules => "Artifact rules",
            Domain::Inspections => "Inspections",
        }
    }
}

macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $severity:ident, $domain:ident;)*) => {
        /// A diagnostic code. The kebab-case form ([`Code::as_str`]) is
        /// stable: scripts may match on it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $($(#[$doc])* $variant,)*
        }

        impl Code {
            /// Every code, in catalogue order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable kebab-case code, such as `threshold-not-met`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// The severity findings with this code have.
            pub fn severity(self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$severity,)*
                }
            }

            /// The domain the code belongs to.
            pub fn domain(self) -> Domain {
                match self {
                    $(Code::$variant => Domain::$domain,)*
                }
            }
        }
    };
}

codes! {
    // The layout: stages 1 to 3.
    /// No key was given to verify the layout with.
    LayoutNoKeys = "layout-no-keys", Error, Layout;
    /// A given key did not sign the layout.
    LayoutSignatureMissing = "layout-signature-missing", Error, Layout;
    /// A given key's signature on the layout does not verify.
    LayoutSignatureInvalid = "layout-signature-invalid", Error, Layout;
    /// A given (OpenPGP) key had expired.
    LayoutKeyExpired = "layout-key-expired", Error, Layout;
    /// The layout has expired.
    LayoutExpired = "layout-expired", Error, Layout;
    /// The layout has no `expires`.
    LayoutExpiresMissing = "layout-expires-missing", Error, Layout;
    /// A key in the layout's `keys` cannot be used.
    LayoutKeyInvalid = "layout-key-invalid", Error, Layout;
    /// A root or intermediate certificate of the layout (ITE-7 `rootcas`,
    /// `intermediatecas`, `trustBundles`) cannot be read.
    LayoutCertificateInvalid = "layout-certificate-invalid", Error, Layout;
    /// Two steps or inspections share a name.
    LayoutNameDuplicate = "layout-name-duplicate", Error, Layout;
    /// A step or inspection name is not one plain file name (empty, `.`,
    /// `..`, a path separator, a control character).
    LayoutNameInvalid = "layout-name-invalid", Error, Layout;
    /// A step's threshold is below one.
    LayoutThresholdInvalid = "layout-threshold-invalid", Error, Layout;
    /// A step authorises a keyid the layout has no key for.
    LayoutPubkeyUnknown = "layout-pubkey-unknown", Error, Layout;
    /// A MATCH rule's `FROM` names no step or inspection.
    LayoutMatchFromUnknown = "layout-match-from-unknown", Error, Layout;
    /// A step's MATCH rule names an inspection, whose link does not exist
    /// yet when step rules are checked: the rule consumes nothing.
    LayoutMatchFromInspection = "layout-match-from-inspection", Warning, Layout;

    // Layout parameters: stage 3.
    /// A parameter name is not `[a-zA-Z0-9_-]+`.
    ParameterInvalidName = "parameter-invalid-name", Error, Parameters;
    /// A placeholder names a parameter that was not given.
    ParameterMissing = "parameter-missing", Error, Parameters;
    /// Braces that do not form a placeholder.
    ParameterSyntax = "parameter-syntax", Error, Parameters;
    /// A placeholder form this implementation does not substitute.
    ParameterUnsupported = "parameter-unsupported", Error, Parameters;

    // Evidence and thresholds: stages 4, 6 and 7.
    /// A link file is not valid metadata.
    LinkMalformed = "link-malformed", Error, Evidence;
    /// A link file is not signed by the functionary its name says.
    LinkSignatureMissing = "link-signature-missing", Warning, Evidence;
    /// A link file's signature does not verify.
    LinkSignatureInvalid = "link-signature-invalid", Warning, Evidence;
    /// A link was signed with an (OpenPGP) key that had expired.
    LinkKeyExpired = "link-key-expired", Warning, Evidence;
    /// The certificate a link's signature carries has no trusted path, or
    /// satisfies none of the step's certificate constraints (ITE-7).
    LinkCertificateRejected = "link-certificate-rejected", Warning, Evidence;
    /// A link's `name` is not the step it was presented for.
    LinkNameMismatch = "link-name-mismatch", Warning, Evidence;
    /// Several links are by one functionary (one key, or subkeys of one
    /// key) and count once.
    LinkDuplicateFunctionary = "link-duplicate-functionary", Warning, Evidence;
    /// Fewer distinct authorised functionaries than the step's threshold
    /// have a valid link.
    ThresholdNotMet = "threshold-not-met", Error, Evidence;
    /// A link's command is not the step's `expected_command`.
    CommandMismatch = "command-mismatch", Warning, Evidence;
    /// The links of a step with a threshold above one disagree on
    /// materials or products.
    ArtifactsDisagree = "artifacts-disagree", Error, Evidence;

    // Attestations under a policy (ITE-10/11).
    /// An attestation cannot be read (not a DSSE envelope of a statement,
    /// or its artifacts are malformed); it does not count.
    AttestationMalformed = "attestation-malformed", Warning, Attestations;
    /// No policy functionary's signature on an attestation verifies; it
    /// does not count.
    AttestationUnsigned = "attestation-unsigned", Warning, Attestations;
    /// An attestation is for no step of the policy.
    AttestationUnbound = "attestation-unbound", Warning, Attestations;
    /// An attestation is bound to a step that expects no predicate of its
    /// type, or it is signed only by functionaries the expected predicate
    /// does not list; it does not count.
    AttestationNotExpected = "attestation-not-expected", Warning, Attestations;
    /// An attestation could be for several steps.
    BindingAmbiguous = "binding-ambiguous", Error, Attestations;
    /// A link attestation's `predicate.name` is not the step it is bound to.
    BindingLinkName = "binding-link-name", Error, Attestations;
    /// An attribute rule evaluated to false (or to something not a bool).
    AttributeFailed = "attribute-failed", Error, Attestations;
    /// An attribute rule reads a field the attestation does not have, and
    /// does not allow that (`allowIfNoClaim`).
    AttributeNoClaim = "attribute-no-claim", Error, Attestations;
    /// An attribute rule could not be evaluated (a type error, overflow, or
    /// its cost bound).
    AttributeError = "attribute-error", Error, Attestations;
    /// An attribute rule with `warn: true` did not hold.
    AttributeWarned = "attribute-warned", Warning, Attestations;
    /// The policy names the steps that attest the final artifacts, and no
    /// final artifact was given to check.
    SubjectsMissing = "subjects-missing", Error, Attestations;
    /// A final artifact is not among the subjects that the policy's subject
    /// steps attest, with agreeing digests.
    SubjectNotAttested = "subject-not-attested", Error, Attestations;

    // Sublayouts: stage 5.
    /// Sublayouts are nested deeper than the verifier follows.
    SublayoutTooDeep = "sublayout-too-deep", Error, Sublayouts;
    /// A sublayout delegates, directly or further down, to itself.
    SublayoutCycle = "sublayout-cycle", Error, Sublayouts;
    /// More sublayouts in one supply chain than the verifier follows.
    SublayoutTooMany = "sublayout-too-many", Error, Sublayouts;

    // Artifact rules: stages 8 and 10.
    /// A DISALLOW rule matched an artifact no earlier rule consumed.
    RuleDisallowMatched = "rule-disallow-matched", Error, ArtifactRules;
    /// A REQUIRE rule did not find its artifact in the queue.
    RuleRequireMissing = "rule-require-missing", Error, ArtifactRules;
    /// A MATCH rule with a source prefix met a name the reference cannot
    /// resolve.
    RuleMatchSourceUnresolved = "rule-match-source-unresolved", Error, ArtifactRules;

    // Inspections: stage 9.
    /// A sublayout's inspection was not run (`--no-sublayout-inspections`).
    InspectionSkipped = "inspection-skipped", Warning, Inspections;
    /// An inspection's command could not be run, or ran out of time.
    InspectionNotRun = "inspection-not-run", Error, Inspections;
    /// An inspection's command did not return 0.
    InspectionFailed = "inspection-failed", Error, Inspections;
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
