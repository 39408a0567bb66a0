//! Malformed client credentials on the RFC 7662 / 7009 endpoints: `Authorization: Basic`
//! that is not base64, has no colon, is empty, is not UTF-8, is repeated, is huge, or has
//! the wrong secret; and a body of the wrong type from a valid client.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{Case, request};
use crate::world::{CLIENT_ID, CLIENT_SECRET, World};

pub fn cases(world: &World) -> Vec<Case> {
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let token = format!(
        "token={}",
        world.victim.access.as_deref().unwrap_or("kc_s_x")
    );
    let introspect = |authorization: &[&str]| {
        let mut headers = vec![form];
        headers.extend(authorization.iter().map(|value| ("Authorization", *value)));
        request(
            world,
            "POST",
            "/v1/introspect",
            &headers,
            Some(token.as_bytes()),
        )
    };
    let basic = |text: &[u8]| format!("Basic {}", STANDARD.encode(text));
    let wrong = basic(format!("{CLIENT_ID}:not-the-secret").as_bytes());
    let valid = basic(format!("{CLIENT_ID}:{CLIENT_SECRET}").as_bytes());
    let huge = format!("Basic {}", "QUFB".repeat(2000));
    vec![
        Case::new(
            "Basic that is not base64",
            introspect(&["Basic !!not base64!!"]),
        )
        .expect(401),
        Case::new(
            "Basic without a colon",
            introspect(&[&basic(CLIENT_ID.as_bytes())]),
        )
        .expect(401),
        Case::new("Basic with nothing in it", introspect(&["Basic "])).expect(401),
        Case::new("Basic of an empty pair", introspect(&[&basic(b":")])).expect(401),
        Case::new(
            "Basic that is not UTF-8",
            introspect(&[&basic(b"gate\xffway:\xfe")]),
        )
        .expect(401),
        Case::new("Basic with the wrong secret", introspect(&[&wrong])).expect(401),
        Case::new("Basic twice", introspect(&[&valid, &wrong])).expect(401),
        Case::new("Basic of 8 KB", introspect(&[&huge])).expect(401),
        Case::new("no client credentials", introspect(&[])).expect(401),
        Case::new(
            "revoke with JSON from a valid client",
            request(
                world,
                "POST",
                "/v1/revoke",
                &[
                    ("Authorization", &valid),
                    ("Content-Type", "application/json"),
                ],
                Some(br#"{"token":"kc_s_x"}"#),
            ),
        ),
    ]
}
