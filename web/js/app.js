// The sign-in and account page (/ui/ and /ui/account): one document, so that in jwt and
// hybrid modes the access token held in memory (credentials.js) survives going from one
// view to the other. Every answer that says the session has ended (401) shows sign-in.

import * as credentials from "./credentials.js";
import { ApiError, PATTERNS } from "./credentials.js";
import { local, relative } from "./dates.js";

const $ = (id) => document.getElementById(id);

function say(text, isError = false) {
  const status = $("status");
  status.textContent = text;
  status.className = isError ? "error" : "";
}

function explain(error) {
  if (error instanceof ApiError) {
    const rule = error.problem?.rule ? ` (${error.problem.rule})` : "";
    return `${error.problem?.title || "Request failed"}${rule}: ${error.problem?.detail || `HTTP ${error.status}`}`;
  }
  return `The server could not be reached: ${error.message}`;
}

function show(view) {
  $("signin-view").hidden = view !== "signin";
  $("account-view").hidden = view !== "account";
  const path = view === "account" ? "/ui/account" : "/ui/";
  if (location.pathname !== path) history.replaceState(null, "", path);
  document.title = view === "account" ? "My account · Keycard" : "Sign in · Keycard";
}

/** The session has ended (here or elsewhere): back to sign-in, saying why. */
function signedOut(message) {
  credentials.forget();
  show("signin");
  say(message);
  $("email").focus();
}

/** Runs an action; an ended session lands on sign-in, other errors are shown. */
async function act(action) {
  try {
    await action();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      signedOut("Your session has ended. Please sign in again.");
    } else {
      say(explain(error), true);
    }
  }
}

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

function when(unix) {
  return `${local(unix)} (${relative("", unix)})`;
}

async function loadAccount() {
  const me = await credentials.request("GET", "/v1/me");
  credentials.adopt(me);
  $("who-email").textContent = me.user.email;
  $("who-id").textContent = me.user.id;
  $("who-session").textContent = `${me.session.id}, started ${when(me.session.created_at)}`;
  const token = credentials.accessToken();
  $("who-token").textContent = token
    ? `held in this page's memory only (${token.length} characters); inspect it at /ui/inspect`
    : "none: this mode uses the session cookie";
  const { sessions } = await credentials.request("GET", "/v1/sessions");
  const rows = sessions.map((session) => {
    const tr = document.createElement("tr");
    tr.dataset.userAgent = session.user_agent || "";
    const device = cell(session.label || session.user_agent || "Unknown device");
    if (session.current) {
      const badge = document.createElement("span");
      badge.className = "current-badge";
      badge.textContent = " (this one)";
      device.append(badge);
      tr.dataset.current = "true";
    }
    tr.append(device, cell(session.ip || "unknown"), cell(when(session.created_at)), cell(when(session.last_seen_at)));
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = "Sign out";
    button.dataset.session = session.id;
    button.addEventListener("click", () => act(() => endSession(session)));
    const action = document.createElement("td");
    action.append(button);
    tr.append(action);
    return tr;
  });
  $("sessions").replaceChildren(...rows);
  show("account");
}

async function endSession(session) {
  await credentials.request("DELETE", `/v1/sessions/${encodeURIComponent(session.id)}`);
  if (session.current) return signedOut("You have signed out.");
  say("That session has been signed out.");
  await loadAccount();
}

async function submitSignIn(event) {
  event.preventDefault();
  const email = $("email").value.trim();
  const password = $("password").value;
  const creating = event.submitter?.value === "create";
  await act(async () => {
    if (creating) {
      await credentials.request("POST", "/v1/users", { email, password });
    }
    await credentials.signIn(email, password);
    $("password").value = "";
    say(creating ? "Account created; you are signed in." : "You are signed in.");
    await loadAccount();
  });
}

async function changePassword(event) {
  event.preventDefault();
  await act(async () => {
    await credentials.request("POST", "/v1/password", {
      current_password: $("current-password").value,
      new_password: $("new-password").value,
    });
    $("current-password").value = "";
    $("new-password").value = "";
    say("Password changed; every other session has been signed out.");
    await loadAccount();
  });
}

async function start() {
  const cameForAccount = location.pathname === "/ui/account";
  $("signin-form").addEventListener("submit", submitSignIn);
  $("password-form").addEventListener("submit", changePassword);
  $("reload-sessions").addEventListener("click", () => act(loadAccount));
  $("signout").addEventListener("click", () =>
    act(async () => {
      await credentials.request("POST", "/v1/logout");
      signedOut("You have signed out.");
    }),
  );
  $("signout-all").addEventListener("click", () =>
    act(async () => {
      await credentials.request("POST", "/v1/logout/all");
      signedOut("You have signed out everywhere.");
    }),
  );
  let config;
  try {
    config = await credentials.configure();
  } catch (error) {
    say(explain(error), true);
    return;
  }
  $("pattern-text").textContent = PATTERNS[config.mode] || `Mode ${config.mode}.`;
  document.body.dataset.mode = config.mode;
  const issuer = new URL(config.issuer).origin;
  if (issuer !== location.origin) {
    const warning = $("origin-warning");
    warning.textContent =
      `This server's address is ${issuer}; signing in from ${location.origin} is refused as ` +
      `cross-origin. Open ${issuer}/ui/ instead.`;
    warning.hidden = false;
  }
  // A session cookie (session mode) or a refresh cookie (hybrid mode) may still be live.
  const signedIn =
    config.mode === "session" || (config.mode === "hybrid" && (await credentials.refresh().catch(() => false)));
  if (signedIn) {
    try {
      await loadAccount();
      document.body.dataset.ready = "account";
      return;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) say(explain(error), true);
    }
  }
  show("signin");
  if (config.mode === "jwt" && cameForAccount) {
    say("JWT mode keeps the token in memory only: after a reload, please sign in again.");
  }
  document.body.dataset.ready = "signin";
}

start();
