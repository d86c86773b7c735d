//! in-toto test-result v0.1: the outcome of a test run.

use std::fmt;

use serde_json::{Map, Value};

use super::read::{Obj, Path, one_of};
use crate::error::ModelError;
use crate::statement::ResourceDescriptor;

/// `result` of a test run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TestOutcome {
    /// Every test passed.
    Passed,
    /// No test failed, and some gave warnings (or were skipped).
    Warned,
    /// A test failed.
    Failed,
}

impl TestOutcome {
    /// The spec's word: `PASSED`, `WARNED` or `FAILED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "PASSED",
            Self::Warned => "WARNED",
            Self::Failed => "FAILED",
        }
    }

    /// The outcome of a run with these counts of warned and failed tests.
    pub fn of_counts(warned: usize, failed: usize) -> Self {
        if failed > 0 {
            Self::Failed
        } else if warned > 0 {
            Self::Warned
        } else {
            Self::Passed
        }
    }
}

impl fmt::Display for TestOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A test-result v0.1 predicate.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TestResult {
    /// The run's result.
    pub result: TestOutcome,
    /// The configuration the tests ran with.
    pub configuration: Vec<ResourceDescriptor>,
    /// A link to the test run.
    pub url: Option<String>,
    /// Names of the tests that passed.
    pub passed_tests: Vec<String>,
    /// Names of the tests that gave warnings.
    pub warned_tests: Vec<String>,
    /// Names of the tests that failed.
    pub failed_tests: Vec<String>,
}

impl TestResult {
    /// A result with the given test names; `result` follows from them.
    pub fn new(passed: Vec<String>, warned: Vec<String>, failed: Vec<String>) -> Self {
        Self {
            result: TestOutcome::of_counts(warned.len(), failed.len()),
            configuration: Vec::new(),
            url: None,
            passed_tests: passed,
            warned_tests: warned,
            failed_tests: failed,
        }
    }

    /// Reads and checks a predicate.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn from_predicate(predicate: &Map<String, Value>) -> Result<Self, ModelError> {
        let root = Path::new("predicate");
        let p = Obj::new(predicate, &root);
        let result = match one_of(
            p.string("result")?,
            &["PASSED", "WARNED", "FAILED"],
            p.path("result"),
            "must be PASSED, WARNED or FAILED",
        )? {
            "PASSED" => TestOutcome::Passed,
            "WARNED" => TestOutcome::Warned,
            _ => TestOutcome::Failed,
        };
        p.list("configuration")?;
        Ok(Self {
            result,
            configuration: p.descriptors("configuration")?,
            url: p.opt_string("url")?.map(str::to_owned),
            passed_tests: p.strings("passedTests")?,
            warned_tests: p.strings("warnedTests")?,
            failed_tests: p.strings("failedTests")?,
        })
    }

    /// The predicate's JSON object.
    pub fn to_predicate(&self) -> Map<String, Value> {
        let names =
            |list: &[String]| Value::Array(list.iter().cloned().map(Value::String).collect());
        let mut out = Map::new();
        out.insert("result".into(), Value::String(self.result.as_str().into()));
        out.insert(
            "configuration".into(),
            Value::Array(
                self.configuration
                    .iter()
                    .map(ResourceDescriptor::to_value)
                    .collect(),
            ),
        );
        if let Some(url) = &self.url {
            out.insert("url".into(), Value::String(url.clone()));
        }
        out.insert("passedTests".into(), names(&self.passed_tests));
        out.insert("warnedTests".into(), names(&self.warned_tests));
        out.insert("failedTests".into(), names(&self.failed_tests));
        out
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn round_trips_and_checks_the_result_word() {
        let t = TestResult::new(vec!["a".into()], vec![], vec!["b".into()]);
        assert_eq!(t.result, TestOutcome::Failed);
        assert_eq!(TestResult::from_predicate(&t.to_predicate()).unwrap(), t);
        let Value::Object(bad) = json!({"result": "OK", "configuration": []}) else {
            unreachable!()
        };
        let err = TestResult::from_predicate(&bad).unwrap_err();
        assert_eq!(
            err.to_string(),
            "field `predicate.result` must be PASSED, WARNED or FAILED"
        );
        let Value::Object(bad) = json!({"result": "PASSED"}) else {
            unreachable!()
        };
        assert_eq!(
            TestResult::from_predicate(&bad).unwrap_err().to_string(),
            "required field `predicate.configuration` is missing"
        );
    }
}
