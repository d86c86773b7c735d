//! Whole steps, mirroring the reference's `runlib`: `in_toto_run`,
//! `in_toto_record_start`/`_stop`, `in_toto_match_products` and
//! `in_toto_mock`. Every function returns an unsigned [`Link`]; signing it
//! and writing it to a file is the caller's business.

use std::collections::BTreeSet;
use std::path::PathBuf;

use intoto_model::Link;
use serde_json::{Map, Value};

use crate::artifacts::{RecordOptions, record_artifacts};
use crate::error::{Error, Phase};
use crate::run::{RunOptions, Streams};

/// How to carry out a step with [`run_step`].
#[derive(Debug, Clone, Default)]
pub struct StepOptions {
    materials: Vec<String>,
    products: Vec<String>,
    run: Option<RunOptions>,
    artifacts: RecordOptions,
    record_environment: bool,
}

impl StepOptions {
    /// A step with no materials, no products and no command.
    pub fn new() -> Self {
        Self::default()
    }

    /// Artifact URIs to record before the command runs.
    pub fn materials<I, S>(mut self, uris: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.materials = uris.into_iter().map(Into::into).collect();
        self
    }

    /// Artifact URIs to record after the command ran.
    pub fn products<I, S>(mut self, uris: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.products = uris.into_iter().map(Into::into).collect();
        self
    }

    /// The command to run between recording materials and products. Without
    /// one (or with an empty argument list) nothing runs, the link's command
    /// is `[]` and its byproducts `{}`, as with `in-toto-run --no-command`.
    pub fn run(mut self, run: RunOptions) -> Self {
        self.run = Some(run);
        self
    }

    /// How materials and products are recorded.
    pub fn artifacts(mut self, options: RecordOptions) -> Self {
        self.artifacts = options;
        self
    }

    /// Whether to record `{"workdir": <directory the command runs in>}` as
    /// the link's environment (the reference's `record_environment`; its CLI
    /// never sets it).
    pub fn record_environment(mut self, record: bool) -> Self {
        self.record_environment = record;
        self
    }
}

/// A recorded step.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StepRecord {
    /// The unsigned link.
    pub link: Link,
    /// The command's return value, if a command ran (negative: killed by
    /// that signal). `in-toto-run` exits with it when it is not zero.
    pub return_value: Option<i32>,
}

/// Records materials, runs the command, records products, and returns the
/// unsigned link, as the reference's `in_toto_run` does.
///
/// # Errors
///
/// [`Error::Step`] naming the step and the phase that failed, with the cause
/// as its source.
pub fn run_step(name: &str, options: &StepOptions) -> Result<StepRecord, Error> {
    tracing::info!(step.name = name, "running step");
    let materials = record_artifacts(&options.materials, &options.artifacts)
        .map_err(|e| e.in_step(name, Phase::Materials))?;
    let mut link = Link::new(name);
    let mut return_value = None;
    if let Some(run) = options.run.as_ref().filter(|r| !r.command().is_empty()) {
        let outcome = run.run().map_err(|e| e.in_step(name, Phase::Command))?;
        link.byproducts = outcome.byproducts();
        return_value = Some(outcome.return_value);
        link.command = run.command().to_vec();
    }
    link.products = record_artifacts(&options.products, &options.artifacts)
        .map_err(|e| e.in_step(name, Phase::Products))?;
    link.materials = materials;
    if options.record_environment {
        link.environment = workdir_environment(options.run.as_ref().and_then(RunOptions::dir));
    }
    Ok(StepRecord { link, return_value })
}

/// `{"workdir": "<absolute directory, with / separators>"}`.
fn workdir_environment(dir: Option<&std::path::Path>) -> Map<String, Value> {
    let mut env = Map::new();
    match std::env::current_dir() {
        Ok(cwd) => {
            let dir: PathBuf = dir.map_or_else(|| cwd.clone(), |d| cwd.join(d));
            env.insert(
                "workdir".into(),
                Value::String(dir.to_string_lossy().replace('\\', "/")),
            );
        }
        Err(e) => tracing::debug!(error = %e, "cannot read the current directory"),
    }
    env
}

/// How to start recording a step with [`record_start`].
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    materials: Vec<String>,
    artifacts: RecordOptions,
    record_environment: bool,
}

