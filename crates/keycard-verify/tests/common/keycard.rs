//! A running `keycard serve`, in-process on an ephemeral port (jwt mode, SQLite in a
//! scratch directory), with a client allowed to follow the revocation stream; and the
//! user-facing calls the tests make on it.

use std::sync::Arc;

use keycard_core::SystemClock;
use keycard_server::config::{Mode, ServeArgs, Settings};
use keycard_server::{AppState, app, bootstrap};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::client;

/// The client with the `revocations` permission.
pub const CLIENT_ID: &str = "resource-server";
/// Its secret.
pub const CLIENT_SECRET: &str = "resource-server-secret-0123456789-abcdef";
const PASSWORD: &str = "correct horse battery staple";

/// The server, stopped when dropped.
pub struct Keycard {
    /// `http://127.0.0.1:PORT`: also its issuer and audience.
    pub base: String,
    /// Its state, to act behind the HTTP surface (rotate keys).
    pub state: AppState,
    _stop: oneshot::Sender<()>,
    _background: bootstrap::Background,
    _dir: tempfile::TempDir,
}

impl Keycard {
    /// Starts a Keycard in jwt mode.
    pub async fn start() -> Self {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::Builder::new()
            .prefix("keycard-verify-")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir()
            .unwrap();
        let args = ServeArgs {
            data_dir: Some(dir.path().to_owned()),
            mode: Some(Mode::Jwt),
            clients: Some(
                format!("{CLIENT_ID}[revocations]:{CLIENT_SECRET}")
                    .parse()
                    .unwrap(),
            ),
            ..ServeArgs::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let settings = Settings::resolve(args)
            .unwrap()
            .bound_to(listener.local_addr().unwrap());
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (state, background) = bootstrap::bootstrap(settings, Arc::new(SystemClock))
            .await
            .unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(app::run(listener, state.clone(), async {
            let _ = stopped.await;
        }));
        Self {
            base,
            state,
            _stop: stop,
            _background: background,
            _dir: dir,
        }
    }

    /// Registers `email`.
    pub async fn register(&self, email: &str) {
        let response = client()
            .post(format!("{}/v1/users", self.base))
            .json(&json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
    }

    /// Logs `email` in: its access token.
    pub async fn login(&self, email: &str) -> String {
        let body: Value = client()
            .post(format!("{}/v1/login", self.base))
            .json(&json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// Logs the session of `access` out, asserting 204.
    pub async fn logout(&self, access: &str) {
        let response = client()
            .post(format!("{}/v1/logout", self.base))
            .bearer_auth(access)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }

    /// Logs every session of the user of `access` out (the user's `not_before`).
    pub async fn logout_all(&self, access: &str) {
        let response = client()
            .post(format!("{}/v1/logout/all", self.base))
            .bearer_auth(access)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }
}
