//! Settings: defaults, precedence (flags over environment over file over defaults), the
//! TOML file (unknown keys refused), checks that name the setting, and secrets that never
//! print. The resolver is tested directly, with layers built in the test, so no test
//! touches the process environment and all run in parallel.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;

use clap::Parser;
use common::scratch;
use keycard_core::Algorithm;
use keycard_server::config::{self, ConfigError, Mode, Revocation, ServeArgs, Settings};
use keycard_store::open::StoreUrl;

fn resolve(args: ServeArgs) -> Result<Settings, ConfigError> {
    Settings::resolve(args)
}

fn setting_of(error: ConfigError) -> &'static str {
    match error {
        ConfigError::Invalid { setting, .. } => setting,
        other => panic!("expected an invalid setting, got {other}"),
    }
}

#[test]
fn defaults_are_the_documented_ones() {
    let s = resolve(ServeArgs::default()).unwrap();
    assert_eq!(s.auth.mode, Mode::Hybrid);
    assert_eq!(s.addr, "127.0.0.1:8080".parse::<SocketAddr>().unwrap());
    assert_eq!(s.data_dir, PathBuf::from("./keycard-data"));
    assert_eq!(
        s.stores.user_store,
        StoreUrl::Sqlite("./keycard-data/keycard.sqlite3".into())
    );
    assert_eq!(s.stores.session_store, s.stores.user_store);
    assert_eq!(s.stores.redis_prefix, "keycard");
    assert_eq!(s.auth.issuer, "http://127.0.0.1:8080");
    assert_eq!(s.auth.audience, s.auth.issuer);
    assert_eq!(s.auth.tokens.signing_algorithm, Algorithm::EdDSA);
    assert_eq!(s.auth.tokens.access_token_lifetime.get(), 900);
    assert_eq!(s.auth.sessions.refresh_token_lifetime.get(), 30 * 86_400);
    assert_eq!(s.auth.sessions.idle_timeout.get(), 30 * 60);
    assert_eq!(s.auth.sessions.absolute_timeout.get(), 12 * 3600);
    assert_eq!(s.auth.sessions.refresh_grace.get(), 10);
    assert_eq!(s.auth.tokens.revocation, Revocation::On);
    assert_eq!(s.auth.tokens.leeway.get(), 30);
    assert_eq!(s.auth.tokens.max_token_bytes, 8192);
    assert_eq!(s.body_limit, 65_536);
    assert!(s.master_key.is_none() && s.auth.admin_token.is_none());
}

#[test]
fn flags_beat_environment_beat_file_beat_defaults() {
    let flags = ServeArgs {
        mode: Some(Mode::Jwt),
        ..ServeArgs::default()
    };
    let env = ServeArgs {
        mode: Some(Mode::Session),
        leeway: Some("10s".parse().unwrap()),
        ..ServeArgs::default()
    };
    let file = ServeArgs::from_toml(
        r#"
        mode = "hybrid"
        leeway = 20
        refresh_grace = "5s"
        "#,
    )
    .unwrap();
    let s = Settings::from_layers([flags, env, file]).unwrap();
    assert_eq!(s.auth.mode, Mode::Jwt, "flag over environment and file");
    assert_eq!(s.auth.tokens.leeway.get(), 10, "environment over file");
    assert_eq!(s.auth.sessions.refresh_grace.get(), 5, "file over default");
    assert_eq!(s.auth.tokens.access_token_lifetime.get(), 900, "default");
}

#[test]
fn the_command_line_names_every_setting() {
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ServeArgs,
    }
    let cli = Cli::try_parse_from([
        "keycard",
        "--mode=session",
        "--addr=0.0.0.0:9000",
        "--data-dir=/var/lib/keycard",
        "--user-store=postgres://db/keycard",
        "--session-store=redis://cache",
        "--issuer=https://auth.example/",
        "--audience=api",
        "--signing-algorithm=ES256",
        "--access-token-lifetime=5m",
        "--refresh-token-lifetime=7d",
        "--session-idle-timeout=20m",
        "--session-absolute-timeout=8h",
        "--refresh-grace=10s",
        "--revocation=off",
        "--leeway=0",
        "--max-token-bytes=4096",
        "--body-limit=2048",
    ])
    .unwrap();
    let s = resolve(cli.args).unwrap();
    assert_eq!(s.auth.mode, Mode::Session);
    assert_eq!(s.addr.port(), 9000);
    assert!(matches!(s.stores.user_store, StoreUrl::Postgres(_)));
    assert!(matches!(s.stores.session_store, StoreUrl::Redis(_)));
    assert_eq!(
        s.auth.issuer, "https://auth.example",
        "trailing slash dropped"
    );
    assert_eq!(s.auth.audience, "api");
    assert_eq!(s.auth.tokens.signing_algorithm, Algorithm::ES256);
    assert_eq!(s.auth.tokens.access_token_lifetime.get(), 300);
    assert_eq!(s.auth.sessions.refresh_token_lifetime.get(), 7 * 86_400);
    assert_eq!(s.auth.sessions.idle_timeout.get(), 1200);
    assert_eq!(s.auth.sessions.absolute_timeout.get(), 8 * 3600);
    assert_eq!(s.auth.sessions.refresh_grace.get(), 10);
    assert_eq!(s.auth.tokens.revocation, Revocation::Off);
    assert_eq!(s.auth.tokens.leeway.get(), 0);
    assert_eq!(s.auth.tokens.max_token_bytes, 4096);
    assert_eq!(s.body_limit, 2048);
}

