//! Layout expiry dates (`YYYY-MM-DDTHH:MM:SSZ`, spec §4.2.2).

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};

/// A layout's `expires` value: the instant at and after which the layout is
/// no longer trusted.
///
/// Only the exact form `YYYY-MM-DDTHH:MM:SSZ` is accepted, as the reference
/// does: no fractions, no offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Expires(DateTime<Utc>);

/// An `expires` value not of the form `YYYY-MM-DDTHH:MM:SSZ`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a UTC date and time like 2030-01-31T12:00:00Z, got {0:?}")]
pub struct ExpiresError(pub String);

impl Expires {
    /// Parses the strict in-toto form.
    ///
    /// # Errors
    ///
    /// [`ExpiresError`] on any other form or an impossible date.
    pub fn parse(text: &str) -> Result<Self, ExpiresError> {
        let b = text.as_bytes();
        let shape_ok = b.len() == 20
            && b.iter().enumerate().all(|(i, &c)| match i {
                4 | 7 => c == b'-',
                10 => c == b'T',
                13 | 16 => c == b':',
                19 => c == b'Z',
                _ => c.is_ascii_digit(),
            });
        // chrono reads second 60 as a leap second; Python's datetime, and so
        // the reference, has no such second.
        if !shape_ok || &text[17..19] == "60" {
            return Err(ExpiresError(text.to_owned()));
        }
        NaiveDateTime::parse_from_str(&text[..19], "%Y-%m-%dT%H:%M:%S")
            .map(|naive| Self(naive.and_utc()))
            .map_err(|_| ExpiresError(text.to_owned()))
    }

    /// The instant.
    pub fn at(&self) -> DateTime<Utc> {
        self.0
    }

    /// An expiry at `at`, truncated to whole seconds.
    pub fn from_datetime(at: DateTime<Utc>) -> Self {
        let secs = at.timestamp();
        Self(DateTime::from_timestamp(secs, 0).unwrap_or(at))
    }

    /// Whether the layout has expired at `now`: expiry is at the instant, as
    /// in the reference (`expires <= now`).
    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        self.0 <= now
    }
}

impl fmt::Display for Expires {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%dT%H:%M:%SZ"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_the_strict_form() {
        assert_eq!(
            Expires::parse("2030-11-18T16:06:36Z").unwrap().to_string(),
            "2030-11-18T16:06:36Z"
        );
        for bad in [
            "2030-11-18T16:06:36.5Z",
            "2030-11-18T16:06:36+00:00",
            "2030-11-18 16:06:36Z",
            "2030-02-30T00:00:00Z",
            "2030-11-18T16:06:36z",
            "",
            "２030-11-18T16:06:36Z",
            // A leap second: Python's datetime has none.
            "2030-12-31T23:59:60Z",
        ] {
            assert!(Expires::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn expiry_is_at_the_instant() {
        let e = Expires::parse("2030-01-01T00:00:00Z").unwrap();
        assert!(e.is_expired_at(e.at()));
        assert!(!e.is_expired_at(e.at() - chrono::Duration::seconds(1)));
    }
}
