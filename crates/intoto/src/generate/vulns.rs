//! Vulnerability scan reports to vulns v0.2 predicates
//! (`https://in-toto.io/attestation/vulns/v0.2`).
//!
//! Three report formats are read, told apart by their top-level fields
//! ([`ScanFormat::detect`]): SARIF 2.1.0 logs (`runs`), Grype JSON
//! (`matches`) and Trivy JSON (`SchemaVersion` 2). The predicate is
//!
//! ```json
//! {"scanner": {"uri": "...", "version": "...",
//!              "db": {"uri": "...", "version": "...", "lastUpdate": "..."},
//!              "result": [{"id": "CVE-...",
//!                          "severity": [{"method": "...", "score": "..."}],
//!                          "annotations": [{"package": "..."}, ...]}]},
//!  "metadata": {"scanStartedOn": "...", "scanFinishedOn": "..."}}
//! ```
//!
//! with optional members written only when the report has them
//! (`scanner.db` only when the report says when the database was built,
//! since the spec requires `lastUpdate` in it). Timestamps are checked to be
//! RFC 3339 and kept as the report wrote them.
//!
//! # Severities
//!
//! Each entry of `severity` names where its score comes from:
//!
//! - the scanner's rating (`Low`, `MEDIUM`...): method is the rating's
//!   source when the report names one (Grype's `vulnerability.namespace`,
//!   Trivy's `SeveritySource`, e.g. `nvd`), else `grype` or `trivy`;
//! - CVSS base scores: method `<source>:cvss_v<version>` (e.g.
//!   `nvd:cvss_v3.1` from Grype, `nvd:cvss_v3` from Trivy, whose report
//!   keeps the exact version only in the vector), score the number as text;
//! - SARIF: `security-severity` (from the result's or else its rule's
//!   properties) and `sarif-level` (the result's `level`, else the rule's
//!   default level, else `warning` as SARIF defines it).
//!
//! # Findings and repeats
//!
//! One result entry is kept per finding: a vulnerability id together with
//! what it was found in (Grype: the artifact's name and version; Trivy: the
//! package id, else name and installed version; SARIF: the result's
//! locations). The same id in two packages is two entries. When a report
//! repeats the same id and package (Trivy lists a package once per target,
//! SARIF can repeat a result), the entry is kept once, with the annotations
//! of its first occurrence and an `{"occurrences": n}` annotation counting
//! them all, so nothing is dropped without a trace.
//!
//! Annotations are a list of one-member objects (`{"package": ...}`,
//! `{"installedVersion": ...}`, `{"fixedVersion": ...}`, `{"purl": ...}`,
//! `{"target": ...}`, `{"location": ...}`...), as the spec describes them:
//! a list of key/value pairs.
//!
//! SARIF results whose `kind` is not `fail` (passes, not-applicable,
//! informational) are not findings and are not listed; suppressed results
//! are listed with `{"suppressed": true}`. A log whose runs come from
//! different tools is refused: one predicate describes one scanner.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{GenerateError, InputFormat, Json, index, join, parse_json, parse_json_object};

/// A vulnerability report's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScanFormat {
    /// A SARIF 2.1.0 log.
    Sarif,
    /// A Grype JSON report (`grype -o json`).
    Grype,
    /// A Trivy JSON report (`trivy --format json`), schema version 2.
    Trivy,
}

impl ScanFormat {
    /// Tells the format from a parsed document's top-level fields: `runs`
    /// is SARIF, `matches` is Grype, `SchemaVersion` is Trivy.
    pub fn detect(document: &Value) -> Option<Self> {
        let map = document.as_object()?;
        if map.contains_key("runs") {
            Some(Self::Sarif)
        } else if map.contains_key("matches") {
            Some(Self::Grype)
        } else if map.contains_key("SchemaVersion") {
            Some(Self::Trivy)
        } else {
            None
        }
    }

    /// The format, for messages.
    pub fn input_format(self) -> InputFormat {
        match self {
            Self::Sarif => InputFormat::Sarif,
            Self::Grype => InputFormat::Grype,
            Self::Trivy => InputFormat::Trivy,
        }
    }
}

