//! Where ITE-2 puts things in a repository, and the checks on names taken
//! from metadata.

/// The delegated targets role that signs packages and their links (online
/// keys), as ITE-2 names it.
pub const PACKAGES_ROLE: &str = "packages-and-in-toto-metadata-signer";

/// The `custom` field of a targets entry listing in-toto metadata.
pub const IN_TOTO: &str = "in-toto";

/// The most in-toto targets one package may list.
pub const MAX_LISTED: usize = 10_000;

/// The most path components a target name may have: the packages role is
/// delegated `*`, `*/*`, … up to this depth, so that clients that match a
/// pattern component by component (python-tuf) find every target too.
pub const MAX_DEPTH: usize = 8;

/// The delegation patterns of the packages role: every target name of
/// 1 to [`MAX_DEPTH`] components.
pub fn delegated_patterns() -> Vec<String> {
    (1..=MAX_DEPTH).map(|n| vec!["*"; n].join("/")).collect()
}

/// Where a consistent-snapshot target is stored under `targets/`, as the
/// TUF specification puts it (and python-tuf fetches it): the digest
/// prefixes the file name, `dir/<sha256>.<file>`.
pub fn stored_path(name: &str, sha256_hex: &str) -> String {
    match name.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/{sha256_hex}.{file}"),
        None => format!("{sha256_hex}.{name}"),
    }
}

/// The most keys one layout target may list.
pub const MAX_LAYOUT_KEYS: usize = 256;

/// The target name of a root layout: by content, so that a new layout
/// never replaces the one older packages were made with.
pub fn layout_target(sha256_hex: &str, file_name: &str) -> String {
    format!(
        "in-toto-metadata/layouts/{}/{file_name}",
        prefix(sha256_hex)
    )
}

/// The target name of a layout public key.
pub fn key_target(keyid: &str) -> String {
    format!("in-toto-pubkeys/{keyid}.pub")
}

/// The target name of a package's link (or attestation) file: in a folder
/// named by `evidence_id` ([`evidence_id`]), so that two releases never
/// share a folder unless their package and metadata are identical.
pub fn link_target(evidence_id: &str, file_name: &str) -> String {
    format!("in-toto-metadata/{evidence_id}/{file_name}")
}

/// The folder id of a package's in-toto metadata: 32 hex digits of the
/// SHA-256 over the package's digest and each file's name and digest.
pub fn evidence_id(package_sha256_hex: &str, files: &[(String, String)]) -> String {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    hasher.update(package_sha256_hex.as_bytes());
    for (name, sha256_hex) in files {
        hasher.update([0]);
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(sha256_hex.as_bytes());
    }
    let digest = hasher.finalize();
    intoto::model::encoding::hex::encode(&digest[..16])
}

fn prefix(hex: &str) -> &str {
    hex.get(..16).unwrap_or(hex)
}

/// The last component of a target name, checked as a file name of its own
/// (no separators, not `.` or `..`, no NUL, at most 255 bytes).
///
/// # Errors
///
/// Why the name cannot be a file name.
pub fn file_name(target: &str) -> Result<&str, String> {
    let last = target.rsplit('/').next().unwrap_or(target);
    check_component(last).map(|()| last)
}

/// Checks a whole target name given to the publisher: every component a
/// file name of its own (no `..`, no empty component), so that it is
/// stored where clients fetch it and nowhere else.
///
/// # Errors
///
/// Why it cannot be a target name.
pub fn check_target_name(name: &str) -> Result<(), String> {
    if name.len() > 4096 {
        return Err("a target name is longer than 4096 bytes".to_owned());
    }
    if name.split('/').count() > MAX_DEPTH {
        return Err(format!("a target name has at most {MAX_DEPTH} components"));
    }
    name.split('/').try_for_each(check_component)
}

/// Checks one path component taken from metadata.
///
/// # Errors
///
/// Why it cannot be a file name.
pub fn check_component(part: &str) -> Result<(), String> {
    if part.is_empty() || part == "." || part == ".." {
        return Err(format!("{part:?} is not a file name"));
    }
    if part.len() > 255 {
        return Err("a name component is longer than 255 bytes".to_owned());
    }
    if part.contains(['/', '\\', '\0']) {
        return Err(format!("{part:?} holds a path separator or NUL"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_ite2() {
        let sha = "0a33cbf67b70f315c0b7a83923bcef35308e986140169950e609e3be38585289";
        assert_eq!(
            layout_target(sha, "root.layout"),
            "in-toto-metadata/layouts/0a33cbf67b70f315/root.layout"
        );
        let id = evidence_id(sha, &[("step1.87d52666.link".to_owned(), sha.to_owned())]);
        assert_eq!(id.len(), 32);
        assert_eq!(
            link_target(&id, "step1.87d52666.link"),
            format!("in-toto-metadata/{id}/step1.87d52666.link")
        );
        // Other evidence for the same package: another folder.
        assert_ne!(id, evidence_id(sha, &[]));
        assert_ne!(
            id,
            evidence_id(sha, &[("step1.87d52666.link".to_owned(), "00".to_owned())])
        );
        assert_eq!(key_target("abc"), "in-toto-pubkeys/abc.pub");
    }

    #[test]
    fn stored_paths_and_patterns() {
        assert_eq!(stored_path("a/b/c.link", "ff"), "a/b/ff.c.link");
        assert_eq!(stored_path("pkg.tar", "ff"), "ff.pkg.tar");
        assert_eq!(delegated_patterns()[..3], ["*", "*/*", "*/*/*"]);
        assert!(check_target_name(&["a"; MAX_DEPTH].join("/")).is_ok());
        assert!(check_target_name(&["a"; MAX_DEPTH + 1].join("/")).is_err());
    }

    #[test]
    fn file_names_are_checked() {
        assert_eq!(file_name("a/b/pkg.tar.gz"), Ok("pkg.tar.gz"));
        assert_eq!(file_name("pkg"), Ok("pkg"));
        for bad in ["a/..", "a/", "", "x/.", "a/b\\c", "a\0b"] {
            assert!(file_name(bad).is_err(), "{bad:?}");
        }
        assert!(file_name(&"x".repeat(256)).is_err());
        assert_eq!(check_target_name("1.1/hello.tar"), Ok(()));
        for bad in ["x/../../evil", "/abs", "a//b", "a/", "../x", "a/./b"] {
            assert!(check_target_name(bad).is_err(), "{bad:?}");
        }
    }
}
