//! Running the scripts of `tests/browser` under Debian's Chromium (playwright-core): what
//! they need, the loud skip with `KEYCARD_SKIP_BROWSER=1`, and their JSON result.

use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

pub const CHROMIUM: &str = "/usr/bin/chromium";
/// How long a script may take, browser launch included.
pub const DEADLINE: Duration = Duration::from_secs(180);

/// `tests/browser` of the workspace.
pub fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser")
}

/// What is missing to run a page test, if anything.
fn missing() -> Vec<String> {
    let mut missing = Vec::new();
    if !Path::new(CHROMIUM).is_file() {
        missing.push(CHROMIUM.to_owned());
    }
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !node.is_ok_and(|status| status.success()) {
        missing.push("node".to_owned());
    }
    for module in ["playwright-core", "axe-core"] {
        if !browser_dir()
            .join(format!("node_modules/{module}/package.json"))
            .is_file()
        {
            missing.push(format!("tests/browser/node_modules ({module})"));
        }
    }
    missing
}

/// Whether the browser test `test` can run: `false` (after a loud notice) when something
/// is missing and `KEYCARD_SKIP_BROWSER=1` says to skip; panics when something is missing
/// otherwise.
pub fn runs(test: &str) -> bool {
    let missing = missing();
    if missing.is_empty() {
        return true;
    }
    let what = missing.join(", ");
    if std::env::var("KEYCARD_SKIP_BROWSER").as_deref() == Ok("1") {
        let bar = "!".repeat(78);
        let _ = writeln!(
            std::io::stderr(),
            "\n{bar}\n!! SKIPPED {test}: {what} missing.\n\
             !! KEYCARD_SKIP_BROWSER=1 is set, so this test passes WITHOUT RUNNING.\n\
             !! Run `bash tests/browser/setup.sh` to install what it needs.\n{bar}"
        );
        return false;
    }
    panic!(
        "{test} needs {what}: run `bash tests/browser/setup.sh` \
         (or set KEYCARD_SKIP_BROWSER=1 to skip this test outside CI)"
    );
}

/// A child process killed (and reaped) when dropped.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where screenshots go: `docs/screenshots` when `KEYCARD_UPDATE_SCREENSHOTS=1`, else
/// nowhere.
fn screenshots() -> Option<PathBuf> {
    (std::env::var("KEYCARD_UPDATE_SCREENSHOTS").as_deref() == Ok("1"))
        .then(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots"))
}

/// Runs `script` (in `tests/browser`) with `args` and `env` (output under `dir`); its JSON
/// result.
pub async fn run(dir: &Path, script: &str, args: &[&str], env: &[(&str, &str)]) -> Value {
    let stdout = dir.join(format!("{script}.stdout"));
    let stderr = dir.join(format!("{script}.stderr"));
    let mut command = Command::new("node");
    command
        .arg(browser_dir().join(script))
        .args(args)
        .current_dir(browser_dir())
        .env("CHROMIUM", CHROMIUM)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(File::create(&stdout).unwrap())
        .stderr(File::create(&stderr).unwrap());
    if let Some(shots) = screenshots() {
        fs::create_dir_all(&shots).unwrap();
        command.env("KEYCARD_SCREENSHOTS", shots);
    }
    let mut child = Reaped(command.spawn().expect("node starts"));
    let start = tokio::time::Instant::now();
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > DEADLINE {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let read = |path: &Path| fs::read_to_string(path).unwrap_or_default();
    let (out, err) = (read(&stdout), read(&stderr));
    match status {
        Some(status) if status.success() => {}
        Some(status) => panic!("{script} failed ({status}):\n{err}\n{out}"),
        None => panic!("{script} ran over {DEADLINE:?}:\n{err}\n{out}"),
    }
    serde_json::from_str(out.trim())
        .unwrap_or_else(|error| panic!("{script} printed no JSON ({error}):\n{out}\n{err}"))
}
