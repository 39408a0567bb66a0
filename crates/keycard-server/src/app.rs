//! The router and the serve loop. The library never binds a socket: the caller hands
//! [`run`] a bound listener and a shutdown future, so tests run the real server
//! in-process on an ephemeral port, and `keycard serve` binds the configured address.

use std::future::Future;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::config::Mode;
pub use crate::connections::DRAIN_TIMEOUT;
use crate::connections::{self, Connections};
use crate::error::{WebError, problem_for_bare_errors};
use crate::metrics;
use crate::routes::{health, login, logout, me, token, users, well_known};
use crate::state::AppState;

/// Every route of a server in `mode`, without the layers: for adding routes before
/// [`layered`] wraps them. A route that exists only in one mode is registered only there:
/// the refresh endpoint, in hybrid mode.
pub fn routes(mode: Mode) -> Router<AppState> {
    let routes = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/v1/users", post(users::create))
        .route("/v1/login", post(login::login))
        .route("/v1/me", get(me::me))
        .route("/v1/logout", post(logout::logout))
        .route("/v1/logout/all", post(logout::logout_all))
        .route("/v1/sessions", get(crate::routes::sessions::list))
        .route(
            "/v1/sessions/{id}",
            axum::routing::delete(crate::routes::sessions::revoke),
        )
        .route("/v1/password", post(crate::routes::password::change))
        .route("/v1/auth/check", get(crate::routes::auth_check::auth_check))
        .route(
            crate::routes::openapi::OPENAPI_PATH,
            get(crate::routes::openapi::openapi),
        )
        .route(
            "/v1/admin/users/{id}/disable",
            post(crate::routes::admin::disable),
        )
        .route(
            "/v1/admin/users/{id}/enable",
            post(crate::routes::admin::enable),
        )
        .route(
            "/v1/admin/users/{id}/sessions",
            get(crate::routes::admin::sessions).delete(crate::routes::admin::revoke_sessions),
        )
        .route("/v1/admin/audit", get(crate::routes::admin::audit))
        .route(
            crate::routes::oauth::INTROSPECT_PATH,
            post(crate::routes::oauth::introspect),
        )
        .route(
            crate::routes::oauth::REVOKE_PATH,
            post(crate::routes::oauth::revoke),
        )
        .route(
            crate::routes::revocations::REVOCATIONS_PATH,
            get(crate::routes::revocations::revocations),
        )
        .route(metrics::METRICS_PATH, get(metrics::metrics))
        .route(well_known::JWKS_PATH, get(well_known::jwks))
        .route(
            well_known::CONFIGURATION_PATH,
            get(well_known::configuration),
        )
        .route(
            crate::routes::token_status::STATUS_PATH,
            post(crate::routes::token_status::status),
        )
        .merge(crate::routes::ui::routes())
        .fallback(|| async { WebError::NotFound });
    match mode {
        Mode::Hybrid => routes.route(token::REFRESH, post(token::refresh)),
        Mode::Session | Mode::Jwt => routes,
    }
}

/// The application: [`routes`] with the layers every response passes through.
pub fn router(state: AppState) -> Router {
    layered(routes(state.auth().settings().mode), state)
}

/// Wraps `routes` in the server's layers, outermost first:
/// - tracing of every request (method, path, status, latency; never headers or bodies);
/// - `Cache-Control: no-store` unless the handler set its own (the JWKS does);
/// - every error response as `application/problem+json`;
/// - the request body limit (413), both on `Content-Length` and on the bytes read;
/// - outermost, the request counter of `/metrics` (by matched route and status class).
pub fn layered(routes: Router<AppState>, state: AppState) -> Router {
    let limit = state.settings().body_limit;
    routes
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(axum::middleware::map_response(problem_for_bare_errors))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn_with_state(
            state.metrics().clone(),
            metrics::track_requests,
        ))
        .with_state(state)
}

/// Serves the application on `listener` until `shutdown` completes, then drains in-flight
/// requests (at most [`DRAIN_TIMEOUT`]) and returns. The connection limits are the
/// settings' (see [`connections`](crate::connections)).
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.settings().connections;
    serve(listener, router(state), limits, shutdown).await
}

/// Serves any router as [`run`] does: for tests that add their own routes to [`layered`].
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Connections,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    connections::serve(listener, router, limits, shutdown).await
}
