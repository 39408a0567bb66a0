//! Finding the issuer's JWKS: the URL given, or its discovery document. Keycard publishes
//! `/.well-known/keycard-configuration`; any OpenID provider (Google, Auth0, Keycloak, ...)
//! publishes `/.well-known/openid-configuration`; both carry `issuer` and `jwks_uri`. The
//! Keycard document is asked for first, and the OpenID one when the issuer has none (404).
//! The document's `issuer` must be the configured issuer exactly (OpenID Connect Discovery
//! section 4.3), so a document served from the wrong place cannot name other keys.

use reqwest::Url;
use serde::Deserialize;

use crate::config::{KeySource, VerifierConfig};
use crate::error::FetchError;
use crate::fetch::Fetcher;

/// Keycard's discovery document.
pub const KEYCARD_CONFIGURATION: &str = "/.well-known/keycard-configuration";
/// The OpenID Connect discovery document.
pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";

/// What the verifier reads of a discovery document.
#[derive(Debug, Deserialize)]
struct Discovered {
    issuer: String,
    jwks_uri: String,
}

/// The JWKS URL of the configured issuer.
pub async fn jwks_url(fetcher: &Fetcher, config: &VerifierConfig) -> Result<Url, FetchError> {
    match &config.keys {
        KeySource::Jwks(url) => fetcher.checked_url(url),
        KeySource::Discovery => {
            let base = config.issuer_base();
            let keycard = fetcher.checked_url(&format!("{base}{KEYCARD_CONFIGURATION}"))?;
            let document = match fetcher.document(&keycard).await {
                Err(FetchError::Status { status: 404, .. }) => {
                    let openid = fetcher.checked_url(&format!("{base}{OPENID_CONFIGURATION}"))?;
                    fetcher.document(&openid).await?
                }
                other => other?,
            };
            let discovered: Discovered =
                serde_json::from_str(&document.text).map_err(|e| FetchError::BadDocument {
                    url: keycard.to_string(),
                    reason: format!("not a discovery document: {e}"),
                })?;
            if discovered.issuer != config.issuer {
                return Err(FetchError::IssuerMismatch {
                    expected: config.issuer.clone(),
                    found: discovered.issuer,
                });
            }
            fetcher.checked_url(&discovered.jwks_uri)
        }
    }
}
