// Drives Debian's Chromium through nginx `auth_request` in front of Keycard (session mode),
// for crates/keycard-server/tests/nginx_browser.rs.
//
// Usage: node auth_request.mjs <nginx base URL>, with KEYCARD_EMAIL and KEYCARD_PASSWORD in
// the environment (and optionally CHROMIUM, default /usr/bin/chromium).
// Prints one JSON object on stdout (the steps and what the browser saw); the Rust test
// asserts it. Exits non-zero only when the browser itself cannot be driven.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const base = process.argv[2];
const email = process.env.KEYCARD_EMAIL;
const password = process.env.KEYCARD_PASSWORD;
if (!base || !email || !password) {
  console.error("usage: KEYCARD_EMAIL=.. KEYCARD_PASSWORD=.. node auth_request.mjs <nginx URL>");
  process.exit(2);
}
const SESSION_COOKIE = "__Host-keycard_session";

// A fresh profile each run: no cookie, cache or state from any other run.
const profile = mkdtempSync(join(tmpdir(), "keycard-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
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

const result = { base };
try {
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);

  // A navigation, as a user opening the protected page.
  const open = async (path) => {
    const response = await page.goto(new URL(path, base).href);
    return {
      status: response.status(),
      // nginx's error pages run long; the head is enough to tell them from the page.
      body: (await response.text()).trim().slice(0, 200),
      user: response.headers()["x-keycard-user"] ?? null,
      session: response.headers()["x-keycard-session"] ?? null,
    };
  };
  const sessionCookie = async () =>
    (await context.cookies(base)).find((cookie) => cookie.name === SESSION_COOKIE) ?? null;

  result.before_login = await open("/private/");

  // A page of the nginx origin, from which the page's own script calls the API.
  result.home = (await open("/")).status;
  result.login = await page.evaluate(
    async ([email, password]) => {
      const response = await fetch("/v1/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password }),
      });
      const body = await response.json();
      return { status: response.status, csrf_token: body.csrf_token ?? null, user: body.user ?? null };
    },
    [email, password],
  );
  const cookie = await sessionCookie();
  result.cookie = cookie && {
    name: cookie.name,
    secure: cookie.secure,
    http_only: cookie.httpOnly,
    same_site: cookie.sameSite,
    path: cookie.path,
    domain: cookie.domain,
  };
  // HttpOnly: the page's script cannot read it.
  result.cookie_visible_to_script = await page.evaluate(
    (name) => document.cookie.includes(name),
    SESSION_COOKIE,
  );

  result.logged_in = await open("/private/");

  await open("/");
  result.logout = await page.evaluate(async (csrf) => {
    const response = await fetch("/v1/logout", {
      method: "POST",
      headers: { "x-csrf-token": csrf ?? "" },
    });
    return { status: response.status };
  }, result.login.csrf_token);
  result.cookie_after_logout = (await sessionCookie()) !== null;

  result.after_logout = await open("/private/");

  // The browser dropped the cookie (Clear-Site-Data); put the old one back, as a stolen
  // copy would be replayed: the server, not the browser, must refuse it.
  if (cookie) {
    await context.addCookies([cookie]);
    result.replayed_cookie_present = (await sessionCookie()) !== null;
    result.replayed = await open("/private/");
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
