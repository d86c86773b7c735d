//! The path arithmetic of the reference's MATCH rule: POSIX `os.path.join`
//! followed by `.replace("\\", "/")`.

/// `os.path.join(a, b)` on POSIX: an absolute `b` replaces `a`.
fn posix_join(a: &str, b: &str) -> String {
    if b.starts_with('/') {
        b.to_owned()
    } else if a.is_empty() || a.ends_with('/') {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}

/// `os.path.join(prefix, name).replace("\\", "/")`, as the reference builds
/// the full source and destination names of a MATCH rule with a prefix.
pub(super) fn join_prefix(prefix: &str, name: &str) -> String {
    posix_join(prefix, name).replace('\\', "/")
}

/// [`join_prefix`] written into `buf` (cleared first), without allocating
/// once `buf` is large enough.
pub(super) fn join_prefix_into(buf: &mut String, prefix: &str, name: &str) {
    buf.clear();
    if !name.starts_with('/') {
        buf.push_str(prefix);
        if !prefix.is_empty() && !prefix.ends_with('/') {
            buf.push('/');
        }
    }
    buf.push_str(name);
    if buf.contains('\\') {
        *buf = buf.replace('\\', "/");
    }
}

/// `os.path.join(prefix, "").replace("\\", "/")`: the prefix with one
/// trailing `/`, which queued names must start with.
pub(super) fn normalized_prefix(prefix: &str) -> String {
    join_prefix(prefix, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_follows_posixpath() {
        assert_eq!(join_prefix("lib", "a"), "lib/a");
        assert_eq!(join_prefix("lib/", "a"), "lib/a");
        assert_eq!(join_prefix("lib", "/a"), "/a");
        assert_eq!(join_prefix("lib", "a\\b"), "lib/a/b");
        assert_eq!(join_prefix("a\\b", "c"), "a/b/c");
        assert_eq!(normalized_prefix("lib"), "lib/");
        assert_eq!(normalized_prefix("lib/"), "lib/");
        assert_eq!(normalized_prefix("lib\\"), "lib//");
        assert_eq!(normalized_prefix("/"), "/");
        let mut buf = String::from("old");
        for (prefix, name) in [
            ("lib", "a"),
            ("lib/", "a"),
            ("lib", "/a"),
            ("a\\b", "c\\d"),
            ("", "x"),
        ] {
            join_prefix_into(&mut buf, prefix, name);
            assert_eq!(buf, join_prefix(prefix, name), "{prefix:?} {name:?}");
        }
    }
}
