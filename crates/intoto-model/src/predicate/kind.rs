//! The predicate types this model knows: their type URIs, the short aliases
//! `intoto attest --type` takes, and which URIs each one accepts.

use std::fmt;

/// The base of the type URIs this project defines (the code-review predicate
/// and the provenance build type of `intoto run`), documented in
/// `docs/attestations.md`.
pub const PROJECT_TYPE_BASE: &str = "https://example.invalid/intoto/attestation";

/// A known predicate type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PredicateKind {
    /// in-toto link v0.3.
    Link,
    /// SLSA Provenance v1.
    ProvenanceV1,
    /// SLSA Provenance v0.2.
    ProvenanceV02,
    /// SPDX document (v2.x as JSON).
    Spdx,
    /// CycloneDX BOM (JSON).
    CycloneDx,
    /// in-toto vulns v0.2.
    Vulns,
    /// in-toto test-result v0.1.
    TestResult,
    /// SLSA Verification Summary v1.
    Vsa,
    /// OpenVEX.
    OpenVex,
    /// in-toto release v0.1.
    Release,
    /// in-toto SCAI v0.3.
    Scai,
    /// in-toto runtime-trace v0.1.
    RuntimeTrace,
    /// This project's code-review predicate v0.1.
    Review,
}

/// Every known kind, in the order `--type` lists them.
pub const ALL_KINDS: [PredicateKind; 13] = [
    PredicateKind::Link,
    PredicateKind::ProvenanceV1,
    PredicateKind::ProvenanceV02,
    PredicateKind::Spdx,
    PredicateKind::CycloneDx,
    PredicateKind::Vulns,
    PredicateKind::TestResult,
    PredicateKind::Vsa,
    PredicateKind::OpenVex,
    PredicateKind::Release,
    PredicateKind::Scai,
    PredicateKind::RuntimeTrace,
    PredicateKind::Review,
];

/// `predicateType` of SLSA Provenance v1.
pub const PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// `predicateType` of SLSA Provenance v0.2.
pub const PROVENANCE_V0_2: &str = "https://slsa.dev/provenance/v0.2";
/// `predicateType` of test-result v0.1.
pub const TEST_RESULT_V0_1: &str = "https://in-toto.io/attestation/test-result/v0.1";
/// `predicateType` of vulns v0.2.
pub const VULNS_V0_2: &str = "https://in-toto.io/attestation/vulns/v0.2";
/// `predicateType` of the SLSA Verification Summary v1.
pub const VSA_V1: &str = "https://slsa.dev/verification_summary/v1";
/// `predicateType` of SPDX 2.3 documents.
pub const SPDX_V2_3: &str = "https://spdx.dev/Document/v2.3";
/// `predicateType` of SPDX 2.0 to 2.2 documents (unversioned).
pub const SPDX: &str = "https://spdx.dev/Document";
/// `predicateType` of CycloneDX BOMs (unversioned form).
pub const CYCLONEDX: &str = "https://cyclonedx.org/bom";
/// `predicateType` of OpenVEX documents (v0.2.0).
pub const OPENVEX_V0_2: &str = "https://openvex.dev/ns/v0.2.0";
/// `predicateType` of release v0.1.
pub const RELEASE_V0_1: &str = "https://in-toto.io/attestation/release/v0.1";
/// `predicateType` of SCAI v0.3.
pub const SCAI_V0_3: &str = "https://in-toto.io/attestation/scai/v0.3";
/// `predicateType` of runtime-trace v0.1.
pub const RUNTIME_TRACE_V0_1: &str = "https://in-toto.io/attestation/runtime-trace/v0.1";
/// `predicateType` of this project's code-review predicate v0.1.
pub const REVIEW_V0_1: &str = "https://example.invalid/intoto/attestation/review/v0.1";

/// The `predicateType` a policy step expects when its functionaries
/// delegate it to a sublayout: a policy of their own, signed by them in a
/// DSSE envelope, verified recursively over its own attestations.
pub const SUBLAYOUT_V0_1: &str = "https://example.invalid/intoto/attestation/sublayout/v0.1";

