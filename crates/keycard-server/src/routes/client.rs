//! Who is on the other end of a request: its `User-Agent`, and its address.
//!
//! The address is the connection's peer, unless that peer is one of the configured
//! `trusted_proxies`: then the forwarded chain (`Forwarded`, RFC 7239, or else
//! `X-Forwarded-For`) is read from the right, each hop a proxy appended, skipping trusted
//! proxies; the first address that is not one of them is the client. Anything left of it
//! was written by the client and is not believed. Without trusted proxies the headers are
//! ignored entirely: any client can write them. The address feeds the per-address limits,
//! audit events and session lists.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use keycard_auth::client::client_meta;
use keycard_core::session::ClientMeta;

use crate::config::TrustedProxies;
use crate::state::AppState;

/// The client's `User-Agent`, address and label.
#[derive(Debug)]
pub struct Client(pub ClientMeta);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        let ip =
            peer.map(|peer| client_ip(peer, &parts.headers, &state.settings().trusted_proxies));
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok());
        Ok(Self(client_meta(user_agent, ip)))
    }
}

/// The client's address: `peer`, or, when `peer` is a trusted proxy, the rightmost
/// untrusted hop of the forwarded chain.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if trusted.is_empty() || !trusted.contains(peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_chain(headers).into_iter().rev() {
        let Some(hop) = hop else {
            // A hop that is not an address (`unknown`, an obfuscated name, garbage): the
            // chain cannot be followed past it; the last trusted hop stands.
            return client;
        };
        client = hop.to_canonical();
        if !trusted.contains(client) {
            return client;
        }
    }
    client
}

/// The forwarded hops, leftmost first: `Forwarded`'s `for=` parameters if that header is
/// present, else `X-Forwarded-For`'s entries. `None` stands for a hop that is not an
/// address.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let lines = |name| {
        headers
            .get_all(name)
            .iter()
            .map(|value| value.to_str().unwrap_or("unknown"))
            .flat_map(|line| line.split(','))
            .map(str::trim)
            .collect::<Vec<_>>()
    };
    let forwarded = lines(header::FORWARDED);
    if !forwarded.is_empty() {
        return forwarded
            .into_iter()
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.trim().split_once('='))
                    .find(|(key, _)| key.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, node)| parse_node(node.trim()))
            })
            .collect();
    }
    lines(header::HeaderName::from_static("x-forwarded-for"))
        .into_iter()
        .map(parse_node)
        .collect()
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]:4711`, optionally in double quotes.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim_matches('"');
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = node.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    let bracketed = node.strip_prefix('[')?.split(']').next()?;
    bracketed.parse().ok()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn without_trusted_proxies_the_headers_are_ignored() {
        let forged = headers(&[("x-forwarded-for", "203.0.113.9")]);
        let none = TrustedProxies::default();
        assert_eq!(
            client_ip(ip("198.51.100.7"), &forged, &none),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn a_trusted_proxy_is_believed_and_the_client_is_the_rightmost_untrusted_hop() {
        let trusted: TrustedProxies = "127.0.0.1, 10.0.0.0/8".parse().unwrap();
        let proxy = ip("127.0.0.1");
        // The client wrote a forged first entry; the proxies appended the real ones.
        let chain = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.1.1.1")]);
        assert_eq!(client_ip(proxy, &chain, &trusted), ip("203.0.113.9"));
        // An untrusted peer's header is not believed.
        assert_eq!(
            client_ip(ip("192.0.2.5"), &chain, &trusted),
            ip("192.0.2.5")
        );
        // No header: the proxy itself.
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &trusted), proxy);
    }

    #[test]
    fn forwarded_wins_over_x_forwarded_for_and_ports_and_brackets_are_read() {
        let trusted: TrustedProxies = "127.0.0.1".parse().unwrap();
        let both = headers(&[
            (
                "forwarded",
                r#"for=192.0.2.60;proto=http, for="[2001:db8:cafe::17]:4711""#,
            ),
            ("x-forwarded-for", "203.0.113.1"),
        ]);
        assert_eq!(
            client_ip(ip("127.0.0.1"), &both, &trusted),
            ip("2001:db8:cafe::17")
        );
        let with_port = headers(&[("x-forwarded-for", "192.0.2.61:5555")]);
        assert_eq!(
            client_ip(ip("127.0.0.1"), &with_port, &trusted),
            ip("192.0.2.61")
        );
    }

    #[test]
    fn an_unreadable_hop_stops_the_walk_at_the_last_trusted_one() {
        let trusted: TrustedProxies = "127.0.0.1, 10.0.0.2".parse().unwrap();
        let chain = headers(&[("x-forwarded-for", "203.0.113.9, garbage, 10.0.0.2")]);
        assert_eq!(client_ip(ip("127.0.0.1"), &chain, &trusted), ip("10.0.0.2"));
    }
}
