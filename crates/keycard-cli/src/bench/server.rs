//! Keycard started in this process for a benchmark: one mode over one backend, on a
//! loopback port, over a fresh data dir, with the login and registration limits off (the
//! login benchmark logs in hundreds of times a second from one address). Everything else
//! is `keycard serve`'s defaults, caches included. The server runs on this process's
//! multi-threaded runtime; the load generator on threads of its own.

use std::net::SocketAddr;
use std::sync::Arc;

use keycard_core::SystemClock;
use keycard_server::config::values::StoreUrlArg;
use keycard_server::config::{Mode, ServeArgs, Settings};
use keycard_server::{app, bootstrap};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::backend::{Backend, Locations, Prepared};
use crate::failure::Failure;

/// A running benchmark server.
#[derive(Debug)]
pub struct BenchServer {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
    background: bootstrap::Background,
    prepared: Prepared,
    _scratch: TempDir,
}

/// Starts Keycard in `mode` over `backend`; `tag` names its schema and Redis prefix.
pub async fn start(
    mode: Mode,
    backend: &Backend,
    locations: &Locations,
    tag: &str,
) -> Result<BenchServer, Failure> {
    let scratch = tempfile::Builder::new()
        .prefix("keycard-bench-")
        .tempdir()
        .map_err(|e| Failure::Input(format!("cannot make a scratch dir: {e}")))?;
    let data_dir = scratch.path().join("data");
    let prepared = backend.prepare(locations, &data_dir, tag).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| Failure::Input(format!("cannot listen on loopback: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::Input(format!("cannot read the bound address: {e}")))?;
    let args = ServeArgs {
        mode: Some(mode),
        data_dir: Some(data_dir),
        user_store: Some(StoreUrlArg(prepared.users.clone())),
        session_store: prepared.sessions.clone().map(StoreUrlArg),
        redis_prefix: Some(prepared.redis_prefix.clone()),
        login_limit_per_account: Some(0),
        login_limit_per_ip: Some(0),
        login_success_limit_per_ip: Some(0),
        registration_limit_per_ip: Some(0),
        max_sessions_per_user: Some(0),
        ..ServeArgs::default()
    };
    let settings = Settings::resolve(args)
        .map_err(|e| Failure::Input(format!("benchmark settings: {e}")))?
        .bound_to(addr);
    let (state, background) = bootstrap::bootstrap(settings, Arc::new(SystemClock))
        .await
        .map_err(|e| Failure::Input(format!("cannot start Keycard ({}): {e}", backend.name())))?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(app::run(listener, state, async {
        let _ = stopped.await;
    }));
    Ok(BenchServer {
        addr,
        stop,
        task,
        background,
        prepared,
        _scratch: scratch,
    })
}

impl BenchServer {
    /// The base URL.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server (draining), its background tasks, and removes what it made.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
        drop(self.background);
        self.prepared.clean_up().await;
    }
}
