//! Flags that `run`, `record`, `match-products` and `mock` share: the
//! signing key (loaded into an `intoto::signer::LinkSigner`), how artifacts
//! are recorded, and the form links are written in.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use clap::Args;

use intoto::crypto::{KeyIdForm, PrivateKey};
use intoto::fs;
use intoto::gpg::{Gpg, GpgSigner};
use intoto::link::LinkForm;
use intoto::model::DigestAlgorithm;
use intoto::model::EnvelopeKind;
use intoto::record::{Progress, RecordOptions};
pub(crate) use intoto::signer::LinkSigner;

use crate::password::{self, with_password_hint};

/// The key a link is signed with (`--signing-key`, `-P/--password`, or
/// `-g/--gpg`, `--gpg-home`).
#[derive(Debug, Args)]
pub(crate) struct KeyArgs {
    /// Key to sign the link with: a PKCS#8 PEM private key (ed25519, RSA or
    /// ECDSA), such as `intoto key generate` writes.
    #[arg(
        long = "signing-key",
        value_name = "PATH",
        required_unless_present = "gpg",
        conflicts_with = "gpg"
    )]
    signing_key: Option<PathBuf>,
    /// Password of an encrypted signing key; -P without a value prompts for
    /// it. No password (or an empty one) means the key is not encrypted. (Not
    /// to be confused with -p, --products.)
    #[arg(short = 'P', long, num_args = 0..=1, value_name = "PASSWORD")]
    password: Option<Option<String>>,
    /// Sign with a GnuPG key from the keyring: the one with KEYID, or the
    /// default key when no keyid is given (uses the gpg program).
    #[arg(short = 'g', long, num_args = 0..=1, value_name = "KEYID")]
    gpg: Option<Option<String>>,
    /// The GnuPG home folder (default: gpg's own default).
    #[arg(long, value_name = "PATH")]
    gpg_home: Option<PathBuf>,
}

/// GnuPG with the keyring in `home` (`--gpg-home`), or gpg's default keyring.
pub(crate) fn gpg(home: Option<&Path>) -> Gpg {
    match home {
        Some(home) => Gpg::new().with_homedir(home),
        None => Gpg::new(),
    }
}

impl KeyArgs {
    /// Reads the signing key, prompting for its password if asked to, or
    /// sets up GnuPG.
    pub(crate) fn load(&self) -> anyhow::Result<LinkSigner> {
        if let Some(keyid) = &self.gpg {
            let gpg = gpg(self.gpg_home.as_deref());
            let signer = GpgSigner::new(gpg, keyid.as_deref()).with_context(|| {
                format!(
                    "cannot use {}",
                    keyid.as_deref().unwrap_or("the default GnuPG key")
                )
            })?;
            return Ok(LinkSigner::Gpg {
                signer,
                keyid: keyid.clone(),
            });
        }
        let Some(path) = &self.signing_key else {
            bail!("give a signing key: --signing-key PATH or --gpg [KEYID]");
        };
        Ok(LinkSigner::Key(read_signing_key(
            path,
            self.password.as_ref(),
        )?))
    }
}

/// Reads a PEM private key; `password` is `-P`: absent, given, or to be
/// asked for. As in the reference, an empty password means an unencrypted
/// key.
pub(crate) fn read_signing_key(
    path: &Path,
    password: Option<&Option<String>>,
) -> anyhow::Result<PrivateKey> {
    let password = match password {
        None => None,
        Some(Some(p)) => Some(p.as_bytes().to_vec()),
        Some(None) => Some(password::prompt(&path.display().to_string())?),
    }
    .filter(|p| !p.is_empty());
    fs::read_private_key(path, password.as_deref(), KeyIdForm::Modern)
        .map_err(|e| with_password_hint(e, "-P (to be asked) or -P PASSWORD"))
}

/// `ALG:HEX` (a digest given on the command line) as its algorithm and its
/// lower-cased value; `None` unless both parts are there.
pub(crate) fn alg_hex(text: &str) -> Option<(String, String)> {
    text.split_once(':')
        .filter(|(a, h)| !a.is_empty() && !h.is_empty())
        .map(|(a, h)| (a.to_owned(), h.to_ascii_lowercase()))
}

/// How materials and products are recorded.
#[derive(Debug, Args)]
pub(crate) struct ArtifactArgs {
    /// Gitignore-style patterns of paths not to record. They replace the
    /// defaults: *.link*, .git, *.pyc, *~.
    #[arg(long = "exclude", value_name = "PATTERN", num_args = 1..)]
    exclude: Vec<String>,
    /// Folder that relative material and product paths are found in; it is
    /// not part of the recorded names. Default: the current folder.
    #[arg(long, value_name = "PATH")]
    base_path: Option<PathBuf>,
    /// Prefixes to strip from recorded names; the first that matches is
    /// removed. None may be a prefix of another, and stripping must not make
    /// two names equal.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    lstrip_paths: Vec<String>,
    /// Digests to record, comma-separated: sha256 (the default, and the only
    /// one the reference records), sha224, sha384, sha512, blake3.
    #[arg(long = "hash", value_name = "ALGORITHMS", value_delimiter = ',', value_parser = parse_algorithm)]
    hash: Vec<DigestAlgorithm>,
}

