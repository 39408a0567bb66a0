//! The value types of settings: each parses the same text from a flag, an environment
//! variable or the TOML file, so the three sources cannot disagree on a format.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;
use zeroize::Zeroizing;

/// Where auth state lives (DESIGN.md, "What it is").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// An opaque session id in an HttpOnly cookie; each request looks the session up.
    Session,
    /// A signed access JWT (Bearer); each request verifies the signature.
    Jwt,
    /// A short-lived access JWT plus a rotating refresh token.
    Hybrid,
}

impl Mode {
    /// The name used in configuration and in the configuration document.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::Jwt => "jwt",
            Self::Hybrid => "hybrid",
        }
    }
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim() {
            "session" => Ok(Self::Session),
            "jwt" => Ok(Self::Jwt),
            "hybrid" => Ok(Self::Hybrid),
            other => Err(format!(
                "{other:?} is not a mode: write session, jwt or hybrid"
            )),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether revocations are enforced. `Off` is pure stateless JWT: a token stays valid
/// until it expires, whatever happens to its session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Revocation {
    /// Revoking a session stops its tokens at once.
    On,
    /// Tokens stay valid until they expire.
    Off,
}

impl Revocation {
    /// The name used in configuration.
    pub const fn name(self) -> &'static str {
        match self {
            Self::On => "on",
            Self::Off => "off",
        }
    }
}

impl FromStr for Revocation {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim() {
            "on" => Ok(Self::On),
            "off" => Ok(Self::Off),
            other => Err(format!(
                "{other:?} is not a revocation setting: write on or off"
            )),
        }
    }
}

/// A span of time in whole seconds, written `900`, `900s`, `15m`, `12h` or `30d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seconds(u64);

impl Seconds {
    /// `secs` seconds.
    pub const fn new(secs: u64) -> Self {
        Self(secs)
    }

    /// The span in seconds.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The span in seconds, as the signed type JWT dates use.
    pub fn as_i64(self) -> i64 {
        i64::try_from(self.0).unwrap_or(i64::MAX)
    }

    /// The span as a [`std::time::Duration`].
    pub const fn as_duration(self) -> std::time::Duration {
        std::time::Duration::from_secs(self.0)
    }
}

impl fmt::Display for Seconds {
    /// In the largest unit that divides it exactly (`15m`, `30d`, `90s`): the same text
    /// parses back to the same span.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (value, unit) = match self.0 {
            0 => (0, "s"),
            secs if secs % 86_400 == 0 => (secs / 86_400, "d"),
            secs if secs % 3600 == 0 => (secs / 3600, "h"),
            secs if secs % 60 == 0 => (secs / 60, "m"),
            secs => (secs, "s"),
        };
        write!(f, "{value}{unit}")
    }
}

impl FromStr for Seconds {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let unit_secs = match unit {
            "" | "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => {
                return Err(format!(
                    "{text:?} is not a duration: write 900, 900s, 15m, 12h or 30d"
                ));
            }
        };
        let number: u64 = number
            .parse()
            .map_err(|_| format!("{text:?} is not a duration: write 900, 900s, 15m, 12h or 30d"))?;
        number
            .checked_mul(unit_secs)
            .map(Self)
            .ok_or_else(|| format!("{text:?} is too long"))
    }
}

impl<'de> Deserialize<'de> for Seconds {
    /// A TOML integer (seconds) or a string with a unit.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Secs(u64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Secs(secs) => Ok(Self(secs)),
            Raw::Text(text) => text.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// A secret from configuration (the master key, the admin token). `Debug` and `Display`
/// never show it; [`Secret::expose`] is the one way to read it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// The secret's text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl FromStr for Secret {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Ok(Self(Zeroizing::new(text.trim().to_owned())))
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(deserializer)?);
        Ok(Self(Zeroizing::new(text.trim().to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit() {
        for (text, secs) in [
            ("900", 900),
            ("900s", 900),
            ("15m", 900),
            ("12h", 43_200),
            ("30d", 2_592_000),
        ] {
            assert_eq!(text.parse::<Seconds>().unwrap().get(), secs, "{text}");
        }
        for secs in [0, 30, 90, 900, 43_200, 2_592_000] {
            let text = Seconds::new(secs).to_string();
            assert_eq!(text.parse::<Seconds>().unwrap().get(), secs, "{text}");
        }
        assert_eq!(Seconds::new(900).to_string(), "15m");
        for bad in [
            "",
            "m",
            "15 m",
            "-5",
            "1.5h",
            "15min",
            "99999999999999999999d",
        ] {
            assert!(bad.parse::<Seconds>().is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_never_show() {
        let secret: Secret = "hunter2-hunter2".parse().unwrap();
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert_eq!(secret.expose(), "hunter2-hunter2");
    }
}
