//! The release pipeline of `intoto demo --policy`: hello's sources and the
//! scripts its CI runs, the reports its tools write (JUnit XML, a Grype
//! scan, an SPDX SBOM), and each step carried out with the `intoto` binary
//! itself, the command shown as a release engineer would type it. Each
//! attestation is read back and summarised as it is made.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use serde_json::{Value, json};

use intoto::model::bundle::{BundleItem, read_bundle, statement_of};
use intoto::model::{Metadata, Statement};
use intoto::record::{RunOptions, RunOutcome, Streams};

use super::chain::{shell_words, write};
use super::policy::{NAME, PACKAGE, PURL, VERSION};
use super::{Narrator, Party};

/// hello's source, as reviewed.
pub(super) const HELLO_C: &str =
    "#include <stdio.h>\nint main(void) { puts(\"hello, world\"); return 0; }\n";

/// The build: the same package, byte for byte, from the same sources.
const BUILD_SH: &str = r#"# Builds dist/hello-$1.tar from src/, the same bytes from the same sources.
set -e
mkdir -p build dist
sed 's/^/compiled: /' src/hello.c > build/hello
touch -t 202501010000 build/hello
tar -cf "dist/hello-$1.tar" -C build hello
"#;

/// The tests: three checks of the package, reported as JUnit XML.
const TEST_SH: &str = r#"# Tests dist/hello-$1.tar; writes the JUnit report junit.xml.
pkg="dist/hello-$1.tar"
check() {
  if eval "$2"; then echo "  <testcase classname=\"hello\" name=\"$1\"/>"
  else echo "  <testcase classname=\"hello\" name=\"$1\"><failure message=\"$1 failed\"/></testcase>"; fi
}
{
  echo '<testsuite name="hello" tests="3">'
  check packaged "tar -tf $pkg | grep -qx hello"
  check greets "tar -xOf $pkg hello | grep -q 'hello, world'"
  check exits-cleanly "tar -xOf $pkg hello | grep -q 'return 0'"
  echo '</testsuite>'
} > junit.xml
"#;

/// The reviewed change.
const CHANGE: &str = "gitCommit:5c0d7f3e9a41b2c8d6e0f1a2b3c4d5e6f7a8b9c0";
const CHANGE_URI: &str = "https://git.example.com/hello/pull/42";

/// The bundle the pipeline appends the package's attestations to.
pub(super) const BUNDLE: &str = "hello-1.4.2.intoto.jsonl";

/// The `intoto` binary this demo runs as, run in the demo's folders.
pub(super) struct Intoto {
    exe: String,
    root: PathBuf,
}

impl Intoto {
    pub(super) fn new(root: &Path) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find the intoto binary")?;
        let Some(exe) = exe.to_str() else {
            bail!(
                "the path of the intoto binary is not UTF-8: {}",
                exe.display()
            );
        };
        Ok(Self {
            exe: exe.to_owned(),
            root: root.to_owned(),
        })
    }

    /// The demo's root folder.
    pub(super) fn root(&self) -> &Path {
        &self.root
    }

    /// Runs `intoto ARGS` in `dir` (relative to the root).
    pub(super) fn run(&self, dir: &str, args: &[String]) -> anyhow::Result<RunOutcome> {
        let mut argv = vec![self.exe.clone()];
        argv.extend(args.iter().cloned());
        RunOptions::new(argv)
            .working_dir(self.root.join(dir))
            .streams(Streams::Capture)
            .timeout(Duration::from_secs(120))
            .run()
            .with_context(|| format!("cannot run intoto {}", shell_words(args)))
    }

    /// Runs `intoto ARGS` in `dir`, which must succeed.
    pub(super) fn ok(&self, dir: &str, args: &[String]) -> anyhow::Result<RunOutcome> {
        let out = self.run(dir, args)?;
        ensure!(
            out.return_value == 0,
            "`intoto {}` (in {dir}) exited with {}: {}",
            shell_words(args),
            out.return_value,
            out.stderr.trim()
        );
        Ok(out)
    }
}

/// `$ intoto ARGS`.
pub(super) fn shown(args: &[String]) -> String {
    format!("$ intoto {}", shell_words(args))
}

