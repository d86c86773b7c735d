//! Flags that `run`, `record`, `match-products` and `mock` share: the
//! signing key (loaded into an `intoto::signer::LinkSigner`), how artifacts
//! are recorded, and the form links are written in.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use clap::Args;

use intoto::crypto::{CertifiedSigner, KeyIdForm, PrivateKey, Signer};
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
        required_unless_present_any = ["gpg", "spiffe_socket"],
        conflicts_with_all = ["gpg", "spiffe_socket"]
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
    #[command(flatten)]
    certificates: CertArgs,
}

/// X.509 certificates for signing keys (ITE-7): `--signing-cert`,
/// `--signing-chain`, or an X509-SVID from `--spiffe-socket`.
#[derive(Debug, Args)]
pub(crate) struct CertArgs {
    /// PEM X.509 certificate of a signing key, embedded in its signature
    /// (`cert` in legacy metadata, `certificate` in DSSE) so that layouts
    /// can authorise the certificate's identity instead of the key. With
    /// several signing keys (`sign`, `attest`), repeat it: each certificate
    /// goes with the key it holds.
    #[arg(
        long = "signing-cert",
        value_name = "PATH",
        conflicts_with = "spiffe_socket"
    )]
    signing_cert: Vec<PathBuf>,
    /// PEM intermediate certificates between the signing certificates and
    /// their root, embedded beside them (`intermediates`).
    #[arg(long = "signing-chain", value_name = "PATH", requires = "signing_cert")]
    signing_chain: Option<PathBuf>,
    /// Sign with the X509-SVID of this workload, fetched from the SPIFFE
    /// Workload API at this Unix socket (such as a SPIRE agent's
    /// /run/spire/sockets/agent.sock): its key signs, its certificate and
    /// intermediates go into the signature.
    #[arg(long = "spiffe-socket", value_name = "PATH")]
    spiffe_socket: Option<PathBuf>,
}

impl CertArgs {
    /// Whether signatures carry certificates (for refusing them with GnuPG).
    pub(crate) fn given(&self) -> bool {
        self.spiffe_socket.is_some() || !self.signing_cert.is_empty()
    }

    /// The signer of an X509-SVID from `--spiffe-socket`, if given.
    pub(crate) fn svid_signer(&self) -> anyhow::Result<Option<CertifiedSigner<PrivateKey>>> {
        let Some(socket) = &self.spiffe_socket else {
            return Ok(None);
        };
        let svid = intoto_spiffe::fetch_x509_svid(socket, intoto_spiffe::FETCH_TIMEOUT)
            .with_context(|| {
                format!(
                    "cannot get an X509-SVID from the SPIFFE Workload API at {}; check that the agent runs and that this workload is registered",
                    socket.display()
                )
            })?;
        tracing::info!(spiffe_id = svid.spiffe_id, "signing with the X509-SVID");
        Ok(Some(svid.signer()?))
    }

    /// `keys` as signers, each with the certificate among `--signing-cert`
    /// that holds its key (and `--signing-chain`). A certificate for none
    /// of the keys is an error.
    pub(crate) fn certify(&self, keys: Vec<PrivateKey>) -> anyhow::Result<Vec<Box<dyn Signer>>> {
        let chain = match &self.signing_chain {
            None => Vec::new(),
            Some(path) => pem_certificates(path)?,
        };
        let mut certs = Vec::new();
        for path in &self.signing_cert {
            let (text, cert) = signing_certificate(path)?;
            certs.push((path, text, cert, false));
        }
        let mut signers: Vec<Box<dyn Signer>> = Vec::new();
        for key in keys {
            let found = certs
                .iter_mut()
                .find(|(_, _, cert, _)| cert.holds(key.public_key()));
            match found {
                Some((_, text, _, used)) => {
                    *used = true;
                    let public = key.public_key().clone();
                    signers.push(Box::new(CertifiedSigner::new(
                        key,
                        &public,
                        text,
                        chain.clone(),
                    )?));
                }
                None => signers.push(Box::new(key)),
            }
        }
        if let Some((path, _, cert, _)) = certs.iter().find(|(_, _, _, used)| !used) {
            bail!(
                "{}: the certificate ({}) is for none of the signing keys; give the key it certifies with --signing-key",
                path.display(),
                cert.identity()
            );
        }
        Ok(signers)
    }
}

/// The one certificate of a `--signing-cert` file (its PEM, re-encoded).
fn signing_certificate(path: &Path) -> anyhow::Result<(String, intoto::crypto::x509::Certificate)> {
    let text = read_pem(path)?;
    let certs = intoto::crypto::x509::parse_pem_chain(&text)
        .with_context(|| format!("{}: not a PEM certificate", path.display()))?;
    let [cert] = certs.as_slice() else {
        bail!(
            "{}: holds {} certificates; give the signing certificate alone, and the others with --signing-chain",
            path.display(),
            certs.len()
        );
    };
    Ok((cert.to_pem(), cert.clone()))
}

fn read_pem(path: &Path) -> anyhow::Result<String> {
    let bytes = intoto_record_read(path)?;
    String::from_utf8(bytes).with_context(|| format!("{}: not PEM text", path.display()))
}

fn intoto_record_read(path: &Path) -> anyhow::Result<Vec<u8>> {
    intoto::record::file::read_bounded(path, intoto::crypto::x509::MAX_PEM_BYTES as u64)
        .with_context(|| format!("cannot read {}", path.display()))
}

/// Each certificate in a PEM file, as its own PEM text.
fn pem_certificates(path: &Path) -> anyhow::Result<Vec<String>> {
    let text = read_pem(path)?;
    let certs = intoto::crypto::x509::parse_pem_chain(&text)
        .with_context(|| format!("{}: not PEM certificates", path.display()))?;
    Ok(certs.iter().map(|c| c.to_pem()).collect())
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
        if self.gpg.is_some() && self.certificates.given() {
            bail!(
                "--gpg signs without certificates; use --signing-key with --signing-cert, or --spiffe-socket"
            );
        }
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
        if let Some(signer) = self.certificates.svid_signer()? {
            return Ok(LinkSigner::Certified(signer));
        }
        let Some(path) = &self.signing_key else {
            bail!("give a signing key: --signing-key PATH, --gpg [KEYID] or --spiffe-socket PATH");
        };
        let key = read_signing_key(path, self.password.as_ref())?;
        if self.certificates.signing_cert.is_empty() {
            return Ok(LinkSigner::Key(key));
        }
        let chain = match &self.certificates.signing_chain {
            None => Vec::new(),
            Some(path) => pem_certificates(path)?,
        };
        let [cert] = self.certificates.signing_cert.as_slice() else {
            bail!("give one --signing-cert: a link has one signing key");
        };
        let (text, _) = signing_certificate(cert)?;
        let public = key.public_key().clone();
        let signer = CertifiedSigner::new(key, &public, &text, chain)
            .with_context(|| format!("cannot sign with {}", cert.display()))?;
        Ok(LinkSigner::Certified(signer))
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
