//! The HTTP routes, one file per concern. Handlers extract, call one method of the auth
//! service with `now` from its clock, and map the error through
//! [`WebError`](crate::error::WebError).

pub mod admin;
pub mod auth_check;
pub mod client;
pub mod dto;
pub mod extract;
pub mod health;
pub mod login;
pub mod logout;
pub mod me;
pub mod oauth;
pub mod openapi;
pub mod password;
pub mod revocations;
pub mod sessions;
pub mod token;
pub mod token_status;
pub mod ui;
pub mod users;
pub mod well_known;
