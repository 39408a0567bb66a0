//! `GET /openapi.json`: the OpenAPI 3.1 description of the HTTP surface.
//!
//! The document is hand-written JSON beside this file (`openapi.json`), compiled into the
//! binary and served as is. It lists every v1 route of the design, including those whose
//! handlers are still to land; `tests/openapi.rs` asks the running server which routes it
//! answers and fails if one of them is missing from the document, so a new route cannot
//! ship undocumented.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The path.
pub const OPENAPI_PATH: &str = "/openapi.json";

/// The document, as served.
pub const DOCUMENT: &str = include_str!("openapi.json");

/// `GET /openapi.json`. The document changes only with the binary, so caches may keep it
/// for an hour.
pub async fn openapi() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        DOCUMENT,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_json_and_openapi_3_1() {
        let document: serde_json::Value =
            serde_json::from_str(DOCUMENT).unwrap_or_else(|error| panic!("openapi.json: {error}"));
        assert_eq!(document["openapi"], "3.1.0");
        assert!(document["paths"][OPENAPI_PATH]["get"].is_object());
    }
}
