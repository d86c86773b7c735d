//! Attestation policies (ITE-10/ITE-11): the checks a policy makes of
//! attestations beyond their artifacts.
//!
//! - [`attribute`]: `expectedAttributes` rules, CEL expressions over an
//!   attestation's `predicate`, `predicateType` and `subject`, compiled once
//!   and evaluated at a bounded cost.

pub mod attribute;
