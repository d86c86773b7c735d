//! Why a TUF repository could not be read, trusted or written.

use std::path::PathBuf;

/// A distribution step that failed. Messages name the repository, target,
/// role or file at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TufError {
    /// The repository location is neither a URL nor a folder.
    #[error("{location}: not a repository URL or folder ({reason})")]
    Location {
        /// What was given.
        location: String,
        /// Why it is refused.
        reason: String,
    },
    /// TUF refused the repository's metadata (signatures, versions,
    /// expiry, hashes): nothing from it is trusted.
    #[error("the TUF metadata of {url} cannot be trusted: {reason}")]
    Untrusted {
        /// The repository.
        url: String,
        /// TUF's finding.
        reason: String,
    },
    /// The repository could not be reached, or a file it must have was not
    /// there: nothing was checked, so nothing is refused or trusted.
    #[error("cannot reach {url}: {reason}")]
    Unreachable {
        /// The repository.
        url: String,
        /// The transport's finding.
        reason: String,
    },
    /// The target is not in the repository's (delegated) targets.
    #[error("target {name:?} is not in the repository's targets metadata")]
    NoTarget {
        /// The target name.
        name: String,
    },
    /// The package's targets entry does not say how it was made.
    #[error("target {name:?}: {reason}")]
    InToto {
        /// The target whose `custom.in-toto` is at fault.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A target could not be downloaded, or did not match its metadata
    /// (length, hashes).
    #[error(
        "target {name:?} cannot be downloaded or does not match its targets metadata: {reason}"
    )]
    Download {
        /// The target name.
        name: String,
        /// TUF's finding.
        reason: String,
    },
    /// The staged package no longer matched its targets entry when it was
    /// to be placed (something changed it after the download).
    #[error("target {name:?} changed after it was downloaded and checked; it was not placed")]
    Changed {
        /// The target name.
        name: String,
    },
    /// A layout key target is not a public key.
    #[error("target {name:?} is not a public key")]
    Key {
        /// The key target.
        name: String,
        /// Why.
        #[source]
        source: intoto::crypto::KeyError,
    },
    /// A signing key file cannot be used for TUF metadata.
    #[error("{}: {reason}", path.display())]
    SigningKey {
        /// The key file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("{}: {reason}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// The repository's own metadata is not as the publisher lays it out.
    #[error("repository {}: {reason}", repo.display())]
    Repository {
        /// The repository folder.
        repo: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Signing or laying out metadata failed.
    #[error("cannot sign the {role} metadata: {reason}")]
    Sign {
        /// The role.
        role: String,
        /// tough's finding.
        reason: String,
    },
}

impl TufError {
    pub(crate) fn io(path: impl Into<PathBuf>, error: impl std::fmt::Display) -> Self {
        Self::Io {
            path: path.into(),
            reason: error.to_string(),
        }
    }
}

/// Whether a tough error is the transport failing (a connection, a
/// missing file) rather than a check failing (signatures, versions,
/// expiry, hashes, sizes): a transport error in its chain that does not
/// carry a hash or size mismatch.
pub(crate) fn is_transport_failure(error: &tough::error::Error) -> bool {
    let mut transport = false;
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(c) = cause {
        if c.downcast_ref::<tough::TransportError>().is_some() {
            transport = true;
        }
        if let Some(
            tough::error::Error::HashMismatch { .. } | tough::error::Error::MaxSizeExceeded { .. },
        ) = c.downcast_ref::<tough::error::Error>()
        {
            return false;
        }
        cause = c.source();
    }
    transport
}

/// The error for tough's `error` while loading `url`'s metadata.
pub(crate) fn untrusted(url: &str, error: &tough::error::Error) -> TufError {
    if is_transport_failure(error) {
        TufError::Unreachable {
            url: url.to_owned(),
            reason: finding(error),
        }
    } else {
        TufError::Untrusted {
            url: url.to_owned(),
            reason: finding(error),
        }
    }
}

/// What a tough error found, once: its innermost cause (each of tough's
/// errors repeats its causes in its own text), with the URL or file it
/// concerns when the innermost cause does not name it.
pub(crate) fn finding(error: &(dyn std::error::Error + 'static)) -> String {
    let mut texts = vec![error.to_string()];
    let mut cause = error.source();
    while let Some(c) = cause {
        texts.push(c.to_string());
        cause = c.source();
    }
    let innermost = texts.last().cloned().unwrap_or_default();
    if innermost.contains("://") {
        return innermost;
    }
    let url = texts.iter().find_map(|t| {
        t.split_whitespace().find(|w| w.contains("://")).map(|w| {
            w.trim_matches(|c: char| c == '\'' || c == ':' || c == ',')
                .to_owned()
        })
    });
    match url {
        Some(url) => format!("{url}: {innermost}"),
        None => innermost,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("Failed to fetch file:///r/metadata/2.snapshot.json: {0}")]
    struct Outer(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("Hash mismatch: calculated 9c, expected 44")]
    struct Inner;

    #[derive(Debug, thiserror::Error)]
    #[error("Metadata for timestamp role has expired")]
    struct Alone;

    #[test]
    fn a_tough_finding_is_said_once_with_its_url() {
        assert_eq!(
            finding(&Outer(Inner)),
            "file:///r/metadata/2.snapshot.json: Hash mismatch: calculated 9c, expected 44"
        );
        assert_eq!(finding(&Alone), "Metadata for timestamp role has expired");
    }
}
