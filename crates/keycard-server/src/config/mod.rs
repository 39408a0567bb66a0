//! Configuration: where each setting comes from and what it resolves to.
//!
//! - [`ServeArgs`]: one layer, every setting optional; both the command line (with its
//!   `KEYCARD_*` environment variables, read by clap) and the TOML file.
//! - [`Settings`]: the resolved, checked settings the server runs with, grouped; the auth
//!   service's group is [`keycard_auth::AuthSettings`].
//! - [`values`]: the server's own value types (store URLs, algorithm names, trusted
//!   proxies); durations, secrets, clients and the mode are in
//!   [`keycard_auth::settings`].
//!
//! Precedence, highest first: flags, `KEYCARD_*` environment variables, the TOML file named
//! by `--config`, the defaults. docs/CONFIG.md lists every setting.

mod args;
mod settings;
pub mod values;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

pub use args::ServeArgs;
pub use keycard_auth::settings::{Clients, Mode, Revocation, Seconds, Secret};
pub use settings::{ConfigError, Settings, StoreSettings, defaults};
pub use values::TrustedProxies;

/// Resolves the command line (flags over environment, as clap parsed them) over the TOML
/// file it names, if any.
pub fn load(cli: ServeArgs) -> Result<Settings, ConfigError> {
    match cli.config.clone() {
        Some(path) => {
            let file = read_file(&path)?;
            Settings::from_layers([cli, file])
        }
        None => Settings::resolve(cli),
    }
}

/// Reads and parses a TOML file. A file holding a secret (`master_key`, `admin_token`,
/// `clients`) that other users can read is refused, as ssh refuses a private key with loose
/// permissions.
pub fn read_file(path: &Path) -> Result<ServeArgs, ConfigError> {
    let fail = |message: String| ConfigError::File {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let args = ServeArgs::from_toml(&text).map_err(|e| fail(e.to_string()))?;
    let holds_secret =
        args.master_key.is_some() || args.admin_token.is_some() || args.clients.is_some();
    let mode = std::fs::metadata(path)
        .map_err(|e| fail(e.to_string()))?
        .permissions()
        .mode();
    if holds_secret && mode & 0o077 != 0 {
        return Err(fail(
            "holds a secret (master_key, admin_token or clients) and other users can read it; chmod 600 it"
                .into(),
        ));
    }
    Ok(args)
}
