//! The real server, started in-process on an ephemeral port over a scratch data dir.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

/// Runs each test on SQLite (`sqlite::<name>`) and on PostgreSQL + Redis
/// (`postgres_redis::<name>`; see `common::backend` for the URLs and how to skip).
#[allow(unused_macros)] // not every test file runs on both backends
macro_rules! on_every_backend {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test(super::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres_redis {
            $(
                #[tokio::test]
                async fn $test() {
                    if super::Backend::PostgresRedis.available(stringify!($test)) {
                        super::$test(super::Backend::PostgresRedis).await;
                    }
                }
            )*
        }
    };
}

pub mod backend;
pub mod browser;
pub mod fleet;
pub mod raw;
/// The TCP proxy the store tests cut and restore, shared rather than written twice.
#[path = "../../../keycard-store/tests/tcp_proxy/mod.rs"]
pub mod tcp_proxy;

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use keycard_core::SystemClock;
use keycard_server::bootstrap::{Background, bootstrap};
use keycard_server::config::{ServeArgs, Settings};
use keycard_server::{AppState, app};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A scratch directory, removed on drop.
pub type Scratch = tempfile::TempDir;

/// A new scratch directory whose name starts with `name`, private to this user (the server
/// refuses a data directory others can read).
pub fn scratch(name: &str) -> Scratch {
    use std::os::unix::fs::PermissionsExt as _;
    tempfile::Builder::new()
        .prefix(&format!("keycard-server-{name}-"))
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
        .expect("a scratch directory")
}

/// Settings for a test: SQLite in `data_dir`, everything else default.
pub fn args(data_dir: &Path) -> ServeArgs {
    ServeArgs {
        data_dir: Some(data_dir.to_owned()),
        ..ServeArgs::default()
    }
}

/// A running server.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base: String,
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    _background: Option<Background>,
}

impl TestServer {
    /// Starts the server as `keycard serve` would, with `args`.
    pub async fn start(args: ServeArgs) -> Self {
        Self::start_with(args, |routes| routes).await
    }

    /// Starts the server with its routes changed by `customise` (test-only routes added)
    /// under the server's layers.
    pub async fn start_with(
        args: ServeArgs,
        customise: impl FnOnce(Router<AppState>) -> Router<AppState>,
    ) -> Self {
        Self::start_with_clock(args, customise, Arc::new(SystemClock)).await
    }

    /// Starts the server on `clock` (a `ManualClock` for timeouts).
    pub async fn start_with_clock(
        args: ServeArgs,
        customise: impl FnOnce(Router<AppState>) -> Router<AppState>,
        clock: Arc<dyn keycard_core::Clock>,
    ) -> Self {
        let settings = Settings::resolve(args).expect("settings resolve");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let settings = settings.bound_to(listener.local_addr().unwrap());
        let (state, background) = bootstrap(settings, clock).await.expect("bootstrap");
        Self::serve(listener, state, customise, Some(background))
    }

    /// Serves already-built state (e.g. over a store that fails), with the routes of its
    /// mode changed by `customise`.
    pub fn serve(
        listener: tokio::net::TcpListener,
        state: AppState,
        customise: impl FnOnce(Router<AppState>) -> Router<AppState>,
        background: Option<Background>,
    ) -> Self {
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let routes = customise(app::routes(state.auth().settings().mode));
        let router = app::layered(routes, state.clone());
        let task = tokio::spawn(app::serve_state(listener, router, state.clone(), async {
            let _ = stopped.await;
        }));
        Self {
            base,
            state,
            stop: Some(stop),
            task,
            _background: background,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Signals shutdown without waiting.
    pub fn signal_shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Signals shutdown and waits for the server to drain and return.
    pub async fn stop(mut self) -> std::io::Result<()> {
        self.signal_shutdown();
        (&mut self.task).await.expect("server task")
    }
}

/// A fresh client per test.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().build().unwrap()
}

/// A response header as text; empty when absent.
pub fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .map_or("", |value| value.to_str().unwrap())
}

/// Asserts an RFC 9457 problem with `status` and the problem type `name`; returns its body.
pub async fn assert_problem(
    response: reqwest::Response,
    status: reqwest::StatusCode,
    name: &str,
) -> serde_json::Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        header(&response, "content-type"),
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["type"], format!("https://keycard.dev/problems/{name}"));
    assert_eq!(body["status"], status.as_u16());
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    body
}

/// Asserts the 401 every refused credential gets, with its bearer challenge.
pub async fn assert_unauthenticated(response: reqwest::Response) {
    assert_eq!(
        header(&response, "www-authenticate"),
        r#"Bearer error="invalid_token""#
    );
    assert_problem(response, reqwest::StatusCode::UNAUTHORIZED, "invalid-token").await;
}

/// The value of the unlabelled series `name` (a counter's `..._total`, a histogram's
/// `..._count`) in `server`'s `/metrics`; panics if it is absent.
pub async fn metric(server: &TestServer, name: &str) -> u64 {
    let text = client()
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} missing from\n{text}"))
}

/// Registers `email` with `password`, asserting 201; returns the created user.
pub async fn register(server: &TestServer, email: &str, password: &str) -> serde_json::Value {
    let response = client()
        .post(server.url("/v1/users"))
        .json(&serde_json::json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);
    response.json().await.unwrap()
}
