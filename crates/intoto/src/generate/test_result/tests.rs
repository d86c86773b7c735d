//! JUnit dialects and hostile XML, each an exact outcome or error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

fn results(xml: &str) -> TestResults {
    TestResults::from_junit(xml.as_bytes()).unwrap()
}

fn error(xml: &[u8]) -> GenerateError {
    let err = TestResults::from_junit(xml).unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("JUnit report: "), "{message}");
    assert!(!message.contains('\n'), "{message}");
    err
}

#[test]
fn testsuites_root_with_failure_error_skipped_and_pass() {
    let r = results(
        r#"<?xml version="1.0"?>
<testsuites>
  <testsuite name="s">
    <testcase classname="a.B" name="ok"><system-out>noise</system-out></testcase>
    <testcase classname="a.B" name="fails"><failure message="x">trace</failure></testcase>
    <testcase classname="a.B" name="errs"><error/></testcase>
    <testcase name="skips"><skipped/></testcase>
  </testsuite>
</testsuites>"#,
    );
    assert_eq!(r.passed, ["a.B.ok"]);
    assert_eq!(r.failed, ["a.B.fails", "a.B.errs"]);
    assert_eq!(r.warned, ["skips"]);
    assert_eq!(r.outcome(), TestOutcome::Failed);
}

#[test]
fn bare_testsuite_root_and_nested_suites() {
    let r = results(
        r#"<testsuite name="outer"><testsuite name="inner"><testcase name="deep"/></testsuite>
           <testcase name="shallow"/></testsuite>"#,
    );
    assert_eq!(r.passed, ["deep", "shallow"]);
    assert_eq!(r.outcome(), TestOutcome::Passed);
}

#[test]
fn skipped_only_is_warned_and_failure_beats_skipped() {
    let r = results(
        r#"<testsuite><testcase name="s"><skipped/></testcase><testcase name="p"/></testsuite>"#,
    );
    assert_eq!(r.outcome(), TestOutcome::Warned);
    let r = results(r#"<testsuite><testcase name="x"><skipped/><failure/></testcase></testsuite>"#);
    assert_eq!(r.failed, ["x"]);
    assert!(r.warned.is_empty());
}

#[test]
fn only_direct_children_decide_the_outcome() {
    let r = results(
        r#"<testsuite><testcase name="t"><properties><failure/></properties></testcase></testsuite>"#,
    );
    assert_eq!(r.passed, ["t"]);
}

#[test]
fn duplicate_names_are_all_listed_and_entities_decoded() {
    let r =
        results(r#"<testsuite><testcase name="a&amp;b"/><testcase name="a&amp;b"/></testsuite>"#);
    assert_eq!(r.passed, ["a&b", "a&b"]);
}

#[test]
fn predicate_has_the_spec_fields() {
    let config = ResourceDescriptor::named(
        ".github/workflows/ci.yml",
        [("sha256".to_owned(), "ab".repeat(32))]
            .into_iter()
            .collect(),
    );
    let p = from_junit(
        br#"<testsuite><testcase name="t"><skipped/></testcase></testsuite>"#,
        vec![config],
        Some("https://ci.example/run/1".to_owned()),
    )
    .unwrap();
    assert_eq!(p["result"], "WARNED");
    assert_eq!(p["configuration"][0]["name"], ".github/workflows/ci.yml");
    assert_eq!(p["url"], "https://ci.example/run/1");
    assert_eq!(p["passedTests"], Value::Array(vec![]));
    assert_eq!(p["warnedTests"][0], "t");
    assert_eq!(p["failedTests"], Value::Array(vec![]));
    let keys: Vec<&str> = p.keys().map(String::as_str).collect();
    for key in [
        "result",
        "configuration",
        "url",
        "passedTests",
        "warnedTests",
        "failedTests",
    ] {
        assert!(keys.contains(&key), "{key}");
    }
    let p = from_junit(
        br#"<testsuite><testcase name="t"/></testsuite>"#,
        vec![],
        None,
    )
    .unwrap();
    assert!(!p.contains_key("url"));
    assert_eq!(p["configuration"], Value::Array(vec![]));
}

#[test]
fn testcase_without_name_names_its_line() {
    let err = error(
        b"<testsuites>\n<testsuite>\n\n<testcase classname=\"c\"/>\n</testsuite>\n</testsuites>",
    );
    assert_eq!(
        err.to_string(),
        "JUnit report: <testcase> at line 4 has no name attribute"
    );
    let err = error(br#"<testsuite><testcase name=""/></testsuite>"#);
    assert!(matches!(
        err,
        GenerateError::MissingAttribute {
            attribute: "name",
            ..
        }
    ));
}

#[test]
fn an_empty_report_is_not_a_pass() {
    assert!(matches!(
        error(b"<testsuites/>"),
        GenerateError::NoTestCases { .. }
    ));
    assert!(matches!(
        error(br#"<testsuites><testsuite name="a" tests="0"></testsuite></testsuites>"#),
        GenerateError::NoTestCases { .. }
    ));
}

#[test]
fn wrong_root_and_no_root() {
    let err = error(b"<html><testcase name=\"x\"/></html>");
    assert_eq!(
        err.to_string(),
        "JUnit report: the root element is <html>, expected <testsuites> or <testsuite>"
    );
    assert!(matches!(error(b""), GenerateError::XmlNoRoot { .. }));
    assert!(matches!(
        error(b"<?xml version=\"1.0\"?>\n<!-- c -->"),
        GenerateError::XmlNoRoot { .. }
    ));
    assert!(matches!(
        error(b"<testsuite><testcase name=\"a\"/></testsuite>\n<testsuite/>"),
        GenerateError::XmlAfterRoot { line: 2, .. }
    ));
}

#[test]
fn truncated_and_malformed_xml() {
    let err = error(b"<testsuites><testsuite><testcase name=\"a\"/>");
    assert_eq!(
        err.to_string(),
        "JUnit report: the document ends inside <testsuite> (truncated?)"
    );
    assert!(matches!(
        error(b"<testsuites><testsuite></testsuites>"),
        GenerateError::Xml { line: 1, .. }
    ));
    assert!(matches!(
        error(b"<testsuite><testcase name=\"a"),
        GenerateError::Xml { .. }
    ));
    assert!(matches!(
        error(b"<testsuite><testcase name=\"&bogus;\"/></testsuite>"),
        GenerateError::BadAttribute {
            attribute: "name",
            ..
        }
    ));
}

#[test]
fn entity_declarations_are_not_expanded() {
    let xml = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<testsuite><testcase name="&lol2;"/></testsuite>"#;
    assert!(matches!(error(xml), GenerateError::BadAttribute { .. }));
}

#[test]
fn deep_nesting_is_refused() {
    let depth = MAX_XML_DEPTH + 10;
    let mut xml = "<testsuite>".repeat(depth);
    xml.push_str(&"</testsuite>".repeat(depth));
    assert!(matches!(
        error(xml.as_bytes()),
        GenerateError::XmlTooDeep {
            limit: MAX_XML_DEPTH,
            ..
        }
    ));
}

#[test]
fn non_utf8_is_refused_with_its_line() {
    let err = error(b"<testsuite>\n<testcase name=\"\xff\"/></testsuite>");
    assert!(matches!(
        err,
        GenerateError::NotUtf8 {
            line: 2,
            offset: 28,
            ..
        }
    ));
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let r = results("\u{feff}<testsuite><testcase name=\"t\"/></testsuite>");
    assert_eq!(r.passed, ["t"]);
}
