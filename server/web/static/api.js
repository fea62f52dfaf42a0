// Requests to Studio's API, as the signed-in browser: the session cookie travels by itself; the
// CSRF token lives in memory only (fetched again with GET /api/session after a reload).
let csrfToken = null;
const unauthorizedListeners = [];
// Asked while finding out who we are: their 401 means "sign in", not "signed out meanwhile".
const WHO_AM_I = ["/api/session", "/api/me"];

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.detail || `Studio answered ${status}.`);
    this.status = status;
    // [{field: "params.steps", message: "..."}] on a 400 (server/errors.py).
    this.errors = body?.errors || [];
  }
}

export function onUnauthorized(listener) {
  unauthorizedListeners.push(listener);
}

export async function api(method, path, body) {
  const headers = {};
  const init = { method, headers, credentials: "same-origin" };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (csrfToken && method !== "GET") headers["X-CSRF-Token"] = csrfToken;
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, { detail: "Studio is not reachable: check that it runs, then try again." });
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401 && !WHO_AM_I.includes(path)) unauthorizedListeners.forEach((listener) => listener(error));
    throw error;
  }
  return data;
}

// Who this page acts as: {name, role, keys_required, signedIn}, or null when a key is needed.
export async function whoAmI() {
  try {
    const session = await api("GET", "/api/session");
    csrfToken = session.csrf_token;
    return { ...(await api("GET", "/api/me")), signedIn: true };
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 0) throw error;
  }
  try {
    return { ...(await api("GET", "/api/me")), signedIn: false };
  } catch (error) {
    if (error.status === 401) return null;
    throw error;
  }
}

export async function signIn(key) {
  const session = await api("POST", "/api/session", { key });
  csrfToken = session.csrf_token;
}

export async function signOut() {
  await api("DELETE", "/api/session");
  csrfToken = null;
}
