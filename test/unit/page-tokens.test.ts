import fc from 'fast-check';
import { decodePageToken, encodePageToken, type PagedIndex } from '../../functions/adapters/dynamodb/page-tokens';
import { InvalidNextToken } from '../../functions/domain/errors';

const heldChats: PagedIndex = { index: 'byAgent', partitions: ['AGENT#ann'], sortKeyPrefix: 'CHAT#' };
const keyPart = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 });

describe('page tokens of the stores’ lists', () => {
  it('gives back exactly the key a page ended on, for a key of the list it pages', () => {
    fc.assert(
      fc.property(keyPart, keyPart, (chatId, sortKey) => {
        const key = { pk: `CHAT#${chatId}`, sk: 'CHAT', agentPk: 'AGENT#ann', agentSk: `CHAT#${sortKey}` };
        expect(decodePageToken(encodePageToken(key), heldChats)).toEqual(key);
      }),
    );
  });

  it('refuses anything else with InvalidNextToken naming nextToken, never another error', () => {
    const forged = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 60 }),
      fc.base64String({ maxLength: 80 }),
      fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v), 'utf8').toString('base64url')),
      fc
        .record({ pk: keyPart, sk: keyPart, agentPk: fc.oneof(keyPart, fc.constant('AGENT#bob')), agentSk: keyPart }, { requiredKeys: [] })
        .map((k) => Buffer.from(JSON.stringify(k), 'utf8').toString('base64url')),
    );
    fc.assert(
      fc.property(forged, (token) => {
        try {
          const key = decodePageToken(token, heldChats);
          // the rare forgery that is a key of this very list only moves where the page starts
          expect(key?.agentPk).toBe('AGENT#ann');
          expect(key?.agentSk?.startsWith('CHAT#')).toBe(true);
          expect(Object.keys(key ?? {}).sort()).toEqual(['agentPk', 'agentSk', 'pk', 'sk']);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidNextToken);
          expect(error).toMatchObject({ code: 'invalid_token', status: 400, details: [{ field: 'nextToken' }] });
        }
      }),
      { numRuns: 500 },
    );
  });

  it('refuses keys over DynamoDB’s key limits, of another index, partition or sort key range', () => {
    const b64 = (k: unknown) => Buffer.from(JSON.stringify(k), 'utf8').toString('base64url');
    for (const key of [
      { pk: 'CHAT#x', sk: 'CHAT', agentPk: 'AGENT#bob', agentSk: 'CHAT#x' },
      { pk: 'CHAT#x', sk: 'CHAT', agentPk: 'AGENT#ann', agentSk: 'OFFER#x' },
      { pk: 'CHAT#x', sk: 'CHAT', kindPk: 'AGENT#ann', kindSk: 'CHAT#x' },
      { pk: 'CHAT#x', sk: 'CHAT', agentPk: 'AGENT#ann', agentSk: `CHAT#${'😀'.repeat(300)}` },
      { pk: 'CHAT#x', sk: 'CHAT', agentPk: 'AGENT#ann', agentSk: 'CHAT#x', extra: 'y' },
      { pk: 'CHAT#x', sk: 5, agentPk: 'AGENT#ann', agentSk: 'CHAT#x' },
    ]) {
      expect(() => decodePageToken(b64(key), heldChats)).toThrow(InvalidNextToken);
    }
    expect(decodePageToken(undefined, heldChats)).toBeUndefined();
    expect(encodePageToken(undefined)).toBeUndefined();
  });
});
