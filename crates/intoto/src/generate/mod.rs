//! Attestation predicates generated from the reports of tools teams already
//! run: test results from JUnit XML, vulnerability scans from SARIF, Grype
//! and Trivy JSON, and SBOMs from SPDX 2.x and CycloneDX JSON.
//!
//! Every generator is a pure function from the report's bytes (the caller
//! reads the file) to a predicate, a `serde_json::Map`, ready to go into a
//! [`Statement`](intoto_model::Statement):
//!
//! - [`test_result`]: JUnit XML to a test-result v0.1 predicate
//!   ([`TEST_RESULT_PREDICATE_TYPE`]);
//! - [`vulns`]: SARIF 2.1.0, Grype JSON or Trivy JSON to a vulns v0.2
//!   predicate ([`VULNS_PREDICATE_TYPE`]);
//! - [`sbom`]: an SPDX 2.x or CycloneDX JSON document, wrapped unchanged,
//!   with the subjects the document itself describes.
//!
//! ```
//! use intoto::generate::{TEST_RESULT_PREDICATE_TYPE, test_result};
//! use intoto::model::Statement;
//!
//! let xml = br#"<testsuite><testcase classname="unit" name="parses"/></testsuite>"#;
//! let predicate = test_result::from_junit(xml, vec![], None)?;
//! assert_eq!(predicate["result"], "PASSED");
//! assert_eq!(predicate["passedTests"][0], "unit.parses");
//! let statement = Statement::new(vec![], TEST_RESULT_PREDICATE_TYPE, predicate);
//! # Ok::<(), intoto::generate::GenerateError>(())
//! ```
//!
//! Inputs are untrusted. Each generator refuses an input larger than
//! [`MAX_INPUT_BYTES`]; JSON is parsed by `serde_json`, whose recursion
//! limit (128 levels) refuses deep nesting; XML is read by `quick-xml`'s
//! streaming reader, which expands no entities beyond the five predefined
//! ones, and the JUnit reader refuses nesting deeper than
//! [`test_result::MAX_XML_DEPTH`] elements. Every failure is one
//! [`GenerateError`] whose message names the input format and the element
//! or field at fault; no input panics.

use std::fmt;

use serde_json::{Map, Value};

pub mod sbom;
pub mod test_result;
pub mod vulns;

/// `predicateType` of test-result v0.1.
pub use intoto_model::predicate::kind::TEST_RESULT_V0_1 as TEST_RESULT_PREDICATE_TYPE;

/// `predicateType` of vulns v0.2.
pub use intoto_model::predicate::kind::VULNS_V0_2 as VULNS_PREDICATE_TYPE;

/// The largest input a generator reads: 256 MiB. Reports beyond it are
/// refused before parsing, so one hostile file cannot take the memory of the
/// machine (a parsed JSON value costs several times its text).
pub const MAX_INPUT_BYTES: usize = 256 * 1024 * 1024;

/// The kind of report a generator reads, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InputFormat {
    /// A JUnit XML test report.
    JUnit,
    /// A SARIF 2.1.0 log.
    Sarif,
    /// A Grype JSON report.
    Grype,
    /// A Trivy JSON report.
    Trivy,
    /// A vulnerability report whose format is not known yet.
    ScanReport,
    /// An SPDX 2.x JSON document.
    Spdx,
    /// A CycloneDX JSON BOM.
    CycloneDx,
    /// An SBOM whose format is not known yet.
    Sbom,
}

