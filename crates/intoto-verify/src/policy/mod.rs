//! Policy verification (ITE-10/ITE-11): layouts over attestations in the
//! attestation verifier's format.
//!
//! - [`layout`]: reading a policy (YAML or JSON, bounded) into typed steps,
//!   expected predicates, functionaries and artifact rules;
//! - [`attribute`]: `expectedAttributes` rules, CEL expressions over an
//!   attestation's `predicate`, `predicateType` and `subject`, compiled once
//!   and evaluated at a bounded cost;
//! - [`binding`]: which step each attestation speaks for, and the distinct
//!   functionaries that count towards each expected predicate;
//! - [`identity`]: functionaries known by X.509 certificate (SPIFFE IDs)
//!   or Sigstore keyless identity instead of a key;
//! - [`artifacts`]: an attestation's materials and products, by predicate type;
//! - [`verify`]: the policy verifier, stage by stage, into one verdict;
//! - [`signed`]: a policy in a DSSE envelope, signed by every key given;
//! - [`vsa`]: checking a signed verification summary about an artifact.

pub mod artifacts;
pub mod attribute;
pub mod binding;
pub mod identity;
pub mod layout;
pub mod signed;
pub mod verify;
pub mod vsa;

pub use verify::{Counted, FinalArtifact, PolicyVerdict, PolicyVerifier};
