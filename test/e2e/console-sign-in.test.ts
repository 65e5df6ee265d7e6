import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumArgs, chromiumPath } from '../support/chromium';
import { startDemo } from '../support/demo';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { z } from 'zod';
import { startFakeHostedUi, type FakeHostedUi, type HostedUiUser } from '../support/fake-hosted-ui';
import { eventually, projectRoot } from '../support/runtime';

/**
 * The console signing in as it does when deployed: through a hosted sign-in (a local stand-in of the user
 * pool's managed login endpoints) with the authorization code grant and PKCE, against `npm run demo`.
 * Access tokens live 24 s here, so the refresh and the reconnection it brings happen within the test.
 */
const accessTokenSeconds = 24;
const clientId = 'omnichat-local';

const alice: HostedUiUser = {
  username: 'alice@example.com',
  password: 'Correct-Horse-9-Battery',
  totp: '492039',
  sub: 'alice',
  groups: ['agents'],
  name: 'Alice Agent',
  email: 'alice@example.com',
};

const claims = (token: string) => z.object({ sub: z.string(), exp: z.number() }).passthrough().parse(JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')));

describe('signing in to the console through the hosted sign-in', () => {
  let demo: { child: ChildProcess; baseUrl: string };
  let hosted: FakeHostedUi;
  let browser: BrowserContext;
  let profileDir: string;
  let page: Page;

  const customerWrites = async (psid: string, name: string, text: string) => {
    const res = await fetch(`${demo.baseUrl}/sandbox/simulate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'message', psid, name, text }),
    });
    expect(res.status).toBe(200);
  };
  const socketUrl = () => page.evaluate(() => (window as unknown as { omnichatSocket?: WebSocket }).omnichatSocket?.url ?? '');

  beforeAll(async () => {
    profileDir = mkdtempSync(join(tmpdir(), 'omnichat-chromium-'));
    [demo, browser] = await Promise.all([
      startDemo(),
      // The deployed console's CSP names the hosted sign-in's origin (test/infra/console.test.ts); the local
      // runtime's names none, and its page comes back from the stand-in through a redirect, which
      // routing cannot rewrite: this test of the sign-in flow runs without the CSP (console.test.ts keeps it).
      chromium.launchPersistentContext(profileDir, { executablePath: chromiumPath(), headless: true, args: chromiumArgs, viewport: { width: 1200, height: 720 }, bypassCSP: true }),
    ]);
    hosted = await startFakeHostedUi({
      clientId,
      redirectUris: [`${demo.baseUrl}/console/`],
      users: [alice],
      accessTokenSeconds,
      // the runtime's dev key signs the access tokens, so its socket authorizer and API trust them
      async issueAccessToken(user, lifetimeSeconds) {
        const res = await fetch(`${demo.baseUrl}/dev/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ sub: user.sub, groups: user.groups, expiresInSeconds: lifetimeSeconds }),
        });
        return z.object({ token: z.string() }).parse(await res.json()).token;
      },
    });
    page = await browser.newPage();
    // the console's config.json as the stack writes it when deployed: the hosted sign-in, no dev tokens
    await page.route(`${demo.baseUrl}/console/config.json`, (route) =>
      route.fulfill({ json: { socketUrl: null, apiUrl: '', devTokens: false, hostedUi: { url: hosted.url, clientId, scopes: 'openid email profile' } } }),
    );
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hosted?.stop();
    if (demo && demo.child.exitCode === null) {
      const exited = new Promise((r) => demo.child.once('exit', r));
      demo.child.kill('SIGTERM');
      await exited;
    }
    rmSync(profileDir, { recursive: true, force: true });
  }, 30_000);

  it('signs in with password and TOTP code, takes offers, refreshes the token before it expires and reconnects with it, and signs out', async () => {
    // given the console offers the hosted sign-in only
    await page.goto(`${demo.baseUrl}/console/`);
    await page.locator('#hosted-sign-in').waitFor();
    expect(await page.locator('#token-sign-in').isVisible()).toBe(false);
    expect(await page.locator('#dev-sign-in').isVisible()).toBe(false);

    // when Alice signs in there: the console sends a PKCE S256 challenge and a state
    await page.locator('#hosted-sign-in').click();
    await page.waitForURL(`${hosted.url}/oauth2/authorize?**`);
    const authorize = new URL(page.url()).searchParams;
    expect(Object.fromEntries(authorize)).toMatchObject({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: `${demo.baseUrl}/console/`,
      scope: 'openid email profile',
      code_challenge_method: 'S256',
    });
    expect(authorize.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(authorize.get('state')).toMatch(/^[\w-]{20,}$/);
    // a wrong code from the authenticator app is refused
    await page.locator('input[name="username"]').fill(alice.username);
    await page.locator('input[name="password"]').fill(alice.password);
    await page.locator('input[name="totp"]').fill('000000');
    await page.locator('button[type="submit"]').click();
    await page.locator('#error', { hasText: 'Invalid code' }).waitFor();
    await page.locator('input[name="username"]').fill(alice.username);
    await page.locator('input[name="password"]').fill(alice.password);
    await page.locator('input[name="totp"]').fill(alice.totp);
    await page.locator('button[type="submit"]').click();

    // then she is back in the console, connected, under her name, and the code is gone from the address bar
    await page.waitForURL(`${demo.baseUrl}/console/`);
    await page.locator('#connection[data-state="open"]').waitFor({ timeout: 15_000 });
    await page.evaluate(() => {
      const w = window as unknown as { omnichatSocket?: WebSocket; firstSocket?: WebSocket };
      w.firstSocket = w.omnichatSocket;
    });
    await expect(page.locator('#agent-name').textContent()).resolves.toBe('Alice Agent');
    expect(page.url()).not.toMatch(/code=|state=/);
    expect(hosted.grants.map((g) => [g.grantType, g.ok])).toEqual([['authorization_code', true]]);
    const firstToken = hosted.grants[0]?.accessToken ?? '';
    expect(await page.evaluate(() => (window as unknown as { firstSocket?: WebSocket }).firstSocket?.url)).toContain(encodeURIComponent(firstToken));
    // the tokens are kept for this tab only
    const stored = await page.evaluate(() => ({ session: sessionStorage.getItem('omnichat.session'), local: localStorage.length }));
    expect(stored.local).toBe(0);
    expect(JSON.parse(stored.session ?? '{}')).toMatchObject({ accessToken: firstToken, refreshToken: expect.any(String), idToken: expect.any(String) });
    await page.locator('#status-control[data-status="active"]').waitFor();

    // when a customer writes, Alice is offered the chat over the socket
    await customerWrites('71000000000001', 'Zoë Ångström 😀', 'Olá, preciso de ajuda 👍🏽');
    await page.locator('.offer', { hasText: 'Zoë Ångström 😀' }).waitFor({ timeout: 30_000 });

    // then before the access token expires the console refreshes it and opens a new connection with it
    const refreshed = await eventually(async () => hosted.grants.find((g) => g.grantType === 'refresh_token' && g.ok), 30_000, 200);
    const refreshedToken = refreshed.accessToken ?? '';
    expect(refreshed.at).toBeLessThan(claims(firstToken).exp * 1000);
    expect(claims(refreshedToken).sub).toBe('alice');
    await eventually(async () => ((await socketUrl()).includes(encodeURIComponent(refreshedToken)) ? true : undefined), 15_000, 200);
    await page.locator('#connection[data-state="open"]').waitFor();
    // and the old connection is let go once the new one is open
    await eventually(
      async () => ((await page.evaluate(() => (window as unknown as { firstSocket?: WebSocket }).firstSocket?.readyState)) === 3 ? true : undefined),
      15_000,
      200,
    );
    await expect(page.locator('#status-control').getAttribute('data-status')).resolves.toBe('active');

    // when the first token has expired and another customer writes, the offer arrives over the new connection
    await eventually(async () => (Date.now() > claims(firstToken).exp * 1000 + 1_000 ? true : undefined), 30_000, 250);
    await customerWrites('71000000000002', 'Дмитрий 🇵🇹', 'Здравствуйте! 👨‍👩‍👧');
    await page.locator('.offer', { hasText: 'Дмитрий 🇵🇹' }).waitFor({ timeout: 30_000 });
    await expect(page.locator('.offer', { hasText: 'Zoë Ångström 😀' }).count()).resolves.toBe(1);
    mkdirSync(join(projectRoot, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(projectRoot, 'test-results', 'console-sign-in.png') });

    // when she reloads the page, this tab's session carries on without the hosted pages
    await page.reload();
    await page.locator('#connection[data-state="open"]').waitFor({ timeout: 15_000 });
    await expect(page.locator('#agent-name').textContent()).resolves.toBe('Alice Agent');
    expect(hosted.grants.filter((g) => g.grantType === 'authorization_code')).toHaveLength(1);
    await page.locator('.offer', { hasText: 'Дмитрий 🇵🇹' }).waitFor({ timeout: 15_000 });

    // when she signs out, the refresh token is revoked, the hosted session ends and the console asks to sign in again
    const refreshToken = JSON.parse((await page.evaluate(() => sessionStorage.getItem('omnichat.session'))) ?? '{}').refreshToken;
    // (the console shows its sign-in at once; the page it comes back to from the hosted sign-out is the one to wait for)
    const back = page.waitForResponse((r) => r.request().isNavigationRequest() && r.url().startsWith(`${demo.baseUrl}/console/`), { timeout: 15_000 });
    await page.locator('#sign-out').click();
    await back;
    await page.waitForLoadState('load');
    await page.locator('#hosted-sign-in').waitFor();
    expect(hosted.logouts).toBe(1);
    expect(hosted.revoked).toEqual([refreshToken]);
    await expect(page.evaluate(() => sessionStorage.getItem('omnichat.session'))).resolves.toBeNull();
    await page.locator('#hosted-sign-in').click();
    await page.locator('input[name="password"]').waitFor();
  }, 180_000);

  it('refuses a sign-in answer it did not ask for, without trading the code', async () => {
    // given a link carrying a code and a state this tab never issued
    const before = hosted.grants.length;
    await page.goto(`${demo.baseUrl}/console/?code=stolen-code&state=forged`);

    // then the console says so, asks for nothing, and drops the code from the address bar
    await page.locator('#sign-in-error', { hasText: 'not started from this tab' }).waitFor();
    expect(hosted.grants.slice(before).filter((g) => g.grantType === 'authorization_code')).toEqual([]);
    expect(page.url()).toBe(`${demo.baseUrl}/console/`);
  });

  it('is given tokens by the stand-in only for the verifier of the challenge (PKCE) and the registered redirect', async () => {
    // given a code obtained with the challenge of one verifier
    const verifier = randomBytes(32).toString('base64url');
    const challenge = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))).toString('base64url');
    const codeFor = async () => {
      const authorize = new URL(`${hosted.url}/oauth2/authorize`);
      const redirect = `${demo.baseUrl}/console/`;
      for (const [k, v] of Object.entries({ response_type: 'code', client_id: clientId, redirect_uri: redirect, scope: 'openid', state: 's', code_challenge: challenge, code_challenge_method: 'S256' })) {
        authorize.searchParams.set(k, v);
      }
      const form = await (await fetch(authorize)).text();
      const request = /name="request" value="([^"]+)"/.exec(form)?.[1] ?? '';
      const login = await fetch(`${hosted.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        body: new URLSearchParams({ request, username: alice.username, password: alice.password, totp: alice.totp }),
      });
      return new URL(login.headers.get('location') ?? '').searchParams.get('code') ?? '';
    };
    const token = (fields: Record<string, string>) =>
      fetch(`${hosted.url}/oauth2/token`, { method: 'POST', body: new URLSearchParams({ client_id: clientId, grant_type: 'authorization_code', redirect_uri: `${demo.baseUrl}/console/`, ...fields }) });

    // then another verifier gets invalid_grant, and so does the right one afterwards (a code is good for one try)
    const code = await codeFor();
    const wrong = await token({ code, code_verifier: randomBytes(32).toString('base64url') });
    expect([wrong.status, await wrong.json()]).toEqual([400, { error: 'invalid_grant' }]);
    const replay = await token({ code, code_verifier: verifier });
    expect(replay.status).toBe(400);

    // and a fresh code with the right verifier is traded for tokens
    const right = await token({ code: await codeFor(), code_verifier: verifier });
    expect(right.status).toBe(200);
    await expect(right.json()).resolves.toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String), expires_in: accessTokenSeconds });
  });
});
