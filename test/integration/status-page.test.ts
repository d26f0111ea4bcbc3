/**
 * The status page in a real browser (Debian's Chromium, headless, through playwright-core) over
 * the real front door and simulated DJL instances, with API keys configured: the shell reveals
 * nothing, the page asks for an operator key, then shows the tiers as they change: all warm but a
 * cold instance, a stopped instance going cold, the cold one's cold start timed, and a burst
 * spilling to the GPU tier with why. It talks only to its own origin and its CSP reports no
 * violation. A screenshot of the burst is kept in test-results/.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { hashApiKey } from '../../shared/security/api-keys';
import { launchChromium, type TestBrowser } from '../helpers/chromium';
import { post, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { DJL_PROFILES, type DjlSimulator, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

/**
 * The browser globals the functions handed to the page use: they run in Chromium, and this
 * project's tsconfig has no DOM library (adding one would retype Node's globals everywhere).
 */
interface PageElement {
  readonly dataset: Record<string, string | undefined>;
  readonly textContent: string | null;
  src: string;
  getAttribute(name: string): string | null;
  append(node: PageElement): void;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  createElement(tag: string): PageElement;
  readonly body: PageElement;
  addEventListener(type: 'securitypolicyviolation', listener: (event: { violatedDirective: string; blockedURI: string }) => void): void;
};
declare const window: { cspViolations: string[] };
declare const sessionStorage: { getItem(key: string): string | null };

const KEYS = { client: 'efd_status-client-key', operator: 'efd_status-operator-key' } as const;
const API_KEYS = `app:${hashApiKey(KEYS.client)}:rps=0:tps=0,ops:${hashApiKey(KEYS.operator)}:role=operator:rps=0`;
/** Slow CPU instances (one worker, ~210 ms a batch of 32), so a burst queues in the front door however fast the machine. */
const SLOW_CPU = { ...DJL_PROFILES.cpu, workers: 1, baseMs: 50, perItemMs: 5 };
/** Kept cold until the test ends its cold start. */
const COLD_FOR_MS = 10 * 60_000;
/**
 * Berlin's hour half a day from now: a weekday burst starting then is neither running nor warming
 * while the test runs, whenever it runs (a fixed 09:00 was running on weekday mornings).
 */
const BERLIN_HOUR_HALF_A_DAY_AWAY = (Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: 'numeric', hourCycle: 'h23' }).format(new Date())) + 12) % 24;
const SCHEDULE = [
  { name: 'always-on', cron: '* * * * *', timezone: 'UTC', durationMinutes: 5, tier: 'cpu', minInstances: 2 },
  { name: 'weekday-ingest', cron: `0 ${BERLIN_HOUR_HALF_A_DAY_AWAY} * * 1-5`, timezone: 'Europe/Berlin', durationMinutes: 60, tier: 'cpu', minInstances: 6 },
];
/** How long a page state may take to appear on a loaded 2-core machine (polls every 2 s). */
const PAGE_STATE_TIMEOUT_MS = 30_000;
const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-results/', import.meta.url));
/** Kept by the run (test-results/ is ignored by git); its path is printed. */
const SCREENSHOT = `${SCREENSHOT_DIR}status-page-overflow.png`;
const TEXTS_PER_REQUEST = 8;
let sequence = 0;

const embed = async (door: TestFrontDoor): Promise<number> => (await post(`${door.url}/v1/embeddings`,
  { input: Array.from({ length: TEXTS_PER_REQUEST }, () => `chunk ${sequence++}`), model: 'm' },
  { authorization: `Bearer ${KEYS.client}` })).status;

/** The warmth the page shows for an endpoint, or undefined when it shows no such row. */
const warmthShown = (page: Page, id: string): Promise<string | undefined> =>
  page.evaluate((endpoint) => document.querySelector(`tr[data-endpoint="${endpoint}"]`)?.dataset.warmth, id);

/** Waits until the page shows each endpoint in one of its accepted warmths. */
async function waitForWarmth(page: Page, expected: Record<string, readonly string[]>, what: string): Promise<void> {
  try {
    await page.waitForFunction((accepted) => Object.entries(accepted).every(([id, warmths]) => {
      const warmth = document.querySelector(`#tiers tr[data-endpoint="${id}"]`)?.dataset.warmth;
      return warmth !== undefined && warmths.includes(warmth);
    }), expected, { timeout: PAGE_STATE_TIMEOUT_MS, polling: 100 });
  } catch (error) {
    const shown = await Promise.all(Object.keys(expected).map(async (id) => `${id}=${await warmthShown(page, id)}`));
    throw new Error(`the page to show ${what}; it shows ${shown.join(', ')}`, { cause: error });
  }
}

