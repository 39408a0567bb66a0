//! Message framing an attacker uses to smuggle a second request past a proxy, or to make a
//! parser guess: conflicting `Content-Length` and `Transfer-Encoding`, broken chunks,
//! unknown and unsafe methods, oversized request lines.

use super::{Case, request};
use crate::world::World;

pub fn cases(world: &World) -> Vec<Case> {
    let host = &world.addr;
    let raw = |text: String| text.into_bytes();
    let smuggled = format!("POST /v1/logout HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n");
    let long_path = format!("/v1/sessions/{}", "a".repeat(100 * 1024));
    vec![
        Case::new(
            "Content-Length and Transfer-Encoding together",
            raw(format!(
                "POST /v1/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}"
            )),
        ),
        Case::new(
            "two different Content-Lengths",
            raw(format!(
                "POST /v1/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{{}}"
            )),
        ),
        Case::new(
            "a negative Content-Length",
            raw(format!(
                "POST /v1/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n{{}}"
            )),
        ),
        Case::new(
            "a Content-Length with a sign",
            raw(format!(
                "POST /v1/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: +2\r\n\r\n{{}}"
            )),
        ),
        Case::new(
            "chunked twice",
            raw(format!(
                "POST /v1/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked, chunked\r\n\r\n2\r\n{{}}\r\n0\r\n\r\n"
            )),
        ),
        Case::new(
            "a chunk size that is not hex",
            raw(format!(
                "POST /v1/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n"
            )),
        ),
        Case::new(
            "a chunk longer than it says",
            raw(format!(
                "POST /v1/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n1\r\n{{}}\r\n0\r\n\r\n"
            )),
        ),
        Case::new(
            "a smuggled logout after a GET",
            raw(format!(
                "GET /v1/me HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{smuggled}",
                smuggled.len()
            )),
        )
        .expect(401),
        Case::new("an unknown method", request(world, "FOO", "/v1/me", &[], None)).expect(405),
        Case::new("TRACE", request(world, "TRACE", "/v1/me", &[], None)).expect(405),
        Case::new("a lowercase method", request(world, "get", "/healthz", &[], None)).expect(405),
        Case::new("DELETE on /v1/me", request(world, "DELETE", "/v1/me", &[], None)).expect(405),
        Case::new("PUT on /v1/login", request(world, "PUT", "/v1/login", &[], Some(b"{}"))).expect(405),
        Case::new(
            "CONNECT",
            raw(format!("CONNECT {host} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")),
        ),
        Case::new(
            "HTTP/1.0 without Host",
            raw("GET /v1/me HTTP/1.0\r\n\r\n".to_owned()),
        )
        .expect(401),
        Case::new(
            "an absolute-form target of another host",
            raw(format!(
                "GET http://evil.test/v1/me HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
            )),
        )
        .expect(401),
        Case::new("a 100 KiB request line", request(world, "GET", &long_path, &[], None)),
        Case::new("a request line with no version", raw("GET /v1/me\r\n\r\n".to_owned())),
        Case::new("a TLS handshake instead of a request", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n".to_vec()),
    ]
}
