import { createHmac } from 'node:crypto';
import {
  generateSecretToken,
  generateVerifyToken,
  secretTokensEqual,
  signMetaBody,
  verifyMetaSignature,
} from '../../functions/domain/signature';

const appSecret = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const body = '{"object":"page","entry":[{"id":"105123456789012","time":1763712000123,"messaging":[]}]}';

describe('Meta webhook signatures', () => {
  it('accepts the signature Meta computes over the exact raw bytes', () => {
    // given Meta's header: lowercase hex HMAC-SHA256 keyed with the app secret
    const header = `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
    // when / then
    expect(verifyMetaSignature(body, header, appSecret)).toBe(true);
    expect(verifyMetaSignature(Buffer.from(body), header, appSecret)).toBe(true);
  });

  it('signs bodies the way Meta does, for simulators', () => {
    // given / when
    const header = signMetaBody(body, appSecret);
    // then
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyMetaSignature(body, header, appSecret)).toBe(true);
  });

  it('refuses a body changed after signing, even by one byte of whitespace', () => {
    // given
    const header = signMetaBody(body, appSecret);
    // when / then
    expect(verifyMetaSignature(`${body} `, header, appSecret)).toBe(false);
    expect(verifyMetaSignature(JSON.stringify(JSON.parse(body), null, 1), header, appSecret)).toBe(false);
  });

  it('refuses a signature made with another app secret', () => {
    // given
    const header = signMetaBody(body, 'someone-elses-secret');
    // when / then
    expect(verifyMetaSignature(body, header, appSecret)).toBe(false);
  });

  it('refuses a missing, empty or malformed header', () => {
    // given
    const hex = signMetaBody(body, appSecret).slice('sha256='.length);
    // when / then
    for (const header of [undefined, '', hex, `sha1=${hex}`, `sha256:${hex}`, 'sha256=', `sha256=${hex.replace(/[0-9a-f]$/, 'z')}`]) {
      expect(verifyMetaSignature(body, header, appSecret)).toBe(false);
    }
  });

  it('refuses signatures of the wrong length without throwing', () => {
    // given
    const header = signMetaBody(body, appSecret);
    // when / then
    expect(verifyMetaSignature(body, header.slice(0, -2), appSecret)).toBe(false);
    expect(verifyMetaSignature(body, `${header}00`, appSecret)).toBe(false);
  });

  it('never accepts anything when the app secret is empty', () => {
    // given a signature an attacker can compute with an empty key
    const header = signMetaBody(body, '');
    // when / then
    expect(verifyMetaSignature(body, header, '')).toBe(false);
  });
});

describe('secret token comparison', () => {
  it('matches equal tokens', () => {
    expect(secretTokensEqual('S3cr3t_token-value', 'S3cr3t_token-value')).toBe(true);
  });

  it('refuses different, prefixed, missing and empty tokens', () => {
    const expected = 'S3cr3t_token-value';
    expect(secretTokensEqual('S3cr3t_token-valuf', expected)).toBe(false);
    expect(secretTokensEqual('S3cr3t_token', expected)).toBe(false);
    expect(secretTokensEqual(`${expected}x`, expected)).toBe(false);
    expect(secretTokensEqual(undefined, expected)).toBe(false);
    expect(secretTokensEqual('', expected)).toBe(false);
    expect(secretTokensEqual('', '')).toBe(false);
    expect(secretTokensEqual('anything', undefined)).toBe(false);
  });
});

describe('generated tokens', () => {
  it('makes Telegram secret tokens Telegram accepts, long and different each time', () => {
    // given / when
    const tokens = Array.from({ length: 20 }, () => generateSecretToken());
    // then
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{48,256}$/);
    }
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('makes URL-safe verify tokens that differ each time', () => {
    const a = generateVerifyToken();
    const b = generateVerifyToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(a).not.toBe(b);
  });
});
