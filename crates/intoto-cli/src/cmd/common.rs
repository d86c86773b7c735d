//! Flags and helpers that `run`, `record`, `match-products` and `mock` share:
//! the signing key, how artifacts are recorded, where and in which form links
//! are written, the progress bar and the `--format json` summary.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::{Value, json};

use intoto::crypto::gpg::{Gpg, GpgSigner};
use intoto::crypto::{KeyIdForm, PrivateKey, PublicKey, Signer, sign_metadata};
use intoto::fs;
use intoto::model::pyjson::{self, Style};
use intoto::model::{
    Envelope, EnvelopeKind, KeyId, Link, Metadata, PAYLOAD_TYPE_INTOTO, Signature, Statement,
    link_file_name,
};
use intoto::record::{self, HashAlgorithm, Phase, Progress, RecordOptions, encoding};

use crate::exit::{self, Outcome};
use crate::password;

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

/// What signs links: a private key in memory, or GnuPG.
pub(crate) enum LinkSigner {
    /// A PEM private key.
    Key(PrivateKey),
    /// A GnuPG key, by keyid or the keyring's default.
    Gpg {
        /// Runs `gpg --detach-sign`.
        signer: GpgSigner,
        /// The keyid asked for; `None` for the default key.
        keyid: Option<String>,
    },
}

impl LinkSigner {
    /// The signer.
    pub(crate) fn signer(&self) -> &dyn Signer {
        match self {
            Self::Key(key) => key,
            Self::Gpg { signer, .. } => signer,
        }
    }

    /// The keyid signatures carry, when known before signing (GnuPG may sign
    /// with a subkey, and its default key is only known after).
    pub(crate) fn keyid(&self) -> Option<&KeyId> {
        match self {
            Self::Key(key) => Some(key.keyid()),
            Self::Gpg { .. } => None,
        }
    }

    /// For messages: the keyid prefix, or the GnuPG key asked for.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Key(key) => key.keyid().short().to_owned(),
            Self::Gpg {
                keyid: Some(id), ..
            } => format!("GnuPG key {id}"),
            Self::Gpg { keyid: None, .. } => "the default GnuPG key".to_owned(),
        }
    }

    /// The public key that must have signed `md` (an unfinished link made by
    /// this signer): the key's own, or the GnuPG key exported from the
    /// keyring, by the keyid asked for or, for the default key, the keyid the
    /// link's signature names, as the reference does.
    pub(crate) fn verification_key(&self, md: &Metadata) -> anyhow::Result<PublicKey> {
        match self {
            Self::Key(key) => Ok(key.public_key().clone()),
            Self::Gpg { signer, keyid } => {
                let id = match keyid {
                    Some(id) => id.clone(),
                    None => md
                        .signatures()
                        .first()
                        .map(|s| s.keyid.to_string())
                        .context("the unfinished link has no signature")?,
                };
                signer
                    .gpg()
                    .export_public_key(&id)
                    .with_context(|| format!("cannot export GnuPG key {id}"))
            }
        }
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
        let password = match &self.password {
            None => None,
            Some(Some(p)) => Some(p.as_bytes().to_vec()),
            Some(None) => Some(password::prompt(&path.display().to_string())?),
        };
        // As in the reference, an empty password means an unencrypted key.
        let password = password.filter(|p| !p.is_empty());
        let key = fs::read_private_key(path, password.as_deref(), KeyIdForm::Modern)
            .map_err(|e| with_password_hint(e, "-P (to be asked) or -P PASSWORD"))?;
        Ok(LinkSigner::Key(key))
    }
}

/// A key-reading error, with the flags that give a password when the key
/// is encrypted and none was given (`flags`: how this command takes one).
pub(crate) fn with_password_hint(err: fs::FileError, flags: &str) -> anyhow::Error {
    match &err {
        fs::FileError::Key {
            path,
            source: intoto::crypto::KeyError::PasswordRequired,
        } => anyhow::anyhow!(
            "{}: the private key is encrypted; give its password with {flags}",
            path.display()
        ),
        _ => anyhow::Error::new(err),
    }
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
    /// one the reference records), sha512, blake3.
    #[arg(long = "hash", value_name = "ALGORITHMS", value_delimiter = ',', value_parser = parse_algorithm)]
    hash: Vec<HashAlgorithm>,
}

