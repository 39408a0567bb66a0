// The security checklist of a decoded token, from the rules of /ui/checklist.json (the same
// file `keycard audit` embeds, so the page and the command line agree). Pure: it looks at
// the header and claims and, for HMAC tokens, tries the well-known weak secrets in this
// page with WebCrypto. Nothing is sent anywhere.

import { hmacMatches } from "./jws.js";

let rules = null;

/** The checklist rules, loaded once (a same-origin asset of the page, not the token). */
export async function loadRules() {
  if (!rules) {
    const response = await fetch("/ui/checklist.json");
    rules = await response.json();
  }
  return rules;
}

const SEVERITY_ORDER = ["critical", "high", "medium", "low", "info"];

function finding(id, detail = "") {
  const rule = rules.findings[id];
  return { id, severity: rule.severity, text: rule.text.replace("{detail}", detail) };
}

function hours(seconds) {
  return seconds >= 86400 ? `${Math.round(seconds / 3600)} h (${(seconds / 86400).toFixed(1)} d)` : `${seconds} s`;
}

/** Every finding for `decoded` ({header, claims, signingInput, signature}), worst first. */
export async function audit(decoded) {
  await loadRules();
  const { header, claims } = decoded;
  const out = [];
  const alg = header.alg;
  if (typeof alg === "string" && alg.toLowerCase() === "none") out.push(finding("alg_none"));
  else if (!rules.algorithms.includes(alg)) out.push(finding("alg_unexpected", JSON.stringify(alg)));
  if (typeof alg === "string" && /^HS(256|384|512)$/.test(alg)) {
    for (const secret of rules.weak_secrets) {
      if (await hmacMatches(alg, new TextEncoder().encode(secret), decoded)) {
        out.push(finding("weak_secret", JSON.stringify(secret)));
        break;
      }
    }
  }
  for (const name of rules.remote_key_headers) {
    if (name in header) out.push(finding("remote_key_header", name));
  }
  if (typeof header.kid === "string") {
    const kid = header.kid.toLowerCase();
    if (rules.kid_suspicious.some((needle) => kid.includes(needle))) {
      out.push(finding("kid_injection", JSON.stringify(header.kid)));
    }
  }
  if (claims && typeof claims === "object") {
    if (typeof claims.exp !== "number") out.push(finding("no_exp"));
    else {
      const start = typeof claims.iat === "number" ? claims.iat : typeof claims.nbf === "number" ? claims.nbf : null;
      if (start !== null && claims.exp - start > rules.max_lifetime_secs) {
        out.push(finding("long_lifetime", hours(claims.exp - start)));
      }
    }
    if (!("aud" in claims)) out.push(finding("no_aud"));
    for (const name of Object.keys(claims)) {
      const lower = name.toLowerCase();
      if (rules.sensitive_claim_words.some((word) => lower === word || lower.includes(word) && word.length > 3)) {
        out.push(finding("sensitive_claim", name));
      }
    }
  }
  return out.sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity));
}

/** The finding for a pasted HMAC secret, if it is weak or short. */
export async function auditSecret(alg, secret) {
  await loadRules();
  if (rules.weak_secrets.includes(secret)) return finding("weak_secret", JSON.stringify(secret));
  const bytes = new TextEncoder().encode(secret).length;
  const need = Number(alg.slice(2)) / 8;
  return bytes < need ? finding("short_secret", String(bytes)) : null;
}
