//! The hostile requests, by kind. Each is raw bytes, so that anything a client can put on
//! the wire can be sent; each names the status it must get when one status is right, or
//! leaves it to the general rule (a 4xx, as problem+json whenever it has a body).

use keycard_server::config::Mode;

use crate::world::World;

mod bodies;
mod credentials;
mod csrf;
mod framing;
mod headers;
mod oauth_basic;
mod paths;

/// One hostile request.
#[derive(Debug)]
pub struct Case {
    pub name: String,
    pub request: Vec<u8>,
    /// The one right status, when there is one.
    pub status: Option<u16>,
}

impl Case {
    pub fn new(name: impl Into<String>, request: Vec<u8>) -> Self {
        Self {
            name: name.into(),
            request,
            status: None,
        }
    }

    #[must_use]
    pub fn expect(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }
}

/// Every case for the world's mode.
pub fn all(world: &World) -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(bodies::cases(world));
    cases.extend(headers::cases(world));
    cases.extend(framing::cases(world));
    cases.extend(paths::cases(world));
    cases.extend(credentials::cases(world));
    cases.extend(csrf::cases(world));
    cases.extend(oauth_basic::cases(world));
    cases
}

/// A request: the request line, `Host`, `Connection: close`, `headers`, and when `body`
/// is given, its `Content-Length` and the body.
pub fn request(
    world: &World,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", world.addr).into_bytes();
    out.extend_from_slice(b"Connection: close\r\n");
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    if let Some(body) = body {
        out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        out.extend_from_slice(body);
    } else {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A JSON `POST` with the headers a browser page of the server's own origin would send
/// (and, if `signed_in`, the victim's credential and CSRF token).
pub fn post_json(world: &World, path: &str, signed_in: bool, body: &[u8]) -> Vec<u8> {
    let origin = world.server.base.clone();
    let mut headers: Vec<(String, String)> = vec![
        ("Content-Type".into(), "application/json".into()),
        ("Origin".into(), origin),
    ];
    if signed_in {
        headers.extend(victim_headers(world));
    }
    let borrowed: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    request(world, "POST", path, &borrowed, Some(body))
}

/// The victim's credential, and in session mode its CSRF token.
pub fn victim_headers(world: &World) -> Vec<(String, String)> {
    let mut headers = vec![world.victim.credential(world.mode)];
    if world.mode == Mode::Session {
        headers.push((
            "X-CSRF-Token".into(),
            world.victim.csrf.clone().unwrap_or_default(),
        ));
    }
    headers
}
