//! `keycard serve` as a user runs it: the real binary on port 0, its printed addresses,
//! settings from a flag, the environment and a TOML file at once, a health check over
//! HTTP, and SIGTERM draining to exit status 0.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

/// A fresh scratch directory, removed on drop.
fn scratch_dir(name: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("keycard-serve-{name}-"))
        .tempdir()
        .unwrap()
}

/// `keycard serve` with `args`, the given `KEYCARD_*` variables and no others.
fn keycard_serve(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keycard"));
    command.arg("serve").args(args);
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("KEYCARD_")) {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command
}

/// A GET over a fresh connection: (status line, body).
fn get(url: &str) -> (String, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

/// Waits for the child to exit, killing it after `limit`.
fn wait(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let step = Duration::from_millis(50);
    let mut waited = Duration::ZERO;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if waited >= limit {
            let _ = child.kill();
            panic!("keycard serve did not stop within {limit:?}");
        }
        std::thread::sleep(step);
        waited += step;
    }
}

#[test]
fn serve_prints_its_addresses_answers_and_drains_on_sigterm() {
    let scratch = scratch_dir("e2e");
    let config = scratch.path().join("keycard.toml");
    std::fs::write(
        &config,
        "mode = \"session\"\naccess_token_lifetime = \"10m\"\naudience = \"from-the-file\"\n",
    )
    .unwrap();
    let data_dir = scratch.path().join("data");
    let mut child = keycard_serve(
        &[
            "--addr=127.0.0.1:0",
            "--mode=hybrid",
            "--revocation=off",
            &format!("--data-dir={}", data_dir.display()),
            &format!("--config={}", config.display()),
        ],
        &[
            ("KEYCARD_MODE", "jwt"),
            ("KEYCARD_ACCESS_TOKEN_LIFETIME", "5m"),
            ("KEYCARD_LOG", "warn"),
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();

    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut printed = Vec::new();
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            let _ = child.kill();
            panic!("keycard serve stopped early; printed {printed:?}");
        }
        let done = line.starts_with("Press Ctrl-C");
        printed.push(line.trim_end().to_owned());
        if done {
            break;
        }
    }
    let url_of = |label: &str| {
        printed
            .iter()
            .find_map(|line| line.trim().strip_prefix(label))
            .map(|rest| rest.trim().to_owned())
            .unwrap_or_else(|| panic!("no {label} line in {printed:?}"))
    };
    let health = url_of("health:");
    let jwks = url_of("JWKS:");
    let configuration = url_of("config:");
    assert!(url_of("API:").ends_with("/v1"));
    assert!(!health.contains(":0/"), "the bound port, not 0: {health}");
    assert!(
        printed
            .iter()
            .any(|line| line.starts_with("WARNING: revocation is off")),
        "{printed:?}"
    );

    let (status, body) = get(&health);
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["status"],
        "ok"
    );
    let (status, body) = get(&jwks);
    assert!(status.contains(" 200 "), "{status}");
    let jwks: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);

    // Flag over environment over file: mode from the flag, lifetime from the
    // environment, audience from the file.
    let (_, body) = get(&configuration);
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["mode"], "hybrid");
    assert_eq!(doc["access_token_lifetime"], 300);
    assert_eq!(doc["audience"], "from-the-file");
    assert_eq!(doc["revocation"], "off");
    assert!(data_dir.join("keycard.sqlite3").exists());

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = wait(&mut child, Duration::from_secs(20));
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "exit {status:?}; stderr: {stderr}");
}

#[test]
fn serve_refuses_bad_settings_naming_them() {
    let scratch = scratch_dir("bad");
    let output = keycard_serve(&["--signing-algorithm=HS256", "--addr=127.0.0.1:0"], &[])
        .current_dir(scratch.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("signing_algorithm"), "{stderr}");
    assert!(
        !scratch.path().join("keycard-data").exists(),
        "nothing made on a refused start"
    );

    let config = scratch.path().join("keycard.toml");
    std::fs::write(&config, "adress = \"127.0.0.1:0\"\n").unwrap();
    let output = keycard_serve(&[&format!("--config={}", config.display())], &[])
        .current_dir(scratch.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("adress"), "{stderr}");
}
