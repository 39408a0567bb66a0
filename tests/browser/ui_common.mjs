// Shared by the page tests (ui_account.mjs, ui_inspect.mjs): launching Debian's Chromium,
// the axe-core accessibility check, and screenshots.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    timeout: 60_000,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/**
 * axe-core's serious and critical violations on the page as it is now. axe is evaluated
 * through the DevTools protocol, which the page's Content-Security-Policy does not govern,
 * so the page under test keeps its real policy.
 */
export async function accessibility(page, name) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(AXE);
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ page: name, id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")) }));
}

/** A full-page screenshot into $KEYCARD_SCREENSHOTS, when set. */
export async function screenshot(page, file) {
  const dir = process.env.KEYCARD_SCREENSHOTS;
  if (dir) await page.screenshot({ path: join(dir, file), fullPage: true });
}

/** Waits until the page's script says which view it shows (`data-ready` on body). */
export async function ready(page, view) {
  await page.waitForFunction((view) => document.body.dataset.ready === view || (view === "account" && !document.getElementById("account-view")?.hidden), view);
}

/** Which view the sign-in/account page shows now. */
export async function view(page) {
  return page.evaluate(() =>
    !document.getElementById("account-view").hidden ? "account" : !document.getElementById("signin-view").hidden ? "signin" : "none");
}
