//! in-toto vulns v0.2: the findings of a vulnerability scan.

use serde_json::{Map, Value};

use super::read::{Obj, Path, each_object};
use crate::error::ModelError;

/// A vulns v0.2 predicate.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Vulns {
    /// `scanner.uri`.
    pub scanner_uri: String,
    /// `scanner.version`.
    pub scanner_version: Option<String>,
    /// `scanner.db`.
    pub db: Option<VulnDb>,
    /// `scanner.result`: the findings (empty means none were found).
    pub results: Vec<Vulnerability>,
    /// `metadata.scanStartedOn`.
    pub scan_started_on: Option<String>,
    /// `metadata.scanFinishedOn`.
    pub scan_finished_on: Option<String>,
}

/// The vulnerability database a scan used.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct VulnDb {
    /// `uri`.
    pub uri: Option<String>,
    /// `version`.
    pub version: Option<String>,
    /// `lastUpdate`.
    pub last_update: Option<String>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Vulnerability {
    /// The vulnerability's identifier (`CVE-…`, `GHSA-…`).
    pub id: String,
    /// Scores by method (`nvd`, `cvss_v3`, a scanner's own severity).
    pub severity: Vec<Severity>,
    /// `annotations`, as given.
    pub annotations: Option<Value>,
}

/// A severity score by one method.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Severity {
    /// The scoring method.
    pub method: String,
    /// The score, as text (`HIGH`, `7.5`).
    pub score: String,
}

impl Severity {
    /// A score by a method.
    pub fn new(method: impl Into<String>, score: impl Into<String>) -> Self {
        Self {
            method: method.into(),
            score: score.into(),
        }
    }
}

impl Vulnerability {
    /// A finding with its severities.
    pub fn new(id: impl Into<String>, severity: Vec<Severity>) -> Self {
        Self {
            id: id.into(),
            severity,
            annotations: None,
        }
    }
}