fn parse_algorithm(name: &str) -> Result<HashAlgorithm, String> {
    HashAlgorithm::from_name(name.trim())
        .ok_or_else(|| format!("unknown digest {name:?}; choose from sha256, sha512, blake3"))
}

impl ArtifactArgs {
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

/// The wrapper a signed link is written in (`--use-dsse`, `--attest`).
#[derive(Debug, Args)]
pub(crate) struct EnvelopeArgs {
    /// Write the link in a DSSE envelope instead of the legacy
    /// {"signed", "signatures"} wrapper.
    #[arg(long)]
    use_dsse: bool,
    /// Write the link as an in-toto attestation: an ITE-6 Statement with the
    /// link predicate (v0.3) whose subjects are the products, in a DSSE
    /// envelope, under the same file name as a link. Needs products. (Not in
    /// the reference, whose in-toto-verify does not read attestations.)
    #[arg(long)]
    attest: bool,
}

/// What a link is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkForm {
    /// A link in a legacy wrapper or a DSSE envelope.
    Link(EnvelopeKind),
    /// A link-predicate statement in a DSSE envelope.
    Attestation,
}

impl LinkForm {
    fn describe(self) -> &'static str {
        match self {
            Self::Link(EnvelopeKind::Legacy) => "link",
            Self::Link(EnvelopeKind::Dsse) => "DSSE link",
            Self::Attestation => "link attestation",
        }
    }
}

impl EnvelopeArgs {
    pub(crate) fn form(&self) -> LinkForm {
        match (self.attest, self.use_dsse) {
            (true, _) => LinkForm::Attestation,
            (false, true) => LinkForm::Link(EnvelopeKind::Dsse),
            (false, false) => LinkForm::Link(EnvelopeKind::Legacy),
        }
    }

    pub(crate) fn attest(&self) -> bool {
        self.attest
    }

    pub(crate) fn use_dsse(&self) -> bool {
        self.use_dsse
    }
}

/// Checks, before any work is done, that links can be written to `dir`: it
/// is a folder and a file can be created in it. The reference finds out
/// only after the step's command ran.
pub(crate) fn check_writable_dir(dir: &Path, step: &str) -> anyhow::Result<()> {
    let shown = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let meta = std::fs::metadata(shown).with_context(|| {
        format!(
            "cannot use metadata directory {} for step {step:?}",
            shown.display()
        )
    })?;
    if !meta.is_dir() {
        bail!(
            "cannot use metadata directory {} for step {step:?}: not a directory",
            shown.display()
        );
    }
    let probe = shown.join(format!(".intoto-probe-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .with_context(|| {
            format!(
                "cannot write to metadata directory {} for step {step:?}",
                shown.display()
            )
        })?;
    if let Err(e) = std::fs::remove_file(&probe) {
        tracing::warn!(error = %e, "cannot remove {}", probe.display());
    }
    Ok(())
}

