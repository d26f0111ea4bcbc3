/** API keys, token buckets, the key guard's header forms, JSON depth and Unicode normalisation. */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syncBuiltinESMExports } from 'node:module';
import { describe, mock, test } from 'node:test';
import { parseConfig } from '../../shared/config/config';
import { createLogger } from '../../shared/logger';
import { announceAccess } from '../../shared/security/announce-access';
import { ConfigError } from '../../shared/config/env-reader';
import { parseDjlRequest } from '../../shared/dialects/djl';
import { hashApiKey, KeyRing, parseApiKeyEntries } from '../../shared/security/api-keys';
import { jsonDepth, MAX_JSON_DEPTH } from '../../shared/security/json-depth';
import { isHostAllowed } from '../../shared/security/host-guard';
import { presentedKey } from '../../shared/security/key-guard';
import { TokenBucket } from '../../shared/security/token-bucket';
import { toWellFormedText } from '../../shared/security/well-formed-text';

const fakeClock = (start = 0) => {
  let now = start;
  return { now: () => now, advance: (ms: number) => { now += ms; } };
};

const readDjlRequestTexts = (body: string): string[] =>
  parseDjlRequest(body, 'application/json', { maxItems: 100, maxCharsPerItem: 1_000 }).texts;

const configError = (env: Record<string, string>): ConfigError => {
  try {
    parseConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error;
  }
  assert.fail('expected a ConfigError');
};

describe('TokenBucket', () => {
  test('allows a burst of one second, then refills at the rate', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ ratePerS: 2 }, clock);
    assert.deepEqual(bucket.take(), { ok: true });
    assert.deepEqual(bucket.take(), { ok: true });
    const refused = bucket.take();
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.retryAfterSeconds, 0.5);
    clock.advance(500);
    assert.deepEqual(bucket.take(), { ok: true });
  });

  test('a take above the capacity passes on a full bucket and leaves it in debt', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ ratePerS: 10 }, clock);
    assert.deepEqual(bucket.take(30), { ok: true });
    assert.equal(bucket.available(), -20);
    const refused = bucket.take(1);
    assert.equal(!refused.ok && refused.retryAfterSeconds, 2.1);
    clock.advance(2_100);
    assert.deepEqual(bucket.take(1), { ok: true });
  });
});

