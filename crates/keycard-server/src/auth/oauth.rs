//! Token introspection (RFC 7662) and revocation (RFC 7009) for configured clients, free
//! of HTTP.
//!
//! - **Clients** authenticate with HTTP Basic: `client_id:client_secret`, each
//!   form-urlencoded (RFC 6749 section 2.3.1), against the `clients` setting; the secret is
//!   compared in constant time, and an unknown id costs the same comparison.
//! - **Introspection** says whether a token would be accepted now, and for whom. An access
//!   token must pass the bearer checks (signature, claims, revocation set) and, unless
//!   `revocation = "off"`, its session must still be live in the store; a refresh token must
//!   be the current token of a live family (asking never rotates it); a session token must
//!   belong to a live cookie session. Anything else is `{"active": false}`, without saying
//!   why.
//! - **Revocation** ends the session a valid token belongs to, by the path logout takes
//!   (`logout::end_session`). An unknown, invalid or expired token is not an error (RFC 7009
//!   section 2.2): there is nothing to revoke.

use keycard_core::audit::AuditKind;
use keycard_core::jose::base64url;
use keycard_core::jwt::Claims;
use keycard_core::opaque::{OpaqueKind, OpaqueToken};
use keycard_core::session::{ClientMeta, Session, SessionKind};
use keycard_core::{SessionId, UnixTime, UserId};
use serde::Serialize;

use super::admin::secrets_equal;
use super::logout::end_session;
use super::tokens::verify_bearer;
use super::{AuthError, audit};
use crate::config::{Revocation, Settings};
use crate::state::AppState;

/// Compared against when the client id is unknown, so that answer costs what a wrong
/// secret costs.
const NO_SECRET: &str = "no client has this id; compared only to spend the same time";

/// The client an `Authorization: Basic` header authenticates, if any.
pub fn authenticate_client(settings: &Settings, authorization: Option<&str>) -> Option<String> {
    let (id, secret) = basic_credentials(authorization?)?;
    let expected = settings.clients.secret_of(&id);
    let matches = secrets_equal(expected.map_or(NO_SECRET, |s| s.expose()), &secret);
    (matches && expected.is_some()).then_some(id)
}

/// The id and secret of `Basic base64(id:secret)`, each percent-decoded.
fn basic_credentials(authorization: &str) -> Option<(String, zeroize::Zeroizing<String>)> {
    let (scheme, encoded) = authorization.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    // Standard base64 with padding, read by the base64url decoder.
    let encoded: String = encoded
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            other => other,
        })
        .collect();
    let decoded = zeroize::Zeroizing::new(base64url::decode(encoded)?);
    let text = std::str::from_utf8(&decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((percent_decode(id)?.to_string(), percent_decode(secret)?))
}

/// `%XX` escapes decoded; `None` if one is malformed or the result is not UTF-8.
fn percent_decode(text: &str) -> Option<zeroize::Zeroizing<String>> {
    let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(text.len()));
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes.to_vec())
        .ok()
        .map(zeroize::Zeroizing::new)
}

/// The answer to an introspection request: `{"active": false}`, or the token's facts.
#[derive(Debug, Serialize)]
pub struct Introspection {
    /// Whether the token would be accepted now.
    pub active: bool,
    /// What an active token says.
    #[serde(flatten)]
    pub token: Option<ActiveToken>,
}

impl Introspection {
    const INACTIVE: Self = Self {
        active: false,
        token: None,
    };

    fn active(token: ActiveToken) -> Self {
        Self {
            active: true,
            token: Some(token),
        }
    }
}