/// Signs `link` in the given form. Returns the text of the link file and the
/// keyid the signature carries.
///
/// Links are encoded with `intoto::record::encoding`, which writes the bytes
/// the model would without building a `serde_json::Value` tree of every
/// artifact (for 100,000 files that tree costs more than hashing them); the
/// legacy text is rendered while the canonical bytes are signed.
pub(crate) fn sign_link(
    link: &Link,
    form: LinkForm,
    key: &dyn Signer,
) -> anyhow::Result<(String, KeyId)> {
    let signing = || format!("cannot sign the link of step {:?}", link.name);
    match form {
        LinkForm::Link(EnvelopeKind::Legacy) => {
            // The canonical bytes first, on all cores; then the signature
            // (one long hash on this thread) while the text is rendered.
            let bytes = encoding::canonical(link).with_context(signing)?;
            let (signed, raw) = std::thread::scope(|s| {
                let signed = s.spawn(|| encoding::python(link, Style::Indent1, 1));
                let raw = key.sign(&bytes);
                (signed.join(), raw)
            });
            drop(bytes);
            let raw = raw.with_context(signing)?;
            let signed = signed
                .map_err(|_| anyhow::anyhow!("encoding the link of step {:?} failed", link.name))?;
            // As `sign_metadata` records a signature in legacy metadata.
            let mut signature = Signature::new(raw.keyid.clone(), hex(&raw.sig));
            signature.other_headers = raw.other_headers.as_deref().map(hex);
            Ok((legacy_text(&[signature], &signed), raw.keyid))
        }
        LinkForm::Link(EnvelopeKind::Dsse) => {
            let payload = encoding::python(link, Style::Line, 0);
            let mut md =
                Metadata::Envelope(Envelope::new(PAYLOAD_TYPE_INTOTO, payload.into_bytes()));
            let keyid = sign_metadata(&mut md, key).with_context(signing)?;
            Ok((md.to_file_string(), keyid))
        }
        LinkForm::Attestation => {
            if link.products.is_empty() {
                bail!(
                    "step {:?} recorded no products, and a link attestation needs at least one (its subjects); \
                     no link was written",
                    link.name
                );
            }
            let mut md = Metadata::wrap(&Statement::from_link(link).to_value(), EnvelopeKind::Dsse);
            let keyid = sign_metadata(&mut md, key).with_context(signing)?;
            Ok((md.to_file_string(), keyid))
        }
    }
}

/// The text of a legacy link file with these signatures around the
/// rendered `"signed"` part, as `Metadata::to_file_string` lays it out.
fn legacy_text(signatures: &[Signature], signed: &str) -> String {
    let signatures: Vec<Value> = signatures.iter().map(Signature::to_value).collect();
    let head = pyjson::to_string(&json!({ "signatures": signatures }), Style::Indent1);
    let head = head.strip_suffix("\n}").unwrap_or(&head);
    format!("{head},\n \"signed\": {signed}\n}}")
}