describe('API keys', () => {
  const digest = hashApiKey('efd_secret');

  test('parses name, digest and limits; a bare digest gets a name from its digits', () => {
    const parsed = parseApiKeyEntries('API_KEYS', [`ci:${digest}:rps=5:tps=200`, digest.toUpperCase()]);
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(parsed.entries, [
      { name: 'ci', sha256: digest, rps: 5, tps: 200, role: 'client' },
      { name: `key-${digest.slice(0, 8)}`, sha256: digest, rps: undefined, tps: undefined, role: 'client' },
    ]);
  });

  test('role=operator or role=client, in any place after the digest; client by default; any other option refused unechoed', () => {
    const parsed = parseApiKeyEntries('API_KEYS', [`ops:${digest}:role=operator`, `ci:${digest}:rps=5:role=client:tps=9`, `${digest}:role=operator:rps=1`]);
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(parsed.entries.map(({ name, role, rps, tps }) => [name, role, rps, tps]), [
      ['ops', 'operator', undefined, undefined],
      ['ci', 'client', 5, 9],
      [`key-${digest.slice(0, 8)}`, 'operator', 1, undefined],
    ]);
    const bad = parseApiKeyEntries('API_KEYS', [`a:${digest}:role=admin`, `b:${digest}:role=`, `c:${digest}:efd_pasted-key`, `d:${digest}:Role=operator`]);
    assert.deepEqual(bad.entries, []);
    assert.equal(bad.problems.length, 4);
    assert.match(bad.problems[0]!, /^API_KEYS entry 1 \(a\): option 1 after the digest has an unknown role; expected rps=N, tps=N, role=client or role=operator$/);
    assert.match(bad.problems[2]!, /^API_KEYS entry 3 \(c\): option 1 after the digest is not a limit or a role/);
    assert.doesNotMatch(bad.problems.join('\n'), /admin|efd_/);
  });

  test('a plaintext key pasted by mistake is refused without being echoed', () => {
    const error = configError({ API_KEYS: 'ci:efd_my-plain-key,other:efd_second' });
    assert.equal(error.problems.length, 2);
    assert.doesNotMatch(error.message, /efd_/);
    assert.match(error.message, /API_KEYS entry 1: expected \[name:\]sha256hex/);
  });

  test('API_KEYS_FILE adds one entry per line, comments and blanks skipped; duplicates are refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'efd-keys-'));
    const file = join(dir, 'keys');
    writeFileSync(file, `# rotation: old and new\nold:${hashApiKey('old')}\n\nnew:${hashApiKey('new')}:tps=50  # added today\n`);
    const config = parseConfig({ API_KEYS_FILE: file, API_KEYS: `env:${hashApiKey('env')}` });
    assert.deepEqual(config.security.keys.map((key) => key.name), ['env', 'old', 'new']);
    assert.equal(config.security.keys[2]?.tps, 50);
    const duplicate = configError({ API_KEYS_FILE: file, API_KEYS: `old:${hashApiKey('other')}` });
    assert.match(duplicate.message, /name old is used twice/);
    assert.match(configError({ API_KEYS_FILE: join(dir, 'missing') }).message, /API_KEYS_FILE=.*cannot be read \(ENOENT\)/);
  });

  test('security defaults, and every bad security key reported together', () => {
    const { security } = parseConfig({});
    assert.deepEqual({ ...security, keys: [...security.keys], corsOrigins: [...security.corsOrigins], allowedHosts: [...security.allowedHosts] }, {
      keys: [], defaultRps: 100, defaultTps: 10_000, protectOperatorRoutes: true, corsOrigins: [], clientBodyTimeoutMs: 30_000, allowedHosts: [],
    });
    const error = configError({ API_KEY_RPS: '-1', API_KEY_TPS: 'x', PROTECT_OPERATOR_ROUTES: 'maybe', CLIENT_BODY_TIMEOUT_MS: '5', ALLOWED_HOSTS: 'ok.example, evil.example:8080' });
    assert.equal(error.problems.length, 5);
    assert.ok(error.problems.some((problem) => /^ALLOWED_HOSTS: entry 2 is not a host name/.test(problem)), error.message);
  });

  test('ALLOWED_HOSTS: lower-cased entries; off (`*`) by default on Cloud Run, whose front end routes by Host', () => {
    assert.deepEqual(parseConfig({ ALLOWED_HOSTS: 'Embed.Internal, *.svc.cluster.local' }).security.allowedHosts, ['embed.internal', '*.svc.cluster.local']);
    assert.deepEqual(parseConfig({ K_SERVICE: 'embed' }).security.allowedHosts, ['*']);
    assert.deepEqual(parseConfig({ K_SERVICE: 'embed', ALLOWED_HOSTS: 'a.example' }).security.allowedHosts, ['a.example']);
  });

  test('the Host guard accepts loopback names, IP literals and HOST, and names on the list only', () => {
    const list = ['embed.internal', '*.svc.cluster.local'];
    for (const host of ['localhost:8080', 'LOCALHOST', 'api.localhost', '127.0.0.1:8080', '10.1.2.3', '[::1]:8080', 'embed.internal:80', 'embed.internal.',
      'front.ns.svc.cluster.local', 'box.lan:8080', undefined]) {
      assert.ok(isHostAllowed(host, list, 'box.lan'), String(host));
    }
    for (const host of ['evil.example', 'evil.example:8080', 'svc.cluster.local', 'embed.internal.evil.example', 'localhost.evil.example', '0.0.0.0.evil.example']) {
      assert.ok(!isHostAllowed(host, list, '0.0.0.0'), host);
    }
    assert.ok(isHostAllowed('anything.example', ['*'], '0.0.0.0'));
  });

  test('KeyRing finds the entry of a presented key and nothing for others', () => {
    const ring = new KeyRing(parseApiKeyEntries('API_KEYS', [`a:${hashApiKey('key-a')}`, `b:${hashApiKey('key-b')}`]).entries);
    assert.equal(ring.find('key-b')?.name, 'b');
    assert.equal(ring.find('key-a')?.name, 'a');
    assert.equal(ring.find('key-c'), undefined);
    assert.equal(ring.find(''), undefined);
    assert.equal(ring.find(hashApiKey('key-a')), undefined, 'the digest itself is not a key');
  });

  test('KeyRing compares with timingSafeEqual against every digest, with no early exit', () => {
    const ring = new KeyRing(parseApiKeyEntries('API_KEYS', ['k1', 'k2', 'k3'].map((key) => `${key}:${hashApiKey(key)}`)).entries);
    const spy = mock.method(crypto, 'timingSafeEqual');
    syncBuiltinESMExports();
    try {
      for (const presented of ['k1', 'k3', 'wrong']) {
        spy.mock.resetCalls();
        ring.find(presented);
        assert.equal(spy.mock.callCount(), 3, `${presented}: every configured digest is compared`);
        for (const call of spy.mock.calls) assert.equal((call.arguments[0] as Buffer).length, 32, 'digests, never raw keys');
      }
    } finally {
      spy.mock.restore();
      syncBuiltinESMExports();
    }
  });

  test('the key is read from Authorization: Bearer, api-key or x-api-key', () => {
    const from = (headers: Record<string, string>) => presentedKey((name) => headers[name]);
    assert.equal(from({ authorization: 'Bearer efd_1' }), 'efd_1');
    assert.equal(from({ authorization: 'bearer   efd_1 ' }), 'efd_1');
    assert.equal(from({ 'api-key': 'efd_2' }), 'efd_2');
    assert.equal(from({ 'x-api-key': 'efd_3' }), 'efd_3');
    assert.equal(from({ authorization: 'Basic abc', 'x-api-key': 'efd_3' }), 'efd_3');
    assert.equal(from({ authorization: 'Bearer ' }), undefined);
    assert.equal(from({}), undefined);
  });
});

