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

/// A step or inspection name that can be part of a file or folder name:
/// checked by [`check_item_name`] when it is made, so a name taken from
/// metadata cannot become a path unchecked. The functions that make file
/// names from a step name ([`crate::link_file_name`] and its siblings)
/// take a `StepName`.
///
/// ```
/// use intoto_model::StepName;
///
/// assert_eq!(StepName::new("build").unwrap().as_str(), "build");
/// assert!(StepName::new("../../etc/x").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StepName(String);

/// As the name's string (`"build"`), so messages quote it as they quote
/// names.
impl std::fmt::Debug for StepName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.0, f)
    }
}

impl StepName {
    /// `name`, if it can name a step or inspection.
    ///
    /// # Errors
    ///
    /// The [`NameProblem`].
    pub fn new(name: &str) -> Result<Self, NameProblem> {
        check_item_name(name)?;
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for StepName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for StepName {
    type Err = NameProblem;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl AsRef<str> for StepName {
    fn as_ref(&self) -> &str {
        &self.0
    }
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
            assert_eq!(StepName::new(name), Err(problem), "{name:?}");
        }
    }
}
