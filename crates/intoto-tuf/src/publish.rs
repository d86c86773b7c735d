//! The publisher: a repository laid out as ITE-2 describes.
//!
//! - `root.json` (offline root keys) names the keys of the top-level
//!   roles, with consistent snapshots on.
//! - `targets.json` (offline targets key) lists each root layout, with its
//!   public keys in the layout target's `custom.in-toto`, and delegates
//!   every other target (`*`, terminating) to [`PACKAGES_ROLE`].
//! - [`PACKAGES_ROLE`] (online key) lists packages, each with
//!   `custom.in-toto` naming its layout and links, and the links under
//!   `in-toto-metadata/<package digest>/`.
//! - `snapshot.json` and `timestamp.json` (online keys) are re-signed on
//!   every change.
//!
//! Target files are stored as `targets/<sha256>.<name>` (consistent
//! snapshots, as the client fetches them).

use std::collections::HashMap;
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};

use aws_lc_rs::rand::SystemRandom;
use intoto::crypto::KeyIdForm;
use serde_json::{Value, json};
use tough::TargetName;
use tough::editor::signed::SignedRole;
use tough::key_source::KeySource;
use tough::schema::decoded::{Decoded, Hex};
use tough::schema::{
    DelegatedRole, DelegatedTargets, Delegations, KeyHolder, PathPattern, PathSet, RoleKeys,
    RoleType, Root, Snapshot, Target, Targets, Timestamp,
};

use crate::TufError;
use crate::keys::{PemKeySource, read_all};
use crate::names::{self, IN_TOTO, PACKAGES_ROLE};
pub use crate::repo::{Committed, Expiries};
use crate::repo::{Repo, SPEC_VERSION, file_of, metafile, sign_error, write_files};
pub use crate::rotate::{Rotate, refresh, rotate};
use intoto::model::encoding::hex;

/// The keys of a new repository's roles (PEM private key files).
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The repository folder: made, or empty.
    pub repo: PathBuf,
    /// Root keys (offline).
    pub root_keys: Vec<PathBuf>,
    /// How many root keys must sign a new root.
    pub root_threshold: u64,
    /// Top-level targets keys (offline): they sign the root layouts.
    pub targets_keys: Vec<PathBuf>,
    /// Snapshot key (online).
    pub snapshot_keys: Vec<PathBuf>,
    /// Timestamp key (online).
    pub timestamp_keys: Vec<PathBuf>,
    /// Packages role key (online): it signs packages and links.
    pub packages_keys: Vec<PathBuf>,
    /// Expiry of each role's metadata.
    pub expiries: Expiries,
}

/// Makes a new repository: version 1 of every role, no targets yet.
///
/// # Errors
///
/// [`TufError`] naming the key, file or role at fault; nothing is
/// written when a key cannot be used.
pub fn init(options: &InitOptions) -> Result<Committed, TufError> {
    block_on(&options.repo, init_async(options))
}