/// The facts of an active token (RFC 7662 section 2.2).
#[derive(Debug, Serialize)]
pub struct ActiveToken {
    /// `access_token`, `refresh_token` or `session_token`.
    pub token_type: &'static str,
    /// The user.
    pub sub: UserId,
    /// The session.
    pub sid: SessionId,
    /// When it expires, Unix seconds.
    pub exp: i64,
    /// When it was issued, Unix seconds.
    pub iat: i64,
    /// This server's issuer.
    pub iss: String,
    /// The audience (access tokens only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// The token's id (access tokens only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

/// Introspects `token` at `now`. The kind is read from the token itself; a hint is not
/// needed (RFC 7662 section 2.1 lets the server ignore it).
pub async fn introspect(
    state: &AppState,
    token: &str,
    now: UnixTime,
) -> Result<Introspection, AuthError> {
    if let Some(session) = opaque_session(state, token, now).await? {
        let (token_type, iat) = match &session.kind {
            SessionKind::Refresh(family) => (
                "refresh_token",
                family.rotated_at.unwrap_or(session.created_at),
            ),
            SessionKind::Cookie => ("session_token", session.created_at),
        };
        return Ok(Introspection::active(ActiveToken {
            token_type,
            exp: session.expires_at().as_secs(),
            iat: iat.as_secs(),
            iss: state.settings().issuer.clone(),
            sub: session.user_id,
            sid: session.id,
            aud: None,
            jti: None,
        }));
    }
    let Ok(bearer) = verify_bearer(state, token, now) else {
        return Ok(Introspection::INACTIVE);
    };
    if state.settings().revocation == Revocation::On
        && state
            .stores()
            .sessions
            .load_session(&bearer.session_id, now)
            .await?
            .is_none()
    {
        return Ok(Introspection::INACTIVE);
    }
    let settings = state.settings();
    Ok(Introspection::active(ActiveToken {
        token_type: "access_token",
        exp: bearer.expires_at.as_secs(),
        iat: bearer.issued_at.as_secs(),
        iss: settings.issuer.clone(),
        aud: Some(settings.audience.clone()),
        jti: jti_of(token),
        sub: bearer.user_id,
        sid: bearer.session_id,
    }))
}

/// Revokes the session `token` belongs to, if it is a valid token of this server; records
/// `session_revoked`. Returns whether a session ended.
pub async fn revoke(
    state: &AppState,
    token: &str,
    client: &ClientMeta,
    now: UnixTime,
) -> Result<bool, AuthError> {
    let (user_id, session_id) = match opaque_session(state, token, now).await? {
        Some(session) => (session.user_id, session.id),
        None => match verify_bearer(state, token, now) {
            Ok(bearer) => (bearer.user_id, bearer.session_id),
            Err(_) => return Ok(false),
        },
    };
    end_session(state, &session_id, now).await?;
    audit(
        state,
        AuditKind::SessionRevoked,
        Some(&user_id),
        Some(&session_id),
        client,
        now,
    )
    .await;
    Ok(true)
}

/// The live session of an opaque token: a family whose current token it is, or a cookie
/// session. Looking it up never rotates or touches anything.
async fn opaque_session(
    state: &AppState,
    token: &str,
    now: UnixTime,
) -> Result<Option<Session>, AuthError> {
    let (token, kind) = if let Ok(token) = OpaqueToken::parse(OpaqueKind::Refresh, token) {
        (token, "refresh")
    } else if let Ok(token) = OpaqueToken::parse(OpaqueKind::Session, token) {
        (token, "cookie")
    } else {
        return Ok(None);
    };
    Ok(state
        .stores()
        .sessions
        .load_session_by_token(&token.digest(), now)
        .await?
        .filter(|session| session.kind.name() == kind && session.is_live(now)))
}

/// The `jti` of an access token that has already been verified.
fn jti_of(token: &str) -> Option<String> {
    let payload = base64url::decode(token.split('.').nth(1)?)?;
    Claims::from_payload(payload).ok()?.jti().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ServeArgs;

    fn basic(credentials: &str) -> String {
        format!("Basic {}", base64_std(credentials.as_bytes()))
    }

    /// Standard base64 with padding, as HTTP clients send it.
    fn base64_std(bytes: &[u8]) -> String {
        let mut text: String = base64url::encode(bytes)
            .chars()
            .map(|c| match c {
                '-' => '+',
                '_' => '/',
                other => other,
            })
            .collect();
        while !text.len().is_multiple_of(4) {
            text.push('=');
        }
        text
    }

    #[test]
    fn clients_authenticate_with_basic() {
        let secret = "s".repeat(32);
        let settings = Settings::resolve(ServeArgs {
            clients: Some(format!("api:{secret},o%th:{secret}").parse().unwrap()),
            ..ServeArgs::default()
        })
        .unwrap();
        let ok = basic(&format!("api:{secret}"));
        assert_eq!(
            authenticate_client(&settings, Some(&ok)).as_deref(),
            Some("api")
        );
        let escaped = basic(&format!("o%25th:{secret}"));
        assert_eq!(
            authenticate_client(&settings, Some(&escaped)).as_deref(),
            Some("o%th")
        );
        for bad in [
            basic(&format!("api:{secret}x")),
            basic(&format!("other:{secret}")),
            basic("api"),
            format!("Bearer {secret}"),
            "Basic !!!".to_owned(),
        ] {
            assert_eq!(authenticate_client(&settings, Some(&bad)), None, "{bad}");
        }
        assert_eq!(authenticate_client(&settings, None), None);
    }
}
