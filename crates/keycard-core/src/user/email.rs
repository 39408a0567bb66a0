//! Email addresses as account names: one account per address however it is typed.
//!
//! Normalisation trims white space, applies NFKC (so full-width and composed forms meet
//! their plain forms), then Unicode default case folding (so `ß` meets `ss` and `K`, the
//! Kelvin sign, meets `k`), then NFKC again, since folding can denormalise. Two spellings
//! that a person would call the same address become the same key.

use std::fmt;

use unicode_normalization::UnicodeNormalization as _;

/// A normalised email address. Equality is equality of the normalised form.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

/// Why an address was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a usable email address: {0}")]
pub struct InvalidEmail(pub &'static str);

/// RFC 5322's specials, which an unquoted local part cannot hold. Quoted local parts
/// (`"a<b"@x.io`) are legal but almost never real, and are refused with them: an account
/// name that is markup or a header fragment is an attack on whatever displays it.
const LOCAL_PART_SPECIALS: &str = "\"(),:;<>@[\\]";

/// The longest address accepted, in bytes after normalisation (RFC 5321's path limit).
pub const MAX_EMAIL_BYTES: usize = 254;

impl Email {
    /// Normalises and checks an address as typed by a person.
    pub fn parse(typed: &str) -> Result<Self, InvalidEmail> {
        let folded = caseless::default_case_fold_str(&typed.trim().nfkc().collect::<String>());
        let normal: String = folded.nfkc().collect();
        if normal.len() > MAX_EMAIL_BYTES {
            return Err(InvalidEmail("longer than 254 bytes"));
        }
        let Some((local, domain)) = normal.rsplit_once('@') else {
            return Err(InvalidEmail("no @"));
        };
        if local.is_empty() || domain.is_empty() {
            return Err(InvalidEmail("empty local part or domain"));
        }
        if normal.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidEmail("white space or control characters"));
        }
        if local.chars().any(|c| LOCAL_PART_SPECIALS.contains(c)) {
            return Err(InvalidEmail(
                "a character only a quoted local part may hold",
            ));
        }
        if domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
            return Err(InvalidEmail("malformed domain"));
        }
        if !domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
        {
            return Err(InvalidEmail(
                "a domain holds letters, digits, hyphens and dots",
            ));
        }
        Ok(Self(normal))
    }

    /// Wraps an address already normalised (read back from a store).
    pub fn from_normalized(normal: impl Into<String>) -> Self {
        Self(normal.into())
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &str, b: &str) {
        assert_eq!(
            Email::parse(a).unwrap(),
            Email::parse(b).unwrap(),
            "{a} vs {b}"
        );
    }

    #[test]
    fn case_and_unicode_forms_meet() {
        same("  Alice@Example.COM ", "alice@example.com");
        same("ＡＬＩＣＥ@example.com", "alice@example.com"); // full-width
        same("stra\u{df}e@example.com", "STRASSE@example.com"); // ß folds to ss
        same("\u{212a}im@example.com", "kim@example.com"); // Kelvin sign
        same("jose\u{301}@example.com", "jos\u{e9}@example.com"); // combining accent
        same("\u{1e9e}@x.io", "ss@x.io"); // capital sharp s
    }

    #[test]
    fn normalisation_is_idempotent() {
        for typed in [
            "Alice@Example.com",
            "ＡＬＩＣＥ@x.io",
            "ǅemal@x.io",
            "ﬃ@x.io",
        ] {
            let once = Email::parse(typed).unwrap();
            assert_eq!(Email::parse(once.as_str()).unwrap(), once, "{typed}");
        }
    }

    #[test]
    fn refuses_what_cannot_be_an_address() {
        for typed in [
            "",
            "alice",
            "@x.io",
            "alice@",
            "a b@x.io",
            "a@x..io",
            "<script>@x.io",
            "a\"b@x.io",
            "a,b@x.io",
            "a;b@x.io",
            "a\\b@x.io",
            "a@x.io>",
            "a@[127.0.0.1]",
            "a@x_y.io",
            "a@.x.io",
            "a\u{0}@x.io",
        ] {
            assert!(Email::parse(typed).is_err(), "{typed:?}");
        }
        assert!(Email::parse(&format!("{}@x.io", "a".repeat(250))).is_err());
    }
}