/// Owned arguments.
pub(super) fn args(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

/// A finding the scanner reports.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Scan {
    /// Nothing known.
    Clean,
    /// CVE-2022-37434 (CRITICAL) in the zlib hello bundles.
    CriticalZlib,
}

/// A checkout of hello where the pipeline runs, and the folder its
/// attestations go to.
pub(super) struct Checkout<'a> {
    pub(super) intoto: &'a Intoto,
    /// The checkout, relative to the root: `work`, `attack-…/work`.
    pub(super) dir: String,
    /// Its attestation folder, relative to the root.
    pub(super) attestations: String,
    /// Whether each step shows its commands and attestation.
    pub(super) show: bool,
}

impl Checkout<'_> {
    /// The way back to the root from the checkout: `../`, `../../`.
    fn up(&self) -> String {
        "../".repeat(Path::new(&self.dir).components().count())
    }

    fn key(&self, p: &Party) -> String {
        format!("{}keys/{}", self.up(), p.name)
    }

    /// The attestation folder, from the checkout (its sibling, or further
    /// away).
    fn attestations_dir(&self) -> String {
        let parent = Path::new(&self.dir).parent().unwrap_or(Path::new(""));
        match Path::new(&self.attestations).strip_prefix(parent) {
            Ok(sibling) if !parent.as_os_str().is_empty() => format!("../{}", sibling.display()),
            _ => format!("{}{}", self.up(), self.attestations),
        }
    }

    fn bundle(&self) -> String {
        format!("{}/{BUNDLE}", self.attestations_dir())
    }

    /// A file of the checkout.
    pub(super) fn path(&self, name: &str) -> PathBuf {
        self.intoto.root().join(&self.dir).join(name)
    }

    /// The package, relative to the root.
    pub(super) fn package(&self) -> String {
        format!("{}/{PACKAGE}", self.dir)
    }

    /// Writes hello's sources, with `hello_c` as its program.
    pub(super) fn write_sources(&self, hello_c: &str) -> anyhow::Result<()> {
        write(&self.path("src/hello.c"), hello_c)?;
        write(&self.path("src/build.sh"), BUILD_SH)?;
        write(&self.path("src/test.sh"), TEST_SH)
    }

    /// alice and bob review the sources and both approve.
    pub(super) fn review(
        &self,
        n: &mut Narrator,
        alice: &Party,
        bob: &Party,
    ) -> anyhow::Result<()> {
        let out = format!("{}/review.json", self.attestations_dir());
        let argv = args(&[
            "attest",
            "--type",
            "review",
            "--change",
            CHANGE,
            "--change-uri",
            CHANGE_URI,
            "--reviewer",
            alice.name,
            "--reviewer",
            bob.name,
            "--approved-by",
            alice.name,
            "--approved-by",
            bob.name,
            "--subject",
            "src",
            "--signing-key",
            &self.key(alice),
            "--signing-key",
            &self.key(bob),
            "-o",
            &out,
        ]);
        let written = format!("{}/review.json", self.attestations);
        self.step(n, "review", &[], &argv, &written, &[alice, bob])
    }

    /// ci builds the package on `builder` and signs its SLSA provenance.
    pub(super) fn build(&self, n: &mut Narrator, ci: &Party, builder: &str) -> anyhow::Result<()> {
        let argv = args(&[
            "run",
            "-n",
            "build",
            "-m",
            "src",
            "-p",
            PACKAGE,
            "--attest",
            "provenance",
            "--builder-id",
            builder,
            "--signing-key",
            &self.key(ci),
            "-d",
            &self.attestations_dir(),
            "--",
            "sh",
            "src/build.sh",
            VERSION,
        ]);
        let provenance = format!(
            "{}/build.{}.provenance.json",
            self.attestations,
            ci.short_id()
        );
        self.step(n, "build", &[], &argv, &provenance, &[ci])
    }

    /// ci tests the package and signs the JUnit report's results.
    pub(super) fn test(&self, n: &mut Narrator, ci: &Party) -> anyhow::Result<()> {
        let script = [
            "sh".to_owned(),
            "src/test.sh".to_owned(),
            VERSION.to_owned(),
        ];
        let run = RunOptions::new(script.clone())
            .working_dir(self.path(""))
            .streams(Streams::Capture)
            .run()
            .context("cannot run the tests")?;
        ensure!(
            run.return_value == 0,
            "the tests (sh src/test.sh) failed to run: {}",
            run.stderr.trim()
        );
        let before = format!("$ {}   (writes junit.xml)", shell_words(&script));
        self.attest(
            n,
            "test",
            &before,
            &["test-result", "--from", "junit.xml"],
            ci,
        )
    }

    /// The scanner scans the package and signs its findings.
    pub(super) fn scan(&self, n: &mut Narrator, scanner: &Party, scan: Scan) -> anyhow::Result<()> {
        write(
            &self.path("grype.json"),
            &pretty(&grype_report(scan, chrono::Utc::now())),
        )?;
        let before = "(the scanner writes grype.json, a report in Grype's JSON format)";
        self.attest(
            n,
            "scan",
            before,
            &["vulns", "--from", "grype.json"],
            scanner,
        )
    }

    /// The scanner lists what the package holds as an SPDX SBOM and signs
    /// it.
    pub(super) fn sbom(&self, n: &mut Narrator, scanner: &Party) -> anyhow::Result<()> {
        let digests = intoto::fs::hash_file(&self.path(PACKAGE))?;
        let sha256 = digests.get("sha256").unwrap_or_default().to_owned();
        write(
            &self.path("hello.spdx.json"),
            &pretty(&spdx_document(&sha256, chrono::Utc::now())),
        )?;
        let before = "(the SBOM tool writes hello.spdx.json, an SPDX 2.3 document)";
        self.attest(
            n,
            "sbom",
            before,
            &["spdx", "--from", "hello.spdx.json"],
            scanner,
        )
    }

    /// rita releases the package.
    pub(super) fn release(&self, n: &mut Narrator, rita: &Party) -> anyhow::Result<()> {
        write(
            &self.path("release.json"),
            &pretty(&json!({"purl": PURL, "releaseId": format!("{NAME}-{VERSION}")})),
        )?;
        let before = format!("(rita writes release.json: {PURL})");
        self.attest(
            n,
            "release",
            &before,
            &["release", "--predicate", "release.json"],
            rita,
        )
    }

    /// `intoto attest --type TYPE ...` about the package, into the bundle;
    /// `predicate` is the type and where the predicate comes from.
    fn attest(
        &self,
        n: &mut Narrator,
        step: &str,
        before: &str,
        predicate: &[&str; 3],
        signer: &Party,
    ) -> anyhow::Result<()> {
        let mut argv = args(&["attest", "--type"]);
        argv.extend(args(predicate));
        argv.extend(args(&[
            "--subject",
            PACKAGE,
            "--signing-key",
            &self.key(signer),
            "--bundle",
            &self.bundle(),
        ]));
        let written = format!("{}/{BUNDLE}", self.attestations);
        self.step(n, step, &[before], &argv, &written, &[signer])
    }

    /// Runs one step's command, then shows the attestation it left at
    /// `written` (a file, or the last line of a bundle; relative to the
    /// root).
    fn step(
        &self,
        n: &mut Narrator,
        step: &str,
        before: &[&str],
        argv: &[String],
        written: &str,
        signers: &[&Party],
    ) -> anyhow::Result<()> {
        self.intoto.ok(&self.dir, argv)?;
        let path = self.intoto.root().join(written);
        let statement = last_statement(&path)?;
        let names: Vec<&str> = signers.iter().map(|p| p.name).collect();
        if self.show {
            let mut label = format!("{step:<8}");
            for line in before {
                n.say(&format!("   {label} {line}"))?;
                label = " ".repeat(8);
            }
            n.say(&format!("   {label} {}", shown(argv)))?;
            let summary = statement.typed_predicate()?.summary();
            let subjects: Vec<&str> = statement
                .subject
                .iter()
                .filter_map(|s| s.name.as_deref())
                .collect();
            n.say(&format!(
                "            -> {summary}; about {}; signed by {}",
                subjects.join(", "),
                names.join(" and ")
            ))?;
        }
        n.record(json!({
            "event": "attestation", "step": step, "predicateType": statement.predicate_type,
            "signers": names, "file": written,
        }));
        Ok(())
    }

    /// The whole pipeline after the review: build, test, scan, SBOM and
    /// release.
    pub(super) fn after_review(
        &self,
        n: &mut Narrator,
        parties: &super::policy::Functionaries<'_>,
        builder: &str,
    ) -> anyhow::Result<()> {
        self.build(n, parties.ci, builder)?;
        self.test(n, parties.ci)?;
        self.scan(n, parties.scanner, Scan::Clean)?;
        self.sbom(n, parties.scanner)?;
        self.release(n, parties.rita)
    }
}

