/**
 * `npm run agent -- --token <jwt> [--url ws://127.0.0.1:3000/ws] [--active]`: a minimal agent client.
 * Connects to the agent WebSocket, prints every frame the server sends as one JSON line on stdout, and
 * sends every line typed on stdin as a frame (`{"action":"accept","chatId":"…"}`). `--active` sends
 * `setStatus active` once connected. Exits 0 when stdin ends or the server closes, 1 when refused.
 * Run it in the foreground of its own terminal: a shell stops a background job (`&`) as soon as it
 * reads the terminal (SIGTTIN), and a stopped client prints none of the frames that reach it.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: {
    token: { type: 'string' },
    url: { type: 'string', default: process.env.OMNICHAT_WS_URL ?? 'ws://127.0.0.1:3000/ws' },
    active: { type: 'boolean', default: false },
  },
});
if (!values.token) {
  console.error('usage: npm run agent -- --token <agent token> [--url ws://127.0.0.1:3000/ws] [--active]');
  process.exit(2);
}

const url = new URL(values.url);
url.searchParams.set('token', values.token);
const socket = new WebSocket(url);
let input: ReturnType<typeof createInterface> | undefined;
socket.on('unexpected-response', (_request, response) => {
  console.error(`Refused: the WebSocket upgrade answered ${response.statusCode} (401: bad or expired token, 403: not in the agents group)`);
  process.exit(1);
});
socket.on('error', (error) => {
  console.error(`Cannot connect to ${values.url}: ${error.message}`);
  process.exit(1);
});
socket.on('open', () => {
  console.error(`connected to ${values.url}; type one JSON frame per line`);
  if (values.active) socket.send(JSON.stringify({ action: 'setStatus', status: 'active', requestId: 'status' }));
  input = createInterface({ input: process.stdin });
  input.on('line', (line) => {
    const text = line.trim();
    if (text === '') return;
    try {
      JSON.parse(text);
    } catch {
      console.error('not JSON; nothing sent');
      return;
    }
    socket.send(text);
  });
  input.on('close', () => socket.close(1000));
});
socket.on('message', (data) => console.log(data.toString()));
socket.on('close', (code, reason) => {
  console.error(`closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`);
  // Let stdout drain (a pipe is written asynchronously), then end.
  input?.close();
  process.stdin.destroy();
  process.exitCode = 0;
});
