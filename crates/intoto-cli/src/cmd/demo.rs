//! `intoto demo`: a whole supply chain, from nothing, in a temporary folder.
//!
//! An owner (alice) and two functionaries (bob, carol) get keys; alice lays
//! out clone → build → package plus an `untar` inspection and signs it; bob
//! and carol carry the steps out with the recorder and sign their links; the
//! client verifies the delivered package (it passes). Then two attacks:
//! the build output is swapped between build and package, and the package
//! is swapped in transit. Verification catches both and says why.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail, ensure};
use clap::Args;
use serde_json::{Value, json};

use intoto::crypto::{KeyType, PrivateKey, PublicKey, sign_metadata};
use intoto::fs;
use intoto::model::{
    ArtifactRule, EnvelopeKind, Expires, Inspection, Layout, Metadata, Step, link_file_name,
};
use intoto::record::{RecordOptions, RunOptions, StepOptions, run_step};
use intoto::verify::{CommandRunner, Verdict, VerifyOptions, verify_layout_file};

use crate::exit::Outcome;
use crate::output;
use crate::output::Format;

/// Run a complete demo supply chain: record, verify, tamper, and catch it.
///
/// Everything happens in a temporary folder (or --dir), with keys made on
/// the spot; the steps run `cp`, `sh` and `tar`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    intoto demo                       # in a temporary folder, removed afterwards\n  \
    intoto demo --dir /tmp/chain      # keep the files and try the commands yourself\n  \
    intoto demo --use-dsse --format json")]
pub(crate) struct DemoArgs {
    /// Keep the demo's files in this folder (it must not exist yet or be empty).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Write links and the layout as DSSE envelopes instead of legacy metadata.
    #[arg(long)]
    use_dsse: bool,
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
    let ok = demo(&root, kind, &mut n, args.dir.is_some())?;
    if format == Format::Json {
        output::json(
            &json!({"workspace": root, "envelope": kind.name(), "ok": ok, "events": n.events}),
        )?;
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
        let private = p.key.to_pkcs8_pem(None)?;
        fs::write_private(&f.keys.join(p.name), private.as_bytes())?;
        fs::write_atomic(
            &f.keys.join(format!("{}.pub", p.name)),
            p.key.public_key_pem()?.as_bytes(),
        )?;
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
    for plan in steps(&bob, &carol) {
        record_step(&f, plan, kind, n)?;
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
        let name = link_file_name(file, bob.key.keyid());
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
        let name = link_file_name(step, party.key.keyid());
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

type StepPlan<'a> = (
    &'static str,
    &'a Party,
    &'static [&'static str],
    &'static [&'static str],
);

/// Each step: its functionary, the artifacts recorded before and after.
fn steps<'a>(bob: &'a Party, carol: &'a Party) -> [StepPlan<'a>; 3] {
    [
        ("clone", bob, &[], &["src"]),
        ("build", bob, &["src"], &["src", "build"]),
        ("package", carol, &["build"], &["build", "hello.tar"]),
    ]
}

fn command(step: &str) -> Vec<String> {
    let argv: &[&str] = match step {
        "clone" => &["cp", "-R", "../upstream/src", "."],
        "build" => &[
            "sh",
            "-c",
            "mkdir -p build && sed 's/^/compiled: /' src/hello.c > build/hello",
        ],
        _ => &["tar", "cf", "hello.tar", "build/hello"],
    };
    argv.iter().map(|s| (*s).to_owned()).collect()
}

/// Carries out a step in the functionary's folder and writes its signed
/// link to the client's folder.
fn record_step(
    f: &Folders,
    plan: StepPlan<'_>,
    kind: EnvelopeKind,
    n: &mut Narrator,
) -> anyhow::Result<()> {
    let (step, party, materials, products) = plan;
    let argv = command(step);
    let options = StepOptions::new()
        .materials(materials.iter().copied())
        .products(products.iter().copied())
        .artifacts(RecordOptions::new().base_path(&f.work))
        .run(RunOptions::new(argv.clone()).working_dir(&f.work));
    let record = run_step(step, &options).with_context(|| format!("step {step} failed to run"))?;
    ensure!(
        record.return_value.unwrap_or(0) == 0,
        "step {step} ({}) exited with {:?}",
        argv.join(" "),
        record.return_value
    );
    let mut md = Metadata::wrap(&record.link.to_value(), kind);
    let keyid = sign_metadata(&mut md, &party.key)?;
    let path = f.client.join(link_file_name(step, &keyid));
    fs::write_metadata(&path, &md)?;
    n.say(&format!(
        "   {step:<8} as {:<6} {:<70} -> {}",
        party.name,
        shell_words(&argv),
        path.file_name()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
    ))?;
    n.record(
        json!({"event": "step", "step": step, "functionary": party.name, "command": argv,
        "products": record.link.products.len(), "link": path}),
    );
    Ok(())
}

