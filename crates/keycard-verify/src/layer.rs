//! The tower layer: every request through it carries a valid bearer token, or is answered
//! by the layer (401, or 503 while revocations are stale) without reaching the route. A
//! passing request gets the [`VerifiedToken`](crate::VerifiedToken) in its extensions (as `Arc<VerifiedToken>`),
//! which the [`Verified`](crate::Verified) extractor reads.
//!
//! [`VerifyLayer::optional`] lets requests without an `Authorization` header through
//! (routes read `Option<Verified<C>>`); a token that is present must still be valid.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::header::AUTHORIZATION;
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use crate::error::VerifyError;
use crate::verifier::Verifier;

/// Requires (or, optional, checks when present) a bearer token on every request.
#[derive(Clone, Debug)]
pub struct VerifyLayer {
    verifier: Verifier,
    optional: bool,
}

impl VerifyLayer {
    /// Every request must carry a valid bearer token.
    pub fn new(verifier: Verifier) -> Self {
        Self {
            verifier,
            optional: false,
        }
    }

    /// Requests without `Authorization` pass (with no token); a token present must be
    /// valid.
    pub fn optional(verifier: Verifier) -> Self {
        Self {
            verifier,
            optional: true,
        }
    }
}

impl<S> Layer<S> for VerifyLayer {
    type Service = VerifyService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        VerifyService {
            inner,
            verifier: self.verifier.clone(),
            optional: self.optional,
        }
    }
}

/// The service [`VerifyLayer`] wraps around a route.
#[derive(Clone, Debug)]
pub struct VerifyService<S> {
    inner: S,
    verifier: Verifier,
    optional: bool,
}

impl<S> Service<Request> for VerifyService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        // The clone that was driven to readiness serves this request (tower's usual dance).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let verifier = self.verifier.clone();
        let optional = self.optional;
        Box::pin(async move {
            let token = match bearer(&request) {
                Ok(token) => Some(token),
                Err(VerifyError::MissingToken) if optional => None,
                Err(error) => return Ok(error.into_response()),
            };
            if let Some(token) = token {
                match verifier.verify(&token).await {
                    Ok(verified) => {
                        request.extensions_mut().insert(verified);
                    }
                    Err(error) => return Ok(error.into_response()),
                }
            }
            inner.call(request).await
        })
    }
}

/// The token of an `Authorization: Bearer <token>` header (RFC 6750 section 2.1; the
/// scheme is case-insensitive).
fn bearer(request: &Request) -> Result<String, VerifyError> {
    let value = request
        .headers()
        .get(AUTHORIZATION)
        .ok_or(VerifyError::MissingToken)?;
    let value = value.to_str().map_err(|_| VerifyError::NotBearer)?;
    let (scheme, token) = value.split_once(' ').ok_or(VerifyError::NotBearer)?;
    let token = token.trim_start_matches(' ');
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.contains(' ') {
        return Err(VerifyError::NotBearer);
    }
    Ok(token.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> Request {
        Request::builder()
            .header(AUTHORIZATION, value)
            .body(axum::body::Body::empty())
            .unwrap()
    }

    #[test]
    fn reads_bearer_tokens_only() {
        assert_eq!(bearer(&with("Bearer a.b.c")).unwrap(), "a.b.c");
        assert_eq!(bearer(&with("bearer  a.b.c")).unwrap(), "a.b.c");
        for bad in [
            "Basic dXNlcjpwYXNz",
            "Bearer",
            "Bearer ",
            "Bearer a b",
            "a.b.c",
        ] {
            assert_eq!(bearer(&with(bad)), Err(VerifyError::NotBearer), "{bad}");
        }
        let none = Request::new(axum::body::Body::empty());
        assert_eq!(bearer(&none), Err(VerifyError::MissingToken));
    }
}
