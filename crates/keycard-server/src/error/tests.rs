//! The edge's choices, one per kind of failure: status, problem `type`, headers, and that
//! no cause's text reaches the body.

#![allow(clippy::unwrap_used)]

use axum::http::{StatusCode, header};
use axum::response::IntoResponse as _;
use keycard_auth::AuthError;
use keycard_auth::limiter::{Limit, RetryAfter};
use keycard_core::store::StoreError;

use super::{PROBLEM_JSON, WebError};

async fn answer(error: WebError) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
    let response = error.into_response();
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, 4096).await.unwrap();
    (
        parts.status,
        parts.headers,
        serde_json::from_slice(&body).unwrap(),
    )
}

#[tokio::test]
async fn every_auth_failure_has_its_status_and_type() {
    let cases: Vec<(AuthError, u16, &str)> = vec![
        (AuthError::InvalidCredentials, 401, "invalid-credentials"),
        (
            AuthError::InvalidToken("bad_signature"),
            401,
            "invalid-token",
        ),
        (AuthError::AdminDenied, 401, "invalid-token"),
        (AuthError::InvalidClient, 401, "invalid-client"),
        (AuthError::Csrf("origin"), 403, "csrf"),
        (AuthError::AdminAbsent, 404, "not-found"),
        (AuthError::NotFound, 404, "not-found"),
        (AuthError::EmailTaken, 409, "email-taken"),
        (AuthError::InvalidEmail("no_at"), 422, "invalid-email"),
        (
            AuthError::WeakPassword("too_short"),
            422,
            "invalid-password",
        ),
        (
            AuthError::Throttled(RetryAfter {
                secs: 170,
                limit: Limit::Ip,
            }),
            429,
            "too-many-requests",
        ),
        (
            AuthError::Busy {
                retry_after_secs: 5,
            },
            503,
            "unavailable",
        ),
        (
            AuthError::Unavailable(StoreError::Backend("redis: connection refused".into())),
            503,
            "unavailable",
        ),
        (AuthError::internal("key material broke"), 500, "internal"),
    ];
    for (error, status, name) in cases {
        let label = format!("{error:?}");
        let (got, headers, body) = answer(WebError::from(error)).await;
        assert_eq!(got.as_u16(), status, "{label}");
        assert_eq!(headers[header::CONTENT_TYPE], PROBLEM_JSON, "{label}");
        assert_eq!(
            body["type"],
            format!("https://keycard.dev/problems/{name}"),
            "{label}"
        );
        assert_eq!(body["status"], status, "{label}");
        if status == 401 {
            assert!(headers.contains_key(header::WWW_AUTHENTICATE), "{label}");
        }
        let text = body.to_string();
        for secret in ["connection refused", "key material", "Ip", "bad_signature"] {
            assert!(!text.contains(secret), "{label}: {text}");
        }
    }
}

#[tokio::test]
async fn throttled_and_unavailable_say_when_to_retry() {
    let retry = RetryAfter {
        secs: 170,
        limit: Limit::Account,
    };
    let (status, headers, body) = answer(WebError::from(retry)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers[header::RETRY_AFTER], "170");
    assert!(body["detail"].as_str().unwrap().contains("170 seconds"));

    let down = AuthError::Unavailable(StoreError::Backend("PostgreSQL: pool timed out".into()));
    let (status, headers, _) = answer(down.into()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers[header::RETRY_AFTER], "2");

    let (status, headers, _) = answer(
        AuthError::Busy {
            retry_after_secs: 5,
        }
        .into(),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers[header::RETRY_AFTER], "5");
}

#[tokio::test]
async fn a_corrupt_record_is_internal_not_unavailable() {
    let corrupt: AuthError = StoreError::Corrupt("bad kind".into()).into();
    let (status, headers, _) = answer(corrupt.into()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!headers.contains_key(header::RETRY_AFTER));
}
