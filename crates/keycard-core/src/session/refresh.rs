//! Refresh token rotation: the decision every store makes atomically, and the sealed
//! successor that lets a retried request get the same new token back.
//!
//! Every refresh returns a new token. The store keeps each issued token's digest with its
//! generation. Presenting the current generation rotates. Presenting the one before, within
//! the grace window, is a lost response or a racing tab: it gets the same successor again,
//! but only a bounded number of times per rotation (`max_replays`, counted in
//! [`RefreshState::replays`] and reset by every rotation), so whoever holds a previous token
//! cannot mint access tokens from it for the whole window. Anything else from the family,
//! a replay beyond the bound included, is theft, and the whole family is revoked.
//!
//! The store never holds a raw token, yet a replay must return the successor itself. So
//! the successor is kept sealed (AES-256-GCM) under a key derived from the token it
//! replaced: only a client holding that previous token can open it, and a copy of the
//! database opens nothing.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::digest;

use crate::UnixTime;
use crate::opaque::{OpaqueKind, OpaqueToken};

/// Why a family was revoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevokeReason {
    /// A token older than the grace window allows was presented: presumed stolen.
    ReuseDetected,
    /// The user logged out, or revoked it from their list of sessions.
    Logout,
    /// An administrator revoked it, or disabled the user.
    Admin,
    /// The user changed their password.
    PasswordChanged,
}

impl RevokeReason {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ReuseDetected => "reuse_detected",
            Self::Logout => "logout",
            Self::Admin => "admin",
            Self::PasswordChanged => "password_changed",
        }
    }

    /// Reads a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::ReuseDetected,
            Self::Logout,
            Self::Admin,
            Self::PasswordChanged,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
    }
}

/// The rotation state of a refresh family.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RefreshState {
    /// The generation of the current token (0 for the one issued at login).
    pub generation: u64,
    /// When the current token replaced the previous one.
    pub rotated_at: Option<UnixTime>,
    /// The current token, sealed under the previous one (see the module docs).
    pub sealed_successor: Option<Vec<u8>>,
    /// How many times the previous token has been answered with a replay since the last
    /// rotation (which resets it to 0). The store increments it in the same atomic step
    /// that decides [`RotationDecision::Replay`].
    pub replays: u32,
    /// Set once the family is revoked; it never rotates again.
    pub revoked: Option<RevokeReason>,
}

impl RefreshState {
    /// The state of a family just created at login.
    pub fn new() -> Self {
        Self::default()
    }
}

/// What a store must do when a token of generation `presented` is presented.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RotationDecision {
    /// The current token: mint the successor (compare-and-swap on the generation).
    Rotate,
    /// The previous token within the grace window, replayed fewer than `max_replays` times
    /// since the last rotation: count one more replay and answer with the same successor.
    Replay,
    /// An older token, or the previous one after the window or once its replays are used
    /// up: revoke the family.
    Reuse,
    /// The family was already revoked.
    Revoked(RevokeReason),
}

impl RefreshState {
    /// The rule, in one place: every backend applies it inside its own atomic step (the
    /// Redis backend mirrors it in Lua, and the shared conformance suite holds them equal).
    ///
    /// The previous token within `grace_secs` of the rotation is a replay while
    /// [`replays`](Self::replays) is below `max_replays`; the store must then increment
    /// `replays` in the same atomic step. Past the bound it is reuse, exactly as an older
    /// token is; `max_replays = 0` never replays.
    pub fn decide(
        &self,
        presented: u64,
        now: UnixTime,
        grace_secs: i64,
        max_replays: u32,
    ) -> RotationDecision {
        if let Some(reason) = self.revoked {
            return RotationDecision::Revoked(reason);
        }
        if presented == self.generation {
            return RotationDecision::Rotate;
        }
        let within_grace = self
            .rotated_at
            .is_some_and(|at| now <= at.plus_secs(grace_secs));
        let replays_left = self.replays < max_replays;
        if presented.checked_add(1) == Some(self.generation) && within_grace && replays_left {
            RotationDecision::Replay
        } else {
            RotationDecision::Reuse
        }
    }
}

const SEAL_CONTEXT: &[u8] = b"keycard refresh successor v1";

fn seal_key(previous: &OpaqueToken) -> Option<LessSafeKey> {
    let mut context = digest::Context::new(&digest::SHA256);
    context.update(SEAL_CONTEXT);
    context.update(previous.expose_secret().as_bytes());
    let key = context.finish();
    UnboundKey::new(&AES_256_GCM, key.as_ref())
        .ok()
        .map(LessSafeKey::new)
}

