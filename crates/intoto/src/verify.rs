//! Verification (see [`intoto_verify`], re-exported here) wired to the file
//! system: links from a folder, inspections run as local commands.
//!
//! ```no_run
//! use std::path::Path;
//!
//! use intoto::crypto::KeyIdForm;
//! use intoto::verify::{VerifyOptions, verify_layout_file};
//!
//! let owner = intoto::fs::read_public_key(Path::new("alice.pub"), KeyIdForm::Modern)?;
//! let options = VerifyOptions::new().link_dir("links");
//! let verdict = verify_layout_file(Path::new("root.layout"), &[owner], &options)?;
//! for diagnostic in &verdict.diagnostics {
//!     eprintln!("{diagnostic}");
//! }
//! assert!(verdict.passed());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use intoto_crypto::PublicKey;
use intoto_model::{EnvelopeKind, Inspection, Link, Metadata, StepName, unsigned_link_file_name};
#[cfg(unix)]
use intoto_record::KillScope;
use intoto_record::{RecordOptions, RunOptions, StepOptions, run_step};

pub use intoto_verify::*;

use crate::fs::{self, FileError};
pub use crate::report::Report;

/// Link files in a folder on disk: `<folder>/<sublayout folders>/<file>`.
#[derive(Debug, Clone)]
pub struct DirLinkSource {
    root: PathBuf,
}

impl DirLinkSource {
    /// Links in `root` (the reference's `--link-dir`).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The path of `file` in `folder`, each part one plain name, so that no
    /// name taken from metadata leads out of the link folder (the verifier
    /// checks names too; this is the last line).
    fn path(&self, folder: &[String], file: &str) -> Result<PathBuf, SourceError> {
        let mut path = self.root.clone();
        for part in folder.iter().map(String::as_str).chain([file]) {
            if intoto_model::name::check_item_name(part).is_err() {
                return Err(format!("{part:?} is not a plain file name").into());
            }
            path.push(part);
        }
        Ok(path)
    }
}

