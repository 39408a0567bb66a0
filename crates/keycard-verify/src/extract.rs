//! The axum extractor: `Verified<C>` reads the token the [`VerifyLayer`](crate::VerifyLayer)
//! verified into the route's own claims type `C`. `Option<Verified<C>>` is `None` when the
//! request carried no token (behind [`VerifyLayer::optional`](crate::VerifyLayer::optional)).
//!
//! Without the layer in front, there is no verified token and `Verified<C>` refuses the
//! request (401): the extractor never verifies anything itself, so a route cannot be
//! reached with a token that skipped the revocation check. The whole
//! [`VerifiedToken`] is in the request's extensions too
//! (`Extension<Arc<VerifiedToken>>`).

use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::VerifyError;
use crate::token::VerifiedToken;

/// The claims of the request's verified bearer token, read into `C` (any
/// `Deserialize` type: the registered claims and the issuer's extras, such as roles).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified<C>(pub C);

impl<C: DeserializeOwned> Verified<C> {
    fn read(token: &VerifiedToken) -> Result<Self, VerifyError> {
        token
            .deserialize()
            .map(Verified)
            .map_err(|_| VerifyError::UnexpectedClaims)
    }
}

impl<S, C> FromRequestParts<S> for Verified<C>
where
    S: Send + Sync,
    C: DeserializeOwned,
{
    type Rejection = VerifyError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let token = parts
            .extensions
            .get::<Arc<VerifiedToken>>()
            .ok_or(VerifyError::MissingToken)?;
        Self::read(token)
    }
}

impl<S, C> OptionalFromRequestParts<S> for Verified<C>
where
    S: Send + Sync,
    C: DeserializeOwned,
{
    type Rejection = VerifyError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        parts
            .extensions
            .get::<Arc<VerifiedToken>>()
            .map(|token| Self::read(token))
            .transpose()
    }
}
