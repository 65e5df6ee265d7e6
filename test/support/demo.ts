import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { nodeBinary, projectRoot } from './runtime';

export interface Demo {
  child: ChildProcess;
  /** The runtime's base URL (the simulator is at `/simulator`). */
  baseUrl: string;
  /** The console link that signs in as Alice Agent, as the demo prints it. */
  alice: string;
  /** The second demo agent's console link. */
  bob: string;
  output(): string;
}

/**
 * `npm run demo` as a child process on a free port, with its own resource prefix so demos share
 * the emulators of the test run; resolves once it has printed the simulator and console links.
 */
export function startDemo(timeoutMs = 90_000): Promise<Demo> {
  const child = spawn(nodeBinary, ['--disable-warning=ExperimentalWarning', '--import', 'tsx', 'bin/local.ts', '--demo'], {
    cwd: projectRoot,
    env: { ...process.env, PORT: '0', OMNICHAT_RESOURCE_PREFIX: `d${randomBytes(5).toString('hex')}-` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The demo did not start within ${timeoutMs / 1000} s:\n${output}`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const alice = /Console as Alice Agent: (\S+)/.exec(output)?.[1];
      const simulator = /Customer simulator: (http:\/\/[\d.:]+)\/simulator/.exec(output)?.[1];
      if (alice && simulator) {
        clearTimeout(timer);
        const bob = /Console as Bob Agent: (\S+)/.exec(output)?.[1] ?? '';
        resolve({ child, baseUrl: simulator, alice, bob, output: () => output });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The demo exited with ${code}:\n${output}`));
    });
  });
}
