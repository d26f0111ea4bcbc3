/**
 * The README's quick start, as a newcomer runs it: `npm run demo`, then the `openai` and LangChain
 * snippets (docs/examples/*.mjs, which test/unit/docs.test.ts holds word for word equal to the
 * README's) run with plain `node` against it. The demo listens on port 0 here; the examples take
 * its URL from EMBED_URL, as the README says.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

/** The demo as `npm run demo` starts it, on an ephemeral port; `url` resolves once it listens. */
function startDemo(): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tools/demo/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '', API_KEYS: '', API_KEYS_FILE: '', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the demo exited (${String(code)}) before it listened`);
  });
  const listening = (async () => {
    for await (const line of createInterface({ input: child.stdout })) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { event?: string; url?: string };
      if (entry.event === 'listening' && entry.url) return entry.url;
    }
    throw new Error('the demo closed its output before it listened');
  })();
  const url = Promise.race([listening, exited]).then((found) => {
    child.stdout.resume();
    return found;
  });
  return { child, url };
}

describe('README quick start: the demo and the client snippets', () => {
  const demo = startDemo();
  let url = '';

  // A demo that never says it listens fails the suite at this limit instead of hanging it.
  before(async () => {
    url = await demo.url;
  }, { timeout: 120_000 });

  after(async () => {
    if (demo.child.exitCode === null && demo.child.signalCode === null) {
      const exited = once(demo.child, 'exit');
      demo.child.kill('SIGTERM');
      await exited;
    }
  });

  for (const [example, expected] of [
    ['docs/examples/openai.mjs', '2 vectors of 384'],
    ['docs/examples/langchain.mjs', '2 vectors of 384 ; query 384'],
  ] as const) {
    test(`node ${example} embeds through the demo`, async () => {
      const { EMBED_API_KEY: _unused, ...env } = process.env;
      const { stdout } = await run(process.execPath, [example], {
        cwd: ROOT,
        env: { ...env, EMBED_URL: `${url}/v1` },
        timeout: 60_000,
      });
      assert.equal(stdout.trim(), expected);
    });
  }
});
