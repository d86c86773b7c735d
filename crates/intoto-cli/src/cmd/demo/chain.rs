//! The demo's supply chain itself: its steps and their commands, recording
//! a step with a functionary's key, the layout alice signs, verifying as
//! the client does, and the file helpers.

use std::path::Path;

use anyhow::{Context as _, ensure};
use serde_json::json;

use intoto::crypto::{PublicKey, sign_metadata};
use intoto::fs;
use intoto::model::{
    ArtifactRule, EnvelopeKind, Expires, Inspection, Layout, Metadata, Step, StepName,
    link_file_name,
};
use intoto::record::{RecordOptions, RunOptions, StepOptions, run_step};
use intoto::verify::{CommandRunner, Verdict, VerifyOptions, VerifyRequest, verify_supply_chain};

use super::{Folders, Narrator, Party};

pub(super) type StepPlan<'a> = (
    &'static str,
    &'a Party,
    &'static [&'static str],
    &'static [&'static str],
);

/// Each step: its functionary, the artifacts recorded before and after.
pub(super) fn steps<'a>(bob: &'a Party, carol: &'a Party) -> [StepPlan<'a>; 3] {
    [
        ("clone", bob, &[], &["src"]),
        ("build", bob, &["src"], &["src", "build"]),
        ("package", carol, &["build"], &["build", "hello.tar"]),
    ]
}

pub(super) fn command(step: &str) -> Vec<String> {
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
pub(super) fn record_step(
    f: &Folders,
    plan: StepPlan<'_>,
    kind: EnvelopeKind,
    n: &mut Narrator,
) -> anyhow::Result<intoto::model::Link> {
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
    let path = f.client.join(link_file_name(&StepName::new(step)?, &keyid));
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
    Ok(record.link)
}

/// The layout alice signs.
pub(super) fn layout(bob: &Party, carol: &Party) -> anyhow::Result<Layout> {
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
        // The release's attestations, delivered with it.
        rule(&["ALLOW", "hello.intoto.jsonl"])?,
        rule(&["DISALLOW", "*"])?,
    ];
    untar.expected_products = vec![
        rule(&["MATCH", "build/hello", "WITH", "PRODUCTS", "FROM", "build"])?,
        rule(&["MATCH", "hello.tar", "WITH", "PRODUCTS", "FROM", "package"])?,
        rule(&["ALLOW", "root.layout"])?,
        rule(&["ALLOW", "hello.intoto.jsonl"])?,
        rule(&["DISALLOW", "*"])?,
    ];
    layout.steps = vec![clone, build, package];
    layout.inspect = vec![untar];
    Ok(layout)
}

pub(super) fn verify(client: &Path, layout: &Path, owner: &PublicKey) -> anyhow::Result<Verdict> {
    let options = VerifyOptions::new()
        .link_dir(client)
        .runner(CommandRunner::new().working_dir(client));
    let request = VerifyRequest::new(layout, vec![owner.clone()]).options(options);
    Ok(verify_supply_chain(&request)?.verdict)
}

pub(super) fn outcome(verdict: &Verdict) -> &'static str {
    if verdict.passed() { "PASSED" } else { "FAILED" }
}

pub(super) fn codes(verdict: &Verdict) -> Vec<&'static str> {
    verdict.errors().map(|d| d.code.as_str()).collect()
}

pub(super) fn explain(verdict: &Verdict, n: &mut Narrator) -> anyhow::Result<()> {
    for d in verdict.errors() {
        n.say(&format!("   {d}"))?;
        if let Some(help) = &d.help {
            n.say(&format!("     help: {help}"))?;
        }
    }
    Ok(())
}

/// An argument list as a shell would read it back.
pub(super) fn shell_words(argv: &[String]) -> String {
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

pub(super) fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

pub(super) fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
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
