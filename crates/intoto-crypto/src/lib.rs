//! Keys, keyids and signatures for in-toto metadata.
//!
//! - [`PublicKey`] checks signatures; it is read from a layout's key dict
//!   ([`PublicKey::from_key_dict`]), a PEM file or a securesystemslib JSON key.
//! - [`PrivateKey`] signs; it is read from PEM (PKCS#8, encrypted PKCS#8,
//!   PKCS#1, SEC1) or generated. Anything else that signs implements
//!   [`Signer`].
//! - [`verify_by`] and [`verify_by_all`] check signatures over the exact bytes
//!   received and return [`Verified`] metadata, which nothing else can make.
//!
//! Schemes: `ed25519`; `rsassa-pss-sha224/256/384/512` (signed with salt =
//! digest length, verified with any salt); `rsa-pkcs1v15-sha224/256/384/512`;
//! `ecdsa-sha2-nistp256/384/521` (DER signatures). OpenPGP (GPG) keys and
//! signatures as the reference writes them (`pgp+rsa-pkcsv1.5`,
//! `pgp+dsa-fips-180-2`, `pgp+eddsa-ed25519`) verify from key dicts alone;
//! signing and keyring export run the `gpg` binary (see [`gpg`]). OpenPGP
//! keys may expire: check with [`check_signature_at`].
//!
//! Keyids: a key from metadata is known by the keyid the metadata lists it
//! under; computed keyids ([`KeyIdForm::Modern`] as in-toto 3.x,
//! [`KeyIdForm::Legacy`] as in-toto-golang) are only used for keys given
//! outside metadata, and a key matches signatures under any of its forms.
//!
//! ```
//! use intoto_crypto::{KeyType, PrivateKey, sign_metadata, verify_by};
//! use intoto_model::{EnvelopeKind, Link, Metadata};
//!
//! let key = PrivateKey::generate(KeyType::Ed25519, None).unwrap();
//! let mut md = Metadata::wrap(&Link::new("build").to_value(), EnvelopeKind::Dsse);
//! sign_metadata(&mut md, &key).unwrap();
//! let verified = verify_by(md, key.public_key()).unwrap();
//! assert_eq!(verified.signers(), [key.keyid().clone()]);
//! ```

mod error;
pub mod gpg;
pub mod keyid;
mod material;
mod pem;
mod private;
mod public;
mod scheme;
mod signer;
mod verify;
pub mod x509;

pub use error::{KeyError, SignError, SignatureError};
pub use keyid::KeyIdForm;
pub use private::PrivateKey;
pub use public::{PublicKey, SignatureBytes, VerifyKey};
pub use scheme::{KeyType, Scheme, UnknownScheme};
pub use signer::{CertifiedSigner, RawSignature, Signer, sign_metadata};
pub use verify::{
    Verified, check_signature, check_signature_at, check_signature_over, check_signature_over_at,
    verify_by, verify_by_all, verify_by_all_at, verify_by_at, verify_over_at,
};
