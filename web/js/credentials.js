// How the pages hold the credential, one pattern per server mode. Everything the pages ask
// of the API goes through `request`, which attaches what the mode needs:
//
// - session: the HttpOnly session cookie travels by itself; unsafe requests add the CSRF
//   token (from the login answer, or from GET /v1/me after a reload) as X-CSRF-Token.
// - hybrid: the access token lives in a variable of this module, never in localStorage or
//   sessionStorage, where any script on the origin could read it. On load, and shortly
//   before it expires, a silent refresh through the refresh cookie (HttpOnly, SameSite=Strict,
//   sent only to /v1/token) gets a new one. Tabs take turns (Web Locks), and the server
//   answers a tab that presents the just-rotated token with the same successor, so two tabs
//   refreshing at once both stay signed in.
// - jwt: the access token lives in memory only and there is nothing to refresh it with, so a
//   reload asks to sign in again.

const state = { mode: null, config: null, accessToken: null, csrfToken: null, timer: null };

export const PATTERNS = {
  session:
    "Session mode: your session id is in an HttpOnly cookie (__Host-keycard_session) that " +
    "scripts cannot read; every change you make also carries a CSRF token (X-CSRF-Token) " +
    "and the server checks the request's Origin.",
  hybrid:
    "Hybrid mode: a short-lived access token is kept in this page's memory only (never in " +
    "localStorage or sessionStorage); a refresh cookie (HttpOnly, scoped to /v1/token) " +
    "renews it silently on load and before it expires.",
  jwt:
    "JWT mode: the access token is kept in this page's memory only, and there is no " +
    "refresh token. Reloading the page forgets it, so a reload asks you to sign in again.",
};

/** An answer that was not 2xx: the problem+json body, if any. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** Reads the server's configuration: its mode, issuer and access token lifetime. */
export async function configure() {
  const response = await fetch("/.well-known/keycard-configuration", { credentials: "same-origin" });
  if (!response.ok) throw new ApiError(response.status, null);
  state.config = await response.json();
  state.mode = state.config.mode;
  return state.config;
}

export const mode = () => state.mode;
export const accessToken = () => state.accessToken;

/** Calls the API: JSON in and out; a non-2xx answer throws an ApiError. */
export async function request(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (state.accessToken) headers.authorization = `Bearer ${state.accessToken}`;
  if (state.mode === "session" && method !== "GET" && state.csrfToken) {
    headers["x-csrf-token"] = state.csrfToken;
  }
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
    cache: "no-store",
  });
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Signs in; keeps what the mode hands out. */
export async function signIn(email, password) {
  const answer = await request("POST", "/v1/login", { email, password });
  remember(answer);
  return answer;
}

function remember(answer) {
  if (answer?.csrf_token) state.csrfToken = answer.csrf_token;
  if (answer?.access_token) {
    state.accessToken = answer.access_token;
    schedule(answer.expires_in);
  }
}

/** After GET /v1/me: the session mode's CSRF token, when the page was reloaded. */
export function adopt(me) {
  if (me?.csrf_token) state.csrfToken = me.csrf_token;
}

/** Forgets the credential held in memory (the server already ended the session). */
export function forget() {
  state.accessToken = null;
  state.csrfToken = null;
  clearTimeout(state.timer);
}

/**
 * Hybrid mode: a new access token through the refresh cookie. One tab at a time (Web
 * Locks, where the browser has them); `false` when there is no live refresh cookie.
 */
export async function refresh() {
  if (state.mode !== "hybrid") return false;
  const run = async () => {
    try {
      remember(await request("POST", "/v1/token/refresh"));
      return true;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return false;
      throw error;
    }
  };
  return navigator.locks ? navigator.locks.request("keycard-refresh", run) : run();
}

/** Schedules the next silent refresh a little before the access token expires. */
function schedule(expiresIn) {
  clearTimeout(state.timer);
  if (state.mode !== "hybrid" || !(expiresIn > 0)) return;
  const lead = Math.min(30, expiresIn / 4);
  state.timer = setTimeout(() => {
    refresh().catch(() => {});
  }, Math.max(1, expiresIn - lead) * 1000);
}