/// The layout alice signs.
fn layout(bob: &Party, carol: &Party) -> anyhow::Result<Layout> {
    let rule = |words: &[&str]| ArtifactRule::parse(words).map_err(anyhow::Error::from);
    let now = chrono::Utc::now();
    let mut layout = Layout::new(Expires::from_datetime(now + chrono::Duration::days(30)));
    layout.readme =
        "intoto demo: clone, build and package hello; the client untars the package".into();
    for p in [bob, carol] {
        layout
            .keys
            .insert(p.key.keyid().clone(), p.public().key_dict().clone());
    }
    let mut clone = Step::new("clone");
    clone.pubkeys = vec![bob.key.keyid().clone()];
    clone.expected_command = command("clone");
    clone.expected_materials = vec![rule(&["DISALLOW", "*"])?];
    clone.expected_products = vec![rule(&["CREATE", "src/*"])?, rule(&["DISALLOW", "*"])?];

    let mut build = Step::new("build");
    build.pubkeys = vec![bob.key.keyid().clone()];
    build.expected_command = command("build");
    build.expected_materials = vec![
        rule(&["MATCH", "src/*", "WITH", "PRODUCTS", "FROM", "clone"])?,
        rule(&["DISALLOW", "*"])?,
    ];
    build.expected_products = vec![
        rule(&["CREATE", "build/hello"])?,
        rule(&["MATCH", "src/*", "WITH", "PRODUCTS", "FROM", "clone"])?,
        rule(&["DISALLOW", "*"])?,
    ];

    let mut package = Step::new("package");
    package.pubkeys = vec![carol.key.keyid().clone()];
    package.expected_command = command("package");
    package.expected_materials = vec![
        rule(&["MATCH", "build/hello", "WITH", "PRODUCTS", "FROM", "build"])?,
        rule(&["DISALLOW", "*"])?,
    ];
    package.expected_products = vec![
        rule(&["CREATE", "hello.tar"])?,
        rule(&["MATCH", "build/hello", "WITH", "PRODUCTS", "FROM", "build"])?,
        rule(&["DISALLOW", "*"])?,
    ];

    let mut untar = Inspection::new("untar", vec!["tar".into(), "xf".into(), "hello.tar".into()]);
    untar.expected_materials = vec![
        rule(&["MATCH", "hello.tar", "WITH", "PRODUCTS", "FROM", "package"])?,
        // Left over from an earlier verification in the same folder.
        rule(&["MATCH", "build/hello", "WITH", "PRODUCTS", "FROM", "build"])?,
        rule(&["ALLOW", "root.layout"])?,
        rule(&["DISALLOW", "*"])?,
    ];
    untar.expected_products = vec![
        rule(&["MATCH", "build/hello", "WITH", "PRODUCTS", "FROM", "build"])?,
        rule(&["MATCH", "hello.tar", "WITH", "PRODUCTS", "FROM", "package"])?,
        rule(&["ALLOW", "root.layout"])?,
        rule(&["DISALLOW", "*"])?,
    ];
    layout.steps = vec![clone, build, package];
    layout.inspect = vec![untar];
    Ok(layout)
}

fn verify(client: &Path, layout: &Path, owner: &PublicKey) -> anyhow::Result<Verdict> {
    let options = VerifyOptions::new()
        .link_dir(client)
        .runner(CommandRunner::new().working_dir(client));
    Ok(verify_layout_file(
        layout,
        std::slice::from_ref(owner),
        &options,
    )?)
}

fn outcome(verdict: &Verdict) -> &'static str {
    if verdict.passed() { "PASSED" } else { "FAILED" }
}

fn codes(verdict: &Verdict) -> Vec<&'static str> {
    verdict.errors().map(|d| d.code.as_str()).collect()
}

fn explain(verdict: &Verdict, n: &mut Narrator) -> anyhow::Result<()> {
    for d in verdict.errors() {
        n.say(&format!("   {d}"))?;
        if let Some(help) = &d.help {
            n.say(&format!("     help: {help}"))?;
        }
    }
    Ok(())
}

/// An argument list as a shell would read it back.
fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}