impl InputFormat {
    /// The name messages start with, e.g. "JUnit report".
    pub fn describe(self) -> &'static str {
        match self {
            Self::JUnit => "JUnit report",
            Self::Sarif => "SARIF log",
            Self::Grype => "Grype report",
            Self::Trivy => "Trivy report",
            Self::ScanReport => "vulnerability report",
            Self::Spdx => "SPDX document",
            Self::CycloneDx => "CycloneDX BOM",
            Self::Sbom => "SBOM",
        }
    }
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Why a predicate could not be generated from a report.
///
/// Every message is one line that starts with the input format and names
/// the element or field at fault (a JSON path such as
/// `matches[3].vulnerability.id`, or an XML element and its line).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// The input is larger than [`MAX_INPUT_BYTES`].
    #[error("{format}: the input is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge {
        /// The report's format.
        format: InputFormat,
        /// The input's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The input is not UTF-8.
    #[error("{format}: the input is not UTF-8 (line {line}, byte {offset})")]
    NotUtf8 {
        /// The report's format.
        format: InputFormat,
        /// The line of the first invalid byte.
        line: usize,
        /// The offset of the first invalid byte.
        offset: usize,
    },
    /// The input is not JSON (or nests deeper than the parser allows).
    #[error("{format}: not valid JSON at line {line}, column {column}")]
    Json {
        /// The report's format.
        format: InputFormat,
        /// Where the parser stopped.
        line: usize,
        /// Where the parser stopped.
        column: usize,
        /// The parser's reason.
        #[source]
        source: serde_json::Error,
    },
    /// The input is not well-formed XML.
    #[error("{format}: not well-formed XML at line {line}")]
    Xml {
        /// The report's format.
        format: InputFormat,
        /// Where the reader stopped.
        line: usize,
        /// The reader's reason.
        #[source]
        source: quick_xml::Error,
    },
    /// The XML document ends before its elements are closed.
    #[error("{format}: the document ends inside <{element}> (truncated?)")]
    XmlTruncated {
        /// The report's format.
        format: InputFormat,
        /// The innermost open element.
        element: String,
    },
    /// The XML document nests elements deeper than the reader allows.
    #[error("{format}: <{element}> at line {line} is nested deeper than {limit} elements")]
    XmlTooDeep {
        /// The report's format.
        format: InputFormat,
        /// The element that went past the limit.
        element: String,
        /// Its line.
        line: usize,
        /// The limit.
        limit: usize,
    },
    /// The XML document's root element is not one the format has.
    #[error("{format}: the root element is <{found}>, expected {expected}")]
    WrongRoot {
        /// The report's format.
        format: InputFormat,
        /// The root element found.
        found: String,
        /// What the format's root is.
        expected: &'static str,
    },
    /// The XML document has no element at all.
    #[error("{format}: the document has no root element")]
    XmlNoRoot {
        /// The report's format.
        format: InputFormat,
    },
    /// An XML element follows the root element.
    #[error("{format}: <{element}> at line {line} follows the root element")]
    XmlAfterRoot {
        /// The report's format.
        format: InputFormat,
        /// The element.
        element: String,
        /// Its line.
        line: usize,
    },
    /// An XML element lacks a required attribute (or it is empty).
    #[error("{format}: <{element}> at line {line} has no {attribute} attribute")]
    MissingAttribute {
        /// The report's format.
        format: InputFormat,
        /// The element.
        element: String,
        /// Its line.
        line: usize,
        /// The attribute.
        attribute: &'static str,
    },
    /// An XML attribute could not be read (a malformed attribute or an
    /// unknown entity).
    #[error("{format}: the {attribute} attribute of <{element}> at line {line} is malformed")]
    BadAttribute {
        /// The report's format.
        format: InputFormat,
        /// The element.
        element: String,
        /// Its line.
        line: usize,
        /// The attribute.
        attribute: &'static str,
    },
    /// A test report holds no test cases: nothing was tested, which is not a
    /// pass.
    #[error("{format}: the report has no test cases")]
    NoTestCases {
        /// The report's format.
        format: InputFormat,
    },
    /// A required JSON field is missing.
    #[error("{format}: {field} is missing")]
    MissingField {
        /// The report's format.
        format: InputFormat,
        /// The field's path.
        field: String,
    },
    /// A JSON field has the wrong type.
    #[error("{format}: {field} is not {expected}")]
    WrongType {
        /// The report's format.
        format: InputFormat,
        /// The field's path.
        field: String,
        /// What it must be.
        expected: &'static str,
    },
    /// A JSON field has a value the format does not allow.
    #[error("{format}: {field} is {value:?}, {problem}")]
    InvalidValue {
        /// The report's format.
        format: InputFormat,
        /// The field's path.
        field: String,
        /// The value found (cut to 100 characters).
        value: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The document's format version is not one this generator reads.
    #[error("{format}: {field} is {version:?}; supported: {supported}")]
    UnsupportedVersion {
        /// The report's format.
        format: InputFormat,
        /// The version field's path.
        field: String,
        /// The version found (cut to 100 characters).
        version: String,
        /// The versions supported.
        supported: &'static str,
    },
    /// The input is JSON but not any of the formats the generator reads.
    #[error("{format}: the document is none of {expected} ({hint})")]
    UnknownFormat {
        /// What kind of report was expected.
        format: InputFormat,
        /// The formats read.
        expected: &'static str,
        /// What marks each format.
        hint: &'static str,
    },
    /// A vulnerability report names more than one scanner (SARIF runs of
    /// different tools); one predicate has one scanner.
    #[error(
        "{format}: {field} is {found:?} but an earlier run's tool is {first:?}; \
         one predicate describes one scanner"
    )]
    MixedScanners {
        /// The report's format.
        format: InputFormat,
        /// The field's path.
        field: String,
        /// The first scanner's name.
        first: String,
        /// The other scanner's name.
        found: String,
    },
}

/// Refuses inputs over [`MAX_INPUT_BYTES`].
fn check_size(format: InputFormat, input: &[u8]) -> Result<(), GenerateError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(GenerateError::TooLarge {
            format,
            size: input.len(),
            limit: MAX_INPUT_BYTES,
        });
    }
    Ok(())
}