/// Reads a SARIF, Grype or Trivy JSON report, telling which from its
/// content, into a vulns v0.2 predicate.
///
/// # Errors
///
/// [`GenerateError`] when the input is too large, not JSON, none of the
/// three formats, or lacks a field the predicate needs.
pub fn from_report(report: &[u8]) -> Result<Map<String, Value>, GenerateError> {
    let document = parse_json(InputFormat::ScanReport, report)?;
    match ScanFormat::detect(&document) {
        Some(ScanFormat::Sarif) => sarif(&document),
        Some(ScanFormat::Grype) => grype(&document),
        Some(ScanFormat::Trivy) => trivy(&document),
        None => Err(GenerateError::UnknownFormat {
            format: InputFormat::ScanReport,
            expected: "a SARIF log, a Grype report or a Trivy report",
            hint: "no runs, matches or SchemaVersion at the top level",
        }),
    }
}

/// Reads a SARIF 2.1.0 log into a vulns v0.2 predicate.
///
/// # Errors
///
/// As [`from_report`].
pub fn from_sarif(log: &[u8]) -> Result<Map<String, Value>, GenerateError> {
    sarif(&Value::Object(parse_json_object(InputFormat::Sarif, log)?))
}

/// Reads a Grype JSON report into a vulns v0.2 predicate.
///
/// # Errors
///
/// As [`from_report`].
pub fn from_grype(report: &[u8]) -> Result<Map<String, Value>, GenerateError> {
    grype(&Value::Object(parse_json_object(
        InputFormat::Grype,
        report,
    )?))
}

/// Reads a Trivy JSON report (schema version 2) into a vulns v0.2
/// predicate.
///
/// # Errors
///
/// As [`from_report`].
pub fn from_trivy(report: &[u8]) -> Result<Map<String, Value>, GenerateError> {
    trivy(&Value::Object(parse_json_object(
        InputFormat::Trivy,
        report,
    )?))
}

const GRYPE_URI: &str = "https://github.com/anchore/grype";
const TRIVY_URI: &str = "https://github.com/aquasecurity/trivy";

/// The `scanner` and `metadata` members, results aside.
#[derive(Debug, Default)]
struct Scanner {
    uri: String,
    version: Option<String>,
    db_uri: Option<String>,
    db_version: Option<String>,
    db_last_update: Option<String>,
    started: Option<String>,
    finished: Option<String>,
}

#[derive(Debug)]
struct Finding {
    id: String,
    severity: Vec<(String, String)>,
    annotations: Vec<(&'static str, Value)>,
    occurrences: usize,
}

/// Findings in report order, one per id and package.
#[derive(Debug, Default)]
struct Findings {
    list: Vec<Finding>,
    seen: HashMap<(String, String), usize>,
}

impl Findings {
    fn add(&mut self, finding: Finding, package: String) {
        let key = (finding.id.clone(), package);
        if let Some(&i) = self.seen.get(&key) {
            self.list[i].occurrences += 1;
            return;
        }
        self.seen.insert(key, self.list.len());
        self.list.push(finding);
    }
}

impl Finding {
    fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            severity: Vec::new(),
            annotations: Vec::new(),
            occurrences: 1,
        }
    }

    fn severity(&mut self, method: String, score: String) {
        if !self
            .severity
            .iter()
            .any(|(m, s)| *m == method && *s == score)
        {
            self.severity.push((method, score));
        }
    }

    fn annotate(&mut self, key: &'static str, value: Option<&str>) {
        if let Some(value) = value {
            self.annotations
                .push((key, Value::String(value.to_owned())));
        }
    }

    fn to_value(&self) -> Value {
        let mut entry = Map::new();
        entry.insert("id".to_owned(), Value::String(self.id.clone()));
        let severity = self
            .severity
            .iter()
            .map(|(method, score)| {
                let mut s = Map::new();
                s.insert("method".to_owned(), Value::String(method.clone()));
                s.insert("score".to_owned(), Value::String(score.clone()));
                Value::Object(s)
            })
            .collect();
        entry.insert("severity".to_owned(), Value::Array(severity));
        let mut annotations: Vec<Value> = self
            .annotations
            .iter()
            .map(|(k, v)| pair(k, v.clone()))
            .collect();
        if self.occurrences > 1 {
            annotations.push(pair("occurrences", Value::from(self.occurrences)));
        }
        if !annotations.is_empty() {
            entry.insert("annotations".to_owned(), Value::Array(annotations));
        }
        Value::Object(entry)
    }
}

