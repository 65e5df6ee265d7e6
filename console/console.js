// Omnichat agent console: one page, no framework, speaks the agent WebSocket protocol (docs/websocket.md).
// config.json beside this file says where the socket and the API are (same origin locally), and, when
// deployed, the user pool's hosted sign-in (`hostedUi`); without it the page takes dev or pasted tokens.
import { bindSignInForms, claimsOf, HostedSignIn } from './auth.js';
import { groupsOf, h, toast } from './dom.js';

const $ = (id) => document.getElementById(id);
const tokenKey = 'omnichat.token';
const backoff = { firstMs: 500, maxMs: 15_000 };
const pingEveryMs = 5 * 60_000;
/** API Gateway closes the socket on a message over 128 KB of UTF-8; the console never sends one. */
const maxFrameBytes = 128 * 1024;
const frameBytes = (frame) => new TextEncoder().encode(JSON.stringify(frame)).length;

const state = {
  config: { socketUrl: null, apiUrl: '', devTokens: false, hostedUi: null },
  token: null,
  /** The hosted sign-in, when config.json names one. */
  auth: null,
  agent: { id: '', name: '' },
  status: 'offline',
  /** chatId → { chat, expiresAt } */
  offers: new Map(),
  /** chatId → { chat, messages: Message[], unread, closedReason, olderCursor?, loadingHistory? } (olderCursor: older messages exist, read with `history`) */
  chats: new Map(),
  selected: null,
  /** Highest cursor applied; events at or below it were seen already. */
  cursor: 0,
  /** Replies sent but not yet acknowledged with `sent`; resent with the same clientMessageId after a reconnect. */
  outbox: new Map(),
  quickReplies: [],
  actions: [],
  notificationSoundUrl: null,
  socket: null,
  /** The connection being replaced after a token refresh; closed once its successor is open. */
  retiring: null,
  attempts: 0,
  /** Live events received while a sync is in flight, re-applied over the snapshot. */
  syncing: null,
  /** Narrow screens show the list or the conversation: 'list' | 'chat'. */
  view: 'list',
  /** The transfer dialog: its chat, the targets last received, and the chosen one ({ kind, id }). */
  transfer: { chatId: null, queues: [], agents: [], chosen: null, timer: null },
  /** chatId → earlier chats of its customer (`customerHistory`), or 'loading'. */
  customerHistory: new Map(),
  /** chatId → its private notes (`notes`, then `noteAdded`), or 'loading'. */
  notes: new Map(),
  /** chatId → its quick replies rendered for it (`GET /api/quick-replies?chatId=`), or 'loading'. */
  chatReplies: new Map(),
  /** contactId → contact, for those this console created, found or linked. */
  contacts: new Map(),
  /** What the composer writes: 'reply' (to the customer) or 'note' (private). */
  composeMode: 'reply',
  /** chatId → when `typing` was last sent (at most every 3 s). */
  typingAt: new Map(),
  /** queueId → dispositions, or null when the API has none. */
  dispositions: new Map(),
  /** requestId → { chatId, file } of an attachment being uploaded. */
  uploads: new Map(),
};
const baseTitle = document.title;

// ---------- small DOM helpers ----------
const time = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
const randomId = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`);

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
  state.token = token;
  state.agent = { id: claims.sub, name: profile?.name || profile?.email || claims.name || claims.username || claims.sub };
  // the hosted sign-in keeps its own tokens; a dev or pasted token is kept for this tab
  if (!state.auth) sessionStorage.setItem(tokenKey, token);
  $('sign-in').hidden = true;
  $('app').hidden = false;
  $('agent-name').textContent = state.agent.name;
  // supervisors and admins also get the supervisor page
  $('supervisor-link').hidden = !groupsOf(claims).some((g) => g === 'supervisors' || g === 'chat-admins');
  void loadAgentExtras();
  void connect();
}

/** The session cannot go on (refresh token expired or revoked, or the socket refuses it). */
function endSession(message) {
  state.auth?.clear();
  sessionStorage.removeItem(tokenKey);
  state.token = null;
  for (const socket of [state.socket, state.retiring]) socket?.close(1000, 'signed out');
  state.socket = null;
  state.retiring = null;
  showSignIn(message);
}

/** A refreshed access token: open a connection with it, and let the old one go once the new one is open. */
function onTokenRefreshed(auth) {
  state.token = auth.accessToken;
  if (state.socket?.readyState !== WebSocket.OPEN) return; // a reconnect on its way takes the new token
  state.retiring = state.socket;
  state.attempts = 0;
  void connect();
}

bindSignInForms({ $, state, groups: ['agents'], signIn, showSignIn, endSession });

// ---------- the management API (quick replies of a chat, dispositions, contacts; actions and sound when the snapshot lacks them) ----------
async function apiGet(path) {
  try {
    const res = await fetch(`${state.config.apiUrl}${path}`, { headers: { authorization: `Bearer ${state.token}` } });
    return res.ok ? await res.json() : null;
  } catch {
    return null;
  }
}
/** A write to the API: `{ ok, status, body }`; `status` 0 when the API could not be reached. */
async function apiSend(method, path, body) {
  try {
    const res = await fetch(`${state.config.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${state.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { ok: res.ok, status: res.status, body: await res.json().catch(() => null) };
  } catch {
    return { ok: false, status: 0, body: null };
  }
}
/** The API's error message, or a plain one. */
const apiError = (answer) => answer.body?.error?.message ?? (answer.status ? `the server answered ${answer.status}` : 'the server could not be reached');
async function loadAgentExtras() {
  const [actions, settings] = await Promise.all([apiGet('/api/actions?limit=100'), apiGet('/api/settings')]);
  if (actions?.items && state.actions.length === 0) state.actions = actions.items;
  if (settings?.notificationSoundUrl && !state.notificationSoundUrl) state.notificationSoundUrl = settings.notificationSoundUrl;
  render();
}

function chime() {
  document.body.dataset.chimes = String(Number(document.body.dataset.chimes || 0) + 1);
  if (state.notificationSoundUrl) {
    new Audio(state.notificationSoundUrl).play().catch(() => {});
    return;
  }
  try {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.4);
  } catch {
    // no audio device: the offer is still on screen
  }
}

