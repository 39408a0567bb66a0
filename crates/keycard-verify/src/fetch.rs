//! Fetching the issuer's documents over HTTPS (rustls), with the rules every fetch obeys:
//! plain HTTP only to a loopback host unless explicitly allowed, no redirects (a redirect
//! could leave HTTPS or the issuer), a size cap on bodies, and a deadline on each fetch.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::{ACCEPT, CACHE_CONTROL};

use crate::cache_control;
use crate::error::FetchError;

/// The largest discovery document or JWKS read.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;
/// How long one fetch of a document may take.
pub const FETCH_DEADLINE: Duration = Duration::from_secs(10);
/// How long connecting may take (documents and the revocation stream).
pub const CONNECT_DEADLINE: Duration = Duration::from_secs(5);

/// A fetched document: its text and its `max-age`, if it gave one.
#[derive(Debug)]
pub struct Document {
    /// The body.
    pub text: String,
    /// `Cache-Control: max-age`, unless `no-store` or `no-cache` forbids caching.
    pub max_age: Option<Duration>,
}

/// The HTTP client of one verifier.
#[derive(Clone, Debug)]
pub struct Fetcher {
    client: reqwest::Client,
    allow_http: bool,
}

impl Fetcher {
    /// A client with rustls, no redirects and the connect deadline.
    pub fn new(allow_http: bool) -> Result<Self, FetchError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_DEADLINE)
            .user_agent(concat!("keycard-verify/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|source| FetchError::Http {
                url: String::new(),
                source,
            })?;
        Ok(Self { client, allow_http })
    }

    /// The client, for the revocation stream.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Parses `url` and checks it may be fetched: HTTPS, or HTTP to loopback (or anywhere
    /// when allowed).
    pub fn checked_url(&self, url: &str) -> Result<Url, FetchError> {
        let parsed = Url::parse(url).map_err(|_| FetchError::BadUrl {
            url: url.to_owned(),
        })?;
        match parsed.scheme() {
            "https" => Ok(parsed),
            "http" if self.allow_http || is_loopback(&parsed) => Ok(parsed),
            "http" => Err(FetchError::InsecureUrl {
                url: url.to_owned(),
            }),
            _ => Err(FetchError::BadUrl {
                url: url.to_owned(),
            }),
        }
    }

    /// Fetches a JSON document at `url`. A status other than 200 is an error.
    pub async fn document(&self, url: &Url) -> Result<Document, FetchError> {
        let shown = url.to_string();
        let fetch = async {
            let http = |source| FetchError::Http {
                url: shown.clone(),
                source,
            };
            let mut response = self
                .client
                .get(url.clone())
                .header(ACCEPT, "application/json")
                .send()
                .await
                .map_err(http)?;
            let status = response.status().as_u16();
            if status != 200 {
                return Err(FetchError::Status {
                    url: shown.clone(),
                    status,
                });
            }
            let max_age = response
                .headers()
                .get(CACHE_CONTROL)
                .and_then(|value| value.to_str().ok())
                .and_then(cache_control::max_age);
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(http)? {
                if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                    return Err(FetchError::TooLarge {
                        url: shown.clone(),
                        limit: MAX_DOCUMENT_BYTES,
                    });
                }
                body.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(body).map_err(|_| FetchError::BadDocument {
                url: shown.clone(),
                reason: "not UTF-8".into(),
            })?;
            Ok(Document { text, max_age })
        };
        match tokio::time::timeout(FETCH_DEADLINE, fetch).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout { url: shown }),
        }
    }
}

/// Whether the URL's host is loopback: `localhost`, 127.0.0.0/8 or `::1`.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback_unless_allowed() {
        let strict = Fetcher::new(false).unwrap();
        for ok in [
            "https://auth.example/.well-known/jwks.json",
            "http://127.0.0.1:8080/x",
            "http://127.1.2.3/x",
            "http://[::1]:9/x",
            "http://localhost:8080/x",
        ] {
            assert!(strict.checked_url(ok).is_ok(), "{ok}");
        }
        for (bad, rule) in [
            ("http://auth.example/x", "insecure_url"),
            ("http://127.0.0.1.example/x", "insecure_url"),
            ("http://10.0.0.1/x", "insecure_url"),
            ("ftp://auth.example/x", "bad_url"),
            ("not a url", "bad_url"),
        ] {
            assert_eq!(strict.checked_url(bad).unwrap_err().rule(), rule, "{bad}");
        }
        let lax = Fetcher::new(true).unwrap();
        assert!(lax.checked_url("http://auth.example/x").is_ok());
    }
}
