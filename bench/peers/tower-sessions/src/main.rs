//! The tower-sessions peer: axum with tower-sessions' `SessionManagerLayer` over its Redis
//! store (fred), as its documentation sets it up, with tower-sessions' defaults (no
//! inactivity expiry, so reading a session does not write it back).
//!
//! - `GET /healthz`: unauthenticated, `{"status":"ok"}`;
//! - `POST /login`: puts a user id in a new session (sets the `id` cookie), no password;
//! - `GET /me`: reads the user id from the session: 200 with it, or 401.
//!
//! Listens on `PEER_ADDR` (default 127.0.0.1:18601); Redis at `REDIS_URL` (default
//! redis://127.0.0.1:6379).

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::{Value, json};
use tower_sessions::{Session, SessionManagerLayer};
use tower_sessions_redis_store::RedisStore;
use tower_sessions_redis_store::fred::prelude::{ClientLike, Config, Pool};

const USER_KEY: &str = "user_id";

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn login(session: Session) -> Result<StatusCode, StatusCode> {
    session
        .insert(USER_KEY, "user-8412")
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(session: Session) -> Result<Json<Value>, StatusCode> {
    match session.get::<String>(USER_KEY).await {
        Ok(Some(id)) => Ok(Json(json!({ "id": id }))),
        Ok(None) => Err(StatusCode::UNAUTHORIZED),
        Err(_) => Err(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::var("PEER_ADDR").unwrap_or_else(|_| "127.0.0.1:18601".into());
    let redis_url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let pool = Pool::new(Config::from_url(&redis_url)?, None, None, None, 6)?;
    let _connection = pool.connect();
    pool.wait_for_connect().await?;
    let sessions = SessionManagerLayer::new(RedisStore::new(pool)).with_secure(false);
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/login", post(login))
        .route("/me", get(me))
        .layer(sessions);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("tower-sessions peer listening on http://{addr}");
    axum::serve(listener, app).await?;
    Ok(())
}
