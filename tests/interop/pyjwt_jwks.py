#!/usr/bin/env python3
"""Verifies a Keycard access token as a PyJWT resource server would, given only the JWKS.

Used by crates/keycard-server/tests/pyjwt_jwks.rs. Offline: the test fetched
/.well-known/jwks.json (the only key material) and the issuer and audience from
/.well-known/keycard-configuration, and passes them here; this script makes no requests.

Usage: pyjwt_jwks.py < request.json

request: {"jwks": {...}, "token": "...", "issuer": "...", "audience": "..."}

The logic is PyJWKClient's, minus the fetch: build the keys with PyJWKSet, pick the one
the token's kid names (a token without kid, or with a kid the set does not have, is
refused), pin the algorithm to that key's own `alg` (never the token header's), and
verify signature, exp, iat, iss and aud, requiring iss, sub, aud, exp, iat and sid.

answer on stdout: {"ok": true, "kid", "alg", "header", "claims"}, exit 0; or
{"ok": false, "error": {"type", "message"}}, exit 1 (2 for an unreadable request).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import jwt

# Warn-only in PyJWT by default; refuse short keys outright.
PYJWT = jwt.PyJWT(options={"enforce_minimum_key_length": True})
REQUIRED_CLAIMS = ["iss", "sub", "aud", "exp", "iat", "sid"]


def signing_key(jwks: dict[str, Any], token: str) -> jwt.PyJWK:
    """PyJWKClient.get_signing_key_from_jwt, offline, with the key's alg required."""
    keys = jwt.PyJWKSet.from_dict(jwks)  # every usable key, parsed by PyJWT
    kid = jwt.get_unverified_header(token).get("kid")
    if not isinstance(kid, str):
        raise jwt.PyJWKClientError("the token has no kid")
    matches = [key for key in keys.keys if key.key_id == kid]
    if len(matches) != 1:
        raise jwt.PyJWKClientError(f"{len(matches)} keys in the JWKS have kid {kid!r}")
    # The JWK's own alg pins the algorithm; PyJWK would guess one from kty and crv.
    published = [raw for raw in jwks["keys"] if raw.get("kid") == kid]
    if len(published) != 1 or not published[0].get("alg"):
        raise jwt.PyJWKClientError(f"key {kid!r} names no alg")
    if published[0]["alg"] != matches[0].algorithm_name:
        raise jwt.PyJWKClientError(f"key {kid!r} parsed as {matches[0].algorithm_name}")
    return matches[0]


def verify(request: dict[str, Any]) -> dict[str, Any]:
    token = request["token"]
    key = signing_key(request["jwks"], token)
    alg = key.algorithm_name
    decoded = PYJWT.decode_complete(
        token,
        key=key,
        algorithms=[alg],
        issuer=request["issuer"],
        audience=request["audience"],
        options={"require": REQUIRED_CLAIMS},
    )
    header = decoded["header"]
    if header.get("alg") != alg:
        raise jwt.InvalidAlgorithmError(f"header alg {header.get('alg')!r} is not the key's {alg!r}")
    if header.get("typ") not in ("at+jwt", "application/at+jwt"):
        raise jwt.InvalidTokenError(f"typ {header.get('typ')!r} is not at+jwt")
    return {"ok": True, "kid": key.key_id, "alg": alg, "header": header, "claims": decoded["payload"]}


def main() -> int:
    try:
        request = json.load(sys.stdin)
        for field in ("jwks", "token", "issuer", "audience"):
            if field not in request:
                raise KeyError(field)
    except (ValueError, KeyError, TypeError) as error:
        json.dump({"ok": False, "error": {"type": "BadRequest", "message": repr(error)}}, sys.stdout)
        return 2
    try:
        answer = verify(request)
    except jwt.PyJWTError as error:
        json.dump({"ok": False, "error": {"type": type(error).__name__, "message": str(error)}}, sys.stdout)
        return 1
    json.dump(answer, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
