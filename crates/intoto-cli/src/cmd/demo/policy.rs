//! The release policy of `intoto demo --policy`: who must attest what for
//! each step of hello's release, written by the policy owner as YAML in the
//! attestation verifier's format, with its parameters beside it.
//!
//! One table ([`steps`]) gives both the YAML and the lines the demo prints
//! about it, so the story cannot drift from the policy it verifies.

use std::fmt::Write as _;

use anyhow::Context as _;
use serde_json::json;

use intoto::model::predicate::kind::{
    PROVENANCE_V1, RELEASE_V0_1, REVIEW_V0_1, SPDX_V2_3, TEST_RESULT_V0_1, VULNS_V0_2,
};

use super::Party;

/// The package released, and its version.
pub(super) const NAME: &str = "hello";
pub(super) const VERSION: &str = "1.4.2";
/// The package file, relative to the checkout.
pub(super) const PACKAGE: &str = "dist/hello-1.4.2.tar";
/// The package URL the release names.
pub(super) const PURL: &str = "pkg:generic/hello@1.4.2";
/// The only builder the policy accepts.
pub(super) const HOSTED_BUILDER: &str = "https://ci.example.com/hosted-runner";

/// The parties the policy names.
pub(super) struct Functionaries<'a> {
    pub(super) alice: &'a Party,
    pub(super) bob: &'a Party,
    pub(super) ci: &'a Party,
    pub(super) scanner: &'a Party,
    pub(super) rita: &'a Party,
}

impl<'a> Functionaries<'a> {
    fn all(&self) -> [&'a Party; 5] {
        [self.alice, self.bob, self.ci, self.scanner, self.rita]
    }
}

/// An attribute rule and the reason the verifier prints when it fails.
pub(super) struct Rule {
    cel: &'static str,
    debug: Option<&'static str>,
}

const fn rule(cel: &'static str, debug: &'static str) -> Rule {
    Rule {
        cel,
        debug: Some(debug),
    }
}

const fn plain(cel: &'static str) -> Rule {
    Rule { cel, debug: None }
}

/// One step of the policy.
pub(super) struct PolicyStep<'a> {
    pub(super) name: &'static str,
    signers: Vec<&'a Party>,
    threshold: usize,
    predicate_type: &'static str,
    materials: &'static [&'static str],
    products: &'static [&'static str],
    rules: Vec<Rule>,
    /// What the step requires, in a few words, for the story.
    pub(super) says: &'static str,
}

impl PolicyStep<'_> {
    /// Who signs, for the story: `alice + bob` for a threshold of two.
    pub(super) fn signed_by(&self) -> String {
        let names: Vec<&str> = self.signers.iter().map(|p| p.name).collect();
        if self.threshold > 1 {
            names.join(" + ")
        } else {
            names.join(" or ")
        }
    }
}

/// The later steps all attest the package the build made.
const OF_THE_PACKAGE: &[&str] = &[
    "MATCH dist/{name}-{version}.tar WITH products FROM build",
    "DISALLOW *",
];

/// The policy's steps, in order.
pub(super) fn steps<'a>(f: &Functionaries<'a>) -> Vec<PolicyStep<'a>> {
    vec![
        PolicyStep {
            name: "review",
            signers: vec![f.alice, f.bob],
            threshold: 2,
            predicate_type: REVIEW_V0_1,
            materials: &["ALLOW src/*", "DISALLOW *"],
            products: &[],
            rules: vec![rule(
                "predicate.approvals.exists(a, a != predicate.approvals[0])",
                "two distinct reviewers must approve the change",
            )],
            says: "a code review with two distinct approvers; its subjects are the sources src/*",
        },
        PolicyStep {
            name: "build",
            signers: vec![f.ci],
            threshold: 1,
            predicate_type: PROVENANCE_V1,
            materials: &["MATCH src/* WITH materials FROM review", "DISALLOW *"],
            products: &["CREATE dist/{name}-{version}.tar", "DISALLOW *"],
            rules: vec![rule(
                "predicate.runDetails.builder.id == '{builder}'",
                "the release must be built by the hosted builder",
            )],
            says: "SLSA provenance from the hosted builder {builder}; built from exactly the reviewed sources",
        },
        PolicyStep {
            name: "test",
            signers: vec![f.ci],
            threshold: 1,
            predicate_type: TEST_RESULT_V0_1,
            materials: OF_THE_PACKAGE,
            products: &[],
            rules: vec![
                plain("predicate.result == 'PASSED'"),
                plain("size(predicate.failedTests) == 0"),
            ],
            says: "test results: PASSED, no failed test; about the built package",
        },
        PolicyStep {
            name: "scan",
            signers: vec![f.scanner],
            threshold: 1,
            predicate_type: VULNS_V0_2,
            materials: OF_THE_PACKAGE,
            products: &[],
            rules: vec![rule(
                "!predicate.scanner.result.exists(r, r.severity.exists(s, s.score in ['CRITICAL', 'Critical', 'critical']))",
                "no CRITICAL vulnerability may ship",
            )],
            says: "a vulnerability scan without a CRITICAL finding; about the built package",
        },
        PolicyStep {
            name: "sbom",
            signers: vec![f.scanner],
            threshold: 1,
            predicate_type: SPDX_V2_3,
            materials: OF_THE_PACKAGE,
            products: &[],
            rules: vec![plain(
                "predicate.packages.exists(p, p.name == '{name}' && p.versionInfo == '{version}')",
            )],
            says: "an SPDX SBOM that lists {name} {version}; about the built package",
        },
        PolicyStep {
            name: "release",
            signers: vec![f.rita],
            threshold: 1,
            predicate_type: RELEASE_V0_1,
            materials: OF_THE_PACKAGE,
            products: &[],
            rules: vec![rule(
                "predicate.purl == 'pkg:generic/{name}@{version}'",
                "the release must be the one the parameters name",
            )],
            says: "the release of pkg:generic/{name}@{version}; about the built package, the final artifact",
        },
    ]
}

