//! The one place a refusal becomes an HTTP answer. A token refused for any rule gets 401
//! with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 section 3.1); stale
//! revocations get 503 with `Retry-After`. The body is an RFC 9457 problem with a stable
//! `type` (the same types Keycard's server uses) and a fixed text: the rule that failed
//! goes to the log, never to the client, who could otherwise probe the checks one by one.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::VerifyError;

/// The `type` of a refused token's problem.
pub const INVALID_TOKEN_TYPE: &str = "https://keycard.dev/problems/invalid-token";
/// The `type` of the problem answered while revocations are stale.
pub const UNAVAILABLE_TYPE: &str = "https://keycard.dev/problems/unavailable";
/// Seconds a client is asked to wait while revocations are stale.
pub const RETRY_AFTER_SECS: u32 = 1;

impl VerifyError {
    /// The status this refusal is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Stale => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNAUTHORIZED,
        }
    }
}

impl IntoResponse for VerifyError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (kind, title, detail) = if status == StatusCode::UNAUTHORIZED {
            tracing::info!(rule = self.rule(), "bearer token refused");
            (
                INVALID_TOKEN_TYPE,
                "Invalid token",
                "The credential is missing, invalid, expired or revoked.",
            )
        } else {
            tracing::debug!(
                rule = self.rule(),
                "request refused while revocations are stale"
            );
            (
                UNAVAILABLE_TYPE,
                "Service unavailable",
                "Revocations cannot be confirmed right now; try again shortly.",
            )
        };
        let body = serde_json::json!({
            "type": kind,
            "title": title,
            "status": status.as_u16(),
            "detail": detail,
        });
        let mut response = (status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer error="invalid_token""#),
            );
        } else {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use keycard_core::TokenError;

    use super::*;

    #[tokio::test]
    async fn refusals_say_invalid_token_and_never_the_rule() {
        let mut bodies = Vec::new();
        for error in [
            VerifyError::MissingToken,
            VerifyError::Token(TokenError::BadSignature),
            VerifyError::Token(TokenError::Revoked),
            VerifyError::UnexpectedClaims,
        ] {
            let response = error.into_response();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            assert_eq!(
                response.headers()[header::WWW_AUTHENTICATE],
                r#"Bearer error="invalid_token""#
            );
            assert_eq!(
                response.headers()[header::CONTENT_TYPE],
                "application/problem+json"
            );
            let body = axum::body::to_bytes(response.into_body(), 4096)
                .await
                .unwrap();
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(body["type"], INVALID_TOKEN_TYPE);
            assert_eq!(body["status"], 401);
            bodies.push(body);
        }
        assert!(
            bodies.windows(2).all(|pair| pair[0] == pair[1]),
            "one body whatever the rule: {bodies:?}"
        );
    }

    #[test]
    fn stale_is_503_with_retry_after() {
        let response = VerifyError::Stale.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        assert!(!response.headers().contains_key(header::WWW_AUTHENTICATE));
    }
}