impl StartOptions {
    /// Records `materials` (artifact URIs).
    pub fn new<I, S>(materials: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            materials: materials.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// How materials are recorded.
    pub fn artifacts(mut self, options: RecordOptions) -> Self {
        self.artifacts = options;
        self
    }

    /// Whether to record `{"workdir": <current directory>}` as environment.
    pub fn record_environment(mut self, record: bool) -> Self {
        self.record_environment = record;
        self
    }
}

/// The preliminary link of `in-toto-record start`: materials only, command
/// `[]`, byproducts `{}`, products `{}`.
///
/// # Errors
///
/// [`Error::Step`] wrapping what failed while recording the materials.
pub fn record_start(name: &str, options: &StartOptions) -> Result<Link, Error> {
    tracing::info!(step.name = name, "start recording step");
    let mut link = Link::new(name);
    link.materials = record_artifacts(&options.materials, &options.artifacts)
        .map_err(|e| e.in_step(name, Phase::Materials))?;
    if options.record_environment {
        link.environment = workdir_environment(None);
    }
    Ok(link)
}

/// How to finish recording a step with [`record_stop`].
#[derive(Debug, Clone, Default)]
pub struct StopOptions {
    products: Vec<String>,
    artifacts: RecordOptions,
    command: Vec<String>,
    byproducts: Map<String, Value>,
    environment: Map<String, Value>,
}

impl StopOptions {
    /// Records `products` (artifact URIs).
    pub fn new<I, S>(products: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            products: products.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// How products are recorded.
    pub fn artifacts(mut self, options: RecordOptions) -> Self {
        self.artifacts = options;
        self
    }

    /// The command that was carried out; replaces the link's if not empty.
    pub fn command<I, S>(mut self, command: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.command = command.into_iter().map(Into::into).collect();
        self
    }

    /// Byproducts to record; replace the link's if not empty.
    pub fn byproducts(mut self, byproducts: Map<String, Value>) -> Self {
        self.byproducts = byproducts;
        self
    }

    /// Environment to record; replaces the link's if not empty.
    pub fn environment(mut self, environment: Map<String, Value>) -> Self {
        self.environment = environment;
        self
    }
}

/// Completes the (already verified) preliminary link of `record start`, as
/// the reference's `in_toto_record_stop` does: products are recorded (and
/// replace whatever the link had), command, byproducts and environment are
/// replaced only by non-empty values.
///
/// # Errors
///
/// [`Error::Step`] wrapping what failed while recording the products.
pub fn record_stop(unfinished: Link, options: &StopOptions) -> Result<Link, Error> {
    let mut link = unfinished;
    tracing::info!(step.name = %link.name, "stop recording step");
    link.products = record_artifacts(&options.products, &options.artifacts)
        .map_err(|e| e.in_step(&link.name, Phase::Products))?;
    if !options.command.is_empty() {
        link.command.clone_from(&options.command);
    }
    if !options.byproducts.is_empty() {
        link.byproducts.clone_from(&options.byproducts);
    }
    if !options.environment.is_empty() {
        link.environment.clone_from(&options.environment);
    }
    Ok(link)
}

/// How local artifacts differ from a link's products.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProductsComparison {
    /// Names in the link's products but not found locally.
    pub only_in_products: BTreeSet<String>,
    /// Names found locally but not in the link's products.
    pub not_in_products: BTreeSet<String>,
    /// Names in both whose digest sets are not equal.
    pub differ: BTreeSet<String>,
}

impl ProductsComparison {
    /// Whether the local artifacts match the products exactly.
    pub fn is_match(&self) -> bool {
        self.only_in_products.is_empty()
            && self.not_in_products.is_empty()
            && self.differ.is_empty()
    }
}

/// Records `paths` and compares them with `link`'s products, as the
/// reference's `in_toto_match_products` does. The link's signature is not
/// checked here.
///
/// The reference records with `follow_symlink_dirs = false` and no base path
/// here, and defaults `paths` to `["."]`; pass
/// `RecordOptions::new().follow_symlink_dirs(false)` and `["."]` to match it.
/// Digest sets are compared whole, so a link recorded with other algorithms
/// than `options` uses differs everywhere.
///
/// # Errors
///
/// As [`record_artifacts`].
pub fn match_products<S: AsRef<str>>(
    link: &Link,
    paths: &[S],
    options: &RecordOptions,
) -> Result<ProductsComparison, Error> {
    let artifacts = record_artifacts(paths, options)?;
    let mut cmp = ProductsComparison::default();
    for (name, digests) in &link.products {
        match artifacts.get(name) {
            None => {
                cmp.only_in_products.insert(name.clone());
            }
            Some(local) if local != digests => {
                cmp.differ.insert(name.clone());
            }
            Some(_) => {}
        }
    }
    for name in artifacts.keys() {
        if !link.products.contains_key(name) {
            cmp.not_in_products.insert(name.clone());
        }
    }
    Ok(cmp)
}

/// The file name `in-toto-mock` writes the unsigned link to: `<name>.link`.
pub fn mock_file_name(name: &str) -> String {
    format!("{name}.link")
}

/// `in-toto-mock`: runs `command` with streams recorded (shown and captured)
/// and the default 10 s timeout, recording everything in the current
/// directory (`.`) as materials and products with the default options.
///
/// # Errors
///
/// As [`run_step`].
pub fn mock<I, S>(name: &str, command: I) -> Result<StepRecord, Error>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let options = StepOptions::new()
        .materials(["."])
        .products(["."])
        .run(RunOptions::new(command).streams(Streams::Record));
    run_step(name, &options)
}
