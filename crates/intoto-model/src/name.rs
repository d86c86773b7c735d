//! Names of steps and inspections. They become parts of file and folder
//! names (`<step>.<keyid[:8]>.link`, `<inspection>.link`, the sublayout
//! folder `<step>.<keyid[:8]>`), so a name must be one plain path
//! component: the reference does not check, and a step called
//! `../../etc/x` or `/proc/self/cwd/links/build` makes it read and write
//! outside its folders.
//!
//! ```
//! use intoto_model::name::check_item_name;
//!
//! assert!(check_item_name("build.v2-ü").is_ok());
//! assert!(check_item_name("../x").is_err());
//! ```

/// Why a name cannot be a step or inspection name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameProblem {
    /// The empty string.
    #[error("is empty")]
    Empty,
    /// `.` or `..`.
    #[error("is a relative folder reference ('.' or '..')")]
    DotName,
    /// A `/` or `\`: the name would be a path.
    #[error("contains a path separator ('/' or '\\')")]
    Separator,
    /// NUL or another control character (C0, DEL, C1).
    #[error("contains a control character")]
    Control,
}

/// Checks that `name` can name a step or inspection: not empty, not `.` or
/// `..`, and without `/`, `\`, NUL or control characters. Dots elsewhere and
/// any other Unicode are fine.
///
/// # Errors
///
/// The [`NameProblem`].
pub fn check_item_name(name: &str) -> Result<(), NameProblem> {
    if name.is_empty() {
        return Err(NameProblem::Empty);
    }
    if name == "." || name == ".." {
        return Err(NameProblem::DotName);
    }
    if name.contains(['/', '\\']) {
        return Err(NameProblem::Separator);
    }
    if name.chars().any(char::is_control) {
        return Err(NameProblem::Control);
    }
    Ok(())
}

/// Whether `keyid` can stand in a file name (`<step>.<keyid[:8]>.link`):
/// the same rule as for names. Layouts list keys under hex keyids, but
/// OpenPGP subkey ids come from inside key dicts.
pub fn is_safe_keyid(keyid: &str) -> bool {
    check_item_name(keyid).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_and_paths_do_not() {
        for ok in ["build", "build.v2-ü", "a b", "...", ".hidden", "x..y"] {
            assert_eq!(check_item_name(ok), Ok(()), "{ok:?}");
        }
        let bad = [
            ("", NameProblem::Empty),
            (".", NameProblem::DotName),
            ("..", NameProblem::DotName),
            ("a/b", NameProblem::Separator),
            ("/etc/passwd", NameProblem::Separator),
            ("../../x", NameProblem::Separator),
            ("a\\b", NameProblem::Separator),
            ("a\0b", NameProblem::Control),
            ("a\nverified", NameProblem::Control),
            ("\u{1b}[2J", NameProblem::Control),
            ("a\u{85}", NameProblem::Control),
            ("a\u{7f}", NameProblem::Control),
        ];
        for (name, problem) in bad {
            assert_eq!(check_item_name(name), Err(problem), "{name:?}");
        }
    }
}
