/**
 * Docs that cannot drift: every configuration key the config reads is on docs/configuration.md and
 * every key there is read; every route and every log event the runtime writes is documented; every
 * npm script is in the README's table; every relative link and anchor in README.md and docs/
 * resolves, as GitHub renders them, and every docs page the code names exists; the README's
 * client snippets are the example files the docs-examples test runs.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../shared/config/config';
import type { Env } from '../../shared/config/env-reader';
import { ROUTE_LABELS } from '../../shared/http/routes';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** Every Markdown file a reader navigates: the README and everything under docs/. */
function markdownFiles(): string[] {
  const walk = (dir: string): string[] => readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return walk(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
  return ['README.md', ...walk('docs')];
}

/** The text outside fenced code blocks, line by line (headings and links in code are not real). */
function proseLines(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/** The first cell of every table row, for tables whose rows name things in their first column. */
function firstCells(markdown: string): string[] {
  return proseLines(markdown)
    .filter((line) => line.startsWith('|') && !/^\|\s*-/.test(line))
    .map((line) => line.split('|')[1] ?? '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function githubSlug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** The anchors a Markdown file offers, numbered like GitHub's for repeated headings. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of proseLines(markdown)) {
    const match = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!match?.[1]) continue;
    const slug = githubSlug(match[1]);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Every configuration key the config reads, recorded by watching it read an environment. */
function keysTheConfigReads(): Set<string> {
  const keys = new Set<string>();
  const watched = (values: Record<string, string>): Env => new Proxy(values, {
    get(target, key) {
      if (typeof key === 'string') keys.add(key);
      return target[key as string];
    },
  });
  parseConfig(watched({}));
  // Keys read only when another is set (a measured lead unless fixed, worker count when given).
  parseConfig(watched({ CPU_BACKENDS: 'http://127.0.0.1:1/predictions/m', WARMUP_LEAD_SECONDS: '60', LOCAL_ENGINE_WORKERS: '1' }));
  return keys;
}

const UPPER_KEY = /`([A-Z][A-Z0-9_]*[A-Z0-9])`/g;

describe('docs that cannot drift', () => {
  test('every key the config reads is in a table of docs/configuration.md, and every key there is read', () => {
    const readKeys = keysTheConfigReads();
    const documented = new Set(firstCells(read('docs/configuration.md')).flatMap((cell) => [...cell.matchAll(UPPER_KEY)].map((m) => m[1]!)));
    assert.ok(readKeys.size > 50, `the config read only ${readKeys.size} keys: the recording is broken`);
    assert.deepEqual([...readKeys].filter((key) => !documented.has(key)).sort(), [], 'read by the config but not documented');
    assert.deepEqual([...documented].filter((key) => !readKeys.has(key)).sort(), [], 'documented but never read');
  });

  test('every npm script is in the README\'s table, and every script there exists', () => {
    const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
    const inTable = new Set(firstCells(read('README.md')).flatMap((cell) => {
      const match = /^\s*`npm (?:run )?([\w:-]+)`\s*$/.exec(cell);
      return match?.[1] ? [match[1]] : [];
    }));
    assert.deepEqual(scripts.filter((script) => !inTable.has(script)), [], 'scripts missing from the README table');
    assert.deepEqual([...inTable].filter((script) => !scripts.includes(script)), [], 'README rows for scripts that do not exist');
  });

  test('every route is in docs/api.md\'s route table', () => {
    const documented = new Set(firstCells(read('docs/api.md')).map((cell) => cell.trim().replace(/`/g, '')));
    assert.deepEqual(ROUTE_LABELS.filter((label) => !documented.has(label)), []);
  });

  test('every log event the runtime writes is in docs/metrics-and-logs.md', () => {
    const events = new Set<string>();
    const scan = (dir: string): void => {
      for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
        const path = `${dir}/${entry.name}`;
        if (entry.isDirectory()) scan(path);
        else if (path.endsWith('.ts')) {
          const source = read(path);
          // The event is a literal, or a constant declared in the same file.
          for (const match of source.matchAll(/\b(?:logger|log)\.(?:debug|info|warn|error)\(\s*(?:'([a-z_]+)'|([A-Z][A-Z0-9_]*)\b)/g)) {
            const constant = match[2] === undefined ? undefined : new RegExp(`const ${match[2]} = '([a-z_]+)'`).exec(source)?.[1];
            const event = match[1] ?? constant;
            assert.ok(event !== undefined, `${path}: log event ${match[2]} is not a literal or a constant of this file`);
            events.add(event);
          }
        }
      }
    };
    scan('shared');
    scan('functions');
    assert.ok(events.size > 10, `found only ${events.size} log events: the scan is broken`);
    const page = read('docs/metrics-and-logs.md');
    assert.deepEqual([...events].filter((event) => !page.includes(`\`${event}\``)).sort(), []);
  });

  test('every relative link and anchor in README.md and docs/ resolves', () => {
    const broken: string[] = [];
    for (const file of markdownFiles()) {
      const text = proseLines(read(file)).join('\n').replace(/`[^`\n]*`/g, '');
      for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
        const [path = '', anchor] = target.split('#');
        const resolved = path === '' ? join(ROOT, file) : resolve(dirname(join(ROOT, file)), decodeURIComponent(path));
        if (!existsSync(resolved)) {
          broken.push(`${file}: ${target} (no such file)`);
          continue;
        }
        if (anchor === undefined) continue;
        if (!statSync(resolved).isFile() || !resolved.endsWith('.md')) {
          broken.push(`${file}: ${target} (an anchor into something that is not Markdown)`);
        } else if (!anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)) {
          broken.push(`${file}: ${target} (no heading "${anchor}" in ${relative(ROOT, resolved)})`);
        }
      }
    }
    assert.deepEqual(broken, []);
  });

  test('every docs page the code and serverless.yml point at exists', () => {
    const pointers = new Set<string>();
    const scan = (path: string): void => {
      if (statSync(join(ROOT, path)).isDirectory()) {
        for (const entry of readdirSync(join(ROOT, path))) if (entry !== 'results') scan(`${path}/${entry}`);
      } else if (/\.(ts|yml)$/.test(path)) {
        for (const match of read(path).matchAll(/\bdocs\/[\w./-]+\.md\b/g)) pointers.add(`${path}: ${match[0]}`);
      }
    };
    for (const path of ['shared', 'functions', 'tools', 'serverless.yml']) scan(path);
    assert.ok(pointers.size > 0, 'no pointer into docs/ found: the scan is broken');
    assert.deepEqual([...pointers].filter((pointer) => !existsSync(join(ROOT, pointer.split(': ')[1]!))), []);
  });

  test('the README\'s client snippets are the example files, word for word', () => {
    const readme = read('README.md');
    for (const example of ['docs/examples/openai.mjs', 'docs/examples/langchain.mjs']) {
      assert.ok(readme.includes(`\`\`\`js\n${read(example)}\`\`\``), `${example} differs from its README snippet`);
    }
  });

  test('the README stays short and starts with the two commands', () => {
    const readme = read('README.md');
    assert.ok(readme.split('\n').length <= 250, 'README.md is over 250 lines: move detail to docs/');
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    assert.match(firstBlock, /^npm ci && npm start\b/m);
    assert.match(firstBlock, /^npm test\b/m);
  });
});

describe('the docs checker itself', () => {
  test('GitHub anchors: punctuation and code marks dropped, repeats numbered', () => {
    assert.equal(githubSlug('Burst: the GPU overflow tier'), 'burst-the-gpu-overflow-tier');
    assert.equal(githubSlug('AWS: ECS on Fargate (`aws/djl-ecs.yaml`)'), 'aws-ecs-on-fargate-awsdjl-ecsyaml');
    assert.equal(githubSlug('The DJL simulator: `npm run sim`'), 'the-djl-simulator-npm-run-sim');
    assert.deepEqual([...anchorsOf('# A\n## B\n```\n# not a heading\n```\n## B\n')], ['a', 'b', 'b-1']);
  });
});
