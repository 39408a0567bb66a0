//! `keycard serve` as a child process of the drill: started on a fixed loopback port with
//! the drill's settings, killed with SIGKILL, started again on the same port, data
//! directory and stores.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use keycard_server::config::Mode;
use tempfile::TempDir;

use super::DrillError;
use super::services::{free_port, wait_for_port};

/// How the drill runs the server.
#[derive(Clone, Debug)]
pub struct ServerSpec {
    /// The `keycard` binary.
    pub binary: PathBuf,
    /// `session`, `jwt` or `hybrid`.
    pub mode: Mode,
    /// `--user-store`.
    pub user_store: Option<String>,
    /// `--session-store`.
    pub session_store: Option<String>,
    /// Further `--flag=value` arguments.
    pub extra: Vec<String>,
}

/// A running (or killed) `keycard serve`.
#[derive(Debug)]
pub struct KeycardProcess {
    spec: ServerSpec,
    data_dir: TempDir,
    port: u16,
    child: Option<Child>,
}

impl KeycardProcess {
    /// Starts the server on a free port with a fresh data directory.
    pub async fn start(spec: ServerSpec) -> Result<Self, DrillError> {
        use std::os::unix::fs::PermissionsExt as _;
        let data_dir = tempfile::Builder::new()
            .prefix("keycard-drill-")
            .tempdir()?;
        // The server refuses a data directory others can read.
        std::fs::set_permissions(data_dir.path(), std::fs::Permissions::from_mode(0o700))?;
        let mut server = Self {
            spec,
            data_dir,
            port: free_port()?,
            child: None,
        };
        server.restart().await?;
        Ok(server)
    }

    /// `http://127.0.0.1:PORT`, the issuer and origin too.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's data directory (the SQLite file and its WAL, when the stores are
    /// SQLite).
    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.path()
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL: no drain, no flush, nothing the process could still do.
    pub fn kill(&mut self) -> Result<(), DrillError> {
        if let Some(mut child) = self.child.take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }

    /// Starts the server (again) with the same port, data directory and stores, and waits
    /// until `/healthz` answers.
    pub async fn restart(&mut self) -> Result<(), DrillError> {
        self.kill()?;
        let base = self.base();
        let mut command = Command::new(&self.spec.binary);
        command
            .arg("serve")
            .arg(format!("--mode={}", self.spec.mode))
            .arg(format!("--addr=127.0.0.1:{}", self.port))
            .arg(format!("--issuer={base}"))
            .arg(format!("--data-dir={}", self.data_dir.path().display()));
        if let Some(store) = &self.spec.user_store {
            command.arg(format!("--user-store={store}"));
        }
        if let Some(store) = &self.spec.session_store {
            command.arg(format!("--session-store={store}"));
        }
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("KEYCARD_")) {
            command.env_remove(name);
        }
        let mut child = command
            .args(&self.spec.extra)
            .env("KEYCARD_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| DrillError::new(format!("{}: {e}", self.spec.binary.display())))?;
        // Its banner ends with "Press Ctrl-C"; the rest of its output is drained so it
        // never blocks on a full pipe.
        let stdout = child.stdout.take();
        let (ready, started) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let Some(stdout) = stdout else { return };
            let mut ready = Some(ready);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.starts_with("Press Ctrl-C")
                    && let Some(ready) = ready.take()
                {
                    let _ = ready.send(());
                }
            }
        });
        self.child = Some(child);
        match tokio::time::timeout(Duration::from_secs(60), started).await {
            Ok(Ok(())) => wait_for_port(self.port, Duration::from_secs(10)).await,
            _ => {
                let status = self
                    .child
                    .as_mut()
                    .and_then(|c| c.try_wait().ok().flatten());
                self.kill()?;
                Err(DrillError::new(match status {
                    Some(status) => format!("keycard serve exited at start: {status}"),
                    None => "keycard serve did not start within 60 s".to_owned(),
                }))
            }
        }
    }
}

impl Drop for KeycardProcess {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}
