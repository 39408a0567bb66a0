//! nginx `auth_request` in front of Keycard, driven by a real browser: Debian's nginx
//! guards a protected location with a subrequest to `GET /v1/auth/check`, and Debian's
//! Chromium (through playwright-core, `tests/browser/auth_request.mjs`) is refused before
//! login, let through after logging in from a page of the nginx origin (the
//! `__Host-keycard_session` cookie, as the server sets it), and refused again after
//! logout, even when the old cookie is put back.
//!
//! Keycard runs in-process in session mode, with its issuer set to the nginx origin so the
//! browser's `Origin` passes the CSRF check. nginx runs as a child process over a scratch
//! directory (its own config, pid, logs and temp paths), on a free loopback port.
//!
//! Needs nginx, `/usr/bin/chromium`, node and `tests/browser/node_modules` (run
//! `bash tests/browser/setup.sh`); without them the test fails, unless
//! `KEYCARD_SKIP_BROWSER=1` says to skip it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Scratch, scratch, TestServer, args, client};
use keycard_server::config::Mode;
use reqwest::StatusCode;
use serde_json::{Value, json};

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery staple";
const SESSION_COOKIE: &str = "__Host-keycard_session";
const CHROMIUM: &str = "/usr/bin/chromium";
/// How long the browser script may take, launch included.
const BROWSER_DEADLINE: Duration = Duration::from_secs(120);
/// How long nginx may take to answer after it is started.
const NGINX_DEADLINE: Duration = Duration::from_secs(20);

/// `tests/browser` of the workspace.
fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser")
}

/// The nginx binary, if installed.
fn nginx_binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join("nginx"));
    on_path
        .chain([PathBuf::from("/usr/sbin/nginx")])
        .find(|candidate| candidate.is_file())
}

/// What is missing to run the test, if anything.
fn missing_prerequisites() -> Vec<String> {
    let mut missing = Vec::new();
    if nginx_binary().is_none() {
        missing.push("nginx".to_owned());
    }
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
    if !browser_dir()
        .join("node_modules/playwright-core/package.json")
        .is_file()
    {
        missing.push("tests/browser/node_modules (playwright-core)".to_owned());
    }
    missing
}

/// A child process killed (and reaped) when dropped, so a failing test leaves none behind.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits for `child` until `deadline`; `None` if it is still running then.
async fn wait_for(child: &mut Child, deadline: Duration) -> Option<std::process::ExitStatus> {
    let start = tokio::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if start.elapsed() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

/// A port free on 127.0.0.1 when asked (nginx binds it next; a lost race is retried).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The nginx configuration: `/v1/` proxied to Keycard, `/private/` guarded by
/// `auth_request`, everything under `dir`.
fn nginx_conf(dir: &Path, port: u16, keycard: &str) -> String {
    let dir = dir.display();
    format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/temp/client_body;
    proxy_temp_path {dir}/temp/proxy;
    fastcgi_temp_path {dir}/temp/fastcgi;
    uwsgi_temp_path {dir}/temp/uwsgi;
    scgi_temp_path {dir}/temp/scgi;
    types {{ text/html html; }}
    default_type text/plain;
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {dir}/www;

        location = / {{
            try_files /index.html =404;
        }}

        location /v1/ {{
            proxy_pass {keycard};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
        }}

        location /private/ {{
            auth_request /_auth;
            auth_request_set $keycard_user $upstream_http_x_keycard_user;
            auth_request_set $keycard_session $upstream_http_x_keycard_session;
            add_header X-Keycard-User $keycard_user always;
            add_header X-Keycard-Session $keycard_session always;
            add_header Cache-Control no-store always;
        }}

        location = /_auth {{
            internal;
            proxy_pass {keycard}/v1/auth/check;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header Cookie $http_cookie;
            proxy_set_header X-Original-URI $request_uri;
        }}
    }}
}}
"#
    )
}

/// Keycard behind a running nginx.
struct Stack {
    base: String,
    server: TestServer,
    user_id: String,
    secret: String,
    _nginx: Reaped,
}