/// The text of an unsigned link file (`intoto mock`), in either wrapper.
pub(crate) fn unsigned_link_text(link: &Link, kind: EnvelopeKind) -> String {
    match kind {
        EnvelopeKind::Legacy => legacy_text(&[], &encoding::python(link, Style::Indent1, 1)),
        EnvelopeKind::Dsse => {
            let payload = encoding::python(link, Style::Line, 0);
            Metadata::Envelope(Envelope::new(PAYLOAD_TYPE_INTOTO, payload.into_bytes()))
                .to_file_string()
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Signs `link` and writes it atomically to `<dir>/<step>.<keyid[:8]>.link`.
/// Returns the path written.
pub(crate) fn write_signed_link(
    link: &Link,
    form: LinkForm,
    key: &dyn Signer,
    dir: Option<&Path>,
) -> anyhow::Result<PathBuf> {
    if let (LinkForm::Link(EnvelopeKind::Legacy), Some(sig_len)) = (form, key.signature_len()) {
        let name = link_file_name(&link.name, key.keyid());
        let path = dir.map_or_else(|| PathBuf::from(&name), |d| d.join(&name));
        write_legacy_link_while_signing(link, key, sig_len, &path)?;
        tracing::info!(step.name = %link.name, "wrote {} {}", form.describe(), path.display());
        return Ok(path);
    }
    let started = Instant::now();
    let (text, keyid) = sign_link(link, form, key)?;
    tracing::debug!(
        duration_ms = started.elapsed().as_millis(),
        "signed the link"
    );
    let name = link_file_name(&link.name, &keyid);
    let path = dir.map_or_else(|| PathBuf::from(&name), |d| d.join(&name));
    let started = Instant::now();
    fs::write_atomic(&path, text.as_bytes())
        .with_context(|| format!("cannot write the link of step {:?}", link.name))?;
    tracing::debug!(
        duration_ms = started.elapsed().as_millis(),
        "wrote the link"
    );
    tracing::info!(step.name = %link.name, "wrote {} {}", form.describe(), path.display());
    Ok(path)
}

/// Writes a legacy link signed by a key whose signatures have a fixed length:
/// the file's body (the `"signed"` part, nearly all of it) is rendered,
/// written and flushed to the disk while the signature is computed, and the
/// head with the signature goes in front of it last. The bytes are those of
/// [`sign_link`]; only the order of the work differs.
fn write_legacy_link_while_signing(
    link: &Link,
    key: &dyn Signer,
    sig_len: usize,
    path: &Path,
) -> anyhow::Result<()> {
    let signing = || format!("cannot sign the link of step {:?}", link.name);
    let writing = || format!("cannot write the link of step {:?}", link.name);
    let started = Instant::now();
    // The canonical bytes and the file's text stay in the pieces they were
    // encoded in (in parallel): the signer hashes them in turn, and they are
    // written one after the other, never copied into one buffer.
    let canonical = encoding::canonical_parts(link).with_context(signing)?;
    let head_of = |sig: &[u8]| {
        let text = legacy_text(&[Signature::new(key.keyid().clone(), hex(sig))], "");
        // `legacy_text` ends with the (here empty) body and the closing brace.
        text.strip_suffix("\n}").map(str::to_owned).unwrap_or(text)
    };
    let head_len = head_of(&vec![0; sig_len]).len();
    let file = fs::PendingFile::create(path).with_context(writing)?;
    let (body, raw) = std::thread::scope(|s| {
        let body = s.spawn(|| -> anyhow::Result<()> {
            let mut offset = head_len as u64;
            let mut parts = encoding::python_parts(link, Style::Indent1, 1);
            parts.push("\n}".to_owned());
            for part in &parts {
                file.write_at(offset, part.as_bytes())?;
                offset += part.len() as u64;
            }
            drop(parts);
            file.flush_data()?;
            Ok(())
        });
        let pieces: Vec<&[u8]> = canonical.iter().map(Vec::as_slice).collect();
        let raw = key.sign_parts(&pieces);
        (body.join(), raw)
    });
    drop(canonical);
    let raw = raw.with_context(signing)?;
    body.map_err(|_| anyhow::anyhow!("encoding the link of step {:?} failed", link.name))?
        .with_context(writing)?;
    let head = head_of(&raw.sig);
    anyhow::ensure!(
        raw.keyid == *key.keyid() && raw.other_headers.is_none() && head.len() == head_len,
        "the signature of step {:?} is not of the length the key announced",
        link.name
    );
    file.write_at(0, head.as_bytes()).with_context(writing)?;
    file.commit().with_context(writing)?;
    tracing::debug!(
        duration_ms = started.elapsed().as_millis(),
        "signed and wrote the link"
    );
    Ok(())
}

/// Lets go of a link that is no longer needed without freeing it piece by
/// piece: the process is about to exit, which returns the memory at once,
/// while dropping a link of 100,000 artifacts one allocation at a time takes
/// tens of milliseconds.
pub(crate) fn discard(link: Link) {
    std::mem::forget(link);
}

/// Exit status 1, as the reference gives, when the step's command could not
/// be run to its end (not found, not executable, timed out); `None` for
/// other errors, which exit with 2.
pub(crate) fn command_failure(err: &record::Error) -> Option<Outcome> {
    match err {
        record::Error::Step {
            phase: Phase::Command,
            source,
            ..
        } => matches!(
            **source,
            record::Error::CommandNotFound { .. }
                | record::Error::Spawn { .. }
                | record::Error::Timeout { .. }
        )
        .then_some(Outcome::Failed),
        _ => None,
    }
}

/// Turns a step error into the outcome: the error is reported here when it
/// exits with 1 (command failures), and handed on otherwise.
pub(crate) fn step_error(err: record::Error) -> anyhow::Result<Outcome> {
    match command_failure(&err) {
        Some(outcome) => {
            exit::report(&anyhow::Error::new(err));
            Ok(outcome)
        }
        None => Err(err.into()),
    }
}

/// Counts what was hashed (for the summary) and draws a progress bar on a
/// terminal while a recording pass is under way (never while the step's
/// command runs).
pub(crate) struct Meter {
    counters: Arc<Counters>,
    /// Whether a bar may be drawn at all.
    draw: bool,
    ticker: Mutex<Option<Ticker>>,
}

#[derive(Default)]
struct Counters {
    found: AtomicU64,
    files: AtomicU64,
    bytes: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.found.load(Ordering::Relaxed),
            self.files.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed),
        )
    }
}

