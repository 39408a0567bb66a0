//! One file per subcommand.

pub mod audit;
pub mod bench;
pub mod decode;
pub mod jwks;
pub mod keygen;
pub mod keys;
pub mod secret;
pub mod serve;
pub mod sign;
pub mod verify;