fn pair(key: &str, value: Value) -> Value {
    let mut map = Map::new();
    map.insert(key.to_owned(), value);
    Value::Object(map)
}

fn predicate(scanner: Scanner, findings: &Findings) -> Map<String, Value> {
    let mut s = Map::new();
    s.insert("uri".to_owned(), Value::String(scanner.uri));
    if let Some(version) = scanner.version {
        s.insert("version".to_owned(), Value::String(version));
    }
    if let Some(last_update) = scanner.db_last_update {
        let mut db = Map::new();
        if let Some(uri) = scanner.db_uri {
            db.insert("uri".to_owned(), Value::String(uri));
        }
        if let Some(version) = scanner.db_version {
            db.insert("version".to_owned(), Value::String(version));
        }
        db.insert("lastUpdate".to_owned(), Value::String(last_update));
        s.insert("db".to_owned(), Value::Object(db));
    }
    s.insert(
        "result".to_owned(),
        Value::Array(findings.list.iter().map(Finding::to_value).collect()),
    );
    let mut predicate = Map::new();
    predicate.insert("scanner".to_owned(), Value::Object(s));
    let mut metadata = Map::new();
    if let Some(started) = scanner.started {
        metadata.insert("scanStartedOn".to_owned(), Value::String(started));
    }
    if let Some(finished) = scanner.finished {
        metadata.insert("scanFinishedOn".to_owned(), Value::String(finished));
    }
    if !metadata.is_empty() {
        predicate.insert("metadata".to_owned(), Value::Object(metadata));
    }
    predicate
}

fn top(json: Json, document: &Value) -> Result<&Map<String, Value>, GenerateError> {
    json.object(document, "")
}

// SARIF ---------------------------------------------------------------------

fn sarif(document: &Value) -> Result<Map<String, Value>, GenerateError> {
    let json = Json {
        format: InputFormat::Sarif,
    };
    let log = top(json, document)?;
    let version = json.req_str(log, "version", "")?;
    if version != "2.1.0" {
        return Err(GenerateError::UnsupportedVersion {
            format: json.format,
            field: "version".to_owned(),
            version: super::excerpt(version),
            supported: "2.1.0",
        });
    }
    let runs = json.req_array(log, "runs", "")?;
    if runs.is_empty() {
        return Err(json.missing("runs[0] (the log has no runs, so no scanner)".to_owned()));
    }
    let mut scanner = Scanner::default();
    let mut first_tool: Option<String> = None;
    let mut findings = Findings::default();
    for (r, run) in runs.iter().enumerate() {
        let run_path = index("runs", r);
        let run = json.object(run, &run_path)?;
        let tool_path = join(&run_path, "tool");
        let tool = json
            .opt_object(run, "tool", &run_path)?
            .ok_or_else(|| json.missing(tool_path.clone()))?;
        let driver_path = join(&tool_path, "driver");
        let driver = json
            .opt_object(tool, "driver", &tool_path)?
            .ok_or_else(|| json.missing(driver_path.clone()))?;
        let name = json.req_str(driver, "name", &driver_path)?;
        match &first_tool {
            None => {
                first_tool = Some(name.to_owned());
                let uri = json.opt_str(driver, "informationUri", &driver_path)?;
                scanner.uri = uri.unwrap_or(name).to_owned();
                scanner.version = match json.opt_str(driver, "version", &driver_path)? {
                    Some(v) => Some(v.to_owned()),
                    None => json
                        .opt_str(driver, "semanticVersion", &driver_path)?
                        .map(str::to_owned),
                };
            }
            Some(first) if first != name => {
                return Err(GenerateError::MixedScanners {
                    format: json.format,
                    field: join(&driver_path, "name"),
                    first: first.clone(),
                    found: name.to_owned(),
                });
            }
            Some(_) => {}
        }
        for (i, invocation) in json
            .opt_array(run, "invocations", &run_path)?
            .iter()
            .enumerate()
        {
            let path = index(&join(&run_path, "invocations"), i);
            let invocation = json.object(invocation, &path)?;
            let started = json.opt_timestamp(invocation, "startTimeUtc", &path)?;
            let finished = json.opt_timestamp(invocation, "endTimeUtc", &path)?;
            scanner.started = scanner.started.take().or(started);
            scanner.finished = scanner.finished.take().or(finished);
        }
        let rules_path = join(&driver_path, "rules");
        let rules = json.opt_array(driver, "rules", &driver_path)?;
        let mut rule_ids = HashMap::new();
        for (i, rule) in rules.iter().enumerate() {
            let rule = json.object(rule, &index(&rules_path, i))?;
            if let Some(id) = json.opt_str(rule, "id", &index(&rules_path, i))? {
                rule_ids.entry(id).or_insert(i);
            }
        }
        let results_path = join(&run_path, "results");
        for (i, result) in json
            .opt_array(run, "results", &run_path)?
            .iter()
            .enumerate()
        {
            let path = index(&results_path, i);
            let result = json.object(result, &path)?;
            if let Some(finding) = sarif_result(json, result, &path, rules, &rule_ids, &rules_path)?
            {
                findings.add(finding.0, finding.1);
            }
        }
    }
    Ok(predicate(scanner, &findings))
}

