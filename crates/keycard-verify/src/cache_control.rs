//! How long a fetched JWKS may be used: its `Cache-Control: max-age` (RFC 9111 section
//! 5.2.2.1), kept within the verifier's configured bounds. `no-store` and `no-cache` count
//! as no `max-age` at all, so the lower bound applies: a verifier cannot refetch on every
//! request, whatever the issuer says.

use std::time::Duration;

/// The `max-age` of a `Cache-Control` value, unless caching is forbidden (`no-store`,
/// `no-cache`) or the value has none, or an unreadable one.
pub fn max_age(value: &str) -> Option<Duration> {
    let mut max_age = None;
    for directive in value.split(',') {
        let directive = directive.trim();
        let (name, argument) = match directive.split_once('=') {
            Some((name, argument)) => (name.trim(), Some(argument.trim().trim_matches('"'))),
            None => (directive, None),
        };
        if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
            return None;
        }
        if name.eq_ignore_ascii_case("max-age") {
            // A repeated or unreadable max-age is treated as none (RFC 9111 4.2.1).
            let seconds = argument.and_then(|text| text.parse::<u64>().ok());
            if max_age.is_some() || seconds.is_none() {
                return None;
            }
            max_age = seconds.map(Duration::from_secs);
        }
    }
    max_age
}

/// How long to keep a document that said `max_age`, within `(min, max)`.
pub fn lifetime(max_age: Option<Duration>, (min, max): (Duration, Duration)) -> Duration {
    max_age.unwrap_or(min).clamp(min, max.max(min))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn reads_max_age_among_other_directives() {
        assert_eq!(max_age("public, max-age=900"), Some(secs(900)));
        assert_eq!(max_age("MAX-AGE=\"60\", must-revalidate"), Some(secs(60)));
        assert_eq!(max_age("max-age=0"), Some(secs(0)));
        for none in [
            "",
            "public",
            "no-store",
            "max-age=900, no-cache",
            "max-age=-1",
            "max-age=ten",
            "max-age=1, max-age=2",
        ] {
            assert_eq!(max_age(none), None, "{none}");
        }
    }

    #[test]
    fn the_bounds_always_apply() {
        let bounds = (secs(60), secs(3600));
        assert_eq!(lifetime(Some(secs(900)), bounds), secs(900));
        assert_eq!(lifetime(Some(secs(0)), bounds), secs(60));
        assert_eq!(lifetime(Some(secs(86_400)), bounds), secs(3600));
        assert_eq!(lifetime(None, bounds), secs(60));
    }
}
