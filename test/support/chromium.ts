/**
 * Where the browser tests and the console benchmark find Chromium: CHROMIUM_PATH when set, else the
 * usual places on Linux (Debian's `chromium`, Ubuntu's `chromium-browser`, Google Chrome) and macOS
 * (Google Chrome.app, Chromium.app, in /Applications or ~/Applications), else whatever of those names
 * is on PATH. Throws one line naming what was tried when none is found.
 */
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

const linux = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];
const macApps = ['Google Chrome.app/Contents/MacOS/Google Chrome', 'Chromium.app/Contents/MacOS/Chromium'];
const names = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Every candidate, in the order they are tried. */
export function chromiumCandidates(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string[] {
  const fromPath = (env.PATH ?? '').split(delimiter).filter(Boolean).flatMap((dir) => names.map((name) => join(dir, name)));
  const mac = ['/Applications', join(homedir(), 'Applications')].flatMap((dir) => macApps.map((app) => join(dir, app)));
  return [...(env.CHROMIUM_PATH ? [env.CHROMIUM_PATH] : []), ...(platform === 'darwin' ? [...mac, ...linux] : [...linux, ...mac]), ...fromPath];
}

export function chromiumPath(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.CHROMIUM_PATH) {
    if (executable(env.CHROMIUM_PATH)) return env.CHROMIUM_PATH;
    throw new Error(`CHROMIUM_PATH=${env.CHROMIUM_PATH} is not an executable file`);
  }
  const found = chromiumCandidates(env, platform).find(executable);
  if (found) return found;
  throw new Error(
    'Chromium not found: install it (Debian/Ubuntu: sudo apt-get install -y chromium; macOS: brew install --cask chromium or Google Chrome) or set CHROMIUM_PATH',
  );
}

/** Headless Chromium on a machine with no network but loopback: nothing reaches out at start. */
export const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
