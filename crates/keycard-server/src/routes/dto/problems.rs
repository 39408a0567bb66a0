//! The error responses of the API, as the document names them: each is an RFC 9457
//! problem (`application/problem+json`) with the status that
//! [`WebError`](crate::error::WebError) chooses for it, and the headers it sets.
//!
//! The problem body is [`Problem`], written by [`error::problem`](crate::error::problem);
//! `tests/openapi.rs` checks live error bodies against its schema.

use utoipa::ToResponse;

pub use crate::error::Problem;

/// 400 `bad-request`: the body, form or query could not be read.
#[derive(Debug, ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct BadRequest(pub Problem);

/// 401: the credential is missing, invalid, expired or revoked (`invalid-token`), the
/// email or password is wrong (`invalid-credentials`), or the client failed to
/// authenticate (`invalid-client`).
#[derive(Debug, ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers((
        "WWW-Authenticate" = String,
        description = "`Bearer error=\"invalid_token\"`, or `Basic realm=\"keycard\"` for clients."
    ))
)]
pub struct Unauthorized(pub Problem);

/// 403 `csrf`: a cookie-authenticated unsafe request without a same-origin `Origin` or the
/// session's `X-CSRF-Token`.
#[derive(Debug, ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Forbidden(pub Problem);

/// 404 `not-found`: no such resource (or, for the admin routes, no admin token configured).
#[derive(Debug, ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct NotFound(pub Problem);

/// 409 `email-taken`: an account with this email exists.
#[derive(Debug, ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Conflict(pub Problem);

/// 408 `request-timeout`: the body did not arrive whole within the body read timeout; the
/// connection is closed.
#[derive(Debug, ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct RequestTimeout(pub Problem);

/// 413 `payload-too-large`: the body is larger than the configured limit.
#[derive(Debug, ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct PayloadTooLarge(pub Problem);

/// 415 `unsupported-media-type`: the body is not of the media type the route reads.
#[derive(Debug, ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct UnsupportedMediaType(pub Problem);

/// 422 `invalid-email` or `invalid-password`: a field breaks a rule, named in `rule`.
#[derive(Debug, ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct UnprocessableEntity(pub Problem);

/// 429 `too-many-requests`: past a brute-force limit.
#[derive(Debug, ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("Retry-After" = u64, description = "Seconds to wait before trying again."))
)]
pub struct TooManyRequests(pub Problem);

/// 500 `internal`: the server failed; the cause is in its log, never in the body.
#[derive(Debug, ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct InternalError(pub Problem);

/// 503 `unavailable`: a store did not answer, or the server is busy checking passwords.
#[derive(Debug, ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("Retry-After" = u64, description = "Seconds to wait before trying again."))
)]
pub struct ServiceUnavailable(pub Problem);
