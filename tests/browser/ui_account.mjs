// The sign-in and account page in one mode, for crates/keycard-server/tests/ui_browser.rs.
//
// Usage: node ui_account.mjs <base URL> <mode>, with KEYCARD_EMAIL and KEYCARD_PASSWORD in
// the environment (the account does not exist yet). Steps: create the account and land on
// the account page (A); reload (session and hybrid stay signed in, jwt asks to sign in
// again); sign in from a second browser context (B) with the keyboard only; A signs B out
// from its session list, and B's next action lands on sign-in; hybrid: two tabs of A
// reload at once and both stay signed in; axe on both views. Prints one JSON object.
import { accessibility, launch, ready, screenshot, view } from "./ui_common.mjs";

const [base, mode] = process.argv.slice(2);
const email = process.env.KEYCARD_EMAIL;
const password = process.env.KEYCARD_PASSWORD;
if (!base || !mode || !email || !password) {
  console.error("usage: KEYCARD_EMAIL=.. KEYCARD_PASSWORD=.. node ui_account.mjs <base URL> <mode>");
  process.exit(2);
}
const url = (path) => new URL(path, base).href;
const result = { mode, violations: [], storage: [] };
const browser = await launch();
try {
  const contextA = await browser.newContext({ userAgent: "Mozilla/5.0 keycard-test/a" });
  const a = await contextA.newPage();
  a.setDefaultTimeout(20_000);
  const errors = [];
  a.on("pageerror", (error) => errors.push(String(error)));

  // A: create the account by name and label, as a person would.
  await a.goto(url("/"));
  await ready(a, "signin");
  result.redirected_to = new URL(a.url()).pathname;
  result.pattern = await a.locator("#pattern-text").textContent();
  result.violations.push(...(await accessibility(a, "signin")));
  await screenshot(a, `signin-${mode}.png`);
  await a.getByLabel("Email").fill(email);
  await a.getByLabel("Password", { exact: true }).fill(password);
  await a.getByRole("button", { name: "Create account" }).click();
  await a.locator("#account-view:not([hidden])").waitFor();
  result.after_create = { view: await view(a), path: new URL(a.url()).pathname, email: await a.locator("#who-email").textContent() };
  result.violations.push(...(await accessibility(a, "account")));
  result.cookies_a = (await contextA.cookies()).map((c) => ({ name: c.name, secure: c.secure, httpOnly: c.httpOnly, path: c.path }));
  result.storage.push(await a.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length })));

  // Reload: the mode decides.
  await a.reload();
  await a.waitForFunction(() => document.body.dataset.ready);
  result.after_reload = await view(a);
  if (result.after_reload === "signin") {
    result.reload_message = await a.locator("#status").textContent();
    await a.getByLabel("Email").fill(email);
    await a.getByLabel("Password", { exact: true }).fill(password);
    await a.getByRole("button", { name: "Sign in" }).click();
    await a.locator("#account-view:not([hidden])").waitFor();
  }

  // B: sign in with the keyboard only.
  const contextB = await browser.newContext({ userAgent: "Mozilla/5.0 keycard-test/b" });
  const b = await contextB.newPage();
  b.setDefaultTimeout(20_000);
  await b.goto(url("/ui/"));
  await ready(b, "signin");
  await b.locator("body").focus();
  const focusOrder = [];
  for (let n = 0; n < 12 && focusOrder.at(-1) !== "email"; n++) {
    await b.keyboard.press("Tab");
    focusOrder.push(await b.evaluate(() => document.activeElement?.id || document.activeElement?.tagName));
  }
  await b.keyboard.type(email);
  await b.keyboard.press("Tab");
  await b.keyboard.type(password);
  await b.keyboard.press("Enter");
  await b.locator("#account-view:not([hidden])").waitFor();
  result.keyboard = { focus_order: focusOrder, view: await view(b) };

  // A sees B's session, not marked as this one, and signs B out.
  const rows = a.locator("#sessions tr");
  const before = await rows.count();
  await a.getByRole("button", { name: "Refresh list" }).click();
  await a.waitForFunction((n) => document.querySelectorAll("#sessions tr").length > n, before);
  result.sessions_seen = await rows.count();
  result.current_rows = await a.locator('#sessions tr[data-current="true"]').count();
  result.session_labels = await a.locator("#sessions tr td:first-child").allTextContents();
  await screenshot(a, `account-${mode}.png`);
  await a.locator('#sessions tr[data-user-agent$="keycard-test/b"]').getByRole("button", { name: "Sign out" }).click();
  await a.waitForFunction((n) => document.querySelectorAll("#sessions tr").length === n - 1, result.sessions_seen);
  result.sessions_after = await rows.count();

  // B's next action: change the password; it lands on sign-in.
  await b.getByLabel("Current password").fill(password);
  await b.getByLabel("New password").fill(`${password} again`);
  await b.getByRole("button", { name: "Change password" }).click();
  await b.locator("#signin-view:not([hidden])").waitFor();
  result.b_after = { view: await view(b), message: await b.locator("#status").textContent() };

  if (mode === "hybrid") {
    // Two tabs of A reload at once: both refresh through the same cookie and stay in.
    const second = await contextA.newPage();
    await second.goto(url("/ui/account"));
    await second.locator("#account-view:not([hidden])").waitFor();
    await Promise.all([a.reload(), second.reload()]);
    await Promise.all([a, second].map((p) => p.waitForFunction(() => document.body.dataset.ready)));
    result.two_tabs = [await view(a), await view(second)];
    // And both can still act: each reloads its session list with its own token.
    await Promise.all([a.reload(), second.reload()]);
    await Promise.all([a, second].map((p) => p.waitForFunction(() => document.body.dataset.ready)));
    result.two_tabs_again = [await view(a), await view(second)];
    result.storage.push(await second.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length })));
  }

  // Sign out everywhere: A lands on sign-in, and a reload does not bring it back.
  await a.getByRole("button", { name: "Sign out everywhere" }).click();
  await a.locator("#signin-view:not([hidden])").waitFor();
  await a.reload();
  await a.waitForFunction(() => document.body.dataset.ready);
  result.after_everywhere = await view(a);
  result.page_errors = errors;
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
