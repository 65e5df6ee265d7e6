/**
 * Latency of the management API's main reads and writes on the local runtime (in process, in
 * memory, fake Graph API). Prints p50/p99 per operation; never passes or fails on time.
 *
 *   node --import tsx bench/admin.ts [iterations]
 */
import { pathToFileURL } from 'node:url';
import { startRuntime } from '../local/runtime';
import { startFakeGraph } from '../test/support/fake-graph';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export async function main(iterations = Number(process.argv[2] ?? 100)): Promise<void> {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const graph = await startFakeGraph({ pages: { '105123': { name: 'Bench Page', token: 'EAAG-bench-token-000' } } });
  const runtime = await startRuntime({ port: 0, inMemory: true, resourcePrefix: `bench${Date.now()}-`, env: { ...process.env, GRAPH_API_URL: graph.url }, log: () => undefined });
  try {
    const tokenAnswer = await fetch(`${runtime.baseUrl}/dev/token`, { method: 'POST', body: JSON.stringify({ sub: 'bench', groups: ['chat-admins'] }) });
    const { token } = (await tokenAnswer.json()) as { token: string };
    const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
      const res = await fetch(`${runtime.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
      return res.status === 204 ? undefined : res.json();
    };
    const queue = (await call('POST', '/api/queues', { name: 'Bench', routingRule: 'all-agents', members: { users: [], groups: ['agents'] } })) as { id: string };
    const operations: [string, (i: number) => Promise<unknown>][] = [
      ['GET /api/settings', () => call('GET', '/api/settings')],
      ['PUT /api/agents/{id}', (i) => call('PUT', `/api/agents/agent-${i % 20}`, { displayName: `Agent ${i}`, groups: ['agents'] })],
      ['GET /api/agents', () => call('GET', '/api/agents')],
      ['POST /api/queues', (i) => call('POST', '/api/queues', { name: `Queue ${i}`, routingRule: 'available-agent' })],
      ['PATCH /api/queues/{id}', (i) => call('PATCH', `/api/queues/${queue.id}`, { name: `Bench ${i}` })],
      ['GET /api/queues', () => call('GET', '/api/queues?limit=50')],
      ['POST /api/contacts', (i) => call('POST', '/api/contacts', { name: `Contact ${i}` })],
      ['GET /api/chats', () => call('GET', '/api/chats?state=waiting')],
      ['GET /api/openapi.json', () => call('GET', '/api/openapi.json')],
    ];
    console.log(`management API, ${iterations} calls each, sequential (ms)`);
    for (const [name, operation] of operations) {
      await operation(0);
      const times: number[] = [];
      for (let i = 1; i <= iterations; i++) {
        const start = performance.now();
        await operation(i);
        times.push(performance.now() - start);
      }
      times.sort((a, b) => a - b);
      console.log(`${name.padEnd(26)} p50 ${percentile(times, 50).toFixed(1).padStart(7)}  p99 ${percentile(times, 99).toFixed(1).padStart(7)}`);
    }
  } finally {
    await runtime.stop();
    await graph.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
