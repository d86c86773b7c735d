//! SBOM documents as predicates: an SPDX 2.x JSON document or a CycloneDX
//! JSON BOM is the predicate, whole and unchanged, and the artifacts the
//! document says it describes become the statement's subjects.
//!
//! # Predicate types
//!
//! - SPDX (`spdxVersion` `SPDX-2.x`): `https://spdx.dev/Document/v2.3` for
//!   `SPDX-2.3`, and the unversioned `https://spdx.dev/Document` for 2.0 to
//!   2.2 (the SPDX predicate added the version to its type with 2.3).
//!   SPDX 3 documents (JSON-LD) are not read.
//! - CycloneDX (`bomFormat` `CycloneDX`, `specVersion` `1.x`):
//!   `https://cyclonedx.org/bom`, the type URI the CycloneDX predicate
//!   declares (its example shows a versioned `.../bom/v1.4`, which the
//!   spec does not define as the type).
//!
//! # Subjects
//!
//! - SPDX: the elements named by `documentDescribes`, by `DESCRIBES`
//!   relationships from the document, and by `DESCRIBED_BY` relationships
//!   to it, each once, in that order; each is looked up in `packages` (by
//!   `SPDXID`, named by `name`) or `files` (named by `fileName`), with its
//!   `checksums`.
//! - CycloneDX: `metadata.component`, named by `name`, with its `hashes`.
//!
//! Algorithm names become in-toto digest names (`SHA256`/`SHA-256` →
//! `sha256`, `SHA1`/`SHA-1` → `sha1`, `SHA3-256` → `sha3_256`,
//! `BLAKE2b-512` → `blake2b`, `BLAKE3` → `blake3`, `MD5` → `md5`...), hex
//! digits lowercased; algorithms in-toto has no name for (`MD2`, `MD4`,
//! `MD6`, `ADLER32`, `BLAKE2b-256`...) are left out. A described artifact
//! with no usable digest (or one the document does not define) is not a
//! subject; [`Sbom::subjects_without_digest`] counts them, so a caller can
//! ask for subjects to be given some other way.
//!
//! # Checks
//!
//! Only what makes the document what it says it is: SPDX `spdxVersion`,
//! `SPDXID` (`SPDXRef-DOCUMENT`) and `name`; CycloneDX `bomFormat` and
//! `specVersion`; and, in both, the types of the fields read for subjects.
//! A digest that is not hex is an error, not a subject left out.
//!
//! The predicate is the document as `serde_json` parsed it: every member
//! and value is kept, though object members come out in sorted order, and
//! numbers are kept as 64-bit integers or doubles.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use intoto_model::{DigestSet, ResourceDescriptor};

use super::{GenerateError, InputFormat, Json, index, join, parse_json_object};

/// `predicateType` of SPDX 2.3 documents.
pub use intoto_model::predicate::kind::SPDX_V2_3 as SPDX_2_3_PREDICATE_TYPE;

/// `predicateType` of SPDX 2.0 to 2.2 documents.
pub use intoto_model::predicate::kind::SPDX as SPDX_PREDICATE_TYPE;

/// `predicateType` of CycloneDX BOMs.
pub use intoto_model::predicate::kind::CYCLONEDX as CYCLONEDX_PREDICATE_TYPE;

/// An SBOM's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SbomFormat {
    /// SPDX 2.x JSON.
    Spdx,
    /// CycloneDX JSON.
    CycloneDx,
}

impl SbomFormat {
    /// Tells the format from a parsed document: `spdxVersion` is SPDX,
    /// `bomFormat` is CycloneDX.
    pub fn detect(document: &Map<String, Value>) -> Option<Self> {
        if document.contains_key("spdxVersion") {
            Some(Self::Spdx)
        } else if document.contains_key("bomFormat") {
            Some(Self::CycloneDx)
        } else {
            None
        }
    }
}

/// An SBOM ready to be a statement's predicate.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Sbom {
    /// The document's format.
    pub format: SbomFormat,
    /// The predicate type for the document's format and version.
    pub predicate_type: String,
    /// The document, whole.
    pub predicate: Map<String, Value>,
    /// The artifacts the document describes that have a digest.
    pub subjects: Vec<ResourceDescriptor>,
    /// How many described artifacts were left out for want of a digest.
    pub subjects_without_digest: usize,
}

