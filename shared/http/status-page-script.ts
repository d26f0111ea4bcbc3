/**
 * The status page's script, as the text the page inlines (its SHA-256 is in the page's CSP, see
 * status-page.ts). Plain ES2020 for the browser, so it is not type-checked here: it only draws
 * `GET /status.json` (status-model.ts) with textContent, never innerHTML, so nothing from the
 * answer is ever parsed as markup.
 *
 * Authentication: the JSON is protected like /info; when it answers 401 (or 403) the page shows a
 * form for an operator key, keeps the key in sessionStorage (this tab only, gone when it closes,
 * never in a URL) and sends it as `Authorization: Bearer` on its own same-origin fetches.
 */
export const STATUS_PAGE_SCRIPT = String.raw`(() => {
'use strict';
const KEY_STORE = 'efd-status-key';
const POLL_MS = 2000;
const byId = (id) => document.getElementById(id);
let timer;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}
function row(cells, attrs) {
  const tr = el('tr');
  for (const [key, value] of Object.entries(attrs || {})) tr.dataset[key] = value;
  for (const cell of cells) tr.append(cell instanceof Node ? cell : el('td', '', cell));
  return tr;
}
function table(head, rows, emptyText) {
  if (rows.length === 0) return el('p', 'muted', emptyText);
  const t = el('table');
  const tr = el('tr');
  for (const h of head) tr.append(el('th', '', h));
  t.append(el('thead'), el('tbody'));
  t.tHead.append(tr);
  t.tBodies[0].append(...rows);
  return t;
}
const ms = (value) => value === null || value === undefined ? 'n/a' : value >= 10000 ? (value / 1000).toFixed(1) + ' s' : Math.round(value) + ' ms';
const clock = (epoch) => new Date(epoch).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
function relative(epoch, now) {
  const s = Math.round((epoch - now) / 1000);
  const a = Math.abs(s);
  const text = a < 90 ? a + ' s' : a < 5400 ? Math.round(a / 60) + ' min' : a < 172800 ? (a / 3600).toFixed(1) + ' h' : (a / 86400).toFixed(1) + ' days';
  return s < 0 ? text + ' ago' : 'in ' + text;
}
function badge(text, kind) {
  const b = el('span', 'badge ' + kind, text);
  return b;
}

function renderTier(tier) {
  const box = el('section', 'card tier');
  box.dataset.tier = tier.tier;
  const title = el('h2', '', tier.tier.toUpperCase() + ' tier');
  box.append(title);
  if (!tier.configured) {
    box.append(el('p', 'muted', 'Not configured.'));
    return box;
  }
  title.append(' ', badge(tier.servingEndpoints + ' of ' + tier.endpoints.length + ' serving', tier.servingEndpoints > 0 ? 'warm' : 'bad'));
  const facts = el('dl', 'facts');
  const wait = tier.estimatedWaitSeconds === null ? 'unknown' : tier.estimatedWaitSeconds.toFixed(2) + ' s';
  for (const [name, value, key] of [['queued texts', tier.queuedTexts, 'queued'], ['batches in flight', tier.inFlightBatches, 'inflight'],
    ['backlog (texts)', tier.backlogTexts, 'backlog'], ['estimated wait', wait, 'wait'],
    ['cold starts p50 / p95', ms(tier.coldStarts.p50Ms) + ' / ' + ms(tier.coldStarts.p95Ms), 'coldstarts']]) {
    const d = el('div');
    d.dataset.fact = key;
    d.append(el('dt', '', name), el('dd', '', value));
    facts.append(d);
  }
  box.append(facts);
  const rows = tier.endpoints.map((e) => {
    const warmth = el('td', 'warmth');
    warmth.append(badge(e.warmth, e.warmth === 'warm' ? 'warm' : e.warmth === 'warming' ? 'warming' : 'bad'));
    return row([e.id, warmth, e.inFlight], { endpoint: e.id, warmth: e.warmth });
  });
  box.append(table(['endpoint', 'warmth', 'batches in flight'], rows, 'No endpoint known yet (discovery has found none).'));
  return box;
}

function render(model) {
  const now = model.generatedAt;
  byId('scope').textContent = model.scopeNote;
  byId('scope').className = model.scope === 'environment' ? 'note lambda' : 'note';
  byId('runtime').textContent = model.runtime;
  byId('updated').textContent = clock(now);

  const o = model.overflow;
  const overflow = byId('overflow');
  overflow.dataset.active = String(o.active);
  overflow.className = 'card overflow ' + (o.active ? 'active' : 'idle');
  byId('overflow-state').textContent = !o.configured ? 'Overflow: no GPU tier' : o.active ? 'Overflow ACTIVE' + (o.reason ? ' (' + o.reason + ')' : '') : 'Overflow inactive';
  byId('overflow-why').textContent = o.explanation;

  byId('tiers').replaceChildren(...model.tiers.map(renderTier));

  byId('cold-starts').replaceChildren(table(['when', 'tier', 'endpoint', 'cold start'],
    model.coldStarts.map((c) => row([clock(c.at) + ' (' + relative(c.at, now) + ')', c.tier, c.endpoint, ms(c.durationMs)], { endpoint: c.endpoint })),
    'No backend cold start since this front door started.'));

  const bursts = table(['burst', 'tier', 'min instances', 'starts', 'warm-up at', 'state'],
    model.bursts.map((b) => row([b.name, b.tier, b.minInstances, clock(b.start) + ' (' + relative(b.start, now) + ')',
      clock(b.warmupAt) + ' (' + relative(b.warmupAt, now) + ')', b.state], { burst: b.name, state: b.state })),
    'No burst scheduled (WARMUP_SCHEDULE is empty).');
  const lead = el('p', 'muted', 'Warm-up lead: ' + model.warmupLeadSeconds + ' s before each burst.' +
    (model.burstsWithoutNext.length ? ' No next run for: ' + model.burstsWithoutNext.join(', ') + '.' : ''));
  byId('bursts').replaceChildren(bursts, lead);

  const f = model.frontDoor;
  const facts = [['started', clock(f.startedAt) + ' (' + relative(f.startedAt, now) + ')']];
  if (f.coldStart) {
    facts.push(['init', ms(f.coldStart.initMs)], ['first request after start', ms(f.coldStart.firstRequestMs)],
      ['initialization type', f.coldStart.initializationType || 'n/a (not Lambda)']);
  }
  const dl = el('dl', 'facts');
  for (const [name, value] of facts) {
    const d = el('div');
    d.append(el('dt', '', name), el('dd', '', value));
    dl.append(d);
  }
  byId('front-door').replaceChildren(dl);
  byId('content').hidden = false;
}

function setConnection(state, text) {
  const c = byId('connection');
  c.dataset.state = state;
  c.textContent = text;
}
function schedule() {
  clearTimeout(timer);
  timer = setTimeout(poll, POLL_MS);
}
function showAuth(message) {
  byId('content').hidden = true;
  byId('auth').hidden = false;
  byId('auth-message').textContent = message;
  setConnection('auth', 'needs an operator key');
  byId('key').focus();
}

async function poll() {
  clearTimeout(timer);
  const key = sessionStorage.getItem(KEY_STORE);
  let response;
  try {
    response = await fetch('status.json', { headers: key ? { authorization: 'Bearer ' + key } : {}, cache: 'no-store', credentials: 'omit' });
  } catch {
    setConnection('error', 'front door unreachable; retrying every 2 s');
    schedule();
    return;
  }
  if (response.status === 401 || response.status === 403) {
    // Polling stops until a key is given: a wrong key retried every 2 s would only be refused again.
    if (key) sessionStorage.removeItem(KEY_STORE);
    showAuth(response.status === 403 ? 'That key is not an operator key: use one whose API_KEYS entry ends in :role=operator.'
      : key ? 'That key was not accepted.' : 'This front door needs an operator key.');
    return;
  }
  if (!response.ok) {
    setConnection('error', 'status.json answered HTTP ' + response.status + '; retrying every 2 s');
    schedule();
    return;
  }
  const model = await response.json();
  byId('auth').hidden = true;
  byId('forget').hidden = !key;
  render(model);
  setConnection('live', 'live, refreshed every 2 s');
  schedule();
}

byId('auth').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = byId('key').value.trim();
  if (!value) return;
  sessionStorage.setItem(KEY_STORE, value);
  byId('key').value = '';
  void poll();
});
byId('forget').addEventListener('click', () => {
  sessionStorage.removeItem(KEY_STORE);
  void poll();
});
void poll();
})();
`;
