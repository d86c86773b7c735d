//! Attestation ids: the sha256 of the bytes as received, in lowercase hex.
//! The same bytes always have the same id, so an upload is idempotent, and
//! an id read from a request is checked to be 64 hex digits before it is
//! used (never a path, never SQL text).

use std::fmt;

use sha2::{Digest, Sha256};

/// The id of stored bytes: their sha256, 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttestationId(String);

impl AttestationId {
    /// The id of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(hex(&Sha256::digest(bytes)))
    }

    /// Reads an id given in a request: 64 hex digits (either case), with
    /// an optional `sha256:` prefix.
    ///
    /// # Errors
    ///
    /// A message saying what an id looks like.
    pub fn parse(text: &str) -> Result<Self, String> {
        let hex = text.strip_prefix("sha256:").unwrap_or(text);
        if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(hex.to_ascii_lowercase()))
        } else {
            Err("an attestation id is the sha256 of its bytes: 64 hex digits".into())
        }
    }

    /// The hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AttestationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The git object id of `bytes` as a blob, with sha256
/// (`sha256("blob <len>\0" + bytes)`): the id Archivista gives what it
/// stores, in hex.
pub fn gitoid(bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(format!("blob {}\0", bytes.len()).as_bytes());
    h.update(bytes);
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    intoto::model::encoding::hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_hex() {
        let id = AttestationId::of(b"x");
        assert_eq!(AttestationId::parse(id.as_str()), Ok(id.clone()));
        let upper = format!("sha256:{}", id.as_str().to_ascii_uppercase());
        assert_eq!(AttestationId::parse(&upper), Ok(id));
        for bad in [
            "",
            "../../etc/passwd",
            &"g".repeat(64),
            &"a".repeat(63),
            "' OR 1=1 --",
        ] {
            assert!(AttestationId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn gitoid_is_the_git_blob_id() {
        // `printf hello | git hash-object --stdin` in a sha256 repository
        assert_eq!(
            gitoid(b"hello"),
            "8aec4e4876f854f688d0ebfc8f37598f38e5fd6903cccc850ca36591175aeb60"
        );
    }
}
