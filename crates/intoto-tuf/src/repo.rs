//! A repository's metadata as the publisher edits it: loaded through TUF
//! (so the publisher, too, only builds on metadata whose signatures hold),
//! changed role by role, then signed with bumped versions and written
//! targets first, timestamp last.

use std::collections::HashMap;
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};

use aws_lc_rs::rand::SystemRandom;
use tough::editor::signed::SignedRole;
use tough::key_source::KeySource;
use tough::schema::decoded::{Decoded, Hex};
use tough::schema::{
    DelegatedTargets, Hashes, KeyHolder, Metafile, Role, Root, Signed, Snapshot, Targets, Timestamp,
};
use tough::{ExpirationEnforcement, RepositoryLoader};

use crate::TufError;
use crate::names::PACKAGES_ROLE;

/// The TUF specification version written.
pub(crate) const SPEC_VERSION: &str = "1.0.0";

/// How long each role's metadata stays valid when (re)signed.
#[derive(Debug, Clone, Copy)]
pub struct Expiries {
    /// root.json (offline keys): default 365 days.
    pub root: jiff::SignedDuration,
    /// targets.json (offline keys): default 365 days.
    pub targets: jiff::SignedDuration,
    /// The packages role (online key): default 7 days.
    pub packages: jiff::SignedDuration,
    /// snapshot.json (online key): default 7 days.
    pub snapshot: jiff::SignedDuration,
    /// timestamp.json (online key): default 1 day.
    pub timestamp: jiff::SignedDuration,
}

impl Default for Expiries {
    fn default() -> Self {
        let days = |d: i64| jiff::SignedDuration::from_hours(24 * d);
        Self {
            root: days(365),
            targets: days(365),
            packages: days(7),
            snapshot: days(7),
            timestamp: days(1),
        }
    }
}

/// The metadata of a repository, as trusted and as being changed.
pub(crate) struct Repo {
    pub(crate) dir: PathBuf,
    pub(crate) root: Signed<Root>,
    /// A new root to write (rotation), signed.
    pub(crate) new_root: Option<SignedRole<Root>>,
    pub(crate) targets: Targets,
    pub(crate) targets_changed: bool,
    pub(crate) packages: Targets,
    pub(crate) packages_changed: bool,
    pub(crate) snapshot: Snapshot,
    pub(crate) timestamp_version: u64,
}

impl Repo {
    pub(crate) fn metadata_dir(&self) -> PathBuf {
        self.dir.join("metadata")
    }

    pub(crate) fn targets_dir(&self) -> PathBuf {
        self.dir.join("targets")
    }

    /// Loads `dir`'s metadata, trusting its latest `metadata/root.json`
    /// (the publisher's own), expired or not (it is about to re-sign).
    pub(crate) async fn load(dir: &Path) -> Result<Self, TufError> {
        let refuse = |reason: String| TufError::Repository {
            repo: dir.to_owned(),
            reason,
        };
        let root_path = dir.join("metadata").join("root.json");
        let root = intoto::fs::read(&root_path, 1 << 20).map_err(|e| {
            refuse(format!(
                "{e} (make a repository with `intoto tuf init` first)"
            ))
        })?;
        let (metadata, targets) = crate::client::urls(&dir.to_string_lossy())?;
        let cache = tempfile::tempdir().map_err(|e| TufError::io(dir, e))?;
        let repo = RepositoryLoader::new(&root, metadata, targets)
            .datastore(cache.path())
            .expiration_enforcement(ExpirationEnforcement::Unsafe)
            .load()
            .await
            .map_err(|e| TufError::Untrusted {
                url: dir.display().to_string(),
                reason: crate::error::finding(&e),
            })?;
        let top = repo.targets().signed.clone();
        let packages = top
            .delegated_targets(PACKAGES_ROLE)
            .map_err(|_| {
                refuse(format!(
                    "the top-level targets delegate no {PACKAGES_ROLE} role"
                ))
            })?
            .signed
            .clone();
        Ok(Self {
            dir: dir.to_owned(),
            root: repo.root().clone(),
            new_root: None,
            targets: top,
            targets_changed: false,
            packages,
            packages_changed: false,
            snapshot: repo.snapshot().signed.clone(),
            timestamp_version: repo.timestamp().signed.version.get(),
        })
    }

    /// The delegations of the top-level targets (the packages role's keys).
    fn delegations(&self) -> Result<tough::schema::Delegations, TufError> {
        self.targets
            .delegations
            .clone()
            .ok_or_else(|| TufError::Repository {
                repo: self.dir.clone(),
                reason: "the top-level targets delegate nothing".to_owned(),
            })
    }

    fn trusted_root(&self) -> &Root {
        self.new_root
            .as_ref()
            .map_or(&self.root.signed, |r| &r.signed().signed)
    }

