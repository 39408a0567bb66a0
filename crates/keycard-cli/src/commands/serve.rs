//! `keycard serve`: runs the Keycard server until Ctrl-C or SIGTERM.
//!
//! Why here and not in the library: binding the socket, installing signal handlers, the
//! log subscriber and the tokio runtime belong to the process. `keycard-server` never binds
//! a socket itself, so its tests run it in-process; this command is the one place that
//! binds the configured address. The flags are `keycard-server`'s own `ServeArgs`,
//! flattened, so docs/CONFIG.md, `--help` and the TOML keys cannot drift apart.

use std::io::IsTerminal as _;
use std::sync::Arc;

use keycard_core::SystemClock;
use keycard_server::config::{self, Revocation, ServeArgs, Settings};
use keycard_server::routes::well_known::{CONFIGURATION_PATH, JWKS_PATH};
use keycard_server::{app, bootstrap};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tracing_subscriber::EnvFilter;

use crate::failure::Failure;

/// Run the Keycard server. With no settings it keeps its state in ./keycard-data and
/// listens on 127.0.0.1:8080. Settings come from flags, then KEYCARD_* environment
/// variables, then the TOML file named by --config, then the defaults (docs/CONFIG.md).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    settings: ServeArgs,
}

/// Resolves the settings, starts the server and blocks until it has stopped.
pub fn run(args: Args) -> Result<(), Failure> {
    init_logging();
    let settings =
        config::load(args.settings).map_err(|e| Failure::Input(format!("configuration: {e}")))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Input(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(serve(settings))
}

async fn serve(settings: Settings) -> Result<(), Failure> {
    // Handlers first: a SIGTERM that arrives once the addresses are printed must drain,
    // not kill.
    let interrupt = listen_for(SignalKind::interrupt())?;
    let terminate = listen_for(SignalKind::terminate())?;
    let listener = keycard_server::connections::bind(settings.addr)
        .map_err(|e| Failure::Input(format!("cannot listen on {}: {e}", settings.addr)))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Failure::Input(format!("cannot read the bound address: {e}")))?;
    let settings = settings.bound_to(bound);
    let (state, background) = bootstrap::bootstrap(settings, Arc::new(SystemClock))
        .await
        .map_err(|e| Failure::Input(e.to_string()))?;
    announce(state.settings());
    app::run(listener, state, shutdown(interrupt, terminate))
        .await
        .map_err(|e| Failure::Input(format!("server failed: {e}")))?;
    drop(background);
    tracing::info!("stopped");
    Ok(())
}

/// Prints where to reach the server, on stdout (logs go to stderr). With port 0 these are
/// the addresses actually bound.
fn announce(settings: &Settings) {
    let local = format!("http://{}", settings.addr);
    println!(
        "Keycard is listening on {local} (mode {})",
        settings.auth.mode.name()
    );
    println!("  pages:   {local}/ (sign in, my account, token inspector; at the issuer's origin)");
    println!("  API:     {local}/v1");
    println!("  JWKS:    {local}{JWKS_PATH}");
    println!("  config:  {local}{CONFIGURATION_PATH}");
    println!("  health:  {local}/healthz");
    println!("  issuer:  {}", settings.auth.issuer);
    println!("  data:    {}", settings.data_dir.display());
    if settings.auth.tokens.revocation == Revocation::Off {
        let lifetime = settings.auth.tokens.access_token_lifetime;
        println!(
            "WARNING: revocation is off. Logout, password changes and session revocation do not \
             stop access tokens: each stays valid until it expires (up to {lifetime})."
        );
        tracing::warn!(%lifetime, "revocation is off: access tokens stay valid until they expire");
    }
    println!("Press Ctrl-C to stop.");
}

fn listen_for(kind: SignalKind) -> Result<Signal, Failure> {
    signal(kind).map_err(|e| Failure::Input(format!("cannot install a signal handler: {e}")))
}

/// Completes at the first Ctrl-C (SIGINT) or SIGTERM.
async fn shutdown(mut interrupt: Signal, mut terminate: Signal) {
    let which = tokio::select! {
        _ = interrupt.recv() => "SIGINT",
        _ = terminate.recv() => "SIGTERM",
    };
    tracing::info!(signal = which, "shutdown requested");
}

/// Logs to stderr, filtered by `KEYCARD_LOG` (default `info`). Settings are never logged
/// whole; secrets are redacted types.
fn init_logging() {
    let filter = EnvFilter::try_from_env("KEYCARD_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
