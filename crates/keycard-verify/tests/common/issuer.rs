//! A local issuer that is not Keycard: it serves an OpenID discovery document, a JWKS the
//! test controls (counting fetches), and a revocation stream whose bytes the test writes.
//! Keys are the test's own (`keycard-core` keys, or JWKs a peer library generated).

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use keycard_core::{Algorithm, Key, jwt};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// The client the stream accepts.
pub const STREAM_CLIENT: (&str, &str) = ("rs", "stream-secret-0123456789-abcdefghij");

#[derive(Default)]
struct Shared {
    base: String,
    jwks: Mutex<Value>,
    cache_control: Mutex<String>,
    jwks_fetches: AtomicUsize,
    jwks_failing: AtomicBool,
    streams: Mutex<Vec<mpsc::Sender<Result<String, Infallible>>>>,
    last_event_ids: Mutex<Vec<Option<String>>>,
}

/// The running issuer.
#[derive(Clone)]
pub struct TestIssuer {
    shared: Arc<Shared>,
}

impl TestIssuer {
    /// Starts on an ephemeral loopback port, with an empty JWKS kept for 900 s.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared {
            base,
            jwks: Mutex::new(json!({ "keys": [] })),
            cache_control: Mutex::new("public, max-age=900".into()),
            ..Shared::default()
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks.json", get(jwks))
            .route("/v1/revocations", get(stream))
            .with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { shared }
    }

    /// The issuer URL (`iss`).
    pub fn url(&self) -> String {
        self.shared.base.clone()
    }

    /// Publishes exactly these JWKs.
    pub fn publish(&self, keys: Vec<Value>) {
        *self.shared.jwks.lock().unwrap() = json!({ "keys": keys });
    }

    /// Publishes the public halves of these keys.
    pub fn publish_keys(&self, keys: &[&Key]) {
        self.publish(keys.iter().filter_map(|key| key.public_jwk()).collect());
    }

    /// The JWKS's `Cache-Control`.
    pub fn set_cache_control(&self, value: &str) {
        *self.shared.cache_control.lock().unwrap() = value.into();
    }

    /// Makes the JWKS answer 503 (or answer again).
    pub fn fail_jwks(&self, failing: bool) {
        self.shared.jwks_failing.store(failing, Ordering::SeqCst);
    }

    /// How many times the JWKS was fetched.
    pub fn jwks_fetches(&self) -> usize {
        self.shared.jwks_fetches.load(Ordering::SeqCst)
    }

    /// How many revocation streams are open.
    pub fn open_streams(&self) -> usize {
        let mut streams = self.shared.streams.lock().unwrap();
        streams.retain(|sender| !sender.is_closed());
        streams.len()
    }

    /// The `Last-Event-ID` each stream connection sent, in order.
    pub fn last_event_ids(&self) -> Vec<Option<String>> {
        self.shared.last_event_ids.lock().unwrap().clone()
    }

    /// Writes raw bytes to every open stream.
    pub async fn send(&self, text: &str) {
        let senders = self.shared.streams.lock().unwrap().clone();
        for sender in senders {
            let _ = sender.send(Ok(text.to_owned())).await;
        }
    }

    /// Closes every open stream.
    pub fn cut_streams(&self) {
        self.shared.streams.lock().unwrap().clear();
    }

    /// Signs `claims` with `key`, `typ: at+jwt`.
    pub fn sign(key: &Key, claims: &Value) -> String {
        jwt::sign(key, Some("at+jwt"), claims).unwrap()
    }

    /// Claims a default verifier of this issuer accepts, at `now` (Unix seconds).
    pub fn claims(&self, now: i64) -> Value {
        json!({
            "iss": self.url(), "aud": "api", "sub": "user-1", "sid": "session-1",
            "iat": now, "exp": now + 600, "jti": "j1",
        })
    }
}

/// A fresh key with this kid.
pub fn key(alg: Algorithm, kid: &str) -> Key {
    Key::generate(alg).unwrap().with_kid(kid)
}

async fn discovery(State(shared): State<Arc<Shared>>) -> Response {
    let document = json!({
        "issuer": shared.base,
        "jwks_uri": format!("{}/jwks.json", shared.base),
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    axum::Json(document).into_response()
}

async fn jwks(State(shared): State<Arc<Shared>>) -> Response {
    shared.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    if shared.jwks_failing.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let jwks = shared.jwks.lock().unwrap().to_string();
    let cache_control = shared.cache_control.lock().unwrap().clone();
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::CACHE_CONTROL, cache_control),
        ],
        jwks,
    )
        .into_response()
}

async fn stream(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let expected = format!(
        "Basic {}",
        keycard_core::jose::base64url::encode(format!("{}:{}", STREAM_CLIENT.0, STREAM_CLIENT.1))
            .replace('-', "+")
            .replace('_', "/")
    );
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.trim_end_matches('='));
    if given != Some(expected.as_str()) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let last_id = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    shared.last_event_ids.lock().unwrap().push(last_id);
    let (sender, receiver) = mpsc::channel(64);
    shared.streams.lock().unwrap().push(sender);
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(receiver));
    ([(header::CONTENT_TYPE, "text/event-stream")], body).into_response()
}
