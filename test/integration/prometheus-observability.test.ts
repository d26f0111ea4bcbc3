/**
 * The dashboard and the alert rules against a real Prometheus: it scrapes a live front door over
 * simulated DJL instances every second and loads alerts.yaml; after some load, every panel's
 * expression and every rule's expression is queried. Each must parse and return data, or be known
 * to be empty in this state, and every metric they name must exist on /metrics.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hashApiKey } from '../../shared/security/api-keys';
import { type DjlSimulator, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';
import { eventually } from '../helpers/eventually';
import { numberedTexts, post, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import {
  ALERTS_PATH, asPromQL, dataPanels, familyOf, metricNames, readDashboard, readRules,
} from '../helpers/observability-files';
import { parseExposition } from '../helpers/prometheus-text';

const PROMETHEUS = '/usr/bin/prometheus';
/** What Grafana's $__rate_interval becomes: several 1 s scrapes. */
const RATE_WINDOW = '1m';
/** Prometheus may take this long to start, scrape and evaluate on a loaded 2-core machine. */
const PROMETHEUS_WAIT = { timeoutMs: 20_000 };
/** An operator key: POST /warmup needs one, and Prometheus scrapes /metrics with it. */
const OPERATOR_KEY = 'efd_operator-key';
const AS_OPERATOR = { authorization: `Bearer ${OPERATOR_KEY}` };
/** Tries at binding a free port (another process may take it first). */
const MAX_START_ATTEMPTS = 3;
const CLIENTS = 4;
const REQUESTS_PER_CLIENT = 10;

/**
 * Panel targets (by panel title and legend) and rules (by name) that return no series in this
 * state: healthy backends, no faults, no overflow, no refusals. Anything else must return data.
 */
const KNOWN_EMPTY: Readonly<Record<string, string>> = {
  'Upstream errors, retries and ejections / errors {{endpoint}}': 'no upstream call failed: the outcome="error" series never started',
  'Upstream errors, retries and ejections / ejections {{tier}}': 'no endpoint was ejected: the series starts with the first ejection',
  EfdNoServingEndpoint: 'every tier with endpoints has one serving',
  EfdHighErrorRatio: 'no request was answered 5xx',
  EfdLatencyBudgetBurnFast: 'every request was answered well within 1 s',
  EfdLatencyBudgetBurnSlow: 'every request was answered well within 1 s',
  EfdSustainedOverflow: 'the CPU tier kept up: no overflow',
  EfdHigh429Ratio: 'no request was refused',
  EfdDiscoveryFailing: 'no discovered backends: every refresh counter stays at 0',
  EfdWarmupFailed: 'the warm-up run had no schedule, so no action',
  EfdWarmupLate: 'the warm-up run had no schedule, so no action',
};

