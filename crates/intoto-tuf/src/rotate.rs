//! Keeping a repository alive and its keys current: `refresh` re-signs the
//! online roles before they expire; `rotate` replaces a role's keys in a
//! new root (cross-signed by the old and new root keys), or re-delegates
//! the packages role, and re-signs what the role signs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use aws_lc_rs::rand::SystemRandom;
use tough::editor::signed::SignedRole;
use tough::schema::{KeyHolder, RoleKeys, RoleType, Root};

use crate::TufError;
use crate::keys::read_all;
use crate::names::PACKAGES_ROLE;
use crate::publish::{add_keys, block_on, checked_threshold};
use crate::repo::{Committed, Expiries, Repo, bump, sign_error};

/// Re-signs the online roles so that the repository does not expire:
/// snapshot and timestamp, and the packages role too when
/// `packages` is set, each with its version one up and a new expiry.
///
/// # Errors
///
/// [`TufError`] naming the role whose key is missing, or the file at
/// fault; nothing is written then.
pub fn refresh(
    repo: &Path,
    keys: &[PathBuf],
    packages: bool,
    expiries: &Expiries,
) -> Result<Committed, TufError> {
    block_on(repo, async {
        let keys = read_all(keys)?;
        let mut loaded = Repo::load(repo).await?;
        loaded.packages_changed = packages;
        loaded.commit(&keys, expiries).await
    })
}

/// A key rotation: the keys of one role replaced in a new root.
#[derive(Debug, Clone)]
pub struct Rotate {
    /// The repository folder.
    pub repo: PathBuf,
    /// The role whose keys are replaced: root, targets, snapshot,
    /// timestamp, or the packages role.
    pub role: String,
    /// The new keys (PEM private keys: new keys sign what they now own).
    pub new_keys: Vec<PathBuf>,
    /// The role's new threshold.
    pub threshold: u64,
    /// Keys to sign with: the current root keys (and, for a new root
    /// role, the new ones are added), plus any role key needed to re-sign.
    pub keys: Vec<PathBuf>,
    /// Expiry of re-signed metadata.
    pub expiries: Expiries,
}

/// Replaces a role's keys. The root, targets, snapshot and timestamp
/// roles get a new root version (signed by the old and the new root
/// keys); the packages role is re-delegated in new top-level targets.
/// Everything the role signs is re-signed with the new keys.
///
/// # Errors
///
/// [`TufError`] naming the role, key or file at fault.
pub fn rotate(options: &Rotate) -> Result<Committed, TufError> {
    block_on(&options.repo, rotate_async(options))
}

async fn rotate_async(options: &Rotate) -> Result<Committed, TufError> {
    let mut keys = read_all(&options.keys)?;
    let mut repo = Repo::load(&options.repo).await?;
    let mut new_keys = HashMap::new();
    let mut new_sources = Vec::new();
    let keyids = add_keys(
        &mut new_keys,
        &options.new_keys,
        &mut new_sources,
        &options.role,
    )?;
    keys.extend(new_sources);
    let threshold = checked_threshold(&repo.dir, &options.role, options.threshold, keyids.len())?;
    if options.role == PACKAGES_ROLE {
        let delegations =
            repo.targets
                .delegations
                .as_mut()
                .ok_or_else(|| TufError::Repository {
                    repo: options.repo.clone(),
                    reason: "the top-level targets delegate nothing".to_owned(),
                })?;
        let Some(role) = delegations
            .roles
            .iter_mut()
            .find(|r| r.name == PACKAGES_ROLE)
        else {
            return Err(TufError::Repository {
                repo: options.repo.clone(),
                reason: format!("no {PACKAGES_ROLE} role"),
            });
        };
        for old in &role.keyids {
            delegations.keys.remove(old);
        }
        role.keyids = keyids;
        role.threshold = threshold;
        delegations.keys.extend(new_keys);
        repo.targets_changed = true;
        repo.packages_changed = true;
        return repo.commit(&keys, &options.expiries).await;
    }
    let role_type = match options.role.as_str() {
        "root" => RoleType::Root,
        "targets" => RoleType::Targets,
        "snapshot" => RoleType::Snapshot,
        "timestamp" => RoleType::Timestamp,
        other => {
            return Err(TufError::Repository {
                repo: options.repo.clone(),
                reason: format!(
                    "no role {other:?} (root, targets, snapshot, timestamp or {PACKAGES_ROLE})"
                ),
            });
        }
    };
    let old_root: Root = repo.root.signed.clone();
    let mut root = old_root.clone();
    root.version = bump(root.version);
    root.expires = crate::repo::expiry(options.expiries.root);
    if let Some(old) = root.roles.get(&role_type) {
        let still_used: Vec<_> = root
            .roles
            .iter()
            .filter(|(r, _)| **r != role_type)
            .flat_map(|(_, k)| k.keyids.clone())
            .collect();
        for keyid in old.keyids.clone() {
            if !still_used.contains(&keyid) {
                root.keys.remove(&keyid);
            }
        }
    }
    root.keys.extend(new_keys);
    root.roles.insert(
        role_type,
        RoleKeys {
            keyids,
            threshold,
            _extra: HashMap::new(),
        },
    );
    // A new root is signed by a threshold of the old root keys and of the
    // new ones.
    let rng = SystemRandom::new();
    let by_new = SignedRole::new(root.clone(), &KeyHolder::Root(root.clone()), &keys, &rng)
        .await
        .map_err(|source| sign_error("root", source))?;
    let by_old = SignedRole::new(
        root.clone(),
        &KeyHolder::Root(old_root.clone()),
        &keys,
        &rng,
    )
    .await
    .map_err(|source| sign_error("root", source))?;
    let mut old_signatures = by_old.signed().signatures.clone();
    old_signatures.retain(|s| {
        !by_new
            .signed()
            .signatures
            .iter()
            .any(|n| n.keyid == s.keyid)
    });
    let signed_root = by_new
        .add_old_signatures(old_signatures)
        .map_err(|source| sign_error("root", source))?;
    // Clients accept the new root only with a threshold of signatures by
    // the old root's keys and by its own: check both before writing.
    for (which, trusted) in [("current", &old_root), ("new", &root)] {
        trusted
            .verify_role(signed_root.signed())
            .map_err(|e| TufError::Sign {
                role: "root".to_owned(),
                reason: format!(
                    "the new root lacks a threshold of the {which} root keys' signatures ({}); \
                     give them with --key",
                    crate::error::finding(&e)
                ),
            })?;
    }
    repo.new_root = Some(signed_root);
    if role_type == RoleType::Targets {
        repo.targets_changed = true;
    }
    repo.commit(&keys, &options.expiries).await
}
