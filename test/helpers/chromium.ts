/**
 * Debian's Chromium, headless, driven by playwright-core (which never downloads a browser): a
 * fresh profile in a temporary directory, no network beyond what the page asks for (no component
 * updates, sync or QUIC probes), removed when the browser closes.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface TestBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh profile; fails with what to install when it is missing. */
export async function launchChromium(): Promise<TestBrowser> {
  assert.ok(existsSync(CHROMIUM_PATH),
    `${CHROMIUM_PATH} is missing: install Debian's chromium (apt-get install chromium; .ci/run does) to run the browser tests`);
  const profile = await mkdtemp(join(tmpdir(), 'efd-chromium-'));
  // A persistent context is how playwright takes a user data dir (it refuses --user-data-dir in args).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
