/**
 * Report figures: DynamoDB units the aggregates add per chat, and the time and read units of a
 * 31-day hourly report over 20 queues (744 hourly items each). DynamoDB Local reports the same
 * consumed capacity as DynamoDB would for these item sizes.
 * Run alone with `node --import tsx bench/reports.ts`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoReports } from '../functions/adapters/dynamodb/reports';
import { Table } from '../functions/adapters/dynamodb/table';
import type { RoutedChat } from '../functions/domain/model';
import { bucketRows } from '../functions/domain/report';
import { ensureTable } from '../local/provision';
import { dynamodbEndpoint, heading, ms, note, printTable, runIfMain, summarize } from './support';

const day0 = Date.parse('2026-01-01T00:00:00.000Z');
const hour = 3600_000;

function chat(id: string, queueId: string, createdAt: number): RoutedChat {
  const at = new Date(createdAt).toISOString();
  return { id, channelId: 'ch', channelType: 'messenger', queueId, state: 'waiting', agentId: null, customer: { id: id, name: 'C' }, contactId: null, language: null, createdAt: at, lastMessageAt: at, version: 1, offeredTo: [], skipped: [] };
}

export async function main(): Promise<void> {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: await dynamodbEndpoint(), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const name = `bench-reports-${Date.now()}`;
  await ensureTable(client, name);
  const table = new Table(client, name);
  const reports = new DynamoReports(table, async () => 60);

  heading('Report figures: units added per chat');
  // a typical chat: created, offered, accepted, first reply, closed with messages, rated
  const perChat: number[] = [];
  for (let i = 0; i < 50; i++) {
    const c = chat(`c${i}`, 'q-units', day0 + (i % 24) * hour);
    const before = table.capacity.write;
    const t = Date.parse(c.createdAt);
    await reports.chatCreated(c);
    await reports.offered(c, 'ann', new Date(t + 2_000));
    await reports.accepted(c, 'ann', new Date(t + 10_000 + i * 1000));
    const assigned = { ...c, state: 'assigned' as const, agentId: 'ann', assignedAt: new Date(t + 10_000).toISOString() };
    await reports.firstResponse(assigned, 'ann', new Date(t + 40_000));
    await reports.closed({ ...assigned, firstReplyAt: new Date(t + 40_000).toISOString(), messagesIn: 8, messagesOut: 7 }, 'agent', new Date(t + 600_000));
    await reports.rated(assigned, 4, new Date(t + 700_000));
    perChat.push(table.capacity.write - before);
  }
  const units = summarize(perChat);
  printTable(['figure', 'write units'], [['per chat (created, offered, accepted, first reply, closed, rated)', `${units.p50} median, ${units.max} max`]]);
  note('A chat offered to n agents (all-agents rule) adds 2 units per further offer; a new longest wait adds one conditional write.');

  heading('31-day hourly report, 20 queues');
  const queues = Array.from({ length: 20 }, (_, i) => `q${i}`);
  // fill: each queue has one item per hour for 31 days, with figures in every histogram
  const start = day0;
  let n = 0;
  const fill: Promise<void>[] = [];
  for (const q of queues) {
    for (let h = 0; h < 31 * 24; h++) {
      const c = { ...chat(`f${n++}`, q, start + h * hour), agentId: 'ann', assignedAt: new Date(start + h * hour + 5_000).toISOString(), firstReplyAt: new Date(start + h * hour + 30_000).toISOString(), messagesIn: 3, messagesOut: 2 };
      fill.push(reports.accepted(c, 'ann', new Date(start + h * hour + 5_000 + (h % 300) * 1000)).then(() => reports.closed(c, 'agent', new Date(start + h * hour + 1_800_000))));
      if (fill.length >= 64) await Promise.all(fill.splice(0));
    }
  }
  await Promise.all(fill);
  const times: number[] = [];
  let reads = 0;
  let requests = 0;
  for (let run = 0; run < 5; run++) {
    const before = { ...table.capacity };
    const t0 = performance.now();
    const perQueue = await Promise.all(queues.map((q) => reports.hours({ queueId: q }, new Date(start), new Date(start + 31 * 24 * hour))));
    const rows = perQueue.flatMap((hours) => bucketRows(hours, 'hour'));
    times.push(performance.now() - t0);
    reads = table.capacity.read - before.read;
    requests = table.capacity.requests - before.requests;
    if (rows.length !== 20 * 744) throw new Error(`expected ${20 * 744} rows, got ${rows.length}`);
  }
  const s = summarize(times);
  printTable(['figure', 'value'], [
    ['rows', 20 * 744],
    ['queries (pages)', requests],
    ['read units (eventually consistent)', reads],
    ['time p50 / max (DynamoDB Local, 20 queries in parallel)', `${ms(s.p50)} / ${ms(s.max)}`],
  ]);
}

runIfMain(import.meta.url, main);
