import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, normalize, sep } from 'node:path';
import { consoleContentSecurityPolicy, consoleSecurityHeaders } from '../lib/console-policy';

/** The console's files by extension; anything else under `console/` is not served. */
const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wav': 'audio/wav',
};

/**
 * Serves the agent console at `/console` and the customer simulator at `/simulator` from the static
 * files in `console/`, as CloudFront serves them in AWS. `config.json` tells the page to use this
 * origin for the socket and the API, and that dev tokens can be asked for. Every answer carries the
 * console's Content-Security-Policy, as CloudFront's response headers policy adds it in AWS; the
 * socket is this origin's `ws:` (or `wss:`) address.
 */
/** `uploadOrigins`: where the console PUTs agents' files (the attachment bucket's origin). */
export function consoleFiles(rootDir: string, uploadOrigins: () => string[] = () => []) {
  const dir = join(rootDir, 'console');
  const chime = chimeWav();
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const path = url.pathname;
    const socketOrigin = `${url.protocol === 'https:' ? 'wss' : 'ws'}://${req.headers.host ?? url.host}`;
    res.setHeader('content-security-policy', consoleContentSecurityPolicy([socketOrigin, ...uploadOrigins()]));
    for (const [name, value] of Object.entries(consoleSecurityHeaders)) res.setHeader(name, value);
    if (path === '/console') {
      res.writeHead(301, { location: '/console/' });
      res.end();
      return true;
    }
    if (path === '/console/config.json') return send(res, 200, 'application/json', JSON.stringify({ socketUrl: null, apiUrl: '', devTokens: true }));
    if (path === '/console/chime.wav') return send(res, 200, contentTypes['.wav']!, chime);
    let file: string | undefined;
    if (path === '/console/') file = 'index.html';
    else if (path === '/simulator' || path === '/simulator/') file = 'simulator.html';
    else if (path.startsWith('/console/')) {
      try {
        file = decodeURIComponent(path.slice('/console/'.length));
      } catch {
        return send(res, 400, 'text/plain', 'Bad Request');
      }
    }
    if (file === undefined) {
      for (const name of ['content-security-policy', ...Object.keys(consoleSecurityHeaders)]) res.removeHeader(name);
      return false;
    }
    const full = normalize(join(dir, file));
    const type = contentTypes[file.slice(file.lastIndexOf('.'))];
    if (!full.startsWith(dir + sep) || !type) return send(res, 404, 'text/plain', 'Not Found');
    try {
      return send(res, 200, type, await readFile(full));
    } catch {
      return send(res, 404, 'text/plain', 'Not Found');
    }
  };
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): true {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache' });
  res.end(body);
  return true;
}

/** A short two-note chime (16-bit mono PCM), the demo's `notificationSoundUrl`. */
export function chimeWav(): Buffer {
  const rate = 22_050;
  const notes = [
    { hz: 880, seconds: 0.12 },
    { hz: 1320, seconds: 0.25 },
  ];
  const samples = notes.flatMap(({ hz, seconds }) =>
    Array.from({ length: Math.round(rate * seconds) }, (_, i) => Math.sin((2 * Math.PI * hz * i) / rate) * Math.exp((-4 * i) / (rate * seconds)) * 0.4),
  );
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => data.writeInt16LE(Math.round(s * 32_767), i * 2));
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
