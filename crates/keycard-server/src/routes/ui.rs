//! The pages under `/ui/`: sign in and create an account, my account (sessions, sign out,
//! sign out everywhere, password change) and the token inspector. They are static files
//! from `web/` at the top of the workspace, compiled into the binary with `include_str!`:
//! no build step, no CDN, nothing fetched from anywhere but this server.
//!
//! - `GET /` redirects to the issuer's origin + `/ui/`. The pages call the API with
//!   cookies whose CSRF check compares `Origin` with the issuer's origin, so a page opened
//!   at `http://localhost:8080` while the issuer is `http://127.0.0.1:8080` would be refused
//!   on its first change; the redirect sends the browser to the origin that works (and the
//!   page warns if it is opened elsewhere anyway).
//! - `/ui/` and `/ui/account` are the same document (its script shows one view or the
//!   other), so an access token held in memory survives the step from sign-in to account.
//! - Every page and asset carries a Content-Security-Policy without inline script or style
//!   and with `frame-ancestors 'none'`, `X-Content-Type-Options: nosniff`,
//!   `Referrer-Policy: no-referrer`, and `Cache-Control: no-cache` with an `ETag`, so a
//!   browser revalidates (304) and never runs a stale script against a newer server.

use std::sync::LazyLock;

use aws_lc_rs::digest;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use keycard_core::jose::base64url;

use crate::error::WebError;
use crate::state::AppState;

/// Where the pages live.
pub const UI_PREFIX: &str = "/ui";

/// The policy of every page and asset: only this origin's scripts, styles and API; no
/// inline code; never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; \
    base-uri 'none'; frame-ancestors 'none'";

/// An embedded file: its path under `/ui/`, its media type and its bytes.
#[derive(Debug)]
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static str,
}

macro_rules! web {
    ($file:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/", $file))
    };
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// Every file the pages are made of.
const ASSETS: &[Asset] = &[
    Asset {
        path: "",
        content_type: HTML,
        body: web!("app.html"),
    },
    Asset {
        path: "account",
        content_type: HTML,
        body: web!("app.html"),
    },
    Asset {
        path: "inspect",
        content_type: HTML,
        body: web!("inspect.html"),
    },
    Asset {
        path: "app.css",
        content_type: "text/css; charset=utf-8",
        body: web!("app.css"),
    },
    Asset {
        path: "checklist.json",
        content_type: "application/json",
        body: web!("checklist.json"),
    },
    Asset {
        path: "js/app.js",
        content_type: JS,
        body: web!("js/app.js"),
    },
    Asset {
        path: "js/credentials.js",
        content_type: JS,
        body: web!("js/credentials.js"),
    },
    Asset {
        path: "js/dates.js",
        content_type: JS,
        body: web!("js/dates.js"),
    },
    Asset {
        path: "js/checklist.js",
        content_type: JS,
        body: web!("js/checklist.js"),
    },
    Asset {
        path: "js/jws.js",
        content_type: JS,
        body: web!("js/jws.js"),
    },
    Asset {
        path: "js/inspect.js",
        content_type: JS,
        body: web!("js/inspect.js"),
    },
];

/// The `ETag` of each asset, in the order of [`ASSETS`]: a digest of its bytes.
static ETAGS: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            let hash = digest::digest(&digest::SHA256, asset.body.as_bytes());
            let tag = format!("\"{}\"", base64url::encode(&hash.as_ref()[..16]));
            HeaderValue::from_str(&tag).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
        })
        .collect()
});

/// The routes of the pages, for every mode.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/ui", get(|| async { Redirect::permanent("/ui/") }))
        .route(
            "/ui/",
            get(|headers: HeaderMap| async move { serve("", &headers) }),
        )
        .route("/ui/{*path}", get(asset))
}

/// `GET /`: to the pages, at the issuer's origin.
async fn root(State(state): State<AppState>) -> Redirect {
    let issuer = &state.auth().settings().issuer;
    let origin = url::Url::parse(issuer)
        .ok()
        .map(|url| url.origin())
        .filter(url::Origin::is_tuple)
        .map(|origin| origin.ascii_serialization());
    match origin {
        Some(origin) => Redirect::to(&format!("{origin}/ui/")),
        None => Redirect::to("/ui/"),
    }
}

/// `GET /ui/{path}`.
async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&path, &headers)
}

fn serve(path: &str, headers: &HeaderMap) -> Response {
    let Some(index) = ASSETS.iter().position(|asset| asset.path == path) else {
        return WebError::NotFound.into_response();
    };
    let asset = &ASSETS[index];
    let etag = ETAGS
        .get(index)
        .cloned()
        .unwrap_or(HeaderValue::from_static("\"\""));
    let fresh = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|tag| tag.trim() == etag.to_str().unwrap_or_default() || tag.trim() == "*");
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            )],
            asset.body,
        )
            .into_response()
    };
    let out = response.headers_mut();
    out.insert(header::ETAG, etag);
    for (name, value) in security_headers() {
        out.insert(name, value);
    }
    response
}

/// The headers every page and asset carries.
pub fn security_headers() -> [(HeaderName, HeaderValue); 5] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_references_only_embedded_assets() {
        for page in ASSETS.iter().filter(|asset| asset.content_type == HTML) {
            for (at, _) in page.body.match_indices("/ui/") {
                let rest = &page.body[at + 4..];
                let end = rest.find(['"', ' ', '<']).unwrap_or(rest.len());
                let target = &rest[..end];
                assert!(
                    ASSETS.iter().any(|asset| asset.path == target),
                    "{} refers to /ui/{target}, which is not embedded",
                    page.path
                );
            }
            assert!(
                !page.body.contains("style="),
                "inline style in {}",
                page.path
            );
            assert!(
                !page.body.contains("<script>"),
                "inline script in {}",
                page.path
            );
            assert!(
                !page.body.contains("://"),
                "a third-party URL in {}",
                page.path
            );
        }
    }

    #[test]
    fn every_module_import_is_embedded() {
        for script in ASSETS.iter().filter(|asset| asset.content_type == JS) {
            for line in script
                .body
                .lines()
                .filter(|line| line.starts_with("import "))
            {
                let Some(start) = line.find("\"./") else {
                    continue;
                };
                let name = &line[start + 3..];
                let name = &name[..name.find('"').unwrap_or(name.len())];
                let target = format!("js/{name}");
                assert!(
                    ASSETS.iter().any(|asset| asset.path == target),
                    "{} imports {target}, which is not embedded",
                    script.path
                );
            }
        }
    }
}