async fn init_async(options: &InitOptions) -> Result<Committed, TufError> {
    let repo = &options.repo;
    let metadata_dir = repo.join("metadata");
    if metadata_dir.join("root.json").exists() {
        return Err(TufError::Repository {
            repo: repo.clone(),
            reason: "already holds a repository (metadata/root.json)".to_owned(),
        });
    }
    let mut all: Vec<Box<dyn KeySource>> = Vec::new();
    let mut root = Root {
        spec_version: SPEC_VERSION.to_owned(),
        consistent_snapshot: true,
        version: NonZeroU64::MIN,
        expires: crate::repo::expiry(options.expiries.root),
        keys: HashMap::new(),
        roles: HashMap::new(),
        _extra: HashMap::new(),
    };
    let roles = [
        (RoleType::Root, &options.root_keys, options.root_threshold),
        (RoleType::Targets, &options.targets_keys, 1),
        (RoleType::Snapshot, &options.snapshot_keys, 1),
        (RoleType::Timestamp, &options.timestamp_keys, 1),
    ];
    for (role, paths, threshold) in roles {
        let keyids = add_keys(&mut root.keys, paths, &mut all, &format!("{role}"))?;
        let threshold = checked_threshold(repo, &format!("{role}"), threshold, keyids.len())?;
        root.roles.insert(
            role,
            RoleKeys {
                keyids,
                threshold,
                _extra: HashMap::new(),
            },
        );
    }
    let mut delegation_keys = HashMap::new();
    let packages_keyids = add_keys(
        &mut delegation_keys,
        &options.packages_keys,
        &mut all,
        PACKAGES_ROLE,
    )?;
    let rng = SystemRandom::new();
    let holder = KeyHolder::Root(root.clone());
    let signed_root = SignedRole::new(root.clone(), &holder, &all, &rng)
        .await
        .map_err(|source| sign_error("root", source))?;
    let mut targets = Targets::new(
        SPEC_VERSION.to_owned(),
        NonZeroU64::MIN,
        crate::repo::expiry(options.expiries.targets),
    );
    let mut delegations = Delegations::new();
    delegations.keys = delegation_keys;
    delegations.roles.push(DelegatedRole {
        name: PACKAGES_ROLE.to_owned(),
        keyids: packages_keyids,
        threshold: NonZeroU64::MIN,
        paths: PathSet::Paths(
            names::delegated_patterns()
                .into_iter()
                .map(PathPattern::new)
                .collect::<Result<_, _>>()
                .map_err(|e| TufError::Repository {
                    repo: repo.clone(),
                    reason: e.to_string(),
                })?,
        ),
        terminating: true,
        targets: None,
    });
    targets.delegations = Some(delegations.clone());
    let packages = DelegatedTargets {
        name: PACKAGES_ROLE.to_owned(),
        targets: Targets::new(
            SPEC_VERSION.to_owned(),
            NonZeroU64::MIN,
            crate::repo::expiry(options.expiries.packages),
        ),
    };
    let signed_packages =
        SignedRole::new(packages, &KeyHolder::Delegations(delegations), &all, &rng)
            .await
            .map_err(|source| sign_error(PACKAGES_ROLE, source))?;
    let signed_targets = SignedRole::new(targets, &holder, &all, &rng)
        .await
        .map_err(|source| sign_error("targets", source))?;
    let mut snapshot = Snapshot::new(
        SPEC_VERSION.to_owned(),
        NonZeroU64::MIN,
        crate::repo::expiry(options.expiries.snapshot),
    );
    snapshot
        .meta
        .insert("targets.json".to_owned(), metafile(&signed_targets));
    snapshot
        .meta
        .insert(format!("{PACKAGES_ROLE}.json"), metafile(&signed_packages));
    let signed_snapshot = SignedRole::new(snapshot, &holder, &all, &rng)
        .await
        .map_err(|source| sign_error("snapshot", source))?;
    let mut timestamp = Timestamp::new(
        SPEC_VERSION.to_owned(),
        NonZeroU64::MIN,
        crate::repo::expiry(options.expiries.timestamp),
    );
    timestamp
        .meta
        .insert("snapshot.json".to_owned(), metafile(&signed_snapshot));
    let signed_timestamp = SignedRole::new(timestamp, &holder, &all, &rng)
        .await
        .map_err(|source| sign_error("timestamp", source))?;
    std::fs::create_dir_all(repo.join("targets")).map_err(|e| TufError::io(repo, e))?;
    let files = vec![
        ("1.root.json".to_owned(), signed_root.buffer().clone()),
        file_of(&signed_targets, true),
        file_of(&signed_packages, true),
        file_of(&signed_snapshot, true),
        ("root.json".to_owned(), signed_root.buffer().clone()),
        (
            "timestamp.json".to_owned(),
            signed_timestamp.buffer().clone(),
        ),
    ];
    Ok(Committed {
        written: write_files(&metadata_dir, files)?,
        snapshot: 1,
        timestamp: 1,
    })
}