/// Reads an SPDX 2.x or CycloneDX JSON document, telling which from its
/// content.
///
/// # Errors
///
/// [`GenerateError`] when the input is too large, not a JSON object, neither
/// format, or fails the checks of its format.
pub fn from_sbom(document: &[u8]) -> Result<Sbom, GenerateError> {
    let map = parse_json_object(InputFormat::Sbom, document)?;
    match SbomFormat::detect(&map) {
        Some(SbomFormat::Spdx) => spdx(map),
        Some(SbomFormat::CycloneDx) => cyclonedx(map),
        None => Err(GenerateError::UnknownFormat {
            format: InputFormat::Sbom,
            expected: "an SPDX 2.x document or a CycloneDX BOM",
            hint: "no spdxVersion or bomFormat at the top level",
        }),
    }
}

/// Reads an SPDX 2.x JSON document.
///
/// # Errors
///
/// As [`from_sbom`].
pub fn from_spdx(document: &[u8]) -> Result<Sbom, GenerateError> {
    spdx(parse_json_object(InputFormat::Spdx, document)?)
}

/// Reads a CycloneDX JSON BOM.
///
/// # Errors
///
/// As [`from_sbom`].
pub fn from_cyclonedx(document: &[u8]) -> Result<Sbom, GenerateError> {
    cyclonedx(parse_json_object(InputFormat::CycloneDx, document)?)
}

const SPDX_DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";

fn spdx(doc: Map<String, Value>) -> Result<Sbom, GenerateError> {
    let json = Json {
        format: InputFormat::Spdx,
    };
    let version = json.req_str(&doc, "spdxVersion", "")?;
    let predicate_type = match version {
        "SPDX-2.3" => SPDX_2_3_PREDICATE_TYPE,
        "SPDX-2.0" | "SPDX-2.1" | "SPDX-2.2" => SPDX_PREDICATE_TYPE,
        other => {
            return Err(GenerateError::UnsupportedVersion {
                format: json.format,
                field: "spdxVersion".to_owned(),
                version: super::excerpt(other),
                supported: "SPDX-2.0 to SPDX-2.3",
            });
        }
    };
    let id = json.req_str(&doc, "SPDXID", "")?;
    if id != SPDX_DOCUMENT_ID {
        return Err(json.invalid("SPDXID".to_owned(), id, "expected SPDXRef-DOCUMENT"));
    }
    json.req_str(&doc, "name", "")?;

    let mut described: Vec<&str> = Vec::new();
    for (i, v) in json
        .opt_array(&doc, "documentDescribes", "")?
        .iter()
        .enumerate()
    {
        let id = v
            .as_str()
            .ok_or_else(|| json.wrong(index("documentDescribes", i), "a string"))?;
        described.push(id);
    }
    for (i, rel) in json
        .opt_array(&doc, "relationships", "")?
        .iter()
        .enumerate()
    {
        let path = index("relationships", i);
        let rel = json.object(rel, &path)?;
        let kind = json.opt_str(rel, "relationshipType", &path)?;
        let from = json.opt_str(rel, "spdxElementId", &path)?;
        let to = json.opt_str(rel, "relatedSpdxElement", &path)?;
        match (kind, from, to) {
            (Some("DESCRIBES"), Some(SPDX_DOCUMENT_ID), Some(element))
            | (Some("DESCRIBED_BY"), Some(element), Some(SPDX_DOCUMENT_ID)) => {
                described.push(element);
            }
            _ => {}
        }
    }
    let mut seen = HashSet::new();
    described.retain(|id| seen.insert(*id));

    // Each element by its SPDXID (the first of a repeated id), so a
    // document naming many elements costs one pass, not one per element.
    let mut elements: HashMap<&str, (&Map<String, Value>, String, &'static str)> = HashMap::new();
    for (list_name, name_key) in [("packages", "name"), ("files", "fileName")] {
        for (i, element) in json.opt_array(&doc, list_name, "")?.iter().enumerate() {
            let path = index(list_name, i);
            let element = json.object(element, &path)?;
            if let Some(id) = json.opt_str(element, "SPDXID", &path)? {
                elements.entry(id).or_insert((element, path, name_key));
            }
        }
    }
    let mut subjects = Vec::new();
    let mut without_digest = 0;
    for id in described {
        let subject = match elements.get(id) {
            Some((element, path, name_key)) => spdx_subject(json, element, path, name_key)?,
            None => None,
        };
        match subject {
            Some(subject) => subjects.push(subject),
            None => without_digest += 1,
        }
    }
    Ok(Sbom {
        format: SbomFormat::Spdx,
        predicate_type: predicate_type.to_owned(),
        predicate: doc,
        subjects,
        subjects_without_digest: without_digest,
    })
}

/// The subject for a described package or file, or `None` when it has no
/// usable digest.
fn spdx_subject(
    json: Json,
    element: &Map<String, Value>,
    path: &str,
    name_key: &str,
) -> Result<Option<ResourceDescriptor>, GenerateError> {
    let name = json.req_str(element, name_key, path)?;
    let mut digest = DigestSet::new();
    let checksums_path = join(path, "checksums");
    for (c, checksum) in json
        .opt_array(element, "checksums", path)?
        .iter()
        .enumerate()
    {
        let path = index(&checksums_path, c);
        let checksum = json.object(checksum, &path)?;
        let algorithm = json.req_str(checksum, "algorithm", &path)?;
        let value = json.req_str(checksum, "checksumValue", &path)?;
        if let Some(name) = spdx_algorithm(algorithm) {
            digest.insert(name, hex_digest(json, value, join(&path, "checksumValue"))?);
        }
    }
    Ok((!digest.is_empty()).then(|| ResourceDescriptor::named(name, digest)))
}

/// The in-toto digest name of an SPDX 2.x checksum algorithm.
fn spdx_algorithm(algorithm: &str) -> Option<&'static str> {
    Some(match algorithm {
        "SHA1" => "sha1",
        "SHA224" => "sha224",
        "SHA256" => "sha256",
        "SHA384" => "sha384",
        "SHA512" => "sha512",
        "SHA3-256" => "sha3_256",
        "SHA3-384" => "sha3_384",
        "SHA3-512" => "sha3_512",
        "BLAKE2b-512" => "blake2b",
        "BLAKE3" => "blake3",
        "MD5" => "md5",
        _ => return None,
    })
}