impl LinkSource for DirLinkSource {
    fn read(&self, folder: &[String], file: &str) -> Result<Option<Vec<u8>>, SourceError> {
        match intoto_record::file::read_bounded(&self.path(folder, file)?, fs::MAX_METADATA_BYTES) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Box::new(e)),
        }
    }

    fn list(&self, folder: &[String]) -> Result<Vec<String>, SourceError> {
        let mut dir = self.root.clone();
        for part in folder {
            if intoto_model::name::check_item_name(part).is_err() {
                return Err(format!("{part:?} is not a plain file name").into());
            }
            dir.push(part);
        }
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Box::new(e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry?;
            // Regular files only: a folder named like a link is not one.
            if !entry.file_type()?.is_file() {
                continue;
            }
            if let Some(name) = entry.file_name().to_str() {
                names.push(name.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    fn describe(&self, folder: &[String], file: &str) -> String {
        let mut parts: Vec<&str> = folder.iter().map(String::as_str).collect();
        parts.push(file);
        let rel = parts.join("/");
        if self.root == Path::new(".") {
            return rel;
        }
        self.root.join(rel).display().to_string()
    }
}

/// Runs inspections as the reference does: the `run` command (no shell) in
/// the working folder, `.` recorded before and after with the default
/// excludes, output discarded, killed (with its process group) after a
/// timeout; the unsigned link of a passing inspection is written to
/// `<working folder>/<inspection>.link`.
#[derive(Debug, Clone)]
pub struct CommandRunner {
    timeout: Duration,
    working_dir: Option<PathBuf>,
    persist_links: bool,
    disabled: bool,
}

impl Default for CommandRunner {
    fn default() -> Self {
        Self::new()
    }
}

impl CommandRunner {
    /// In the current folder, with the reference's 10 second timeout,
    /// writing inspection links.
    pub fn new() -> Self {
        Self {
            timeout: intoto_record::DEFAULT_TIMEOUT,
            working_dir: None,
            persist_links: true,
            disabled: false,
        }
    }

    /// A runner that runs nothing: each inspection fails with
    /// `inspection-not-run`. A server verifying layouts its callers send
    /// runs no command they name.
    pub fn disabled() -> Self {
        Self {
            disabled: true,
            ..Self::new()
        }
    }

    /// Kills an inspection that runs longer than `timeout`.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs inspections in `dir` instead of the current folder.
    #[must_use]
    pub fn working_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.working_dir = Some(dir.into());
        self
    }

    /// Whether to write `<inspection>.link` after a passing inspection
    /// (default: yes, as the reference does).
    #[must_use]
    pub fn persist_links(mut self, persist: bool) -> Self {
        self.persist_links = persist;
        self
    }
}

impl InspectionRunner for CommandRunner {
    fn run(&self, inspection: &Inspection) -> Result<Link, SourceError> {
        if self.disabled {
            return Err(format!(
                "inspection '{}' is not run here: a server runs no command a layout names; verify with `intoto verify` where the inspection can run",
                inspection.name
            )
            .into());
        }
        // Its link is written to `<name>.link`: the name must be a plain
        // file name (the verifier refuses layouts with other names first).
        let name = match StepName::new(&inspection.name) {
            Ok(name) => name,
            Err(problem) => {
                return Err(format!("the inspection name {:?} {problem}", inspection.name).into());
            }
        };
        // One time limit for the whole inspection: recording the working
        // folder before and after counts, not only the command.
        let deadline = Instant::now() + self.timeout;
        let mut run = RunOptions::new(inspection.run.iter().cloned())
            .timeout(self.timeout)
            .deadline(deadline);
        #[cfg(unix)]
        {
            run = run.kill_scope(KillScope::ProcessGroup);
        }
        // The working folder is recorded without leaving it: symlinked
        // folders are not entered, symlinks out of it are not read.
        let mut artifacts = RecordOptions::new().within_base(true).deadline(deadline);
        if let Some(dir) = &self.working_dir {
            run = run.working_dir(dir);
            artifacts = artifacts.base_path(dir);
        }
        let options = StepOptions::new()
            .materials(["."])
            .products(["."])
            .artifacts(artifacts)
            .run(run);
        let record = run_step(&inspection.name, &options)?;
        if self.persist_links && record.return_value == Some(0) {
            let dir = self
                .working_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from("."));
            let path = dir.join(unsigned_link_file_name(&name));
            let md = Metadata::wrap(&record.link.to_value(), EnvelopeKind::Legacy);
            fs::write_metadata(&path, &md)?;
        }
        Ok(record.link)
    }
}

/// How [`verify_layout_file`] verifies.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// Where the links are (default `.`).
    pub link_dir: PathBuf,
    /// Layout parameters (`None`: no substitution).
    pub parameters: Option<BTreeMap<String, String>>,
    /// The inspection runner.
    pub runner: CommandRunner,
    /// Keep every rule list's trace in the verdict.
    pub traces: bool,
    /// The time to verify at (default: now).
    pub now: Option<DateTime<Utc>>,
    /// Whether sublayouts' inspections run (default: yes, as the
    /// reference); see [`Verifier::sublayout_inspections`].
    pub sublayout_inspections: bool,
    /// Whether a layout without `expires` fails (default: yes); see
    /// [`Verifier::expires_required`].
    pub expires_required: bool,
    /// Trusted timestamp authorities for links' certificates (ITE-7); see
    /// [`Verifier::timestamps`].
    pub timestamps: Option<std::sync::Arc<dyn TimestampVerifier>>,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl VerifyOptions {
    /// Links in the current folder, inspections run there with a 10 second
    /// timeout, no parameters.
    pub fn new() -> Self {
        Self {
            link_dir: PathBuf::from("."),
            parameters: None,
            runner: CommandRunner::new(),
            traces: false,
            now: None,
            sublayout_inspections: true,
            expires_required: true,
            timestamps: None,
        }
    }

    /// Whether a layout without `expires` fails (default: yes).
    #[must_use]
    pub fn expires_required(mut self, required: bool) -> Self {
        self.expires_required = required;
        self
    }

    /// Whether to run the inspections of sublayouts, which functionaries,
    /// not the layout owner, chose (default: yes).
    #[must_use]
    pub fn sublayout_inspections(mut self, run: bool) -> Self {
        self.sublayout_inspections = run;
        self
    }

    /// Reads links from `dir`.
    #[must_use]
    pub fn link_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.link_dir = dir.into();
        self
    }

    /// Substitutes these layout parameters.
    #[must_use]
    pub fn parameters(mut self, parameters: BTreeMap<String, String>) -> Self {
        self.parameters = Some(parameters);
        self
    }

    /// Runs inspections with `runner`.
    #[must_use]
    pub fn runner(mut self, runner: CommandRunner) -> Self {
        self.runner = runner;
        self
    }

    /// Keeps every rule list's trace.
    #[must_use]
    pub fn traces(mut self, keep: bool) -> Self {
        self.traces = keep;
        self
    }

    /// Verifies as at `now`.
    #[must_use]
    pub fn now(mut self, now: DateTime<Utc>) -> Self {
        self.now = Some(now);
        self
    }
}

