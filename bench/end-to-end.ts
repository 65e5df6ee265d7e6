/**
 * End to end through the local runtime: a signed webhook until the `chatOffered` frame reaches a
 * connected agent, and an agent's `send` until the Graph API stand-in receives the Send API call.
 * Run alone with `node --import tsx bench/end-to-end.ts`.
 */
import { z } from 'zod';
import { startFakeGraph, type FakeProfile } from '../test/support/fake-graph';
import {
  bench,
  connectedAgent,
  heading,
  messengerText,
  ms,
  note,
  onCleanup,
  postMessenger,
  printTable,
  runIfMain,
  setUpMessenger,
  startRuntimeChild,
  summarize,
  verdict,
  type AgentSocket,
} from './support';

const chats = 200;
const warmupChats = 5;
const agentCount = 4;
/** The management API's ceiling for an agent's override; 4 × 100 holds every chat of the run. */
const perAgentChats = 100;
const sends = 100;
const goalP50 = 300;

const offeredFrame = z.object({ type: z.literal('chatOffered'), chat: z.object({ id: z.string(), customer: z.object({ id: z.string() }) }) });

const psid = (n: number) => `73100000${String(n).padStart(6, '0')}`;

export async function main(): Promise<void> {
  heading('end to end: webhook → chatOffered at an agent, and agent send → Send API');
  const profiles: Record<string, FakeProfile> = {};
  for (let n = 0; n < warmupChats + chats; n++) profiles[psid(n)] = { first_name: 'Customer', last_name: String(n) };
  const graph = await startFakeGraph({ pages: { [bench.pageId]: { name: 'Bench Page', token: bench.pageToken } }, profiles });
  onCleanup(() => graph.stop());
  const runtime = await startRuntimeChild({ GRAPH_API_URL: graph.url });
  const agents: AgentSocket[] = [];
  try {
    const { admin } = await setUpMessenger(runtime, { acceptTimeoutSeconds: 3600 });
    for (let a = 0; a < agentCount; a++) agents.push(await connectedAgent(runtime, admin, `bench-agent-${a}`, perAgentChats));

    // Offers by customer id, stamped when the frame arrives.
    const offers = new Map<string, { chatId: string; at: number; agent: AgentSocket }>();
    const waiting = new Map<string, () => void>();
    for (const agent of agents) {
      agent.onFrame = (frame, at) => {
        const offer = offeredFrame.safeParse(frame);
        if (!offer.success) return;
        offers.set(offer.data.chat.customer.id, { chatId: offer.data.chat.id, at, agent });
        waiting.get(offer.data.chat.customer.id)?.();
      };
    }
    const offerOf = (customer: string) =>
      new Promise<{ chatId: string; at: number; agent: AgentSocket }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no chatOffered for customer ${customer} within 15 s`)), 15_000);
        const check = () => {
          const found = offers.get(customer);
          if (!found) return;
          clearTimeout(timer);
          waiting.delete(customer);
          resolve(found);
        };
        waiting.set(customer, check);
        check();
      });

    const toOffer: number[] = [];
    const toAck: number[] = [];
    let failures = 0;
    for (let n = 0; n < warmupChats + chats; n++) {
      const customer = psid(n);
      const raw = messengerText(customer, `m_bench_e2e_${n}`, `Hello, I am customer ${n}`);
      const started = performance.now();
      try {
        const offered = offerOf(customer);
        await postMessenger(runtime.baseUrl, raw);
        const acked = performance.now();
        const { at } = await offered;
        if (n >= warmupChats) {
          toOffer.push(at - started);
          toAck.push(acked - started);
        }
      } catch (error) {
        failures += 1;
        if (failures === 1) note(`first failure: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    const offer = summarize(toOffer);
    const ack = summarize(toAck);
    note(`${chats} chats, each a new customer, one at a time (after ${warmupChats} warm-up chats); ${agentCount} connected agents, simultaneousChats ${perAgentChats} each.`);
    printTable(
      ['path', 'n', 'p50', 'p90', 'p99', 'max'],
      [
        ['webhook POST → 200 EVENT_RECEIVED', ack.n, ms(ack.p50), ms(ack.p90), ms(ack.p99), ms(ack.max)],
        ['webhook POST → chatOffered frame', offer.n, ms(offer.p50), ms(offer.p90), ms(offer.p99), ms(offer.max)],
      ],
    );
    if (failures > 0) note(`${failures} chats were not offered`);
    note(`goal: webhook → chatOffered p50 ≤ ${goalP50} ms locally → ${ms(offer.p50)}, ${verdict(offer.p50 <= goalP50)}`);

    await sendPath(offers, graph.sent);
  } finally {
    await Promise.all(agents.map((a) => a.close()));
    await runtime.stop();
  }
}

/** Accepts some offered chats, then times `send` → Send API call, and `send` → the `sent` reply. */
async function sendPath(offers: Map<string, { chatId: string; agent: AgentSocket }>, sent: { text?: string }[]): Promise<void> {
  const accepted = [...offers.values()].slice(0, sends / 2);
  for (const { chatId, agent } of accepted) {
    agent.send({ action: 'accept', chatId, requestId: `accept-${chatId}` });
    await agent.next('chatAssigned');
  }
  // The Graph API stand-in runs in this process: stamp each Send API call as it is recorded.
  const arrived = new Map<string, () => void>();
  const stamps = new Map<string, number>();
  const record = sent.push.bind(sent);
  sent.push = (...items) => {
    const at = performance.now();
    for (const item of items) if (item.text) stamps.set(item.text, at);
    for (const item of items) if (item.text) arrived.get(item.text)?.();
    return record(...items);
  };
  const toGraph: number[] = [];
  const toSent: number[] = [];
  let failures = 0;
  for (let i = 0; i < sends; i++) {
    const target = accepted[i % accepted.length];
    if (!target) break;
    const text = `Reply number ${i} from the agent`;
    const reachedGraph = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Send API call for "${text}" not seen within 15 s`)), 15_000);
      arrived.set(text, () => {
        clearTimeout(timer);
        resolve(stamps.get(text) ?? Number.NaN);
      });
    });
    const started = performance.now();
    target.agent.send({ action: 'send', chatId: target.chatId, text, clientMessageId: `bench-${i}`, requestId: `send-${i}` });
    try {
      const [graphAt] = await Promise.all([
        reachedGraph,
        target.agent.next('sent', 15_000).then(() => toSent.push(performance.now() - started)),
      ]);
      toGraph.push(graphAt - started);
      await target.agent.next('messageStatus', 15_000);
    } catch (error) {
      failures += 1;
      if (failures === 1) note(`first failure: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      arrived.delete(text);
    }
  }
  const graph = summarize(toGraph);
  const ack = summarize(toSent);
  console.log();
  note(`${sends} agent replies over ${accepted.length} accepted chats, one at a time.`);
  printTable(
    ['path', 'n', 'p50', 'p90', 'p99', 'max'],
    [
      ['agent send → sent frame', ack.n, ms(ack.p50), ms(ack.p90), ms(ack.p99), ms(ack.max)],
      ['agent send → Send API call received', graph.n, ms(graph.p50), ms(graph.p90), ms(graph.p99), ms(graph.max)],
    ],
  );
  if (failures > 0) note(`${failures} replies did not reach the Send API`);
}

runIfMain(import.meta.url, main);
