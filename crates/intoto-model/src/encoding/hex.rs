//! Hexadecimal, written once for the workspace: lower-case encoding
//! (digests, keyids, signatures), decoding of either case, and the check
//! in-toto makes of digests and keyids.
//!
//! Table lookups keep the loops free of unpredictable branches: encoding
//! runs once per recorded file, the checks once per artifact read.

/// The lower-case digits.
const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Hex digit values: `0`–`9` and `a`–`f` map to their value, `A`–`F` to
/// their value with bit 4 set (hex, but not lower case), anything else to
/// `0xff`.
const VALUES: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 0x10 | (10 + i as u8);
        i += 1;
    }
    table
};

/// `bytes` as lower-case hex.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    let bytes = bytes.as_ref();
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// The bytes an even number of hex digits (either case) stand for; `None`
/// for an odd number of digits or any other character.
pub fn decode(text: impl AsRef<[u8]>) -> Option<Vec<u8>> {
    let digits = text.as_ref();
    if digits.len() % 2 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(digits.len() / 2);
    let mut seen = 0u8;
    for pair in digits.chunks_exact(2) {
        let (hi, lo) = (VALUES[usize::from(pair[0])], VALUES[usize::from(pair[1])]);
        seen |= hi | lo;
        out.push(((hi & 0x0f) << 4) | (lo & 0x0f));
    }
    (seen & 0x80 == 0).then_some(out)
}

/// The `N` bytes exactly `2 * N` lower-case hex digits stand for (the
/// compact form of a digest); `None` for anything else.
pub fn decode_lower<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    let mut seen = 0u8;
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let (hi, lo) = (VALUES[usize::from(pair[0])], VALUES[usize::from(pair[1])]);
        seen |= hi | lo;
        *byte = (hi << 4) | (lo & 0x0f);
    }
    (seen & 0xf0 == 0).then_some(out)
}

/// Whether `s` is non-empty and all hex digits (either case), as the
/// reference requires of digests and of the keyids a layout lists.
pub fn is_hex(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .fold(0u8, |acc, b| acc | (VALUES[usize::from(b)] & 0x80))
            == 0
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn encodes_lower_case() {
        assert_eq!(encode([0x01, 0x23, 0xab, 0xff]), "0123abff");
        assert_eq!(encode([]), "");
        let bytes: Vec<u8> = (0..32).map(|i| (i % 8) * 0x22 + 0x01).collect();
        assert_eq!(encode(&bytes[..8]), "0123456789abcdef");
    }

    #[test]
    fn decodes_either_case_and_even_lengths_only() {
        assert_eq!(decode("0aFf"), Some(vec![0x0a, 0xff]));
        assert_eq!(decode(""), Some(vec![]));
        assert_eq!(decode("abc"), None);
        assert_eq!(decode("zz"), None);
        assert_eq!(decode("é0"), None);
    }

    #[test]
    fn decode_lower_takes_exact_lower_case_lengths() {
        assert_eq!(decode_lower::<2>("0aff"), Some([0x0a, 0xff]));
        assert_eq!(decode_lower::<2>("0aFf"), None);
        assert_eq!(decode_lower::<2>("0aff00"), None);
        assert_eq!(decode_lower::<2>("0ag0"), None);
    }

    #[test]
    fn hex_checks_agree_with_the_definition() {
        for b in 0..=255u8 {
            let s = String::from_utf8_lossy(&[b]).into_owned();
            assert_eq!(is_hex(&s), b.is_ascii_hexdigit(), "{b}");
            let hex = format!("{}{s}", "a".repeat(63));
            assert_eq!(
                decode_lower::<32>(&hex).is_some(),
                b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
                "{b}"
            );
        }
        for s in ["", "0", "aF", "xyz", "12 3", "é", "abcdefABCDEF0123456789"] {
            assert_eq!(
                is_hex(s),
                !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit()),
                "{s:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let text = encode(&bytes);
            prop_assert!(text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            prop_assert_eq!(decode(&text), Some(bytes.clone()));
            prop_assert_eq!(decode(text.to_uppercase()), Some(bytes));
        }

        #[test]
        fn decodes_what_is_hex(s in "[0-9a-fA-Fg-z]{0,16}") {
            prop_assert_eq!(decode(&s).is_some(), s.len() % 2 == 0 && (s.is_empty() || is_hex(&s)));
        }
    }
}
