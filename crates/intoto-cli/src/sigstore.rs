//! The Sigstore bundle verifier for `--sigstore-trusted-root` and the
//! timestamp authorities of `--timestamp-authority`, when the binary is
//! built with the `sigstore` feature (the default).

use std::path::Path;
use std::sync::Arc;

use intoto::verify::TimestampVerifier;
use intoto::verify::policy::identity::KeylessVerifier;

/// A verifier of Sigstore bundles against the trusted root at `path`.
#[cfg(feature = "sigstore")]
pub(crate) fn verifier(path: &Path) -> anyhow::Result<Arc<dyn KeylessVerifier>> {
    use anyhow::Context as _;
    let bytes = read_bounded(path, "the Sigstore trusted root")?;
    let verifier = intoto_sigstore::TrustedRootVerifier::from_json(&bytes)
        .with_context(|| format!("{}", path.display()))?;
    Ok(Arc::new(verifier))
}

/// Without the `sigstore` feature, bundles cannot be verified.
#[cfg(not(feature = "sigstore"))]
pub(crate) fn verifier(path: &Path) -> anyhow::Result<Arc<dyn KeylessVerifier>> {
    anyhow::bail!(
        "{}: this intoto was built without Sigstore support; rebuild with the `sigstore` feature",
        path.display()
    )
}

/// The timestamp authorities of `chains` (PEM files, signing certificate
/// first) and of the trusted root at `root`; `None` when neither is given.
#[cfg(feature = "sigstore")]
pub(crate) fn timestamps(
    chains: &[std::path::PathBuf],
    root: Option<&Path>,
) -> anyhow::Result<Option<Arc<dyn TimestampVerifier>>> {
    use anyhow::Context as _;
    if chains.is_empty() && root.is_none() {
        return Ok(None);
    }
    let mut authorities = match root {
        Some(path) => {
            let bytes = read_bounded(path, "the Sigstore trusted root")?;
            intoto_sigstore::TimestampAuthorities::from_trusted_root(&bytes)
                .with_context(|| format!("{}", path.display()))?
        }
        None => intoto_sigstore::TimestampAuthorities::default(),
    };
    for path in chains {
        let bytes = read_bounded(path, "the timestamp authority")?;
        let text = String::from_utf8(bytes)
            .with_context(|| format!("{}: not PEM text", path.display()))?;
        authorities
            .add_pem_chain(&text)
            .with_context(|| format!("{}", path.display()))?;
    }
    Ok(Some(Arc::new(authorities)))
}

/// Without the `sigstore` feature, timestamps cannot be verified.
#[cfg(not(feature = "sigstore"))]
pub(crate) fn timestamps(
    chains: &[std::path::PathBuf],
    root: Option<&Path>,
) -> anyhow::Result<Option<Arc<dyn TimestampVerifier>>> {
    if chains.is_empty() && root.is_none() {
        return Ok(None);
    }
    anyhow::bail!(
        "this intoto was built without Sigstore support, which verifies timestamps; rebuild with the `sigstore` feature"
    )
}

/// A trusted root or a TSA chain file, bounded.
#[cfg(feature = "sigstore")]
fn read_bounded(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    use anyhow::Context as _;
    let limit = intoto_sigstore::MAX_TRUSTED_ROOT_BYTES as u64;
    intoto::record::file::read_bounded(path, limit)
        .with_context(|| format!("cannot read {what} {}", path.display()))
}