/// The in-toto digest name of a CycloneDX hash algorithm.
fn cyclonedx_algorithm(algorithm: &str) -> Option<&'static str> {
    Some(match algorithm {
        "SHA-1" => "sha1",
        "SHA-256" => "sha256",
        "SHA-384" => "sha384",
        "SHA-512" => "sha512",
        "SHA3-256" => "sha3_256",
        "SHA3-384" => "sha3_384",
        "SHA3-512" => "sha3_512",
        "BLAKE2b-512" => "blake2b",
        "BLAKE3" => "blake3",
        "MD5" => "md5",
        _ => return None,
    })
}

/// A digest in lowercase hex, or an error naming `field`.
fn hex_digest(json: Json, value: &str, field: String) -> Result<String, GenerateError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(json.invalid(field, value, "not a hex digest"));
    }
    Ok(value.to_ascii_lowercase())
}

fn cyclonedx(doc: Map<String, Value>) -> Result<Sbom, GenerateError> {
    let json = Json {
        format: InputFormat::CycloneDx,
    };
    let bom_format = json.req_str(&doc, "bomFormat", "")?;
    if bom_format != "CycloneDX" {
        return Err(json.invalid("bomFormat".to_owned(), bom_format, "expected CycloneDX"));
    }
    let spec = json.req_str(&doc, "specVersion", "")?;
    let supported = spec
        .strip_prefix("1.")
        .is_some_and(|minor| !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit()));
    if !supported {
        return Err(GenerateError::UnsupportedVersion {
            format: json.format,
            field: "specVersion".to_owned(),
            version: super::excerpt(spec),
            supported: "1.x",
        });
    }
    let mut subjects = Vec::new();
    let mut without_digest = 0;
    if let Some(metadata) = json.opt_object(&doc, "metadata", "")?
        && let Some(component) = json.opt_object(metadata, "component", "metadata")?
    {
        let path = "metadata.component";
        let name = json.req_str(component, "name", path)?;
        let mut digest = DigestSet::new();
        let hashes_path = join(path, "hashes");
        for (i, hash) in json
            .opt_array(component, "hashes", path)?
            .iter()
            .enumerate()
        {
            let path = index(&hashes_path, i);
            let hash = json.object(hash, &path)?;
            let algorithm = json.req_str(hash, "alg", &path)?;
            let content = json.req_str(hash, "content", &path)?;
            if let Some(alg) = cyclonedx_algorithm(algorithm) {
                digest.insert(alg, hex_digest(json, content, join(&path, "content"))?);
            }
        }
        if digest.is_empty() {
            without_digest += 1;
        } else {
            subjects.push(ResourceDescriptor::named(name, digest));
        }
    }
    Ok(Sbom {
        format: SbomFormat::CycloneDx,
        predicate_type: CYCLONEDX_PREDICATE_TYPE.to_owned(),
        predicate: doc,
        subjects,
        subjects_without_digest: without_digest,
    })
}

#[cfg(test)]
mod tests;
