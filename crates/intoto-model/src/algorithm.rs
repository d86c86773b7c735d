//! Digest algorithms, named as in-toto writes them in digest sets
//! (`{"sha256": "<hex>"}`) and signature schemes (`rsassa-pss-sha256`).
//!
//! One enum for the workspace: the recorder hashes artifacts with these
//! (`intoto-record`), the signature schemes hash with them
//! (`intoto-crypto`); the hashing itself stays with each.

use std::fmt;
use std::str::FromStr;

/// A digest algorithm, by its name in digest sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// SHA-224 (`sha224`).
    Sha224,
    /// SHA-256 (`sha256`), the reference's only artifact digest and the
    /// default.
    Sha256,
    /// SHA-384 (`sha384`).
    Sha384,
    /// SHA-512 (`sha512`).
    Sha512,
    /// BLAKE3 with 256-bit output (`blake3`).
    Blake3,
}

impl DigestAlgorithm {
    /// Every algorithm, in order.
    pub const ALL: [DigestAlgorithm; 5] = [
        Self::Sha224,
        Self::Sha256,
        Self::Sha384,
        Self::Sha512,
        Self::Blake3,
    ];

    /// The name in a digest set: `sha224`, `sha256`, `sha384`, `sha512`,
    /// `blake3`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha224 => "sha224",
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
            Self::Blake3 => "blake3",
        }
    }

    /// The algorithm a digest-set name stands for; `None` for a name this
    /// enum does not know.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

impl fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A digest-algorithm name that is not known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown digest algorithm {0:?}")]
pub struct UnknownDigestAlgorithm(pub String);

impl FromStr for DigestAlgorithm {
    type Err = UnknownDigestAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s).ok_or_else(|| UnknownDigestAlgorithm(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for algorithm in DigestAlgorithm::ALL {
            assert_eq!(algorithm.name().parse(), Ok(algorithm));
            assert_eq!(algorithm.to_string(), algorithm.name());
        }
        assert_eq!(
            "md5".parse::<DigestAlgorithm>(),
            Err(UnknownDigestAlgorithm("md5".into()))
        );
        assert_eq!(DigestAlgorithm::from_name("SHA256"), None);
    }
}
