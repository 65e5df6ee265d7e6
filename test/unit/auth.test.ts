import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import fc from 'fast-check';
import { groupsFromClaims, TokenRejected, verifyToken } from '../../functions/shared/auth';
import { apiGatewayClaims } from '../../local/http-api';

describe('groupsFromClaims', () => {
  it('reads cognito:groups given as the token array', () => {
    expect(groupsFromClaims({ 'cognito:groups': ['chat-admins', 'agents'] })).toEqual(['chat-admins', 'agents']);
  });

  it('reads cognito:groups as API Gateway flattens it for handlers', () => {
    expect(groupsFromClaims({ 'cognito:groups': '[chat-admins agents]' })).toEqual(['chat-admins', 'agents']);
  });

  it('gives no groups when the claim is absent', () => {
    expect(groupsFromClaims({ sub: 'a' })).toEqual([]);
  });

  it('never splits one group name, whatever punctuation it holds', () => {
    // Cognito allows commas, brackets and any punctuation or symbol in a group name, no whitespace.
    const adversarial = ['agents,chat-admins', 'chat-admins,', ',chat-admins', '[chat-admins]', '[chat-admins', 'chat-admins]', 'agents;chat-admins', 'chat‐admins', 'чат-admins', '管理者,chat-admins', '😀,chat-admins', '👨‍👩‍👧'];
    for (const name of adversarial) {
      expect(groupsFromClaims({ 'cognito:groups': [name] })).toEqual([name]);
      expect(groupsFromClaims(apiGatewayClaims({ 'cognito:groups': [name] }))).toEqual([name]);
      expect(groupsFromClaims(apiGatewayClaims({ 'cognito:groups': [name] }))).not.toContain('chat-admins');
    }
    expect(groupsFromClaims({ 'cognito:groups': '[agents,chat-admins]' })).toEqual(['agents,chat-admins']);
    expect(groupsFromClaims({ 'cognito:groups': '[[chat-admins] agents]' })).toEqual(['[chat-admins]', 'agents']);
  });

  it('reads a plain string claim as one group', () => {
    expect(groupsFromClaims({ 'cognito:groups': 'agents,chat-admins' })).toEqual(['agents,chat-admins']);
    expect(groupsFromClaims({ 'cognito:groups': 'agents chat-admins' })).toEqual(['agents chat-admins']);
    expect(groupsFromClaims({ 'cognito:groups': '' })).toEqual([]);
  });

  it('reads back exactly the groups of any token as the gateways present them', () => {
    // Cognito group names: 1-128 letters, marks, symbols, digits and punctuation, no whitespace.
    const groupName = fc.stringMatching(/^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u);
    fc.assert(
      fc.property(fc.uniqueArray(groupName, { maxLength: 6 }), (groups) => {
        expect(groupsFromClaims(apiGatewayClaims({ sub: 'a', 'cognito:groups': groups }))).toEqual(groups);
        expect(groupsFromClaims({ 'cognito:groups': groups })).toEqual(groups);
      }),
    );
  });
});

describe('verifyToken', () => {
  let server: Server;
  let issuer: string;
  let signingKey: CryptoKey;
  const kid = 'k1';

  const sign = (claims: Record<string, unknown>, options: { issuer?: string; expiresIn?: string | number } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid })
      .setSubject('alice')
      .setIssuer(options.issuer ?? issuer)
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '1h')
      .sign(signingKey);

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    signingKey = pair.privateKey;
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' }] });
    // The JWKS is served over plain http, as the local runtime serves it.
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(jwks));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    issuer = `${base}/issuer`;
    process.env.JWT_ISSUER = issuer;
    process.env.JWKS_URI = `${base}/jwks.json`;
    process.env.JWT_AUDIENCE = 'web-client, omnichat-local';
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('names the caller of a Cognito-style access token for an accepted client', async () => {
    // given
    const token = await sign({ client_id: 'omnichat-local', token_use: 'access', name: 'Alice', 'cognito:groups': ['agents'] });
    // when / then
    await expect(verifyToken(token)).resolves.toEqual({ sub: 'alice', name: 'Alice', groups: ['agents'] });
  });

  it('accepts an ID token whose aud is an accepted client', async () => {
    // given
    const token = await sign({ aud: 'web-client', token_use: 'id' });
    // when / then
    await expect(verifyToken(token)).resolves.toEqual({ sub: 'alice', groups: [] });
  });

  it('rejects a token meant for another client', async () => {
    // given
    const token = await sign({ client_id: 'someone-else' });
    // when / then
    await expect(verifyToken(token)).rejects.toBeInstanceOf(TokenRejected);
  });

  it('rejects a token from another issuer', async () => {
    // given
    const token = await sign({ client_id: 'omnichat-local' }, { issuer: 'https://elsewhere.example/pool' });
    // when / then
    await expect(verifyToken(token)).rejects.toBeInstanceOf(TokenRejected);
  });

  it('rejects an expired token', async () => {
    // given
    const token = await sign({ client_id: 'omnichat-local' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 });
    // when / then
    await expect(verifyToken(token)).rejects.toBeInstanceOf(TokenRejected);
  });

  it('rejects a token whose signature was tampered with', async () => {
    // given
    const token = await sign({ client_id: 'omnichat-local', name: 'Alice' });
    const [header, , signature] = token.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ sub: 'mallory', iss: issuer, client_id: 'omnichat-local', exp: 9_999_999_999 })).toString('base64url');
    // when / then
    await expect(verifyToken(`${header}.${forgedPayload}.${signature}`)).rejects.toBeInstanceOf(TokenRejected);
  });
});
