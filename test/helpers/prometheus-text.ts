/**
 * Reading the Prometheus text format in tests: just enough of it (`# TYPE` lines and
 * `name{labels} value` samples), and `promtool check metrics` on a rendered exposition.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

export type Labels = Record<string, string>;
export interface Sample { readonly name: string; readonly labels: Labels; readonly value: number }
export interface Exposition { readonly types: ReadonlyMap<string, string>; readonly samples: readonly Sample[] }

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type?.[1] !== undefined && type[2] !== undefined) types.set(type[1], type[2]);
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (sample?.[1] === undefined || sample[3] === undefined) continue;
    const labels: Labels = {};
    for (const [, key, value] of (sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      if (key !== undefined && value !== undefined) labels[key] = value;
    }
    samples.push({ name: sample[1], labels, value: Number(sample[3]) });
  }
  return { types, samples };
}

/** The value of the one sample with this name whose labels are exactly `labels`; undefined if none. */
export function valueOf(exposition: Exposition, name: string, labels: Labels = {}): number | undefined {
  const matches = exposition.samples.filter((sample) => sample.name === name
    && Object.entries(labels).every(([key, value]) => sample.labels[key] === value)
    && Object.keys(sample.labels).length === Object.keys(labels).length);
  assert.ok(matches.length <= 1, `${name} ${JSON.stringify(labels)} matches ${matches.length} samples`);
  return matches[0]?.value;
}

/**
 * Runs `promtool check metrics` on `text` and asserts it passes without lint complaints. Without
 * promtool: fails on CI (.ci/run installs it), else skips the test with the reason printed.
 */
export async function assertPromtoolAccepts(t: TestContext, text: string): Promise<void> {
  const found = spawnSync('promtool', ['--version'], { stdio: 'ignore' });
  if (found.error !== undefined) {
    // CI installs promtool (.ci/run), so missing there is a broken setup, not a reason to skip.
    if (process.env.CI === 'true') assert.fail('promtool is missing on CI: install Debian package prometheus');
    const reason = 'promtool not found: install Debian package prometheus';
    t.diagnostic(reason);
    t.skip(reason);
    return;
  }
  const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exitCode = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  child.stdin.end(text);
  assert.equal(await exitCode, 0, `promtool check metrics failed:\n${output}`);
  assert.equal(output.trim(), '');
}
