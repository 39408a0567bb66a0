//! Showing JWT dates to a person: UTC and "in 14 min" / "2 h ago".

use keycard_core::UnixTime;
use time::OffsetDateTime;
use time::macros::format_description;

/// The instant as `2026-11-24 23:40:00 UTC`, or the raw number if out of range.
pub fn utc(at: UnixTime) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    OffsetDateTime::from_unix_timestamp(at.as_secs())
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| format!("{} (out of range)", at.as_secs()))
}

/// A duration as a person reads it: `45 s`, `14 min`, `2 h`, `3 d`.
pub fn span(secs: i64) -> String {
    let secs = secs.unsigned_abs();
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..86_400 => format!("{} h", secs / 3600),
        _ => format!("{} d", secs / 86_400),
    }
}

/// What a date claim means relative to `now`, e.g. "expires in 14 min".
pub fn relative(claim: &str, at: UnixTime, now: UnixTime) -> String {
    let delta = at.as_secs().saturating_sub(now.as_secs());
    let span = span(delta);
    match (claim, delta > 0) {
        ("exp", true) => format!("expires in {span}"),
        ("exp", false) => format!("expired {span} ago"),
        ("nbf", true) => format!("not valid for another {span}"),
        ("nbf", false) => format!("valid since {span} ago"),
        ("iat", true) => format!("issued {span} in the future"),
        ("iat", false) => format!("issued {span} ago"),
        (_, true) => format!("in {span}"),
        (_, false) => format!("{span} ago"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_naturally() {
        assert_eq!(span(59), "59 s");
        assert_eq!(span(14 * 60 + 5), "14 min");
        assert_eq!(span(-7200), "2 h");
        assert_eq!(span(3 * 86_400), "3 d");
    }

    #[test]
    fn relative_wording() {
        let now = UnixTime::from_secs(10_000);
        assert_eq!(
            relative("exp", UnixTime::from_secs(10_840), now),
            "expires in 14 min"
        );
        assert_eq!(
            relative("exp", UnixTime::from_secs(2_800), now),
            "expired 2 h ago"
        );
        assert_eq!(
            relative("iat", UnixTime::from_secs(9_820), now),
            "issued 3 min ago"
        );
        assert_eq!(
            relative("nbf", UnixTime::from_secs(10_300), now),
            "not valid for another 5 min"
        );
    }

    #[test]
    fn utc_format() {
        assert_eq!(utc(UnixTime::from_secs(0)), "1970-01-01 00:00:00 UTC");
        assert!(utc(UnixTime::from_secs(i64::MAX)).contains("out of range"));
    }
}
