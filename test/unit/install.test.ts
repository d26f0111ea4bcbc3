/**
 * A quiet install: the Node versions package.json promises are ones every installed package
 * accepts (npm warns EBADENGINE otherwise), npm reads no project setting it does not know (it
 * warns on every command otherwise), and no install script that downloads or nags runs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import semver from 'semver';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

interface PackageJson {
  readonly engines: { readonly node: string; readonly npm: string };
  readonly allowScripts: Readonly<Record<string, boolean>>;
}
interface LockEntry {
  readonly engines?: { readonly node?: string } | readonly string[];
  readonly hasInstallScript?: boolean;
  readonly optional?: boolean;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
const installed = Object.entries(lock.packages).filter(([path]) => path.startsWith('node_modules/'));
const nameOf = (path: string): string => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

describe('a quiet install', () => {
  test('the oldest Node package.json accepts is accepted by every installed package', () => {
    const oldest = semver.minVersion(pkg.engines.node);
    assert.ok(oldest !== null, `engines.node ${pkg.engines.node} has no lowest version`);
    const refusing = installed.flatMap(([path, entry]) => {
      const range = Array.isArray(entry.engines) ? undefined : (entry.engines as { node?: string } | undefined)?.node;
      return range === undefined || semver.satisfies(oldest, range) ? [] : [`${path} wants node ${range}`];
    });
    assert.deepEqual(refusing, [], `engines.node says ${pkg.engines.node}`);
  });

  test('every package with an install script is decided in allowScripts', () => {
    const undecided = installed
      .filter(([, entry]) => entry.hasInstallScript === true && entry.optional !== true)
      .map(([path]) => nameOf(path))
      .filter((name) => !(name in pkg.allowScripts));
    assert.deepEqual(undecided, []);
    // Its postinstall downloads CUDA libraries from NuGet: never wanted, impossible offline.
    assert.equal(pkg.allowScripts['onnxruntime-node'], false);
  });

  test('npm run prints no warning of its own (no unknown project setting)', async () => {
    const { stdout, stderr } = await run('npm', ['run', 'key:new', '--', '--help'], { cwd: ROOT, env: { ...process.env, npm_config_loglevel: 'warn' } });
    assert.match(stdout, /Usage: npm run key:new/);
    assert.doesNotMatch(stderr, /npm warn/i);
  });
});
