/**
 * `npm start` as a user runs it (through npm, its own DynamoDB Local, data on disk): however it is
 * stopped it leaves no java, no node and no listening port behind; a busy port is one line naming it.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, projectRoot } from '../support/runtime';

interface Started {
  npm: ChildProcess;
  dataDir: string;
  port: number;
  javaPid: number;
  nodePid: number;
  output(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

/** Every process whose command line mentions `needle`, as `pid command`. */
function processesMentioning(needle: string): string[] {
  const listing = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return listing
    .split('\n')
    .filter((line) => line.includes(needle) && !line.includes('ps -eo'))
    .map((line) => line.trim());
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function parentOf(pid: number): number {
  return Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' }).trim());
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const probe = createServer();
    probe.once('error', () => resolvePort(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolvePort(true)));
  });
}

function npmStart(port: number, dataDir: string): { npm: ChildProcess; output(): string; stderr(): string; exited: Promise<number | null> } {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), PORT: String(port), OMNICHAT_DATA_DIR: dataDir };
  // Its own DynamoDB Local and SQS emulator, as `npm start` on a developer's machine.
  delete env.OMNICHAT_DYNAMODB_ENDPOINT;
  delete env.OMNICHAT_SQS_ENDPOINT;
  delete env.OMNICHAT_IN_MEMORY;
  delete env.npm_lifecycle_script;
  const npm = spawn('npm', ['start'], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  let stderr = '';
  npm.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  npm.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolveExit) => npm.once('exit', (code) => resolveExit(code)));
  return { npm, output: () => output, stderr: () => stderr, exited };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', () => resolveListen()));
  const address = server.address();
  await new Promise((resolveClose) => server.close(resolveClose));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function start(): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), 'omnichat-lifecycle-'));
  const port = await freePort();
  const run = npmStart(port, dataDir);
  const javaPid = await eventually(async () => {
    if (run.npm.exitCode !== null) throw new Error(`npm start exited early:\n${run.output()}`);
    const ready = run.output().includes('ready at');
    const pid = /DynamoDB Local running as pid (\d+)/.exec(run.output())?.[1];
    return ready && pid ? Number(pid) : undefined;
  }, 60_000, 100);
  return { ...run, dataDir, port, javaPid, nodePid: parentOf(javaPid) };
}

async function expectNothingLeft(started: Started): Promise<void> {
  await eventually(async () => (processesMentioning(started.dataDir).length === 0 && !alive(started.javaPid) && !alive(started.nodePid) ? true : undefined), 20_000, 100).catch(() => {
    throw new Error(`Left behind:\n${processesMentioning(started.dataDir).join('\n')}\nnode alive: ${alive(started.nodePid)}\nOutput:\n${started.output()}`);
  });
  await expect(portFree(started.port)).resolves.toBe(true);
}

describe('npm start stops whole however it is stopped', () => {
  let started: Started | undefined;

  afterEach(() => {
    // Whatever a failed test left: the whole process group, then the data.
    if (started?.npm.pid !== undefined) {
      try {
        process.kill(-started.npm.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    for (const pid of [started?.javaPid, started?.nodePid]) if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    if (started) rmSync(started.dataDir, { recursive: true, force: true });
    started = undefined;
  });

  it('leaves neither DynamoDB Local nor the runtime behind when npm gets SIGTERM', async () => {
    // given
    started = await start();
    expect(processesMentioning(started.dataDir)).toEqual([expect.stringContaining('java')]);
    // when
    started.npm.kill('SIGTERM');
    // then
    await expectNothingLeft(started);
  }, 120_000);

  it('leaves no DynamoDB Local behind when the runtime itself is killed with SIGKILL', async () => {
    // given
    started = await start();
    // when
    process.kill(started.nodePid, 'SIGKILL');
    // then
    await expectNothingLeft(started);
  }, 120_000);

  it('leaves nothing behind when npm is killed with SIGKILL', async () => {
    // given
    started = await start();
    // when
    started.npm.kill('SIGKILL');
    // then
    await expectNothingLeft(started);
  }, 120_000);

  it('leaves nothing behind on Ctrl-C (SIGINT to the whole process group)', async () => {
    // given
    started = await start();
    // when
    process.kill(-(started.npm.pid ?? 0), 'SIGINT');
    // then
    await expectNothingLeft(started);
  }, 120_000);

  it('reports a port in use in one line naming the port and exits non-zero', async () => {
    // given: the port is taken
    const holder: Server = createServer();
    await new Promise<void>((resolveListen) => holder.listen(0, '127.0.0.1', () => resolveListen()));
    const address = holder.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const dataDir = mkdtempSync(join(tmpdir(), 'omnichat-lifecycle-'));
    try {
      // when
      const run = npmStart(address.port, dataDir);
      const code = await run.exited;
      // then
      expect(code).not.toBe(0);
      const lines = run.stderr().split('\n').filter((line) => line.trim() !== '');
      expect(lines).toEqual([expect.stringContaining(`Port ${address.port} is already in use`)]);
      expect(processesMentioning(dataDir)).toEqual([]);
    } finally {
      await new Promise((resolveClose) => holder.close(resolveClose));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
