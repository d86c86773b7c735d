//! The ITE-2 client workflow, up to in-toto verification.
//!
//! 1. TUF metadata is updated from the trusted `root.json`: root rotation,
//!    timestamp, snapshot, targets and delegated targets, with consistent
//!    snapshots; versions are compared with the metadata trusted last
//!    time, kept in a metadata folder, so rollbacks are caught.
//! 2. The package is downloaded, checked against its length and hashes.
//! 3. The in-toto metadata its `custom.in-toto` lists is downloaded and
//!    checked the same way ([`crate::plan`]).
//! 4. The layout keys the layout target's `custom.in-toto` lists, too.
//!
//! The caller then verifies ([`Fetched`]) and places the package only if
//! everything passed ([`Fetched::place`]).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use futures_util::StreamExt as _;
use intoto::crypto::{KeyIdForm, PublicKey};
use tough::{ExpirationEnforcement, Repository, RepositoryLoader, TargetName};
use url::Url;

use crate::TufError;
use crate::links::TufLinks;
use crate::names;
use crate::plan::{self, Plan};

/// Where to get a package from, and what to trust.
#[derive(Debug, Clone)]
pub struct Distribution {
    /// The repository: an `http(s)://` or `file://` URL, or a folder. Its
    /// root holds `metadata/` and `targets/`.
    pub repository: String,
    /// The trusted `root.json`, as given out of band.
    pub root: Vec<u8>,
    /// Where the TUF metadata trusted so far is kept between runs, to
    /// catch rollbacks and freezes across updates.
    pub metadata_dir: PathBuf,
}

/// A package and its in-toto metadata, downloaded and checked against TUF
/// metadata, in a private folder until [`Fetched::place`].
#[derive(Debug)]
pub struct Fetched {
    /// The package's target name.
    pub target: String,
    /// The root layout's target name.
    pub layout_name: String,
    /// The root layout's bytes, as received.
    pub layout: Vec<u8>,
    /// The keys that must have signed the layout.
    pub keys: Vec<PublicKey>,
    /// The links (or attestations): target name, relative name, bytes.
    pub documents: Vec<(String, String, Vec<u8>)>,
    /// The TUF versions the package was verified at.
    pub versions: Versions,
    /// The package's SHA-256 and length, as its targets entry gives them.
    pub sha256: Vec<u8>,
    /// Its length in bytes.
    pub length: u64,
    staging: tempfile::TempDir,
    file_name: String,
}

/// The versions of the TUF metadata trusted for a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Versions {
    /// root.json
    pub root: u64,
    /// timestamp.json
    pub timestamp: u64,
    /// snapshot.json
    pub snapshot: u64,
    /// targets.json
    pub targets: u64,
}

impl Fetched {
    /// The folder the package sits in (inspections run here).
    pub fn work_dir(&self) -> &Path {
        self.staging.path()
    }

    /// The downloaded package.
    pub fn package(&self) -> PathBuf {
        self.staging.path().join(&self.file_name)
    }

    /// The package's file name.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// The links, as a link folder for the verifier.
    pub fn links(&self) -> TufLinks {
        TufLinks::new(self.documents.iter().cloned())
    }

    /// Writes the links or attestations into `dir` under their relative
    /// names (each component checked when the plan was made), for a
    /// policy's attestation reader: `<step>.<keyid8>.json` files, links
    /// and bundles keep the names that bind them.
    ///
    /// # Errors
    ///
    /// [`TufError::Io`] when a file cannot be written.
    pub fn write_documents(&self, dir: &Path) -> Result<(), TufError> {
        for (_, relative, bytes) in &self.documents {
            let path = dir.join(relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| TufError::io(parent, e))?;
            }
            std::fs::write(&path, bytes).map_err(|e| TufError::io(&path, e))?;
        }
        Ok(())
    }

    /// Copies the package into `dir` (replacing a file of that name),
    /// hashing what it copies: the bytes placed are the bytes checked
    /// against the TUF entry, whatever ran in the staging folder since
    /// (inspections). Call it only after verification passed.
    ///
    /// # Errors
    ///
    /// [`TufError::Changed`] when the staged package no longer matches
    /// its targets entry, [`TufError::Io`] when it cannot be written;
    /// nothing is placed then.
    pub fn place(self, dir: &Path) -> Result<PathBuf, TufError> {
        let to = dir.join(&self.file_name);
        if !crate::copy::copy_checked(&self.package(), &to, self.length, &self.sha256)? {
            return Err(TufError::Changed {
                name: self.target.clone(),
            });
        }
        Ok(to)
    }
}