/// Verification of a layout file could not be carried out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyFileError {
    /// The layout file cannot be read or is not metadata.
    #[error(transparent)]
    File(#[from] FileError),
    /// Verification could not be carried out.
    #[error("cannot verify {}", path.display())]
    Verify {
        /// The layout file.
        path: PathBuf,
        /// Why.
        #[source]
        source: Error,
    },
}

/// Verifies the supply chain laid out in the layout file `path`, which every
/// key in `keys` must have signed.
///
/// # Errors
///
/// [`VerifyFileError`] when verification cannot be carried out; a failed
/// verification is a [`Verdict`] that did not pass.
pub fn verify_layout_file(
    path: &Path,
    keys: &[PublicKey],
    options: &VerifyOptions,
) -> Result<Verdict, VerifyFileError> {
    let layout = fs::read_metadata(path)?;
    let source = DirLinkSource::new(&options.link_dir);
    let now = options.now.unwrap_or_else(Utc::now);
    let mut verifier = Verifier::new(now, &source, &options.runner)
        .traces(options.traces)
        .sublayout_inspections(options.sublayout_inspections)
        .expires_required(options.expires_required);
    if let Some(parameters) = &options.parameters {
        verifier = verifier.parameters(parameters.clone());
    }
    if let Some(timestamps) = &options.timestamps {
        verifier = verifier.timestamps(timestamps.clone());
    }
    verifier
        .verify(layout, keys)
        .map_err(|source| VerifyFileError::Verify {
            path: path.to_owned(),
            source,
        })
}

/// Verifies the supply chain laid out in `layout` (the bytes of a layout
/// file, named `name` in messages), which every key in `keys` must have
/// signed, with links from `links` (such as a store's) instead of the
/// options' link folder.
///
/// # Errors
///
/// [`VerifyFileError`] when verification cannot be carried out; a failed
/// verification is a report that did not pass.
pub fn verify_layout_with(
    name: &Path,
    layout: &[u8],
    keys: &[PublicKey],
    links: &dyn LinkSource,
    options: &VerifyOptions,
) -> Result<Report, VerifyFileError> {
    let layout = intoto_model::Metadata::from_slice(layout).map_err(|source| {
        VerifyFileError::File(FileError::Metadata {
            path: name.to_owned(),
            source,
        })
    })?;
    let now = options.now.unwrap_or_else(Utc::now);
    let mut verifier = Verifier::new(now, links, &options.runner)
        .traces(options.traces)
        .sublayout_inspections(options.sublayout_inspections)
        .expires_required(options.expires_required);
    if let Some(parameters) = &options.parameters {
        verifier = verifier.parameters(parameters.clone());
    }
    if let Some(timestamps) = &options.timestamps {
        verifier = verifier.timestamps(timestamps.clone());
    }
    let verdict = verifier
        .verify(layout, keys)
        .map_err(|source| VerifyFileError::Verify {
            path: name.to_owned(),
            source,
        })?;
    Ok(Report::new(name.to_owned(), verdict, options.traces))
}

/// One verification to carry out: the layout, the keys that must all have
/// signed it, and how (link folder, parameters, inspections, traces). The
/// command line and servers build one and call [`verify_supply_chain`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct VerifyRequest {
    /// The root layout file.
    pub layout: PathBuf,
    /// The layout owner's keys: every one must have signed the layout.
    pub keys: Vec<PublicKey>,
    /// Where the links are, parameters, inspections, traces.
    pub options: VerifyOptions,
}

impl VerifyRequest {
    /// Verifies `layout` with `keys` and the default options.
    pub fn new(layout: impl Into<PathBuf>, keys: Vec<PublicKey>) -> Self {
        Self {
            layout: layout.into(),
            keys,
            options: VerifyOptions::new(),
        }
    }

    /// Verifies with these options.
    #[must_use]
    pub fn options(mut self, options: VerifyOptions) -> Self {
        self.options = options;
        self
    }
}

/// Carries out `request`: the report of the verdict, which a caller prints
/// as text ([`Report::text`]) or JSON ([`Report::to_json`]).
///
/// # Errors
///
/// [`VerifyFileError`] when verification cannot be carried out; a failed
/// verification is a report that did not pass.
pub fn verify_supply_chain(request: &VerifyRequest) -> Result<Report, VerifyFileError> {
    let verdict = verify_layout_file(&request.layout, &request.keys, &request.options)?;
    Ok(Report::new(
        request.layout.clone(),
        verdict,
        request.options.traces,
    ))
}
