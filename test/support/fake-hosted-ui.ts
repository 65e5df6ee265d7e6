/**
 * A stand-in for a Cognito user pool's hosted sign-in (managed login) endpoints, for browser tests of
 * the console's sign-in: `/oauth2/authorize` (a login form asking for the password and the TOTP code,
 * and a session cookie that signs in again without it, as Cognito's does), `/oauth2/token`
 * (`authorization_code` with PKCE S256 verification, one use per code; `refresh_token`),
 * `/oauth2/revoke` and `/logout`. Access tokens come from the caller (the local runtime's
 * `POST /dev/token`, signed with its dev key, which its verifier trusts); ID tokens are signed here.
 *
 *   const hosted = await startFakeHostedUi({ clientId, redirectUris: [`${base}/console/`], users, accessTokenSeconds: 15, issueAccessToken });
 *   hosted.grants      // every token request and how it ended
 *   await hosted.stop();
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, SignJWT } from 'jose';

export interface HostedUiUser {
  username: string;
  password: string;
  /** The code the user's authenticator app shows (fixed here). */
  totp: string;
  sub: string;
  groups: string[];
  name?: string;
  email?: string;
}

export interface FakeHostedUiOptions {
  clientId: string;
  /** Callback and sign-out URLs the app client accepts. */
  redirectUris: string[];
  users: HostedUiUser[];
  accessTokenSeconds: number;
  issueAccessToken(user: HostedUiUser, lifetimeSeconds: number): Promise<string>;
}

export interface Grant {
  grantType: string;
  ok: boolean;
  error?: string;
  accessToken?: string;
  at: number;
}

export interface FakeHostedUi {
  url: string;
  grants: Grant[];
  /** Refresh tokens revoked through `/oauth2/revoke`. */
  revoked: string[];
  /** Sign-outs through `/logout`. */
  logouts: number;
  stop(): Promise<void>;
}

