//! Crash safety of the embedded default: a child process writing sessions to SQLite is
//! killed with SIGKILL mid-write; the file must reopen consistent, with every session the
//! child had acknowledged.
//!
//! The child is this same test binary, re-run with `KEYCARD_CRASH_CHILD_DB` set: it writes
//! sessions from several tasks and prints `ack <id>` only after `create_session` returned.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use keycard_core::opaque::{OpaqueKind, OpaqueToken};
use keycard_core::session::{ClientMeta, Session, SessionKind};
use keycard_core::store::SessionStore;
use keycard_core::{SessionId, UnixTime, UserId};
use keycard_store::sqlite::SqliteStore;
use sqlx::Connection as _;

const CHILD_DB: &str = "KEYCARD_CRASH_CHILD_DB";
const NOW: i64 = 1_800_000_000;

fn session() -> Session {
    Session {
        id: SessionId::generate().unwrap(),
        user_id: UserId::new("crash-test-user"),
        kind: SessionKind::Cookie,
        created_at: UnixTime::from_secs(NOW),
        last_seen_at: UnixTime::from_secs(NOW),
        idle_timeout_secs: 86_400,
        absolute_expiry: UnixTime::from_secs(NOW + 86_400),
        client: ClientMeta::default(),
    }
}

/// The child: write sessions until killed, acknowledging each one after it is stored.
async fn write_until_killed(db: &Path) -> ! {
    let store = Arc::new(SqliteStore::open(db).await.unwrap());
    let (acks, mut acked) = tokio::sync::mpsc::unbounded_channel::<SessionId>();
    for _ in 0..4 {
        let (store, acks) = (store.clone(), acks.clone());
        tokio::spawn(async move {
            loop {
                let session = session();
                let token = OpaqueToken::generate(OpaqueKind::Session).unwrap();
                store
                    .create_session(&session, &token.digest())
                    .await
                    .unwrap();
                acks.send(session.id).unwrap();
            }
        });
    }
    let mut out = std::io::stdout().lock();
    while let Some(id) = acked.recv().await {
        writeln!(out, "ack {id}").unwrap();
        out.flush().unwrap();
    }
    unreachable!("writers never stop")
}

/// Runs a child against `db`, kills it with SIGKILL after `acks_before_kill`
/// acknowledgements, and returns the ids it acknowledged.
fn run_and_kill(db: &Path, acks_before_kill: usize) -> Vec<SessionId> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sigkill_mid_write_loses_no_acknowledged_session",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB, db)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut acknowledged = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while acknowledged.len() < acks_before_kill {
        let line = lines.next().expect("the child exited early").unwrap();
        if let Some(id) = line.strip_prefix("ack ") {
            acknowledged.push(SessionId::new(id));
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix: no destructor, no flush, no clean close.
    // Acknowledgements already on their way through the pipe count too.
    for line in lines.map_while(Result::ok) {
        if let Some(id) = line.strip_prefix("ack ") {
            acknowledged.push(SessionId::new(id));
        }
    }
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the child was killed, not finished: {status:?}"
    );
    acknowledged
}

#[test]
fn sigkill_mid_write_loses_no_acknowledged_session() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if let Some(db) = std::env::var_os(CHILD_DB) {
        runtime.block_on(write_until_killed(Path::new(&db)));
    }
    let scratch = tempfile::Builder::new()
        .prefix("keycard-crash-")
        .tempdir()
        .unwrap();
    let db = scratch.path().join("keycard.sqlite3");
    let mut acknowledged = Vec::new();
    for round in 0..3 {
        acknowledged.extend(run_and_kill(&db, 150 + 100 * round));
        runtime.block_on(async {
            let url = format!("sqlite://{}", db.display());
            let mut connection = sqlx::SqliteConnection::connect(&url).await.unwrap();
            let check: String = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(&mut connection)
                .await
                .unwrap();
            assert_eq!(check, "ok", "round {round}: the file is consistent");
            connection.close().await.unwrap();

            let store = SqliteStore::open(&db).await.unwrap();
            let now = UnixTime::from_secs(NOW + 1);
            for id in &acknowledged {
                assert!(
                    store.load_session(id, now).await.unwrap().is_some(),
                    "round {round}: acknowledged session {id} was lost"
                );
            }
            let listed = store
                .list_user_sessions(&UserId::new("crash-test-user"), now)
                .await
                .unwrap();
            assert!(listed.len() >= acknowledged.len());
            println!(
                "round {round}: {} acknowledged sessions, {} stored, all present",
                acknowledged.len(),
                listed.len()
            );
        });
    }
}
