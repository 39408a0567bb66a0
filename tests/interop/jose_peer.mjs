#!/usr/bin/env node
// A `jose` (panva/jose) peer for Keycard's interop tests (crates/keycard-core/tests/interop.rs).
//
// Usage: node jose_peer.mjs sign|verify < request.json
//
// The request on stdin is one JSON object, or an array of them (a batch). The answer on
// stdout is one JSON object per request: {"ok": true, ...} or {"ok": false, "error": {...}}.
// A single request that fails exits 1; a batch exits 0 and reports each failure in its
// answer. A request that cannot be read at all exits 2.
//
// sign:   {"alg", "claims", "typ"?, "jwk"?, "kid"?}
//         Signs `claims` with the private JWK `jwk` (for HMAC, the secret JWK). Without `jwk`
//         the peer generates its own key and answers its public JWK (HMAC: its secret JWK),
//         with no kid and no alg. The header gets `typ` when given, and `kid`: the request's
//         `kid` when present (null: no kid), else the JWK's kid, else the generated key's
//         RFC 7638 thumbprint (jose's calculateJwkThumbprint).
//         -> {"ok": true, "token", "jwk"?}
// verify: {"alg", "token", "issuer", "audience", "typ"?, "jwk" | "jwks"}
//         Verifies with the algorithm pinned to `alg`, the key `jwk` (public, or the HMAC
//         secret) or the member of the JWK Set `jwks` the token's kid names
//         (createLocalJWKSet); requires exp, iss and aud and checks issuer, audience, expiry
//         and, when given, the header typ.
//         -> {"ok": true, "header", "claims"}

import {
  SignJWT,
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  generateSecret,
  importJWK,
  jwtVerify,
} from "jose";

const ALGORITHMS = new Set([
  "HS256", "HS384", "HS512",
  "RS256", "RS384", "RS512",
  "PS256", "PS384", "PS512",
  "ES256", "ES384", "ES512",
  "EdDSA",
]);

class RequestError extends Error {
  name = "RequestError";
}

function checkAlg(request) {
  if (!ALGORITHMS.has(request.alg)) {
    throw new RequestError(`unsupported alg ${JSON.stringify(request.alg)}`);
  }
  return request.alg;
}

// A fresh key for `alg`: [signing key, public JWK or HMAC secret JWK].
async function generate(alg) {
  if (alg.startsWith("HS")) {
    const secret = await generateSecret(alg, { extractable: true });
    return [secret, await exportJWK(secret)];
  }
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return [privateKey, await exportJWK(publicKey)];
}

// exportJWK may add WebCrypto's `ext` and `key_ops`; the exported JWK carries the key only.
function keyMembers(jwk) {
  const { ext, key_ops, ...members } = jwk;
  return members;
}

async function sign(request) {
  const alg = checkAlg(request);
  if (request.claims === null || typeof request.claims !== "object" || Array.isArray(request.claims)) {
    throw new RequestError("claims must be a JSON object");
  }
  const answer = { ok: true };
  let key;
  let defaultKid;
  if (request.jwk == null) {
    let exported;
    [key, exported] = await generate(alg);
    answer.jwk = keyMembers(exported);
    defaultKid = await calculateJwkThumbprint(answer.jwk, "sha256");
  } else {
    key = await importJWK(request.jwk, alg);
    defaultKid = request.jwk.kid;
  }
  const header = { alg };
  if (request.typ != null) header.typ = request.typ;
  const kid = "kid" in request ? request.kid : defaultKid;
  if (kid != null) header.kid = kid;
  answer.token = await new SignJWT(request.claims).setProtectedHeader(header).sign(key);
  return answer;
}

async function verify(request) {
  const alg = checkAlg(request);
  if (typeof request.token !== "string") throw new RequestError("token must be a string");
  let key;
  if (request.jwk != null) {
    key = await importJWK(request.jwk, alg);
  } else if (request.jwks != null) {
    key = createLocalJWKSet(request.jwks);
  } else {
    throw new RequestError("verify needs jwk or jwks");
  }
  const options = {
    algorithms: [alg],
    issuer: request.issuer,
    audience: request.audience,
    requiredClaims: ["exp", "iss", "aud"],
  };
  if (request.typ != null) options.typ = request.typ;
  const { payload, protectedHeader } = await jwtVerify(request.token, key, options);
  return { ok: true, header: protectedHeader, claims: payload };
}

async function answer(command, request) {
  try {
    if (request === null || typeof request !== "object" || Array.isArray(request)) {
      throw new RequestError("a request must be a JSON object");
    }
    return await (command === "sign" ? sign(request) : verify(request));
  } catch (error) {
    return {
      ok: false,
      error: { type: error?.code ?? error?.name ?? "Error", message: String(error?.message ?? error) },
    };
  }
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

async function main(argv) {
  const command = argv[0];
  if (argv.length !== 1 || (command !== "sign" && command !== "verify")) {
    console.error("usage: node jose_peer.mjs sign|verify < request.json");
    return 2;
  }
  let request;
  try {
    request = JSON.parse(await readStdin());
  } catch (error) {
    console.error(`jose_peer: stdin is not JSON: ${error.message}`);
    return 2;
  }
  if (Array.isArray(request)) {
    const answers = [];
    for (const item of request) answers.push(await answer(command, item));
    process.stdout.write(`${JSON.stringify(answers)}\n`);
    return 0;
  }
  const result = await answer(command, request);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (!result.ok) {
    console.error(`jose_peer: ${command} failed: ${result.error.type}: ${result.error.message}`);
    return 1;
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
