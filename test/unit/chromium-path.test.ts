import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumCandidates, chromiumPath } from '../support/chromium';

describe('finding Chromium for the browser tests', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'omnichat-chromium-path-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('uses CHROMIUM_PATH when it is an executable', () => {
    // given
    const browser = join(dir, 'my chrome');
    writeFileSync(browser, '#!/bin/sh\n');
    chmodSync(browser, 0o755);
    // then
    expect(chromiumPath({ CHROMIUM_PATH: browser, PATH: '' })).toBe(browser);
  });

  it('refuses a CHROMIUM_PATH that is not executable, naming it', () => {
    expect(() => chromiumPath({ CHROMIUM_PATH: join(dir, 'missing'), PATH: '' })).toThrow(`CHROMIUM_PATH=${join(dir, 'missing')}`);
  });

  it('looks where Linux and macOS install it, in that order per platform, then on PATH', () => {
    // when
    const onLinux = chromiumCandidates({ PATH: dir }, 'linux');
    const onMac = chromiumCandidates({ PATH: dir }, 'darwin');
    // then
    expect(onLinux.slice(0, 2)).toEqual(['/usr/bin/chromium', '/usr/bin/chromium-browser']);
    expect(onMac[0]).toBe('/Applications/Google Chrome.app/Contents/MacOS/Google Chrome');
    expect(onMac).toContain('/Applications/Chromium.app/Contents/MacOS/Chromium');
    expect(onLinux).toContain(join(dir, 'chromium-browser'));
  });

  it('finds a chromium-browser on PATH', () => {
    // given
    const browser = join(dir, 'chromium-browser');
    writeFileSync(browser, '#!/bin/sh\n');
    chmodSync(browser, 0o755);
    // then: the fixed places win when present, else PATH
    expect(chromiumCandidates({ PATH: dir }, 'linux')).toContain(browser);
    const found = chromiumPath({ PATH: dir }, 'linux');
    expect(found === browser || chromiumCandidates({}, 'linux').includes(found)).toBe(true);
  });
});
