//! `keycard secret`: random bytes from the operating system, as unpadded base64url: for
//! client secrets, admin tokens and master keys in configuration.

use crate::failure::Failure;

/// Print a random secret (base64url, no padding).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Number of random bytes (16 to 1024).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(16..=1024))]
    bytes: u16,
}

pub fn run(args: &Args) -> Result<String, Failure> {
    let mut bytes = zeroize::Zeroizing::new(vec![0u8; usize::from(args.bytes)]);
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| Failure::Input("the random source failed".into()))?;
    Ok(keycard_core::jose::base64url::encode(&bytes[..]))
}