/** A free loopback port for Prometheus (it takes no port 0). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface QueryResult {
  readonly status: string;
  readonly error?: string;
  readonly data?: { readonly resultType: string; readonly result: readonly unknown[] };
}

describe('dashboard and alerts against a real Prometheus', { skip: !existsSync(PROMETHEUS) && process.env.CI !== 'true' ? 'prometheus not installed (Debian package prometheus)' : false }, () => {
  let sims: DjlSimulator[] = [];
  let door: TestFrontDoor | undefined;
  let prometheus: ChildProcess | undefined;
  let prometheusLog = '';
  let tempDir = '';
  let api = '';

  const query = async (expr: string): Promise<QueryResult> => {
    const response = await fetch(`${api}/api/v1/query?${new URLSearchParams({ query: expr }).toString()}`);
    return await response.json() as QueryResult;
  };
  const series = async (expr: string): Promise<readonly unknown[]> => {
    const result = await query(expr);
    assert.equal(result.status, 'success', `${expr}: ${result.error ?? ''}`);
    return result.data?.result ?? [];
  };

  before(async () => {
    // One instance ready at once, one loading its model for 3 s (a backend cold start to record).
    sims = await Promise.all([startDjlSimulator({ coldStartMs: 0 }), startDjlSimulator({ coldStartMs: 3_000 })]);
    door = await startFrontDoor({
      CPU_BACKENDS: sims.map((sim) => sim.predictionsUrl).join(','),
      HEALTH_INTERVAL_MS: '500',
      COLD_PROBE_INTERVAL_MS: '200',
      // Shorter than the cold start: EfdColdStartSlowerThanLead's expression has data.
      WARMUP_LEAD_SECONDS: '1',
      API_KEYS: `ops:${hashApiKey(OPERATOR_KEY)}:role=operator:rps=0:tps=0`,
    });
    tempDir = await mkdtemp(path.join(tmpdir(), 'efd-prometheus-'));
    const config = path.join(tempDir, 'prometheus.yml');
    await writeFile(config, [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      `rule_files: [${JSON.stringify(ALERTS_PATH)}]`,
      'scrape_configs:',
      '  - job_name: efd',
      `    authorization: { credentials: ${JSON.stringify(OPERATOR_KEY)} }`,
      `    static_configs: [{ targets: [${JSON.stringify(new URL(door.url).host)}] }]`,
      '',
    ].join('\n'));
    // The free port may be taken between freePort() and Prometheus binding it: then another one.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      api = `http://127.0.0.1:${port}`;
      prometheusLog = '';
      const child = spawn(PROMETHEUS, [
        `--config.file=${config}`, `--storage.tsdb.path=${path.join(tempDir, `data-${attempt}`)}`, `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ], { stdio: ['ignore', 'ignore', 'pipe'] });
      prometheus = child;
      child.stderr?.on('data', (chunk: Buffer) => { prometheusLog += chunk.toString(); });
      const outcome = await eventually(async () => {
        if (child.exitCode !== null) return 'exited';
        assert.equal((await fetch(`${api}/-/ready`)).status, 200);
        return 'ready';
      }, PROMETHEUS_WAIT);
      if (outcome === 'ready') break;
      assert.ok(attempt < MAX_START_ATTEMPTS && /address already in use/.test(prometheusLog), `prometheus exited:\n${prometheusLog}`);
    }
  });

  after(async () => {
    if (prometheus !== undefined && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await door?.close();
    await Promise.all(sims.map((sim) => sim.close()));
    if (tempDir !== '') await rm(tempDir, { recursive: true, force: true });
  });

  test('every panel and rule expression is valid and has data or a stated reason, and names a metric /metrics has', async () => {
    const url = (door as TestFrontDoor).url;
    await eventually(async () => assert.equal((await series('up{job="efd"} == 1')).length, 1, 'the front door is scraped'), PROMETHEUS_WAIT);
    // A first request, scraped before the rest: rate() needs the series to exist before it grows.
    assert.equal((await post(`${url}/embed`, { inputs: ['first'] }, AS_OPERATOR)).status, 200);
    await eventually(async () => assert.equal((await series('efd_requests_total{route="/embed"}')).length, 1, 'the first request scraped'),
      PROMETHEUS_WAIT);
    // Load, a warm-up run (it reports the lead), and the cold instance's first answers.
    await Promise.all(Array.from({ length: CLIENTS }, async (_, client) => {
      for (let n = 0; n < REQUESTS_PER_CLIENT; n++) {
        assert.equal((await post(`${url}/embed`, { inputs: numberedTexts(4, `c${client}-${n}`) }, AS_OPERATOR)).status, 200);
      }
    }));
    assert.equal((await post(`${url}/warmup`, {}, AS_OPERATOR)).status, 200);
    await eventually(async () => {
      assert.equal((await series('efd_backend_cold_starts_total{tier="cpu"} > 0')).length, 1, 'the cold start is scraped');
      assert.equal((await series('efd_warmup_lead_seconds > 0')).length, 1, 'the warm-up lead is scraped');
      assert.equal((await series(`sum(rate(efd_requests_total{route="/embed"}[${RATE_WINDOW}])) > 0`)).length, 1, 'two scrapes of the load');
      assert.ok((await series('efd:request_slow:ratio_rate5m')).length > 0, 'the recording rules ran after the load');
    }, PROMETHEUS_WAIT);

    const problems: string[] = [];
    const check = async (name: string, expr: string): Promise<void> => {
      const result = await query(expr);
      if (result.status !== 'success') {
        problems.push(`${name}: not a valid query (${result.error ?? result.status}): ${expr}`);
        return;
      }
      const empty = (result.data?.result.length ?? 0) === 0;
      if (empty && KNOWN_EMPTY[name] === undefined) problems.push(`${name}: no data: ${expr}`);
      if (!empty && KNOWN_EMPTY[name] !== undefined) problems.push(`${name}: listed as known-empty but has data: ${expr}`);
    };
    const expressions: string[] = [];
    for (const panel of dataPanels(readDashboard())) {
      for (const target of panel.targets ?? []) {
        expressions.push(target.expr);
        await check(`${panel.title} / ${target.legendFormat ?? target.refId}`, asPromQL(target.expr, RATE_WINDOW));
      }
    }
    for (const rule of readRules()) {
      expressions.push(rule.expr);
      await check(rule.alert ?? rule.record ?? '?', rule.expr);
    }
    assert.deepEqual(problems, []);

    const exposition = parseExposition(await (await fetch(`${url}/metrics`, { headers: AS_OPERATOR })).text());
    const missing = [...new Set(expressions.flatMap(metricNames))].filter((name) => !exposition.types.has(familyOf(name)) && !exposition.types.has(name));
    assert.deepEqual(missing, [], 'metrics named by a panel or rule that /metrics does not have');
  });

  test('Prometheus evaluates every rule without error; the cold start over the 1 s lead is pending or firing', async () => {
    const rules = await eventually(async () => {
      const body = await (await fetch(`${api}/api/v1/rules`)).json() as {
        data: { groups: { rules: { name: string; health: string; lastError?: string; state?: string }[] }[] };
      };
      const all = body.data.groups.flatMap((group) => group.rules);
      assert.ok(all.every((rule) => rule.health === 'ok'), JSON.stringify(all.filter((rule) => rule.health !== 'ok')));
      // Evaluated once a second: the first evaluation after the lead was scraped turns it pending.
      const coldStart = all.find((rule) => rule.name === 'EfdColdStartSlowerThanLead');
      assert.ok(coldStart?.state === 'pending' || coldStart?.state === 'firing', `state ${coldStart?.state}`);
      return all;
    }, PROMETHEUS_WAIT);
    assert.equal(rules.length, readRules().length, 'every rule loaded');
    assert.equal(rules.find((rule) => rule.name === 'EfdNoServingEndpoint')?.state, 'inactive');
  });
});
