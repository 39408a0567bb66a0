// The token inspector (/ui/inspect): decodes as you paste, shows every date in local time
// and relative to now, lists the checklist's warnings, and verifies with WebCrypto against
// this server's JWKS, a pasted JWK (Set) or an HMAC secret. The token never leaves the
// page, except when "Check revocation" is pressed, which asks this server about it.

import { audit, auditSecret, loadRules } from "./checklist.js";
import { local, relative } from "./dates.js";
import { RuleError, decode, verify } from "./jws.js";

const $ = (id) => document.getElementById(id);
let current = null;
let generation = 0;

function li(text, className) {
  const item = document.createElement("li");
  if (className) item.className = className;
  item.textContent = text;
  return item;
}

function findingItem({ id, severity, text }) {
  const item = document.createElement("li");
  item.dataset.finding = id;
  const label = document.createElement("span");
  label.className = `severity severity-${severity}`;
  label.textContent = severity;
  item.append(label, document.createTextNode(`${text} [${id}]`));
  return item;
}

function mark(verified, text) {
  const mark = $("verified-mark");
  mark.textContent = text;
  mark.className = `mark ${verified ? "verified" : "unverified"}`;
}

async function show() {
  const mine = ++generation;
  const text = $("token").value.trim();
  $("verify-result").textContent = "";
  $("revocation-result").textContent = "";
  if (!text) {
    $("decoded").hidden = true;
    $("decode-error").hidden = true;
    current = null;
    return;
  }
  try {
    current = decode(text);
  } catch (error) {
    current = null;
    $("decoded").hidden = true;
    $("decode-error").textContent = `Cannot decode: ${error.message}`;
    $("decode-error").hidden = false;
    return;
  }
  $("decode-error").hidden = true;
  $("decoded").hidden = false;
  mark(false, "NOT VERIFIED");
  $("header-json").textContent = JSON.stringify(current.header, null, 2);
  $("claims-json").textContent = JSON.stringify(current.claims, null, 2);
  const dates = ["iat", "nbf", "exp", "auth_time"]
    .filter((claim) => typeof current.claims[claim] === "number")
    .map((claim) => li(`${claim}: ${local(current.claims[claim])} (${relative(claim, current.claims[claim])})`));
  $("dates").replaceChildren(...(dates.length ? dates : [li("No dates in the claims.")]));
  const findings = await audit(current);
  if (mine !== generation) return;
  $("warnings").replaceChildren(...(findings.length ? findings.map(findingItem) : [li("Nothing on the checklist.")]));
}

async function keyInput() {
  const source = document.querySelector('input[name="key-source"]:checked').value;
  const text = $("key").value.trim();
  if (source === "secret") return { secret: $("key").value };
  if (source === "jwk") {
    try {
      return { jwks: JSON.parse(text) };
    } catch {
      throw new RuleError("malformed_key");
    }
  }
  // This server's published keys: a GET of its JWKS, which carries nothing of the token.
  const response = await fetch("/.well-known/jwks.json");
  return { jwks: await response.json() };
}

async function verifyNow() {
  if (!current) return;
  const result = $("verify-result");
  try {
    const key = await keyInput();
    if (key.secret !== undefined && typeof current.header.alg === "string" && current.header.alg.startsWith("HS")) {
      const weak = await auditSecret(current.header.alg, key.secret);
      if (weak && !document.querySelector(`#warnings li[data-finding="${weak.id}"]`)) {
        $("warnings").prepend(findingItem(weak));
      }
    }
    await verify(current, key);
    mark(true, "VERIFIED");
    result.textContent = "Verified: the signature matches the key and the token is within its dates.";
    result.dataset.rule = "";
  } catch (error) {
    const rule = error instanceof RuleError ? error.rule : "malformed_key";
    mark(false, "NOT VERIFIED");
    result.textContent = `Verification failed: ${error instanceof RuleError ? error.message : `${rule}: ${error.message}`}`;
    result.dataset.rule = rule;
  }
}

async function checkRevocation() {
  const token = $("token").value.trim();
  if (!token) return;
  const result = $("revocation-result");
  try {
    const response = await fetch("/v1/token/status", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token }),
      cache: "no-store",
    });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.detail || answer.title || `HTTP ${response.status}`);
    result.textContent = answer.active
      ? "This server says the token is live: issued by it, unexpired and not revoked."
      : "This server says the token is not live: revoked, expired, or not one it issued.";
    result.dataset.active = String(answer.active);
  } catch (error) {
    result.textContent = `Could not ask the server: ${error.message}`;
  }
}

$("token").addEventListener("input", show);
$("verify").addEventListener("click", verifyNow);
$("revocation").addEventListener("click", checkRevocation);
loadRules().then(() => {
  document.body.dataset.ready = "inspect";
  if ($("token").value) show();
});
