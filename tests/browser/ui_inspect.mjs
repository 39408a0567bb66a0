// The token inspector, for crates/keycard-server/tests/ui_browser.rs.
//
// Usage: node ui_inspect.mjs <base URL>, with KEYCARD_TOKEN (a live access token of the
// server) in the environment. Records every request the page makes: decoding must make
// none, verifying against a pasted key none, verifying against this server's keys only a
// GET of its JWKS, and only "Check revocation" sends the token. Prints one JSON object.
import { createHmac } from "node:crypto";
import { accessibility, launch, screenshot } from "./ui_common.mjs";

const [base] = process.argv.slice(2);
const live = process.env.KEYCARD_TOKEN;
if (!base || !live) {
  console.error("usage: KEYCARD_TOKEN=.. node ui_inspect.mjs <base URL>");
  process.exit(2);
}
const b64 = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const hs256 = (header, claims, secret) => {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
};
const now = Math.floor(Date.now() / 1000);
// Everything on the checklist: a well-known secret, no exp, no aud, a kid that is a path,
// a jku header, a password claim.
const bad = hs256({ alg: "HS256", kid: "../../../dev/null", jku: "https://attacker.example/jwks" },
  { sub: "alice", iat: now - 600, password: "hunter2" }, "secret");
const expired = hs256({ alg: "HS256" }, { sub: "bob", aud: "api", iat: now - 10800, exp: now - 7200 },
  "a long enough random secret for this test");
const [h, p, s] = live.split(".");
const tampered = `${h}.${b64({ ...JSON.parse(Buffer.from(p, "base64url")), sub: "mallory" })}.${s}`;

const browser = await launch();
const result = { violations: [] };
try {
  const page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(20_000);
  const requests = [];
  page.on("request", (request) => requests.push({ method: request.method(), path: new URL(request.url()).pathname, body: request.postData() || "" }));
  await page.goto(new URL("/ui/inspect", base).href);
  await page.waitForFunction(() => document.body.dataset.ready === "inspect");
  const since = () => requests.splice(0);
  since();

  const read = async () => ({
    mark: await page.locator("#verified-mark").textContent(),
    header: JSON.parse(await page.locator("#header-json").textContent()),
    claims: JSON.parse(await page.locator("#claims-json").textContent()),
    dates: await page.locator("#dates li").allTextContents(),
    findings: await page.locator("#warnings li[data-finding]").evaluateAll((items) => items.map((i) => i.dataset.finding)),
  });
  const verifyWith = async (source, key) => {
    await page.locator(`input[name="key-source"][value="${source}"]`).check();
    await page.getByLabel("Key or secret").fill(key);
    await page.getByRole("button", { name: "Verify" }).click();
    await page.waitForFunction(() => document.getElementById("verify-result").textContent);
    const out = {
      text: await page.locator("#verify-result").textContent(),
      rule: await page.locator("#verify-result").getAttribute("data-rule"),
      mark: await page.locator("#verified-mark").textContent(),
    };
    return out;
  };
  const paste = async (token) => {
    await page.getByLabel("Token", { exact: true }).fill(token);
    await page.waitForFunction(() => !document.getElementById("decoded").hidden);
    await page.waitForFunction(() => document.querySelectorAll("#warnings li").length > 0);
  };

  // The server's own token: decodes, NOT VERIFIED, dates relative; then verified with the
  // server's JWKS (the one request), and its tampered copy fails with bad_signature.
  await paste(live);
  result.live = await read();
  result.live.requests_decoding = since();
  result.violations.push(...(await accessibility(page, "inspect")));
  await screenshot(page, "inspect.png");
  result.live.verify = await verifyWith("server", "");
  result.live.requests_verifying = since().map((r) => `${r.method} ${r.path}`);
  await paste(tampered);
  result.tampered = { verify: await verifyWith("server", "") };
  since();

  // The checklist's bad token: warnings; verifying with its (weak) secret works, signed
  // with another fails bad_signature; no request at all.
  await paste(bad);
  result.bad = await read();
  await screenshot(page, "inspect-warnings.png");
  result.bad.verify_right = await verifyWith("secret", "secret");
  result.bad.verify_wrong = await verifyWith("secret", "not the secret at all, but long enough");
  result.bad.findings_after = (await read()).findings;
  result.bad.requests = since();

  // An expired token with the right secret: the dates and the rule say expired.
  await paste(expired);
  result.expired = await read();
  result.expired.verify = await verifyWith("secret", "a long enough random secret for this test");
  result.expired.requests = since();

  // Only the explicit action asks the server, with the token.
  await paste(live);
  await page.getByRole("button", { name: "Check revocation" }).click();
  await page.waitForFunction(() => document.getElementById("revocation-result").dataset.active !== undefined);
  result.revocation = {
    active: await page.locator("#revocation-result").getAttribute("data-active"),
    requests: since().map((r) => ({ request: `${r.method} ${r.path}`, carries_token: r.body.includes(live) })),
  };
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
