//! Checking verification summaries: what passes, every shortfall, freshness,
//! digest agreement, levels and durations.

use intoto_crypto::{KeyType, PrivateKey, sign_metadata, verify_by};
use intoto_model::{EnvelopeKind, Metadata, Payload, ResourceDescriptor};
use serde_json::json;

use super::*;

fn digest(hex: &str) -> DigestSet {
    let mut d = DigestSet::new();
    d.insert("sha256", hex);
    d
}

fn summary(predicate: serde_json::Value) -> Verified<Statement> {
    let key = PrivateKey::generate(KeyType::Ed25519, None).unwrap();
    let st = Statement::new(
        vec![ResourceDescriptor::named("app", digest("abcd"))],
        VSA_V1,
        predicate.as_object().cloned().unwrap(),
    );
    let mut md = Metadata::wrap(&st.to_value(), EnvelopeKind::Dsse);
    sign_metadata(&mut md, &key).unwrap();
    verify_by(md, key.public_key())
        .unwrap()
        .try_map(|md| match md.into_payload() {
            Ok(Payload::Statement(st)) => Ok(st),
            _ => Err(()),
        })
        .unwrap()
}

fn passed() -> serde_json::Value {
    json!({"verifier": {"id": "https://verifier.example/v1"}, "timeVerified": "2026-12-01T10:00:00Z",
           "resourceUri": "pkg:npm/app@1.0.0", "policy": {"uri": "https://example.com/policy.yml"},
           "verificationResult": "PASSED", "verifiedLevels": ["SLSA_BUILD_LEVEL_3"]})
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z")
        .unwrap()
        .to_utc()
}

#[test]
fn a_fresh_passing_summary_about_the_artifact_is_accepted() {
    let mut expect = Expectations::new(digest("ABCD"));
    expect.verifier_id = Some("https://verifier.example/v1".into());
    expect.resource_uri = Some("pkg:npm/app@1.0.0".into());
    expect.levels = vec!["SLSA_BUILD_LEVEL_2".into(), "SLSA_BUILD_LEVEL_3".into()];
    expect.max_age = Some(Duration::hours(24));
    let vsa = check(&summary(passed()), &expect, now()).unwrap();
    assert!(vsa.passed);
}

#[test]
fn every_shortfall_is_reported() {
    let mut p = passed();
    p["verificationResult"] = json!("FAILED");
    p["timeVerified"] = json!("2026-11-01T10:00:00Z");
    let mut expect = Expectations::new(digest("ffff"));
    expect.verifier_id = Some("https://other.example".into());
    expect.resource_uri = Some("pkg:npm/other@1".into());
    expect.levels = vec!["SLSA_BUILD_LEVEL_4".into(), "SLSA_SOURCE_LEVEL_1".into()];
    expect.max_age = Some(Duration::hours(24));
    let problems = check(&summary(p), &expect, now()).unwrap_err();
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        [
            "the summary is not about this artifact: no subject has its digests (sha256:ffff)",
            "the summary says FAILED",
            "verifier.id is \"https://verifier.example/v1\", not \"https://other.example\"",
            "resourceUri is \"pkg:npm/app@1.0.0\", not \"pkg:npm/other@1\"",
            "level SLSA_BUILD_LEVEL_4 is not among the verified levels (SLSA_BUILD_LEVEL_3)",
            "level SLSA_SOURCE_LEVEL_1 is not among the verified levels (SLSA_BUILD_LEVEL_3)",
            "the summary is not fresh: verified at 2026-11-01 10:00:00 UTC, more than 1d ago",
        ]
    );
}

#[test]
fn freshness_needs_a_time_in_the_past_and_other_statements_are_not_summaries() {
    let mut expect = Expectations::new(digest("abcd"));
    expect.max_age = Some(Duration::hours(1));
    let mut p = passed();
    p["timeVerified"] = json!("2026-12-01T13:00:00Z");
    assert!(matches!(
        check(&summary(p), &expect, now()).unwrap_err()[0],
        Problem::Stale(_)
    ));
    let mut p = passed();
    p.as_object_mut().unwrap().remove("timeVerified");
    assert_eq!(
        check(&summary(p), &expect, now()).unwrap_err(),
        [Problem::Stale("it has no timeVerified".into())]
    );
    let mut p = passed();
    p.as_object_mut().unwrap().remove("verifier");
    assert!(matches!(
        check(&summary(p), &expect, now()).unwrap_err()[0],
        Problem::Malformed(_)
    ));
}

#[test]
fn digests_agree_on_what_they_share() {
    let mut a = digest("ab");
    a.insert("sha512", "cd");
    let mut b = digest("AB");
    b.insert("sha384", "ef");
    assert!(agree(&a, &b));
    b.insert("sha512", "00");
    assert!(!agree(&a, &b));
    let mut c = DigestSet::new();
    c.insert("sha1", "ab");
    assert!(!agree(&a, &c));
}

#[test]
fn levels_and_durations() {
    assert!(satisfies("SLSA_BUILD_LEVEL_3", "SLSA_BUILD_LEVEL_1"));
    assert!(!satisfies("SLSA_BUILD_LEVEL_1", "SLSA_BUILD_LEVEL_3"));
    assert!(!satisfies("SLSA_SOURCE_LEVEL_3", "SLSA_BUILD_LEVEL_1"));
    assert!(satisfies("FEDRAMP_HIGH", "FEDRAMP_HIGH"));
    assert!(!satisfies("3", "2"));
    assert_eq!(parse_duration("24h"), Ok(Duration::hours(24)));
    assert_eq!(parse_duration("7d"), Ok(Duration::days(7)));
    for bad in ["", "h", "0h", "-1h", "5y", "99999999999999999d"] {
        assert!(parse_duration(bad).is_err(), "{bad}");
    }
}
