import fc from 'fast-check';
import { socketActions } from '../../functions/shared/routes';
import { eventually, startLocalRuntime, type AgentSocket, type LocalRuntime } from '../support/runtime';

/**
 * Fuzzing the agent WebSocket through the local runtime: whatever frame a client sends (not
 * JSON, JSON of any shape, every action with fields of any type and size), the agent gets a
 * typed answer, never `internal_error` (what an unexpected exception becomes), the socket stays
 * open, and the next frame is served as usual.
 */
const runs = Number(process.env.OMNICHAT_FUZZ_RUNS ?? 40);

/** A value of any kind for a field: ids of every length and script, numbers, nesting. */
const anyField = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('x'.repeat(5000), '😀'.repeat(300), '', ' ', '../../etc', 'CHAT#x', '\u0000', 'active', 'inactive'),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
);
const fieldNames = fc.constantFrom('chatId', 'text', 'status', 'clientMessageId', 'queueId', 'agentId', 'actionId', 'before', 'since', 'attachments', 'to', 'reason', 'extra');
const actionFrame = fc
  .tuple(fc.constantFrom<string>(...socketActions, 'nope', ''), fc.dictionary(fieldNames, anyField, { maxKeys: 4 }))
  .map(([action, fields]) => ({ ...fields, action }));
const frame = fc.oneof(
  { weight: 6, arbitrary: actionFrame.map((f) => JSON.stringify(f)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
);

describe('agent WebSocket fuzzing through the local runtime', () => {
  let local: LocalRuntime;
  let agent: AgentSocket;
  const types = new Map<string, number>();

  beforeAll(async () => {
    local = await startLocalRuntime({ env: { POWERTOOLS_LOG_LEVEL: 'ERROR' } });
    const admin = await local.token('admin', ['chat-admins'], 'Admin');
    const queue = await local.api('POST', '/api/queues', { name: 'Fuzz', routingRule: 'available-agent', completionTimeoutSeconds: null, members: { users: ['fuzzy'], groups: [] } }, admin);
    expect(queue.status).toBe(201);
    expect((await local.api('PUT', '/api/agents/fuzzy', { displayName: 'Fuzzy 🧪', groups: ['agents'] }, admin)).status).toBe(200);
    agent = await local.connectAgent(await local.token('fuzzy', ['agents'], 'Fuzzy'));
  }, 90_000);

  afterAll(async () => {
    // eslint-disable-next-line no-console
    console.log(`socket fuzz: ${[...types].map(([t, n]) => `${n}×${t}`).join(', ')}`);
    await agent?.close();
    await local?.stop();
  });

  it('answers every frame with a typed frame, never internal_error, and keeps the socket open', async () => {
    let probe = 0;
    await fc.assert(
      fc.asyncProperty(frame, async (raw) => {
        const before = agent.frames.length;
        agent.socket.send(raw);
        // a ping after it is answered in order: everything the fuzzed frame caused has arrived by then
        const id = `probe-${++probe}`;
        agent.send({ action: 'ping', requestId: id });
        await eventually(async () => (agent.frames.slice(before).some((f) => (f as { type?: string; requestId?: string }).type === 'pong' && (f as { requestId?: string }).requestId === id) ? true : undefined), 10_000, 20);
        const caused = agent.frames.slice(before) as { type?: string; code?: string; raw?: string }[];
        for (const f of caused) {
          const key = f.type === 'error' ? `error:${f.code}` : (f.type ?? 'unparsed');
          types.set(key, (types.get(key) ?? 0) + 1);
          expect(f.raw).toBeUndefined();
          expect(f.code).not.toBe('internal_error');
        }
        expect(agent.socket.readyState).toBe(agent.socket.OPEN);
      }),
      { numRuns: runs * 3 },
    );
  }, 600_000);
});