impl PredicateKind {
    /// The alias `--type` takes.
    pub fn alias(self) -> &'static str {
        match self {
            Self::Link => "link",
            Self::ProvenanceV1 => "provenance",
            Self::ProvenanceV02 => "provenance02",
            Self::Spdx => "spdx",
            Self::CycloneDx => "cyclonedx",
            Self::Vulns => "vulns",
            Self::TestResult => "test-result",
            Self::Vsa => "vsa",
            Self::OpenVex => "openvex",
            Self::Release => "release",
            Self::Scai => "scai",
            Self::RuntimeTrace => "runtime-trace",
            Self::Review => "review",
        }
    }

    /// The type URI written for this kind.
    pub fn uri(self) -> &'static str {
        match self {
            Self::Link => crate::statement::PREDICATE_LINK_V0_3,
            Self::ProvenanceV1 => PROVENANCE_V1,
            Self::ProvenanceV02 => PROVENANCE_V0_2,
            Self::Spdx => SPDX_V2_3,
            Self::CycloneDx => CYCLONEDX,
            Self::Vulns => VULNS_V0_2,
            Self::TestResult => TEST_RESULT_V0_1,
            Self::Vsa => VSA_V1,
            Self::OpenVex => OPENVEX_V0_2,
            Self::Release => RELEASE_V0_1,
            Self::Scai => SCAI_V0_3,
            Self::RuntimeTrace => RUNTIME_TRACE_V0_1,
            Self::Review => REVIEW_V0_1,
        }
    }

    /// The kind an alias names.
    pub fn from_alias(alias: &str) -> Option<Self> {
        ALL_KINDS.into_iter().find(|k| k.alias() == alias)
    }

    /// The kind of a `predicateType` URI. Versioned forms are accepted where
    /// the predicate's specification versions its URI by the document's own
    /// version (SPDX 2.x, CycloneDX 1.x, OpenVEX), and the older link type.
    pub fn of_uri(uri: &str) -> Option<Self> {
        if let Some(kind) = ALL_KINDS.into_iter().find(|k| k.uri() == uri) {
            return Some(kind);
        }
        let versioned = |base: &str| {
            uri.strip_prefix(base)
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|v| !v.is_empty() && !v.contains('/'))
        };
        if uri.starts_with("https://in-toto.io/Link/") {
            Some(Self::Link)
        } else if uri == SPDX || (versioned(SPDX) && uri.contains("/v2")) {
            Some(Self::Spdx)
        } else if versioned(CYCLONEDX) {
            Some(Self::CycloneDx)
        } else if versioned("https://openvex.dev/ns") || uri == "https://openvex.dev/ns" {
            Some(Self::OpenVex)
        } else {
            None
        }
    }
}

impl fmt::Display for PredicateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.alias())
    }
}

/// What `--type` names: a known kind by alias or URI, or any other type URI
/// (`custom`), whose predicate is signed as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PredicateTypeArg {
    /// A known kind, written under its URI (or the URI given, when a
    /// versioned form of a known kind was named).
    Known(PredicateKind, String),
    /// Any other type URI; `None` for the bare alias `custom`, whose URI
    /// must be given separately.
    Custom(Option<String>),
}

/// Why a `--type` value is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown predicate type {0:?}: give a type URI (such as https://example.com/my-predicate/v1) \
     or one of link, provenance, provenance02, spdx, cyclonedx, vulns, test-result, vsa, openvex, \
     release, scai, runtime-trace, review, custom"
)]
pub struct UnknownPredicateType(pub String);

impl PredicateTypeArg {
    /// Reads an alias or a URI.
    ///
    /// # Errors
    ///
    /// [`UnknownPredicateType`] for a word that is neither an alias nor a URI.
    pub fn parse(text: &str) -> Result<Self, UnknownPredicateType> {
        if text == "custom" {
            return Ok(Self::Custom(None));
        }
        if let Some(kind) = PredicateKind::from_alias(text) {
            return Ok(Self::Known(kind, kind.uri().to_owned()));
        }
        if let Some(kind) = PredicateKind::of_uri(text) {
            return Ok(Self::Known(kind, text.to_owned()));
        }
        let is_uri = text.split_once(':').is_some_and(|(scheme, rest)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                && !rest.is_empty()
        }) && !text.chars().any(char::is_whitespace);
        if is_uri {
            Ok(Self::Custom(Some(text.to_owned())))
        } else {
            Err(UnknownPredicateType(text.to_owned()))
        }
    }

    /// The `predicateType` to write; `None` for a bare `custom`.
    pub fn uri(&self) -> Option<&str> {
        match self {
            Self::Known(_, uri) | Self::Custom(Some(uri)) => Some(uri),
            Self::Custom(None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_uris_name_the_same_kinds() {
        for kind in ALL_KINDS {
            assert_eq!(PredicateKind::from_alias(kind.alias()), Some(kind));
            assert_eq!(PredicateKind::of_uri(kind.uri()), Some(kind));
        }
        assert_eq!(
            PredicateKind::of_uri("https://cyclonedx.org/bom/v1.5"),
            Some(PredicateKind::CycloneDx)
        );
        assert_eq!(
            PredicateKind::of_uri("https://spdx.dev/Document/v2.2"),
            Some(PredicateKind::Spdx)
        );
        assert_eq!(PredicateKind::of_uri("https://spdx.dev/Document/v3"), None);
        assert_eq!(PredicateKind::of_uri(SPDX), Some(PredicateKind::Spdx));
        assert_eq!(PredicateKind::of_uri("https://cyclonedx.org/bom/a/b"), None);
    }

    #[test]
    fn type_arguments() {
        assert_eq!(
            PredicateTypeArg::parse("vulns").unwrap().uri(),
            Some(VULNS_V0_2)
        );
        assert!(matches!(
            PredicateTypeArg::parse("https://example.com/p/v1").unwrap(),
            PredicateTypeArg::Custom(_)
        ));
        assert_eq!(
            PredicateTypeArg::parse("custom").unwrap(),
            PredicateTypeArg::Custom(None)
        );
        for bad in ["vuln", "", "a b:c", ":x"] {
            assert!(PredicateTypeArg::parse(bad).is_err(), "{bad}");
        }
    }
}
