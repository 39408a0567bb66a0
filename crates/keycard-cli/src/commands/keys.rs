//! `keycard keys list|rotate|retire KID`: the server's signing keys, looked at and acted on
//! by an operator.
//!
//! Why a command and not only the schedule: after a key is compromised, waiting for the
//! next rotation is not an answer, and editing the store by hand is error-prone. The flags
//! are `keycard serve`'s own, resolved the same way (flags, `KEYCARD_*`, `--config`), so
//! the command works on exactly the stores, data directory and master key the server uses.
//! Running servers pick changes up at their next key reload.

use std::sync::Arc;

use keycard_auth::Auth;
use keycard_auth::keys::{KEY_CHECK_EVERY, KeyChange};
use keycard_core::jose::KeyRole;
use keycard_core::{SystemClock, UnixTime};
use keycard_server::bootstrap;
use keycard_server::config::{self, ServeArgs};

use crate::dates;
use crate::failure::Failure;

/// List, rotate or retire the server's signing keys, in the stores `keycard serve` would
/// use with the same settings.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Print each key: kid, algorithm, role, when it was made, and (retired keys) when it
    /// is deleted.
    List {
        #[command(flatten)]
        settings: ServeArgs,
    },
    /// Promote the next key now, before the schedule, and make a new next key.
    Rotate {
        #[command(flatten)]
        settings: ServeArgs,
    },
    /// Withdraw a key at once (after a compromise): it leaves the JWKS and every token it
    /// signed is refused. The active key is first replaced by the next key.
    Retire {
        /// The key's kid, as `keycard keys list` prints it.
        kid: String,
        #[command(flatten)]
        settings: ServeArgs,
    },
}

pub fn run(args: Args) -> Result<String, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Input(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        match args.action {
            Action::List { settings } => list(&open(settings).await?).await,
            Action::Rotate { settings } => rotate(&open(settings).await?).await,
            Action::Retire { kid, settings } => retire(&open(settings).await?, &kid).await,
        }
    })
}

async fn open(args: ServeArgs) -> Result<Auth, Failure> {
    let settings = config::load(args).map_err(|e| Failure::Input(format!("configuration: {e}")))?;
    bootstrap::open_auth(&settings, Arc::new(SystemClock))
        .await
        .map_err(|e| Failure::Input(e.to_string()))
}

async fn list(auth: &Auth) -> Result<String, Failure> {
    let records = auth.key_records().await.map_err(failed)?;
    if records.is_empty() {
        return Ok("no signing keys yet: `keycard serve` makes them on first start".to_owned());
    }
    let mut lines = vec![format!(
        "{:<44} {:<6} {:<8} {:<24} {}",
        "KID", "ALG", "ROLE", "CREATED", "RETIRE AFTER"
    )];
    for record in records {
        let retire_after = record
            .retire_after
            .map_or_else(|| "-".to_owned(), dates::utc);
        lines.push(format!(
            "{:<44} {:<6} {:<8} {:<24} {retire_after}",
            record.kid,
            record.alg.to_string(),
            role(record.role),
            dates::utc(record.created_at),
        ));
    }
    Ok(lines.join("\n"))
}

async fn rotate(auth: &Auth) -> Result<String, Failure> {
    let now = auth.clock().now();
    let records = auth.key_records().await.map_err(failed)?;
    let (_, next) = keycard_auth::keys::current(&records);
    if let Some(next) = next {
        let published = auth.key_schedule().published_at(next.created_at);
        if now < published {
            eprintln!(
                "warning: the next key {} was published {} ago, less than the JWKS max-age \
                 ({} s) and a key reload: verifiers caching the JWKS may not hold it yet and \
                 would refuse its tokens until they refetch",
                next.kid,
                dates::span(now.as_secs() - next.created_at.as_secs()),
                auth.settings().jwks_max_age_secs(),
            );
        }
    }
    let changes = auth.rotate_keys_now(now).await.map_err(failed)?;
    Ok(describe(&changes, now))
}

async fn retire(auth: &Auth, kid: &str) -> Result<String, Failure> {
    let now = auth.clock().now();
    let changes = auth
        .retire_key(kid, now)
        .await
        .map_err(|error| match error {
            keycard_auth::AuthError::NotFound => Failure::Input(format!("no key with kid {kid:?}")),
            other => failed(other),
        })?;
    Ok(format!(
        "{}\nRunning servers refuse its tokens from their next key reload, within {} s. \
         Verifiers that cache the JWKS may accept them for up to {} s more (the JWKS max-age) \
         unless they refetch it.",
        describe(&changes, now),
        KEY_CHECK_EVERY.as_secs(),
        auth.settings().jwks_max_age_secs(),
    ))
}

fn describe(changes: &[KeyChange], now: UnixTime) -> String {
    let lines: Vec<String> = changes
        .iter()
        .map(|change| match change {
            KeyChange::Created { kid, role: r } => format!("created {kid} ({})", role(*r)),
            KeyChange::Promoted {
                kid,
                retired,
                retire_after,
            } => match retired {
                Some(old) => format!(
                    "promoted {kid} to active; retired {old}, kept in the JWKS until {} ({})",
                    dates::utc(*retire_after),
                    dates::relative("", *retire_after, now),
                ),
                None => format!("promoted {kid} to active"),
            },
            KeyChange::Retired { kid, retire_after } => {
                format!("retired {kid} until {}", dates::utc(*retire_after))
            }
            KeyChange::Deleted { kid } => format!("removed {kid} from the JWKS and the store"),
        })
        .collect();
    if lines.is_empty() {
        "nothing changed".to_owned()
    } else {
        lines.join("\n")
    }
}

fn role(role: KeyRole) -> &'static str {
    match role {
        KeyRole::Active => "active",
        KeyRole::Next => "next",
        KeyRole::Retired => "retired",
    }
}

/// A failure of the auth layer, with its causes (it keeps details in sources).
fn failed(error: keycard_auth::AuthError) -> Failure {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    Failure::Input(text)
}
