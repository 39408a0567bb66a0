//! A `redis-server` of a test's own on a free port, for what must not touch the shared
//! server: killing it, or killing every pub/sub client on it.

// Test code: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the server may take to start.
const START_BOUND: Duration = Duration::from_secs(5);

/// A port nothing listens on (at the time of asking).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts a wall-clock measurement.
#[allow(clippy::disallowed_methods)]
fn stopwatch() -> Instant {
    Instant::now()
}

/// A `redis-server` of this test's own, killed when dropped.
pub struct Throwaway {
    pub port: u16,
    child: Option<Child>,
}

impl Throwaway {
    pub fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server on the PATH (or set KEYCARD_SKIP_REDIS=1)");
        let server = Self {
            port,
            child: Some(child),
        };
        let started = stopwatch();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < START_BOUND,
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Throwaway {
    fn drop(&mut self) {
        self.kill();
    }
}