/// One SARIF result as a finding and its package key, or `None` when it is
/// not a failure.
fn sarif_result(
    json: Json,
    result: &Map<String, Value>,
    path: &str,
    rules: &[Value],
    rule_ids: &HashMap<&str, usize>,
    rules_path: &str,
) -> Result<Option<(Finding, String)>, GenerateError> {
    let kind = json.opt_str(result, "kind", path)?;
    if kind.is_some_and(|k| k != "fail") {
        return Ok(None);
    }
    let rule_ref = json.opt_object(result, "rule", path)?;
    let rule_ref_path = join(path, "rule");
    let rule_index = match result.get("ruleIndex") {
        Some(v) => Some((v, join(path, "ruleIndex"))),
        None => rule_ref
            .and_then(|r| r.get("index"))
            .map(|v| (v, join(&rule_ref_path, "index"))),
    };
    let rule_index = match rule_index {
        None => None,
        Some((v, field)) => match v.as_i64() {
            Some(-1) => None,
            Some(n) => match usize::try_from(n).ok().filter(|n| *n < rules.len()) {
                Some(n) => Some(n),
                None => {
                    return Err(json.invalid(
                        field,
                        &n.to_string(),
                        "not the index of a rule of the run's driver",
                    ));
                }
            },
            None => return Err(json.wrong(field, "an integer")),
        },
    };
    let mut id = json.opt_str(result, "ruleId", path)?;
    if id.is_none()
        && let Some(rule_ref) = rule_ref
    {
        id = json.opt_str(rule_ref, "id", &rule_ref_path)?;
    }
    let rule_index = rule_index.or_else(|| id.and_then(|id| rule_ids.get(id).copied()));
    let rule = match rule_index {
        Some(i) => Some(json.object(&rules[i], &index(rules_path, i))?),
        None => None,
    };
    if id.is_none()
        && let (Some(rule), Some(i)) = (rule, rule_index)
    {
        id = json.opt_str(rule, "id", &index(rules_path, i))?;
    }
    let id = id.ok_or_else(|| json.missing(join(path, "ruleId")))?;
    let mut finding = Finding::new(id);

    let security = match json.opt_object(result, "properties", path)? {
        Some(props) => json.opt_text(props, "security-severity", &join(path, "properties"))?,
        None => None,
    };
    let security = match (security, rule, rule_index) {
        (Some(s), _, _) => Some(s),
        (None, Some(rule), Some(i)) => {
            let rule_path = index(rules_path, i);
            match json.opt_object(rule, "properties", &rule_path)? {
                Some(props) => {
                    json.opt_text(props, "security-severity", &join(&rule_path, "properties"))?
                }
                None => None,
            }
        }
        _ => None,
    };
    if let Some(score) = security {
        finding.severity("security-severity".to_owned(), score);
    }
    let mut level = json.opt_str(result, "level", path)?.map(str::to_owned);
    if level.is_none()
        && let (Some(rule), Some(i)) = (rule, rule_index)
    {
        let rule_path = index(rules_path, i);
        if let Some(config) = json.opt_object(rule, "defaultConfiguration", &rule_path)? {
            level = json
                .opt_str(config, "level", &join(&rule_path, "defaultConfiguration"))?
                .map(str::to_owned);
        }
    }
    let level = level.unwrap_or_else(|| "warning".to_owned());
    if !matches!(level.as_str(), "none" | "note" | "warning" | "error") {
        return Err(json.invalid(
            join(path, "level"),
            &level,
            "not one of none, note, warning, error",
        ));
    }
    finding.severity("sarif-level".to_owned(), level);

    let locations = json.opt_array(result, "locations", path)?;
    if let Some(location) = locations.first().and_then(sarif_location) {
        finding.annotate("location", Some(&location));
    }
    if !json.opt_array(result, "suppressions", path)?.is_empty() {
        finding.annotations.push(("suppressed", Value::Bool(true)));
    }
    let key = serde_json::to_string(locations).unwrap_or_default();
    Ok(Some((finding, key)))
}