#[test]
fn an_unknown_toml_key_is_refused_by_name() {
    let error = ServeArgs::from_toml("mdoe = \"jwt\"\n").unwrap_err();
    assert!(error.to_string().contains("mdoe"), "{error}");

    let dir = scratch("toml");
    std::fs::create_dir_all(dir.path()).unwrap();
    let path = dir.path().join("keycard.toml");
    std::fs::write(
        &path,
        "addr = \"127.0.0.1:1\"\nsesion_store = \"memory:\"\n",
    )
    .unwrap();
    let error = config::read_file(&path).unwrap_err();
    assert!(matches!(error, ConfigError::File { .. }));
    let message = error.to_string();
    assert!(message.contains("sesion_store"), "{message}");
    assert!(message.contains("keycard.toml"), "{message}");
}

#[test]
fn load_reads_the_file_the_command_line_names() {
    let dir = scratch("load");
    std::fs::create_dir_all(dir.path()).unwrap();
    let path = dir.path().join("keycard.toml");
    std::fs::write(
        &path,
        "mode = \"session\"\naccess_token_lifetime = \"10m\"\n",
    )
    .unwrap();
    let cli = ServeArgs {
        config: Some(path),
        access_token_lifetime: Some("2m".parse().unwrap()),
        ..ServeArgs::default()
    };
    let s = config::load(cli).unwrap();
    assert_eq!(s.auth.mode, Mode::Session);
    assert_eq!(s.auth.tokens.access_token_lifetime.get(), 120);
}

