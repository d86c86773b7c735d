//! Key identifiers as written in metadata.

use std::fmt;

/// A keyid as it appears in metadata: an opaque string, usually hex.
///
/// Keyids are taken from the metadata, never recomputed to decide trust: the
/// keyid a layout lists a key under is the one that key is known by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct KeyId(String);

impl KeyId {
    /// Wraps a keyid string as written.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The keyid as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the keyid is non-empty hexadecimal, as the reference requires
    /// of the keyids a layout lists keys under.
    pub fn is_hex(&self) -> bool {
        crate::encoding::hex::is_hex(&self.0)
    }

    /// The first eight characters, used in link file names
    /// (`<step>.<keyid[:8]>.link`) and sublayout folders.
    pub fn short(&self) -> &str {
        match self.0.char_indices().nth(8) {
            Some((i, _)) => &self.0[..i],
            None => &self.0,
        }
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for KeyId {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl From<String> for KeyId {
    fn from(s: String) -> Self {
        Self(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_is_the_first_eight_characters() {
        assert_eq!(
            KeyId::new("776a00e29f3559e0141b3b096f696abc6cfb0c657ab40f441132b345b08453f5").short(),
            "776a00e2"
        );
        assert_eq!(KeyId::new("abc").short(), "abc");
    }

    #[test]
    fn hex_check_rejects_empty_and_non_hex() {
        assert!(KeyId::new("0aF9").is_hex());
        assert!(!KeyId::new("").is_hex());
        assert!(!KeyId::new("xyz").is_hex());
    }
}
