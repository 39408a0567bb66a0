//! The answer to a login refused by the [`LoginLimiter`](super::LoginLimiter): 429 with
//! `Retry-After` (RFC 9110 §10.2.3, whole seconds) and a problem+json body whose `type`
//! is `https://keycard.dev/problems/too-many-requests`.
//!
//! It is its own response type rather than a [`WebError`](crate::WebError) variant so the
//! limiter can land beside the auth routes without both editing `error.rs`; a handler
//! returns it with `?` through `impl From<TooManyRequests>` on its error type, or maps it
//! with [`IntoResponse::into_response`]. The body does not say which limit refused (account
//! or address): that would tell an attacker which of the two to rotate.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::RetryAfter;
use crate::error::{PROBLEM_BASE, PROBLEM_JSON, Problem};

/// The stable name in the problem `type` URI.
pub const NAME: &str = "too-many-requests";

/// A 429 answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("too many requests; retry after {}s", .0.secs)]
pub struct TooManyRequests(pub RetryAfter);

impl From<RetryAfter> for TooManyRequests {
    fn from(retry: RetryAfter) -> Self {
        Self(retry)
    }
}

impl IntoResponse for TooManyRequests {
    fn into_response(self) -> Response {
        let RetryAfter { secs, limit } = self.0;
        tracing::info!(
            ?limit,
            retry_after = secs,
            "login attempt refused by the rate limit"
        );
        let status = StatusCode::TOO_MANY_REQUESTS;
        let problem = Problem {
            kind: format!("{PROBLEM_BASE}{NAME}"),
            title: "Too many requests",
            status: status.as_u16(),
            detail: format!("Too many login attempts; try again in {secs} seconds."),
        };
        let mut response = (status, Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        response
    }
}

impl IntoResponse for RetryAfter {
    fn into_response(self) -> Response {
        TooManyRequests(self).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::Limit;

    #[tokio::test]
    async fn a_refusal_is_a_429_problem_with_retry_after() {
        let retry = RetryAfter {
            secs: 170,
            limit: Limit::Ip,
        };
        for response in [
            TooManyRequests(retry).into_response(),
            retry.into_response(),
        ] {
            assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
            assert_eq!(response.headers()[header::RETRY_AFTER], "170");
            assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
            let body = axum::body::to_bytes(response.into_body(), 4096)
                .await
                .unwrap();
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(
                body["type"],
                "https://keycard.dev/problems/too-many-requests"
            );
            assert_eq!(body["status"], 429);
            assert_eq!(body["title"], "Too many requests");
            assert!(
                body["detail"].as_str().unwrap().contains("170 seconds"),
                "{body}"
            );
            assert!(
                !body.to_string().contains("Ip"),
                "the limit is not disclosed: {body}"
            );
        }
    }
}
