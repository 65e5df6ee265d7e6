// The customer's side of the demo: messages go to the runtime's sandbox, which signs them as Meta
// would and posts them to the webhook; the Page's replies are what the sandbox Graph API received.

const $ = (id) => document.getElementById(id);
const customerKey = 'omnichat.simulator.customer';
const pollMs = 300;

const names = ['Maria Silva', 'João Santos', 'Ana Costa', 'Pedro Lima', 'Sofia Rocha', 'Rui Alves'];
function newCustomer() {
  const psid = `7${String(Math.floor(Math.random() * 1e15)).padStart(15, '0')}`;
  const customer = { psid, name: names[Math.floor(Math.random() * names.length)] };
  localStorage.setItem(customerKey, JSON.stringify(customer));
  return customer;
}
let customer = JSON.parse(localStorage.getItem(customerKey) || 'null') ?? newCustomer();
let shown = '';

const nameInput = $('identity').elements.name;
nameInput.value = customer.name;
nameInput.addEventListener('change', () => {
  customer = { ...customer, name: nameInput.value.trim() || customer.name };
  localStorage.setItem(customerKey, JSON.stringify(customer));
});
$('new-customer').addEventListener('click', () => {
  customer = newCustomer();
  nameInput.value = customer.name;
  void refresh();
});

function problem(text) {
  $('problem').hidden = !text;
  $('problem').textContent = text || '';
}

/** True when the webhook kept what the customer did; otherwise says why, so nothing looks sent that was not. */
async function simulate(body) {
  const res = await fetch('/sandbox/simulate', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ psid: customer.psid, name: customer.name, ...body }),
  }).catch(() => null);
  let ok = false;
  if (!res) problem('Not delivered: the runtime is not reachable.');
  else if (res.status === 404) problem('The sandbox is off: start the runtime with `npm run demo`.');
  else if (!res.ok) problem(`Not delivered: the sandbox answered ${res.status}.`);
  else {
    const answer = await res.json().catch(() => ({}));
    if (answer.webhookStatus === 200) {
      ok = true;
      problem('');
    } else problem(`Not delivered: the webhook answered ${answer.webhookStatus || 'nothing'}. Try again.`);
  }
  await refresh();
  return ok;
}

$('composer').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = event.target.elements.text;
  const text = input.value.trim();
  if (!text) return;
  input.value = '';
  // a failed message goes back into the composer, to send again
  if (!(await simulate({ kind: 'message', text })) && !input.value) input.value = text;
});
$('mark-read').addEventListener('click', () => void simulate({ kind: 'read' }));

async function refresh() {
  const res = await fetch(`/sandbox/conversation?psid=${encodeURIComponent(customer.psid)}`).catch(() => null);
  if (!res || !res.ok) return;
  const data = await res.json();
  $('page-name').textContent = data.pageName;
  const key = JSON.stringify(data.messages);
  if (key === shown) return;
  shown = key;
  const list = $('conversation');
  list.replaceChildren(
    ...data.messages.map((m) => {
      const li = document.createElement('li');
      li.className = `bubble ${m.from}${m.status === 'failed' ? ' failed' : m.status === 'sending' ? ' sending' : ''}`;
      if (m.status) li.dataset.status = m.status;
      li.textContent = m.text;
      const when = document.createElement('span');
      when.className = 'when';
      when.textContent = new Date(m.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
      if (m.status === 'failed') when.textContent += ` · not delivered (${m.webhookStatus || 'unreachable'})`;
      li.append(when);
      return li;
    }),
  );
  list.scrollTop = list.scrollHeight;
}

setInterval(() => void refresh(), pollMs);
void refresh();
