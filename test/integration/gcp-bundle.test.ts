/**
 * The Google Cloud build, as Google's Node.js buildpack runs it (GoogleCloudPlatform/buildpacks,
 * cmd/nodejs/npm and cmd/nodejs/functions_framework): in a copy of the uploaded source with the
 * dependencies installed, `npm run gcp-build`; then `node --check` on package.json `main`; then the
 * web process `/bin/bash -c node_modules/.bin/functions-framework` from the package root with
 * FUNCTION_TARGET=embed and PORT. The sources are deleted before the start, and nothing sets
 * NODE_OPTIONS: the function runs from the bundle alone, with no TypeScript and no tsx.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ChildServer, platformEnv, startChildServer } from '../helpers/child-server';
import { deadPort } from '../helpers/dead-port';
import { post } from '../helpers/front-door';
import { BUNDLE_TARGETS, buildBundle } from '../../tools/build/bundles';
import { DJL_PROFILES, type DjlSimulator, simulatedEmbedding, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const ROOT = new URL('../../', import.meta.url).pathname;
/** What the gcp-build script reads: the package files and the sources it bundles. */
const SOURCE = ['package.json', 'package-lock.json', '.npmrc', 'tsconfig.json', 'functions', 'shared', 'tools/build'];

interface PackageJson {
  main?: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;

/** Starts the framework as the buildpack's web process does; a port taken meanwhile is retried. */
async function startAsBuildpack(dir: string, env: Record<string, string>): Promise<{ server: ChildServer; url: string }> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await deadPort();
    try {
      const server = await startChildServer('/bin/bash', ['-c', 'node_modules/.bin/functions-framework'], {
        cwd: dir,
        env: platformEnv({ ...env, FUNCTION_TARGET: 'embed', PORT: String(port) }),
        ready: /^Serving function\.\.\.$/,
      });
      return { server, url: `http://127.0.0.1:${port}` };
    } catch (error) {
      if (attempt >= 3 || !String(error).includes('EADDRINUSE')) throw error;
    }
  }
}

describe('the Google Cloud bundle, built and served as the Node.js buildpack does', () => {
  let dir: string;
  let sim: DjlSimulator;
  let started: { server: ChildServer; url: string } | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gcp-buildpack-'));
    for (const path of SOURCE) cpSync(join(ROOT, path), join(dir, path), { recursive: true });
    // The buildpack's `npm ci`: this checkout's installed tree stands in for it.
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
  });

  after(async () => {
    await started?.server.stop();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('package.json names the bundle as main, and gcp-build builds it', () => {
    assert.equal(pkg.main, BUNDLE_TARGETS.gcp.output);
    assert.ok(pkg.scripts['gcp-build'], 'a gcp-build script: the buildpack runs it after installing');
    assert.ok('@google-cloud/functions-framework' in pkg.dependencies, 'the framework is a dependency: the buildpack runs node_modules/.bin/functions-framework');
    execFileSync('npm', ['run', '--silent', 'gcp-build'], { cwd: dir, env: platformEnv({}), stdio: 'pipe' });
    assert.ok(existsSync(join(dir, BUNDLE_TARGETS.gcp.output)));
  });

  test('node --check accepts main, as the buildpack checks it', () => {
    execFileSync(process.execPath, ['--check', pkg.main ?? 'index.js'], { cwd: dir, stdio: 'pipe' });
  });

  test('the bundle needs only production dependencies from node_modules, and no TypeScript', async () => {
    const files = readdirSync(join(dir, BUNDLE_TARGETS.gcp.outdir));
    assert.ok(files.every((file) => file.endsWith('.mjs') || file.endsWith('.mjs.map')), files.join(', '));
    // The same build again, for esbuild's own account of what it left to node_modules.
    const { externalPackages } = await buildBundle('gcp', ROOT, join(dir, 'metafile-build'));
    rmSync(join(dir, 'metafile-build'), { recursive: true, force: true });
    for (const name of externalPackages) assert.ok(name in pkg.dependencies, `${name} is imported at run time but is no production dependency (npm prune would remove it)`);
    assert.ok(externalPackages.includes('@google-cloud/functions-framework'), 'the framework stays external: one function registry');
    assert.ok(!externalPackages.includes('tsx'));
  });

  test('functions-framework serves POST /embed from the bundle, sources gone, no tsx', async () => {
    for (const path of ['functions', 'shared', 'tools', 'tsconfig.json']) rmSync(join(dir, path), { recursive: true, force: true });
    started = await startAsBuildpack(dir, { CPU_BACKENDS: sim.predictionsUrl, LOG_LEVEL: 'warn' });
    const { status, body, text } = await post(`${started.url}/embed`, { inputs: ['first chunk', 'second chunk'] });
    assert.equal(status, 200, text);
    assert.deepEqual(body, [simulatedEmbedding('first chunk', 384), simulatedEmbedding('second chunk', 384)]);
    assert.ok(sim.stats.requests > 0, 'the simulated DJL instance was called');
    const ping = await fetch(`${started.url}/ping`);
    assert.equal(ping.status, 200);
    assert.doesNotMatch(started.server.output(), /tsx|\.ts\b/, 'nothing mentions TypeScript sources');
  });
});