/// Seals `successor` so that only the holder of `previous` can open it: nonce || ciphertext.
pub fn seal_successor(
    previous: &OpaqueToken,
    successor: &OpaqueToken,
) -> Result<Vec<u8>, crate::KeyError> {
    const FAILED: crate::KeyError = crate::KeyError::Crypto("sealing the successor failed");
    let key = seal_key(previous).ok_or(FAILED)?;
    let mut nonce = [0u8; NONCE_LEN];
    aws_lc_rs::rand::fill(&mut nonce).map_err(|_| FAILED)?;
    let mut sealed = successor.expose_secret().as_bytes().to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::empty(),
        &mut sealed,
    )
    .map_err(|_| FAILED)?;
    let mut out = nonce.to_vec();
    out.append(&mut sealed);
    Ok(out)
}

/// Opens a sealed successor with the previous token; `None` if it does not open.
pub fn open_successor(previous: &OpaqueToken, sealed: &[u8]) -> Option<OpaqueToken> {
    let key = seal_key(previous)?;
    let (nonce, ciphertext) = sealed.split_at_checked(NONCE_LEN)?;
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut buffer = zeroize::Zeroizing::new(ciphertext.to_vec());
    let plain = key.open_in_place(nonce, Aad::empty(), &mut buffer).ok()?;
    let text = std::str::from_utf8(plain).ok()?;
    OpaqueToken::parse(OpaqueKind::Refresh, text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(generation: u64, rotated_at: Option<i64>) -> RefreshState {
        RefreshState {
            generation,
            rotated_at: rotated_at.map(UnixTime::from_secs),
            sealed_successor: None,
            replays: 0,
            revoked: None,
        }
    }

    #[test]
    fn the_rotation_rule() {
        let now = UnixTime::from_secs(1000);
        assert_eq!(
            state(0, None).decide(0, now, 30, 3),
            RotationDecision::Rotate
        );
        assert_eq!(
            state(3, Some(980)).decide(3, now, 30, 3),
            RotationDecision::Rotate
        );
        assert_eq!(
            state(3, Some(980)).decide(2, now, 30, 3),
            RotationDecision::Replay
        );
        assert_eq!(
            state(3, Some(970)).decide(2, now, 30, 3),
            RotationDecision::Replay
        );
        assert_eq!(
            state(3, Some(969)).decide(2, now, 30, 3),
            RotationDecision::Reuse
        );
        assert_eq!(
            state(3, Some(999)).decide(1, now, 30, 3),
            RotationDecision::Reuse
        );
        assert_eq!(
            state(3, Some(999)).decide(4, now, 30, 3),
            RotationDecision::Reuse
        );
        let mut revoked = state(3, Some(999));
        revoked.revoked = Some(RevokeReason::Logout);
        assert_eq!(
            revoked.decide(3, now, 30, 3),
            RotationDecision::Revoked(RevokeReason::Logout)
        );
    }

    #[test]
    fn the_previous_token_replays_at_most_max_replays_times() {
        let now = UnixTime::from_secs(1000);
        let mut family = state(3, Some(990));
        for used in 0..3 {
            family.replays = used;
            assert_eq!(family.decide(2, now, 30, 3), RotationDecision::Replay);
        }
        family.replays = 3;
        assert_eq!(family.decide(2, now, 30, 3), RotationDecision::Reuse);
        assert_eq!(
            family.decide(3, now, 30, 3),
            RotationDecision::Rotate,
            "the current token still rotates once the replays are used up"
        );
        assert_eq!(
            state(3, Some(990)).decide(2, now, 30, 0),
            RotationDecision::Reuse,
            "0 replays: the previous token is never replayed"
        );
        family.replays = u32::MAX;
        assert_eq!(family.decide(2, now, 30, u32::MAX), RotationDecision::Reuse);
    }

    #[test]
    fn only_the_previous_token_opens_the_successor() {
        let previous = OpaqueToken::generate(OpaqueKind::Refresh).unwrap();
        let successor = OpaqueToken::generate(OpaqueKind::Refresh).unwrap();
        let sealed = seal_successor(&previous, &successor).unwrap();
        assert!(!sealed.windows(20).any(|w| {
            successor
                .expose_secret()
                .as_bytes()
                .windows(20)
                .any(|s| s == w)
        }));
        let opened = open_successor(&previous, &sealed).unwrap();
        assert_eq!(opened.expose_secret(), successor.expose_secret());
        let other = OpaqueToken::generate(OpaqueKind::Refresh).unwrap();
        assert!(open_successor(&other, &sealed).is_none());
        let mut tampered = sealed.clone();
        tampered[NONCE_LEN] ^= 1;
        assert!(open_successor(&previous, &tampered).is_none());
        assert!(open_successor(&previous, &sealed[..5]).is_none());
    }

    #[test]
    fn reasons_round_trip() {
        for r in [
            RevokeReason::ReuseDetected,
            RevokeReason::Logout,
            RevokeReason::Admin,
            RevokeReason::PasswordChanged,
        ] {
            assert_eq!(RevokeReason::parse(r.as_str()), Some(r));
        }
    }
}