/// The parameters file: what `{name}`, `{version}` and `{builder}` stand
/// for.
pub(super) fn parameters() -> String {
    let mut text = serde_json::to_string_pretty(&json!({
        "name": NAME,
        "version": VERSION,
        "builder": HOSTED_BUILDER,
    }))
    .unwrap_or_default();
    text.push('\n');
    text
}

/// `text` with the policy's parameters filled in, for the story.
pub(super) fn with_parameters(text: &str) -> String {
    text.replace("{name}", NAME)
        .replace("{version}", VERSION)
        .replace("{builder}", HOSTED_BUILDER)
}

/// The policy as YAML, valid until `expires`.
pub(super) fn yaml(
    f: &Functionaries<'_>,
    owner: &Party,
    expires: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<String> {
    // JSON strings are YAML double-quoted scalars.
    let q = |s: &str| serde_json::Value::from(s).to_string();
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# The release policy of {NAME}, by {} (the policy owner), in the in-toto\n\
         # attestation verifier's format. {{name}}, {{version}} and {{builder}} are\n\
         # parameters (params.json).",
        owner.name
    );
    let _ = writeln!(
        y,
        "expires: {}",
        q(&expires.format("%Y-%m-%dT%H:%M:%SZ").to_string())
    );
    y.push_str("functionaries:\n");
    for p in f.all() {
        let dict = p.public().key_dict();
        let public = dict
            .as_map()
            .get("keyval")
            .and_then(|v| v.get("public"))
            .and_then(|v| v.as_str())
            .with_context(|| format!("{}'s key has no public value", p.name))?;
        let _ = writeln!(y, "  {}:  # {}", q(p.key.keyid().as_str()), p.name);
        let _ = writeln!(y, "    keyType: {}", q(dict.keytype().unwrap_or_default()));
        let _ = writeln!(y, "    scheme: {}", q(dict.scheme().unwrap_or_default()));
        let _ = writeln!(y, "    keyVal:\n      public: {}", q(public));
    }
    y.push_str("steps:\n");
    for step in steps(f) {
        let _ = writeln!(y, "  - name: {}", q(step.name));
        for (field, rules) in [
            ("expectedMaterials", step.materials),
            ("expectedProducts", step.products),
        ] {
            if rules.is_empty() {
                continue;
            }
            let _ = writeln!(y, "    {field}:");
            for r in rules {
                let _ = writeln!(y, "      - {}", q(r));
            }
        }
        y.push_str("    expectedPredicates:\n");
        let _ = writeln!(y, "      - predicateType: {}", q(step.predicate_type));
        y.push_str("        functionaries:\n");
        for p in &step.signers {
            let _ = writeln!(y, "          - {}  # {}", q(p.key.keyid().as_str()), p.name);
        }
        let _ = writeln!(y, "        threshold: {}", step.threshold);
        y.push_str("        expectedAttributes:\n");
        for r in &step.rules {
            let _ = writeln!(y, "          - rule: {}", q(r.cel));
            if let Some(debug) = r.debug {
                let _ = writeln!(y, "            debug: {}", q(debug));
            }
        }
    }
    y.push_str("subjects:\n  - release\n");
    Ok(y)
}
