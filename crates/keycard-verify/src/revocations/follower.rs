//! The task that follows `GET /v1/revocations`: connect with the client's credentials,
//! read events, apply each, and when the connection ends, is refused, goes silent past the
//! staleness bound or sends an event that does not parse, reconnect after a short backoff.
//! A reconnection sends `Last-Event-ID` (the id of the last event applied), so the server
//! sends only what was missed, or a fresh snapshot when it cannot; after an event that did
//! not parse the id is dropped, so the next connection starts from a snapshot.

use std::sync::Arc;
use std::time::Duration;

use keycard_core::Clock;
use reqwest::Url;
use reqwest::header::ACCEPT;

use super::Revocations;
use super::events;
use crate::config::ClientCredentials;
use crate::fetch::{FETCH_DEADLINE, Fetcher};
use crate::sse::SseParser;

/// The first wait before reconnecting; it doubles up to [`MAX_BACKOFF`] and starts again
/// after a connection that delivered events.
pub const MIN_BACKOFF: Duration = Duration::from_millis(50);
/// The longest wait between two connection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// What the follower needs.
pub struct Follower {
    /// The HTTP client.
    pub fetcher: Fetcher,
    /// The stream's URL.
    pub url: Url,
    /// The client's credentials.
    pub credentials: ClientCredentials,
    /// Where revocations go.
    pub revocations: Arc<Revocations>,
    /// For pruning forgotten revocations.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Follower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Follower")
            .field("url", &self.url.as_str())
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

/// Why a connection ended.
#[derive(Debug)]
enum Ended {
    Refused(String),
    Closed,
    Silent,
    Broken(String),
}

impl Follower {
    /// Follows the stream until the task is dropped.
    pub async fn follow_forever(self) {
        let mut last_id: Option<String> = None;
        let mut backoff = MIN_BACKOFF;
        loop {
            let (ended, delivered) = self.follow_once(&mut last_id).await;
            self.revocations.lost();
            if delivered {
                backoff = MIN_BACKOFF;
            }
            let (how, why) = match &ended {
                Ended::Refused(why) => ("could not connect", why.as_str()),
                Ended::Closed => ("closed by the server", ""),
                Ended::Silent => ("silent past the staleness bound", ""),
                Ended::Broken(why) => ("broken", why.as_str()),
            };
            tracing::warn!(url = %self.url, how, why, "revocation stream lost; resuming");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// One connection, read until it ends; whether it delivered any event.
    async fn follow_once(&self, last_id: &mut Option<String>) -> (Ended, bool) {
        let mut response = match self.connect(last_id.as_deref()).await {
            Ok(response) => response,
            Err(ended) => return (ended, false),
        };
        let mut parser = SseParser::default();
        let mut events = Vec::new();
        let mut delivered = false;
        loop {
            let chunk = match tokio::time::timeout(self.revocations.bound(), response.chunk()).await
            {
                Err(_) => return (Ended::Silent, delivered),
                Ok(Err(error)) => return (Ended::Broken(error.to_string()), delivered),
                Ok(Ok(None)) => return (Ended::Closed, delivered),
                Ok(Ok(Some(chunk))) => chunk,
            };
            if let Err(error) = parser.push(&chunk, &mut events) {
                *last_id = None;
                return (Ended::Broken(error.to_string()), delivered);
            }
            for event in events.drain(..) {
                match events::decode(&event.event, &event.data) {
                    Ok(decoded) => self.revocations.apply(decoded, self.clock.now()),
                    Err(error) => {
                        // Skipping it could miss a revocation: start over from a snapshot.
                        *last_id = None;
                        return (
                            Ended::Broken(format!("{} event: {error}", event.event)),
                            delivered,
                        );
                    }
                }
                delivered = true;
                if !event.id.is_empty() {
                    *last_id = Some(event.id);
                }
            }
        }
    }

    async fn connect(&self, last_id: Option<&str>) -> Result<reqwest::Response, Ended> {
        let mut request = self
            .fetcher
            .client()
            .get(self.url.clone())
            .basic_auth(&self.credentials.id, Some(self.credentials.secret()))
            .header(ACCEPT, "text/event-stream");
        if let Some(id) = last_id {
            request = request.header("last-event-id", id);
        }
        let response = tokio::time::timeout(FETCH_DEADLINE, request.send())
            .await
            .map_err(|_| Ended::Refused("no answer in time".into()))?
            .map_err(|error| Ended::Refused(error.to_string()))?;
        match response.status().as_u16() {
            200 => Ok(response),
            401 => Err(Ended::Refused(
                "401: the client credentials were refused (a client with the revocations permission is needed)".into(),
            )),
            status => Err(Ended::Refused(format!("status {status}"))),
        }
    }
}