describe('hostile input helpers', () => {
  test('jsonDepth counts brackets outside strings only', () => {
    assert.equal(jsonDepth('{"input": ["a", "b"]}'), 2);
    assert.equal(jsonDepth('{"input": "[[[[[[\\"{{{{"}'), 1);
    assert.equal(jsonDepth('['.repeat(100_000)), MAX_JSON_DEPTH + 1, 'stops counting past the limit');
    assert.equal(jsonDepth('"unterminated [[['), 0);
    // Valid JSON or not, the count matches the structure (JSON.parse rejects what is malformed).
    assert.equal(jsonDepth('[\\[\\[1]]]'), 3);
    assert.equal(jsonDepth(JSON.stringify({ input: ['quote " and backslash \\ [{', 'x'] })), 2);
  });

  test('lone surrogates become U+FFFD; pairs, NUL, RTL marks and long words pass untouched', () => {
    assert.equal(toWellFormedText('a\ud800b'), 'a\ufffdb');
    assert.equal(toWellFormedText('\udc00x\ud83d'), '\ufffdx\ufffd');
    for (const text of ['emoji \u{1f600}', 'nul \u0000 inside', '\u202eRTL override\u200f', 'x'.repeat(1_048_576)]) {
      assert.equal(toWellFormedText(text), text);
    }
  });

  test('request texts come out well formed', () => {
    assert.deepEqual(readDjlRequestTexts('["ok", "lone \\ud800", "pair \\ud83d\\ude00"]'), ['ok', 'lone \ufffd', 'pair \u{1f600}']);
  });
});

test('start-up says once whether keys are needed, naming keys but never their digests', () => {
  const lines: string[] = [];
  const logger = createLogger('info', (line) => lines.push(line));
  announceAccess(parseConfig({}).security, logger);
  const digest = hashApiKey('efd_k');
  announceAccess(parseConfig({ API_KEYS: `ci:${digest}` }).security, logger);
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /"level":"warn","event":"auth_disabled"/);
  assert.match(lines[1]!, /"event":"auth_enabled","keys":\["ci"\]/);
  assert.ok(!lines[1]!.includes(digest));
});
