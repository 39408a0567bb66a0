//! Headers no well-behaved client sends: oversized or too many, NUL and non-UTF-8 bytes,
//! folded lines, duplicate cookies and `Authorization` headers, CRLF smuggled into a path.

use keycard_server::config::Mode;

use super::{Case, request};
use crate::world::World;

/// `raw` headers spliced as is between the request line and the blank line.
fn with_raw_headers(world: &World, path: &str, raw: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        world.addr
    )
    .into_bytes();
    out.extend_from_slice(raw);
    out.extend_from_slice(b"\r\n");
    out
}

pub fn cases(world: &World) -> Vec<Case> {
    let me = |headers: &[(&str, &str)]| request(world, "GET", "/v1/me", headers, None);
    let victim = world.victim.credential(world.mode);
    let attacker = world.attacker.credential(world.mode);
    let huge = "a".repeat(70 * 1024);
    let many: String = (0..150).map(|i| format!("X-Filler-{i}: {i}\r\n")).collect();
    let many_cookies: String = (0..500)
        .map(|i| format!("c{i}=v{i}"))
        .collect::<Vec<_>>()
        .join("; ");
    let long_cookie = format!("__Host-keycard_session=kc_s_{}", "A".repeat(8000));
    let (duplicate_name, victim_value, attacker_value) =
        (victim.0.as_str(), victim.1.as_str(), attacker.1.as_str());
    let mut cases = vec![
        Case::new("a 70 KiB header", me(&[("X-Huge", &huge)])),
        Case::new(
            "150 headers",
            with_raw_headers(world, "/v1/me", many.as_bytes()),
        ),
        Case::new(
            "NUL in a header value",
            with_raw_headers(world, "/v1/me", b"X-Nul: a\0b\r\n"),
        ),
        Case::new(
            "a folded header line",
            with_raw_headers(world, "/v1/me", b"X-Folded: a\r\n  b\r\n"),
        ),
        Case::new(
            "space before the colon",
            with_raw_headers(world, "/v1/me", b"Cookie : a=b\r\n"),
        ),
        Case::new(
            "a header name that is not a token",
            with_raw_headers(world, "/v1/me", b"Coo(kie: a=b\r\n"),
        ),
        Case::new(
            "a cookie that is not UTF-8",
            with_raw_headers(
                world,
                "/v1/me",
                b"Cookie: __Host-keycard_session=kc_s_\xff\xfe\r\n",
            ),
        )
        .expect(401),
        Case::new(
            "a bearer token that is not UTF-8",
            with_raw_headers(world, "/v1/me", b"Authorization: Bearer \xc3\x28abc\r\n"),
        )
        .expect(401),
        Case::new(
            "the victim's credential twice",
            me(&[
                (duplicate_name, victim_value),
                (duplicate_name, victim_value),
            ]),
        )
        .expect(401),
        Case::new(
            "the victim's and the attacker's credentials",
            me(&[
                (duplicate_name, victim_value),
                (duplicate_name, attacker_value),
            ]),
        )
        .expect(401),
        Case::new("two Host headers", me(&[("Host", "evil.test")])).expect(401),
        Case::new("500 cookies", me(&[("Cookie", &many_cookies)])).expect(401),
        Case::new("an 8 KB session cookie", me(&[("Cookie", &long_cookie)])).expect(401),
        Case::new("an empty bearer token", me(&[("Authorization", "Bearer ")])).expect(401),
        Case::new(
            "a bearer scheme and a tab",
            me(&[("Authorization", "Bearer\tabc.def.ghi")]),
        )
        .expect(401),
        Case::new(
            "Basic credentials for /v1/me",
            me(&[("Authorization", "Basic dmljdGltOnB3")]),
        )
        .expect(401),
        Case::new(
            "an unknown scheme",
            me(&[("Authorization", "Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXeg")]),
        )
        .expect(401),
        Case::new(
            "CRLF encoded in the path",
            request(world, "GET", "/v1/me%0d%0aSet-Cookie:%20pwned=1", &[], None),
        )
        .expect(404),
        Case::new("bare LF line endings", {
            format!(
                "GET /v1/me HTTP/1.1\nHost: {}\nConnection: close\n\n",
                world.addr
            )
            .into_bytes()
        })
        .expect(401),
    ];
    if world.mode == Mode::Session {
        cases.push(
            Case::new(
                "the session cookie twice in one header",
                me(&[("Cookie", &format!("{}; {}", victim.1, attacker.1))]),
            )
            .expect(401),
        );
    }
    cases
}
