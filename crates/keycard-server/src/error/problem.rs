//! RFC 9457 problem documents: the body of every error response, and the layer that
//! turns the framework's own bare error responses (404, 405, 413, 415, extractor
//! rejections) into problems, so every error a client sees is `application/problem+json`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::WebError;

/// The base of every problem `type`; the problem's name follows.
pub const PROBLEM_BASE: &str = "https://keycard.dev/problems/";

/// The media type of problem responses.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document: the body of every error response, and its schema in
/// `/openapi.json`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem, stable for clients to switch on:
    /// `https://keycard.dev/problems/` and a name such as `invalid-credentials`.
    #[serde(rename = "type")]
    #[schema(
        format = "uri",
        example = "https://keycard.dev/problems/invalid-credentials"
    )]
    pub kind: String,
    /// A short human summary of the kind.
    #[schema(value_type = String, example = "Invalid credentials")]
    pub title: &'static str,
    /// The HTTP status, repeated.
    #[schema(example = 401)]
    pub status: u16,
    /// What happened this time, safe to show.
    pub detail: String,
    /// The rule a refused field broke (`too_short`, ...): 422 only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, nullable = false, example = "too_short")]
    pub rule: Option<&'static str>,
}

/// The title of a problem name.
pub fn title(name: &str) -> &'static str {
    match name {
        "bad-request" => "Bad request",
        "not-found" => "Not found",
        "invalid-credentials" => "Invalid credentials",
        "invalid-token" => "Invalid token",
        "invalid-client" => "Invalid client",
        "csrf" => "CSRF check failed",
        "email-taken" => "Email taken",
        "invalid-email" => "Invalid email",
        "invalid-password" => "Invalid password",
        "method-not-allowed" => "Method not allowed",
        "payload-too-large" => "Request body too large",
        "request-timeout" => "Request timeout",
        "unsupported-media-type" => "Unsupported media type",
        "too-many-requests" => "Too many requests",
        "unavailable" => "Service unavailable",
        _ => "Internal server error",
    }
}

/// A problem response.
pub fn response(
    status: StatusCode,
    name: &str,
    detail: String,
    rule: Option<&'static str>,
) -> Response {
    let problem = Problem {
        kind: format!("{PROBLEM_BASE}{name}"),
        title: title(name),
        status: status.as_u16(),
        detail,
        rule,
    };
    let mut response = (status, Json(problem)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

/// Turns an error response that is not already a problem (axum's own 404, 405, 413, 415
/// and extractor rejections, tower-http's 413) into one. The original body is dropped: its
/// text is not ours to vouch for. The status and headers such as `Allow` are kept.
pub fn problem_for_bare_errors(response: Response) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes() == PROBLEM_JSON.as_bytes());
    if is_problem || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let problem = match status {
        StatusCode::NOT_FOUND => WebError::NotFound.into_response(),
        StatusCode::METHOD_NOT_ALLOWED => WebError::MethodNotAllowed.into_response(),
        StatusCode::PAYLOAD_TOO_LARGE => WebError::PayloadTooLarge.into_response(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => WebError::UnsupportedMediaType.into_response(),
        status if status.is_client_error() => {
            response_for(status, "bad-request", "The request could not be read.")
        }
        _ => {
            tracing::error!(%status, "a layer answered an error without a problem body");
            response_for(
                status,
                "internal",
                "The server failed to handle the request.",
            )
        }
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let (problem_parts, body) = problem.into_parts();
    for (name, value) in &problem_parts.headers {
        parts.headers.insert(name, value.clone());
    }
    Response::from_parts(parts, body)
}

fn response_for(status: StatusCode, name: &str, detail: &str) -> Response {
    response(status, name, detail.to_owned(), None)
}
