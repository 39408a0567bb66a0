// JWS compact decoding and verification in the page, with WebCrypto. The rule names of a
// failure are those of the server and `keycard verify` (keycard-core's TokenError::rule),
// each with a sentence for people.

export const RULES = {
  unsupported_crit: "The header lists a crit extension this verifier does not understand.",
  too_large: "The token is larger than the 8 KiB a verifier accepts.",
  malformed: "The token is not three parts of unpadded base64url with JSON header and claims.",
  unsupported_alg: "The header's alg is not one this verifier implements (and never \"none\").",
  alg_mismatch: "The header's alg is not the algorithm the key is bound to.",
  unknown_kid: "No key has the header's kid.",
  bad_signature: "The signature does not match the key: the token was changed or signed with another key.",
  expired: "The token has expired (exp is past, beyond 30 s of leeway).",
  not_yet_valid: "The token is not valid yet (nbf is in the future).",
  issued_in_future: "The token says it was issued in the future (iat).",
  missing_claim: "A required claim (exp) is missing.",
  malformed_key: "The key is not a usable JWK or secret.",
  missing_alg: "The key names no alg, so it cannot be bound to one.",
  weak_key: "The key is too short for its algorithm.",
};

export const MAX_TOKEN_BYTES = 8 * 1024;
export const LEEWAY_SECS = 30;

/** A failed rule, named. */
export class RuleError extends Error {
  constructor(rule) {
    super(`${rule}: ${RULES[rule] || rule}`);
    this.rule = rule;
  }
}

function base64url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new RuleError("malformed");
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  const binary = atob(padded);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function json(bytes) {
  try {
    const value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    if (value && typeof value === "object" && !Array.isArray(value)) return value;
  } catch {
    /* reported below */
  }
  throw new RuleError("malformed");
}

/** The token's parts, unverified: {header, claims, signingInput, signature}. */
export function decode(token) {
  const trimmed = token.trim();
  if (trimmed.length > MAX_TOKEN_BYTES) throw new RuleError("too_large");
  const parts = trimmed.split(".");
  if (parts.length !== 3) throw new RuleError("malformed");
  return {
    header: json(base64url(parts[0])),
    claims: json(base64url(parts[1])),
    signingInput: new TextEncoder().encode(`${parts[0]}.${parts[1]}`),
    signature: base64url(parts[2]),
  };
}

const HASH = { 256: "SHA-256", 384: "SHA-384", 512: "SHA-512" };
const CURVE = { ES256: "P-256", ES384: "P-384", ES512: "P-521" };

/** WebCrypto's name of a JWS algorithm: import and verify parameters. */
function webAlgorithm(alg) {
  const bits = alg.slice(2);
  if (/^HS(256|384|512)$/.test(alg)) return { name: "HMAC", hash: HASH[bits] };
  if (/^RS(256|384|512)$/.test(alg)) return { name: "RSASSA-PKCS1-v1_5", hash: HASH[bits] };
  if (/^PS(256|384|512)$/.test(alg)) return { name: "RSA-PSS", hash: HASH[bits], saltLength: Number(bits) / 8 };
  if (CURVE[alg]) return { name: "ECDSA", namedCurve: CURVE[alg], hash: HASH[bits] };
  if (alg === "EdDSA") return { name: "Ed25519" };
  throw new RuleError("unsupported_alg");
}

/** Whether an HMAC `secret` (bytes) signed `decoded` with `alg`. */
export async function hmacMatches(alg, secret, decoded) {
  const algorithm = webAlgorithm(alg);
  const key = await crypto.subtle.importKey("raw", secret, algorithm, false, ["verify"]).catch(() => null);
  if (!key) return false;
  return crypto.subtle.verify(algorithm, key, decoded.signature, decoded.signingInput);
}

/** The key a JWK Set offers for `header`: by kid when there is one. */
function select(jwks, header) {
  const keys = Array.isArray(jwks.keys) ? jwks.keys : [jwks];
  const candidates = header.kid === undefined ? keys : keys.filter((k) => k.kid === header.kid);
  if (candidates.length === 0) throw new RuleError("unknown_kid");
  if (candidates.length > 1) throw new RuleError("unknown_kid");
  return candidates[0];
}

/** Checks the dates of verified claims at `now` (Unix seconds), with the leeway. */
export function checkDates(claims, now = Date.now() / 1000) {
  if (typeof claims.exp !== "number") throw new RuleError("missing_claim");
  if (now > claims.exp + LEEWAY_SECS) throw new RuleError("expired");
  if (typeof claims.nbf === "number" && claims.nbf > now + LEEWAY_SECS) throw new RuleError("not_yet_valid");
  if (typeof claims.iat === "number" && claims.iat > now + LEEWAY_SECS) throw new RuleError("issued_in_future");
}

/**
 * Verifies `decoded` against a JWK or JWK Set (`jwks`) or an HMAC secret (`secret`):
 * the key's alg must equal the header's, then the signature, then the dates.
 */
export async function verify(decoded, { jwks, secret }) {
  const alg = decoded.header.alg;
  if (typeof alg !== "string" || alg.toLowerCase() === "none") throw new RuleError("unsupported_alg");
  if (Array.isArray(decoded.header.crit)) throw new RuleError("unsupported_crit");
  const algorithm = webAlgorithm(alg);
  let key;
  if (secret !== undefined) {
    if (algorithm.name !== "HMAC") throw new RuleError("alg_mismatch");
    const bytes = new TextEncoder().encode(secret);
    if (bytes.length === 0) throw new RuleError("weak_key");
    key = await crypto.subtle.importKey("raw", bytes, algorithm, false, ["verify"]);
  } else {
    const jwk = select(jwks, decoded.header);
    if (!jwk.alg) throw new RuleError("missing_alg");
    if (jwk.alg !== alg) throw new RuleError("alg_mismatch");
    const pub = { ...jwk };
    delete pub.d; delete pub.p; delete pub.q; delete pub.dp; delete pub.dq; delete pub.qi;
    delete pub.key_ops; delete pub.use;
    try {
      key = await crypto.subtle.importKey("jwk", pub, algorithm, false, ["verify"]);
    } catch {
      throw new RuleError("malformed_key");
    }
  }
  const ok = await crypto.subtle.verify(algorithm, key, decoded.signature, decoded.signingInput);
  if (!ok) throw new RuleError("bad_signature");
  checkDates(decoded.claims);
}
