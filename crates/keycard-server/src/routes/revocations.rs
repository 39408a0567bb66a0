//! `GET /v1/revocations`: the revocation feed as Server-Sent Events, for verifiers that
//! cannot reach the stores (resource servers, other languages). Clients authenticate as
//! for introspection, with the `revocations` permission.
//!
//! The stream: a `snapshot` event with every live revocation, then one `revocation` event
//! per revocation this instance applies, and a `heartbeat` event every
//! [`HEARTBEAT_EVERY`]. Every event has an `id:`; a client that reconnects with
//! `Last-Event-ID` gets only what it missed, or a fresh snapshot when that id is too old or
//! from before a restart. While this instance's own feed is stale it sends no heartbeat, so
//! its verifiers go stale too rather than trust a stream that may be missing revocations.
//! A client too slow to keep up is disconnected (and resumes by its last id); so is every
//! client when the server starts shutting down, so the drain does not wait for them.
//!
//! ```sh
//! curl -N -u "verifier:$SECRET" http://127.0.0.1:8080/v1/revocations
//! ```

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use keycard_auth::Auth;
use keycard_auth::feed::log::{Applied, Resume};
use keycard_auth::settings::Permission;
use keycard_core::freshness::Freshness;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use super::dto::revocations::{Heartbeat, RevocationEvent, Snapshot};
use super::oauth::{Needs, OAuthClient};
use crate::error::WebError;
use crate::state::AppState;

/// The path of the stream.
pub const REVOCATIONS_PATH: &str = "/v1/revocations";

/// How often a heartbeat event is sent while this instance's feed is fresh.
pub const HEARTBEAT_EVERY: Duration = Duration::from_millis(500);

/// Reading the revocation stream.
#[derive(Debug)]
pub struct Following;

impl Needs for Following {
    const PERMISSION: Permission = Permission::Revocations;
}

type Events = Sse<ReceiverStream<Result<Event, Infallible>>>;

/// `GET /v1/revocations`.
#[utoipa::path(
    get,
    path = "/v1/revocations",
    operation_id = "revocations",
    tag = "oauth",
    description = "The revocation feed as Server-Sent Events: a `snapshot` event (data: `Snapshot`), then a `revocation` event (data: `RevocationEvent`) per revocation and a `heartbeat` event (data: `Heartbeat`) every 500 ms while this instance's own feed is fresh. Every event carries an `id`; reconnect with `Last-Event-ID` to get only what was missed (or a fresh snapshot). Needs a client with the `revocations` permission. Example: `curl -N -u \"verifier:$SECRET\" http://127.0.0.1:8080/v1/revocations`.",
    params(("Last-Event-ID" = Option<String>, Header, description = "The id of the last event received, to resume.")),
    responses(
        (status = 200, description = "The event stream.", content_type = "text/event-stream", body = String),
        (status = 401, response = super::dto::problems::Unauthorized),
        (status = 503, response = super::dto::problems::ServiceUnavailable),
    ),
    security(("clientSecretBasic" = []))
)]
pub async fn revocations(
    OAuthClient(client, _): OAuthClient<Following>,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Events, WebError> {
    let auth = state.auth().clone();
    // Listen before reading anything, so nothing applied meanwhile is lost.
    let listener = auth.revocation_log().listen();
    let resume = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .map_or(Resume::Snapshot, |id| auth.revocation_log().resume(id));
    let first = match resume {
        Resume::Since(missed) => missed.iter().map(revocation_event).collect(),
        Resume::Snapshot => vec![snapshot_event(&auth).await?],
    };
    tracing::info!(client = %client.id, "revocation stream opened");
    let (sender, receiver) = mpsc::channel(64);
    tokio::spawn(stream(auth, first, listener, sender, state.drained()));
    Ok(Sse::new(ReceiverStream::new(receiver)))
}

/// Sends `first`, then every applied revocation and the heartbeats, until the client goes
/// away, falls too far behind, or the server starts shutting down (the client resumes
/// elsewhere, or here after the restart, by its last id; meanwhile it hears no heartbeat
/// and goes stale, as it should).
async fn stream(
    auth: Auth,
    first: Vec<Event>,
    mut listener: broadcast::Receiver<Applied>,
    sender: mpsc::Sender<Result<Event, Infallible>>,
    drained: impl Future<Output = ()>,
) {
    let mut drained = std::pin::pin!(drained);
    for event in first {
        if sender.send(Ok(event)).await.is_err() {
            return;
        }
    }
    let mut ticks = tokio::time::interval(HEARTBEAT_EVERY);
    loop {
        let event = tokio::select! {
            () = &mut drained => return,
            applied = listener.recv() => match applied {
                Ok(applied) => revocation_event(&applied),
                // Too far behind (or shutting down): the client resumes by its last id.
                Err(_) => return,
            },
            _ = ticks.tick() => {
                if auth.feed_freshness() == Freshness::Stale {
                    continue;
                }
                heartbeat_event(&auth)
            }
        };
        if sender.send(Ok(event)).await.is_err() {
            return;
        }
    }
}

async fn snapshot_event(auth: &Auth) -> Result<Event, WebError> {
    let id = auth.revocation_log().last_id();
    let live = auth
        .stores()
        .revocations
        .live_revocations(auth.now())
        .await
        .map_err(keycard_auth::AuthError::from)?;
    let snapshot = Snapshot {
        revocations: live.iter().map(RevocationEvent::from).collect(),
    };
    Ok(json_event("snapshot", &id, &snapshot))
}

fn revocation_event(applied: &Applied) -> Event {
    json_event(
        "revocation",
        &applied.id,
        &RevocationEvent::from(&applied.revocation),
    )
}

fn heartbeat_event(auth: &Auth) -> Event {
    let id = auth.revocation_log().last_id();
    json_event(
        "heartbeat",
        &id,
        &Heartbeat {
            now: auth.now().as_secs(),
        },
    )
}

fn json_event(name: &str, id: &str, data: &impl serde::Serialize) -> Event {
    // Serialising these plain structs cannot fail; an empty object is the fallback.
    let data = serde_json::to_string(data).unwrap_or_else(|_| "{}".to_owned());
    Event::default().event(name).id(id).data(data)
}
