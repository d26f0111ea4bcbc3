/**
 * `cfn-lint` (AWS's CloudFormation linter, a Python tool: `pip install cfn-lint`) on template
 * files, failing on errors only: osls's own templates carry warnings (W3005, a DependsOn that a
 * Ref already implies) that are not ours to fix. Without cfn-lint: fails on CI (.ci/run checks it
 * is there), else skips the test with the reason printed.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

/** A template takes seconds; many at once on a loaded two-core runner, more. */
const CFN_LINT_TIMEOUT_MS = 120_000;

/** Runs cfn-lint on `files` and asserts it reports no error (warnings go to the test's diagnostics). */
export async function assertCfnLintAccepts(t: TestContext, files: readonly string[]): Promise<void> {
  const found = spawnSync('cfn-lint', ['--version'], { stdio: 'ignore' });
  if (found.error !== undefined) {
    if (process.env.CI === 'true') assert.fail('cfn-lint is missing on CI: pip install cfn-lint (1.51 or later)');
    const reason = 'cfn-lint not found: pip install cfn-lint';
    t.diagnostic(reason);
    t.skip(reason);
    return;
  }
  const child = spawn('cfn-lint', ['--format', 'parseable', '--non-zero-exit-code', 'error', '--', ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), CFN_LINT_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  clearTimeout(timer);
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  const warnings = lines.filter((line) => /:[WI]\d+:/.test(line));
  if (warnings.length > 0) t.diagnostic(`cfn-lint warnings:\n${warnings.join('\n')}`);
  assert.equal(code, 0, `cfn-lint reports errors:\n${lines.filter((line) => !warnings.includes(line)).join('\n')}`);
}