// ---------- the socket ----------
function socketUrl() {
  const base = state.config.socketUrl || `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  return `${base}${base.includes('?') ? '&' : '?'}token=${encodeURIComponent(state.token)}`;
}

function setConnection(kind, text) {
  $('connection').dataset.state = kind;
  $('connection').textContent = text;
}

async function connect() {
  if (!state.token) return;
  // a refreshed token's connection opens beside the live one: the agent stays connected meanwhile
  if (!state.retiring) setConnection('connecting', state.attempts ? `Reconnecting (attempt ${state.attempts + 1})…` : 'Connecting…');
  if (state.auth) {
    // $connect checks the token once: never open a connection with one about to expire
    try {
      state.token = await state.auth.freshToken();
    } catch (error) {
      if (!error.transient) return endSession(error.message);
      state.attempts += 1;
      setConnection('closed', 'Sign-in service unreachable — retrying');
      setTimeout(connect, Math.min(backoff.maxMs, backoff.firstMs * 2 ** state.attempts));
      return;
    }
  }
  if (!state.token) return;
  const socket = new WebSocket(socketUrl());
  state.socket = socket;
  // reachable from the devtools (and browser tests) to see or drop the live connection
  window.omnichatSocket = socket;
  let opened = false;
  let pinger;
  socket.addEventListener('open', () => {
    opened = true;
    state.attempts = 0;
    setConnection('open', 'Connected');
    if (state.retiring && state.retiring !== socket) {
      state.retiring.close(1000, 'token refreshed');
      state.retiring = null;
    }
    // nothing is pushed while $connect runs: ask for everything since the last cursor
    state.syncing = [];
    send({ action: 'sync', ...(state.cursor ? { since: state.cursor } : {}), requestId: 'sync' });
    for (const [clientMessageId, pending] of state.outbox) send({ action: 'send', chatId: pending.chatId, text: pending.text, clientMessageId, requestId: clientMessageId });
    pinger = setInterval(() => send({ action: 'ping' }), pingEveryMs);
  });
  socket.addEventListener('message', (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    onFrame(frame);
  });
  socket.addEventListener('close', () => {
    clearInterval(pinger);
    if (state.socket !== socket || !state.token) return;
    state.socket = null;
    state.attempts += 1;
    if (!opened && state.attempts >= 6) {
      // refused every time: most likely the token expired or this user is not an agent
      setConnection('closed', 'Cannot connect');
      return endSession('The server refused the connection. Sign in again.');
    }
    const delay = Math.min(backoff.maxMs, backoff.firstMs * 2 ** (state.attempts - 1)) * (0.75 + Math.random() / 2);
    setConnection('closed', `Disconnected — retrying in ${Math.ceil(delay / 1000)} s`);
    setTimeout(connect, delay);
  });
}

function send(frame) {
  // while a refreshed connection opens, the one it replaces still carries frames
  const socket = [state.socket, state.retiring].find((s) => s?.readyState === WebSocket.OPEN);
  if (!socket) return false;
  socket.send(JSON.stringify(frame));
  return true;
}

// ---------- applying frames ----------
function onFrame(frame) {
  if (frame.type === 'snapshot') return applySnapshot(frame);
  if (typeof frame.cursor === 'number') {
    if (state.syncing) state.syncing.push(frame);
    if (frame.cursor <= state.cursor) return;
    state.cursor = frame.cursor;
    applyEvent(frame, true);
  } else if (frame.type === 'message' && !frame.requestId) {
    // messages come live without a cursor (a reconnect reads them with the held chats): kept over a snapshot in flight
    if (state.syncing) state.syncing.push(frame);
    applyEvent(frame, true);
  } else applyReply(frame);
  render();
}

function applySnapshot(snapshot) {
  const live = state.syncing ?? [];
  state.syncing = null;
  state.status = snapshot.status;
  state.offers = new Map((snapshot.offers ?? []).map((o) => [o.chat.id, offerOf(o)]));
  const previous = state.chats;
  state.chats = new Map();
  for (const held of snapshot.chats ?? []) {
    const before = previous.get(held.chat.id);
    // older messages loaded before the reconnect stay when the snapshot's newest page joins them
    const joins = before && held.messages.length > 0 && before.messages.some((m) => m.id === held.messages[0].id);
    const messages = joins ? mergeMessages(before.messages, held.messages) : [...held.messages];
    const olderCursor = joins ? before.olderCursor : held.olderCursor;
    // customer messages that arrived while away count as unread
    const missed = before ? held.messages.filter((m) => m.direction === 'in' && !before.messages.some((b) => b.id === m.id)).length : 0;
    state.chats.set(held.chat.id, { chat: held.chat, messages, olderCursor, unread: (before?.unread ?? 0) + (held.chat.id === state.selected && !document.hidden ? 0 : missed), closedReason: null });
  }
  // chats closed while away stay visible (marked) until the agent dismisses them
  for (const event of snapshot.events ?? []) if (event.type === 'chatClosed' && previous.has(event.chatId)) keepClosed(previous.get(event.chatId), event.reason);
  for (const [id, entry] of previous) if (entry.closedReason && !state.chats.has(id)) state.chats.set(id, entry);
  if (Array.isArray(snapshot.quickReplies)) state.quickReplies = snapshot.quickReplies;
  if (Array.isArray(snapshot.actions)) state.actions = snapshot.actions;
  if (typeof snapshot.notificationSoundUrl === 'string') state.notificationSoundUrl = snapshot.notificationSoundUrl;
  state.cursor = Math.max(state.cursor, snapshot.cursor ?? 0);
  for (const event of live) if (event.cursor === undefined || event.cursor > snapshot.cursor) applyEvent(event, false);
  // events that did not fit one snapshot: ask for the rest
  if (snapshot.moreEvents) {
    state.syncing = [];
    send({ action: 'sync', since: snapshot.cursor, requestId: 'sync' });
  }
  if (state.selected && !state.chats.has(state.selected)) state.selected = null;
  if (!state.selected) state.selected = [...state.chats.keys()][0] ?? null;
  render();
}

/** What an offer card shows: the chat, its expiry, the first message and a transfer note. */
function offerOf(frame) {
  return { chat: frame.chat, expiresAt: frame.expiresAt, preview: frame.preview, transferNote: frame.transferNote ?? frame.chat.transferNote };
}

function mergeMessages(older, newer) {
  const byId = new Map(older.map((m) => [m.id, m]));
  for (const m of newer) byId.set(m.id, { ...byId.get(m.id), ...m });
  return [...byId.values()].sort((a, b) => (a.sentAt < b.sentAt ? -1 : a.sentAt > b.sentAt ? 1 : 0));
}

/** Asks for the page of messages before the oldest one shown. */
function loadEarlier(chatId) {
  const entry = state.chats.get(chatId);
  if (!entry?.olderCursor || entry.loadingHistory) return;
  if (send({ action: 'history', chatId, before: entry.olderCursor, requestId: `history-${chatId}` })) {
    entry.loadingHistory = true;
    render();
  }
}

function keepClosed(entry, reason) {
  state.chats.set(entry.chat.id, { ...entry, closedReason: reason });
}

/** How far an agent's message has got: a later frame never moves it back (`failed` is final). */
const statusRank = { pending: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

function upsertMessage(chatId, message, fromCustomer) {
  const entry = state.chats.get(chatId);
  if (!entry) return;
  const at = entry.messages.findIndex((m) => m.id === message.id);
  if (at >= 0) {
    // the `sent` acknowledgement may come after the delivery's `messageStatus`: a status never goes back
    const before = entry.messages[at];
    const keep = statusRank[before.status] > (statusRank[message.status] ?? 0) ? { status: before.status, ...(before.error ? { error: before.error } : {}) } : {};
    entry.messages[at] = { ...before, ...message, ...keep };
  }
  else {
    entry.messages.push(message);
    entry.messages.sort((a, b) => (a.sentAt < b.sentAt ? -1 : a.sentAt > b.sentAt ? 1 : 0));
    // unread while the agent is not looking at it: another chat is open, or the tab is hidden
    if (fromCustomer && (state.selected !== chatId || document.hidden)) entry.unread += 1;
  }
}

function applyEvent(event, live) {
  switch (event.type) {
    case 'chatOffered':
      state.offers.set(event.chat.id, offerOf(event));
      if (live) {
        chime();
        notify(`New chat: ${customerName(event.chat)}`, event.preview?.text ?? (event.preview?.attachments ? '📎 attachment' : event.chat.channelType), `offer-${event.chat.id}`);
      }
      break;
    case 'offerWithdrawn':
      if (state.offers.delete(event.chatId) && live) {
        const why = { timeout: 'it was not accepted in time', taken: 'another agent took it', closed: 'it was closed' }[event.reason] ?? event.reason;
        toast(`Offer withdrawn: ${why}.`);
      }
      break;
    case 'chatAssigned': {
      state.offers.delete(event.chat.id);
      const isNew = !state.chats.has(event.chat.id);
      state.chats.set(event.chat.id, { chat: event.chat, messages: [...(event.messages ?? [])], olderCursor: event.olderCursor, unread: 0, closedReason: null });
      if (isNew && live) chime();
      if (!state.selected || isNew) state.selected = event.chat.id;
      if (isNew && live) state.view = 'chat';
      if (isNew && live && !document.hidden) markSeen(state.chats.get(event.chat.id));
      break;
    }
    case 'message':
      upsertMessage(event.chatId, event.message, event.message.direction === 'in');
      if (event.message.direction === 'in') {
        const entry = state.chats.get(event.chatId);
        if (entry) entry.chat = { ...entry.chat, lastMessageAt: event.message.sentAt };
        if (entry && live) notify(customerName(entry.chat), event.message.text ?? '📎 attachment', `chat-${event.chatId}`);
      }
      break;
    case 'messageStatus': {
      const entry = state.chats.get(event.chatId);
      const message = entry?.messages.find((m) => m.id === event.messageId);
      if (message && (statusRank[event.status] ?? 0) >= (statusRank[message.status] ?? 0)) {
        message.status = event.status;
        if (event.error) message.error = event.error;
      }
      if (event.status === 'failed' && live) toast(`A reply could not be delivered: ${event.error ?? 'unknown reason'}`, 'error');
      break;
    }
    case 'chatClosed': {
      const entry = state.chats.get(event.chatId);
      if (entry) keepClosed(entry, event.reason);
      if ($('close-form').dataset.chatId === event.chatId && $('close-dialog').open) $('close-dialog').close();
      break;
    }
    case 'noteAdded':
      addNote(event.chatId, event.note);
      break;
    case 'statusChanged':
      state.status = event.status;
      if (event.reason === 'accept_timeout' && live) toast('You were set inactive because an offer timed out.', 'error');
      break;
  }
}

function applyReply(frame) {
  if (frame.requestId?.startsWith('upload-') && frame.url && frame.attachment) return void putUpload(frame);
  switch (frame.type) {
    case 'sent':
      state.outbox.delete(frame.clientMessageId);
      if (frame.message) upsertMessage(frame.chatId, frame.message, false);
      break;
    case 'actionRun': {
      const action = state.actions.find((a) => a.id === frame.actionId);
      toast(`Action “${action?.caption ?? frame.detailType}” started.`);
      break;
    }
    case 'history': {
      const entry = state.chats.get(frame.chatId);
      if (!entry) break;
      entry.messages = mergeMessages(frame.messages ?? [], entry.messages);
      entry.olderCursor = frame.olderCursor;
      entry.loadingHistory = false;
      entry.keepScroll = true;
      break;
    }
    case 'transferTargets':
      if (frame.chatId === state.transfer.chatId) {
        state.transfer.queues = frame.queues ?? [];
        state.transfer.agents = frame.agents ?? [];
        renderTransferDialog();
      }
      break;
    case 'customerHistory':
      state.customerHistory.set(frame.chatId, frame.items ?? []);
      break;
    case 'noted':
      addNote(frame.note.chatId, frame.note);
      break;
    case 'notes':
      state.notes.set(frame.chatId, mergeNotes(frame.items ?? [], Array.isArray(state.notes.get(frame.chatId)) ? state.notes.get(frame.chatId) : []));
      break;
    case 'error':
      if (frame.requestId?.startsWith('close-') && $('close-dialog').open) {
        // the chat stays open: say why in the dialog, which stays open to choose again
        $('close-error').textContent = closeRefusals[frame.code] ?? frame.message ?? frame.code;
        $('close-confirm').disabled = false;
        if (frame.code === 'disposition_required') $('disposition-field').hidden = false;
        break;
      }
      if (frame.requestId?.startsWith('upload-')) state.uploads.delete(frame.requestId);
      if (frame.requestId?.startsWith('customer-history-')) state.customerHistory.set(frame.requestId.slice('customer-history-'.length), []);
      if (frame.requestId?.startsWith('notes-')) state.notes.set(frame.requestId.slice('notes-'.length), []);
      if (frame.requestId && state.outbox.has(frame.requestId)) state.outbox.delete(frame.requestId);
      if (frame.requestId?.startsWith('history-')) {
        const entry = state.chats.get(frame.requestId.slice('history-'.length));
        if (entry) entry.loadingHistory = false;
      }
      toast(frame.message || frame.code, 'error');
      break;
  }
}

const closeRefusals = {
  disposition_required: 'This queue needs an outcome to close a chat: choose one.',
  unknown_disposition: 'That outcome is no longer available: choose another.',
};

/** A private note, once, in time order. */
function addNote(chatId, note) {
  const known = state.notes.get(chatId);
  state.notes.set(chatId, mergeNotes(Array.isArray(known) ? known : [], [note]));
}
function mergeNotes(a, b) {
  const byId = new Map([...a, ...b].map((n) => [n.id, n]));
  return [...byId.values()].sort((x, y) => (x.createdAt < y.createdAt ? -1 : x.createdAt > y.createdAt ? 1 : 0));
}

// ---------- rendering ----------
const customerName = (chat) => chat.customer?.name || chat.customer?.id || 'Customer';
const statusMarks = { pending: '…', sent: '✓ sent', delivered: '✓✓ delivered', read: '✓✓ read', failed: '⚠ failed' };

function countdownText(expiresAt) {
  const left = Math.max(0, Math.round((Date.parse(expiresAt) - Date.now()) / 1000));
  return `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
}

