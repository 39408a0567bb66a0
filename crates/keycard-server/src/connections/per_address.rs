//! Connections held per client address: past [`PerAddress::max`], a new connection from
//! the same address (IPv4, or IPv6 /64, as the login limits count them) is closed as soon
//! as it is accepted. Against one host holding every slot of `max_connections` (slow
//! headers, or simply many idle keep-alive connections), so that clients elsewhere are
//! still accepted. Connections from a trusted proxy are not counted: a proxy carries many
//! clients, and buffering them is its job.
//!
//! The count lives in this process: N instances behind a load balancer allow N times as
//! many, which is what each instance's slots need. The table holds an entry only while an
//! address has a connection open, so it is never larger than `max_connections`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use keycard_auth::limiter::ip_key;

use crate::config::TrustedProxies;

/// The per-address limit and the addresses it spares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PerAddress {
    /// Connections one address may hold at once; 0 turns the limit off.
    pub max: usize,
    /// Addresses not counted (the trusted proxies).
    pub exempt: TrustedProxies,
}

/// Open connections by address key (`ip_key`); an address with none has no entry.
type OpenByAddress = Arc<Mutex<HashMap<u128, usize>>>;

/// The open connections by address.
#[derive(Debug)]
pub(super) struct Holders {
    limit: PerAddress,
    open: OpenByAddress,
}

/// One admitted connection's place in the count, given back when it drops.
#[derive(Debug)]
pub(super) struct Held {
    slot: Option<(u128, OpenByAddress)>,
}

impl Holders {
    pub(super) fn new(limit: PerAddress) -> Self {
        Self {
            limit,
            open: Arc::default(),
        }
    }

    /// Counts a connection from `ip`, or `None` if the address already holds the most.
    pub(super) fn admit(&self, ip: IpAddr) -> Option<Held> {
        if self.limit.max == 0 || self.limit.exempt.contains(ip) {
            return Some(Held { slot: None });
        }
        let key = ip_key(ip);
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(key).or_insert(0);
        if *count >= self.limit.max {
            return None;
        }
        *count += 1;
        Some(Held {
            slot: Some((key, Arc::clone(&self.open))),
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let Some((key, open)) = self.slot.take() else {
            return;
        };
        let mut open = open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn holders(max: usize, exempt: &str) -> Holders {
        Holders::new(PerAddress {
            max,
            exempt: exempt.parse().unwrap(),
        })
    }

    #[test]
    fn an_address_past_its_limit_is_refused_and_others_are_not() {
        let holders = holders(2, "");
        let first = holders.admit(ip("192.0.2.1")).unwrap();
        let _second = holders.admit(ip("192.0.2.1")).unwrap();
        assert!(holders.admit(ip("192.0.2.1")).is_none());
        assert!(holders.admit(ip("192.0.2.2")).is_some());
        drop(first);
        assert!(holders.admit(ip("192.0.2.1")).is_some());
    }

    #[test]
    fn an_ipv6_host_counts_as_its_64() {
        let holders = holders(1, "");
        let _held = holders.admit(ip("2001:db8:0:1::1")).unwrap();
        assert!(holders.admit(ip("2001:db8:0:1::2")).is_none());
        assert!(holders.admit(ip("2001:db8:0:2::1")).is_some());
    }

    #[test]
    fn an_ipv4_mapped_address_counts_as_the_ipv4_one() {
        let holders = holders(1, "");
        let _held = holders.admit(ip("192.0.2.1")).unwrap();
        assert!(holders.admit(ip("::ffff:192.0.2.1")).is_none());
    }

    #[test]
    fn trusted_proxies_and_a_zero_limit_are_not_counted() {
        let holders = holders(1, "10.0.0.0/8");
        let held: Vec<_> = (0..5).map(|_| holders.admit(ip("10.1.2.3"))).collect();
        assert!(held.iter().all(Option::is_some));
        let off = self::holders(0, "");
        let held: Vec<_> = (0..5).map(|_| off.admit(ip("192.0.2.1"))).collect();
        assert!(held.iter().all(Option::is_some));
        assert!(off.open.lock().unwrap().is_empty());
    }

    #[test]
    fn the_table_forgets_addresses_with_nothing_open() {
        let holders = holders(3, "");
        let held: Vec<_> = (1..=50)
            .map(|n| holders.admit(ip(&format!("192.0.2.{n}"))).unwrap())
            .collect();
        assert_eq!(holders.open.lock().unwrap().len(), 50);
        drop(held);
        assert!(holders.open.lock().unwrap().is_empty());
    }
}
