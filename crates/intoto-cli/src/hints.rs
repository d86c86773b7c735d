//! Hints that name command-line flags. The libraries say what went wrong
//! without naming flags (a server has none); the command line adds the
//! flag that helps, by diagnostic code or by error kind.

use intoto::crypto::SignError;
use intoto::verify::{Code, Diagnostic};

/// The flag a diagnostic code is about, and a hint naming it.
pub(crate) fn for_code(code: Code) -> Option<(&'static str, &'static str)> {
    Some(match code {
        Code::LayoutNoKeys => (
            "--verification-keys",
            "pass the layout owner's public key(s) with --verification-keys (GnuPG keys with --gpg)",
        ),
        Code::ThresholdNotMet => (
            "--link-dir",
            "links are read from the folder --link-dir names (default: the current folder)",
        ),
        Code::InspectionNotRun => (
            "--inspection-timeout",
            "an inspection may run for --inspection-timeout seconds (default: 10)",
        ),
        Code::ParameterMissing => (
            "--param",
            "give each parameter the layout uses with --param NAME=VALUE",
        ),
        Code::InspectionSkipped => (
            "--no-sublayout-inspections",
            "sublayout inspections are not run with --no-sublayout-inspections",
        ),
        _ => return None,
    })
}

/// The flag a diagnostic code of a policy verification is about, and a
/// hint naming it.
pub(crate) fn for_policy_code(code: Code) -> Option<(&'static str, &'static str)> {
    Some(match code {
        Code::ThresholdNotMet | Code::AttestationUnbound => (
            "-a",
            "attestations are read from the folders and bundles -a names: <step>.<keyid8>.json (and .link) files bind to their step by name, bundle lines and other .json files by signer and predicate type",
        ),
        Code::LayoutNoKeys => (
            "--verification-keys",
            "pass the policy owner's public key(s) with --verification-keys",
        ),
        Code::SubjectsMissing => ("--subject", "give each final artifact with --subject FILE"),
        Code::InspectionNotRun => (
            "--inspection-timeout",
            "an inspection may run for --inspection-timeout seconds (default: 10)",
        ),
        _ => return None,
    })
}

/// The hint line printed under a diagnostic (`  hint: ...`), when its code
/// has one and neither its message nor its help names the flag already.
pub(crate) fn line_for(d: &Diagnostic) -> Option<String> {
    hint_line(d, for_code(d.code)?)
}

/// [`line_for`], for a policy verification.
pub(crate) fn policy_line_for(d: &Diagnostic) -> Option<String> {
    hint_line(d, for_policy_code(d.code)?)
}

fn hint_line(d: &Diagnostic, (flag, hint): (&str, &str)) -> Option<String> {
    let said = d.message.contains(flag) || d.help.as_deref().is_some_and(|h| h.contains(flag));
    (!said).then(|| format!("  hint: {hint}"))
}

/// An error and its causes on one line (`a: b: c`), with the flag that
/// helps where the error's kind calls for one.
pub(crate) fn error_text(err: &anyhow::Error) -> String {
    let gpg_in_dsse = err
        .chain()
        .any(|c| matches!(c.downcast_ref::<SignError>(), Some(SignError::GpgInDsse)));
    if gpg_in_dsse {
        format!("{err:#} with --gpg")
    } else {
        format!("{err:#}")
    }
}

#[cfg(test)]
mod tests {
    use intoto::verify::Subject;

    use super::*;

    #[test]
    fn hints_are_added_only_where_no_flag_is_named_yet() {
        let named = Diagnostic::new(Code::LayoutNoKeys, "no key was given", Subject::default())
            .with_help("pass the layout owner's public key(s) with --verification-keys");
        assert_eq!(line_for(&named), None);
        let unnamed = Diagnostic::new(Code::LayoutNoKeys, "no key was given", Subject::default())
            .with_help("pass the layout owner's public key(s)");
        assert!(line_for(&unnamed).is_some_and(|l| l.contains("--verification-keys")));
        for code in [
            Code::ParameterMissing,
            Code::ThresholdNotMet,
            Code::InspectionNotRun,
            Code::InspectionSkipped,
        ] {
            let d = Diagnostic::new(code, "x", Subject::default());
            let (flag, _) = for_code(code).unwrap_or_default();
            assert!(line_for(&d).is_some_and(|l| l.contains(flag)), "{code}");
        }
        let other = Diagnostic::new(Code::ArtifactsDisagree, "x", Subject::default());
        assert_eq!(line_for(&other), None);
    }

    #[test]
    fn openpgp_in_dsse_names_the_flag() {
        let err = anyhow::Error::new(SignError::GpgInDsse).context("cannot sign the link");
        assert!(
            error_text(&err).ends_with("use legacy metadata with --gpg"),
            "{}",
            error_text(&err)
        );
    }
}