pub(crate) fn add_keys(
    keys: &mut HashMap<Decoded<Hex>, tough::schema::key::Key>,
    paths: &[PathBuf],
    all: &mut Vec<Box<dyn KeySource>>,
    role: &str,
) -> Result<Vec<Decoded<Hex>>, TufError> {
    let mut keyids = Vec::new();
    for path in paths {
        let source = PemKeySource::read(path)?;
        let key = source.public()?;
        let keyid = key.key_id().map_err(|e| TufError::SigningKey {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if keyids.contains(&keyid) {
            return Err(TufError::SigningKey {
                path: path.clone(),
                reason: format!("given twice for the {role} role"),
            });
        }
        keys.insert(keyid.clone(), key);
        keyids.push(keyid);
        all.push(Box::new(source));
    }
    Ok(keyids)
}

pub(crate) fn checked_threshold(
    repo: &Path,
    role: &str,
    threshold: u64,
    keys: usize,
) -> Result<NonZeroU64, TufError> {
    match NonZeroU64::new(threshold) {
        Some(t) if t.get() <= keys as u64 => Ok(t),
        _ => Err(TufError::Repository {
            repo: repo.to_owned(),
            reason: format!(
                "the {role} role has {keys} key(s) and a threshold of {threshold}: give between 1 \
                 and {keys}"
            ),
        }),
    }
}

/// A package to publish with the in-toto metadata it was made with.
#[derive(Debug, Clone)]
pub struct AddTarget {
    /// The repository folder.
    pub repo: PathBuf,
    /// The package file.
    pub target: PathBuf,
    /// Its target name (default: its file name).
    pub name: Option<String>,
    /// Links and the root layout (told apart by their `_type`), or
    /// attestations when `layout` is given.
    pub in_toto: Vec<PathBuf>,
    /// The root layout or policy, when not among `in_toto`.
    pub layout: Option<PathBuf>,
    /// The layout's public keys (PEM): needed when the layout is new.
    pub layout_keys: Vec<PathBuf>,
    /// Role keys to sign with (PEM private keys): packages, snapshot,
    /// timestamp, and targets when the layout is new.
    pub keys: Vec<PathBuf>,
    /// Expiry of re-signed metadata.
    pub expiries: Expiries,
}

/// What `add_target` published.
#[derive(Debug, Clone)]
pub struct Published {
    /// The package's target name.
    pub target: String,
    /// The root layout's target name.
    pub layout: String,
    /// Whether the layout was new (the top-level targets were re-signed).
    pub new_layout: bool,
    /// The links' target names.
    pub links: Vec<String>,
    /// The metadata written.
    pub committed: Committed,
}

/// Publishes a package with its in-toto metadata.
///
/// # Errors
///
/// [`TufError`] naming the file, key or role at fault. Target files are
/// written first and metadata last, so a failure leaves the repository's
/// current metadata as it was.
pub fn add_target(options: &AddTarget) -> Result<Published, TufError> {
    block_on(&options.repo, add_target_async(options))
}

async fn add_target_async(options: &AddTarget) -> Result<Published, TufError> {
    let keys = read_all(&options.keys)?;
    let mut repo = Repo::load(&options.repo).await?;
    let package_file = &options.target;
    let name = match &options.name {
        Some(name) => name.clone(),
        None => package_file
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_owned)
            .ok_or_else(|| TufError::io(package_file, "has no file name to publish it under"))?,
    };
    names::check_target_name(&name).map_err(|reason| TufError::InToto {
        name: name.clone(),
        reason,
    })?;
    let target_name = checked_target_name(&name)?;
    if repo.targets.targets.contains_key(&target_name) {
        return Err(TufError::InToto {
            name,
            reason: "is a target of the top-level role (a layout or key)".to_owned(),
        });
    }
    let (layout_path, links) = sort_in_toto(options)?;
    let package = target_of(package_file).await?;
    let package_sha = hex::encode(&package.hashes.sha256);

    // The root layout: a target of the top-level role, by content.
    let layout_target = target_of(&layout_path).await?;
    let layout_file = file_name_of(&layout_path)?;
    let layout_sha = hex::encode(&layout_target.hashes.sha256);
    let layout_name = names::layout_target(&layout_sha, &layout_file);
    let layout_tn = checked_target_name(&layout_name)?;
    let new_layout = !repo.targets.targets.contains_key(&layout_tn);
    if new_layout {
        if options.layout_keys.is_empty() {
            return Err(TufError::InToto {
                name: layout_name,
                reason: "a new layout: give the public keys that must have signed it with \
                         --layout-key"
                    .to_owned(),
            });
        }
        let mut key_names = Vec::new();
        for key_path in &options.layout_keys {
            let key = intoto::fs::read_public_key(key_path, KeyIdForm::Modern)
                .map_err(|e| TufError::io(key_path, e))?;
            let key_name = names::key_target(key.keyid().as_str());
            let key_target = target_of(key_path).await?;
            store_target(&repo, &key_name, key_path, &key_target)?;
            repo.targets
                .targets
                .insert(checked_target_name(&key_name)?, key_target);
            key_names.push(Value::String(key_name));
        }
        let mut layout_entry = layout_target;
        layout_entry
            .custom
            .insert(IN_TOTO.to_owned(), Value::Array(key_names));
        store_target(&repo, &layout_name, &layout_path, &layout_entry)?;
        repo.targets.targets.insert(layout_tn, layout_entry);
        repo.targets_changed = true;
    } else if !options.layout_keys.is_empty() {
        tracing::warn!(
            layout = layout_name,
            "the layout is already published with its keys; --layout-key is ignored"
        );
    }

    // The package and its links: targets of the packages role, in a
    // folder named by the package and all its metadata.
    let mut link_targets = Vec::with_capacity(links.len());
    for link in &links {
        let file_name = file_name_of(link)?;
        if link_targets
            .iter()
            .any(|(n, _, _): &(String, _, _)| *n == file_name)
        {
            return Err(TufError::io(link, "two in-toto files share this file name"));
        }
        link_targets.push((file_name, link, target_of(link).await?));
    }
    let evidence: Vec<(String, String)> =
        std::iter::once((layout_name.clone(), layout_sha.clone()))
            .chain(
                link_targets
                    .iter()
                    .map(|(n, _, t)| (n.clone(), hex::encode(&t.hashes.sha256))),
            )
            .collect();
    let id = names::evidence_id(&package_sha, &evidence);
    let mut listed = vec![json!(layout_name)];
    let mut link_names = Vec::new();
    for (file_name, link, target) in link_targets {
        let link_name = names::link_target(&id, &file_name);
        let link_tn = checked_target_name(&link_name)?;
        if let Some(existing) = repo.packages.targets.get(&link_tn)
            && existing.hashes.sha256 != target.hashes.sha256
        {
            return Err(TufError::InToto {
                name: link_name,
                reason: "is already published with other contents".to_owned(),
            });
        }
        store_target(&repo, &link_name, link, &target)?;
        repo.packages.targets.insert(link_tn, target);
        listed.push(json!(link_name));
        link_names.push(link_name);
    }
    let mut package_entry = package;
    package_entry
        .custom
        .insert(IN_TOTO.to_owned(), Value::Array(listed));
    store_target(&repo, &name, package_file, &package_entry)?;
    repo.packages.targets.insert(target_name, package_entry);
    repo.packages_changed = true;
    let committed = repo.commit(&keys, &options.expiries).await?;
    Ok(Published {
        target: name,
        layout: layout_name,
        new_layout,
        links: link_names,
        committed,
    })
}

/// The root layout (or policy) and the links among the `--in-toto` files.
fn sort_in_toto(options: &AddTarget) -> Result<(PathBuf, Vec<PathBuf>), TufError> {
    let mut layout = options.layout.clone();
    let mut links = Vec::new();
    for path in &options.in_toto {
        let bytes = intoto::fs::read(path, intoto::fs::MAX_METADATA_BYTES)
            .map_err(|e| TufError::io(path, e))?;
        if intoto::layout::is_layout(&bytes) {
            if let Some(first) = &layout {
                return Err(TufError::io(
                    path,
                    format!("a second root layout (the first is {})", first.display()),
                ));
            }
            layout = Some(path.clone());
        } else {
            links.push(path.clone());
        }
    }
    let layout = layout.ok_or_else(|| TufError::InToto {
        name: options.target.display().to_string(),
        reason: "no root layout among the --in-toto files (or give a policy with --layout)"
            .to_owned(),
    })?;
    if links.is_empty() {
        return Err(TufError::InToto {
            name: options.target.display().to_string(),
            reason: "no links: give the step links the package was made with".to_owned(),
        });
    }
    Ok((layout, links))
}

fn file_name_of(path: &Path) -> Result<String, TufError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| TufError::io(path, "has no UTF-8 file name"))?;
    names::check_component(name).map_err(|reason| TufError::io(path, reason))?;
    Ok(name.to_owned())
}

