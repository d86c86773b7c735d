//! JUnit XML reports to test-result v0.1 predicates
//! (`https://in-toto.io/attestation/test-result/v0.1`).
//!
//! The report's root is `<testsuites>` or a bare `<testsuite>`; suites may
//! nest. Every `<testcase>` counts once, in document order, as:
//!
//! - **failed** when it has a `<failure>` or an `<error>` child;
//! - **warned** when it has a `<skipped>` child (and no failure or error):
//!   the spec's `warnedTests` are tests that "passed with warnings", and a
//!   skipped test did not fail but did not prove anything either, so a
//!   policy that wants every test run can refuse `WARNED`;
//! - **passed** otherwise.
//!
//! Only direct children of `<testcase>` decide its outcome; `<system-out>`,
//! `<system-err>`, `<properties>` and anything else are ignored, as are all
//! attributes but `name` and `classname` (suite counters such as
//! `tests="15"` are not checked against the cases listed).
//!
//! A test's name is `classname.name` when the case has a non-empty
//! `classname` attribute, else `name` (e.g. `tests.test_lib.test_always_pass`).
//! A case without a `name` attribute is an error. Cases that share a name
//! are all listed: nothing is merged.
//!
//! `result` is `FAILED` if any case failed, else `WARNED` if any was
//! warned, else `PASSED`. A report without test cases is an error
//! ([`GenerateError::NoTestCases`]), not a pass.
//!
//! The input must be UTF-8 (a leading byte-order mark is skipped).

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use serde_json::{Map, Value};

use intoto_model::ResourceDescriptor;

use super::{GenerateError, InputFormat, check_size, line_at};

/// The deepest element nesting the reader accepts.
pub const MAX_XML_DEPTH: usize = 256;

const FORMAT: InputFormat = InputFormat::JUnit;

/// The overall result of a test run (the model's type).
pub use intoto_model::predicate::TestOutcome;
use intoto_model::predicate::TestResult;

/// The tests of a report, by outcome, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TestResults {
    /// Tests that passed.
    pub passed: Vec<String>,
    /// Tests that were skipped.
    pub warned: Vec<String>,
    /// Tests with a failure or an error.
    pub failed: Vec<String>,
}

impl TestResults {
    /// Reads a JUnit XML report.
    ///
    /// # Errors
    ///
    /// [`GenerateError`] when the input is too large, not UTF-8, not
    /// well-formed XML, has another root than `<testsuites>` or
    /// `<testsuite>`, has a `<testcase>` without a name, or has no test cases.
    pub fn from_junit(xml: &[u8]) -> Result<Self, GenerateError> {
        check_size(FORMAT, xml)?;
        let text = std::str::from_utf8(xml).map_err(|e| GenerateError::NotUtf8 {
            format: FORMAT,
            line: line_at(xml, e.valid_up_to()),
            offset: e.valid_up_to(),
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        JunitReader::new(text).read()
    }

    /// The overall result.
    pub fn outcome(&self) -> TestOutcome {
        TestOutcome::of_counts(self.warned.len(), self.failed.len())
    }

    /// The number of test cases.
    pub fn total(&self) -> usize {
        self.passed.len() + self.warned.len() + self.failed.len()
    }

    /// The test-result v0.1 predicate: `result`, `configuration`, `url`
    /// (when given), `passedTests`, `warnedTests` and `failedTests`.
    pub fn to_predicate(
        &self,
        configuration: &[ResourceDescriptor],
        url: Option<&str>,
    ) -> Map<String, Value> {
        let mut result = TestResult::new(
            self.passed.clone(),
            self.warned.clone(),
            self.failed.clone(),
        );
        result.configuration = configuration.to_vec();
        result.url = url.map(str::to_owned);
        result.to_predicate()
    }
}

/// Reads a JUnit XML report into a test-result v0.1 predicate.
///
/// `configuration` describes the test configuration used (the spec requires
/// the field; an empty list is written as `[]`), `url` links to the test run.
///
/// # Errors
///
/// As [`TestResults::from_junit`].
pub fn from_junit(
    xml: &[u8],
    configuration: Vec<ResourceDescriptor>,
    url: Option<String>,
) -> Result<Map<String, Value>, GenerateError> {
    Ok(TestResults::from_junit(xml)?.to_predicate(&configuration, url.as_deref()))
}

/// What the reader is inside of.
#[derive(Debug)]
enum Open {
    /// An element that is not a test case (suites, properties, output...).
    Other(String),
    /// A test case, with its name and whether it failed or was skipped.
    Case(Case),
    /// An element inside a test case.
    InCase(String),
}

#[derive(Debug)]
struct Case {
    name: String,
    failed: bool,
    skipped: bool,
}

struct JunitReader<'a> {
    reader: Reader<&'a [u8]>,
    text: &'a str,
    stack: Vec<Open>,
    results: TestResults,
    root_seen: bool,
}

impl<'a> JunitReader<'a> {
    fn new(text: &'a str) -> Self {
        let mut reader = Reader::from_str(text);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        Self {
            reader,
            text,
            stack: Vec::new(),
            results: TestResults::default(),
            root_seen: false,
        }
    }