/// The thread that draws the bar during one pass; dropping `stop` ends it.
struct Ticker {
    stop: mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

/// How long a pass runs before a bar appears, so quick ones do not flicker.
const BAR_DELAY: Duration = Duration::from_millis(400);
/// How often the bar is redrawn.
const BAR_TICK: Duration = Duration::from_millis(100);

impl Meter {
    /// A meter that draws a bar when standard error is a terminal and `quiet`
    /// is not set.
    pub(crate) fn new(quiet: bool) -> Arc<Self> {
        Arc::new(Self {
            counters: Arc::default(),
            draw: !quiet && std::io::stderr().is_terminal(),
            ticker: Mutex::new(None),
        })
    }

    /// Files hashed so far.
    pub(crate) fn files(&self) -> u64 {
        self.counters.files.load(Ordering::Relaxed)
    }

    /// Bytes hashed so far.
    pub(crate) fn bytes(&self) -> u64 {
        self.counters.bytes.load(Ordering::Relaxed)
    }
}

/// Redraws the bar for one pass until `stop` is dropped, then clears it.
fn draw_pass(counters: &Counters, stop: &mpsc::Receiver<()>) {
    let start = Instant::now();
    let (found0, files0, bytes0) = counters.snapshot();
    let mut bar: Option<indicatif::ProgressBar> = None;
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(BAR_TICK) {
        let elapsed = start.elapsed();
        if elapsed < BAR_DELAY {
            continue;
        }
        let (found, files, bytes) = counters.snapshot();
        let bytes = bytes.saturating_sub(bytes0);
        let pb = bar.get_or_insert_with(new_bar);
        pb.set_length(found.saturating_sub(found0));
        pb.set_position(files.saturating_sub(files0));
        // The spinner shows life while one large file keeps the count still.
        pb.tick();
        let rate = bytes as f64 / elapsed.as_secs_f64();
        pb.set_message(format!(
            "{} at {}/s",
            indicatif::HumanBytes(bytes),
            indicatif::HumanBytes(rate as u64)
        ));
    }
    if let Some(pb) = bar {
        pb.finish_and_clear();
    }
}

fn new_bar() -> indicatif::ProgressBar {
    let pb =
        indicatif::ProgressBar::with_draw_target(Some(0), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} hashing {pos}/{len} files, {msg} [{elapsed}] {wide_bar}",
    ) {
        pb.set_style(style);
    }
    pb
}

impl Progress for Meter {
    fn started(&self) {
        if !self.draw {
            return;
        }
        let Ok(mut slot) = self.ticker.lock() else {
            return;
        };
        if slot.is_some() {
            return;
        }
        let (stop, rx) = mpsc::channel();
        let counters = Arc::clone(&self.counters);
        let spawned = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || draw_pass(&counters, &rx));
        match spawned {
            Ok(thread) => *slot = Some(Ticker { stop, thread }),
            Err(e) => tracing::debug!(error = %e, "cannot start the progress bar"),
        }
    }

    fn finished(&self) {
        let ticker = self.ticker.lock().ok().and_then(|mut slot| slot.take());
        if let Some(Ticker { stop, thread }) = ticker {
            drop(stop);
            let _ = thread.join();
        }
    }

    fn add_found(&self, n: u64) {
        self.counters.found.fetch_add(n, Ordering::Relaxed);
    }

    fn add_files(&self, n: u64) {
        self.counters.files.fetch_add(n, Ordering::Relaxed);
    }

    fn add_bytes(&self, n: u64) {
        self.counters.bytes.fetch_add(n, Ordering::Relaxed);
    }
}

