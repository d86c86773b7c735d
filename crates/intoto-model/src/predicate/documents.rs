//! Predicates that are whole documents of other formats (SPDX, CycloneDX,
//! OpenVEX) and the smaller in-toto predicates (release, SCAI,
//! runtime-trace): the fields that make each what it says it is.

use serde_json::{Map, Value};

use super::read::{Obj, Path, each_object};
use crate::error::ModelError;

/// An SPDX 2.x JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Spdx {
    /// `spdxVersion` (`SPDX-2.3`).
    pub spdx_version: String,
    /// `name`.
    pub name: String,
    /// The number of `packages`.
    pub packages: usize,
}

impl Spdx {
    /// Reads and checks a predicate.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn from_predicate(predicate: &Map<String, Value>) -> Result<Self, ModelError> {
        let root = Path::new("predicate");
        let p = Obj::new(predicate, &root);
        let version = p.string("spdxVersion")?;
        if !version.starts_with("SPDX-2.") {
            return Err(ModelError::invalid(
                p.path("spdxVersion"),
                "is not an SPDX 2.x version such as SPDX-2.3",
                version,
            ));
        }
        p.nonempty("SPDXID")?;
        Ok(Self {
            spdx_version: version.to_owned(),
            name: p.string("name")?.to_owned(),
            packages: p.opt_list("packages")?.map_or(0, <[Value]>::len),
        })
    }
}

/// A CycloneDX JSON BOM.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CycloneDx {
    /// `specVersion` (`1.5`).
    pub spec_version: String,
    /// The number of `components`.
    pub components: usize,
}

impl CycloneDx {
    /// Reads and checks a predicate.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn from_predicate(predicate: &Map<String, Value>) -> Result<Self, ModelError> {
        let root = Path::new("predicate");
        let p = Obj::new(predicate, &root);
        let format = p.string("bomFormat")?;
        if format != "CycloneDX" {
            return Err(ModelError::invalid(
                p.path("bomFormat"),
                "must be \"CycloneDX\"",
                format,
            ));
        }
        Ok(Self {
            spec_version: p.nonempty("specVersion")?.to_owned(),
            components: p.opt_list("components")?.map_or(0, <[Value]>::len),
        })
    }
}

/// An OpenVEX document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpenVex {
    /// `@id`.
    pub id: String,
    /// `author`.
    pub author: String,
    /// Each statement's vulnerability name and status.
    pub statements: Vec<(String, String)>,
}

impl OpenVex {
    /// Reads and checks a predicate.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn from_predicate(predicate: &Map<String, Value>) -> Result<Self, ModelError> {
        let root = Path::new("predicate");
        let p = Obj::new(predicate, &root);
        let context = p.string("@context")?;
        if !context.starts_with("https://openvex.dev/ns") {
            return Err(ModelError::invalid(
                p.path("@context"),
                "is not an OpenVEX context (https://openvex.dev/ns/…)",
                context,
            ));
        }
        p.timestamp("timestamp")?;
        let mut statements = Vec::new();
        for item in each_object(p.list("statements")?, &p.path("statements")) {
            let (map, path) = item?;
            let s = Obj::new(map, &path);
            let vuln = match s.get("vulnerability") {
                Some(Value::Object(v)) => v
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                Some(Value::String(name)) => name.clone(),
                _ => {
                    return Err(ModelError::MissingField {
                        field: s.path("vulnerability"),
                    });
                }
            };
            let status = super::read::one_of(
                s.string("status")?,
                &["not_affected", "affected", "fixed", "under_investigation"],
                s.path("status"),
                "must be not_affected, affected, fixed or under_investigation",
            )?;
            statements.push((vuln, status.to_owned()));
        }
        Ok(Self {
            id: p.nonempty("@id")?.to_owned(),
            author: p.nonempty("author")?.to_owned(),
            statements,
        })
    }
}

/// An in-toto release v0.1 predicate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Release {
    /// `purl`, with a version.
    pub purl: String,
    /// `releaseId`.
    pub release_id: Option<String>,
}