#[test]
fn a_file_holding_a_secret_must_be_private() {
    let dir = scratch("secret-file");
    std::fs::create_dir_all(dir.path()).unwrap();
    let path = dir.path().join("keycard.toml");
    let token = "x".repeat(40);
    std::fs::write(&path, format!("admin_token = \"{token}\"\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let error = config::read_file(&path).unwrap_err().to_string();
    assert!(error.contains("chmod 600"), "{error}");
    assert!(!error.contains(&token), "{error}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(config::read_file(&path).is_ok());
}

#[test]
fn bad_values_name_their_setting() {
    let cases: [(ServeArgs, &str); 13] = [
        (
            ServeArgs {
                signing_algorithm: Some("HS256".parse().unwrap()),
                ..ServeArgs::default()
            },
            "signing_algorithm",
        ),
        (
            ServeArgs {
                master_key: Some("c2hvcnQ".parse().unwrap()),
                ..ServeArgs::default()
            },
            "master_key",
        ),
        (
            ServeArgs {
                admin_token: Some("short".parse().unwrap()),
                ..ServeArgs::default()
            },
            "admin_token",
        ),
        (
            ServeArgs {
                store: Some("redis://cache".parse().unwrap()),
                ..ServeArgs::default()
            },
            "user_store",
        ),
        (
            ServeArgs {
                issuer: Some("auth.example".into()),
                ..ServeArgs::default()
            },
            "issuer",
        ),
        (
            ServeArgs {
                session_idle_timeout: Some("13h".parse().unwrap()),
                ..ServeArgs::default()
            },
            "session_absolute_timeout",
        ),
        (
            ServeArgs {
                access_token_lifetime: Some("0".parse().unwrap()),
                ..ServeArgs::default()
            },
            "access_token_lifetime",
        ),
        (
            // Shorter than two touch intervals: sessions in use would end.
            ServeArgs {
                session_idle_timeout: Some("119s".parse().unwrap()),
                ..ServeArgs::default()
            },
            "session_idle_timeout",
        ),
        (
            ServeArgs {
                signing_key_rotation: Some("1h".parse().unwrap()),
                ..ServeArgs::default()
            },
            "signing_key_rotation",
        ),
        (
            ServeArgs {
                refresh_replays: Some(101),
                ..ServeArgs::default()
            },
            "refresh_replays",
        ),
        (
            ServeArgs {
                hash_queue: Some(0),
                ..ServeArgs::default()
            },
            "hash_queue",
        ),
        (
            ServeArgs {
                hash_deadline: Some("2m".parse().unwrap()),
                ..ServeArgs::default()
            },
            "hash_deadline",
        ),
        (
            ServeArgs {
                issuer: Some("https://user:pw@auth.example".into()),
                ..ServeArgs::default()
            },
            "issuer",
        ),
    ];
    for (args, setting) in cases {
        assert_eq!(setting_of(resolve(args).unwrap_err()), setting);
    }
}

#[test]
fn an_issuer_with_its_default_port_is_the_browsers_origin() {
    let settings = resolve(ServeArgs {
        issuer: Some("https://Auth.Example:443/".into()),
        ..ServeArgs::default()
    })
    .unwrap();
    assert!(keycard_auth::csrf::same_origin(
        &settings.auth.issuer,
        "https://auth.example"
    ));
}

#[test]
fn trusted_proxies_parse_from_flags_and_toml() {
    let file = ServeArgs::from_toml("trusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n").unwrap();
    let settings = resolve(file).unwrap();
    assert!(
        settings
            .trusted_proxies
            .contains("10.2.3.4".parse().unwrap())
    );
    assert!(settings.trusted_proxies.contains("::1".parse().unwrap()));
    assert!(
        !settings
            .trusted_proxies
            .contains("192.0.2.1".parse().unwrap())
    );
    assert!(ServeArgs::from_toml("trusted_proxies = \"proxy.local\"\n").is_err());
}

#[test]
fn secrets_and_store_passwords_never_appear_in_debug() {
    let master = keycard_core::jose::base64url::encode([42u8; 32]);
    let token = "admin-token-0123456789-abcdefghijklmnop";
    let args = ServeArgs {
        master_key: Some(master.parse().unwrap()),
        admin_token: Some(token.parse().unwrap()),
        user_store: Some("postgres://keycard:hunter2@db/keycard".parse().unwrap()),
        session_store: Some("redis://:hunter3@cache".parse().unwrap()),
        ..ServeArgs::default()
    };
    let args_debug = format!("{args:?}");
    let settings = resolve(args).unwrap();
    for text in [args_debug, format!("{settings:?}")] {
        for secret in [master.as_str(), token, "hunter2", "hunter3"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    assert!(settings.master_key().unwrap().is_some());
}

#[test]
fn issuer_and_audience_follow_the_bound_port_unless_configured() {
    let ephemeral: SocketAddr = "127.0.0.1:41234".parse().unwrap();
    let s = resolve(ServeArgs {
        addr: Some("127.0.0.1:0".parse().unwrap()),
        ..ServeArgs::default()
    })
    .unwrap()
    .bound_to(ephemeral);
    assert_eq!(s.auth.issuer, "http://127.0.0.1:41234");
    assert_eq!(s.auth.audience, s.auth.issuer);

    let s = resolve(ServeArgs {
        issuer: Some("https://auth.example".into()),
        ..ServeArgs::default()
    })
    .unwrap()
    .bound_to(ephemeral);
    assert_eq!(s.auth.issuer, "https://auth.example");
    assert_eq!(s.auth.audience, "https://auth.example");
    assert_eq!(s.addr, ephemeral);
}

#[test]
fn config_md_documents_every_setting_and_its_example_parses() {
    use clap::CommandFactory;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ServeArgs,
    }
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/CONFIG.md"),
    )
    .unwrap();
    let command = Cli::command();
    for arg in command.get_arguments() {
        let id = arg.get_id().as_str();
        let long = arg.get_long().unwrap();
        let env = arg.get_env().unwrap().to_str().unwrap();
        if id != "config" {
            assert!(doc.contains(&format!("| `{id}` |")), "{id} missing");
        }
        assert!(doc.contains(&format!("`--{long}")), "--{long} missing");
        assert!(doc.contains(&format!("`{env}`")), "{env} missing");
    }
    let example = doc
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap();
    let file = ServeArgs::from_toml(example).unwrap();
    assert_eq!(file.mode, Some(Mode::Hybrid));
    assert!(file.master_key.is_some());
}

#[test]
fn clients_are_one_form_everywhere_checked_and_never_shown() {
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ServeArgs,
    }
    let secret = "client-secret-0123456789-abcdefghij";
    let text = format!("api:{secret},worker:{secret}");
    let from_flag = Cli::try_parse_from(["keycard", &format!("--clients={text}")])
        .unwrap()
        .args;
    let from_file = ServeArgs::from_toml(&format!("clients = \"{text}\"\n")).unwrap();
    assert_eq!(from_flag.clients, from_file.clients);
    let s = resolve(from_flag).unwrap();
    assert_eq!(
        s.auth.clients.get("worker").unwrap().secret.expose(),
        secret
    );
    assert!(
        resolve(ServeArgs::default())
            .unwrap()
            .auth
            .clients
            .is_empty()
    );
    let debug = format!("{s:?}");
    assert!(
        debug.contains("worker") && !debug.contains(secret),
        "{debug}"
    );

    let short = ServeArgs {
        clients: Some("api:short".parse().unwrap()),
        ..ServeArgs::default()
    };
    assert_eq!(setting_of(resolve(short).unwrap_err()), "clients");
    assert!(ServeArgs::from_toml("clients = \"no-secret\"\n").is_err());

    let dir = scratch("clients-file");
    std::fs::create_dir_all(dir.path()).unwrap();
    let path = dir.path().join("keycard.toml");
    std::fs::write(&path, format!("clients = \"{text}\"\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let error = config::read_file(&path).unwrap_err().to_string();
    assert!(
        error.contains("chmod 600") && !error.contains(secret),
        "{error}"
    );
}
