// Sign-in through the user pool's hosted sign-in (Cognito managed login): OAuth 2 authorization code
// with PKCE (RFC 7636, S256) for a public app client, as the stack configures it. The hosted pages ask
// for the password and the TOTP code (and set both up on a first sign-in); this page only ever sees
// tokens. They are kept in sessionStorage (this tab, gone when it closes), and the access token is
// renewed with the refresh token before it expires.
//
// Any page of the console's directory can use it (the agent console, admin pages): the redirect URI is
// the directory's URL, which is the console URL the app client accepts.
//
//   const auth = new HostedSignIn(config.hostedUi, { onRefresh, onEnded });
//   if (await auth.resume()) use(auth.accessToken);   // back from the hosted pages, or this tab's session
//   else button.onclick = () => auth.signIn();        // goes to the hosted pages
//   const token = await auth.freshToken();            // before opening a socket: never an expired token
//   await auth.signOut();                             // revokes the refresh token, then the hosted sign-out

const sessionKey = 'omnichat.session';
const pendingKey = 'omnichat.pendingSignIn';
/** Renew this long before expiry: a minute, or a quarter of a short lifetime. */
const leadMs = (lifetimeMs) => Math.min(60_000, lifetimeMs / 4);

function base64url(bytes) {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(byteCount) {
  return base64url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

async function s256(verifier) {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

/** The claims of a JWT, unverified (the APIs verify; the page only reads names and expiry). */
export function claimsOf(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

/** Signing in did not work; `transient` when trying again later may (network, 5xx). */
export class SignInError extends Error {
  constructor(message, { transient = false } = {}) {
    super(message);
    this.name = 'SignInError';
    this.transient = transient;
  }
}

function readJson(storage, key) {
  try {
    return JSON.parse(storage.getItem(key) ?? 'null');
  } catch {
    return null;
  }
}

export class HostedSignIn {
  /**
   * @param {{ url: string, clientId: string, scopes?: string }} config the `hostedUi` of config.json
   * @param {{ onRefresh?: (auth: HostedSignIn) => void, onEnded?: (error: Error) => void, storage?: Storage }} hooks
   *   onRefresh: a new access token is in place; onEnded: the session cannot be renewed any more.
   */
  constructor(config, { onRefresh = () => {}, onEnded = () => {}, storage = sessionStorage } = {}) {
    this.url = String(config.url).replace(/\/+$/, '');
    this.clientId = config.clientId;
    this.scopes = config.scopes || 'openid email profile';
    this.onRefresh = onRefresh;
    this.onEnded = onEnded;
    this.storage = storage;
    this.session = null;
    this.timer = null;
    this.refreshing = null;
    // timers sleep in background tabs and suspended laptops: check again when the page is looked at
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.session) void this.freshToken().catch(() => {});
    });
  }

  /** This directory's URL: where the hosted pages send the code back, and where sign-out lands. */
  get redirectUri() {
    return new URL('.', location.href).href;
  }

  get accessToken() {
    return this.session?.accessToken ?? null;
  }

  /** Who signed in: the ID token's claims (name, email) over the access token's (sub, username, groups). */
  get profile() {
    if (!this.session) return null;
    return { ...(claimsOf(this.session.accessToken) ?? {}), ...(this.session.idToken ? claimsOf(this.session.idToken) : {}) };
  }

  /** Goes to the hosted sign-in; it comes back to this directory with a code, and `resume()` finishes. */
  async signIn() {
    const verifier = randomString(48);
    const state = randomString(24);
    this.storage.setItem(pendingKey, JSON.stringify({ state, verifier, returnTo: location.pathname + location.search }));
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: this.clientId,
      redirect_uri: this.redirectUri,
      scope: this.scopes,
      state,
      code_challenge: await s256(verifier),
      code_challenge_method: 'S256',
    });
    location.assign(`${this.url}/oauth2/authorize?${query}`);
  }

  /**
   * Finishes a sign-in the hosted pages sent back here (`?code=…&state=…` or `?error=…`), or picks up this
   * tab's session, renewing it when it is about to expire. Resolves true when signed in; throws SignInError.
   */
  async resume() {
    const query = new URLSearchParams(location.search);
    if (query.has('code') || query.has('error')) return this.#complete(query);
    const saved = readJson(this.storage, sessionKey);
    if (!saved?.accessToken) return false;
    this.session = saved;
    try {
      await this.freshToken();
    } catch (error) {
      if (!(error instanceof SignInError) || !error.transient) {
        this.clear();
        return false;
      }
    }
    this.#schedule();
    return true;
  }

  /** The access token, renewed first when it expires within the lead time (before a socket opens with it). */
  async freshToken() {
    if (!this.session) throw new SignInError('Not signed in.');
    if (this.session.expiresAt - Date.now() > leadMs(this.session.expiresAt - this.session.issuedAt)) return this.session.accessToken;
    await this.refresh();
    return this.session.accessToken;
  }

  /** Trades the refresh token for a new access (and ID) token; one request at a time. */
  refresh() {
    this.refreshing ??= (async () => {
      try {
        if (!this.session?.refreshToken) throw new SignInError('The session cannot be renewed. Sign in again.');
        this.#store(await this.#token({ grant_type: 'refresh_token', refresh_token: this.session.refreshToken }));
        this.onRefresh(this);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Forgets this tab's tokens. */
  clear() {
    clearTimeout(this.timer);
    this.session = null;
    this.storage.removeItem(sessionKey);
  }

  /** Revokes the refresh token, forgets the tokens and ends the hosted session; lands back on this directory. */
  async signOut() {
    const refreshToken = this.session?.refreshToken;
    this.clear();
    if (refreshToken) {
      // the answer is not needed (and not readable cross-origin without CORS): the revocation is what counts
      await fetch(`${this.url}/oauth2/revoke`, {
        method: 'POST',
        mode: 'no-cors',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: refreshToken, client_id: this.clientId }),
        signal: AbortSignal.timeout(3_000),
      }).catch(() => {});
    }
    location.assign(`${this.url}/logout?${new URLSearchParams({ client_id: this.clientId, logout_uri: this.redirectUri })}`);
  }

  async #complete(query) {
    const pending = readJson(this.storage, pendingKey);
    this.storage.removeItem(pendingKey);
    // the code and state leave the address bar and the history at once
    const here = new URL(location.href);
    for (const key of ['code', 'state', 'error', 'error_description']) here.searchParams.delete(key);
    history.replaceState(null, '', here.pathname + here.search + here.hash);
    if (query.has('error')) throw new SignInError(`Sign-in failed: ${query.get('error_description') || query.get('error')}`);
    if (!pending || typeof pending.state !== 'string' || query.get('state') !== pending.state) {
      throw new SignInError('This sign-in was not started from this tab. Sign in again.');
    }
    this.#store(
      await this.#token({ grant_type: 'authorization_code', code: query.get('code'), redirect_uri: this.redirectUri, code_verifier: pending.verifier }),
    );
    // back to the page that asked (an admin page of this directory, say)
    if (typeof pending.returnTo === 'string' && /^\/(?!\/)/.test(pending.returnTo) && new URL(pending.returnTo, location.href).pathname !== location.pathname) location.replace(pending.returnTo);
    return true;
  }

  async #token(fields) {
    let response;
    try {
      response = await fetch(`${this.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: this.clientId, ...fields }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch {
      throw new SignInError('The sign-in service cannot be reached.', { transient: true });
    }
    const body = await response.json().catch(() => ({}));
    if (response.ok && typeof body.access_token === 'string') return body;
    if (response.status >= 500 || response.status === 429) throw new SignInError('The sign-in service is unavailable.', { transient: true });
    // invalid_grant: the code was used or expired, the verifier did not match, or the refresh token expired or was revoked
    throw new SignInError(body.error === 'invalid_grant' ? 'Your session has ended. Sign in again.' : `Sign-in refused (${body.error ?? response.status}).`);
  }

  #store(answer) {
    const now = Date.now();
    const exp = claimsOf(answer.access_token)?.exp;
    const expiresAt = Number(answer.expires_in) > 0 ? now + Number(answer.expires_in) * 1000 : typeof exp === 'number' ? exp * 1000 : now + 300_000;
    this.session = {
      accessToken: answer.access_token,
      idToken: answer.id_token ?? this.session?.idToken ?? null,
      // Cognito answers a refresh without a new refresh token unless rotation is on
      refreshToken: answer.refresh_token ?? this.session?.refreshToken ?? null,
      issuedAt: now,
      expiresAt,
    };
    this.storage.setItem(sessionKey, JSON.stringify(this.session));
    this.#schedule();
  }

  #schedule() {
    clearTimeout(this.timer);
    if (!this.session) return;
    const { issuedAt, expiresAt } = this.session;
    const due = expiresAt - leadMs(expiresAt - issuedAt) - Date.now();
    this.timer = setTimeout(() => void this.#renew(), Math.max(0, due));
  }

  async #renew() {
    try {
      await this.refresh();
    } catch (error) {
      const left = (this.session?.expiresAt ?? 0) - Date.now();
      if (error instanceof SignInError && error.transient && left > 0) {
        // the network is down: try again before the token runs out
        this.timer = setTimeout(() => void this.#renew(), Math.max(1_000, Math.min(10_000, left / 2)));
        return;
      }
      this.clear();
      this.onEnded(error);
    }
  }
}

/**
 * The sign-in forms both pages share: the hosted sign-in button, the local runtime's dev token
 * (issued for `groups`), a pasted token, and sign-out.
 */
export function bindSignInForms({ $, state, groups, signIn, showSignIn, endSession }) {
  $('hosted-sign-in').addEventListener('click', () => {
    $('hosted-sign-in').disabled = true;
    state.auth?.signIn().catch((error) => {
      $('hosted-sign-in').disabled = false;
      showSignIn(error.message);
    });
  });
  $('dev-sign-in').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const sub = String(form.get('sub')).trim();
    const name = String(form.get('name') || '').trim();
    const res = await fetch(`${state.config.apiUrl}/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sub, groups, ...(name ? { name } : {}) }),
    }).catch(() => null);
    if (!res || !res.ok) return showSignIn('The local runtime did not issue a token.');
    signIn((await res.json()).token);
  });
  $('token-sign-in').addEventListener('submit', (event) => {
    event.preventDefault();
    signIn(String(new FormData(event.target).get('token')).trim());
  });
  $('sign-out').addEventListener('click', () => {
    // the hosted sign-out revokes the refresh token and ends the hosted session too, then comes back here
    void state.auth?.signOut();
    endSession();
  });
}
