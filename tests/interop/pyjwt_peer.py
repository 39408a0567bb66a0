#!/usr/bin/env python3
"""A PyJWT peer for Keycard's interop tests (crates/keycard-core/tests/interop.rs).

Usage: pyjwt_peer.py sign|verify < request.json

The request on stdin is one JSON object, or an array of them (a batch). The answer on
stdout is one JSON object per request: {"ok": true, ...} or {"ok": false, "error": {...}}.
A single request that fails exits 1; a batch exits 0 and reports each failure in its
answer. A request that cannot be read at all exits 2.

sign:   {"alg", "claims", "typ"?, "jwk"?, "kid"?}
        Signs `claims` with the private JWK `jwk` (for HMAC, the secret JWK). Without `jwk`
        the peer generates its own key and answers its public JWK (HMAC: its secret JWK),
        with no kid and no alg. The header gets `typ` when given, and `kid`: the request's
        `kid` when present (null: no kid), else the JWK's kid, else the generated key's
        RFC 7638 thumbprint.
        -> {"ok": true, "token", "jwk"?}
verify: {"alg", "token", "issuer", "audience", "typ"?, "jwk" | "jwks"}
        Verifies with the algorithm pinned to `alg`, the key `jwk` (public, or the HMAC
        secret) or the member of the JWK Set `jwks` the token's kid names; requires exp,
        iss and aud and checks issuer, audience, expiry and, when given, the header typ.
        -> {"ok": true, "header", "claims"}
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, HMACAlgorithm, OKPAlgorithm, RSAAlgorithm

ALGORITHMS = [
    "HS256", "HS384", "HS512",
    "RS256", "RS384", "RS512",
    "PS256", "PS384", "PS512",
    "ES256", "ES384", "ES512",
    "EdDSA",
]

# Warn-only in PyJWT by default; the peer refuses short keys outright.
PYJWT = jwt.PyJWT(options={"enforce_minimum_key_length": True})

# RFC 7638 section 3.2: the required members of each key type.
THUMBPRINT_MEMBERS = {
    "RSA": ("e", "kty", "n"),
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
    "oct": ("k", "kty"),
}


class RequestError(Exception):
    """The request itself is wrong (not a verification or signing failure)."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def thumbprint(jwk: dict[str, Any]) -> str:
    members = {name: jwk[name] for name in THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def check_alg(request: dict[str, Any]) -> str:
    alg = request.get("alg")
    if alg not in ALGORITHMS:
        raise RequestError(f"unsupported alg {alg!r}")
    return alg


def generate(alg: str) -> tuple[Any, dict[str, Any]]:
    """A fresh key for `alg`: (signing key, public JWK or HMAC secret JWK)."""
    if alg.startswith("HS"):
        secret = os.urandom(int(alg[2:]) // 8)
        return secret, HMACAlgorithm.to_jwk(secret, as_dict=True)
    if alg[:2] in ("RS", "PS"):
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return private, RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    if alg.startswith("ES"):
        curve = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1, "ES512": ec.SECP521R1}[alg]
        private = ec.generate_private_key(curve())
        return private, ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    private = ed25519.Ed25519PrivateKey.generate()
    return private, OKPAlgorithm.to_jwk(private.public_key(), as_dict=True)


def sign(request: dict[str, Any]) -> dict[str, Any]:
    alg = check_alg(request)
    claims = request.get("claims")
    if not isinstance(claims, dict):
        raise RequestError("claims must be a JSON object")
    answer: dict[str, Any] = {"ok": True}
    jwk = request.get("jwk")
    if jwk is None:
        key, public = generate(alg)
        answer["jwk"] = public
        default_kid = thumbprint(public)
    else:
        key = jwt.PyJWK(jwk, algorithm=alg)
        default_kid = jwk.get("kid")
    headers: dict[str, Any] = {"typ": request.get("typ")}
    kid = request["kid"] if "kid" in request else default_kid
    if kid is not None:
        headers["kid"] = kid
    answer["token"] = PYJWT.encode(claims, key, algorithm=alg, headers=headers)
    return answer


def typ_matches(actual: Any, expected: str) -> bool:
    """RFC 7515 section 4.1.9: case-insensitive, with "application/" optional."""

    def short(media_type: str) -> str:
        media_type = media_type.lower()
        return media_type[len("application/"):] if media_type.startswith("application/") else media_type

    return isinstance(actual, str) and short(actual) == short(expected)


def verification_key(request: dict[str, Any], alg: str, token: str) -> jwt.PyJWK:
    if "jwk" in request:
        return jwt.PyJWK(request["jwk"], algorithm=alg)
    if "jwks" not in request:
        raise RequestError("verify needs jwk or jwks")
    keys = jwt.PyJWKSet.from_dict(request["jwks"])
    kid = jwt.get_unverified_header(token).get("kid")
    if kid is not None:
        try:
            key = keys[kid]
        except KeyError:
            raise jwt.InvalidTokenError(f"no key in the JWK Set for kid {kid!r}") from None
    elif len(keys.keys) == 1:
        key = keys.keys[0]
    else:
        raise jwt.InvalidTokenError("token has no kid and the JWK Set has several keys")
    if key.algorithm_name != alg:
        raise jwt.InvalidAlgorithmError(f"key {kid!r} is for {key.algorithm_name}, not {alg}")
    return key


def verify(request: dict[str, Any]) -> dict[str, Any]:
    alg = check_alg(request)
    token = request.get("token")
    if not isinstance(token, str):
        raise RequestError("token must be a string")
    key = verification_key(request, alg, token)
    decoded = PYJWT.decode_complete(
        token,
        key,
        algorithms=[alg],
        issuer=request["issuer"],
        audience=request["audience"],
        options={"require": ["exp", "iss", "aud"]},
    )
    header = decoded["header"]
    expected_typ = request.get("typ")
    if expected_typ is not None and not typ_matches(header.get("typ"), expected_typ):
        raise jwt.InvalidTokenError(f"typ is {header.get('typ')!r}, expected {expected_typ!r}")
    return {"ok": True, "header": header, "claims": decoded["payload"]}


def answer(command: str, request: Any) -> dict[str, Any]:
    try:
        if not isinstance(request, dict):
            raise RequestError("a request must be a JSON object")
        return sign(request) if command == "sign" else verify(request)
    except Exception as error:  # noqa: BLE001 - every failure is an answer
        return {"ok": False, "error": {"type": type(error).__name__, "message": str(error)}}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in ("sign", "verify"):
        print("usage: pyjwt_peer.py sign|verify < request.json", file=sys.stderr)
        return 2
    try:
        request = json.load(sys.stdin)
    except ValueError as error:
        print(f"pyjwt_peer: stdin is not JSON: {error}", file=sys.stderr)
        return 2
    if isinstance(request, list):
        json.dump([answer(argv[1], item) for item in request], sys.stdout)
        print()
        return 0
    result = answer(argv[1], request)
    json.dump(result, sys.stdout)
    print()
    if not result["ok"]:
        error = result["error"]
        print(f"pyjwt_peer: {argv[1]} failed: {error['type']}: {error['message']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