    fn line(&self, offset: u64) -> usize {
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        line_at(self.text.as_bytes(), offset)
    }

    fn read(mut self) -> Result<TestResults, GenerateError> {
        loop {
            let at = self.reader.buffer_position();
            let event = match self.reader.read_event() {
                Ok(event) => event,
                Err(source) => {
                    let line = self.line(self.reader.error_position());
                    return Err(GenerateError::Xml {
                        format: FORMAT,
                        line,
                        source,
                    });
                }
            };
            match event {
                Event::Start(e) => self.start(&e, at, false)?,
                Event::Empty(e) => self.start(&e, at, true)?,
                Event::End(_) => self.end(),
                Event::Eof => break,
                Event::Text(_)
                | Event::CData(_)
                | Event::Comment(_)
                | Event::Decl(_)
                | Event::PI(_)
                | Event::DocType(_)
                | Event::GeneralRef(_) => {}
            }
        }
        if let Some(open) = self.stack.last() {
            let element = match open {
                Open::Other(name) | Open::InCase(name) => name.clone(),
                Open::Case(_) => "testcase".to_owned(),
            };
            return Err(GenerateError::XmlTruncated {
                format: FORMAT,
                element,
            });
        }
        if !self.root_seen {
            return Err(GenerateError::XmlNoRoot { format: FORMAT });
        }
        if self.results.total() == 0 {
            return Err(GenerateError::NoTestCases { format: FORMAT });
        }
        Ok(self.results)
    }

    fn start(&mut self, e: &BytesStart<'_>, at: u64, empty: bool) -> Result<(), GenerateError> {
        let name = element_name(e);
        if self.stack.is_empty() {
            if self.root_seen {
                return Err(GenerateError::XmlAfterRoot {
                    format: FORMAT,
                    element: name,
                    line: self.line(at),
                });
            }
            self.root_seen = true;
            if name != "testsuites" && name != "testsuite" {
                return Err(GenerateError::WrongRoot {
                    format: FORMAT,
                    found: name,
                    expected: "<testsuites> or <testsuite>",
                });
            }
        }
        if self.stack.len() >= MAX_XML_DEPTH {
            return Err(GenerateError::XmlTooDeep {
                format: FORMAT,
                element: name,
                line: self.line(at),
                limit: MAX_XML_DEPTH,
            });
        }
        let open = match self.stack.last_mut() {
            Some(Open::Case(case)) => {
                match name.as_str() {
                    "failure" | "error" => case.failed = true,
                    "skipped" => case.skipped = true,
                    _ => {}
                }
                Open::InCase(name)
            }
            Some(Open::InCase(_)) => Open::InCase(name),
            Some(Open::Other(_)) | None if name == "testcase" => Open::Case(self.case(e, at)?),
            Some(Open::Other(_)) | None => Open::Other(name),
        };
        self.stack.push(open);
        if empty {
            self.end();
        }
        Ok(())
    }

    fn case(&self, e: &BytesStart<'_>, at: u64) -> Result<Case, GenerateError> {
        let name =
            self.attribute(e, "name", at)?
                .ok_or_else(|| GenerateError::MissingAttribute {
                    format: FORMAT,
                    element: "testcase".to_owned(),
                    line: self.line(at),
                    attribute: "name",
                })?;
        let name = match self.attribute(e, "classname", at)? {
            Some(class) => format!("{class}.{name}"),
            None => name,
        };
        Ok(Case {
            name,
            failed: false,
            skipped: false,
        })
    }

    /// A non-empty attribute's value, with entities and whitespace
    /// normalised as XML 1.0 says.
    fn attribute(
        &self,
        e: &BytesStart<'_>,
        attribute: &'static str,
        at: u64,
    ) -> Result<Option<String>, GenerateError> {
        let bad = || GenerateError::BadAttribute {
            format: FORMAT,
            element: element_name(e),
            line: self.line(at),
            attribute,
        };
        let Some(attr) = e.try_get_attribute(attribute).map_err(|_| bad())? else {
            return Ok(None);
        };
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|_| bad())?;
        Ok((!value.is_empty()).then(|| value.into_owned()))
    }

    fn end(&mut self) {
        if let Some(Open::Case(case)) = self.stack.pop() {
            let list = if case.failed {
                &mut self.results.failed
            } else if case.skipped {
                &mut self.results.warned
            } else {
                &mut self.results.passed
            };
            list.push(case.name);
        }
    }
}

/// An element's name without its namespace prefix.
fn element_name(e: &BytesStart<'_>) -> String {
    let local = e.local_name();
    let name: &str = local.as_ref();
    name.to_owned()
}

#[cfg(test)]
mod tests;