/// The 1-based line of byte `offset` of `input`.
fn line_at(input: &[u8], offset: usize) -> usize {
    let end = offset.min(input.len());
    1 + input[..end].iter().filter(|b| **b == b'\n').count()
}

/// Parses a JSON document, bounded in size.
fn parse_json(format: InputFormat, input: &[u8]) -> Result<Value, GenerateError> {
    check_size(format, input)?;
    serde_json::from_slice(input).map_err(|source| GenerateError::Json {
        format,
        line: source.line(),
        column: source.column(),
        source,
    })
}

/// Parses a JSON document whose top level must be an object.
fn parse_json_object(
    format: InputFormat,
    input: &[u8],
) -> Result<Map<String, Value>, GenerateError> {
    match parse_json(format, input)? {
        Value::Object(map) => Ok(map),
        _ => Err(GenerateError::WrongType {
            format,
            field: "the top level".to_owned(),
            expected: "an object",
        }),
    }
}

/// A value cut to 100 characters for a message.
fn excerpt(value: &str) -> String {
    const MAX: usize = 100;
    match value.char_indices().nth(MAX) {
        None => value.to_owned(),
        Some((end, _)) => format!("{}...", &value[..end]),
    }
}

/// Typed reads of JSON fields that name the field's path in errors.
#[derive(Clone, Copy)]
struct Json {
    format: InputFormat,
}

impl Json {
    fn missing(self, field: String) -> GenerateError {
        GenerateError::MissingField {
            format: self.format,
            field,
        }
    }

    fn wrong(self, field: String, expected: &'static str) -> GenerateError {
        GenerateError::WrongType {
            format: self.format,
            field,
            expected,
        }
    }

    fn invalid(self, field: String, value: &str, problem: &'static str) -> GenerateError {
        GenerateError::InvalidValue {
            format: self.format,
            field,
            value: excerpt(value),
            problem,
        }
    }

    /// `map[key]` as an object; absent or null is `None`.
    fn opt_object<'a>(
        self,
        map: &'a Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<Option<&'a Map<String, Value>>, GenerateError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o)),
            Some(_) => Err(self.wrong(join(path, key), "an object")),
        }
    }

    /// `map[key]` as an array; absent or null is an empty slice.
    fn opt_array<'a>(
        self,
        map: &'a Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<&'a [Value], GenerateError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(a)) => Ok(a),
            Some(_) => Err(self.wrong(join(path, key), "an array")),
        }
    }

    /// `map[key]` as an array, required.
    fn req_array<'a>(
        self,
        map: &'a Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<&'a [Value], GenerateError> {
        match map.get(key) {
            None | Some(Value::Null) => Err(self.missing(join(path, key))),
            Some(Value::Array(a)) => Ok(a),
            Some(_) => Err(self.wrong(join(path, key), "an array")),
        }
    }

    /// `map[key]` as a string; absent, null or empty is `None`.
    fn opt_str<'a>(
        self,
        map: &'a Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<Option<&'a str>, GenerateError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.wrong(join(path, key), "a string")),
        }
    }

    /// `map[key]` as a non-empty string, required.
    fn req_str<'a>(
        self,
        map: &'a Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<&'a str, GenerateError> {
        self.opt_str(map, key, path)?
            .ok_or_else(|| self.missing(join(path, key)))
    }

    /// `value` (at `path`) as an object.
    fn object<'a>(
        self,
        value: &'a Value,
        path: &str,
    ) -> Result<&'a Map<String, Value>, GenerateError> {
        value
            .as_object()
            .ok_or_else(|| self.wrong(display_path(path), "an object"))
    }

    /// `map[key]` as a string or a number, as text (scores and schema
    /// versions are written either way); absent or null is `None`.
    fn opt_text(
        self,
        map: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<Option<String>, GenerateError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(self.wrong(join(path, key), "a string or a number")),
        }
    }

    /// `map[key]` as an RFC 3339 timestamp, kept as written; absent, null or
    /// empty is `None`.
    fn opt_timestamp(
        self,
        map: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<Option<String>, GenerateError> {
        let Some(text) = self.opt_str(map, key, path)? else {
            return Ok(None);
        };
        if chrono::DateTime::parse_from_rfc3339(text).is_err() {
            return Err(self.invalid(join(path, key), text, "not an RFC 3339 timestamp"));
        }
        Ok(Some(text.to_owned()))
    }
}

/// `path.key`, or `key` at the top level.
fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// `path[index]`.
fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

fn display_path(path: &str) -> String {
    if path.is_empty() {
        "the top level".to_owned()
    } else {
        path.to_owned()
    }
}

#[cfg(test)]
mod tests;
