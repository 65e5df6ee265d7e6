import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { startDemo } from '../support/demo';
import { eventually, projectRoot } from '../support/runtime';

/**
 * README.md's "Try it by hand", typed as a reader would against `npm run demo`: each ```sh block goes into
 * the terminal its first line names (`# second terminal`), each terminal an interactive bash with job
 * control on a pseudo-terminal (util-linux `script`), so the agent client reads its terminal as it does for
 * a person (a backgrounded one is stopped by the shell); the ```json frames are typed into the agent's
 * terminal one by one, and the Page's reply must reach the sandbox customer.
 */

const section = (() => {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Try it by hand\n');
  if (start < 0) throw new Error('README.md has no "Try it by hand" section');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
})();

interface Block {
  lang: string;
  text: string;
}
const blocks: Block[] = [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1] ?? '', text: m[2] ?? '' }));

const frameLine = z.looseObject({ type: z.string() });
const offered = z.looseObject({ type: z.literal('chatOffered'), chat: z.looseObject({ id: z.string(), customer: z.looseObject({ id: z.string(), name: z.string().nullable() }) }) });
const conversation = z.object({ messages: z.array(z.object({ from: z.string(), text: z.string() })) });
/** What the agent client prints once each action the README types has taken effect. */
const effectOf: Record<string, string> = { accept: 'chatAssigned', send: 'sent', close: 'chatClosed' };

/** An interactive bash on its own pseudo-terminal; everything it shows is kept. */
class Terminal {
  readonly child: ChildProcess;
  private shown = '';
  private next = 0;

  constructor(readonly name: string) {
    this.child = spawn('script', ['-qfec', 'bash --norc --noprofile --noediting -i', '/dev/null'], {
      cwd: projectRoot,
      env: { ...process.env, PS1: '$ ', PS2: '> ', TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => (this.shown += chunk.toString('utf8'));
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
  }

  type(text: string): void {
    this.child.stdin?.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  lines(): string[] {
    return this.shown.replaceAll('\r', '').split('\n');
  }

  /** The server frames the agent client printed, in order (typed frames echo as `{"action":…}` and are skipped). */
  frames(): z.infer<typeof frameLine>[] {
    return this.lines().flatMap((line) => {
      const at = line.indexOf('{"type"');
      if (at < 0) return [];
      try {
        const parsed = frameLine.safeParse(JSON.parse(line.slice(at)));
        return parsed.success ? [parsed.data] : [];
      } catch {
        return [];
      }
    });
  }

  /** Runs a block to its end: a marker echoed after it shows the shell is back at its prompt. */
  async run(text: string, timeoutMs = 60_000): Promise<string[]> {
    const marker = `block-${++this.next}-done`;
    const from = this.lines().length;
    this.type(text);
    this.type(`echo "${marker.replace('-done', '-""done')}"`);
    // the prompt may share the line: curl's answers end without a newline
    await this.until(() => this.lines().some((line) => line.endsWith(marker)), `${this.name}: the block did not finish`, timeoutMs);
    return this.lines().slice(from);
  }

  async until(done: () => boolean, what: string, timeoutMs: number): Promise<void> {
    await eventually(async () => (done() ? true : undefined), timeoutMs, 100).catch(() => {
      throw new Error(`${what} within ${timeoutMs} ms. The ${this.name} shows:\n${this.shown}`);
    });
  }

  close(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

describe('README "Try it by hand" against npm run demo', () => {
  let demo: Awaited<ReturnType<typeof startDemo>> | undefined;
  const terminals = new Map<string, Terminal>();

  beforeAll(async () => {
    demo = await startDemo(150_000);
  }, 160_000);

  afterAll(async () => {
    for (const terminal of terminals.values()) terminal.close();
    if (demo && demo.child.exitCode === null) {
      const exited = new Promise((resolve) => demo?.child.once('exit', resolve));
      demo.child.kill('SIGTERM');
      await exited;
    }
  }, 30_000);

  it('offers the customer\'s chat to Carol\'s agent client, whose reply reaches the customer', async () => {
    if (!demo) throw new Error('no demo');
    const port = new URL(demo.baseUrl).port;
    expect(section).toContain('127.0.0.1:3000');
    const local = (text: string) => text.replaceAll('127.0.0.1:3000', `127.0.0.1:${port}`);
    const shellBlocks = blocks.filter((b) => b.lang === 'sh');
    const frameBlocks = blocks.filter((b) => b.lang === 'json');
    expect(shellBlocks.length).toBeGreaterThan(0);
    expect(frameBlocks).toHaveLength(1);

    let agentTerminal: Terminal | undefined;
    for (const block of shellBlocks) {
      const name = /^# (\w+ terminal)\n/.exec(block.text)?.[1];
      if (!name) throw new Error(`A sh block of "Try it by hand" does not name its terminal on its first line:\n${block.text}`);
      let terminal = terminals.get(name);
      if (!terminal) terminals.set(name, (terminal = new Terminal(name)));
      if (block.text.includes('npm run agent')) {
        // The client stays in the foreground: the block ends with Carol active, not at a prompt.
        terminal.type(local(block.text));
        agentTerminal = terminal;
        const current = terminal;
        await terminal.until(() => current.frames().some((f) => f.type === 'statusChanged' && f.status === 'active'), `${name}: Carol did not become active`, 60_000);
      } else {
        const shown = await terminal.run(local(block.text));
        if (block.text.includes('/sandbox/simulate')) expect(shown.join('\n')).toContain('"webhookStatus":200');
      }
    }
    if (!agentTerminal) throw new Error('No block of "Try it by hand" starts the agent client');
    const agent = agentTerminal;

    await agent.until(() => agent.frames().some((f) => f.type === 'chatOffered'), 'The agent client printed no chatOffered', 30_000);
    const offer = offered.parse(agent.frames().find((f) => f.type === 'chatOffered'));
    const simulated = shellBlocks.map((b) => /"name":"([^"]+)"/.exec(b.text.slice(b.text.indexOf('/sandbox/simulate')))?.[1]).find((n) => n !== undefined);
    expect(offer.chat.customer.name).toBe(simulated);

    let replyText: string | undefined;
    for (const line of (frameBlocks[0]?.text ?? '').split('\n').filter((l) => l.trim() !== '')) {
      const typed = line.replace(/<chatId[^>]*>/g, offer.chat.id);
      const frame = z.looseObject({ action: z.string(), text: z.string().optional() }).parse(JSON.parse(typed));
      const effect = effectOf[frame.action];
      if (!effect) throw new Error(`The README types an action this test does not follow: ${line}`);
      if (frame.action === 'send') replyText = frame.text;
      const seen = agent.frames().length;
      agent.type(typed);
      await agent.until(() => agent.frames().slice(seen).some((f) => f.type === effect || f.type === 'error'), `No ${effect} after ${typed}`, 30_000);
      expect(agent.frames().slice(seen).filter((f) => f.type === 'error')).toEqual([]);
    }
    expect(replyText).toBeDefined();

    // "The reply appears in /simulator": the sandbox conversation the simulator page shows.
    const reply = await eventually(async () => {
      const res = await fetch(`${demo?.baseUrl}/sandbox/conversation?psid=${offer.chat.customer.id}`);
      return conversation.parse(await res.json()).messages.find((m) => m.from === 'page' && m.text === replyText);
    }, 30_000, 200);
    expect(reply.text).toBe(replyText);
  }, 300_000);
});
