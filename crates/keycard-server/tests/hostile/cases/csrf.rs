//! Cross-site requests riding the victim's cookie: no CSRF token, another session's token,
//! `Origin: null`, a foreign origin, `Sec-Fetch-Site: cross-site`. Session mode (the
//! session cookie) and hybrid mode (the refresh cookie); jwt mode has no ambient
//! credential to forge with.

use keycard_server::config::Mode;

use super::{Case, request};
use crate::world::World;

pub fn cases(world: &World) -> Vec<Case> {
    match world.mode {
        Mode::Session => session(world),
        Mode::Hybrid => hybrid(world),
        Mode::Jwt => Vec::new(),
    }
}

fn session(world: &World) -> Vec<Case> {
    let cookie = world.victim.credential(Mode::Session).1;
    let csrf = world.victim.csrf.clone().unwrap_or_default();
    let attackers_csrf = world.attacker.csrf.clone().unwrap_or_default();
    let own = world.server.base.clone();
    let post = |path: &str, headers: &[(&str, &str)], body: Option<&[u8]>| {
        let mut all = vec![("Cookie", cookie.as_str())];
        all.extend_from_slice(headers);
        let mut with_type = all.clone();
        if body.is_some() {
            with_type.push(("Content-Type", "application/json"));
        }
        request(world, "POST", path, &with_type, body)
    };
    let password = br#"{"current_password":"correct horse battery staple","new_password":"a brand new passphrase"}"#;
    let victims_session = world.victim.session_id.clone();
    vec![
        Case::new(
            "logout without the CSRF token",
            post("/v1/logout", &[("Origin", &own)], Some(b"")),
        )
        .expect(403),
        Case::new(
            "logout with another session's CSRF token",
            post(
                "/v1/logout",
                &[("Origin", &own), ("X-CSRF-Token", &attackers_csrf)],
                Some(b""),
            ),
        )
        .expect(403),
        Case::new(
            "logout from Origin: null",
            post(
                "/v1/logout",
                &[("Origin", "null"), ("X-CSRF-Token", &csrf)],
                Some(b""),
            ),
        )
        .expect(403),
        Case::new(
            "logout from a foreign origin",
            post(
                "/v1/logout",
                &[("Origin", "https://evil.test"), ("X-CSRF-Token", &csrf)],
                Some(b""),
            ),
        )
        .expect(403),
        Case::new(
            "logout marked cross-site",
            post(
                "/v1/logout",
                &[("Sec-Fetch-Site", "cross-site"), ("X-CSRF-Token", &csrf)],
                Some(b""),
            ),
        )
        .expect(403),
        Case::new(
            "logout from a look-alike origin",
            post(
                "/v1/logout",
                &[
                    ("Origin", &format!("{own}.evil.test")),
                    ("X-CSRF-Token", &csrf),
                ],
                Some(b""),
            ),
        )
        .expect(403),
        Case::new(
            "sign out everywhere from a foreign origin",
            post(
                "/v1/logout/all",
                &[("Origin", "https://evil.test"), ("X-CSRF-Token", &csrf)],
                Some(b""),
            ),
        )
        .expect(403),
        Case::new(
            "password change from a foreign origin",
            post(
                "/v1/password",
                &[("Origin", "https://evil.test"), ("X-CSRF-Token", &csrf)],
                Some(password),
            ),
        )
        .expect(403),
        Case::new(
            "password change without the CSRF token",
            post("/v1/password", &[("Origin", &own)], Some(password)),
        )
        .expect(403),
        Case::new(
            "a session deleted from a foreign origin",
            request(
                world,
                "DELETE",
                &format!("/v1/sessions/{victims_session}"),
                &[
                    ("Cookie", &cookie),
                    ("Origin", "https://evil.test"),
                    ("X-CSRF-Token", &csrf),
                ],
                None,
            ),
        )
        .expect(403),
    ]
}

fn hybrid(world: &World) -> Vec<Case> {
    let refresh = world.victim.refresh.clone().unwrap_or_default();
    let cookie = format!("__Secure-keycard_refresh={refresh}");
    let post = |origin: Option<&str>, site: Option<&str>| {
        let mut headers = vec![("Cookie", cookie.as_str())];
        if let Some(origin) = origin {
            headers.push(("Origin", origin));
        }
        if let Some(site) = site {
            headers.push(("Sec-Fetch-Site", site));
        }
        request(world, "POST", "/v1/token/refresh", &headers, Some(b""))
    };
    vec![
        Case::new("refresh from Origin: null", post(Some("null"), None)).expect(403),
        Case::new(
            "refresh from a foreign origin",
            post(Some("https://evil.test"), None),
        )
        .expect(403),
        Case::new("refresh marked cross-site", post(None, Some("cross-site"))).expect(403),
        Case::new("logout with the refresh cookie from a foreign origin", {
            request(
                world,
                "POST",
                "/v1/logout",
                &[("Cookie", &cookie), ("Origin", "https://evil.test")],
                Some(b""),
            )
        }),
    ]
}