/// The repository's metadata and targets URLs.
///
/// # Errors
///
/// [`TufError::Location`] when it is neither a URL nor a folder.
pub fn urls(repository: &str) -> Result<(Url, Url), TufError> {
    let refuse = |reason: String| TufError::Location {
        location: repository.to_owned(),
        reason,
    };
    let base = if repository.contains("://") {
        let mut text = repository.to_owned();
        if !text.ends_with('/') {
            text.push('/');
        }
        let url = Url::parse(&text).map_err(|e| refuse(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https" | "file") {
            return Err(refuse(format!(
                "the {} scheme is not supported",
                url.scheme()
            )));
        }
        url
    } else {
        let path = std::fs::canonicalize(repository).map_err(|e| refuse(e.to_string()))?;
        Url::from_directory_path(&path).map_err(|()| refuse("not an absolute folder".to_owned()))?
    };
    let join = |part: &str| base.join(part).map_err(|e| refuse(e.to_string()));
    Ok((join("metadata/")?, join("targets/")?))
}

/// Loads the repository's TUF metadata: the ITE-2 workflow's first step.
///
/// # Errors
///
/// [`TufError::Untrusted`] with TUF's finding.
pub async fn load(distribution: &Distribution) -> Result<Repository, TufError> {
    let (metadata, targets) = urls(&distribution.repository)?;
    let dir = &distribution.metadata_dir;
    std::fs::create_dir_all(dir).map_err(|e| TufError::io(dir, e))?;
    // The folder must be writable: what is trusted now is kept there.
    tempfile::NamedTempFile::new_in(dir).map_err(|e| TufError::io(dir, e))?;
    let root = trusted_root(&distribution.root, dir);
    RepositoryLoader::new(&root, metadata.clone(), targets.clone())
        .transport(crate::transport::SpecTargets::new(transport(), &targets))
        .datastore(&distribution.metadata_dir)
        .expiration_enforcement(ExpirationEnforcement::Safe)
        .load()
        .await
        .map_err(|e| crate::error::untrusted(&distribution.repository, &e))
}

/// Told how the package download goes: bytes so far, and the length TUF
/// metadata gives.
pub trait DownloadProgress {
    /// `done` of `total` bytes of the package are in.
    fn advanced(&self, done: u64, total: u64);
}

/// No progress reports.
impl DownloadProgress for () {
    fn advanced(&self, _done: u64, _total: u64) {}
}

/// The root to start the update from: the given one, or the newer root
/// trusted on an earlier run (kept in `dir` after its signatures were
/// checked), so that a mirror that hides the newer roots cannot take the
/// client back to keys the repository has since revoked.
fn trusted_root(given: &[u8], dir: &Path) -> Vec<u8> {
    let version = |bytes: &[u8]| {
        serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()
            .and_then(|v| v["signed"]["version"].as_u64())
    };
    let stored = dir.join("root.json");
    match (
        version(given),
        intoto::fs::read(&stored, MAX_ROOT_BYTES).ok(),
    ) {
        (Some(given_version), Some(bytes)) if version(&bytes) > Some(given_version) => {
            tracing::debug!(root = %stored.display(), "starting from the root trusted last time");
            bytes
        }
        _ => given.to_owned(),
    }
}

/// `file://` and `http(s)://` transport. tough waits its initial back-off
/// before the first try of every request (100 ms by default, about a
/// second for a small package's dozen requests), so the first wait is
/// 2 ms and the back-off grows tenfold per retry instead (2 ms, 20 ms,
/// 200 ms, 1 s; five tries).
pub(crate) fn transport() -> tough::DefaultTransport {
    tough::DefaultTransport::new_with_http_settings(
        tough::HttpTransportBuilder::new()
            .tries(5)
            .initial_backoff(std::time::Duration::from_millis(2))
            .backoff_factor(10.0)
            .max_backoff(std::time::Duration::from_secs(1)),
    )
}

/// The largest `root.json` read.
const MAX_ROOT_BYTES: u64 = 1 << 20;

/// The most in-toto metadata (layout, keys and links together) one
/// package may bring; it is held in memory for verification.
pub const MAX_TOTAL_METADATA_BYTES: u64 = 2 << 30;

/// Downloads target `name` and its in-toto metadata: the package into a
/// private folder in the system's temporary folder (`TMPDIR`), never into
/// the destination, the rest into memory.
///
/// # Errors
///
/// [`TufError`] naming the step, target or file at fault.
pub fn fetch(
    distribution: &Distribution,
    name: &str,
    progress: &dyn DownloadProgress,
) -> Result<Fetched, TufError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| TufError::io(&distribution.metadata_dir, e))?;
    runtime.block_on(fetch_async(distribution, name, progress))
}

