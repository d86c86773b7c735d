//! Path strings exactly as the reference spells them: Python's
//! `posixpath.normpath` and `os.path.join` on artifact names.

/// Python's `posixpath.normpath`: collapses `.`, empty and (lexically) `..`
/// components; keeps exactly two leading slashes, folds three or more into
/// one; returns `"."` for an empty result.
pub fn normpath(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let initial_slashes = if path.starts_with("//") && !path.starts_with("///") {
        2
    } else if path.starts_with('/') {
        1
    } else {
        0
    };
    let mut comps: Vec<&str> = Vec::new();
    for comp in path.split('/') {
        if comp.is_empty() || comp == "." {
            continue;
        }
        if comp != ".." || (initial_slashes == 0 && comps.is_empty()) || comps.last() == Some(&"..")
        {
            comps.push(comp);
        } else if !comps.is_empty() {
            comps.pop();
        }
    }
    let mut out = "/".repeat(initial_slashes);
    out.push_str(&comps.join("/"));
    if out.is_empty() { ".".to_owned() } else { out }
}

/// `normpath(join(root, rel))` for a root that is already normalised and a
/// relative path made only of plain names (as a directory walk yields).
pub(crate) fn join_normalized(root: &str, rel: &str) -> String {
    if root == "." {
        rel.to_owned()
    } else if root.ends_with('/') {
        format!("{root}{rel}")
    } else {
        format!("{root}/{rel}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normpath_matches_python() {
        // Expected values from CPython 3.11 `posixpath.normpath`.
        let cases = [
            ("", "."),
            (".", "."),
            ("./", "."),
            ("./foo", "foo"),
            ("foo/./bar/", "foo/bar"),
            ("a/../b", "b"),
            ("../a", "../a"),
            ("../../a/..", "../.."),
            ("a/../..", ".."),
            ("/..", "/"),
            ("/../a", "/a"),
            ("//a//b", "//a/b"),
            ("///a", "/a"),
            ("////a/./b/../c", "/a/c"),
            ("a\\b/./c", "a\\b/c"),
            ("file:./x", "file:./x"),
            ("dir:a//b", "dir:a/b"),
            ("/", "/"),
            ("//", "//"),
            ("///", "/"),
        ];
        for (input, expected) in cases {
            assert_eq!(normpath(input), expected, "normpath({input:?})");
        }
    }

    #[test]
    fn join_normalized_handles_roots() {
        assert_eq!(join_normalized(".", "a/b"), "a/b");
        assert_eq!(join_normalized("/", "a"), "/a");
        assert_eq!(join_normalized("//", "a"), "//a");
        assert_eq!(join_normalized("../x", "a"), "../x/a");
    }
}
