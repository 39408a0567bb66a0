//! Running a peer process for a test: input on stdin, stdout and stderr collected on their
//! own threads (so a chatty child cannot fill a pipe and deadlock), and a kill after a
//! timeout. Shared by the interop tests of several crates through `#[path]`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read as _, Write as _};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::Duration;

/// Runs `command` with `input` on stdin, collecting stdout and stderr; kills it after
/// `timeout`.
pub fn run_with_input(
    mut command: Command,
    input: String,
    timeout: Duration,
) -> (ExitStatus, String, String) {
    let shown = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {shown}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let writer = thread::spawn(move || stdin.write_all(input.as_bytes()));
    let mut stdout_pipe = child.stdout.take().unwrap();
    let stdout = thread::spawn(move || {
        let mut text = String::new();
        stdout_pipe.read_to_string(&mut text).map(|_| text)
    });
    let mut stderr_pipe = child.stderr.take().unwrap();
    let stderr = thread::spawn(move || {
        let mut text = String::new();
        stderr_pipe.read_to_string(&mut text).map(|_| text)
    });
    let poll = Duration::from_millis(10);
    let mut waited = Duration::ZERO;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if waited >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{shown} did not finish within {timeout:?}");
        }
        thread::sleep(poll);
        waited += poll;
    };
    writer
        .join()
        .unwrap()
        .unwrap_or_else(|e| panic!("{shown}: writing its stdin failed: {e}"));
    let stdout = stdout.join().unwrap().unwrap();
    let stderr = stderr.join().unwrap().unwrap();
    (status, stdout, stderr)
}
