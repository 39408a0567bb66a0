//! Liveness and readiness, for load balancers and orchestrators.
//!
//! `/healthz` answers as long as the process serves HTTP: restart me if this fails.
//! `/readyz` answers 200 only if every store answers a cheap query within
//! [`READY_TIMEOUT`] and the revocation feed was heard from within the staleness bound:
//! send me traffic only if this succeeds. Keys and audit live in the
//! user store and revocations in the session store (`keycard_store::open`), so one query on
//! each side reaches every backend.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use keycard_core::freshness::Freshness;
use keycard_core::store::StoreError;
use keycard_core::{SessionId, UserId};

use super::dto::discovery::{Health, HealthStatus};
use super::dto::problems;

use crate::error::WebError;
use crate::state::AppState;

/// How long a store may take to answer the readiness probe.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// An id no record has: a lookup that finds nothing still proves the store answers.
const PROBE_ID: &str = "keycard-readiness-probe";

/// `GET /healthz`: 200 `{"status":"ok"}`.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "operations",
    responses((status = 200, description = "The process serves HTTP (`ok`).", body = Health))
)]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: HealthStatus::Ok,
    })
}

/// `GET /readyz`: 200 `{"status":"ready"}` if every store answers in time, else 503.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Every store answered in time (`ready`).", body = Health),
        (status = 503, response = problems::ServiceUnavailable),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, WebError> {
    let auth = state.auth();
    let stores = auth.stores();
    let now = auth.now();
    let users = probe(async {
        stores.users.load_user(&UserId::new(PROBE_ID)).await?;
        Ok(())
    });
    let sessions = probe(async {
        stores
            .sessions
            .load_session(&SessionId::new(PROBE_ID), now)
            .await?;
        Ok(())
    });
    let (users, sessions) = tokio::join!(users, sessions);
    check("user store", users)?;
    check("session store", sessions)?;
    if auth.feed_freshness() == Freshness::Stale {
        tracing::warn!("not ready: the revocation feed is stale");
        return Err(WebError::NotReady {
            what: "revocation feed",
        });
    }
    Ok(Json(Health {
        status: HealthStatus::Ready,
    }))
}

/// Runs a store query under [`READY_TIMEOUT`].
async fn probe(
    query: impl Future<Output = Result<(), StoreError>>,
) -> Result<(), Option<StoreError>> {
    match tokio::time::timeout(READY_TIMEOUT, query).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(Some(error)),
        Err(_elapsed) => Err(None),
    }
}

/// Logs a failed probe (the error text stays in the log) and answers 503 naming the store.
fn check(what: &'static str, outcome: Result<(), Option<StoreError>>) -> Result<(), WebError> {
    match outcome {
        Ok(()) => Ok(()),
        Err(Some(error)) => {
            tracing::warn!(what, %error, "readiness probe failed");
            Err(WebError::NotReady { what })
        }
        Err(None) => {
            tracing::warn!(what, timeout = ?READY_TIMEOUT, "readiness probe timed out");
            Err(WebError::NotReady { what })
        }
    }
}
