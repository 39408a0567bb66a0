// Two browser clients behind nginx, each reaching it from its own address, for the per-address
// login limit test in crates/keycard-server/tests/nginx_browser.rs.
//
// Usage: node two_clients.mjs <base URL of client A> <base URL of client B>, with
// KEYCARD_EMAIL, KEYCARD_PASSWORD and KEYCARD_LIMIT (the server's login_limit_per_ip) in the
// environment (and optionally CHROMIUM, default /usr/bin/chromium). Each base is a relay in
// front of nginx that connects from its own loopback address; each client is its own
// browser context (own cookies), named by its User-Agent so the server's records tell them
// apart, and calls the API with `fetch` from a page of its own origin.
//
// Client A fails logins until it is refused with 429; then client B, from the other
// address, fails once, fails once more while forging `X-Forwarded-For` to name A's address,
// and logs in; then A tries the right password and is still refused.
//
// Prints one JSON object on stdout (what each client saw); the Rust test asserts it. Exits
// non-zero only when the browser itself cannot be driven.
import { chromium } from "playwright-core";

const [baseA, baseB] = process.argv.slice(2);
const email = process.env.KEYCARD_EMAIL;
const password = process.env.KEYCARD_PASSWORD;
const limit = Number(process.env.KEYCARD_LIMIT);
if (!baseA || !baseB || !email || !password || !(limit > 0)) {
  console.error(
    "usage: KEYCARD_EMAIL=.. KEYCARD_PASSWORD=.. KEYCARD_LIMIT=N node two_clients.mjs <URL A> <URL B>",
  );
  process.exit(2);
}
const SESSION_COOKIE = "__Host-keycard_session";
const WRONG = `${password} (wrong)`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  timeout: 60_000,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

const result = { base_a: baseA, base_b: baseB, limit };
try {
  // Chromium's own User-Agent, with a tag per client.
  const probe = await browser.newContext();
  const defaultAgent = await (await probe.newPage()).evaluate(() => navigator.userAgent);
  await probe.close();

  // A client: its own context (no shared cookies), a page of its origin, and a login call
  // made by that page's script.
  const client = async (base, tag) => {
    const userAgent = `${defaultAgent} keycard-test/${tag}`;
    const context = await browser.newContext({ userAgent });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const home = await page.goto(new URL("/", base).href);
    const login = (pass, forwardedFor) =>
      page.evaluate(
        async ([email, pass, forwardedFor]) => {
          const headers = { "content-type": "application/json" };
          if (forwardedFor) headers["x-forwarded-for"] = forwardedFor;
          const response = await fetch("/v1/login", {
            method: "POST",
            headers,
            body: JSON.stringify({ email, password: pass }),
          });
          const text = await response.text();
          let body = null;
          try {
            body = JSON.parse(text);
          } catch {
            body = text.slice(0, 200);
          }
          return {
            status: response.status,
            retry_after: response.headers.get("retry-after"),
            type: body?.type ?? null,
            user: body?.user ?? null,
            csrf_token: body?.csrf_token ?? null,
          };
        },
        [email, pass, forwardedFor ?? null],
      );
    const hasSession = async () =>
      (await context.cookies(base)).some((cookie) => cookie.name === SESSION_COOKIE);
    return { context, user_agent: userAgent, home: home.status(), login, hasSession };
  };

  const a = await client(baseA, "a");
  const b = await client(baseB, "b");
  result.a = { user_agent: a.user_agent, home: a.home, failures: [] };
  result.b = { user_agent: b.user_agent, home: b.home };

  // A: wrong passwords until refused (a few past the limit at most, so a broken limit shows
  // as a list of 401s rather than a hang).
  for (let n = 0; n < limit + 3; n++) {
    const attempt = await a.login(WRONG);
    result.a.failures.push(attempt);
    if (attempt.status !== 401) break;
  }

  // B, from the other address: its own wrong password is a plain 401; so is one whose
  // forged X-Forwarded-For names A's (refused) address, as nginx appends the real one; and
  // the right password logs in.
  result.b.wrong = await b.login(WRONG);
  result.b.forged = await b.login(WRONG, "127.0.0.2");
  result.b.right = await b.login(password);
  result.b.has_session = await b.hasSession();

  // A's address is still refused, even with the right password; A holds no session.
  result.a.right = await a.login(password);
  result.a.has_session = await a.hasSession();

  await a.context.close();
  await b.context.close();
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