/// `uri` or `uri:line` of a SARIF location, when it has a physical one.
fn sarif_location(location: &Value) -> Option<String> {
    let physical = location.get("physicalLocation")?;
    let uri = physical.get("artifactLocation")?.get("uri")?.as_str()?;
    match physical
        .get("region")
        .and_then(|r| r.get("startLine"))
        .and_then(Value::as_u64)
    {
        Some(line) => Some(format!("{uri}:{line}")),
        None => Some(uri.to_owned()),
    }
}

// Grype ---------------------------------------------------------------------

fn grype(document: &Value) -> Result<Map<String, Value>, GenerateError> {
    let json = Json {
        format: InputFormat::Grype,
    };
    let report = top(json, document)?;
    let matches = json.req_array(report, "matches", "")?;
    let mut scanner = Scanner {
        uri: GRYPE_URI.to_owned(),
        ..Scanner::default()
    };
    if let Some(descriptor) = json.opt_object(report, "descriptor", "")? {
        let path = "descriptor";
        scanner.version = json
            .opt_str(descriptor, "version", path)?
            .map(str::to_owned);
        scanner.finished = json.opt_timestamp(descriptor, "timestamp", path)?;
        if let Some(db) = json.opt_object(descriptor, "db", path)? {
            let db_path = join(path, "db");
            // Older reports put the database's facts in `db`, newer ones in
            // `db.status`.
            let (facts, facts_path) = match json.opt_object(db, "status", &db_path)? {
                Some(status) => (status, join(&db_path, "status")),
                None => (db, db_path),
            };
            scanner.db_last_update = json.opt_timestamp(facts, "built", &facts_path)?;
            scanner.db_version = json.opt_text(facts, "schemaVersion", &facts_path)?;
            scanner.db_uri = json.opt_str(facts, "from", &facts_path)?.map(str::to_owned);
        }
    }
    let mut findings = Findings::default();
    for (i, m) in matches.iter().enumerate() {
        let path = index("matches", i);
        let m = json.object(m, &path)?;
        let vuln_path = join(&path, "vulnerability");
        let vuln = json
            .opt_object(m, "vulnerability", &path)?
            .ok_or_else(|| json.missing(vuln_path.clone()))?;
        let id = json.req_str(vuln, "id", &vuln_path)?;
        let mut finding = Finding::new(id);
        if let Some(severity) = json.opt_str(vuln, "severity", &vuln_path)? {
            let method = json
                .opt_str(vuln, "namespace", &vuln_path)?
                .unwrap_or("grype");
            finding.severity(method.to_owned(), severity.to_owned());
        }
        let cvss_path = join(&vuln_path, "cvss");
        for (c, cvss) in json.opt_array(vuln, "cvss", &vuln_path)?.iter().enumerate() {
            let path = index(&cvss_path, c);
            let cvss = json.object(cvss, &path)?;
            let Some(metrics) = json.opt_object(cvss, "metrics", &path)? else {
                continue;
            };
            let Some(score) = json.opt_text(metrics, "baseScore", &join(&path, "metrics"))? else {
                continue;
            };
            let version = json.opt_text(cvss, "version", &path)?;
            let method = cvss_method(json.opt_str(cvss, "source", &path)?, version.as_deref());
            finding.severity(method, score);
        }
        let mut package = String::new();
        if let Some(artifact) = json.opt_object(m, "artifact", &path)? {
            let art_path = join(&path, "artifact");
            let name = json.opt_str(artifact, "name", &art_path)?;
            let version = json.opt_str(artifact, "version", &art_path)?;
            package = format!("{}@{}", name.unwrap_or(""), version.unwrap_or(""));
            finding.annotate("package", name);
            finding.annotate("version", version);
            finding.annotate("type", json.opt_str(artifact, "type", &art_path)?);
            finding.annotate("purl", json.opt_str(artifact, "purl", &art_path)?);
        }
        if let Some(fix) = json.opt_object(vuln, "fix", &vuln_path)? {
            let fix_path = join(&vuln_path, "fix");
            finding.annotate("fixState", json.opt_str(fix, "state", &fix_path)?);
            let versions = json.opt_array(fix, "versions", &fix_path)?;
            if !versions.is_empty() {
                finding
                    .annotations
                    .push(("fixVersions", Value::Array(versions.to_vec())));
            }
        }
        findings.add(finding, package);
    }
    Ok(predicate(scanner, &findings))
}

