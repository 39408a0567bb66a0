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
//! A second test puts two browsers behind the same nginx, each reaching it from its own
//! loopback address (through a relay in the test that connects from 127.0.0.2 or
//! 127.0.0.3), with nginx appending `$remote_addr` to `X-Forwarded-For` and Keycard trusting
//! nginx (`trusted_proxies = 127.0.0.1/32`): the per-address login limit locks out the
//! browser that fails (`tests/browser/two_clients.mjs`) and not the other, and the sessions
//! and audit events carry each browser's address, never nginx's. Its counter-case, without a
//! browser: with no trusted proxies, forwarded headers a client writes are ignored.
//!
//! The browser tests need nginx, `/usr/bin/chromium`, node and `tests/browser/node_modules`
//! (run `bash tests/browser/setup.sh`); without them they fail, unless
//! `KEYCARD_SKIP_BROWSER=1` says to skip them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs::{self, File};
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{TestServer, args, client, scratch};
use keycard_core::audit::{AuditEvent, AuditKind, AuditQuery};
use keycard_core::ids::UserId;
use keycard_server::config::{Mode, ServeArgs, TrustedProxies};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpSocket};
use tokio::task::{JoinHandle, JoinSet};

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery staple";
const SESSION_COOKIE: &str = "__Host-keycard_session";
/// How long nginx may take to answer after it is started.
const NGINX_DEADLINE: Duration = Duration::from_secs(20);

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

/// A child process killed (and reaped) when dropped, so a failing test leaves none behind.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
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

/// The nginx configuration: `/v1/` proxied to Keycard with the peer appended to
/// `X-Forwarded-For`, `/private/` guarded by `auth_request`, `/_whoami` answering the peer's
/// address as nginx sees it, everything under `dir`.
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

        location = /_whoami {{
            default_type text/plain;
            return 200 "$remote_addr\n";
        }}

        location /v1/ {{
            proxy_pass {keycard};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
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
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"#
    )
}

/// Keycard behind a running nginx.
struct Stack {
    base: String,
    /// Where nginx listens.
    addr: SocketAddr,
    server: TestServer,
    user_id: String,
    secret: String,
    _nginx: Reaped,
}

/// Starts Keycard (session mode, issuer = the nginx origin, one user, settings changed by
/// `customise`) and nginx in front of it; `None` when nginx lost its port to another
/// process (the caller retries).
async fn try_stack(dir: &Path, nginx: &Path, customise: fn(&mut ServeArgs)) -> Option<Stack> {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");

    let mut serve = args(&dir.join(format!("keycard-{port}")));
    serve.mode = Some(Mode::Session);
    serve.issuer = Some(base.clone());
    customise(&mut serve);
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
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        server,
        user_id,
        secret,
        _nginx: child,
    })
}

/// Starts Keycard and nginx in front of it (see [`try_stack`]), on another port when one
/// is lost to another process.
async fn start_stack(dir: &Path, nginx: &Path, customise: fn(&mut ServeArgs)) -> Stack {
    for _ in 0..5 {
        if let Some(stack) = try_stack(dir, nginx, customise).await {
            return stack;
        }
    }
    panic!("nginx found no free port in 5 tries");
}

/// Runs `script` (in `tests/browser`) with `script_args` and `env`, and the account's email
/// and password; its JSON result.
async fn run_script(dir: &Path, script: &str, script_args: &[&str], env: &[(&str, &str)]) -> Value {
    let mut env = env.to_vec();
    env.extend([("KEYCARD_EMAIL", EMAIL), ("KEYCARD_PASSWORD", PASSWORD)]);
    common::browser::run(dir, script, script_args, &env).await
}

