//! The serve loop: accepts connections and serves each with hyper, under limits that
//! `axum::serve` does not set and an auth server needs against slow clients:
//!
//! - a client must send a request's headers within [`Connections::header_read_timeout`]
//!   (and the first byte of its first request within the same time), or its connection is
//!   closed: a slow-headers client (a byte every few seconds, as "slowloris" does) cannot
//!   hold a connection and its task for long;
//! - a connection silent in both directions for [`Connections::idle_timeout`] is closed
//!   (`idle.rs`), so an idle keep-alive connection does not hold its slot forever;
//! - at most [`Connections::max_connections`] connections are served at once; past it the
//!   loop stops accepting until one closes, so new clients wait in the kernel's backlog
//!   instead of exhausting file descriptors and memory;
//! - one client address holds at most [`PerAddress::max`] of them (`per_address.rs`); a
//!   connection past that is closed as soon as it is accepted, so one host cannot take
//!   every slot and make everyone else wait in the backlog.
//!
//! Each request carries the peer's address as axum's `ConnectInfo`, as
//! `into_make_service_with_connect_info` would give it. On shutdown the listener closes,
//! every connection is asked to finish its request in flight (HTTP/1 `Connection: close`,
//! HTTP/2 `GOAWAY`), and the loop returns once all are done or after [`DRAIN_TIMEOUT`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use prometheus_client::metrics::counter::Counter;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

mod idle;
mod per_address;

use idle::Idle;
use per_address::Holders;
pub use per_address::PerAddress;

/// After shutdown is signalled, how long in-flight requests get to finish before the
/// server stops anyway.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// The listen backlog [`bind`] asks for: connections the kernel completes while the loop
/// has not accepted them yet. Linux caps it at `net.core.somaxconn` (4096 on current
/// kernels). Tokio's `TcpListener::bind` asks for 1024; under a flood of connections (one
/// host reconnecting as fast as the per-address limit closes it) a queue that short
/// overflows, and a client whose handshake is dropped retries only after a second.
pub const LISTEN_BACKLOG: u32 = 4096;

/// How long the loop waits before accepting again after an error that is not one
/// connection's (out of file descriptors, say): retrying at once would spin.
const ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// The limits on connections (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connections {
    /// How long a client may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// How long a connection may be silent in both directions between requests.
    pub idle_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// Connections one client address may hold at once.
    pub per_address: PerAddress,
}

/// Listens on `addr` as `TcpListener::bind` does (address reuse on, so a restarted server
/// binds at once), with a backlog of [`LISTEN_BACKLOG`].
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Serves `router` on `listener` until `shutdown` completes, then drains (see the module
/// documentation). `refused` counts the connections closed by the per-address limit.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Connections,
    refused: Counter,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let holders = Holders::new(limits.per_address.clone());
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                // The semaphore is never closed.
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    if !is_one_connections(&error) {
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(held) = holders.admit(peer.ip()) else {
            // Closed unread: the slot's permit goes back with it.
            refused.inc();
            tracing::debug!(%peer, "connection refused: its address holds the most connections allowed");
            drop((stream, permit));
            continue;
        };
        let connection = builder
            .serve_connection_with_upgrades(io(stream, &limits), service(router.clone(), peer))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
            drop((held, permit));
        });
    }
    drop(listener);
    tracing::info!("shutting down: draining in-flight requests");
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN_TIMEOUT) => {
            tracing::warn!(timeout = ?DRAIN_TIMEOUT, "requests still in flight after the drain timeout; stopping anyway");
        }
    }
    Ok(())
}

fn io(stream: TcpStream, limits: &Connections) -> TokioIo<Idle<TcpStream>> {
    // Responses are written whole; waiting to coalesce them only adds latency.
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "TCP_NODELAY not set");
    }
    TokioIo::new(Idle::new(
        stream,
        limits.header_read_timeout,
        limits.idle_timeout,
    ))
}

/// The router for one connection: each request gets the peer's address.
fn service(
    router: Router,
    peer: SocketAddr,
) -> TowerToHyperService<
    impl tower::Service<
        Request<Incoming>,
        Response = axum::response::Response,
        Error = std::convert::Infallible,
        Future = impl Send,
    > + Clone,
> {
    TowerToHyperService::new(tower::service_fn(move |request: Request<Incoming>| {
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        router.clone().oneshot(request)
    }))
}

/// An accept error that concerns one connection only (it was reset or aborted before it
/// was accepted): accept the next one at once.
fn is_one_connections(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A server that closed a connection first keeps it in TIME_WAIT; restarted at once on
    /// the same port, it must still bind (as `TcpListener::bind` would).
    #[tokio::test]
    async fn a_restarted_server_binds_its_port_again_at_once() {
        let listener = bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let client = TcpStream::connect(addr).await.unwrap();
        let (served, _) = listener.accept().await.unwrap();
        drop(served);
        drop(listener);
        drop(client);
        let again = bind(addr).unwrap();
        assert_eq!(again.local_addr().unwrap(), addr);
    }
}
