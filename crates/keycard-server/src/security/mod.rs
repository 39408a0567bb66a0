//! Defences that sit in front of the auth routes, apart from any one handler.
//!
//! - [`rate_limit`]: the brute-force limits on login attempts, per account and per client
//!   address ([`LoginLimiter`]), sans-IO: time comes in as a value.
//! - [`too_many_requests`]: how a refused attempt is answered (429, `Retry-After`,
//!   problem+json): the HTTP edge of [`RetryAfter`].

pub mod rate_limit;
pub mod too_many_requests;

pub use rate_limit::{Limit, LimitSettings, LoginLimiter, RetryAfter};
pub use too_many_requests::TooManyRequests;
