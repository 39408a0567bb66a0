//! Private PostgreSQL and Redis servers for the fault drills: each on a free loopback port
//! with its data in a scratch directory, so a drill can stop and restart them without
//! touching the servers other tests and benchmarks share.
//!
//! PostgreSQL is stopped with `pg_ctl stop -m immediate` (no checkpoint: it recovers from
//! its WAL on the next start, as after a crash); Redis with SIGKILL, its data kept by an
//! append-only file synced on every write (`appendfsync always`), as a Redis that holds
//! sessions should be run.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use super::DrillError;

/// A free port on 127.0.0.1 (bound and released: another process could take it first,
/// which a drill reports as a failed start).
pub fn free_port() -> Result<u16, DrillError> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Waits until something accepts TCP connections on `port`, or `limit` passes.
pub async fn wait_for_port(port: u16, limit: Duration) -> Result<(), DrillError> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(DrillError::new(format!(
                "nothing listens on 127.0.0.1:{port} after {limit:?}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs `command` to completion; its output goes into the error when it fails.
fn run(command: &mut Command, what: &str) -> Result<(), DrillError> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| DrillError::new(format!("{what}: {e}")))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(DrillError::new(format!(
            "{what}: {}\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )))
    }
}

/// A private PostgreSQL cluster (`initdb` in a scratch directory, trust authentication on
/// loopback), run as the `postgres` user when this process is root (PostgreSQL refuses
/// to run as root).
#[derive(Debug)]
pub struct PrivatePostgres {
    _scratch: TempDir,
    data: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    port: u16,
}

impl PrivatePostgres {
    /// Creates the cluster and starts it. The binaries are taken from `KEYCARD_PG_BIN`,
    /// else from the newest `/usr/lib/postgresql/*/bin`.
    pub async fn start() -> Result<Self, DrillError> {
        let bin = postgres_bin()?;
        let scratch = tempfile::Builder::new()
            .prefix("keycard-drill-pg-")
            .tempdir()?;
        let data = scratch.path().join("data");
        std::fs::create_dir(&data)?;
        let as_postgres = is_root();
        if as_postgres {
            // The scratch directory is root's; the cluster's directory is postgres's.
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(0o755))?;
            run(
                Command::new("chown").arg("postgres:").arg(&data),
                "chown postgres: (the private PostgreSQL's directory)",
            )?;
        }
        let postgres = Self {
            _scratch: scratch,
            data,
            bin,
            as_postgres,
            port: free_port()?,
        };
        run(
            &mut postgres.command(
                "initdb",
                &[
                    "--auth=trust",
                    "--username=postgres",
                    "--no-sync",
                    "--encoding=UTF8",
                ],
            ),
            "initdb (the private PostgreSQL)",
        )?;
        postgres.resume().await?;
        Ok(postgres)
    }

    /// The connection URL of database `name` (created by [`create_database`](Self::create_database)).
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates an empty database.
    pub async fn create_database(&self, name: &str) -> Result<(), DrillError> {
        use sqlx::Connection as _;
        let mut connection = sqlx::PgConnection::connect(&self.url("postgres"))
            .await
            .map_err(|e| DrillError::new(format!("connect to the private PostgreSQL: {e}")))?;
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut connection)
            .await
            .map_err(|e| DrillError::new(format!("CREATE DATABASE {name}: {e}")))?;
        Ok(())
    }

    /// Stops the server at once, as a crash would (`pg_ctl stop -m immediate`).
    pub fn stop(&self) -> Result<(), DrillError> {
        run(
            &mut self.command("pg_ctl", &["stop", "-m", "immediate", "-w"]),
            "pg_ctl stop (the private PostgreSQL)",
        )
    }

    /// Starts the server again on the same port and data, waiting until it accepts.
    pub async fn resume(&self) -> Result<(), DrillError> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            self.port,
            self.data.display()
        );
        let log = self.data.join("server.log");
        let log = log.to_string_lossy();
        run(
            &mut self.command(
                "pg_ctl",
                &["start", "-w", "-t", "60", "-o", &options, "-l", &log],
            ),
            "pg_ctl start (the private PostgreSQL)",
        )?;
        wait_for_port(self.port, Duration::from_secs(30)).await
    }

    /// `tool` of this PostgreSQL with `args`, then `-D` and the data directory.
    fn command(&self, tool: &str, args: &[&str]) -> Command {
        let program = self.bin.join(tool);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        command.args(args).arg("-D").arg(&self.data);
        command
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl", &["stop", "-m", "immediate"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

fn postgres_bin() -> Result<PathBuf, DrillError> {
    if let Some(dir) = std::env::var_os("KEYCARD_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| {
            DrillError::new(format!(
                "no PostgreSQL server binaries in /usr/lib/postgresql ({e}); set KEYCARD_PG_BIN to the directory of initdb and pg_ctl"
            ))
        })?
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort_by_key(|path| {
        path.parent()
            .and_then(Path::file_name)
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions.pop().ok_or_else(|| {
        DrillError::new("no initdb under /usr/lib/postgresql/*/bin; set KEYCARD_PG_BIN")
    })
}

/// A private Redis (`redis-server` from `PATH`), its append-only file in a scratch
/// directory, synced on every write.
#[derive(Debug)]
pub struct PrivateRedis {
    scratch: TempDir,
    port: u16,
    child: Option<Child>,
}

impl PrivateRedis {
    /// Starts it and waits until it accepts connections.
    pub async fn start() -> Result<Self, DrillError> {
        let mut redis = Self {
            scratch: tempfile::Builder::new()
                .prefix("keycard-drill-redis-")
                .tempdir()?,
            port: free_port()?,
            child: None,
        };
        redis.resume().await?;
        Ok(redis)
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills it (SIGKILL): whatever was acknowledged is in the append-only file.
    pub fn stop(&mut self) -> Result<(), DrillError> {
        if let Some(mut child) = self.child.take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }

    /// Starts it again on the same port, from its append-only file.
    pub async fn resume(&mut self) -> Result<(), DrillError> {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .arg("--dir")
            .arg(self.scratch.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| DrillError::new(format!("redis-server (is it on PATH?): {e}")))?;
        self.child = Some(child);
        wait_for_port(self.port, Duration::from_secs(30)).await
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
