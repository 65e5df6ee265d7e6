/**
 * `npm run bench`: every benchmark in sequence. They print figures and never pass or fail on time.
 * Each part also runs alone: `node --import tsx bench/<part>.ts`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cleanup, heading, nodeBinary, note, onCleanup, projectRoot } from './support';

interface Part {
  name: string;
  file: string;
  /**
   * Runs in a process of its own: cost hosts the handlers in its own process, and handler modules
   * loaded once by another in-process runtime would keep that runtime's clients and settings.
   */
  isolated?: boolean;
}

// Handlers run in this process for some parts; their INFO logs would bury the figures.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
// the figures are printed here; the handlers' embedded-metric lines would only bury them
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const parts: Part[] = [
  { name: 'ingest', file: 'ingest.ts' },
  { name: 'end to end', file: 'end-to-end.ts' },
  { name: 'bundles', file: 'bundles.ts' },
  { name: 'cost', file: 'cost.ts', isolated: true },
  { name: 'routing', file: 'routing.ts' },
  { name: 'live view', file: 'live.ts' },
  { name: 'reports', file: 'reports.ts' },
  { name: 'receipts', file: 'receipts.ts' },
  { name: 'admin', file: 'admin.ts' },
  { name: 'console', file: 'console.ts' },
  { name: 'timers', file: 'timers.ts' },
];

function runIsolated(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(nodeBinary, ['--import', 'tsx', path], { cwd: projectRoot, stdio: ['ignore', 'inherit', 'inherit'] });
    const kill = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    };
    onCleanup(kill);
    process.once('exit', () => void kill());
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`bench/${path.split('/').pop()} exited with ${code ?? signal}`))));
  });
}

async function runPart(part: Part): Promise<boolean> {
  const path = join(projectRoot, 'bench', part.file);
  if (!existsSync(path)) {
    heading(part.name);
    note(`skipped: bench/${part.file} does not exist yet`);
    return true;
  }
  const started = performance.now();
  try {
    if (part.isolated) {
      await runIsolated(path);
      return true;
    }
    const module: unknown = await import(pathToFileURL(path).href);
    const main = typeof module === 'object' && module !== null ? Reflect.get(module, 'main') : undefined;
    if (typeof main !== 'function') {
      heading(part.name);
      note(`skipped: bench/${part.file} exports no main()`);
      return true;
    }
    await Reflect.apply(main, undefined, []);
    return true;
  } catch (error) {
    // One broken part must not hide the figures of the others.
    console.error(`\n  ${part.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return false;
  } finally {
    note(`(${part.name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log(`Omnichat benchmarks — Node ${process.version}, ${new Date().toISOString()}`);
  let failed = 0;
  try {
    for (const part of parts) if (!(await runPart(part))) failed += 1;
  } finally {
    await cleanup();
  }
  console.log(`\nAll benchmarks done in ${((performance.now() - started) / 1000).toFixed(0)} s${failed ? `; ${failed} part(s) failed to run` : ''}.`);
  if (failed) process.exitCode = 1;
}

await main();