fn parse_algorithm(name: &str) -> Result<DigestAlgorithm, String> {
    DigestAlgorithm::from_name(name.trim()).ok_or_else(|| {
        format!("unknown digest {name:?}; choose from sha256, sha224, sha384, sha512, blake3")
    })
}

impl ArtifactArgs {
    /// `--base-path`.
    pub(crate) fn base_path(&self) -> Option<&Path> {
        self.base_path.as_deref()
    }

    /// The library options these flags stand for, reporting to `progress`.
    pub(crate) fn options(&self, progress: Arc<dyn Progress>) -> RecordOptions {
        let mut options = RecordOptions::new()
            .exclude_patterns(self.exclude.iter().cloned())
            .lstrip_paths(self.lstrip_paths.iter().cloned())
            .algorithms(self.hash.iter().copied())
            .progress(progress);
        if let Some(base) = &self.base_path {
            options = options.base_path(base);
        }
        options
    }
}

/// What `--attest` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum AttestKind {
    /// The link as a link attestation, in place of the link.
    Link,
    /// SLSA Provenance v1 beside the link.
    Provenance,
}

/// The wrapper a signed link is written in (`--use-dsse`, `--attest`), and
/// the provenance written beside it.
#[derive(Debug, Args)]
pub(crate) struct EnvelopeArgs {
    /// Write the link in a DSSE envelope instead of the legacy
    /// {"signed", "signatures"} wrapper.
    #[arg(long)]
    use_dsse: bool,
    /// Write in-toto attestations (not in the reference): `link` (the
    /// default) writes the link as an ITE-6 Statement with the link
    /// predicate v0.3 in a DSSE envelope, under the link's file name;
    /// `provenance` also writes SLSA Provenance v1 of the step to
    /// `<name>.<keyid prefix>.provenance.json` (needs --builder-id). Both
    /// make the products their subjects, so they need products. Give
    /// `--attest link,provenance` for both.
    #[arg(long, value_name = "KIND", num_args = 0..=1, default_missing_value = "link", value_delimiter = ',')]
    attest: Vec<AttestKind>,
    /// The builder of the provenance (`runDetails.builder.id`): a URI that
    /// names who ran the step, such as the CI runner.
    #[arg(long, value_name = "URI")]
    builder_id: Option<String>,
}

impl EnvelopeArgs {
    pub(crate) fn form(&self) -> LinkForm {
        match (self.attest(), self.use_dsse) {
            (true, _) => LinkForm::Attestation,
            (false, true) => LinkForm::Link(EnvelopeKind::Dsse),
            (false, false) => LinkForm::Link(EnvelopeKind::Legacy),
        }
    }

    /// Whether the link is written as a link attestation.
    pub(crate) fn attest(&self) -> bool {
        self.attest.contains(&AttestKind::Link)
    }

    pub(crate) fn use_dsse(&self) -> bool {
        self.use_dsse
    }

    /// The builder id when provenance is asked for; an error when it is
    /// asked for without one, or a builder is given without it.
    pub(crate) fn provenance_builder(&self, step: &str) -> anyhow::Result<Option<String>> {
        let wanted = self.attest.contains(&AttestKind::Provenance);
        match (&self.builder_id, wanted) {
            (Some(id), true) => Ok(Some(id.clone())),
            (None, true) => bail!(
                "--attest provenance needs --builder-id URI (who runs step {step:?}, such as the CI runner's URI)"
            ),
            (Some(_), false) => bail!("--builder-id goes with --attest provenance"),
            (None, false) => Ok(None),
        }
    }
}

/// Writes the provenance of a recorded step beside its link, signed by the
/// link's signer; returns the path written.
pub(crate) fn write_provenance(
    link: &intoto::model::Link,
    context: &intoto::attest::provenance::RunContext,
    key: &LinkSigner,
    dir: Option<&Path>,
) -> anyhow::Result<PathBuf> {
    use intoto::attest::{Output, provenance, sign_and_write, sign_statement, write_attestation};
    let statement = provenance::statement_of(link, context)
        .with_context(|| format!("cannot make the provenance of step {:?}", link.name))?;
    let step = intoto::model::StepName::new(&link.name)
        .map_err(|p| anyhow::anyhow!("the step name {:?} cannot name a file: it {p}", link.name))?;
    let place = |keyid: &intoto::model::KeyId| {
        let name = provenance::file_name(&step, keyid);
        dir.map_or_else(|| PathBuf::from(&name), |d| d.join(&name))
    };
    match key.keyid() {
        // The file name is known before signing: sign while writing.
        Some(keyid) => {
            let output = Output::File(place(keyid));
            Ok(sign_and_write(&statement, &[key.signer()], &output)?.0)
        }
        // GnuPG's keyid is known only from its signature.
        None => {
            let envelope = sign_statement(&statement, &[key.signer()])?;
            let keyid = envelope
                .signatures
                .first()
                .map(|s| s.keyid.clone())
                .unwrap_or_default();
            Ok(write_attestation(&envelope, &Output::File(place(&keyid)))?)
        }
    }
}