impl Release {
    /// Reads and checks a predicate.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn from_predicate(predicate: &Map<String, Value>) -> Result<Self, ModelError> {
        let root = Path::new("predicate");
        let p = Obj::new(predicate, &root);
        let purl = p.string("purl")?;
        let versioned = purl
            .strip_prefix("pkg:")
            .and_then(|rest| rest.split(['?', '#']).next())
            .is_some_and(|head| {
                head.contains('/') && head.rsplit_once('@').is_some_and(|(_, v)| !v.is_empty())
            });
        if !versioned {
            return Err(ModelError::invalid(
                p.path("purl"),
                "is not a package URL with a version (pkg:type/name@version)",
                purl,
            ));
        }
        Ok(Self {
            purl: purl.to_owned(),
            release_id: p.opt_string("releaseId")?.map(str::to_owned),
        })
    }
}

/// An in-toto SCAI v0.3 predicate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Scai {
    /// The `attribute` of each assertion.
    pub attributes: Vec<String>,
}

impl Scai {
    /// Reads and checks a predicate.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn from_predicate(predicate: &Map<String, Value>) -> Result<Self, ModelError> {
        let root = Path::new("predicate");
        let p = Obj::new(predicate, &root);
        let mut attributes = Vec::new();
        for item in each_object(p.list("attributes")?, &p.path("attributes")) {
            let (map, path) = item?;
            attributes.push(Obj::new(map, &path).nonempty("attribute")?.to_owned());
        }
        Ok(Self { attributes })
    }
}

/// An in-toto runtime-trace v0.1 predicate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuntimeTrace {
    /// `monitor.type`.
    pub monitor_type: String,
    /// `monitoredProcess.hostID`.
    pub host_id: String,
    /// `monitoredProcess.event`.
    pub event: String,
}

impl RuntimeTrace {
    /// Reads and checks a predicate.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn from_predicate(predicate: &Map<String, Value>) -> Result<Self, ModelError> {
        let root = Path::new("predicate");
        let p = Obj::new(predicate, &root);
        let monitor_path = Path::new(p.path("monitor"));
        let monitor = Obj::new(p.object("monitor")?, &monitor_path);
        let process_path = Path::new(p.path("monitoredProcess"));
        let process = Obj::new(p.object("monitoredProcess")?, &process_path);
        process.nonempty("type")?;
        let log = p.object("monitorLog")?;
        if !["process", "network", "fileAccess"]
            .iter()
            .any(|k| log.contains_key(*k))
        {
            return Err(ModelError::MissingField {
                field: format!(
                    "{} (one of process, network, fileAccess)",
                    p.path("monitorLog")
                ),
            });
        }
        Ok(Self {
            monitor_type: monitor.nonempty("type")?.to_owned(),
            host_id: process.nonempty("hostID")?.to_owned(),
            event: process.nonempty("event")?.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn documents_say_what_they_are() {
        assert!(
            Spdx::from_predicate(&map(
                json!({"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "x"})
            ))
            .is_ok()
        );
        assert_eq!(
            Spdx::from_predicate(&map(json!({"spdxVersion": "3.0"})))
                .unwrap_err()
                .to_string(),
            "field `predicate.spdxVersion` is not an SPDX 2.x version such as SPDX-2.3"
        );
        assert!(
            CycloneDx::from_predicate(&map(
                json!({"bomFormat": "CycloneDX", "specVersion": "1.5"})
            ))
            .is_ok()
        );
        assert!(
            CycloneDx::from_predicate(&map(json!({"bomFormat": "SPDX", "specVersion": "1.5"})))
                .is_err()
        );
        assert!(Release::from_predicate(&map(json!({"purl": "pkg:pypi/in-toto@3.1.0"}))).is_ok());
        assert!(Release::from_predicate(&map(json!({"purl": "pkg:pypi/in-toto"}))).is_err());
        assert!(
            Scai::from_predicate(&map(json!({"attributes": [{"attribute": "HAS_SBOM"}]}))).is_ok()
        );
        assert_eq!(
            Scai::from_predicate(&map(json!({"attributes": [{}]})))
                .unwrap_err()
                .to_string(),
            "required field `predicate.attributes[0].attribute` is missing"
        );
        let vex = json!({"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://x/vex-1", "author": "a",
                         "timestamp": "2026-12-01T00:00:00Z", "version": 1,
                         "statements": [{"vulnerability": {"name": "CVE-1"}, "status": "not_affected"}]});
        assert_eq!(
            OpenVex::from_predicate(&map(vex)).unwrap().statements.len(),
            1
        );
        let trace = json!({"monitor": {"type": "https://m"}, "monitoredProcess": {"hostID": "h", "type": "t", "event": "e"},
                           "monitorLog": {"process": []}});
        assert!(RuntimeTrace::from_predicate(&map(trace)).is_ok());
    }
}