    /// Signs what changed (versions one up), then snapshot and timestamp,
    /// all before anything is written; then writes them: new targets files
    /// were written before, the new root comes just before the timestamp,
    /// and the timestamp, which makes it all current, goes last.
    pub(crate) async fn commit(
        mut self,
        keys: &[Box<dyn KeySource>],
        expiries: &Expiries,
    ) -> Result<Committed, TufError> {
        let rng = SystemRandom::new();
        let root_holder = KeyHolder::Root(self.trusted_root().clone());
        let consistent = self.trusted_root().consistent_snapshot;
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        let mut packages_meta = self
            .snapshot
            .meta
            .get(&format!("{PACKAGES_ROLE}.json"))
            .cloned();
        if self.packages_changed {
            self.packages.version = bump(self.packages.version);
            self.packages.expires = crate::repo::expiry(expiries.packages);
            let role = DelegatedTargets {
                name: PACKAGES_ROLE.to_owned(),
                targets: self.packages.clone(),
            };
            let holder = KeyHolder::Delegations(self.delegations()?);
            let signed = SignedRole::new(role, &holder, keys, &rng)
                .await
                .map_err(|source| sign_error(PACKAGES_ROLE, source))?;
            packages_meta = Some(metafile(&signed));
            files.push(file_of(&signed, consistent));
        }
        let mut targets_meta = self.snapshot.meta.get("targets.json").cloned();
        if self.targets_changed {
            self.targets.version = bump(self.targets.version);
            self.targets.expires = crate::repo::expiry(expiries.targets);
            let signed = SignedRole::new(self.targets.clone(), &root_holder, keys, &rng)
                .await
                .map_err(|source| sign_error("targets", source))?;
            targets_meta = Some(metafile(&signed));
            files.push(file_of(&signed, consistent));
        }
        let mut snapshot = Snapshot::new(
            SPEC_VERSION.to_owned(),
            bump(self.snapshot.version),
            crate::repo::expiry(expiries.snapshot),
        );
        let missing = |what: &str| TufError::Repository {
            repo: self.dir.clone(),
            reason: format!("the snapshot does not list {what}"),
        };
        snapshot.meta.insert(
            "targets.json".to_owned(),
            targets_meta.ok_or_else(|| missing("targets.json"))?,
        );
        snapshot.meta.insert(
            format!("{PACKAGES_ROLE}.json"),
            packages_meta.ok_or_else(|| missing(PACKAGES_ROLE))?,
        );
        let snapshot = SignedRole::new(snapshot, &root_holder, keys, &rng)
            .await
            .map_err(|source| sign_error("snapshot", source))?;
        files.push(file_of(&snapshot, consistent));
        let mut timestamp = Timestamp::new(
            SPEC_VERSION.to_owned(),
            NonZeroU64::new(self.timestamp_version.saturating_add(1)).unwrap_or(NonZeroU64::MIN),
            crate::repo::expiry(expiries.timestamp),
        );
        timestamp
            .meta
            .insert("snapshot.json".to_owned(), metafile(&snapshot));
        let timestamp = SignedRole::new(timestamp, &root_holder, keys, &rng)
            .await
            .map_err(|source| sign_error("timestamp", source))?;
        if let Some(root) = &self.new_root {
            let version = root.signed().signed.version.get();
            files.push((format!("{version}.root.json"), root.buffer().clone()));
        }
        files.push(("timestamp.json".to_owned(), timestamp.buffer().clone()));
        if let Some(root) = &self.new_root {
            files.push(("root.json".to_owned(), root.buffer().clone()));
        }
        Ok(Committed {
            written: write_files(&self.metadata_dir(), files)?,
            snapshot: snapshot.signed().signed.version.get(),
            timestamp: timestamp.signed().signed.version.get(),
        })
    }
}

/// What a commit wrote.
#[derive(Debug, Clone)]
pub struct Committed {
    /// The metadata files written, in order.
    pub written: Vec<String>,
    /// The new snapshot version.
    pub snapshot: u64,
    /// The new timestamp version.
    pub timestamp: u64,
}

/// `valid_for` from now, in whole seconds: TUF writes `expires` as
/// `YYYY-MM-DDTHH:MM:SSZ`, and clients such as python-tuf refuse
/// fractions of a second.
pub(crate) fn expiry(valid_for: jiff::SignedDuration) -> jiff::Timestamp {
    let at = jiff::Timestamp::now() + valid_for;
    jiff::Timestamp::from_second(at.as_second()).unwrap_or(at)
}

pub(crate) fn bump(version: NonZeroU64) -> NonZeroU64 {
    version.checked_add(1).unwrap_or(version)
}

/// The entry that lists `signed` in a snapshot or timestamp: its
/// version, length and SHA-256.
pub(crate) fn metafile<T: Role>(signed: &SignedRole<T>) -> Metafile {
    Metafile {
        length: Some(signed.buffer().len() as u64),
        hashes: Some(Hashes {
            sha256: Decoded::<Hex>::from(signed.sha256().to_vec()),
            _extra: HashMap::new(),
        }),
        version: signed.signed().signed.version(),
        _extra: HashMap::new(),
    }
}

/// The metadata file of `signed`: its name (versioned with consistent
/// snapshots) and bytes.
pub(crate) fn file_of<T: Role>(signed: &SignedRole<T>, consistent: bool) -> (String, Vec<u8>) {
    (
        signed.signed().signed.filename(consistent),
        signed.buffer().clone(),
    )
}

pub(crate) fn sign_error(role: &str, source: tough::error::Error) -> TufError {
    TufError::Sign {
        role: role.to_owned(),
        reason: crate::error::finding(&source),
    }
}

/// Writes `files` into the metadata folder `dir`, each atomically and in
/// the order given; their names.
pub(crate) fn write_files(
    dir: &Path,
    files: Vec<(String, Vec<u8>)>,
) -> Result<Vec<String>, TufError> {
    std::fs::create_dir_all(dir).map_err(|e| TufError::io(dir, e))?;
    let mut written = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let path = dir.join(&name);
        intoto::fs::write_atomic(&path, &bytes).map_err(|e| TufError::io(&path, e))?;
        written.push(name);
    }
    Ok(written)
}
