//! The parts of `keycard bench` (the command itself is `commands/bench.rs`).
//!
//! Layout, in the order a run uses them:
//! - `backend`: which stores a benchmark server uses (`sqlite`, `postgres+redis`, URLs),
//!   and a fresh PostgreSQL schema and Redis prefix per server;
//! - `server`: Keycard started in this process on a loopback port, login limits off;
//! - `setup`: over HTTP, the mode of a server, a user, and the credential each route needs;
//! - `route`: what one request of each measured route is, and what counts as success;
//! - `load`: the load generator: keep-alive HTTP/1 connections over loopback, each a task
//!   on a small single-threaded runtime, for a fixed time after a warm-up;
//! - `latency`: the latencies of one run and their percentiles;
//! - `progress`: the progress bar (hidden without a terminal);
//! - `verify_cost`, `store_cost`: the in-process cost of one verify per algorithm and one
//!   session lookup per backend;
//! - `report`: the results as data (and as JSON), `table` as text, `chart` as SVG.
//!
//! Everything that reads the monotonic clock goes through [`stopwatch`], the one place
//! this crate is allowed to.

pub mod backend;
pub mod chart;
pub mod latency;
pub mod load;
pub mod progress;
pub mod report;
pub mod route;
pub mod server;
pub mod setup;
pub mod stopwatch;
pub mod store_cost;
pub mod table;
pub mod verify_cost;
