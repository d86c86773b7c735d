//! Signature schemes, named as securesystemslib names them.

use std::fmt;
use std::str::FromStr;

use intoto_model::DigestAlgorithm;

/// The digest algorithms signature schemes hash with (`rsassa-pss-<hash>`,
/// `rsa-pkcs1v15-<hash>`): SHA-224, SHA-256, SHA-384 and SHA-512.
fn scheme_hash(suffix: &str) -> Option<DigestAlgorithm> {
    match DigestAlgorithm::from_name(suffix)? {
        h @ (DigestAlgorithm::Sha224
        | DigestAlgorithm::Sha256
        | DigestAlgorithm::Sha384
        | DigestAlgorithm::Sha512) => Some(h),
        _ => None,
    }
}

/// The key families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyType {
    /// Ed25519.
    Ed25519,
    /// RSA.
    Rsa,
    /// ECDSA on NIST P-256.
    EcdsaP256,
    /// ECDSA on NIST P-384.
    EcdsaP384,
    /// ECDSA on NIST P-521.
    EcdsaP521,
}

impl KeyType {
    /// The `keytype` value in key dicts.
    pub fn keytype(self) -> &'static str {
        match self {
            KeyType::Ed25519 => "ed25519",
            KeyType::Rsa => "rsa",
            KeyType::EcdsaP256 | KeyType::EcdsaP384 | KeyType::EcdsaP521 => "ecdsa",
        }
    }

    /// The scheme keys of this type sign with by default, as the reference does.
    pub fn default_scheme(self) -> Scheme {
        match self {
            KeyType::Ed25519 => Scheme::Ed25519,
            KeyType::Rsa => Scheme::RsassaPss(DigestAlgorithm::Sha256),
            KeyType::EcdsaP256 => Scheme::EcdsaP256,
            KeyType::EcdsaP384 => Scheme::EcdsaP384,
            KeyType::EcdsaP521 => Scheme::EcdsaP521,
        }
    }
}

/// A signature scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// `ed25519`.
    Ed25519,
    /// `rsassa-pss-<hash>`: signed with salt length = digest length,
    /// verified with any salt length, as securesystemslib does.
    RsassaPss(DigestAlgorithm),
    /// `rsa-pkcs1v15-<hash>`.
    RsaPkcs1v15(DigestAlgorithm),
    /// `ecdsa-sha2-nistp256` (SHA-256, DER signatures).
    EcdsaP256,
    /// `ecdsa-sha2-nistp384` (SHA-384, DER signatures).
    EcdsaP384,
    /// `ecdsa-sha2-nistp521` (SHA-512, DER signatures).
    EcdsaP521,
}

impl Scheme {
    /// The scheme name as written in key dicts.
    pub fn name(self) -> String {
        match self {
            Scheme::Ed25519 => "ed25519".to_owned(),
            Scheme::RsassaPss(h) => format!("rsassa-pss-{}", h.name()),
            Scheme::RsaPkcs1v15(h) => format!("rsa-pkcs1v15-{}", h.name()),
            Scheme::EcdsaP256 => "ecdsa-sha2-nistp256".to_owned(),
            Scheme::EcdsaP384 => "ecdsa-sha2-nistp384".to_owned(),
            Scheme::EcdsaP521 => "ecdsa-sha2-nistp521".to_owned(),
        }
    }

    /// The key type the scheme needs.
    pub fn key_type(self) -> KeyType {
        match self {
            Scheme::Ed25519 => KeyType::Ed25519,
            Scheme::RsassaPss(_) | Scheme::RsaPkcs1v15(_) => KeyType::Rsa,
            Scheme::EcdsaP256 => KeyType::EcdsaP256,
            Scheme::EcdsaP384 => KeyType::EcdsaP384,
            Scheme::EcdsaP521 => KeyType::EcdsaP521,
        }
    }

    /// The scheme for a `keytype` and `scheme` pair from a key dict,
    /// accepting the legacy keytypes `ecdsa-sha2-nistp256/384` that older
    /// securesystemslib versions wrote.
    pub fn from_key_dict(keytype: &str, scheme: &str) -> Option<Self> {
        let parsed: Scheme = scheme.parse().ok()?;
        let ok = match parsed.key_type() {
            KeyType::Ed25519 => keytype == "ed25519",
            KeyType::Rsa => keytype == "rsa",
            KeyType::EcdsaP256 | KeyType::EcdsaP384 | KeyType::EcdsaP521 => {
                keytype == "ecdsa" || keytype == scheme
            }
        };
        ok.then_some(parsed)
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// An unknown scheme name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown signature scheme {0:?}")]
pub struct UnknownScheme(pub String);

impl FromStr for Scheme {
    type Err = UnknownScheme;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownScheme(s.to_owned());
        match s {
            "ed25519" => Ok(Scheme::Ed25519),
            "ecdsa-sha2-nistp256" => Ok(Scheme::EcdsaP256),
            "ecdsa-sha2-nistp384" => Ok(Scheme::EcdsaP384),
            "ecdsa-sha2-nistp521" => Ok(Scheme::EcdsaP521),
            _ => {
                if let Some(h) = s.strip_prefix("rsassa-pss-") {
                    scheme_hash(h).map(Scheme::RsassaPss).ok_or_else(unknown)
                } else if let Some(h) = s.strip_prefix("rsa-pkcs1v15-") {
                    scheme_hash(h).map(Scheme::RsaPkcs1v15).ok_or_else(unknown)
                } else {
                    Err(unknown())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_securesystemslib_scheme_round_trips() {
        for name in [
            "ed25519",
            "rsassa-pss-sha224",
            "rsassa-pss-sha256",
            "rsassa-pss-sha384",
            "rsassa-pss-sha512",
            "rsa-pkcs1v15-sha224",
            "rsa-pkcs1v15-sha256",
            "rsa-pkcs1v15-sha384",
            "rsa-pkcs1v15-sha512",
            "ecdsa-sha2-nistp256",
            "ecdsa-sha2-nistp384",
            "ecdsa-sha2-nistp521",
        ] {
            assert_eq!(name.parse::<Scheme>().unwrap().name(), name);
        }
        assert!("rsassa-pss-md5".parse::<Scheme>().is_err());
    }

    #[test]
    fn legacy_ecdsa_keytype_is_accepted() {
        assert_eq!(
            Scheme::from_key_dict("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256"),
            Some(Scheme::EcdsaP256)
        );
        assert_eq!(Scheme::from_key_dict("rsa", "ed25519"), None);
    }
}
