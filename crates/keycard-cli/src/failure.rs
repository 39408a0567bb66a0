//! How a command fails, and the exit status each kind of failure gets.

use std::fmt;
use std::process::ExitCode;

use keycard_core::{KeyError, TokenError};

/// A command's failure: an invalid token (exit 1) or anything else (exit 2).
#[derive(Debug)]
pub enum Failure {
    /// The token was read and refused; the rule that failed is named.
    InvalidToken(TokenError),
    /// A key could not be read, imported or used.
    Key(KeyError),
    /// Bad input: a file that cannot be read, a value out of range.
    Input(String),
}

impl Failure {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Self::InvalidToken(_) => ExitCode::from(1),
            Self::Key(_) | Self::Input(_) => ExitCode::from(2),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidToken(e) => write!(f, "invalid token: {} ({e})", e.rule()),
            Self::Key(e) => write!(f, "key error: {} ({e})", e.rule()),
            Self::Input(message) => write!(f, "error: {message}"),
        }
    }
}

impl From<TokenError> for Failure {
    fn from(e: TokenError) -> Self {
        Self::InvalidToken(e)
    }
}

impl From<KeyError> for Failure {
    fn from(e: KeyError) -> Self {
        Self::Key(e)
    }
}
