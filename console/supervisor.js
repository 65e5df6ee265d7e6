// Omnichat supervisor page: live queues and agents (GET /api/live, polled), the chat list with reassign
// and close, watching a chat over the agent WebSocket (`watch`), and today's report per queue with
// small charts (uPlot, vendored in vendor/). Signed in like the agent console (auth.js); the token must
// carry the `supervisors` or `chat-admins` group.
import { bindSignInForms, claimsOf, HostedSignIn } from './auth.js';
import { groupsOf, h, toast } from './dom.js';

const $ = (id) => document.getElementById(id);
const tokenKey = 'omnichat.supervisor.token';
const supervisorGroups = ['supervisors', 'chat-admins'];
const livePollMs = 5_000;
const chatPollMs = 10_000;
const reportPollMs = 60_000;
const backoff = { firstMs: 500, maxMs: 15_000 };

const state = {
  config: { socketUrl: null, apiUrl: '', devTokens: false, hostedUi: null },
  token: null,
  auth: null,
  user: { id: '', name: '' },
  /** The last GET /api/live answer, and the browser's clock minus the server's when it came. */
  live: null,
  skewMs: 0,
  liveTimer: null,
  chatTimer: null,
  reportTimer: null,
  /** Chats shown, by filter; `more` holds the next page's tokens per state. */
  chats: [],
  more: null,
  /** The chat being watched: { chatId, chat, messages, closedReason } */
  watch: null,
  socket: null,
  socketAttempts: 0,
  /** uPlot instances of the report, destroyed before each redraw. */
  charts: [],
};

// ---------- small helpers ----------
const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
const clockSeconds = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
/** 75 → "1 min 15 s", 4000 → "1 h 6 min". */
function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
const customerName = (chat) => chat.customer?.name || chat.customer?.id || 'Customer';
const queueName = (id) => (id ? (state.live?.queues.find((q) => q.queueId === id)?.name ?? id) : '—');
const agentName = (id) => (id ? (state.live?.agents.find((a) => a.agentId === id)?.displayName ?? id) : '—');

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function currentToken() {
  if (state.auth) state.token = await state.auth.freshToken();
  return state.token;
}