/// Starts Keycard (session mode, issuer = the nginx origin, one user) and nginx in front of
/// it; `None` when nginx lost its port to another process (the caller retries).
async fn try_stack(dir: &Path, nginx: &Path) -> Option<Stack> {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");

    let mut serve = args(&dir.join("keycard"));
    serve.mode = Some(Mode::Session);
    serve.issuer = Some(base.clone());
    let server = TestServer::start(serve).await;
    let created = client()
        .post(server.url("/v1/users"))
        .json(&json!({ "email": EMAIL, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let user_id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let root = dir.join(format!("nginx-{port}"));
    fs::create_dir_all(root.join("temp")).unwrap();
    fs::create_dir_all(root.join("www/private")).unwrap();
    fs::write(
        root.join("www/index.html"),
        "<!doctype html><title>Keycard app</title><p>home</p>\n",
    )
    .unwrap();
    let secret = format!("private page {port} {}", std::process::id());
    fs::write(root.join("www/private/index.html"), format!("{secret}\n")).unwrap();
    let conf = root.join("nginx.conf");
    fs::write(&conf, nginx_conf(&root, port, &server.base)).unwrap();

    let mut child = Reaped(
        Command::new(nginx)
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(&root)
            .arg("-e")
            .arg(root.join("error.log"))
            .stdin(Stdio::null())
            .stdout(File::create(root.join("stdout.log")).unwrap())
            .stderr(File::create(root.join("stderr.log")).unwrap())
            .spawn()
            .expect("nginx starts"),
    );

    let start = tokio::time::Instant::now();
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            let log = read(&root.join("error.log")) + &read(&root.join("stderr.log"));
            if log.contains("Address already in use") {
                eprintln!("nginx_browser: port {port} was taken; retrying on another");
                return None;
            }
            panic!("nginx exited ({status}) before serving:\n{log}");
        }
        if let Ok(response) = client().get(format!("{base}/")).send().await
            && response.status() == StatusCode::OK
            && response
                .text()
                .await
                .unwrap_or_default()
                .contains("Keycard app")
        {
            break;
        }
        assert!(
            start.elapsed() < NGINX_DEADLINE,
            "nginx did not answer on {base} within {NGINX_DEADLINE:?}:\n{}",
            read(&root.join("error.log"))
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    Some(Stack {
        base,
        server,
        user_id,
        secret,
        _nginx: child,
    })
}

/// Runs the browser script against `base`; its JSON result.
async fn run_browser(dir: &Path, base: &str) -> Value {
    let script = browser_dir().join("auth_request.mjs");
    let stdout = dir.join("browser.stdout");
    let stderr = dir.join("browser.stderr");
    let mut child = Reaped(
        Command::new("node")
            .arg(&script)
            .arg(base)
            .current_dir(browser_dir())
            .env("KEYCARD_EMAIL", EMAIL)
            .env("KEYCARD_PASSWORD", PASSWORD)
            .env("CHROMIUM", CHROMIUM)
            .stdin(Stdio::null())
            .stdout(File::create(&stdout).unwrap())
            .stderr(File::create(&stderr).unwrap())
            .spawn()
            .expect("node starts"),
    );
    let status = wait_for(&mut child.0, BROWSER_DEADLINE).await;
    let (out, err) = (read(&stdout), read(&stderr));
    match status {
        Some(status) if status.success() => {}
        Some(status) => panic!("the browser script failed ({status}):\n{err}\n{out}"),
        None => panic!("the browser script ran over {BROWSER_DEADLINE:?}:\n{err}\n{out}"),
    }
    serde_json::from_str(out.trim())
        .unwrap_or_else(|error| panic!("the browser script printed no JSON ({error}):\n{out}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_auth_request_admits_a_logged_in_browser_and_stops_it_after_logout() {
    let missing = missing_prerequisites();
    if !missing.is_empty() {
        let what = missing.join(", ");
        if std::env::var("KEYCARD_SKIP_BROWSER").as_deref() == Ok("1") {
            // Straight to stderr, past libtest's output capture, so it is never silent.
            let bar = "!".repeat(78);
            let _ = writeln!(
                std::io::stderr(),
                "\n{bar}\n!! SKIPPED nginx_browser: {what} missing.\n\
                 !! KEYCARD_SKIP_BROWSER=1 is set, so this test passes WITHOUT RUNNING.\n\
                 !! Run `bash tests/browser/setup.sh` to install what it needs.\n{bar}"
            );
            return;
        }
        panic!(
            "nginx_browser needs {what}: run `bash tests/browser/setup.sh` \
             (or set KEYCARD_SKIP_BROWSER=1 to skip this test outside CI)"
        );
    }
    let nginx = nginx_binary().unwrap();
    let dir = scratch("nginx-browser");
    fs::create_dir_all(dir.path()).unwrap();

    let mut stack = None;
    for _ in 0..5 {
        stack = try_stack(dir.path(), &nginx).await;
        if stack.is_some() {
            break;
        }
    }
    let stack = stack.expect("nginx found a free port in 5 tries");

    let result = run_browser(dir.path(), &stack.base).await;
    let context = format!("browser result: {result:#}");
    eprintln!("nginx_browser: {result}");

    // Before login: nginx's subrequest is refused, so is the page.
    assert_eq!(result["before_login"]["status"], 401, "{context}");
    assert!(
        !result["before_login"]["body"]
            .as_str()
            .unwrap()
            .contains(&stack.secret),
        "{context}"
    );

    // Login from a page of the nginx origin, through nginx: the cookie as the server sets it,
    // kept by the browser over http on loopback, out of the page's script's reach.
    assert_eq!(result["home"], 200, "{context}");
    assert_eq!(result["login"]["status"], 200, "{context}");
    assert_eq!(result["login"]["user"]["id"], stack.user_id, "{context}");
    assert!(result["login"]["csrf_token"].is_string(), "{context}");
    let cookie = &result["cookie"];
    assert_eq!(cookie["name"], SESSION_COOKIE, "{context}");
    assert_eq!(cookie["secure"], true, "{context}");
    assert_eq!(cookie["http_only"], true, "{context}");
    assert_eq!(cookie["same_site"], "Lax", "{context}");
    assert_eq!(cookie["path"], "/", "{context}");
    assert_eq!(result["cookie_visible_to_script"], false, "{context}");

    // Logged in: the protected page, with the user and session nginx learnt from Keycard.
    let logged_in = &result["logged_in"];
    assert_eq!(logged_in["status"], 200, "{context}");
    assert_eq!(logged_in["body"], stack.secret.as_str(), "{context}");
    assert_eq!(logged_in["user"], stack.user_id.as_str(), "{context}");
    let session = logged_in["session"].as_str().expect(&context);
    assert!(!session.is_empty(), "{context}");

    // Logout (CSRF token and the nginx Origin): 204, and the browser drops the cookie.
    assert_eq!(result["logout"]["status"], 204, "{context}");
    assert_eq!(result["cookie_after_logout"], false, "{context}");

    // After logout: refused, and still refused with the old cookie put back.
    assert_eq!(result["after_logout"]["status"], 401, "{context}");
    assert_eq!(result["replayed_cookie_present"], true, "{context}");
    assert_eq!(result["replayed"]["status"], 401, "{context}");
    for step in ["after_logout", "replayed"] {
        assert!(
            !result[step]["body"]
                .as_str()
                .unwrap()
                .contains(&stack.secret),
            "{context}"
        );
    }

    stack.server.stop().await.unwrap();
}
