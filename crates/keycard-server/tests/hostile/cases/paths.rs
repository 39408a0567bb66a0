//! Path ids an attacker forges: of the wrong length or alphabet, with encoded slashes and
//! dot segments, another user's, and traversal out of the embedded pages.

use super::{Case, request, victim_headers};
use crate::world::{ADMIN_TOKEN, World};

pub fn cases(world: &World) -> Vec<Case> {
    let headers = victim_headers(world);
    let mut signed_in: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let origin = world.server.base.clone();
    signed_in.push(("Origin", &origin));
    let delete = |id: &str| {
        request(
            world,
            "DELETE",
            &format!("/v1/sessions/{id}"),
            &signed_in,
            None,
        )
    };
    let admin = format!("Bearer {ADMIN_TOKEN}");
    let disable = |id: &str| {
        request(
            world,
            "POST",
            &format!("/v1/admin/users/{id}/disable"),
            &[("Authorization", &admin)],
            Some(b""),
        )
    };
    let attackers_session = world.attacker.session_id.clone();
    vec![
        Case::new(
            "a session id with encoded slashes",
            delete("..%2F..%2Fv1%2Fadmin"),
        )
        .expect(404),
        Case::new("a session id of dots", delete("..")),
        Case::new("a session id too short", delete("abc")).expect(404),
        Case::new("a session id too long", delete(&"A".repeat(300))).expect(404),
        Case::new(
            "a session id outside base64url",
            delete("!!!!!!!!!!!!!!!!!!!!!!"),
        )
        .expect(404),
        Case::new("a session id with an encoded NUL", delete("%00")).expect(404),
        Case::new("a session id with invalid percent-encoding", delete("%zz")),
        Case::new("a session id of non-ASCII", delete("%C3%A9%C3%A9")).expect(404),
        Case::new("another user's session id", delete(&attackers_session)).expect(404),
        Case::new(
            "a user id with encoded slashes (admin)",
            disable("..%2F..%2Fusers"),
        )
        .expect(404),
        Case::new("a user id too long (admin)", disable(&"u".repeat(500))).expect(404),
        Case::new(
            "an admin route with a wrong token",
            request(
                world,
                "POST",
                &format!("/v1/admin/users/{}/disable", world.victim.user_id),
                &[(
                    "Authorization",
                    "Bearer not-the-admin-token-0123456789abcdef",
                )],
                Some(b""),
            ),
        )
        .expect(401),
        Case::new(
            "an admin route with the token in a cookie",
            request(
                world,
                "POST",
                &format!("/v1/admin/users/{}/disable", world.victim.user_id),
                &[("Cookie", &format!("admin={ADMIN_TOKEN}"))],
                Some(b""),
            ),
        )
        .expect(401),
        Case::new(
            "a double slash",
            request(world, "GET", "//v1/me", &[], None),
        )
        .expect(404),
        Case::new(
            "a trailing slash",
            request(world, "GET", "/v1/me/", &[], None),
        )
        .expect(404),
        Case::new(
            "dot segments",
            request(world, "GET", "/v1/../v1/me", &[], None),
        )
        .expect(404),
        Case::new(
            "traversal out of the pages",
            request(world, "GET", "/ui/..%2F..%2FCargo.toml", &[], None),
        )
        .expect(404),
        Case::new(
            "dot segments in the pages",
            request(world, "GET", "/ui/../../etc/passwd", &[], None),
        )
        .expect(404),
    ]
}
