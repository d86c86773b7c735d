//! `intoto demo`: a whole supply chain, from nothing, in a temporary folder.
//!
//! An owner (alice) and two functionaries (bob, carol) get keys; alice lays
//! out clone → build → package plus an `untar` inspection and signs it; bob
//! and carol carry the steps out with the recorder and sign their links; the
//! client verifies the delivered package (it passes). Then two attacks:
//! the build output is swapped between build and package, and the package
//! is swapped in transit. Verification catches both and says why. Along the
//! way the build's SLSA provenance, the package's test results and its
//! vulnerability scan are signed as attestations into a bundle.
//!
//! With `--policy`, a second demo ([`release`]): hello's release gated by a
//! policy over signed attestations (code review, SLSA provenance, tests, a
//! vulnerability scan, an SBOM and the release), a verification summary of
//! the release, and three releases that must not ship, stopped.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail, ensure};
use clap::Args;
use serde_json::{Value, json};

use intoto::crypto::{KeyType, PrivateKey, PublicKey, sign_metadata};
use intoto::fs;
use intoto::model::{EnvelopeKind, Metadata, StepName, link_file_name};
use intoto::record::RunOptions;

use crate::exit::Outcome;
use crate::output;
use crate::output::Format;

mod attestations;
mod chain;
mod pipeline;
mod policy;
mod release;

use chain::*;

/// Run a complete demo supply chain: record, verify, tamper, and catch it.
///
/// Everything happens in a temporary folder (or --dir), with keys made on
/// the spot; the steps run `cp`, `sh` and `tar`.
///
/// With --policy, the release story instead: reviewers, a CI builder, a
/// scanner and a release manager sign a code review, SLSA provenance, test
/// results, a vulnerability scan, an SBOM and the release (each step run
/// with this intoto binary); the policy owner's policy over those
/// attestations passes and the release gate signs a verification summary;
/// then a critical vulnerability, a build of an unreviewed commit and
/// provenance from the wrong builder are each stopped, with the finding
/// that says why.
///
/// Exit status: 0 when everything turned out as the demo expects (the
/// untampered chain passes, every attack is caught), 1 otherwise, 2 when
/// the demo cannot run.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    intoto demo                       # in a temporary folder, removed afterwards\n  \
    intoto demo --dir /tmp/chain      # keep the files and try the commands yourself\n  \
    intoto demo --use-dsse --format json\n  \
    intoto demo --policy              # a release gated by a policy over attestations\n  \
    intoto demo --policy --dir /tmp/release")]
pub(crate) struct DemoArgs {
    /// Keep the demo's files in this folder (it must not exist yet or be empty).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Write links and the layout as DSSE envelopes instead of legacy metadata.
    #[arg(long, conflicts_with = "policy")]
    use_dsse: bool,
    /// Tell the release story instead: a policy over signed attestations
    /// (review, provenance, tests, scan, SBOM, release), a verification
    /// summary, and three releases that must not ship.
    #[arg(long)]
    policy: bool,
}

/// A party of the demo supply chain and its key.
struct Party {
    name: &'static str,
    key: PrivateKey,
}

impl Party {
    fn new(name: &'static str, key_type: KeyType) -> anyhow::Result<Self> {
        let key = PrivateKey::generate(key_type, None)
            .with_context(|| format!("cannot make {name}'s key"))?;
        Ok(Self { name, key })
    }

    fn public(&self) -> &PublicKey {
        self.key.public_key()
    }

    fn short_id(&self) -> &str {
        self.key.keyid().short()
    }

    /// Writes the private key to `dir/NAME` and the public key to
    /// `dir/NAME.pub`.
    fn write_keys(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let private = self.key.to_pkcs8_pem(None)?;
        fs::write_private(&dir.join(self.name), private.as_bytes())?;
        fs::write_atomic(
            &dir.join(format!("{}.pub", self.name)),
            self.key.public_key_pem()?.as_bytes(),
        )?;
        Ok(())
    }
}

/// The demo's folders.
struct Folders {
    root: PathBuf,
    keys: PathBuf,
    upstream: PathBuf,
    work: PathBuf,
    client: PathBuf,
}