fn checked_target_name(name: &str) -> Result<TargetName, TufError> {
    TargetName::new(name).map_err(|e| TufError::InToto {
        name: name.to_owned(),
        reason: format!("not a target name: {e}"),
    })
}

async fn target_of(path: &Path) -> Result<Target, TufError> {
    Target::from_path(path)
        .await
        .map_err(|e| TufError::io(path, e))
}

/// Copies `from` into the targets folder where consistent-snapshot
/// clients fetch target `name` (`targets/dir/<sha256>.<file>`, as the TUF
/// specification puts it), checking that the bytes copied are the bytes
/// listed.
fn store_target(repo: &Repo, name: &str, from: &Path, target: &Target) -> Result<(), TufError> {
    let dest = repo.targets_dir().join(names::stored_path(
        name,
        &hex::encode(&target.hashes.sha256),
    ));
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(|e| TufError::io(parent, e))?;
    }
    if !crate::copy::copy_checked(from, &dest, target.length, &target.hashes.sha256)? {
        return Err(TufError::io(from, "changed while it was being published"));
    }
    Ok(())
}

pub(crate) fn block_on<T>(
    repo: &Path,
    future: impl std::future::Future<Output = Result<T, TufError>>,
) -> Result<T, TufError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| TufError::io(repo, e))?
        .block_on(future)
}
