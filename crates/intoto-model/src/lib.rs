//! The in-toto metadata model: layouts, links, artifact rules, the legacy
//! signature wrapper, DSSE envelopes and ITE-6 statements, with canonical JSON
//! exactly as securesystemslib writes it.
//!
//! This crate does no I/O, no cryptography and never reads the clock; it
//! turns bytes into typed documents and back, and says which bytes a
//! signature is over ([`Metadata::signed_bytes`]).
//!
//! Implemented: in-toto specification v1.0 (layouts, links, rules), ITE-5
//! (DSSE, legacy wrapper), ITE-6 (Statement v1 and v0.1, link predicate v0.3),
//! ITE-7 fields as in-toto-golang writes them (`rootcas`, `intermediatecas`,
//! `cert_constraints`, signature `cert`), and in-toto bundles (JSON Lines of
//! DSSE envelopes, attestation framework v1).
//!
//! Deviations from the reference implementation:
//! - Unknown fields are kept everywhere, so re-signing or re-writing metadata
//!   never drops data, and signatures are checked over what was received.
//! - Integers beyond 64 bits are read as floats and so have no canonical
//!   form; the reference accepts arbitrarily large integers.
//!
//! ```
//! use intoto_model::{Metadata, Payload};
//!
//! let text = br#"{"signed": {"_type": "link", "name": "build", "command": [],
//!   "materials": {}, "products": {"app": {"sha256": "ab"}},
//!   "byproducts": {}, "environment": {}}, "signatures": []}"#;
//! let md = Metadata::from_slice(text).unwrap();
//! let Payload::Link(link) = md.payload().unwrap() else { unreachable!() };
//! assert_eq!(link.name, "build");
//! assert_eq!(md.signed_bytes().unwrap()[..20], br#"{"_type":"link","byp"#[..]);
//! ```

pub mod algorithm;
pub mod bundle;
pub mod digest;
pub mod encoding;
pub mod envelope;
pub mod error;
pub mod expires;
mod fields;
pub mod key;
pub mod keyid;
pub mod layout;
pub mod link;
pub mod metablock;
pub mod metadata;
pub mod name;
pub mod pattern;
pub mod predicate;
pub mod rule;
pub mod signature;
pub mod statement;

pub use algorithm::{DigestAlgorithm, UnknownDigestAlgorithm};
pub use bundle::{BundleItem, BundleLine, LineNote, read_bundle};
pub use digest::{Artifacts, DigestSet};
/// The encoders by their former paths (`intoto_model::cjson`, `intoto_model::pyjson`).
pub use encoding::{cjson, pyjson};
pub use envelope::{Envelope, PAYLOAD_TYPE_INTOTO};
pub use error::ModelError;
pub use expires::Expires;
pub use key::KeyDict;
pub use keyid::KeyId;
pub use layout::{
    CertConstraint, Inspection, Layout, Step, SupplyChainItem, Threshold, TrustBundle,
};
pub use link::{
    Link, link_file_name, sublayout_link_dir, unfinished_link_file_name, unsigned_link_file_name,
};
pub use metablock::Metablock;
pub use metadata::{EnvelopeKind, Metadata, Payload};
pub use name::StepName;
pub use pattern::ArtifactPattern;
pub use predicate::{Predicate, PredicateKind, StatementBuilder};
pub use rule::{ArtifactRule, ArtifactType, MatchRule, RuleError};
pub use signature::Signature;
pub use statement::{ResourceDescriptor, Statement, StatementVersion};