impl Folders {
    fn create(root: &Path) -> anyhow::Result<Self> {
        let f = Self {
            root: root.to_owned(),
            keys: root.join("keys"),
            upstream: root.join("upstream"),
            work: root.join("functionary"),
            client: root.join("client"),
        };
        for dir in [&f.keys, &f.upstream.join("src"), &f.work, &f.client] {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        Ok(f)
    }
}

/// What the demo reports in text or JSON.
struct Narrator {
    format: Format,
    events: Vec<Value>,
}

impl Narrator {
    fn say(&mut self, text: &str) -> anyhow::Result<()> {
        if self.format == Format::Text {
            output::lines(text)?;
        }
        Ok(())
    }

    fn record(&mut self, event: Value) {
        self.events.push(event);
    }
}

pub(crate) fn run(args: DemoArgs, format: Format) -> anyhow::Result<Outcome> {
    let temp;
    let root = match &args.dir {
        Some(dir) => {
            if dir.exists()
                && std::fs::read_dir(dir)
                    .map(|mut d| d.next().is_some())
                    .unwrap_or(true)
            {
                bail!(
                    "{} exists and is not empty; give a new folder to --dir",
                    dir.display()
                );
            }
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            dir.canonicalize()
                .with_context(|| format!("cannot resolve {}", dir.display()))?
        }
        None => {
            temp = tempfile::Builder::new()
                .prefix("intoto-demo-")
                .tempdir()
                .context("cannot create a temporary folder")?;
            temp.path().to_owned()
        }
    };
    let kind = if args.use_dsse {
        EnvelopeKind::Dsse
    } else {
        EnvelopeKind::Legacy
    };
    let mut n = Narrator {
        format,
        events: Vec::new(),
    };
    let kept = args.dir.is_some();
    let ok = if args.policy {
        release::demo(&root, &mut n, kept)?
    } else {
        demo(&root, kind, &mut n, kept)?
    };
    if format == Format::Json {
        let mut report = json!({"workspace": root, "ok": ok, "events": n.events});
        report["demo"] = if args.policy { "policy" } else { "chain" }.into();
        if !args.policy {
            report["envelope"] = kind.name().into();
        }
        output::json(&report)?;
    }
    Ok(if ok {
        Outcome::Success
    } else {
        Outcome::Failed
    })
}

fn demo(root: &Path, kind: EnvelopeKind, n: &mut Narrator, kept: bool) -> anyhow::Result<bool> {
    let f = Folders::create(root)?;
    n.say("intoto demo: a software supply chain recorded, verified, tampered with and caught")?;
    n.say(&format!("workspace: {}\n", root.display()))?;

    // 1. Keys.
    let alice = Party::new("alice", KeyType::Ed25519)?;
    let bob = Party::new("bob", KeyType::Ed25519)?;
    let carol = Party::new("carol", KeyType::EcdsaP256)?;
    for p in [&alice, &bob, &carol] {
        p.write_keys(&f.keys)?;
    }
    n.say(&format!(
        "1. keys: owner alice ({}), functionaries bob ({}) and carol ({}) in keys/",
        alice.short_id(),
        bob.short_id(),
        carol.short_id()
    ))?;
    n.record(json!({"event": "keys", "alice": alice.key.keyid().as_str(), "bob": bob.key.keyid().as_str(), "carol": carol.key.keyid().as_str()}));

    // 2. The layout.
    let layout = layout(&bob, &carol)?;
    let mut md = Metadata::wrap(&layout.to_value(), kind);
    sign_metadata(&mut md, &alice.key)?;
    let layout_path = f.client.join("root.layout");
    fs::write_metadata(&layout_path, &md)?;
    n.say("2. layout: clone -> build -> package, then inspection untar; signed by alice -> client/root.layout")?;

    // 3. The upstream project and the steps.
    write(
        &f.upstream.join("src/hello.c"),
        "#include <stdio.h>\nint main(void) { puts(\"hello, world\"); }\n",
    )?;
    write(&f.upstream.join("src/README.md"), "# hello\n")?;
    n.say("3. recording the steps (in functionary/, links to client/):")?;
    let started_on = chrono::Utc::now();
    let mut build = None;
    for plan in steps(&bob, &carol) {
        let link = record_step(&f, plan, kind, n)?;
        if plan.0 == "build" {
            build = Some(link);
        }
    }
    if let Some(build) = &build {
        attestations::produce(&f, build, started_on, &bob, &carol, n)?;
    }
    std::fs::copy(f.work.join("hello.tar"), f.client.join("hello.tar"))
        .context("cannot deliver hello.tar")?;

    // 4. Verify.
    let verdict = verify(&f.client, &layout_path, alice.public())?;
    n.say(&format!(
        "4. the client verifies hello.tar against root.layout with alice.pub: {}",
        outcome(&verdict)
    ))?;
    explain(&verdict, n)?;
    n.record(json!({"event": "verify", "passed": verdict.passed(), "codes": codes(&verdict)}));
    let mut ok = verdict.passed();

    // 5. Attack between steps: the build output is replaced before packaging.
    let attack = f.root.join("attack-between-steps");
    copy_tree(&f.work, &attack.join("functionary"))?;
    std::fs::create_dir_all(attack.join("client"))?;
    let attacked = Folders {
        root: attack.clone(),
        keys: f.keys.clone(),
        upstream: f.upstream.clone(),
        work: attack.join("functionary"),
        client: attack.join("client"),
    };
    for file in ["clone", "build"] {
        let name = link_file_name(&StepName::new(file)?, bob.key.keyid());
        std::fs::copy(f.client.join(&name), attacked.client.join(&name))?;
    }
    std::fs::copy(&layout_path, attacked.client.join("root.layout"))?;
    write(
        &attacked.work.join("build/hello"),
        "compiled: echo 'you have been pwned'\n",
    )?;
    n.say(
        "\n5. attack: someone swaps build/hello after bob built it and before carol packages it",
    )?;
    record_step(&attacked, steps(&bob, &carol)[2], kind, n)?;
    std::fs::copy(
        attacked.work.join("hello.tar"),
        attacked.client.join("hello.tar"),
    )?;
    let verdict = verify(
        &attacked.client,
        &attacked.client.join("root.layout"),
        alice.public(),
    )?;
    n.say(&format!("   the client verifies: {}", outcome(&verdict)))?;
    explain(&verdict, n)?;
    n.record(json!({"event": "attack-between-steps", "caught": !verdict.passed(), "codes": codes(&verdict)}));
    ok &= !verdict.passed();

    // 6. Attack in transit: the delivered package is replaced.
    let transit = f.root.join("attack-in-transit");
    std::fs::create_dir_all(&transit)?;
    for (step, party, _, _) in steps(&bob, &carol) {
        let name = link_file_name(&StepName::new(step)?, party.key.keyid());
        std::fs::copy(f.client.join(&name), transit.join(&name))?;
    }
    std::fs::copy(&layout_path, transit.join("root.layout"))?;
    let evil = f.root.join("evil");
    write(
        &evil.join("build/hello"),
        "compiled: echo 'you have been pwned'\n",
    )?;
    let tar = RunOptions::new(["tar", "cf", "hello.tar", "build/hello"])
        .working_dir(&evil)
        .run()?;
    ensure!(
        tar.return_value == 0,
        "tar failed to build the attacker's package: {}",
        tar.stderr.trim()
    );
    std::fs::copy(evil.join("hello.tar"), transit.join("hello.tar"))?;
    n.say("\n6. attack: hello.tar is swapped on its way to the client")?;
    let verdict = verify(&transit, &transit.join("root.layout"), alice.public())?;
    n.say(&format!("   the client verifies: {}", outcome(&verdict)))?;
    explain(&verdict, n)?;
    n.record(json!({"event": "attack-in-transit", "caught": !verdict.passed(), "codes": codes(&verdict)}));
    ok &= !verdict.passed();

    n.say("")?;
    if ok {
        n.say("the untampered chain verified, and both attacks were caught.")?;
    } else {
        n.say("unexpected: see the verdicts above.")?;
    }
    if kept {
        n.say(&format!(
            "try it yourself: cd {} && intoto verify -l root.layout --verification-keys ../keys/alice.pub -v",
            f.client.display()
        ))?;
    }
    Ok(ok)
}