/** m:ss (or h:mm:ss) since `iso`. */
function elapsedText(iso) {
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
  const mmss = `${Math.floor((s % 3600) / 60)}:${String(s % 60).padStart(2, '0')}`;
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mmss.padStart(5, '0')}` : mmss;
}

/** Unread customer messages and offers waiting: shown in the tab's title. */
function unreadCount() {
  let n = state.offers.size;
  for (const entry of state.chats.values()) n += entry.unread;
  return n;
}

function render() {
  if (!state.token) return;
  const status = $('status-control');
  status.dataset.status = state.status;
  for (const button of status.querySelectorAll('button')) button.setAttribute('aria-checked', String(button.dataset.value === state.status));

  const offers = [...state.offers.values()];
  $('no-offers').hidden = offers.length > 0;
  $('offers').replaceChildren(
    ...offers.map(({ chat, expiresAt, preview, transferNote }) =>
      h('li', { class: 'offer', dataset: { chatId: chat.id } },
        h('strong', {}, customerName(chat)),
        h('button', { class: 'accept primary', onclick: () => send({ action: 'accept', chatId: chat.id, requestId: `accept-${chat.id}` }) }, 'Accept'),
        h('span', { class: 'small muted' }, h('span', { class: `badge ${chat.channelType}` }, chat.channelType), ' waiting ',
          h('span', { class: 'waited', dataset: { since: chat.createdAt } }, elapsedText(chat.createdAt)), ' · ',
          expiresAt ? h('span', { class: 'countdown', dataset: { expires: expiresAt } }, countdownText(expiresAt)) : 'first to accept gets it'),
        preview ? h('div', { class: 'first-message' }, preview.text ?? '', preview.attachments ? ` 📎×${preview.attachments}` : '') : null,
        transferNote ? h('div', { class: 'offer-note' }, `Note from ${transferNote.fromAgentName}: ${transferNote.text}`) : null,
      ),
    ),
  );

  const chats = [...state.chats.values()].sort((a, b) => (a.chat.lastMessageAt < b.chat.lastMessageAt ? 1 : -1));
  $('no-chats').hidden = chats.length > 0;
  $('chats').replaceChildren(
    ...chats.map(({ chat, messages, unread, closedReason }) => {
      const last = messages[messages.length - 1];
      return h('li', {
        class: `chat-item${chat.id === state.selected ? ' selected' : ''}${closedReason ? ' closed' : ''}`,
        dataset: { chatId: chat.id },
        onclick: () => select(chat.id),
      },
        h('div', { class: 'top' }, h('strong', {}, customerName(chat)), h('span', { class: `badge ${chat.channelType}` }, chat.channelType),
          closedReason ? h('span', { class: 'badge' }, 'closed') : null, h('span', { class: 'spacer' }), unread ? h('span', { class: 'unread' }, unread) : null),
        h('div', { class: 'preview' }, last ? `${last.direction === 'out' ? 'You: ' : ''}${last.text ?? '[attachment]'}` : ''),
      );
    }),
  );
  renderChat();
  const unread = unreadCount();
  document.title = unread > 0 ? `(${unread}) ${baseTitle}` : baseTitle;
  $('app').dataset.view = state.selected && state.chats.has(state.selected) ? state.view : 'list';
  $('enable-notifications').hidden = !('Notification' in window) || Notification.permission !== 'default';
}

function select(chatId) {
  state.selected = chatId;
  state.view = 'chat';
  const entry = state.chats.get(chatId);
  if (entry) entry.unread = 0;
  markSeen(entry);
  render();
  $('composer').elements.text.focus();
}

/** The URL when it is an http(s) link; anything else (`javascript:`, `data:`, …) is shown as text, never linked. */
function webUrl(url) {
  try {
    const parsed = new URL(String(url));
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}

function renderChat() {
  const entry = state.selected ? state.chats.get(state.selected) : null;
  $('empty').hidden = Boolean(entry);
  $('chat').hidden = !entry;
  if (!entry) return;
  const { chat, messages, closedReason } = entry;
  if (!document.hidden) entry.unread = 0;
  $('chat').dataset.chatId = chat.id;
  $('chat-customer').textContent = customerName(chat);
  $('chat-meta').textContent = [chat.channelType, chat.language && languageName(chat.language), `since ${time(chat.createdAt)}`].filter(Boolean).join(' · ');
  renderCustomer(entry);

  const list = $('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const heightBefore = list.scrollHeight;
  list.replaceChildren(
    ...(entry.olderCursor
      ? [h('li', { class: 'load-earlier' }, h('button', { type: 'button', id: 'load-earlier', disabled: entry.loadingHistory, onclick: () => loadEarlier(chat.id) }, entry.loadingHistory ? 'Loading…' : 'Load earlier messages'))]
      : []),
    ...withDays(withNotes(messages, state.notes.get(chat.id)), (m) => m.note ? noteItem(m.note) :
      h('li', { class: `message ${m.direction}${m.status === 'failed' ? ' failed' : ''}`, dataset: { messageId: m.id, status: m.status } },
        m.text ?? '',
        ...(m.attachments ?? []).map((a) =>
          h('div', { class: 'attachment' }, webUrl(a.url) ? h('a', { href: webUrl(a.url), target: '_blank', rel: 'noopener noreferrer' }, `📎 ${a.name ?? a.type}`) : `📎 ${a.name ?? a.type} (${a.url})`),
        ),
        m.payload && !m.text ? h('div', { class: 'small muted' }, `chose: ${m.payload}`) : null,
        m.refusedAttachments ? h('div', { class: 'small muted refused' }, `📎 ${m.refusedAttachments === 1 ? 'an attachment' : `${m.refusedAttachments} attachments`} not accepted on this channel (the customer was told)`) : null,
        m.status === 'failed' && m.error ? h('div', { class: 'failure' }, m.error) : null,
        h('div', { class: 'meta' }, time(m.sentAt), m.direction === 'out' ? ` · ${statusMarks[m.status] ?? m.status}` : ''),
      ),
    ),
    ...(closedReason ? [h('li', { class: 'notice' }, `Chat closed (${closedReason}).`)] : []),
  );
  if (entry.keepScroll && list.dataset.chatId === chat.id) {
    // older messages went in above: keep the ones on screen where they were
    list.scrollTop += list.scrollHeight - heightBefore;
    entry.keepScroll = false;
  } else if (atBottom || list.dataset.chatId !== chat.id) list.scrollTop = list.scrollHeight;
  list.dataset.chatId = chat.id;

  const open = !closedReason;
  $('composer').hidden = !open;
  $('close-chat').textContent = open ? 'Close' : 'Dismiss';
  $('transfer').hidden = !open;
  $('compose-mode').hidden = !open;
  $('composer').dataset.mode = state.composeMode;
  $('composer').elements.text.placeholder = state.composeMode === 'note'
    ? 'Write a private note… only agents and supervisors see it (Enter to save)'
    : 'Write a reply… (Enter to send, Shift+Enter for a new line)';
  $('composer-submit').textContent = state.composeMode === 'note' ? 'Add note' : 'Send';
  $('attach').hidden = !open || state.composeMode === 'note';
  // the chat's quick replies, in its language and with the customer's name filled in (the server renders them)
  let replies = state.chatReplies.get(chat.id);
  if (replies === undefined && open) {
    state.chatReplies.set(chat.id, 'loading');
    void apiGet(`/api/quick-replies?chatId=${encodeURIComponent(chat.id)}&limit=100`).then((found) => {
      state.chatReplies.set(chat.id, found?.items ?? []);
      if (state.selected === chat.id) render();
    });
  }
  replies = Array.isArray(replies) ? replies : [];
  $('quick-replies').hidden = !open || state.composeMode === 'note';
  $('quick-replies').replaceChildren(
    ...replies.map((q) => {
      const text = q.rendered ?? q.text;
      return h('button', { type: 'button', title: 'Insert this reply', dataset: { id: q.id }, onclick: () => insertReply(text) }, [...text].length > 40 ? `${[...text].slice(0, 40).join('')}…` : text);
    }),
  );
  const actions = state.actions.filter((a) => !a.queueId || a.queueId === chat.queueId);
  $('chat-actions').replaceChildren(
    ...(open ? actions : []).map((a) => h('button', { type: 'button', onclick: () => send({ action: 'runAction', chatId: chat.id, actionId: a.id, requestId: `action-${a.id}` }) }, `⚡ ${a.caption}`)),
  );
}

/** The messages and the private notes, in time order (a note is `{ note, sentAt }`). */
function withNotes(messages, notes) {
  if (!Array.isArray(notes) || notes.length === 0) return messages;
  const all = [...messages, ...notes.map((n) => ({ note: n, sentAt: n.createdAt }))];
  return all.sort((a, b) => (a.sentAt < b.sentAt ? -1 : a.sentAt > b.sentAt ? 1 : 0));
}
/** A private note: marked so, never looking like a message to the customer. */
function noteItem(note) {
  return h('li', { class: 'note', dataset: { noteId: note.id }, 'aria-label': `Private note by ${note.authorName ?? note.authorId}` },
    h('div', { class: 'note-label' }, '🔒 Private note · ', note.authorName ?? note.authorId),
    h('div', { class: 'note-text' }, note.text),
    h('div', { class: 'meta' }, time(note.createdAt), ' · not sent to the customer'),
  );
}

/** The messages with a separator before each new day: Today, Yesterday, or the date. */
function withDays(messages, item) {
  const out = [];
  let day = null;
  for (const m of messages) {
    const d = new Date(m.sentAt);
    const key = d.toDateString();
    if (key !== day) {
      day = key;
      out.push(h('li', { class: 'day-separator', role: 'separator', dataset: { day: d.toISOString().slice(0, 10) } }, dayLabel(d)));
    }
    out.push(item(m));
  }
  return out;
}

function dayLabel(d) {
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (d.toDateString() === today.toDateString()) return 'Today';
  if (d.toDateString() === yesterday.toDateString()) return 'Yesterday';
  return d.toLocaleDateString([], { weekday: 'short', day: 'numeric', month: 'short', ...(d.getFullYear() !== today.getFullYear() ? { year: 'numeric' } : {}) });
}

/** `pt-BR` → "Portuguese (Brazil) · pt-BR", when the browser can name it. */
function languageName(tag) {
  try {
    const name = new Intl.DisplayNames([navigator.language || 'en'], { type: 'language' }).of(tag);
    return name && name !== tag ? `${name} · ${tag}` : tag;
  } catch {
    return tag;
  }
}

/** The customer panel: picture (http(s) only), name, channel, language, contact, transfer note, earlier chats. */
function renderCustomer(entry) {
  const { chat } = entry;
  const name = customerName(chat);
  const picture = chat.customer?.avatarUrl ? webUrl(chat.customer.avatarUrl) : null;
  const img = $('customer-picture');
  if (picture && img.getAttribute('src') !== picture) img.src = picture;
  img.hidden = !picture;
  img.onerror = () => (img.hidden = true);
  $('customer-initials').textContent = [...name.replace(/^@/, '')].slice(0, 1).join('').toUpperCase();
  $('customer-name').textContent = name;
  $('customer-channel').textContent = chat.channelType;
  $('customer-language').textContent = chat.language ? languageName(chat.language) : 'not known';
  const contact = chat.contactId ? state.contacts.get(chat.contactId) : null;
  $('customer-contact').textContent = chat.contactId ? (contact ? [contact.name, contact.email, contact.phone].filter(Boolean).join(' · ') : 'linked') : 'no contact linked';
  $('customer-contact').dataset.contactId = chat.contactId ?? '';
  $('contact-link-open').textContent = chat.contactId ? 'Link to another contact' : 'Link to a contact';
  $('contact-tools').hidden = Boolean(entry.closedReason);
  if ($('contact-tools').dataset.chatId !== chat.id) {
    // another chat: the forms start closed
    $('contact-tools').dataset.chatId = chat.id;
    closeContactForms();
  }
  const note = chat.transferNote;
  $('transfer-note').hidden = !note;
  $('transfer-note').textContent = note ? `Note from ${note.fromAgentName}: ${note.text}` : '';
  const history = state.customerHistory.get(chat.id);
  if (history === undefined && !entry.closedReason) {
    if (send({ action: 'customerHistory', chatId: chat.id, requestId: `customer-history-${chat.id}` })) state.customerHistory.set(chat.id, 'loading');
  }
  if (state.notes.get(chat.id) === undefined && !entry.closedReason) {
    if (send({ action: 'notes', chatId: chat.id, requestId: `notes-${chat.id}` })) state.notes.set(chat.id, 'loading');
  }
  const items = Array.isArray(history) ? history.filter((c) => c.id !== chat.id) : [];
  $('earlier-chats').hidden = !Array.isArray(history);
  $('earlier-chat-list').replaceChildren(
    ...(items.length === 0 ? [h('li', { class: 'muted' }, 'None')] : items.map((c) =>
      h('li', { class: 'earlier-chat', dataset: { chatId: c.id } },
        h('div', { class: 'earlier-top' },
          h('time', { datetime: c.createdAt }, new Date(c.createdAt).toLocaleDateString([], { day: 'numeric', month: 'short', year: 'numeric' })),
          ' ', h('span', { class: `badge ${c.channelType}` }, c.channelType),
          c.state !== 'closed' ? h('span', { class: 'badge' }, c.state) : null),
        c.disposition ? h('div', { class: 'disposition' }, c.disposition.label) : h('div', { class: 'disposition muted' }, 'no outcome'),
        c.tags?.length ? h('div', { class: 'tags' }, ...c.tags.map((t) => h('span', { class: 'tag' }, t))) : null,
        c.lastMessage ? h('div', { class: 'muted preview' }, c.lastMessage.direction === 'out' ? 'Agent: ' : '', c.lastMessage.text ?? '📎 attachment') : null,
      ))),
  );
}

/** Tells the platform the agent saw the customer's messages (Messenger marks them seen; Telegram has no such call). */
function markSeen(entry) {
  if (entry && !entry.closedReason && entry.chat.channelType === 'messenger') send({ action: 'seen', chatId: entry.chat.id });
}

// ---------- contacts: link the customer to a contact found by name, email or phone, or to a new one ----------
function closeContactForms() {
  $('contact-search').hidden = true;
  $('contact-create').hidden = true;
  $('contact-error').textContent = '';
  $('contact-results').replaceChildren();
}
$('contact-link-open').addEventListener('click', () => {
  const opening = $('contact-search').hidden;
  closeContactForms();
  $('contact-search').hidden = !opening;
  if (opening) {
    $('contact-search').reset();
    $('contact-search').elements.query.focus();
  }
});
let contactSearchTimer = null;
$('contact-search').elements.query.addEventListener('input', () => {
  clearTimeout(contactSearchTimer);
  contactSearchTimer = setTimeout(searchContacts, 250);
});
$('contact-search').addEventListener('submit', (event) => {
  event.preventDefault();
  clearTimeout(contactSearchTimer);
  void searchContacts();
});
async function searchContacts() {
  const query = $('contact-search').elements.query.value.trim();
  if (!query) return $('contact-results').replaceChildren();
  const found = await apiGet(`/api/contacts?query=${encodeURIComponent(query.slice(0, 200))}&limit=10`);
  if (query !== $('contact-search').elements.query.value.trim()) return; // typed on meanwhile
  const items = found?.items ?? [];
  for (const c of items) state.contacts.set(c.id, c);
  $('contact-results').replaceChildren(
    ...(items.length === 0 ? [h('li', { class: 'muted' }, found ? 'No contact found.' : 'The contacts could not be searched.')] : items.map((c) =>
      h('li', { dataset: { contactId: c.id } },
        h('span', { class: 'label' }, c.name, c.email || c.phone ? h('span', { class: 'muted small' }, ` ${[c.email, c.phone].filter(Boolean).join(' · ')}`) : null),
        h('button', { type: 'button', class: 'link-contact', onclick: () => linkContact(c) }, 'Link')))),
  );
}
$('contact-create-open').addEventListener('click', () => {
  const entry = state.chats.get(state.selected);
  closeContactForms();
  $('contact-create').reset();
  $('contact-create').hidden = false;
  if (entry) $('contact-create').elements.name.value = customerName(entry.chat).replace(/^@/, '');
  $('contact-create').elements.name.focus();
});
$('contact-create-cancel').addEventListener('click', closeContactForms);
$('contact-create').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const body = Object.fromEntries(['name', 'email', 'phone'].map((k) => [k, form.elements[k].value.trim()]).filter(([, v]) => v));
  const created = await apiSend('POST', '/api/contacts', body);
  if (!created.ok) {
    const field = created.body?.error?.details?.[0]?.field;
    $('contact-error').textContent = `The contact was not created: ${field ? `check the ${field}` : apiError(created)}.`;
    return;
  }
  state.contacts.set(created.body.id, created.body);
  await linkContact(created.body);
});
async function linkContact(contact) {
  const chatId = state.selected;
  const linked = await apiSend('POST', `/api/chats/${encodeURIComponent(chatId)}/contact`, { contactId: contact.id });
  if (!linked.ok) {
    $('contact-error').textContent = `The chat was not linked: ${apiError(linked)}.`;
    return;
  }
  state.contacts.set(contact.id, contact);
  const entry = state.chats.get(chatId);
  if (entry) entry.chat = { ...entry.chat, contactId: contact.id };
  // the history now spans every channel of the contact
  state.customerHistory.delete(chatId);
  closeContactForms();
  toast(`Linked to ${contact.name}.`);
  render();
}

function insertReply(text) {
  const box = $('composer').elements.text;
  box.value = box.value ? `${box.value} ${text}` : text;
  box.focus();
}

// ---------- agent actions ----------
for (const button of $('status-control').querySelectorAll('button')) {
  button.addEventListener('click', () => {
    if (button.dataset.value !== state.status) send({ action: 'setStatus', status: button.dataset.value });
  });
}
$('back-to-list').addEventListener('click', () => {
  state.view = 'list';
  render();
});
$('customer-toggle').addEventListener('click', () => {
  const shown = $('chat').classList.toggle('show-customer');
  $('customer-toggle').setAttribute('aria-expanded', String(shown));
});

// ---------- browser notifications (asked for on a click) and the tab's title ----------
$('enable-notifications').addEventListener('click', async () => {
  try {
    await Notification.requestPermission();
  } finally {
    render();
  }
});
/** A system notification while the tab is hidden, when the agent allowed them; clicking it brings the tab back. */
function notify(title, body, tag) {
  if (!document.hidden || !('Notification' in window) || Notification.permission !== 'granted') return;
  try {
    const n = new Notification(title, { body: String(body).slice(0, 200), tag });
    n.onclick = () => {
      window.focus();
      if (tag.startsWith('chat-')) select(tag.slice(5));
      n.close();
    };
    document.body.dataset.notifications = String(Number(document.body.dataset.notifications || 0) + 1);
  } catch {
    // some browsers allow notifications only from a service worker: the title still counts
  }
}
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) render();
});

// ---------- transfer: a picker of agents (live status) and queues, and a note ----------
function openTransfer() {
  const chatId = state.selected;
  if (!chatId) return;
  state.transfer = { ...state.transfer, chatId, queues: [], agents: [], chosen: null };
  $('transfer-form').reset();
  askTransferTargets();
  clearInterval(state.transfer.timer);
  // statuses change while the agent chooses: ask again every 5 s while the dialog is open
  state.transfer.timer = setInterval(askTransferTargets, 5000);
  renderTransferDialog();
  $('transfer-dialog').showModal();
}
function askTransferTargets() {
  send({ action: 'transferTargets', chatId: state.transfer.chatId, requestId: `transfer-targets-${state.transfer.chatId}` });
}
function renderTransferDialog() {
  const { agents, queues, chosen } = state.transfer;
  const kind = new FormData($('transfer-form')).get('kind') ?? 'agent';
  $('transfer-agents').hidden = kind !== 'agent';
  $('transfer-queues').hidden = kind !== 'queue';
  const loading = state.transfer.chatId && agents.length === 0 && queues.length === 0;
  $('transfer-loading').hidden = !loading;
  const pick = (k, id) => {
    state.transfer.chosen = { kind: k, id };
    renderTransferDialog();
  };
  const option = (k, id, disabled, ...children) =>
    h('li', { role: 'option', tabindex: '0', 'aria-selected': String(chosen?.kind === k && chosen.id === id), 'aria-disabled': disabled ? 'true' : null, dataset: { id },
      onclick: () => pick(k, id), onkeydown: (e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), pick(k, id)) }, ...children);
  $('transfer-agents').replaceChildren(
    ...(agents.length === 0 && !loading ? [h('li', { class: 'muted' }, 'No other agents in this queue.')] : []),
    ...agents.map((a) => {
      const full = a.capacity !== undefined && a.load >= a.capacity;
      return option('agent', a.id, a.status !== 'active' || full,
        h('span', { class: `dot ${a.status}`, title: a.status }),
        h('span', { class: 'label' }, a.displayName),
        h('span', { class: 'small muted', dataset: { status: a.status } }, a.status, a.capacity !== undefined ? ` · ${a.load}/${a.capacity}` : ''));
    }),
  );
  $('transfer-queues').replaceChildren(
    ...queues.map((q) => option('queue', q.id, false, h('span', { class: 'label' }, q.name), q.waiting !== undefined ? h('span', { class: 'small muted' }, `${q.waiting} waiting`) : null)),
  );
  $('transfer-submit').disabled = !chosen || chosen.kind !== kind;
}
function closeTransfer() {
  clearInterval(state.transfer.timer);
  state.transfer = { ...state.transfer, chatId: null, timer: null };
  if ($('transfer-dialog').open) $('transfer-dialog').close();
}
$('transfer').addEventListener('click', openTransfer);
$('transfer-cancel').addEventListener('click', closeTransfer);
$('transfer-dialog').addEventListener('close', closeTransfer);
for (const radio of $('transfer-form').elements.kind) radio.addEventListener('change', renderTransferDialog);
$('transfer-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const { chatId, chosen } = state.transfer;
  if (!chatId || !chosen) return;
  const note = String(new FormData(event.target).get('note') ?? '').trim().slice(0, 500);
  send({ action: 'transfer', chatId, ...(chosen.kind === 'agent' ? { agentId: chosen.id } : { queueId: chosen.id }), ...(note ? { note } : {}), requestId: `transfer-${chatId}` });
  closeTransfer();
});

// ---------- close: confirmation, disposition (when the server has them) and tags ----------
async function dispositionsOf(queueId) {
  if (!queueId) return null;
  // read afresh each time (admins change them), the last list when the API cannot be reached
  const found = await apiGet(`/api/dispositions?queueId=${encodeURIComponent(queueId)}`);
  if (Array.isArray(found?.items)) state.dispositions.set(queueId, found.items);
  return state.dispositions.get(queueId) ?? null;
}
async function openClose(entry) {
  const form = $('close-form');
  form.reset();
  form.dataset.chatId = entry.chat.id;
  $('disposition-field').hidden = true;
  $('close-error').textContent = '';
  $('close-confirm').disabled = false;
  $('close-dialog').showModal();
  const items = await dispositionsOf(entry.chat.queueId);
  if (items?.length && form.dataset.chatId === entry.chat.id) {
    form.elements.disposition.replaceChildren(h('option', { value: '' }, '— choose —'), ...items.map((d) => h('option', { value: d.id }, d.label)));
    $('disposition-field').hidden = false;
  }
}
$('close-cancel').addEventListener('click', () => $('close-dialog').close());
$('close-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.target;
  const chatId = form.dataset.chatId;
  const dispositionId = $('disposition-field').hidden ? '' : form.elements.disposition.value;
  const tags = [...new Set(form.elements.tags.value.split(',').map((t) => t.trim()).filter(Boolean))];
  if (tags.length > 10 || tags.some((t) => [...t].length > 50)) {
    $('close-error').textContent = 'At most 10 tags, each up to 50 characters.';
    return;
  }
  // the dialog stays until the chat closes (`chatClosed`) or the server says why not
  $('close-error').textContent = '';
  if (send({ action: 'close', chatId, ...(dispositionId ? { dispositionId } : {}), ...(tags.length ? { tags } : {}), requestId: `close-${chatId}` })) $('close-confirm').disabled = true;
  else $('close-error').textContent = 'Not connected: try again in a moment.';
});

// ---------- attachments: ask the server where to put the file, PUT it there, then send it ----------
$('attach').addEventListener('click', () => $('attach-file').click());
$('attach-file').addEventListener('change', (event) => {
  const file = event.target.files?.[0];
  event.target.value = '';
  if (!file || !state.selected) return;
  const requestId = `upload-${randomId()}`;
  state.uploads.set(requestId, { chatId: state.selected, file });
  send({ action: 'upload', requestId, chatId: state.selected, name: file.name.slice(0, 256), contentType: file.type || 'application/octet-stream', size: file.size });
});
async function putUpload(frame) {
  const pending = state.uploads.get(frame.requestId);
  state.uploads.delete(frame.requestId);
  if (!pending) return;
  try {
    const res = await fetch(frame.url, { method: frame.method ?? 'PUT', headers: frame.headers ?? {}, body: pending.file });
    if (!res.ok) throw new Error(`the upload answered ${res.status}`);
  } catch (error) {
    return toast(`The file was not sent: ${error.message}`, 'error');
  }
  const clientMessageId = randomId();
  send({ action: 'send', chatId: pending.chatId, attachments: [frame.attachment], clientMessageId, requestId: clientMessageId });
}
$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const box = event.target.elements.text;
  const text = box.value.trim();
  if (!text || !state.selected) return;
  if (state.composeMode === 'note') {
    // a private note: kept on the chat for agents and supervisors, never sent to the customer
    if ([...text].length > 2000) return toast('A note holds at most 2,000 characters.', 'error');
    if (send({ action: 'note', chatId: state.selected, text, requestId: `note-${randomId()}` })) box.value = '';
    return;
  }
  if (frameBytes({ action: 'send', chatId: state.selected, text, clientMessageId: randomId(), requestId: randomId() }) > maxFrameBytes) {
    toast('That reply is too long to send; split it into shorter messages.', 'error');
    return;
  }
  const clientMessageId = randomId();
  state.outbox.set(clientMessageId, { chatId: state.selected, text });
  send({ action: 'send', chatId: state.selected, text, clientMessageId, requestId: clientMessageId });
  box.value = '';
});
for (const radio of $('compose-mode').querySelectorAll('input[name="mode"]')) {
  radio.addEventListener('change', () => {
    state.composeMode = radio.value;
    render();
    $('composer').elements.text.focus();
  });
}
// the customer sees that the agent is typing: one `typing` every 3 s at most while replying
$('composer').elements.text.addEventListener('input', () => {
  const chatId = state.selected;
  const entry = chatId ? state.chats.get(chatId) : null;
  if (!entry || entry.closedReason || state.composeMode !== 'reply' || !$('composer').elements.text.value) return;
  if (Date.now() - (state.typingAt.get(chatId) ?? 0) < 3000) return;
  if (send({ action: 'typing', chatId })) state.typingAt.set(chatId, Date.now());
});
$('composer').elements.text.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    $('composer').requestSubmit();
  }
});
$('close-chat').addEventListener('click', () => {
  const entry = state.chats.get(state.selected);
  if (!entry) return;
  if (entry.closedReason) {
    state.chats.delete(entry.chat.id);
    state.selected = [...state.chats.keys()][0] ?? null;
    if (!state.selected) state.view = 'list';
    return render();
  }
  void openClose(entry);
});
setInterval(() => {
  for (const el of document.querySelectorAll('[data-since]')) el.textContent = elapsedText(el.dataset.since);
  for (const el of document.querySelectorAll('[data-expires]')) {
    el.textContent = countdownText(el.dataset.expires);
    el.classList.toggle('urgent', Date.parse(el.dataset.expires) - Date.now() < 30_000);
  }
}, 1000);

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
      onRefresh: onTokenRefreshed,
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
  const token = fromLink || sessionStorage.getItem(tokenKey);
  if (token) signIn(token);
  else showSignIn();
}
void start();
