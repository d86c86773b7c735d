//! Errors of key handling, signing and signature checks.

use intoto_model::KeyId;

/// A key that cannot be read or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not PEM, or has no key in it.
    #[error("not a PEM key (expected a `-----BEGIN ... KEY-----` block)")]
    NotPem,
    /// A PEM block of a kind this crate does not read.
    #[error(
        "unsupported PEM block `{label}`; expected PRIVATE KEY, ENCRYPTED PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY, PUBLIC KEY or RSA PUBLIC KEY"
    )]
    UnsupportedPem {
        /// The PEM label found.
        label: String,
    },
    /// The DER inside the PEM block does not parse.
    #[error("malformed {what}")]
    Malformed {
        /// What was being read (`PKCS#8 private key`, `SubjectPublicKeyInfo`, ...).
        what: &'static str,
    },
    /// An algorithm or curve this crate does not support.
    #[error(
        "unsupported key algorithm {algorithm}; supported: ed25519, RSA, ECDSA P-256/P-384/P-521"
    )]
    UnsupportedAlgorithm {
        /// The algorithm, as an OID or a name.
        algorithm: String,
    },
    /// The key is encrypted and no password was given.
    #[error("the private key is encrypted, and no password was given")]
    PasswordRequired,
    /// The password does not decrypt the key.
    #[error("wrong password, or the encrypted key is damaged")]
    WrongPassword,
    /// The key file asks its password to be stretched more than any honest
    /// key file does (a hostile file that would take hours or all memory).
    #[error(
        "the key file's password derivation asks for {what}, over the limit (10,000,000 iterations, 1 GiB of scrypt memory); re-encrypt the key with usual settings"
    )]
    KdfTooCostly {
        /// The parameters asked for.
        what: String,
    },
    /// A public key was given where a private key is needed (to sign).
    #[error("this is a public key; signing needs the private key (the file without .pub)")]
    PublicNotPrivate,
    /// A private key was given where a public key is needed (to verify).
    #[error("this is a private key; checking signatures needs the public key (such as KEY.pub)")]
    PrivateNotPublic,
    /// An RSA key whose modulus is not of a supported size.
    #[error("RSA keys of {bits} bits are not supported; use 1024 to 16384 bits")]
    RsaSize {
        /// The modulus size.
        bits: usize,
    },
    /// An encryption scheme this crate does not support.
    #[error("unsupported key encryption {scheme}")]
    UnsupportedEncryption {
        /// The scheme, as an OID or a name.
        scheme: String,
    },
    /// A key dict with a field missing or of the wrong type.
    #[error("key field `{field}` is missing or not a string")]
    KeyDictField {
        /// The field.
        field: &'static str,
    },
    /// A key dict whose key type and scheme do not go together or are unknown.
    #[error("unsupported key type {keytype:?} with scheme {scheme:?}")]
    UnsupportedScheme {
        /// The `keytype`.
        keytype: String,
        /// The `scheme`.
        scheme: String,
    },
    /// A public key value that does not decode.
    #[error("malformed {keytype} public key value")]
    PublicValue {
        /// The key type.
        keytype: &'static str,
    },
    /// A key whose type cannot do what was asked (an RSA key with an ECDSA scheme).
    #[error("the key does not match scheme {scheme}")]
    SchemeMismatch {
        /// The scheme.
        scheme: String,
    },
    /// An OpenPGP key dict (`{"type", "method", "keyval": {"public": {..}}, ...}`)
    /// with a field missing or malformed.
    #[error("OpenPGP key field `{field}` {problem}")]
    GpgKeyField {
        /// The field, as a path (`keyval.public.n`, `subkeys.<keyid>.type`).
        field: String,
        /// What is wrong with it (`is missing`, `is not a hex string`, ...).
        problem: &'static str,
    },
    /// Writing a key failed.
    #[error("could not encode the key")]
    Encode,
    /// The operating system's random number generator failed.
    #[error("no randomness available from the operating system")]
    Randomness,
}

/// A signature that does not verify, or cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// No signature carries one of the key's keyids.
    #[error("no signature by key {keyid}")]
    NoSignature {
        /// The key looked for.
        keyid: KeyId,
    },
    /// No key was given to check signatures with.
    #[error("no verification key given")]
    NoKeys,
    /// The metadata's wrapper is one this version cannot check signatures in.
    #[error("signatures in this kind of metadata cannot be checked")]
    UnsupportedWrapper,
    /// The signature value is not valid hex or base64.
    #[error("signature by key {keyid} is not valid {encoding}")]
    Encoding {
        /// The signer.
        keyid: KeyId,
        /// `hex` or `base64`.
        encoding: &'static str,
    },
    /// The signature does not verify.
    #[error("signature by key {keyid} is invalid")]
    Invalid {
        /// The signer.
        keyid: KeyId,
    },
    /// The signed part of legacy metadata has no canonical form.
    #[error("the signed data has no canonical JSON form: {reason}")]
    NotCanonical {
        /// Why, naming the value and where it is.
        reason: String,
    },
    /// The signing key has expired (OpenPGP keys).
    #[error("key {keyid} expired at unix time {expired_at}")]
    KeyExpired {
        /// The (sub)key.
        keyid: KeyId,
        /// When it expired, in seconds since the epoch.
        expired_at: i64,
    },
    /// A signature kind the key cannot check (an OpenPGP signature for a plain key).
    #[error("signature by key {keyid} is of a kind this key cannot check")]
    WrongKind {
        /// The signer.
        keyid: KeyId,
    },
    /// The certificate a signature carries does not make its signer a
    /// functionary (ITE-7): no trusted path, or no constraint satisfied.
    #[error("the certificate of the signature by key {keyid} is not accepted: {reason}")]
    Certificate {
        /// The signer.
        keyid: KeyId,
        /// Why, naming the constraint field or the path problem.
        reason: String,
    },
}

/// Signing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The metadata's wrapper is one this version cannot sign.
    #[error("this kind of metadata cannot be signed")]
    UnsupportedWrapper,
    /// The cryptographic operation failed.
    #[error("signing with key {keyid} failed")]
    Failed {
        /// The key.
        keyid: KeyId,
    },
    /// The data to sign has no canonical form.
    #[error("the metadata has no canonical JSON form: {reason}")]
    NotCanonical {
        /// Why, naming the value and where it is.
        reason: String,
    },
    /// The signing certificate cannot be used with the signing key.
    #[error("signing certificate: {0}")]
    Certificate(String),
    /// The signer produces OpenPGP signatures, which DSSE cannot carry.
    #[error("OpenPGP signatures cannot be put in a DSSE envelope; use legacy metadata")]
    GpgInDsse,
    /// An external signer (such as the gpg binary) failed.
    #[error("the external signer failed: {message}")]
    External {
        /// What it said.
        message: String,
    },
}

/// Why metadata has no canonical form, for [`SignatureError::NotCanonical`]
/// and [`SignError::NotCanonical`]: the innermost reason.
pub(crate) fn not_canonical_reason(e: &intoto_model::ModelError) -> String {
    match e {
        intoto_model::ModelError::Canonical(c) => c.to_string(),
        other => other.to_string(),
    }
}