impl Vulns {
    /// Reads and checks a predicate.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn from_predicate(predicate: &Map<String, Value>) -> Result<Self, ModelError> {
        let root = Path::new("predicate");
        let p = Obj::new(predicate, &root);
        let scanner_path = Path::new(p.path("scanner"));
        let scanner = Obj::new(p.object("scanner")?, &scanner_path);
        let db = match scanner.opt_object("db")? {
            None => None,
            Some(map) => {
                let path = Path::new(scanner.path("db"));
                let db = Obj::new(map, &path);
                Some(VulnDb {
                    uri: db.opt_string("uri")?.map(str::to_owned),
                    version: db.opt_string("version")?.map(str::to_owned),
                    last_update: db.opt_timestamp("lastUpdate")?.map(str::to_owned),
                })
            }
        };
        let mut results = Vec::new();
        for item in each_object(scanner.list("result")?, &scanner.path("result")) {
            let (map, path) = item?;
            let r = Obj::new(map, &path);
            let severity_path = r.path("severity");
            // The specification's text calls severity an object; its example
            // (and scanners) write a list of them. Both are read.
            let severities: Vec<Value> = match r.get("severity") {
                None => Vec::new(),
                Some(Value::Array(items)) => items.clone(),
                Some(v @ Value::Object(_)) => vec![v.clone()],
                Some(_) => {
                    return Err(ModelError::WrongType {
                        field: severity_path,
                        expected: "a list of {method, score} objects",
                    });
                }
            };
            let mut severity = Vec::new();
            for s in each_object(&severities, &severity_path) {
                let (map, path) = s?;
                let s = Obj::new(map, &path);
                severity.push(Severity::new(s.string("method")?, score(&s)?));
            }
            results.push(Vulnerability {
                id: r.nonempty("id")?.to_owned(),
                severity,
                annotations: r.get("annotations").cloned(),
            });
        }
        let meta_path = Path::new(p.path("metadata"));
        let empty = Map::new();
        let meta = Obj::new(p.opt_object("metadata")?.unwrap_or(&empty), &meta_path);
        Ok(Self {
            scanner_uri: scanner.nonempty("uri")?.to_owned(),
            scanner_version: scanner.opt_string("version")?.map(str::to_owned),
            db,
            results,
            scan_started_on: meta.opt_timestamp("scanStartedOn")?.map(str::to_owned),
            scan_finished_on: meta.opt_timestamp("scanFinishedOn")?.map(str::to_owned),
        })
    }

    /// The number of findings whose score by any method is this word
    /// (`CRITICAL`, `HIGH`; compared without case).
    pub fn count_with_score(&self, word: &str) -> usize {
        self.results
            .iter()
            .filter(|r| {
                r.severity
                    .iter()
                    .any(|s| s.score.eq_ignore_ascii_case(word))
            })
            .count()
    }

    /// The predicate's JSON object.
    pub fn to_predicate(&self) -> Map<String, Value> {
        let mut scanner = Map::new();
        scanner.insert("uri".into(), Value::String(self.scanner_uri.clone()));
        if let Some(v) = &self.scanner_version {
            scanner.insert("version".into(), Value::String(v.clone()));
        }
        if let Some(db) = &self.db {
            let mut m = Map::new();
            for (k, v) in [
                ("uri", &db.uri),
                ("version", &db.version),
                ("lastUpdate", &db.last_update),
            ] {
                if let Some(v) = v {
                    m.insert(k.into(), Value::String(v.clone()));
                }
            }
            scanner.insert("db".into(), Value::Object(m));
        }
        let results = self
            .results
            .iter()
            .map(|r| {
                let mut m = Map::new();
                m.insert("id".into(), Value::String(r.id.clone()));
                m.insert(
                    "severity".into(),
                    Value::Array(
                        r.severity
                            .iter()
                            .map(|s| serde_json::json!({"method": s.method, "score": s.score}))
                            .collect(),
                    ),
                );
                if let Some(a) = &r.annotations {
                    m.insert("annotations".into(), a.clone());
                }
                Value::Object(m)
            })
            .collect();
        scanner.insert("result".into(), Value::Array(results));
        let mut out = Map::new();
        out.insert("scanner".into(), Value::Object(scanner));
        let mut meta = Map::new();
        for (k, v) in [
            ("scanStartedOn", &self.scan_started_on),
            ("scanFinishedOn", &self.scan_finished_on),
        ] {
            if let Some(v) = v {
                meta.insert(k.into(), Value::String(v.clone()));
            }
        }
        if !meta.is_empty() {
            out.insert("metadata".into(), Value::Object(meta));
        }
        out
    }
}

/// A score is text in the specification; numbers (CVSS base scores) are
/// read as their text.
fn score(s: &Obj<'_>) -> Result<String, ModelError> {
    match s.get("score") {
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => s.string("score").map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_the_specification_example_shape() {
        let Value::Object(p) = json!({
            "scanner": {"uri": "pkg:github/aquasecurity/trivy@244fd47", "version": "0.19.2",
                "db": {"uri": "pkg:github/aquasecurity/trivy-db/commit/4c76bb5", "version": "v1-2021080612",
                       "lastUpdate": "2021-08-06T12:00:00Z"},
                "result": [{"id": "CVE-2021-22876", "severity": [{"method": "nvd", "score": "5.3"},
                                                                  {"method": "cvss_score", "score": "MEDIUM"}]}]},
            "metadata": {"scanStartedOn": "2022-04-12T00:00:00Z", "scanFinishedOn": "2022-04-12T00:10:00Z"}
        }) else {
            unreachable!()
        };
        let v = Vulns::from_predicate(&p).unwrap();
        assert_eq!(v.results[0].severity.len(), 2);
        assert_eq!(v.count_with_score("medium"), 1);
        assert_eq!(Vulns::from_predicate(&v.to_predicate()).unwrap(), v);
    }

    #[test]
    fn names_the_finding_at_fault() {
        let Value::Object(p) =
            json!({"scanner": {"uri": "u", "result": [{"id": "a"}, {"severity": []}]}})
        else {
            unreachable!()
        };
        assert_eq!(
            Vulns::from_predicate(&p).unwrap_err().to_string(),
            "required field `predicate.scanner.result[1].id` is missing"
        );
    }
}
