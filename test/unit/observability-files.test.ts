/**
 * The Grafana dashboard is valid for file provisioning and the alert rules pass promtool: `check
 * rules` and their unit tests (`test rules`, alerts.test.yaml), which fire and spare each alert.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import {
  ALERTS_PATH, ALERTS_TEST_PATH, dataPanels, OBSERVABILITY_DIR, readDashboard, readRules,
} from '../helpers/observability-files';

const GRID_COLUMNS = 24;
const DATASOURCE_VARIABLE = '${DS_PROMETHEUS}';

function promtool(...args: string[]): string {
  const run = spawnSync('promtool', args, { cwd: path.dirname(ALERTS_PATH), encoding: 'utf8' });
  if (run.error !== undefined) {
    assert.fail(`promtool not found (${run.error.message}): install Debian package prometheus (.ci/run does)`);
  }
  const output = `${run.stdout}${run.stderr}`;
  assert.equal(run.status, 0, `promtool ${args.join(' ')} failed:\n${output}`);
  return output;
}

describe('Grafana dashboard', () => {
  const dashboard = readDashboard();

  test('has what file provisioning needs: uid, title, schemaVersion, a Prometheus data source variable', () => {
    assert.match(dashboard.uid, /^[a-zA-Z0-9_-]{1,40}$/);
    assert.ok(dashboard.title.length > 0);
    assert.ok(Number.isInteger(dashboard.schemaVersion) && dashboard.schemaVersion >= 36, `schemaVersion ${dashboard.schemaVersion}`);
    const variable = dashboard.templating.list.find((item) => item.name === 'DS_PROMETHEUS');
    assert.deepEqual({ type: variable?.type, query: variable?.query }, { type: 'datasource', query: 'prometheus' });
  });

  test('panel ids are unique and panels sit on the 24-column grid without overlapping', () => {
    const ids = dashboard.panels.map((panel) => panel.id);
    assert.equal(new Set(ids).size, ids.length, 'unique ids');
    const taken = new Set<string>();
    for (const { title, gridPos: { x, y, w, h } } of dashboard.panels) {
      assert.ok(Number.isInteger(x) && Number.isInteger(y) && w > 0 && h > 0 && x + w <= GRID_COLUMNS, `${title}: gridPos in the grid`);
      for (let column = x; column < x + w; column++) {
        for (let line = y; line < y + h; line++) {
          const cell = `${column},${line}`;
          assert.ok(!taken.has(cell), `${title} overlaps another panel at ${cell}`);
          taken.add(cell);
        }
      }
    }
  });

  test('every data panel reads the Prometheus variable and has targets with an expression', () => {
    const panels = dataPanels(dashboard);
    assert.ok(panels.length >= 20, `${panels.length} panels`);
    for (const panel of panels) {
      assert.equal(panel.datasource?.uid, DATASOURCE_VARIABLE, `${panel.title}: data source`);
      assert.ok(panel.targets !== undefined && panel.targets.length > 0, `${panel.title}: targets`);
      const refIds = panel.targets.map((target) => target.refId);
      assert.equal(new Set(refIds).size, refIds.length, `${panel.title}: unique refIds`);
      for (const target of panel.targets) {
        assert.ok(target.expr.trim().length > 0, `${panel.title} ${target.refId}: expr`);
        assert.equal(target.datasource?.uid, DATASOURCE_VARIABLE, `${panel.title} ${target.refId}: data source`);
      }
    }
  });

  test('the provisioning files point Grafana at the dashboard and a Prometheus data source', () => {
    const read = (name: string) => parse(readFileSync(path.join(OBSERVABILITY_DIR, 'grafana', 'provisioning', name), 'utf8'));
    const dashboards = read('dashboards.yaml');
    assert.equal(dashboards.apiVersion, 1);
    assert.equal(dashboards.providers[0].type, 'file');
    assert.equal(typeof dashboards.providers[0].options.path, 'string');
    const datasources = read('datasources.example.yaml');
    assert.equal(datasources.datasources[0].type, 'prometheus');
  });
});

describe('Prometheus alert rules', () => {
  test('promtool check rules accepts them', () => {
    assert.match(promtool('check', 'rules', path.basename(ALERTS_PATH)), /SUCCESS: \d+ rules found/);
  });

  test('promtool test rules: each alert fires when it should and stays quiet when it should not', () => {
    assert.match(promtool('test', 'rules', path.basename(ALERTS_TEST_PATH)), /SUCCESS/);
  });

  test('every alert has for:, a severity, summary, description and a runbook section in docs/operate.md', () => {
    const operate = readFileSync(fileURL('docs/operate.md'), 'utf8');
    const alerts = readRules().filter((rule) => rule.alert !== undefined);
    assert.ok(alerts.length >= 9);
    const tested = readFileSync(ALERTS_TEST_PATH, 'utf8');
    for (const rule of alerts) {
      const name = rule.alert as string;
      assert.match(rule.for ?? '', /^\d+[smh]$/, `${name}: for`);
      assert.ok(['critical', 'warning'].includes(rule.labels?.severity ?? ''), `${name}: severity`);
      assert.ok(rule.annotations?.summary && rule.annotations.description, `${name}: summary and description`);
      assert.equal(rule.annotations?.runbook, `docs/operate.md#${name.toLowerCase()}`, `${name}: runbook link`);
      assert.ok(operate.includes(`\n### ${name}\n`), `${name}: a runbook section in docs/operate.md`);
      assert.ok(tested.includes(`alertname: ${name}\n`), `${name}: unit-tested in alerts.test.yaml`);
    }
  });
});

function fileURL(relative: string): URL {
  return new URL(`../../${relative}`, import.meta.url);
}
