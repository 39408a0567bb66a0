//! A TCP proxy on loopback that a test can stop, restart on the same port, or freeze, to
//! play a database that goes away or stops answering without touching the shared servers.

// Test code: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

const POLL: Duration = Duration::from_millis(10);

#[derive(Default)]
struct Shared {
    stopped: AtomicBool,
    frozen: AtomicBool,
    streams: Mutex<Vec<TcpStream>>,
}

/// Forwards `127.0.0.1:port` to `target` until stopped or dropped.
pub struct Proxy {
    port: u16,
    target: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl Proxy {
    /// A proxy to `target` on a free port.
    pub fn start(target: SocketAddr) -> Self {
        Self::start_on(0, target)
    }

    /// A proxy to `target` on `port` (0: any free port).
    pub fn start_on(port: u16, target: SocketAddr) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the proxy");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared::default());
        let acceptor = {
            let shared = shared.clone();
            thread::spawn(move || accept(&listener, target, &shared))
        };
        Self {
            port,
            target,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops listening and cuts every connection: the server is gone.
    pub fn stop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            acceptor.join().unwrap();
        }
        for stream in self.shared.streams.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Listens again on the same port: the server is back.
    pub fn restart(&mut self) {
        self.stop();
        *self = Self::start_on(self.port, self.target);
    }

    /// Keeps connections open but forwards nothing (`true`), or forwards again (`false`):
    /// the server has stopped answering.
    pub fn freeze(&self, frozen: bool) {
        self.shared.frozen.store(frozen, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop();
    }
}

fn accept(listener: &TcpListener, target: SocketAddr, shared: &Arc<Shared>) {
    while !shared.stopped.load(Ordering::SeqCst) {
        let client = match listener.accept() {
            Ok((client, _)) => client,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                thread::sleep(POLL);
                continue;
            }
            Err(_) => return,
        };
        let Ok(server) = TcpStream::connect(target) else {
            continue;
        };
        client.set_nonblocking(false).unwrap();
        for stream in [&client, &server] {
            stream.set_read_timeout(Some(POLL)).unwrap();
            shared
                .streams
                .lock()
                .unwrap()
                .push(stream.try_clone().unwrap());
        }
        for (from, to) in [
            (client.try_clone().unwrap(), server.try_clone().unwrap()),
            (server, client),
        ] {
            let shared = shared.clone();
            thread::spawn(move || pump(from, to, &shared));
        }
    }
}

/// Copies `from` to `to` until either closes; while frozen, reads nothing.
fn pump(mut from: TcpStream, mut to: TcpStream, shared: &Shared) {
    let mut buffer = [0u8; 16 * 1024];
    loop {
        if shared.stopped.load(Ordering::SeqCst) {
            break;
        }
        if shared.frozen.load(Ordering::SeqCst) {
            thread::sleep(POLL);
            continue;
        }
        match from.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                if to.write_all(&buffer[..n]).is_err() {
                    break;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