describe('GET /status in headless Chromium', () => {
  let browser: TestBrowser;
  let door: TestFrontDoor;
  let cpu: DjlSimulator[];
  let gpu: DjlSimulator;

  before(async () => {
    browser = await launchChromium();
    cpu = await Promise.all([SLOW_CPU, SLOW_CPU, { ...SLOW_CPU, coldStartMs: COLD_FOR_MS }].map((options) => startDjlSimulator(options)));
    gpu = await startDjlSimulator({ ...DJL_PROFILES.gpu });
    door = await startFrontDoor({
      CPU_BACKENDS: cpu.map((sim) => sim.predictionsUrl).join(','),
      GPU_BACKENDS: gpu.predictionsUrl,
      API_KEYS,
      // One batch per instance, as its one worker takes: the burst's wait is in the front door's queue.
      CPU_MAX_INFLIGHT: '1',
      HEALTH_INTERVAL_MS: '200',
      COLD_PROBE_INTERVAL_MS: '100',
      // Once the burst spills, the overflow stays on until the test ends, so the page cannot miss it.
      OVERFLOW_HOLD_MS: '600000',
      // Only the front door's own queue spills: on a loaded machine, latency jitter could pass the
      // backend-lag threshold (100 ms) and spill, or name backend_load, before the burst.
      OVERFLOW_BACKEND_WAIT_MS: '60000',
      WARMUP_SCHEDULE: JSON.stringify(SCHEDULE),
      WARMUP_LEAD_SECONDS: '300',
    });
  });

  after(async () => {
    await browser?.close();
    await door?.close();
    await Promise.all([...(cpu ?? []), ...(gpu ? [gpu] : [])].map((sim) => sim.close()));
  });

  test('the shell reveals nothing; its data needs an operator key', async () => {
    // Protected like /info in its status (401 with no key, 403 with a client key), with the
    // sign-in shell as the body either way.
    const shell = await fetch(`${door.url}/status`);
    assert.equal(shell.status, 401);
    assert.match(shell.headers.get('www-authenticate') ?? '', /^Bearer /);
    assert.equal((await fetch(`${door.url}/status`, { headers: { authorization: `Bearer ${KEYS.client}` } })).status, 403);
    assert.equal((await fetch(`${door.url}/status`, { headers: { authorization: `Bearer ${KEYS.operator}` } })).status, 200);
    assert.match(shell.headers.get('content-type') ?? '', /^text\/html/);
    const csp = shell.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/]+=*'/);
    assert.match(csp, /connect-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const html = await shell.text();
    for (const secret of ['cpu-0', '127.0.0.1', 'predictions', KEYS.operator]) assert.ok(!html.includes(secret), `the shell holds no ${secret}`);
    assert.equal((await fetch(`${door.url}/status.json`)).status, 401);
    assert.equal((await fetch(`${door.url}/status.json`, { headers: { authorization: `Bearer ${KEYS.client}` } })).status, 403);
    // Every other answer keeps the global policy.
    assert.equal((await fetch(`${door.url}/ping`)).headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'");
  });

  test('an operator signs in, and the page follows an instance going cold, a cold start and an overflow burst', async (t) => {
    const page = await browser.context.newPage();
    const origin = new URL(door.url).origin;
    const requests: string[] = [];
    const keysSent: (string | undefined)[] = [];
    const consoleErrors: string[] = [];
    page.on('request', (request) => {
      requests.push(request.url());
      if (new URL(request.url()).pathname === '/status.json') keysSent.push(request.headers().authorization);
    });
    page.on('console', (message) => {
      if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
    await page.addInitScript(() => {
      const seen: string[] = [];
      window.cspViolations = seen;
      document.addEventListener('securitypolicyviolation', (event) => seen.push(`${event.violatedDirective} ${event.blockedURI}`));
    });
    const violations = (): Promise<string[]> => page.evaluate(() => window.cspViolations);

    // A navigation sends no key: /info's 401, whose body is the page that asks for one.
    const navigation = await page.goto(`${door.url}/status`);
    assert.equal(navigation?.status(), 401);
    // No key yet: the JSON answers 401 and the page asks for one.
    await page.locator('#auth').waitFor({ state: 'visible', timeout: PAGE_STATE_TIMEOUT_MS });
    assert.equal(await page.locator('#content').isVisible(), false);

    // A client key is refused with the reason, then the operator key is accepted.
    await page.locator('#key').fill(KEYS.client);
    await page.locator('#auth button[type=submit]').click();
    await page.getByText('That key is not an operator key').waitFor({ timeout: PAGE_STATE_TIMEOUT_MS });
    await page.locator('#key').fill(KEYS.operator);
    await page.locator('#auth button[type=submit]').click();
    await page.locator('#content').waitFor({ state: 'visible', timeout: PAGE_STATE_TIMEOUT_MS });
    assert.equal(await page.locator('#auth').isVisible(), false);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('efd-status-key')), KEYS.operator);

    // All up but the instance still loading its model.
    await waitForWarmth(page, { 'cpu-0': ['warm'], 'cpu-1': ['warm'], 'cpu-2': ['cold'], 'gpu-0': ['warm'] },
      'cpu-0, cpu-1 and gpu-0 warm, cpu-2 cold');
    assert.equal(await page.locator('#overflow').getAttribute('data-active'), 'false');
    assert.match(await page.locator('#overflow-state').innerText(), /^Overflow inactive$/);
    assert.match(await page.locator('[data-tier="cpu"] h2').innerText(), /2 of 3 serving/);
    assert.equal(await page.locator('#bursts tr[data-burst="always-on"]').getAttribute('data-state'), 'running');
    assert.equal(await page.locator('#bursts tr[data-burst="weekday-ingest"]').getAttribute('data-state'), 'scheduled');
    assert.match(await page.locator('#bursts').innerText(), /Warm-up lead: 300 s before each burst/);
    assert.match(await page.locator('#front-door').innerText(), /init\s+[\d.]+ (ms|s)\b/);
    assert.match(await page.locator('#cold-starts').innerText(), /No backend cold start since this front door started/);

    // An instance stops: the page shows it out of service.
    await cpu[1]?.close();
    await waitForWarmth(page, { 'cpu-1': ['cold', 'ejected', 'unhealthy'] }, 'cpu-1 out of service');
    t.diagnostic(`stopped instance shown as: ${await warmthShown(page, 'cpu-1')}`);

    // The cold instance finishes loading: its cold start is listed, timed.
    await cpu[2]?.endColdStart();
    await page.locator('#cold-starts tr[data-endpoint="cpu-2"]').waitFor({ timeout: PAGE_STATE_TIMEOUT_MS });
    const coldStartRow = await page.locator('#cold-starts tr[data-endpoint="cpu-2"]').innerText();
    assert.match(coldStartRow, /cpu\s+cpu-2\s+[\d.]+ (ms|s)/);
    await waitForWarmth(page, { 'cpu-2': ['warm', 'warming'] }, 'cpu-2 serving');

    // A burst: the CPU instances' speed is measured first, then 24 clients send back to back, far
    // more than two slow instances take: the front door's queue passes OVERFLOW_WAIT_MS and the
    // excess spills to the GPU tier while the CPU tier stays busy.
    for (let i = 0; i < 10; i++) assert.equal(await embed(door), 200);
    assert.equal(gpu.stats.requests, 0, 'no overflow before the burst');
    let bursting = true;
    const statuses: number[] = [];
    const burst = Promise.all(Array.from({ length: 24 }, async () => {
      while (bursting) statuses.push(await embed(door));
    }));
    try {
      // A refresh during the burst: overflow on, and the CPU tier still working.
      await page.waitForFunction(() => document.querySelector('#overflow')?.getAttribute('data-active') === 'true' &&
        document.querySelector('[data-tier="cpu"] [data-fact="inflight"] dd')?.textContent !== '0',
      undefined, { timeout: PAGE_STATE_TIMEOUT_MS, polling: 100 });
      await mkdir(SCREENSHOT_DIR, { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    } finally {
      bursting = false;
      await burst;
    }
    const state = await page.locator('#overflow-state').innerText();
    const why = await page.locator('#overflow-why').innerText();
    const tiers = await page.locator('#tiers').innerText();
    assert.equal(state, 'Overflow ACTIVE (queue_wait)');
    assert.match(why, /the CPU tier's estimated queue wait went over OVERFLOW_WAIT_MS \(30 ms\)/);
    t.diagnostic(`during the burst the page showed: "${state}" / "${why}" / ${tiers.replace(/\s+/g, ' ')}`);
    t.diagnostic(`screenshot: ${SCREENSHOT}`);
    assert.deepEqual(statuses.filter((status) => status !== 200), [], 'no client error during the burst');
    assert.ok(gpu.stats.requests > 0, 'the GPU tier served part of the burst');

    // Only its own origin, the key only in a header, and no CSP violation or script error.
    assert.deepEqual(requests.filter((url) => !url.startsWith('data:') && new URL(url).origin !== origin), []);
    assert.ok(requests.every((url) => !url.includes(KEYS.operator)), 'the key never in a URL');
    assert.ok(keysSent.includes(`Bearer ${KEYS.operator}`), 'status.json got the operator key as a Bearer header');
    assert.deepEqual(await violations(), []);
    assert.deepEqual(consoleErrors.filter((text) => !/status of 40[13]/.test(text)), []);
    // Control: the listener does see a violation when there is one (an image from another origin).
    await page.evaluate(() => {
      const image = document.createElement('img');
      image.src = 'http://192.0.2.1/blocked.png';
      document.body.append(image);
    });
    await page.waitForFunction(() => window.cspViolations.length > 0, undefined, { timeout: PAGE_STATE_TIMEOUT_MS });
    assert.match((await violations())[0] ?? '', /^img-src/);
    await page.close();
  });
});