/// The `--format json` summary of a recording command.
pub(crate) fn summary(
    step: &str,
    link: &Link,
    path: &Path,
    form: LinkForm,
    meter: &Meter,
    started: Instant,
) -> Value {
    json!({
        "step": step,
        "link": path,
        "form": form.describe(),
        "materials": link.materials.len(),
        "products": link.products.len(),
        "files": meter.files(),
        "bytes": meter.bytes(),
        "seconds": (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        "return_value": link.return_value(),
    })
}

#[cfg(test)]
mod tests {
    use intoto::crypto::KeyType;
    use serde_json::json;

    use super::*;

    fn link() -> Link {
        let mut link = Link::new("build");
        link.command = vec!["make".into(), "-j".into(), "ü\"\n".into()];
        for i in 0..20_000 {
            let mut digests = intoto::model::DigestSet::new();
            digests.insert("sha256", format!("{i:064x}"));
            link.materials.insert(format!("src/{i}.c"), digests);
        }
        let mut digests = intoto::model::DigestSet::new();
        digests.insert("sha256", "ab");
        digests.insert("sha512", "cd");
        link.products.insert("app".into(), digests);
        link.byproducts.insert("return-value".into(), json!(0));
        link.byproducts.insert("stdout".into(), json!("done\n"));
        link
    }

    #[test]
    fn signed_links_are_the_files_the_model_writes() {
        // Ed25519 signatures are deterministic, so the texts must be equal.
        let key = PrivateKey::generate(KeyType::Ed25519, None).unwrap();
        let link = link();
        for kind in [EnvelopeKind::Legacy, EnvelopeKind::Dsse] {
            let (text, keyid) = sign_link(&link, LinkForm::Link(kind), &key).unwrap();
            let mut md = Metadata::wrap(&link.to_value(), kind);
            assert_eq!(sign_metadata(&mut md, &key).unwrap(), keyid);
            assert_eq!(text, md.to_file_string(), "{kind:?}");
            let unsigned = Metadata::wrap(&link.to_value(), kind);
            assert_eq!(
                unsigned_link_text(&link, kind),
                unsigned.to_file_string(),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn links_written_while_signing_are_the_files_the_model_writes() {
        let dir = tempfile::tempdir().unwrap();
        let link = link();
        for key in [
            PrivateKey::generate(KeyType::Ed25519, None).unwrap(),
            PrivateKey::generate(KeyType::Rsa, Some(2048)).unwrap(),
        ] {
            assert!(key.signature_len().is_some());
            let path = write_signed_link(
                &link,
                LinkForm::Link(EnvelopeKind::Legacy),
                &key,
                Some(dir.path()),
            )
            .unwrap();
            let written = Metadata::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let mut md = Metadata::wrap(&link.to_value(), EnvelopeKind::Legacy);
            // RSA-PSS signatures are randomised: compare the payload, the
            // layout and the signature's validity rather than the bytes.
            sign_metadata(&mut md, &key).unwrap();
            let mut expected = md.clone();
            *expected.signatures_mut() = written.signatures().to_vec();
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                expected.to_file_string()
            );
            intoto::crypto::check_signature(&written, key.public_key()).unwrap();
        }
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temporary files left"
        );
    }

    #[test]
    fn attestations_need_products() {
        let key = PrivateKey::generate(KeyType::Ed25519, None).unwrap();
        let err = sign_link(&Link::new("review"), LinkForm::Attestation, &key).unwrap_err();
        assert!(
            err.to_string()
                .contains("step \"review\" recorded no products"),
            "{err}"
        );
    }
}
