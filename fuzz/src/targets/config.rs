//! The TOML configuration loader: any file text is either refused with a message or
//! resolved to settings; never a panic.

use keycard_server::config::{ServeArgs, Settings};

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(args) = ServeArgs::from_toml(text) {
        let _ = Settings::resolve(args);
    }
}
