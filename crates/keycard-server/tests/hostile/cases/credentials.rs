//! Credentials of the wrong type or forged: a refresh or session token where an access
//! token goes and the reverse, `alg: none`, a key id that is a path, an HMAC signed with
//! the public key, a token of a key the server never had, ids of the right prefix and the
//! wrong length.

use keycard_core::jose::base64url;
use keycard_core::{Algorithm, Key, jwt};
use keycard_server::config::Mode;
use serde_json::json;

use super::{Case, request};
use crate::world::World;

fn unsigned(header: &serde_json::Value, claims: &serde_json::Value) -> String {
    format!(
        "{}.{}.",
        base64url::encode(header.to_string()),
        base64url::encode(claims.to_string())
    )
}

pub fn cases(world: &World) -> Vec<Case> {
    let issuer = world.server.base.clone();
    let claims = json!({
        "iss": issuer, "aud": issuer, "sub": world.victim.user_id,
        "sid": world.victim.session_id, "jti": "hostile", "iat": 1_700_000_000,
        "exp": 4_000_000_000_i64,
    });
    let none = unsigned(&json!({"alg": "none", "typ": "at+jwt"}), &claims);
    let traversal = {
        let key = Key::hmac(
            Algorithm::HS256,
            &[7; 32],
            Some("../../../../dev/null".into()),
        )
        .unwrap();
        jwt::sign(&key, Some("at+jwt"), &claims).unwrap()
    };
    let confused = {
        // The classic confusion: the published key used as an HMAC secret.
        let jwks = world.server.state.auth().keys().public_jwks();
        let published = &jwks["keys"][0];
        let kid = published["kid"].as_str().map(str::to_owned);
        let secret = published.to_string().into_bytes();
        let key = Key::hmac(Algorithm::HS256, &secret, kid).unwrap();
        jwt::sign(&key, Some("at+jwt"), &claims).unwrap()
    };
    let stranger = {
        let key = Key::generate(Algorithm::EdDSA).unwrap();
        jwt::sign(&key, Some("at+jwt"), &claims).unwrap()
    };
    let oversized = format!(
        "{}.{}.{}",
        "e".repeat(7000),
        "e".repeat(7000),
        "e".repeat(100)
    );
    let bearer = |token: &str| {
        request(
            world,
            "GET",
            "/v1/me",
            &[("Authorization", &format!("Bearer {token}"))],
            None,
        )
    };
    let cookie = |value: &str| {
        request(
            world,
            "GET",
            "/v1/me",
            &[("Cookie", &format!("__Host-keycard_session={value}"))],
            None,
        )
    };
    let victim = &world.victim;
    let mut cases = vec![
        Case::new("alg none", bearer(&none)).expect(401),
        Case::new("a key id that is a path", bearer(&traversal)).expect(401),
        Case::new("HMAC with the public key", bearer(&confused)).expect(401),
        Case::new("a key the server never had", bearer(&stranger)).expect(401),
        Case::new("three dots", bearer("..")).expect(401),
        Case::new("a 14 KB token", bearer(&oversized)).expect(401),
        Case::new(
            "a session-shaped bearer",
            bearer("kc_s_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        )
        .expect(401),
        Case::new(
            "a refresh-shaped bearer",
            bearer("kc_r_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        )
        .expect(401),
        Case::new("a session cookie too short", cookie("kc_s_short")).expect(401),
        Case::new(
            "a session cookie of the refresh kind",
            cookie("kc_r_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        )
        .expect(401),
        Case::new(
            "a session cookie with a bad alphabet",
            cookie("kc_s_!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"),
        )
        .expect(401),
    ];
    if let Some(session) = &victim.session {
        cases.push(Case::new("the session token as a bearer", bearer(session)).expect(401));
    }
    if let Some(access) = &victim.access {
        cases.push(Case::new("the access token as a session cookie", cookie(access)).expect(401));
    }
    if let Some(refresh) = &victim.refresh {
        cases.push(Case::new("the refresh token as a bearer", bearer(refresh)).expect(401));
        cases.push(Case::new("the refresh token as a session cookie", cookie(refresh)).expect(401));
    }
    if world.mode == Mode::Hybrid {
        let refresh = |value: &str| {
            request(
                world,
                "POST",
                "/v1/token/refresh",
                &[
                    ("Cookie", &format!("__Secure-keycard_refresh={value}")),
                    ("Origin", &issuer),
                ],
                Some(b""),
            )
        };
        let access = victim.access.clone().unwrap_or_default();
        cases.push(
            Case::new("the access token as the refresh cookie", refresh(&access)).expect(401),
        );
        cases.push(
            Case::new(
                "a session-shaped refresh cookie",
                refresh("kc_s_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            )
            .expect(401),
        );
    }
    cases
}
