//! The value types of the server's own settings; the auth service's (durations, secrets,
//! clients, mode) are in `keycard_auth::settings`. Each parses the same text from a flag,
//! an environment variable or the TOML file, so the three sources cannot disagree on a
//! format.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use keycard_store::open::{OpenError, StoreUrl};
use serde::Deserialize;
use zeroize::Zeroizing;

/// A signing algorithm as configuration names it (`EdDSA`, `ES256`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlgorithmName(pub keycard_core::Algorithm);

impl FromStr for AlgorithmName {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        text.trim()
            .parse()
            .map(Self)
            .map_err(|e: keycard_core::jose::UnknownAlgorithm| e.to_string())
    }
}

impl<'de> Deserialize<'de> for AlgorithmName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A store URL as configuration names it. `Debug` shows the scheme only: URLs may carry
/// passwords.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreUrlArg(pub StoreUrl);

impl FromStr for StoreUrlArg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        text.parse().map(Self).map_err(|e: OpenError| e.to_string())
    }
}

impl<'de> Deserialize<'de> for StoreUrlArg {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(deserializer)?);
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The reverse proxies whose forwarded-address headers are believed: a list of CIDR
/// blocks (`10.0.0.0/8`) or single addresses (`127.0.0.1`), comma-separated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Whether `ip` is one of the trusted proxies (IPv4-mapped IPv6 compared as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Whether none is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromStr for TrustedProxies {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        text.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{entry:?} is not an address or a CIDR block"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }
}

impl<'de> Deserialize<'de> for TrustedProxies {
    /// A TOML string (`"10.0.0.0/8, ::1"`) or an array of strings.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        let text = match Raw::deserialize(deserializer)? {
            Raw::One(text) => text,
            Raw::Many(entries) => entries.join(","),
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_are_cidr_blocks_or_addresses() {
        let proxies: TrustedProxies = "10.0.0.0/8, 127.0.0.1, ::1".parse().unwrap();
        assert!(proxies.contains("10.1.2.3".parse().unwrap()));
        assert!(proxies.contains("127.0.0.1".parse().unwrap()));
        assert!(proxies.contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(proxies.contains("::1".parse().unwrap()));
        assert!(!proxies.contains("127.0.0.2".parse().unwrap()));
        assert!(!proxies.contains("192.0.2.1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        assert!("proxy.local".parse::<TrustedProxies>().is_err());
        assert!("".parse::<TrustedProxies>().unwrap().is_empty());
    }
}
