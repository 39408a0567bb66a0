//! A TCP proxy that can cut a store off and bring it back, to test what the server does
//! when PostgreSQL or Redis stops answering without stopping the shared servers other
//! tests use. While cut, live connections are closed and new ones are accepted and closed
//! at once (as a restarting server looks to its clients); restored, it forwards again on
//! the same address.

use std::net::SocketAddr;

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A proxy in front of one store.
pub struct Outage {
    addr: SocketAddr,
    up: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Outage {
    /// A proxy on a free loopback port forwarding to `target` (`host:port`).
    pub async fn start(target: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let target = target.to_owned();
        let (up, watching) = watch::channel(true);
        let task = tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    return;
                };
                if !*watching.borrow() {
                    drop(inbound);
                    continue;
                }
                tokio::spawn(forward(inbound, target.clone(), watching.clone()));
            }
        });
        Self { addr, up, task }
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes every connection and refuses new ones.
    pub fn cut(&self) {
        let _ = self.up.send(false);
    }

    /// Forwards again.
    pub fn restore(&self) {
        let _ = self.up.send(true);
    }
}

impl Drop for Outage {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(mut inbound: TcpStream, target: String, mut up: watch::Receiver<bool>) {
    let Ok(mut outbound) = TcpStream::connect(&target).await else {
        return;
    };
    tokio::select! {
        _ = copy_bidirectional(&mut inbound, &mut outbound) => {}
        _ = up.wait_for(|up| !*up) => {}
    }
}