fn cvss_method(source: Option<&str>, version: Option<&str>) -> String {
    let cvss = match version {
        Some(v) => format!("cvss_v{v}"),
        None => "cvss".to_owned(),
    };
    match source {
        Some(source) => format!("{source}:{cvss}"),
        None => cvss,
    }
}

// Trivy ---------------------------------------------------------------------

fn trivy(document: &Value) -> Result<Map<String, Value>, GenerateError> {
    let json = Json {
        format: InputFormat::Trivy,
    };
    let report = top(json, document)?;
    let schema = json
        .opt_text(report, "SchemaVersion", "")?
        .ok_or_else(|| json.missing("SchemaVersion".to_owned()))?;
    if schema != "2" {
        return Err(GenerateError::UnsupportedVersion {
            format: json.format,
            field: "SchemaVersion".to_owned(),
            version: super::excerpt(&schema),
            supported: "2",
        });
    }
    let mut scanner = Scanner {
        uri: TRIVY_URI.to_owned(),
        ..Scanner::default()
    };
    if let Some(trivy) = json.opt_object(report, "Trivy", "")? {
        scanner.version = json.opt_str(trivy, "Version", "Trivy")?.map(str::to_owned);
    }
    scanner.finished = json.opt_timestamp(report, "CreatedAt", "")?;
    let mut findings = Findings::default();
    for (r, result) in json.opt_array(report, "Results", "")?.iter().enumerate() {
        let result_path = index("Results", r);
        let result = json.object(result, &result_path)?;
        let target = json.opt_str(result, "Target", &result_path)?;
        let vulns_path = join(&result_path, "Vulnerabilities");
        for (v, vuln) in json
            .opt_array(result, "Vulnerabilities", &result_path)?
            .iter()
            .enumerate()
        {
            let path = index(&vulns_path, v);
            let vuln = json.object(vuln, &path)?;
            let id = json.req_str(vuln, "VulnerabilityID", &path)?;
            let mut finding = Finding::new(id);
            if let Some(severity) = json.opt_str(vuln, "Severity", &path)? {
                let method = json
                    .opt_str(vuln, "SeveritySource", &path)?
                    .unwrap_or("trivy");
                finding.severity(method.to_owned(), severity.to_owned());
            }
            if let Some(cvss) = json.opt_object(vuln, "CVSS", &path)? {
                let cvss_path = join(&path, "CVSS");
                for (source, scores) in cvss {
                    let scores_path = join(&cvss_path, source);
                    let scores = json.object(scores, &scores_path)?;
                    for (key, version) in [("V2Score", "2"), ("V3Score", "3"), ("V40Score", "4.0")]
                    {
                        if let Some(score) = json.opt_text(scores, key, &scores_path)? {
                            finding.severity(cvss_method(Some(source), Some(version)), score);
                        }
                    }
                }
            }
            let name = json.opt_str(vuln, "PkgName", &path)?;
            let installed = json.opt_str(vuln, "InstalledVersion", &path)?;
            let package = match json.opt_str(vuln, "PkgID", &path)? {
                Some(id) => id.to_owned(),
                None => format!("{}@{}", name.unwrap_or(""), installed.unwrap_or("")),
            };
            finding.annotate("package", name);
            finding.annotate("installedVersion", installed);
            finding.annotate("fixedVersion", json.opt_str(vuln, "FixedVersion", &path)?);
            if let Some(ident) = json.opt_object(vuln, "PkgIdentifier", &path)? {
                finding.annotate(
                    "purl",
                    json.opt_str(ident, "PURL", &join(&path, "PkgIdentifier"))?,
                );
            }
            finding.annotate("status", json.opt_str(vuln, "Status", &path)?);
            finding.annotate("target", target);
            findings.add(finding, package);
        }
    }
    Ok(predicate(scanner, &findings))
}

#[cfg(test)]
mod tests;
