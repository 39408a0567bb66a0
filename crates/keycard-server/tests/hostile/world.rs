//! The world a hostile request meets: a server in one mode on SQLite with an admin token
//! and an OAuth client, a victim and an attacker each signed in, and what must not change
//! (the audit log, both users' records and sessions) or leak (every secret of both).

use keycard_core::UserId;
use keycard_core::audit::AuditQuery;
use keycard_core::user::Email;
use keycard_server::config::Mode;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Scratch, TestServer, args, client, register, scratch};

pub const PASSWORD: &str = "correct horse battery staple";
pub const ADMIN_TOKEN: &str = "hostile-admin-token-0123456789abcdefghij";
pub const CLIENT_ID: &str = "gateway";
pub const CLIENT_SECRET: &str = "hostile-client-secret-0123456789abcdefgh";
/// Registrations the hostile cases attempt use this address (or a variant of it); it must
/// never exist afterwards.
pub const MALLORY: &str = "mallory@hostile.test";

/// A signed-in user: every value that authenticates them.
#[derive(Clone, Debug)]
pub struct Account {
    pub user_id: String,
    /// Session mode: the session cookie's value.
    pub session: Option<String>,
    /// Session mode: the CSRF token of that session.
    pub csrf: Option<String>,
    /// Jwt and hybrid modes: the access token.
    pub access: Option<String>,
    /// Hybrid mode: the refresh cookie's value.
    pub refresh: Option<String>,
    /// The id of the session.
    pub session_id: String,
}

impl Account {
    /// The header that authenticates a request as this user in `mode`.
    pub fn credential(&self, mode: Mode) -> (String, String) {
        match mode {
            Mode::Session => (
                "cookie".into(),
                format!(
                    "__Host-keycard_session={}",
                    self.session.as_deref().unwrap()
                ),
            ),
            Mode::Jwt | Mode::Hybrid => (
                "authorization".into(),
                format!("Bearer {}", self.access.as_deref().unwrap()),
            ),
        }
    }

    fn secrets(&self) -> Vec<String> {
        [&self.session, &self.csrf, &self.access, &self.refresh]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }
}

/// The server and its two users.
pub struct World {
    pub mode: Mode,
    pub server: TestServer,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    pub victim: Account,
    pub attacker: Account,
    _dir: Scratch,
}

/// What must be the same after every hostile request.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    audit_events: usize,
    victim: String,
    attacker: String,
    victim_sessions: Vec<String>,
    attacker_sessions: Vec<String>,
    mallory: bool,
}

impl World {
    pub async fn new(mode: Mode) -> Self {
        let dir = scratch(&format!("hostile-{mode:?}"));
        let mut args = args(dir.path());
        args.mode = Some(mode);
        args.admin_token = Some(ADMIN_TOKEN.parse().unwrap());
        args.clients = Some(format!("{CLIENT_ID}:{CLIENT_SECRET}").parse().unwrap());
        // Small enough that an oversized body is refused before it is read whole.
        args.body_limit = Some(4096);
        let server = TestServer::start(args).await;
        let addr = server.base.trim_start_matches("http://").to_owned();
        let victim = sign_in(&server, "victim@example.com").await;
        let attacker = sign_in(&server, "attacker@example.com").await;
        Self {
            mode,
            server,
            addr,
            victim,
            attacker,
            _dir: dir,
        }
    }

    /// Every value no answer may contain.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets = vec![
            PASSWORD.to_owned(),
            ADMIN_TOKEN.to_owned(),
            CLIENT_SECRET.to_owned(),
        ];
        secrets.extend(self.victim.secrets());
        secrets.extend(self.attacker.secrets());
        secrets
    }

    pub async fn snapshot(&self) -> Snapshot {
        let auth = self.server.state.auth();
        let stores = auth.stores();
        let now = auth.now();
        let audit = stores
            .audit
            .query_audit(&AuditQuery {
                limit: Some(AuditQuery::MAX_LIMIT),
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        let user = |id: &str| {
            let id = UserId::new(id);
            async move { format!("{:?}", stores.users.load_user(&id).await.unwrap()) }
        };
        let sessions = |id: &str| {
            let id = UserId::new(id);
            async move {
                let mut ids: Vec<String> = stores
                    .sessions
                    .list_user_sessions(&id, now)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|session| session.id.as_str().to_owned())
                    .collect();
                ids.sort();
                ids
            }
        };
        let mallory = stores
            .users
            .load_user_by_email(&Email::parse(MALLORY).unwrap())
            .await
            .unwrap()
            .is_some();
        Snapshot {
            audit_events: audit.len(),
            victim: user(&self.victim.user_id).await,
            attacker: user(&self.attacker.user_id).await,
            victim_sessions: sessions(&self.victim.user_id).await,
            attacker_sessions: sessions(&self.attacker.user_id).await,
            mallory,
        }
    }

    /// The server still serves: `/healthz`, and the victim's credential still works.
    pub async fn still_serving(&self) -> Result<(), String> {
        let healthz = client()
            .get(self.server.url("/healthz"))
            .send()
            .await
            .map_err(|e| format!("/healthz: {e}"))?;
        if healthz.status() != StatusCode::OK {
            return Err(format!("/healthz answered {}", healthz.status()));
        }
        let (name, value) = self.victim.credential(self.mode);
        let me = client()
            .get(self.server.url("/v1/me"))
            .header(name, value)
            .send()
            .await
            .map_err(|e| format!("/v1/me: {e}"))?;
        if me.status() != StatusCode::OK {
            return Err(format!("the victim's /v1/me answered {}", me.status()));
        }
        Ok(())
    }
}

async fn sign_in(server: &TestServer, email: &str) -> Account {
    let user = register(server, email, PASSWORD).await;
    let response = client()
        .post(server.url("/v1/login"))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = |name: &str| {
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(|value| value.strip_prefix(&format!("{name}=")))
            .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
    };
    let session = cookie("__Host-keycard_session");
    let refresh = cookie("__Secure-keycard_refresh");
    let body: Value = response.json().await.unwrap();
    let text = |key: &str| body[key].as_str().map(str::to_owned);
    let me = client()
        .get(server.url("/v1/sessions"))
        .header(
            if session.is_some() {
                "cookie"
            } else {
                "authorization"
            },
            match (&session, text("access_token")) {
                (Some(session), _) => format!("__Host-keycard_session={session}"),
                (None, Some(access)) => format!("Bearer {access}"),
                (None, None) => panic!("no credential in {body}"),
            },
        )
        .send()
        .await
        .unwrap();
    let sessions: Value = me.json().await.unwrap();
    let session_id = sessions["sessions"][0]["id"].as_str().unwrap().to_owned();
    Account {
        user_id: user["id"].as_str().unwrap().to_owned(),
        session,
        csrf: text("csrf_token"),
        access: text("access_token"),
        refresh,
        session_id,
    }
}
