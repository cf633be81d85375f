// Calls to the app's JSON API with the signed-in token, and where that token
// is kept: in this tab's session storage, never in the address bar.

const TOKEN_KEY = "relance.token";

/** The token this tab signed in with, if any. */
export function storedToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Keeps the token for this tab only. */
export function storeToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

/** Forgets the token. */
export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** An answer other than 2xx; `missing` when no component serves the route yet. */
export class ApiFailure extends Error {
  constructor(status, code, message, missing) {
    super(message);
    this.status = status;
    this.code = code;
    this.missing = missing;
  }
}

/** The API as one token sees it. */
export class Api {
  constructor(token) {
    this.token = token;
  }

  /** `GET path?query` as JSON; empty query values are left out. */
  async get(path, query = {}) {
    const url = new URL(path, window.location.origin);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
    }

    const response = await fetch(url, {
      headers: { authorization: `Bearer ${this.token}`, accept: "application/json" },
      cache: "no-store",
    });
    const body = await response.json().catch(() => null);
    if (response.ok) return body;

    // The app's own errors are JSON; a bare 404 or 405 means nothing serves
    // this route in this deployment.
    const error = body?.error;
    const missing = !error && (response.status === 404 || response.status === 405);
    throw new ApiFailure(response.status, error?.code, error?.message ?? response.statusText, missing);
  }
}
