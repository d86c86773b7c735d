//! The Sigstore bundle verifier for `--sigstore-trusted-root`, when the
//! binary is built with the `sigstore` feature (the default).

use std::path::Path;
use std::sync::Arc;

use intoto::verify::policy::identity::KeylessVerifier;

/// A verifier of Sigstore bundles against the trusted root at `path`.
#[cfg(feature = "sigstore")]
pub(crate) fn verifier(path: &Path) -> anyhow::Result<Arc<dyn KeylessVerifier>> {
    use anyhow::Context as _;
    let limit = intoto_sigstore::MAX_TRUSTED_ROOT_BYTES as u64;
    let bytes = intoto::record::file::read_bounded(path, limit)
        .with_context(|| format!("cannot read the Sigstore trusted root {}", path.display()))?;
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