async fn fetch_async(
    distribution: &Distribution,
    name: &str,
    progress: &dyn DownloadProgress,
) -> Result<Fetched, TufError> {
    let repo = load(distribution).await?;
    let target_name = target_name(name)?;
    let top = &repo.targets().signed;
    let Ok(target) = top.find_target(&target_name, false) else {
        return Err(TufError::NoTarget {
            name: name.to_owned(),
        });
    };
    let package_length = target.length;
    let package_sha256 = target.hashes.sha256.to_vec();
    let file_name = names::file_name(name)
        .map_err(|reason| TufError::InToto {
            name: name.to_owned(),
            reason: format!("cannot be placed: {reason}"),
        })?
        .to_owned();
    let listed = plan::listed(name, &target.custom)?;
    let plan = plan::plan(name, &listed, |listed_name| {
        let entry = top.targets.get(&TargetName::new(listed_name).ok()?)?;
        entry.custom.get(names::IN_TOTO)?;
        Some(plan::listed(listed_name, &entry.custom))
    })?;
    tracing::info!(
        target = name,
        layout = plan.layout,
        links = plan.documents.len(),
        "TUF metadata trusted; downloading"
    );
    let Plan {
        layout: layout_name,
        layout_keys,
        documents: planned,
    } = plan;
    // The layout's keys, like the layout, are the top-level role's: the
    // online packages role must not be able to supply one.
    let mut total = length_of(&repo, &layout_name)?;
    for key_name in &layout_keys {
        let top_level = top
            .targets
            .get(&self::target_name(key_name)?)
            .ok_or_else(|| TufError::InToto {
                name: layout_name.clone(),
                reason: format!(
                    "lists the key {key_name:?}, which is not a target of the top-level targets role"
                ),
            })?;
        if top_level.length > intoto::fs::MAX_KEY_BYTES {
            return Err(TufError::InToto {
                name: key_name.clone(),
                reason: format!(
                    "{} bytes is more than a key file may hold",
                    top_level.length
                ),
            });
        }
        total = total.saturating_add(top_level.length);
    }
    for (document, _) in &planned {
        total = total.saturating_add(length_of(&repo, document)?);
    }
    if total > MAX_TOTAL_METADATA_BYTES {
        return Err(TufError::InToto {
            name: name.to_owned(),
            reason: format!(
                "its in-toto metadata comes to {total} bytes (at most {MAX_TOTAL_METADATA_BYTES})"
            ),
        });
    }
    let layout = download_small(&repo, &layout_name).await?;
    let mut keys = Vec::with_capacity(layout_keys.len());
    for key_name in &layout_keys {
        let bytes = download_small(&repo, key_name).await?;
        keys.push(
            PublicKey::from_file_contents(&bytes, KeyIdForm::Modern).map_err(|source| {
                TufError::Key {
                    name: key_name.clone(),
                    source,
                }
            })?,
        );
    }
    let mut documents = Vec::with_capacity(planned.len());
    for (target, relative) in planned {
        let bytes = download_small(&repo, &target).await?;
        documents.push((target, relative, bytes));
    }
    let staging = tempfile::Builder::new()
        .prefix("intoto-tuf-")
        .tempdir()
        .map_err(|e| TufError::io(std::env::temp_dir(), e))?;
    let path = staging.path().join(&file_name);
    download_to(&repo, name, &path, package_length, progress).await?;
    let versions = Versions {
        root: repo.root().signed.version.get(),
        timestamp: repo.timestamp().signed.version.get(),
        snapshot: repo.snapshot().signed.version.get(),
        targets: repo.targets().signed.version.get(),
    };
    Ok(Fetched {
        target: name.to_owned(),
        layout_name,
        layout,
        keys,
        documents,
        versions,
        sha256: package_sha256,
        length: package_length,
        staging,
        file_name,
    })
}