/// The statement of an envelope file, or of the last line of a bundle.
pub(super) fn last_statement(path: &Path) -> anyhow::Result<Statement> {
    let bytes = intoto::fs::read(path, 64 << 20)?;
    if path.extension().is_some_and(|e| e == "jsonl") {
        let last = read_bundle(&bytes)
            .into_iter()
            .filter_map(|line| match line.item {
                BundleItem::Statement { statement, .. } => Some(statement),
                _ => None,
            })
            .next_back();
        return last.with_context(|| format!("{} holds no attestation", path.display()));
    }
    match Metadata::from_slice(&bytes)? {
        Metadata::Envelope(envelope) => Ok(statement_of(&envelope)?),
        _ => bail!("{} is not a DSSE envelope", path.display()),
    }
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The scanner's report, as Grype writes it (`grype -o json`), cut down to
/// what a vulnerability predicate takes from it.
fn grype_report(scan: Scan, now: chrono::DateTime<chrono::Utc>) -> Value {
    let matches = match scan {
        Scan::Clean => json!([]),
        Scan::CriticalZlib => json!([{
            "vulnerability": {
                "id": "CVE-2022-37434",
                "namespace": "nvd:cpe",
                "severity": "Critical",
                "cvss": [{"source": "nvd@nist.gov", "version": "3.1", "metrics": {"baseScore": 9.8}}],
                "fix": {"state": "fixed", "versions": ["1.2.13"]},
            },
            "artifact": {"name": "zlib", "version": "1.2.12", "type": "binary",
                         "purl": "pkg:generic/zlib@1.2.12"},
        }]),
    };
    json!({
        "matches": matches,
        "source": {"type": "file", "target": PACKAGE},
        "descriptor": {
            "name": "grype",
            "version": "0.87.0",
            "timestamp": rfc3339(now),
            "db": {"built": rfc3339(now - chrono::Duration::hours(6)), "schemaVersion": "v6.0.2"},
        },
    })
}

/// The SBOM: hello, with the package's digest, and the zlib it bundles.
fn spdx_document(package_sha256: &str, now: chrono::DateTime<chrono::Utc>) -> Value {
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": format!("{NAME}-{VERSION}"),
        "documentNamespace": format!("https://example.com/spdx/{NAME}-{VERSION}"),
        "creationInfo": {"created": rfc3339(now), "creators": ["Tool: hello-sbom-1.0"]},
        "documentDescribes": ["SPDXRef-Package-hello"],
        "packages": [
            {
                "SPDXID": "SPDXRef-Package-hello",
                "name": NAME,
                "versionInfo": VERSION,
                "packageFileName": PACKAGE,
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": false,
                "checksums": [{"algorithm": "SHA256", "checksumValue": package_sha256}],
                "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER",
                                  "referenceType": "purl", "referenceLocator": PURL}],
            },
            {
                "SPDXID": "SPDXRef-Package-zlib",
                "name": "zlib",
                "versionInfo": "1.2.12",
                "downloadLocation": "https://zlib.net/fossils/zlib-1.2.12.tar.gz",
                "filesAnalyzed": false,
            },
        ],
        "relationships": [{"spdxElementId": "SPDXRef-Package-hello",
                           "relationshipType": "CONTAINS",
                           "relatedSpdxElement": "SPDXRef-Package-zlib"}],
    })
}