/** Calls the API with the supervisor's token; answers the parsed body or throws ApiError. */
async function api(method, path, body) {
  const token = await currentToken();
  let res;
  try {
    res = await fetch(`${state.config.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiError(0, 'network', 'The API cannot be reached.');
  }
  const answer = await res.json().catch(() => null);
  if (res.ok) return answer;
  if (res.status === 401) {
    endSession('Your session has ended. Sign in again.');
  }
  const error = answer?.error ?? {};
  throw new ApiError(res.status, error.code ?? String(res.status), error.message ?? `The API answered ${res.status}.`);
}

// ---------- sign-in ----------
function showSignIn(message = '') {
  $('app').hidden = true;
  $('sign-in').hidden = false;
  const hosted = Boolean(state.auth);
  $('hosted-sign-in').hidden = !hosted;
  $('dev-sign-in').hidden = hosted || !state.config.devTokens;
  $('token-sign-in').hidden = hosted;
  $('sign-in-error').textContent = message;
}

function signIn(token, profile = claimsOf(token)) {
  const claims = claimsOf(token);
  if (!claims || !claims.sub) return showSignIn('That is not a valid token.');
  if (!groupsOf(claims).some((g) => supervisorGroups.includes(g))) {
    state.auth?.clear();
    return showSignIn('This account is not in the supervisors group. Ask an admin to add it, then sign in again.');
  }
  state.token = token;
  state.user = { id: claims.sub, name: profile?.name || profile?.email || claims.name || claims.username || claims.sub };
  if (!state.auth) sessionStorage.setItem(tokenKey, token);
  $('sign-in').hidden = true;
  $('app').hidden = false;
  $('user-name').textContent = state.user.name;
  void pollLive();
  void pollChats();
  void pollReport();
}

function endSession(message) {
  for (const timer of ['liveTimer', 'chatTimer', 'reportTimer']) clearTimeout(state[timer]);
  state.auth?.clear();
  sessionStorage.removeItem(tokenKey);
  state.token = null;
  const socket = state.socket;
  state.socket = null;
  socket?.close(1000, 'signed out');
  state.watch = null;
  showSignIn(message);
}

bindSignInForms({ $, state, groups: ['supervisors'], signIn, showSignIn, endSession });

// ---------- live queues and agents ----------
function setLiveState(kind, text) {
  $('live-state').dataset.state = kind;
  $('live-state').textContent = text;
}

async function pollLive() {
  clearTimeout(state.liveTimer);
  if (!state.token) return;
  try {
    const live = await api('GET', '/api/live');
    state.live = live;
    state.skewMs = Date.now() - Date.parse(live.generatedAt);
    state.liveReceivedAt = Date.now();
    renderLive();
    setLiveState('open', `Live · updated ${clockSeconds(Date.now())}`);
  } catch (error) {
    if (!state.token) return;
    setLiveState('closed', error.status === 403 ? 'Not allowed: supervisors only' : `Live data unavailable (${error.message}) — retrying`);
  }
  // a hidden tab polls less; it catches up as soon as it is looked at
  state.liveTimer = setTimeout(pollLive, document.visibilityState === 'hidden' ? livePollMs * 6 : livePollMs);
}
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && state.token) void pollLive();
});

/** A moment of the server's clock as this browser's clock reads it. */
const localMs = (iso) => Date.parse(iso) + state.skewMs;

function renderLive() {
  const { queues, agents } = state.live;
  $('no-queues').hidden = queues.length > 0;
  $('queues').tBodies[0].replaceChildren(
    ...queues.map((q) =>
      h('tr', { dataset: { queueId: q.queueId } },
        h('th', { scope: 'row' }, q.name),
        h('td', { dataset: { field: 'open', label: 'Hours' } },
          q.open === false ? h('span', { class: 'sv-hours closed', title: 'Outside its hours: chats wait for the opening (or overflow)' }, 'Closed')
            : h('span', { class: 'sv-hours open', title: 'Within its hours (or has none)' }, 'Open')),
        h('td', { class: 'num', dataset: { field: 'waiting', label: 'Waiting' } }, q.waiting),
        h('td', {
          class: `num${q.oldestWaitSeconds >= 60 ? ' sv-late' : ''}`,
          dataset: { field: 'oldestWait', label: 'Oldest wait', ...(q.oldestWaitSeconds !== null ? { since: String(state.liveReceivedAt - q.oldestWaitSeconds * 1000) } : {}) },
        }, duration(q.oldestWaitSeconds)),
        h('td', { class: 'num', dataset: { field: 'offersPending', label: 'Offers pending' } }, q.offersPending),
        h('td', { class: 'num', dataset: { field: 'agents', label: 'Agents (active / inactive / offline)' } },
          h('span', { class: 'sv-active', title: 'active' }, q.agents.active), ' / ',
          h('span', { class: 'sv-inactive', title: 'inactive' }, q.agents.inactive), ' / ',
          h('span', { class: 'muted', title: 'offline' }, q.agents.offline)),
        h('td', { class: 'num', dataset: { field: 'load', label: 'Load / capacity' } }, `${q.load} / ${q.capacity}`),
      ),
    ),
  );
  $('no-agents').hidden = agents.length > 0;
  $('agents').tBodies[0].replaceChildren(
    ...agents.map((a) => {
      const next = a.status === 'active' ? 'inactive' : 'active';
      return h('tr', { dataset: { agentId: a.agentId, status: a.status } },
        h('th', { scope: 'row' }, a.displayName, h('div', { class: 'small muted' }, a.queues.map(queueName).join(', '))),
        h('td', { dataset: { field: 'status', label: 'Status' } }, h('span', { class: `sv-status ${a.status}` }, a.status)),
        h('td', { class: 'num', dataset: { field: 'load', label: 'Load' } }, `${a.load} / ${a.capacity}`),
        h('td', { class: 'num', dataset: { field: 'chatsHeld', label: 'Chats held' } }, a.chatsHeld),
        h('td', { class: 'num', dataset: { field: 'inStatus', label: 'In status', ...(a.statusSince ? { since: String(localMs(a.statusSince)) } : {}) } },
          a.statusSince ? duration((Date.now() - localMs(a.statusSince)) / 1000) : '—'),
        h('td', { class: 'sv-actions' },
          a.status === 'offline'
            ? h('span', { class: 'small muted' }, 'not connected')
            : h('button', { type: 'button', class: 'sv-set-status', 'aria-label': `Set ${a.displayName} ${next}`, onclick: (event) => setAgentStatus(a, next, event.target) }, `Set ${next}`)),
      );
    }),
  );
  // the chat list names queues and agents from the live data
  renderChats();
}

async function setAgentStatus(agent, status, button) {
  button.disabled = true;
  try {
    await api('PUT', `/api/agents/${encodeURIComponent(agent.agentId)}/status`, { status });
    toast(`${agent.displayName} is now ${status}.`);
    await pollLive();
  } catch (error) {
    button.disabled = false;
    toast(`${agent.displayName} could not be set ${status}: ${error.message}`, 'error');
  }
}

// durations tick between polls
setInterval(() => {
  for (const el of document.querySelectorAll('[data-since]')) el.textContent = duration((Date.now() - Number(el.dataset.since)) / 1000);
}, 1000);

// ---------- chats ----------
const openStates = ['waiting', 'offered', 'assigned'];

async function loadChats(more = false) {
  const filter = $('chat-filter').value;
  const states = filter === 'open' ? openStates : [filter];
  const pages = await Promise.all(
    states
      .filter((s) => !more || state.more?.[s])
      .map(async (s) => {
        const query = new URLSearchParams({ state: s, limit: '50', ...(more ? { nextToken: state.more[s] } : {}) });
        return [s, await api('GET', `/api/chats?${query}`)];
      }),
  );
  const next = {};
  for (const [s, page] of pages) if (page.nextToken) next[s] = page.nextToken;
  const items = pages.flatMap(([, page]) => page.items);
  state.chats = more ? [...state.chats, ...items.filter((c) => !state.chats.some((x) => x.id === c.id))] : items;
  state.more = Object.keys(next).length ? next : null;
  // longest waiting first among open chats; newest first among closed ones
  state.chats.sort((a, b) => (filter === 'closed' ? (a.lastMessageAt < b.lastMessageAt ? 1 : -1) : a.createdAt < b.createdAt ? -1 : 1));
  renderChats();
}

async function pollChats() {
  clearTimeout(state.chatTimer);
  if (!state.token) return;
  try {
    // a page of more loaded by hand stays until the filter changes
    if (!state.moreLoaded) await loadChats();
  } catch (error) {
    if (state.token) toast(`Chats could not be loaded: ${error.message}`, 'error');
  }
  if (state.token) state.chatTimer = setTimeout(pollChats, chatPollMs);
}

function renderChats() {
  const chats = state.chats;
  $('no-chats').hidden = chats.length > 0;
  $('more-chats').hidden = !state.more;
  $('chats').tBodies[0].replaceChildren(
    ...chats.map((chat) => {
      const open = chat.state !== 'closed';
      const watching = state.watch?.chatId === chat.id;
      return h('tr', { dataset: { chatId: chat.id, state: chat.state }, class: watching ? 'sv-watched' : null },
        h('th', { scope: 'row' }, customerName(chat), ' ', h('span', { class: `badge ${chat.channelType}` }, chat.channelType)),
        h('td', { dataset: { field: 'queue', label: 'Queue' } }, queueName(chat.queueId)),
        h('td', { dataset: { field: 'state', label: 'State' } }, chat.state),
        h('td', { dataset: { field: 'agent', label: 'Agent' } }, agentName(chat.agentId)),
        h('td', { class: 'small', dataset: { label: 'Last message' } }, clock(chat.lastMessageAt)),
        h('td', { class: 'sv-actions' },
          open ? h('button', { type: 'button', class: 'sv-watch', 'aria-pressed': watching ? 'true' : 'false', onclick: () => (watching ? stopWatching() : watchChat(chat)) }, watching ? 'Watching' : 'Watch') : null,
          open ? h('button', { type: 'button', class: 'sv-reassign', onclick: () => openReassign(chat) }, 'Reassign') : null,
          open ? h('button', { type: 'button', class: 'sv-close danger', onclick: () => openClose(chat) }, 'Close') : null,
        ),
      );
    }),
  );
}

$('chat-filter').addEventListener('change', () => {
  state.moreLoaded = false;
  void pollChats();
});
$('refresh-chats').addEventListener('click', () => {
  state.moreLoaded = false;
  void pollChats();
});
$('more-chats').addEventListener('click', async () => {
  state.moreLoaded = true;
  try {
    await loadChats(true);
  } catch (error) {
    toast(`More chats could not be loaded: ${error.message}`, 'error');
  }
});

/** Puts a chat the API answered in the list in place of the old one (or drops it when the filter no longer shows it). */
function replaceChat(chat) {
  const filter = $('chat-filter').value;
  const shown = filter === 'open' ? openStates.includes(chat.state) : chat.state === filter;
  state.chats = shown ? state.chats.map((c) => (c.id === chat.id ? chat : c)) : state.chats.filter((c) => c.id !== chat.id);
  renderChats();
}

// ---------- reassign ----------
const reassignMessages = {
  agent_unavailable: 'That agent is offline or at capacity. Tick “Force” to go over capacity.',
  chat_closed: 'The chat is closed already.',
  busy: 'The chat kept changing while it was being moved; try again.',
  not_found: 'The chat, agent or queue no longer exists.',
  forbidden: 'Only supervisors may reassign chats.',
};

function openReassign(chat) {
  const dialog = $('reassign-dialog');
  const form = $('reassign-form');
  form.reset();
  form.dataset.chatId = chat.id;
  $('reassign-error').textContent = '';
  $('reassign-chat').textContent = `${customerName(chat)} · ${chat.state}${chat.agentId ? ` with ${agentName(chat.agentId)}` : ''} · queue ${queueName(chat.queueId)}`;
  // agents who take chats: supervisors registered in no queue (to watch over the socket) are left out
  const agents = (state.live?.agents ?? []).filter((a) => a.agentId !== chat.agentId && a.queues.length > 0);
  form.elements.agentId.replaceChildren(
    ...agents.map((a) => h('option', { value: a.agentId }, `${a.displayName} — ${a.status}, ${a.load}/${a.capacity}`)),
  );
  form.elements.queueId.replaceChildren(
    ...(state.live?.queues ?? []).map((q) => h('option', { value: q.queueId, selected: q.queueId === chat.queueId ? true : null }, `${q.name} — ${q.waiting} waiting`)),
  );
  showReassignKind();
  dialog.showModal();
}
function showReassignKind() {
  const form = $('reassign-form');
  const toAgent = form.elements.kind.value === 'agent';
  $('reassign-agent-field').hidden = !toAgent;
  $('reassign-force-field').hidden = !toAgent;
  $('reassign-queue-field').hidden = toAgent;
}
for (const radio of $('reassign-form').elements.kind) radio.addEventListener('change', showReassignKind);

$('reassign-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const toAgent = form.elements.kind.value === 'agent';
  const target = toAgent ? form.elements.agentId.value : form.elements.queueId.value;
  if (!target) {
    $('reassign-error').textContent = toAgent ? 'Choose an agent.' : 'Choose a queue.';
    return;
  }
  const body = toAgent ? { agentId: target, ...(form.elements.force.checked ? { force: true } : {}) } : { queueId: target };
  const submit = form.querySelector('button[type="submit"]');
  submit.disabled = true;
  try {
    const { chat } = await api('POST', `/api/chats/${encodeURIComponent(form.dataset.chatId)}/reassign`, body);
    $('reassign-dialog').close();
    replaceChat(chat);
    toast(toAgent ? `Chat moved to ${agentName(target)}.` : `Chat moved to queue ${queueName(target)}.`);
    void pollLive();
  } catch (error) {
    $('reassign-error').textContent = reassignMessages[error.code] ?? error.message;
  } finally {
    submit.disabled = false;
  }
});

// ---------- close ----------
function openClose(chat) {
  const form = $('close-form');
  form.reset();
  form.dataset.chatId = chat.id;
  $('close-error').textContent = '';
  $('close-chat').textContent = `${customerName(chat)} · ${chat.state}${chat.agentId ? ` with ${agentName(chat.agentId)}` : ''}`;
  $('close-dialog').showModal();
}

$('close-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const reason = form.elements.reason.value.trim();
  const submit = form.querySelector('button[type="submit"]');
  submit.disabled = true;
  try {
    const { chat } = await api('POST', `/api/chats/${encodeURIComponent(form.dataset.chatId)}/close`, reason ? { reason } : {});
    $('close-dialog').close();
    replaceChat(chat);
    toast('Chat closed.');
    void pollLive();
  } catch (error) {
    $('close-error').textContent = error.code === 'chat_closed' ? 'The chat is closed already.' : error.message;
  } finally {
    submit.disabled = false;
  }
});

for (const button of document.querySelectorAll('dialog [data-cancel]')) button.addEventListener('click', () => button.closest('dialog').close());

// ---------- watching a chat (the agent WebSocket, `watch`) ----------
function socketUrl(token) {
  const base = state.config.socketUrl || `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  return `${base}${base.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}
function setWatchState(kind, text) {
  $('watch-state').dataset.state = kind;
  $('watch-state').textContent = text;
}
function sendFrame(frame) {
  if (state.socket?.readyState !== WebSocket.OPEN) return false;
  state.socket.send(JSON.stringify(frame));
  return true;
}

async function openSocket() {
  if (state.socket || !state.watch) return;
  let token;
  try {
    token = await currentToken();
  } catch (error) {
    if (!error.transient) return endSession(error.message);
  }
  if (!token || !state.watch) return;
  const socket = new WebSocket(socketUrl(token));
  state.socket = socket;
  window.omnichatSupervisorSocket = socket;
  setWatchState('connecting', 'Connecting…');
  let opened = false;
  socket.addEventListener('open', () => {
    opened = true;
    state.socketAttempts = 0;
    setWatchState('open', 'Live');
    if (state.watch) sendFrame({ action: 'watch', chatId: state.watch.chatId, requestId: `watch-${state.watch.chatId}` });
  });
  socket.addEventListener('message', (event) => {
    try {
      onFrame(JSON.parse(event.data));
    } catch {
      // not JSON: nothing the page understands
    }
  });
  socket.addEventListener('close', () => {
    if (state.socket !== socket) return;
    state.socket = null;
    if (!state.watch || !state.token) return;
    state.socketAttempts += 1;
    if (!opened && state.socketAttempts >= 4) {
      // refused every time: the token expired, or the server does not let this account watch
      setWatchState('closed', 'Cannot connect');
      state.watch.loading = false;
      const sub = state.user?.id;
      state.watch.error =
        'The server refused the connection for watching chats. A supervisor watches over the agents\' socket, so an admin must register ' +
        `this account as an agent in no queue (PUT /api/agents/${sub ?? '{your id}'} with groups ["supervisors"]). If it is registered, sign in again: the session may have expired.`;
      state.socketAttempts = 0;
      return renderWatch();
    }
    const delay = Math.min(backoff.maxMs, backoff.firstMs * 2 ** (state.socketAttempts - 1)) * (0.75 + Math.random() / 2);
    setWatchState('closed', `Disconnected — retrying in ${Math.ceil(delay / 1000)} s`);
    setTimeout(() => void openSocket(), delay);
  });
}

function watchChat(chat) {
  if (state.watch && state.watch.chatId !== chat.id) sendFrame({ action: 'unwatch', chatId: state.watch.chatId });
  state.watch = { chatId: chat.id, chat, messages: [], closedReason: null, loading: true };
  $('watch').hidden = false;
  renderWatch();
  renderChats();
  if (state.socket?.readyState === WebSocket.OPEN) sendFrame({ action: 'watch', chatId: chat.id, requestId: `watch-${chat.id}` });
  else void openSocket();
  $('watch').scrollIntoView({ block: 'nearest' });
}

function stopWatching() {
  if (!state.watch) return;
  sendFrame({ action: 'unwatch', chatId: state.watch.chatId });
  state.watch = null;
  $('watch').hidden = true;
  const socket = state.socket;
  state.socket = null;
  socket?.close(1000, 'stopped watching');
  renderChats();
}
$('stop-watching').addEventListener('click', stopWatching);

function upsertWatched(message) {
  const list = state.watch.messages;
  const at = list.findIndex((m) => m.id === message.id);
  if (at >= 0) list[at] = { ...list[at], ...message };
  else {
    list.push(message);
    list.sort((a, b) => (a.sentAt < b.sentAt ? -1 : a.sentAt > b.sentAt ? 1 : 0));
  }
}

function onFrame(frame) {
  const watch = state.watch;
  if (!watch) return;
  if (frame.type === 'error' && frame.requestId === `watch-${watch.chatId}`) {
    watch.loading = false;
    watch.error = frame.code === 'forbidden' ? 'Only supervisors may watch chats.' : frame.message || frame.code;
    return renderWatch();
  }
  if (frame.chatId !== watch.chatId) return;
  switch (frame.type) {
    case 'watching':
      watch.chat = frame.chat ?? watch.chat;
      // a reconnect's answer joins what was shown
      for (const m of frame.messages ?? []) upsertWatched(m);
      watch.loading = false;
      watch.error = null;
      break;
    case 'message':
      if (frame.watching) upsertWatched(frame.message);
      break;
    case 'messageStatus': {
      const message = frame.watching && watch.messages.find((m) => m.id === frame.messageId);
      if (message) {
        message.status = frame.status;
        if (frame.error) message.error = frame.error;
      }
      break;
    }
    case 'chatClosed':
      if (frame.watching) watch.closedReason = frame.reason;
      break;
    case 'unwatched':
      return;
    default:
      return;
  }
  renderWatch();
}

const statusMarks = { pending: '…', sent: '✓ sent', delivered: '✓✓ delivered', read: '✓✓ read', failed: '⚠ failed' };

function renderWatch() {
  const watch = state.watch;
  if (!watch) return;
  const { chat } = watch;
  $('watch').dataset.chatId = watch.chatId;
  $('watch-customer').textContent = customerName(chat);
  $('watch-meta').textContent = [chat.channelType, `queue ${queueName(chat.queueId)}`, chat.agentId ? `agent ${agentName(chat.agentId)}` : chat.state].join(' · ');
  const list = $('watch-messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.replaceChildren(
    ...(watch.loading ? [h('li', { class: 'notice' }, 'Loading…')] : []),
    ...(watch.error ? [h('li', { class: 'notice error' }, watch.error)] : []),
    ...watch.messages.map((m) =>
      h('li', { class: `message ${m.direction}${m.status === 'failed' ? ' failed' : ''}`, dataset: { messageId: m.id, status: m.status } },
        m.text ?? '',
        ...(m.attachments ?? []).map((a) => h('div', { class: 'attachment small' }, `📎 ${a.name ?? a.type}`)),
        m.payload && !m.text ? h('div', { class: 'small muted' }, `chose: ${m.payload}`) : null,
        h('div', { class: 'meta' }, clock(m.sentAt), m.direction === 'out' ? ` · ${m.agentId ? `${agentName(m.agentId)} · ` : ''}${statusMarks[m.status] ?? m.status}` : ''),
      ),
    ),
    ...(watch.closedReason ? [h('li', { class: 'notice' }, `Chat closed (${watch.closedReason}).`)] : []),
  );
  if (atBottom) list.scrollTop = list.scrollHeight;
}

// ---------- today's report per queue ----------
function today() {
  const from = new Date();
  from.setHours(0, 0, 0, 0);
  return { from, to: new Date() };
}

async function pollReport() {
  clearTimeout(state.reportTimer);
  if (!state.token) return;
  const { from, to } = today();
  $('report-range').textContent = `since ${from.toLocaleDateString()} 00:00, by hour`;
  try {
    const query = new URLSearchParams({ from: from.toISOString(), to: to.toISOString(), granularity: 'hour' });
    const report = await api('GET', `/api/reports/queues?${query}`);
    $('report-error').textContent = '';
    renderReport(report, from, to);
  } catch (error) {
    if (state.token) $('report-error').textContent = `The report could not be loaded: ${error.message}`;
  }
  if (state.token) state.reportTimer = setTimeout(pollReport, reportPollMs);
}
$('refresh-report').addEventListener('click', () => void pollReport());

const sum = (rows, pick) => rows.reduce((n, r) => n + (pick(r) ?? 0), 0);

function renderReport(report, from, to) {
  for (const chart of state.charts) chart.destroy();
  state.charts = [];
  const byQueue = new Map();
  for (const row of report.rows) {
    if (!byQueue.has(row.queueId)) byQueue.set(row.queueId, []);
    byQueue.get(row.queueId).push(row);
  }
  // every queue of the live data has a card, busy or not
  for (const q of state.live?.queues ?? []) if (!byQueue.has(q.queueId)) byQueue.set(q.queueId, []);
  // the hours of today so far, in seconds (uPlot's time scale)
  const hours = [];
  const first = new Date(from);
  first.setMinutes(0, 0, 0);
  for (let t = first.getTime(); t <= to.getTime(); t += 3_600_000) hours.push(t / 1000);

  const cards = [...byQueue.entries()].map(([queueId, rows]) => {
    const at = new Map(rows.map((r) => [Math.floor(Date.parse(r.start) / 3_600_000) * 3600, r]));
    const created = hours.map((t) => at.get(t)?.created ?? 0);
    const waitP90 = hours.map((t) => at.get(t)?.waitSeconds?.p90 ?? null);
    const csatResponses = sum(rows, (r) => r.csat?.responses);
    const csatAverage = csatResponses ? sum(rows, (r) => (r.csat?.average ?? 0) * (r.csat?.responses ?? 0)) / csatResponses : null;
    const waitMax = rows.reduce((m, r) => (r.waitSeconds?.max ?? null) !== null && r.waitSeconds.max > (m ?? -1) ? r.waitSeconds.max : m, null);
    const totals = [
      ['created', 'Created', sum(rows, (r) => r.created)],
      ['accepted', 'Accepted', sum(rows, (r) => r.accepted)],
      ['missed', 'Missed', sum(rows, (r) => r.missed)],
      ['abandoned', 'Abandoned', sum(rows, (r) => r.abandoned)],
      ['transferred', 'Transferred', sum(rows, (r) => r.transferred)],
      ['messages', 'Messages in / out', `${sum(rows, (r) => r.messagesIn)} / ${sum(rows, (r) => r.messagesOut)}`],
      ['waitMax', 'Longest wait', duration(waitMax)],
      ['answeredWithin', 'Answered within service level', sum(rows, (r) => r.serviceLevel?.answeredWithin)],
      ['csat', 'CSAT', csatAverage === null ? '—' : `${csatAverage.toFixed(2)} (${csatResponses})`],
    ];
    const busiest = created.reduce((best, n, i) => (n > created[best] ? i : best), 0);
    const createdTotal = created.reduce((a, b) => a + b, 0);
    const p90s = waitP90.filter((v) => v !== null);
    const chatsChart = h('div', {
      class: 'sv-chart', dataset: { chart: 'created' }, role: 'img',
      'aria-label': createdTotal ? `Chats created per hour: ${createdTotal} today, most at ${clock(hours[busiest] * 1000)} (${created[busiest]}).` : 'Chats created per hour: none today.',
    });
    const waitChart = h('div', {
      class: 'sv-chart', dataset: { chart: 'waitP90' }, role: 'img',
      'aria-label': p90s.length ? `Wait p90 per hour: highest ${duration(Math.max(...p90s))}.` : 'Wait p90 per hour: no chat assigned today.',
    });
    const card = h('article', { class: 'sv-report-card', dataset: { queueId } },
      h('h3', {}, queueName(queueId)),
      h('dl', { class: 'sv-totals' }, ...totals.flatMap(([key, label, value]) => [h('dt', {}, label), h('dd', { dataset: { total: key } }, value)])),
      h('figure', {}, h('figcaption', { class: 'small muted' }, 'Chats created per hour'), chatsChart),
      h('figure', {}, h('figcaption', { class: 'small muted' }, 'Wait p90 per hour (seconds)'), waitChart),
    );
    // an hour with no chat draws no bar (a zero-height bar would draw a line along the axis)
    const bars = created.map((n) => n || null);
    return { card, draw: () => [chart(chatsChart, hours, bars, 'chats', '#0b66e4', true), chart(waitChart, hours, waitP90, 'p90 s', '#b65c02', false)] };
  });
  $('report').replaceChildren(...cards.map((c) => c.card));
  if (cards.length === 0) $('report').append(h('p', { class: 'muted small' }, 'No queues yet.'));
  // drawn once in the page, so that they take their box's width
  for (const c of cards) state.charts.push(...c.draw());
}

/** One small uPlot chart; bars for counts, a line with points for a measure. */
function chart(target, xs, ys, label, color, bars) {
  const width = Math.max(200, target.clientWidth || 300);
  const opts = {
    width,
    height: 120,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: {
      // half an hour either side, so that the first and the current hour's bars are whole
      x: { time: true, range: () => [xs[0] - 1800, xs[xs.length - 1] + 1800] },
      y: { range: (_u, _min, max) => [0, Math.max(bars ? 2 : 10, Math.ceil((max ?? 0) * 1.1))] },
    },
    axes: [
      { size: 28, font: '11px system-ui', incrs: [3600, 7200, 10800, 21600], values: (_u, ticks) => ticks.map((t) => new Date(t * 1000).toLocaleTimeString([], { hour: 'numeric' })) },
      // whole numbers only: chats and seconds
      { size: 40, font: '11px system-ui', incrs: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200], values: (_u, ticks) => ticks.map((t) => String(t)) },
    ],
    series: [
      {},
      bars
        ? { label, stroke: color, fill: `${color}99`, paths: uPlot.paths.bars({ size: [0.7, 24] }), points: { show: false } }
        : { label, stroke: color, width: 2, spanGaps: false, points: { show: true, size: 5, fill: color } },
    ],
  };
  return new uPlot(opts, [xs, ys], target);
}

const resized = new ResizeObserver(() => {
  for (const c of state.charts) {
    const width = c.root.parentElement?.clientWidth;
    if (width && Math.abs(width - c.width) > 4) c.setSize({ width: Math.max(200, width), height: 120 });
  }
});
resized.observe($('report'));

// ---------- start ----------
async function start() {
  try {
    const res = await fetch('config.json', { cache: 'no-store' });
    if (res.ok) state.config = { ...state.config, ...(await res.json()) };
  } catch {
    // no config: same origin, token sign-in only
  }
  if (state.config.hostedUi?.url && state.config.hostedUi?.clientId) {
    state.auth = new HostedSignIn(state.config.hostedUi, {
      onRefresh: (auth) => {
        state.token = auth.accessToken;
      },
      onEnded: (error) => endSession(error.message),
    });
    try {
      if (await state.auth.resume()) return signIn(state.auth.accessToken, state.auth.profile);
    } catch (error) {
      return showSignIn(error.message);
    }
    return showSignIn();
  }
  const fragment = new URLSearchParams(location.hash.slice(1));
  const fromLink = fragment.get('token');
  if (fromLink) history.replaceState(null, '', location.pathname + location.search);
  // the agent console's token serves here too when it carries a supervisor group (its link leads here)
  const agentToken = sessionStorage.getItem('omnichat.token');
  const token = fromLink || sessionStorage.getItem(tokenKey) || (groupsOf(claimsOf(agentToken ?? '')).some((g) => supervisorGroups.includes(g)) ? agentToken : null);
  if (token) signIn(token);
  else showSignIn();
}
void start();