/// The length a listed target's entry gives.
fn length_of(repo: &Repository, name: &str) -> Result<u64, TufError> {
    repo.targets()
        .signed
        .find_target(&target_name(name)?, false)
        .map(|t| t.length)
        .map_err(|_| TufError::InToto {
            name: name.to_owned(),
            reason: "it is listed in custom.in-toto but is not a target of the repository"
                .to_owned(),
        })
}

fn target_name(name: &str) -> Result<TargetName, TufError> {
    TargetName::new(name).map_err(|e| TufError::InToto {
        name: name.to_owned(),
        reason: format!("not a target name: {e}"),
    })
}

/// Downloads a metadata target (a layout, key or link) into memory; TUF
/// bounds it by its listed length, and it must be a size metadata can be.
async fn download_small(repo: &Repository, name: &str) -> Result<Vec<u8>, TufError> {
    let length = length_of(repo, name)?;
    if length > intoto::fs::MAX_METADATA_BYTES {
        return Err(TufError::InToto {
            name: name.to_owned(),
            reason: format!("{length} bytes is more than in-toto metadata may hold"),
        });
    }
    let stream = open_target(repo, name).await?;
    tough::IntoVec::into_vec(stream)
        .await
        .map_err(|e| download_error(name, &e))
}

/// Starts the download of target `name`, checked by TUF as it streams.
async fn open_target(
    repo: &Repository,
    name: &str,
) -> Result<impl futures_util::Stream<Item = tough::error::Result<tough::Bytes>>, TufError> {
    repo.read_target(&target_name(name)?)
        .await
        .map_err(|e| download_error(name, &e))?
        .ok_or_else(|| TufError::NoTarget {
            name: name.to_owned(),
        })
}

/// A download that failed: unreachable, or not matching its entry.
fn download_error(name: &str, error: &tough::error::Error) -> TufError {
    if crate::error::is_transport_failure(error) {
        TufError::Unreachable {
            url: format!("target {name:?}"),
            reason: crate::error::finding(error),
        }
    } else {
        TufError::Download {
            name: name.to_owned(),
            reason: crate::error::finding(error),
        }
    }
}

/// Streams the package to `path`; a download that fails its hashes leaves
/// nothing usable behind (the staging folder is removed with it).
async fn download_to(
    repo: &Repository,
    name: &str,
    path: &Path,
    length: u64,
    progress: &dyn DownloadProgress,
) -> Result<(), TufError> {
    let mut stream = open_target(repo, name).await?;
    let mut file = std::fs::File::create_new(path).map_err(|e| TufError::io(path, e))?;
    let mut done = 0u64;
    progress.advanced(0, length);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            let _ = std::fs::remove_file(path);
            download_error(name, &e)
        })?;
        file.write_all(&chunk).map_err(|e| TufError::io(path, e))?;
        done += chunk.len() as u64;
        progress.advanced(done, length);
    }
    // Not synced: the staged copy is temporary, and placing writes (and
    // syncs) a new file from it.
    file.flush().map_err(|e| TufError::io(path, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_a_repository() {
        let (m, t) = urls("http://127.0.0.1:8080/repo").unwrap();
        assert_eq!(m.as_str(), "http://127.0.0.1:8080/repo/metadata/");
        assert_eq!(t.as_str(), "http://127.0.0.1:8080/repo/targets/");
        assert!(urls("ftp://x/").is_err());
        assert!(urls("/no/such/folder/here").is_err());
        let dir = tempfile::tempdir().unwrap();
        let (m, _) = urls(dir.path().to_str().unwrap()).unwrap();
        assert_eq!(m.scheme(), "file");
        assert!(m.as_str().ends_with("/metadata/"));
    }
}
