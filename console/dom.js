// Helpers both console pages use: building elements, toasts, and the token's groups.

const $ = (id) => document.getElementById(id);

/** `h('div', { class: 'x', onclick: fn }, child…)`: an element with attributes, listeners and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** A short message in the page's `#toasts` region; errors stay longer and are announced. */
export function toast(text, kind = 'info') {
  const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
  $('toasts').append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 4000);
}

/** The token's `cognito:groups`: an array, or API Gateway's one-string form `[a b]`. */
export function groupsOf(claims) {
  const raw = claims?.['cognito:groups'];
  if (Array.isArray(raw)) return raw;
  return typeof raw === 'string' ? raw.replace(/^\[|\]$/g, '').split(' ').filter(Boolean) : [];
}
