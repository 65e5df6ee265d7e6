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

async function simulate(body) {
  const res = await fetch('/sandbox/simulate', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ psid: customer.psid, name: customer.name, ...body }),
  }).catch(() => null);
  if (!res) return problem('The runtime is not reachable.');
  if (res.status === 404) return problem('The sandbox is off: start the runtime with `npm run demo`.');
  if (!res.ok) return problem(`The webhook answered ${res.status}.`);
  problem('');
  await refresh();
}

$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = event.target.elements.text;
  const text = input.value.trim();
  if (!text) return;
  input.value = '';
  void simulate({ kind: 'message', text });
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
      li.className = `bubble ${m.from}`;
      li.textContent = m.text;
      const when = document.createElement('span');
      when.className = 'when';
      when.textContent = new Date(m.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
      li.append(when);
      return li;
    }),
  );
  list.scrollTop = list.scrollHeight;
}

setInterval(() => void refresh(), pollMs);
void refresh();
