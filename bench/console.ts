/**
 * The agent console's latencies against the local runtime: an agent's `send` until the Graph API
 * stand-in receives the Send API call, and a customer's webhook until the console in headless
 * Chromium has rendered the message. Prints figures; never fails on time.
 * Run alone with `node --import tsx bench/console.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumPath } from '../test/support/chromium';
import { z } from 'zod';
import { startFakeGraph } from '../test/support/fake-graph';
import { connectedAgent, heading, messengerText, ms, note, onCleanup, postMessenger, printTable, runIfMain, setUpMessenger, startRuntimeChild, summarize } from './support';

const sends = 60;
const renders = 40;
const loads = 15;
const customer = '7399000000000001';
const offered = z.object({ type: z.literal('chatOffered'), chat: z.object({ id: z.string() }) });

export async function main(): Promise<void> {
  heading('agent console: send → Send API, and webhook → rendered in the console');
  const graph = await startFakeGraph({ pages: { '105000000000001': { name: 'Bench Page', token: 'EAAG-bench-page-token' } }, profiles: { [customer]: { first_name: 'Bench', last_name: 'Customer' } } });
  onCleanup(() => graph.stop());
  const runtime = await startRuntimeChild({ GRAPH_API_URL: graph.url });
  onCleanup(() => runtime.stop());
  const { admin } = await setUpMessenger(runtime, { acceptTimeoutSeconds: 3600 });

  // 1. send → Send API, over a plain socket
  const agent = await connectedAgent(runtime, admin, 'bench-console-agent', 10);
  await postMessenger(runtime.baseUrl, messengerText(customer, 'm_console_bench_0', 'hello'));
  const chatId = offered.parse(await agent.next('chatOffered', 15_000)).chat.id;
  agent.send({ action: 'accept', chatId });
  await agent.next('chatAssigned', 10_000);
  const sendLatencies: number[] = [];
  for (let n = 0; n < sends; n++) {
    const before = graph.sent.length;
    const started = performance.now();
    agent.send({ action: 'send', chatId, text: `reply ${n}`, clientMessageId: `bench-${n}` });
    while (graph.sent.length === before) await new Promise((r) => setImmediate(r));
    sendLatencies.push(performance.now() - started);
  }
  await agent.close();

  // 2. webhook → rendered, in Chromium, as the same agent
  const profile = mkdtempSync(join(tmpdir(), 'omnichat-bench-chromium-'));
  onCleanup(async () => rmSync(profile, { recursive: true, force: true }));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  onCleanup(() => browser.close());
  const page = await browser.newPage();
  const consoleUrl = `${runtime.baseUrl}/console/#token=${await runtime.token('bench-console-agent', ['agents'], 'Bench agent')}`;
  // load: a fresh navigation until the console shows the held chat (page, config, socket, snapshot, render)
  const loadTimes: number[] = [];
  const domReady: number[] = [];
  for (let n = 0; n < loads; n++) {
    const started = performance.now();
    await page.goto(consoleUrl, { waitUntil: 'commit' });
    await page.locator('#chat[data-chat-id]').waitFor({ timeout: 15_000 });
    loadTimes.push(performance.now() - started);
    domReady.push(await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      return nav ? nav.domContentLoadedEventEnd : 0;
    }));
    await page.goto('about:blank');
  }
  await page.goto(consoleUrl);
  await page.locator('#chat[data-chat-id]').waitFor({ timeout: 15_000 });
  // the page stamps (wall clock) when each bench message first appears in the DOM
  await page.evaluate(() => {
    const seen: Record<string, number> = {};
    Reflect.set(window, 'benchSeen', seen);
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('.message.in')) {
        const text = el.firstChild?.textContent ?? '';
        if (text.startsWith('bench render ') && !(text in seen)) seen[text] = performance.timeOrigin + performance.now();
      }
    }).observe(document.getElementById('messages')!, { childList: true, subtree: true });
  });
  const renderLatencies: number[] = [];
  for (let n = 0; n < renders; n++) {
    const text = `bench render ${n}`;
    const postedAt = Date.now();
    await postMessenger(runtime.baseUrl, messengerText(customer, `m_console_bench_r${n}`, text));
    const shownAt = await page.waitForFunction((t) => Reflect.get(window, 'benchSeen')[t] as number | undefined, text, { timeout: 15_000, polling: 'raf' });
    renderLatencies.push(Number(await shownAt.jsonValue()) - postedAt);
  }

  const row = (name: string, samples: number[]) => {
    const s = summarize(samples);
    return [name, samples.length, ms(s.p50), ms(s.p99), ms(s.max)];
  };
  printTable(['path', 'samples', 'p50', 'p99', 'max'], [row('agent send → Send API received', sendLatencies), row('customer webhook → rendered in console', renderLatencies), row('console load → held chat shown', loadTimes), row('console load → DOMContentLoaded', domReady)]);
  note('one agent, one chat, sequential; the render figure includes Chromium layout of the message list');
}

runIfMain(import.meta.url, main);
