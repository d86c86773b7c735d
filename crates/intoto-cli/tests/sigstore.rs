//! Policies with Sigstore keyless functionaries: a real GitHub artifact
//! attestation (a Sigstore bundle from public-good Fulcio and Rekor)
//! verified offline against the committed trusted root, for the artifact
//! it attests; wrong identities, modified bundles and a missing trusted
//! root are refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::Path;
use std::process::Output;

use intoto_test_support::{intoto, vector};
use serde_json::{Value, json};

const BUNDLE: &str = "gh-attest-reusable-workflow.v03.sigstore.json";
const ARTIFACT: &str = "gh-attest-reusable-workflow.artifact";
const ROOT: &str = "trusted_root.public-good.json";

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("atts")).unwrap();
    fs::copy(
        vector("sigstore").join(BUNDLE),
        dir.path().join("atts").join(BUNDLE),
    )
    .unwrap();
    fs::copy(
        vector("sigstore").join(ARTIFACT),
        dir.path().join("demo.whl"),
    )
    .unwrap();
    fs::copy(vector("sigstore").join(ROOT), dir.path().join(ROOT)).unwrap();
    dir
}

/// A policy whose `build` step needs SLSA provenance from `functionary`.
fn policy(dir: &Path, functionary: Value) {
    let policy = json!({
        "expires": "2100-01-01T00:00:00Z",
        "functionaries": {"release-workflow": {"sigstore": functionary}},
        "steps": [{
            "name": "build",
            "expectedMaterials": ["ALLOW *"],
            "expectedProducts": ["ALLOW *"],
            "expectedPredicates": [{
                "predicateType": "https://slsa.dev/provenance/v1",
                "expectedAttributes": [{"rule": "predicate.buildDefinition.buildType == 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1'"}],
                "functionaries": ["release-workflow"],
            }],
        }],
        "subjects": ["build"],
    });
    fs::write(dir.join("policy.json"), policy.to_string()).unwrap();
}

fn verify(dir: &Path, with_root: bool) -> Output {
    let mut cmd = intoto(dir);
    cmd.args([
        "verify",
        "-l",
        "policy.json",
        "-a",
        "atts",
        "--subject",
        "demo.whl",
    ]);
    if with_root {
        cmd.args(["--sigstore-trusted-root", ROOT]);
    }
    cmd.output().unwrap()
}

fn github() -> Value {
    json!({
        "issuer": "https://token.actions.githubusercontent.com",
        "subjectRegex": "https://github\\.com/github/artifact-attestations-workflows/\\.github/workflows/attest\\.yml@.*",
        "sourceRepositoryURI": "https://github.com/malancas/attest-demo",
        "buildConfigURIRegex": "^https://github\\.com/malancas/attest-demo/\\.github/workflows/shared\\.yml@refs/heads/main$",
    })
}

#[test]
fn a_github_artifact_attestation_verifies_for_its_artifact() {
    let dir = setup();
    let d = dir.path();
    policy(d, github());
    let out = verify(d, true);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Another file is not the attested artifact.
    fs::write(d.join("demo.whl"), "something else").unwrap();
    let out = verify(d, true);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn another_identity_is_not_the_functionary() {
    let mut wrong_repo = github();
    wrong_repo["sourceRepositoryURI"] = json!("https://github.com/someone/else");
    let mut wrong_issuer = github();
    wrong_issuer["issuer"] = json!("https://accounts.google.com");
    let mut wrong_subject = github();
    // Anchored: a prefix of the subject is not the subject.
    wrong_subject["subjectRegex"] =
        json!("https://github\\.com/github/artifact-attestations-workflows/");
    for (functionary, field) in [
        (
            wrong_repo,
            "sourceRepositoryURI is \"https://github.com/malancas/attest-demo\", the policy wants \"https://github.com/someone/else\"",
        ),
        (
            wrong_issuer,
            "issuer is \"https://token.actions.githubusercontent.com\"",
        ),
        (
            wrong_subject,
            "subject is \"https://github.com/github/artifact-attestations-workflows/",
        ),
    ] {
        let dir = setup();
        policy(dir.path(), functionary.clone());
        let out = verify(dir.path(), true);
        assert_eq!(out.status.code(), Some(1), "{functionary}: {}", text(&out));
        assert!(text(&out).contains(field), "{field}: {}", text(&out));
    }
}

#[test]
fn modified_bundles_and_a_missing_trusted_root_are_refused() {
    let dir = setup();
    let d = dir.path();
    policy(d, github());
    let path = d.join("atts").join(BUNDLE);
    let original = fs::read(&path).unwrap();
    let mut bundle: Value = serde_json::from_slice(&original).unwrap();
    let entry = &mut bundle["verificationMaterial"]["tlogEntries"][0];
    let t: i64 = entry["integratedTime"].as_str().unwrap().parse().unwrap();
    entry["integratedTime"] = Value::String((t + 60).to_string());
    fs::write(&path, bundle.to_string()).unwrap();
    let out = verify(d, true);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("the Sigstore bundle does not verify"),
        "{}",
        text(&out)
    );

    fs::write(&path, &original).unwrap();
    let out = verify(d, false);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("give --sigstore-trusted-root"),
        "{}",
        text(&out)
    );
}

#[test]
fn policy_errors_name_the_sigstore_field() {
    let dir = setup();
    let d = dir.path();
    policy(
        d,
        json!({"issuer": "https://token.actions.githubusercontent.com", "subjectRegex": "(unclosed"}),
    );
    let out = verify(d, true);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("functionaries.release-workflow.sigstore.subjectRegex"),
        "{}",
        text(&out)
    );
}

#[test]
fn show_names_the_issuer_and_identity_of_bundles_and_witness_signatures() {
    let dir = setup();
    let out = intoto(dir.path())
        .args(["show", &format!("atts/{BUNDLE}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("identity: Sigstore URI:https://github.com/github/artifact-attestations-workflows/.github/workflows/attest.yml@09b495c3f12c7881b3cc17209a327792065c1a1d (OIDC issuer https://token.actions.githubusercontent.com"), "{}", text(&out));
    // Witness writes `certificate` and `intermediates` as base64 of the PEM.
    let witness = vector("witness").join("policy-presigned.json");
    let out = intoto(dir.path())
        .args(["show"])
        .arg(witness)
        .output()
        .unwrap();
    assert!(
        text(&out).contains("identity: Sigstore email:tpmeadows1@gmail.com (OIDC issuer https://accounts.google.com; issued by CN=sigstore-intermediate,O=sigstore.dev; not checked here"),
        "{}",
        text(&out)
    );
}