interface PendingAuthorization {
  clientId: string;
  redirectUri: string;
  state: string;
  scope: string;
  codeChallenge: string;
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
const random = () => randomBytes(24).toString('base64url');

export async function startFakeHostedUi(options: FakeHostedUiOptions): Promise<FakeHostedUi> {
  const idKey = (await generateKeyPair('RS256')).privateKey;
  const authorizations = new Map<string, PendingAuthorization>();
  const codes = new Map<string, PendingAuthorization & { user: HostedUiUser; expiresAt: number }>();
  const refreshTokens = new Map<string, HostedUiUser>();
  const sessions = new Map<string, HostedUiUser>();
  const grants: Grant[] = [];
  const revoked: string[] = [];
  let logouts = 0;
  let url = '';

  const issueCode = (res: ServerResponse, request: PendingAuthorization, user: HostedUiUser, cookie?: string) => {
    const code = random();
    codes.set(code, { ...request, user, expiresAt: Date.now() + 5 * 60_000 });
    const target = new URL(request.redirectUri);
    target.searchParams.set('code', code);
    if (request.state) target.searchParams.set('state', request.state);
    res.writeHead(302, { location: target.href, ...(cookie ? { 'set-cookie': cookie } : {}) });
    res.end();
  };

  const tokens = async (user: HostedUiUser, withRefresh: boolean) => {
    const accessToken = await options.issueAccessToken(user, options.accessTokenSeconds);
    const idToken = await new SignJWT({
      token_use: 'id',
      'cognito:username': user.username,
      'cognito:groups': user.groups,
      ...(user.name ? { name: user.name } : {}),
      ...(user.email ? { email: user.email, email_verified: true } : {}),
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'hosted-ui-stand-in' })
      .setSubject(user.sub)
      .setIssuer(url)
      .setAudience(options.clientId)
      .setIssuedAt()
      .setExpirationTime(`${options.accessTokenSeconds}s`)
      .sign(idKey);
    const answer: Record<string, unknown> = { access_token: accessToken, id_token: idToken, token_type: 'Bearer', expires_in: options.accessTokenSeconds };
    if (withRefresh) {
      const refreshToken = random();
      refreshTokens.set(refreshToken, user);
      answer.refresh_token = refreshToken;
    }
    return answer;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const here = new URL(req.url ?? '/', url);
    const cookie = /(?:^|;\s*)hosted-session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];

    if (here.pathname === '/oauth2/authorize' && req.method === 'GET') {
      const q = here.searchParams;
      if (q.get('client_id') !== options.clientId) return page(res, 400, '<p>An error was encountered with the requested page: invalid client_id.</p>');
      const redirectUri = q.get('redirect_uri') ?? '';
      if (!options.redirectUris.includes(redirectUri)) return page(res, 400, '<p>An error was encountered with the requested page: redirect_mismatch.</p>');
      const state = q.get('state') ?? '';
      const back = (error: string) => {
        const target = new URL(redirectUri);
        target.searchParams.set('error', error);
        if (state) target.searchParams.set('state', state);
        res.writeHead(302, { location: target.href });
        res.end();
      };
      if (q.get('response_type') !== 'code') return back('unsupported_response_type');
      // Cognito accepts plain PKCE or none; the console must use S256, so the stand-in insists on it
      const codeChallenge = q.get('code_challenge') ?? '';
      if (q.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(codeChallenge)) return back('invalid_request');
      const scope = q.get('scope') ?? '';
      if (!scope.split(' ').includes('openid')) return back('invalid_scope');
      const request: PendingAuthorization = { clientId: options.clientId, redirectUri, state, scope, codeChallenge };
      const signedIn = cookie ? sessions.get(cookie) : undefined;
      if (signedIn) return issueCode(res, request, signedIn);
      const id = random();
      authorizations.set(id, request);
      return loginForm(res, id, '');
    }

    if (here.pathname === '/login' && req.method === 'POST') {
      const form = new URLSearchParams(await body(req));
      const id = form.get('request') ?? '';
      const request = authorizations.get(id);
      if (!request) return page(res, 400, '<p>This sign-in page has expired. Go back to the application and sign in again.</p>');
      const user = options.users.find((u) => u.username === form.get('username') && u.password === form.get('password'));
      if (!user) return loginForm(res, id, 'Incorrect username or password.');
      if (form.get('totp') !== user.totp) return loginForm(res, id, 'Invalid code received for user.');
      authorizations.delete(id);
      const session = random();
      sessions.set(session, user);
      return issueCode(res, request, user, `hosted-session=${session}; Path=/; HttpOnly; SameSite=Lax`);
    }

    if (here.pathname === '/oauth2/token' && (req.method === 'POST' || req.method === 'OPTIONS')) {
      const cors = { 'access-control-allow-origin': req.headers.origin ?? '*', 'access-control-allow-headers': 'content-type', 'access-control-allow-methods': 'POST' };
      if (req.method === 'OPTIONS') {
        res.writeHead(204, cors);
        return res.end();
      }
      const form = new URLSearchParams(await body(req));
      const grantType = form.get('grant_type') ?? '';
      const refuse = (error: string) => {
        grants.push({ grantType, ok: false, error, at: Date.now() });
        return json(res, 400, { error }, cors);
      };
      if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) return refuse('invalid_request');
      if (form.get('client_id') !== options.clientId) return refuse('invalid_client');
      if (grantType === 'authorization_code') {
        const code = form.get('code') ?? '';
        const granted = codes.get(code);
        codes.delete(code); // a code is good for one try
        if (!granted || granted.expiresAt < Date.now()) return refuse('invalid_grant');
        if (form.get('redirect_uri') !== granted.redirectUri) return refuse('invalid_grant');
        if (s256(form.get('code_verifier') ?? '') !== granted.codeChallenge) return refuse('invalid_grant');
        const answer = await tokens(granted.user, true);
        grants.push({ grantType, ok: true, accessToken: String(answer.access_token), at: Date.now() });
        return json(res, 200, answer, cors);
      }
      if (grantType === 'refresh_token') {
        const user = refreshTokens.get(form.get('refresh_token') ?? '');
        if (!user) return refuse('invalid_grant');
        // as Cognito without rotation: new access and ID tokens, the same refresh token
        const answer = await tokens(user, false);
        grants.push({ grantType, ok: true, accessToken: String(answer.access_token), at: Date.now() });
        return json(res, 200, answer, cors);
      }
      return refuse('unsupported_grant_type');
    }

    if (here.pathname === '/oauth2/revoke' && req.method === 'POST') {
      const form = new URLSearchParams(await body(req));
      const token = form.get('token') ?? '';
      if (form.get('client_id') === options.clientId && refreshTokens.delete(token)) revoked.push(token);
      res.writeHead(200, { 'access-control-allow-origin': req.headers.origin ?? '*' });
      return res.end();
    }

    if (here.pathname === '/logout' && req.method === 'GET') {
      const logoutUri = here.searchParams.get('logout_uri') ?? '';
      if (here.searchParams.get('client_id') !== options.clientId || !options.redirectUris.includes(logoutUri)) {
        return page(res, 400, '<p>An error was encountered with the requested page: invalid logout_uri.</p>');
      }
      if (cookie) sessions.delete(cookie);
      logouts += 1;
      res.writeHead(302, { location: logoutUri, 'set-cookie': 'hosted-session=; Path=/; Max-Age=0' });
      return res.end();
    }

    return page(res, 404, '<p>Not found</p>');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: 'server_error', message: String(error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    grants,
    revoked,
    get logouts() {
      return logouts;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function loginForm(res: ServerResponse, request: string, error: string): void {
  page(
    res,
    200,
    `<h1>Sign in</h1>
<form method="post" action="/login">
  <input type="hidden" name="request" value="${request}">
  <label>Username <input name="username" autocomplete="username"></label>
  <label>Password <input name="password" type="password" autocomplete="current-password"></label>
  <label>Code from your authenticator app <input name="totp" inputmode="numeric" autocomplete="one-time-code"></label>
  <button type="submit">Sign in</button>
</form>
<p id="error">${error}</p>`,
  );
}

function page(res: ServerResponse, status: number, html: string): void {
  const text = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head><body>${html}</body></html>`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > 64 * 1024) req.destroy(new Error('Body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
