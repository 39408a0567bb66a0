//! The router and the serve loop. The library never binds a socket: the caller hands
//! [`run`] a bound listener and a shutdown future, so tests run the real server
//! in-process on an ephemeral port, and `keycard serve` binds the configured address
//! ([`connections::bind`]).

use std::future::Future;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower::util::MapResponseLayer;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::body_deadline::BodyDeadlineLayer;
use crate::config::Mode;
use crate::connections;
pub use crate::connections::DRAIN_TIMEOUT;
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
/// - the request counter of `/metrics` (by matched route and status class);
/// - tracing of every request (method, path, status, latency; never headers or bodies),
///   only when the log filter lets tower-http's debug events through (see
///   [`request_tracing`]);
/// - `Cache-Control: no-store` unless the handler set its own (the JWKS does);
/// - every error response as `application/problem+json`;
/// - the request body limit (413), applied by every extractor that reads a body (`Json`,
///   `Form`: no handler reads one otherwise), on the bytes read. tower-http's
///   `RequestBodyLimitLayer` would add a check of `Content-Length` before any handler, at
///   the price of a body wrapper and a reallocated response per request; a declared length
///   over the limit is refused by the extractor all the same, after at most `limit` bytes;
/// - the body deadline (408 for a body still arriving after `body_read_timeout`), which
///   touches only requests that have a body ([`crate::body_deadline`]).
///
/// The layers are composed into one stack and applied once: `Router::layer` boxes what it
/// wraps on every route, so applying them one by one cost a boxed service and a boxed
/// future per layer and request (`bench/src/bin/layer_cost.rs` shows the difference).
pub fn layered(routes: Router<AppState>, state: AppState) -> Router {
    let limit = state.settings().body_limit;
    let body_read_timeout = state.settings().body_read_timeout;
    // tower-http's layers answer with their own body types; `into_response` brings each
    // back to axum's `Body` for the layer above.
    let tracing = request_tracing().map(|trace| {
        ServiceBuilder::new()
            .map_response(IntoResponse::into_response)
            .layer(trace)
    });
    let stack = ServiceBuilder::new()
        .layer(metrics::CountRequestsLayer::new(state.metrics().clone()))
        .option_layer(tracing)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(MapResponseLayer::new(problem_for_bare_errors))
        .layer(DefaultBodyLimit::max(limit))
        .layer(BodyDeadlineLayer::new(body_read_timeout));
    routes.layer(stack).with_state(state)
}

/// tower-http's request tracing, if the log filter lets its events through: they are all at
/// debug level (failures are logged by the error edge at error level), so with the default
/// `info` filter the layer would build and drop a disabled span per request for nothing.
/// The filter is set once at start, before the router is built.
pub fn request_tracing() -> Option<TraceLayer<SharedClassifier<ServerErrorsAsFailures>>> {
    let wanted = tracing::enabled!(target: "tower_http::trace::on_request", tracing::Level::DEBUG)
        || tracing::enabled!(target: "tower_http::trace::on_response", tracing::Level::DEBUG);
    wanted.then(TraceLayer::new_for_http)
}

/// Serves the application on `listener` until `shutdown` completes, then drains in-flight
/// requests (at most [`DRAIN_TIMEOUT`]; open revocation streams end at once) and returns.
/// The connection limits are the settings' (see [`connections`]).
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state.clone());
    serve_state(listener, app, state, shutdown).await
}

/// Serves `router` (the application's routes, perhaps changed) over `state` as [`run`]
/// does: the connection limits are the settings', and when `shutdown` completes the
/// state is told to drain, which ends the open revocation streams.
pub async fn serve_state(
    listener: TcpListener,
    router: Router,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.settings().connections.clone();
    let refused = state.metrics().connections_refused();
    let shutdown = async move {
        shutdown.await;
        state.start_draining();
    };
    connections::serve(listener, router, limits, refused, shutdown).await
}