/// Whether the browser test `test` can run: what every browser test needs
/// (`common::browser::runs`), and nginx, with the same loud skip or failure.
fn browser_test_runs(test: &str) -> bool {
    let name = format!("nginx_browser::{test}");
    if !common::browser::runs(&name) {
        return false;
    }
    if nginx_binary().is_some() {
        return true;
    }
    if std::env::var("KEYCARD_SKIP_BROWSER").as_deref() == Ok("1") {
        // Straight to stderr, past libtest's output capture, so it is never silent.
        let _ = writeln!(
            std::io::stderr(),
            "!! SKIPPED {name}: nginx missing; KEYCARD_SKIP_BROWSER=1 is set, so this test \
             passes WITHOUT RUNNING. Run `bash tests/browser/setup.sh`."
        );
        return false;
    }
    panic!(
        "{name} needs nginx: run `bash tests/browser/setup.sh` (or set KEYCARD_SKIP_BROWSER=1 outside CI)"
    );
}

/// A TCP relay on a free 127.0.0.1 port to `target`, connecting from `source`: what
/// `target` sees as the peer of whoever connects to the relay. Closed when dropped.
struct Relay {
    base: String,
    task: JoinHandle<()>,
}

impl Relay {
    async fn start(source: Ipv4Addr, target: SocketAddr) -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        // Fail here, loudly, where the source address cannot be used.
        TcpSocket::new_v4()
            .unwrap()
            .bind(SocketAddr::from((source, 0)))
            .unwrap_or_else(|error| panic!("a relay cannot connect from {source}: {error}"));
        let task = tokio::spawn(async move {
            // Dropped with this task when the relay is: every connection ends with it.
            let mut connections = JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                connections.spawn(async move {
                    let socket = TcpSocket::new_v4().unwrap();
                    socket
                        .bind(SocketAddr::from((source, 0)))
                        .unwrap_or_else(|error| panic!("relay cannot bind {source}: {error}"));
                    match socket.connect(target).await {
                        Ok(mut outbound) => {
                            let _ =
                                tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                        Err(error) => eprintln!("relay from {source}: {error}"),
                    }
                });
                // Reap the finished ones as it goes.
                while connections.try_join_next().is_some() {}
            }
        });
        Self { base, task }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The user's audit events, oldest first.
async fn audit_events(server: &TestServer, user_id: &str) -> Vec<AuditEvent> {
    let query = AuditQuery {
        user_id: Some(UserId::new(user_id)),
        limit: Some(AuditQuery::MAX_LIMIT),
        ..AuditQuery::default()
    };
    let mut events = server
        .state
        .auth()
        .stores()
        .audit
        .query_audit(&query)
        .await
        .unwrap();
    events.reverse();
    events
}

/// The login events (succeeded or failed) among `events`.
fn logins(events: &[AuditEvent]) -> Vec<&AuditEvent> {
    events
        .iter()
        .filter(|event| matches!(event.kind, AuditKind::LoginOk | AuditKind::LoginFailed))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_auth_request_admits_a_logged_in_browser_and_stops_it_after_logout() {
    if !browser_test_runs("nginx_auth_request_admits_a_logged_in_browser_and_stops_it_after_logout")
    {
        return;
    }
    let nginx = nginx_binary().unwrap();
    let dir = scratch("nginx-browser");
    let stack = start_stack(dir.path(), &nginx, |_| {}).await;

    let result = run_script(dir.path(), "auth_request.mjs", &[&stack.base], &[]).await;
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

/// Failed logins allowed per address in the two-client test.
const LIMIT_PER_IP: u32 = 3;
/// nginx's address as Keycard sees it, and the two browsers' addresses as nginx sees them.
const NGINX_IP: &str = "127.0.0.1";
const IP_A: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
const IP_B: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_nginx_two_browsers_are_limited_and_recorded_by_their_own_addresses() {
    if !browser_test_runs(
        "behind_nginx_two_browsers_are_limited_and_recorded_by_their_own_addresses",
    ) {
        return;
    }
    let nginx = nginx_binary().unwrap();
    let dir = scratch("nginx-two-clients");
    // Only the address limit acts: the account limit is off (both browsers use one account).
    let stack = start_stack(dir.path(), &nginx, |serve| {
        serve.trusted_proxies = Some(format!("{NGINX_IP}/32").parse::<TrustedProxies>().unwrap());
        serve.login_limit_per_ip = Some(LIMIT_PER_IP);
        serve.login_limit_per_account = Some(0);
    })
    .await;

    // Each browser gets its own way in: nginx sees A at 127.0.0.2 and B at 127.0.0.3.
    let relay_a = Relay::start(IP_A, stack.addr).await;
    let relay_b = Relay::start(IP_B, stack.addr).await;
    for (relay, ip) in [(&relay_a, IP_A), (&relay_b, IP_B)] {
        let seen = client()
            .get(format!("{}/_whoami", relay.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(
            seen.trim(),
            ip.to_string(),
            "nginx's $remote_addr through {}",
            relay.base
        );
    }

    let limit = LIMIT_PER_IP.to_string();
    let result = run_script(
        dir.path(),
        "two_clients.mjs",
        &[&relay_a.base, &relay_b.base],
        &[("KEYCARD_LIMIT", &limit)],
    )
    .await;
    let context = format!("browser result: {result:#}");
    eprintln!("nginx_browser two clients: {result}");
    let (a, b) = (&result["a"], &result["b"]);
    assert_eq!(a["home"], 200, "{context}");
    assert_eq!(b["home"], 200, "{context}");

    // A: exactly `login_limit_per_ip` wrong passwords answered 401, then 429.
    let failures = a["failures"].as_array().expect(&context);
    let statuses: Vec<u64> = failures
        .iter()
        .map(|f| f["status"].as_u64().unwrap())
        .collect();
    let mut expected = vec![401; LIMIT_PER_IP as usize];
    expected.push(429);
    assert_eq!(statuses, expected, "{context}");
    let refused = failures.last().unwrap();
    assert_eq!(
        refused["type"], "https://keycard.dev/problems/too-many-requests",
        "{context}"
    );
    assert!(refused["retry_after"].is_string(), "{context}");

    // B, from its own address, is not refused: a wrong password is 401, also when B forges
    // X-Forwarded-For to name A's address (nginx appends B's real one, and Keycard reads the
    // chain from the right); the right password logs in.
    assert_eq!(b["wrong"]["status"], 401, "{context}");
    assert_eq!(b["forged"]["status"], 401, "{context}");
    assert_eq!(b["right"]["status"], 200, "{context}");
    assert_eq!(b["right"]["user"]["id"], stack.user_id, "{context}");
    assert_eq!(b["has_session"], true, "{context}");
    // A's address stays refused, the right password included; A holds no session.
    assert_eq!(a["right"]["status"], 429, "{context}");
    assert_eq!(a["has_session"], false, "{context}");

    // The server's records: B's session and login at 127.0.0.3, A's failures at 127.0.0.2,
    // each by the browser that made them (its User-Agent), none at nginx's address.
    let (agent_a, agent_b) = (
        a["user_agent"].as_str().unwrap(),
        b["user_agent"].as_str().unwrap(),
    );
    let auth = stack.server.state.auth();
    let sessions = auth
        .stores()
        .sessions
        .list_user_sessions(&UserId::new(&stack.user_id), auth.now())
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1, "{sessions:#?}");
    let session = &sessions[0];
    assert_eq!(
        session.client.ip.as_deref(),
        Some("127.0.0.3"),
        "{session:#?}"
    );
    assert_eq!(
        session.client.user_agent.as_deref(),
        Some(agent_b),
        "{session:#?}"
    );

    let events = audit_events(&stack.server, &stack.user_id).await;
    let logins = logins(&events);
    let summary: Vec<(&str, Option<&str>, Option<&str>)> = logins
        .iter()
        .map(|event| {
            (
                event.kind.as_str(),
                event.ip.as_deref(),
                event.user_agent.as_deref(),
            )
        })
        .collect();
    let failed = |ip: &str, agent: &str| {
        summary
            .iter()
            .filter(|(kind, at, by)| {
                *kind == "login_failed" && *at == Some(ip) && *by == Some(agent)
            })
            .count()
    };
    // Refused attempts (429) are not verified, so not audited: A has `LIMIT_PER_IP` failures.
    assert_eq!(
        failed("127.0.0.2", agent_a),
        LIMIT_PER_IP as usize,
        "{summary:#?}"
    );
    assert_eq!(failed("127.0.0.3", agent_b), 2, "{summary:#?}");
    let ok: Vec<_> = logins
        .iter()
        .filter(|e| e.kind == AuditKind::LoginOk)
        .collect();
    assert_eq!(ok.len(), 1, "{summary:#?}");
    assert_eq!(ok[0].ip.as_deref(), Some("127.0.0.3"), "{summary:#?}");
    assert_eq!(ok[0].user_agent.as_deref(), Some(agent_b), "{summary:#?}");
    assert_eq!(ok[0].session_id.as_ref(), Some(&session.id), "{summary:#?}");
    assert_eq!(
        logins.len(),
        LIMIT_PER_IP as usize + 3,
        "nothing else: {summary:#?}"
    );
    assert!(
        logins
            .iter()
            .all(|event| event.ip.as_deref() != Some(NGINX_IP)),
        "a login recorded at nginx's address: {summary:#?}"
    );

    drop((relay_a, relay_b));
    stack.server.stop().await.unwrap();
}

/// The counter-case, straight to Keycard (no nginx, no browser): without trusted proxies,
/// or with trusted proxies that do not include the peer, a client's own `X-Forwarded-For`
/// and `Forwarded` are ignored: every attempt counts against, and is recorded at, the
/// peer's address, so rotating forged addresses does not escape the limit. Trusting the
/// peer is what makes the headers count (which is why `trusted_proxies` must name only
/// proxies that write them, and Keycard be reachable only through those).
#[tokio::test]
async fn forged_forwarded_headers_from_an_untrusted_peer_are_ignored() {
    for (trusted, believed) in [
        (None, false),
        (Some("10.0.0.0/8"), false),
        (Some("127.0.0.1/32"), true),
    ] {
        let dir = scratch("forged-forwarded");
        let serve = ServeArgs {
            trusted_proxies: trusted.map(|cidr| cidr.parse::<TrustedProxies>().unwrap()),
            login_limit_per_ip: Some(LIMIT_PER_IP),
            login_limit_per_account: Some(0),
            ..args(dir.path())
        };
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

        let mut statuses = Vec::new();
        for n in 1..=LIMIT_PER_IP + 1 {
            let response = client()
                .post(server.url("/v1/login"))
                .header("x-forwarded-for", format!("203.0.113.{n}"))
                .json(&json!({ "email": EMAIL, "password": "wrong password" }))
                .send()
                .await
                .unwrap();
            statuses.push(response.status().as_u16());
        }
        // One more with `Forwarded`, which wins over `X-Forwarded-For` when believed.
        let response = client()
            .post(server.url("/v1/login"))
            .header("forwarded", "for=198.51.100.7")
            .json(&json!({ "email": EMAIL, "password": "wrong password" }))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());

        let events = audit_events(&server, &user_id).await;
        // In any order: events of the same second may come back in either.
        let mut ips: Vec<Option<&str>> = logins(&events).iter().map(|e| e.ip.as_deref()).collect();
        ips.sort_unstable();
        if believed {
            // Each forged address its own: never limited, each recorded as written.
            assert_eq!(statuses, [401, 401, 401, 401, 401], "trusted {trusted:?}");
            let expected = [
                "198.51.100.7",
                "203.0.113.1",
                "203.0.113.2",
                "203.0.113.3",
                "203.0.113.4",
            ];
            assert_eq!(ips, expected.map(Some), "trusted {trusted:?}");
        } else {
            // All the peer's: limited after `LIMIT_PER_IP`, recorded at 127.0.0.1.
            assert_eq!(statuses, [401, 401, 401, 429, 429], "trusted {trusted:?}");
            assert_eq!(ips, [Some("127.0.0.1"); 3], "trusted {trusted:?}");
        }
        server.stop().await.unwrap();
    }
}
