/**
 * The import graph of the whole tree, read with TypeScript's own pre-processor (static imports,
 * `export ... from`, `import type` and dynamic `import()` alike): no cycle of any kind, and imports
 * only in the directions the layout promises (docs/layout.md). A type-only cycle counts: it still
 * ties two files' meanings together, and it is how real cycles start.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TOP_FOLDERS = ['functions', 'shared', 'tools', 'test'] as const;
const SKIPPED_FOLDERS = new Set(['node_modules', 'results', 'fixtures']);

/** A forbidden direction: files under `from` must not import files under any of `to`. */
interface Rule {
  readonly from: string;
  readonly to: readonly string[];
  readonly why: string;
}

const RULES: readonly Rule[] = [
  { from: 'shared/', to: ['functions/', 'tools/', 'test/'], why: 'the runtime library stands alone; entry points, tools and tests use it' },
  { from: 'functions/', to: ['tools/', 'test/'], why: 'deployable entry points never bundle operator tools or test code' },
  { from: 'tools/', to: ['test/', 'functions/'], why: 'tools use the runtime library, not the tests or the entry points' },
  { from: 'shared/dispatch/', to: ['shared/telemetry/', 'shared/http/', 'shared/runtime/', 'shared/aws/', 'shared/gcp/'], why: 'the dispatch core declares its ports (shared/core/) and never reaches out to the layers that implement them' },
  { from: 'shared/telemetry/', to: ['shared/dispatch/', 'shared/http/', 'shared/runtime/'], why: 'telemetry implements the port the core declares' },
  { from: 'shared/config/', to: ['shared/runtime/', 'shared/http/', 'shared/dispatch/'], why: 'config is read before anything is built from it' },
];

/** Every folder of shared/ except core/ itself: core imports nothing but core. */
const SHARED_OUTSIDE_CORE = readdirSync(join(ROOT, 'shared'))
  .filter((name) => name !== 'core')
  .map((name) => (name.endsWith('.ts') ? `shared/${name}` : `shared/${name}/`));

function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) walk(path);
      } else if (entry.name.endsWith('.ts')) {
        files.push(path);
      }
    }
  };
  for (const folder of TOP_FOLDERS) walk(folder);
  return files.sort();
}

/** The repository files `file` imports (relative specifiers only; packages are not part of the graph). */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  return importedFiles.flatMap(({ fileName }) => {
    if (!fileName.startsWith('.')) return [];
    const base = normalize(join(dirname(file), fileName)).split(sep).join('/').replace(/\.(ts|js|mjs)$/, '');
    const target = [`${base}.ts`, `${base}/index.ts`].find((candidate) => existsSync(join(ROOT, candidate)));
    assert.ok(target !== undefined, `${file} imports ${fileName}, which is not a file of the tree`);
    return [target];
  });
}

/** Strongly connected components of two or more files, or one file importing itself (Tarjan). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node)?.includes(node)) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

const graph = new Map(sourceFiles().map((file) => [file, importsOf(file)] as const));

function violations(rule: Rule): string[] {
  return [...graph].flatMap(([file, targets]) => file.startsWith(rule.from)
    ? targets.filter((target) => rule.to.some((forbidden) => target.startsWith(forbidden))).map((target) => `${file} -> ${target}`)
    : []);
}

describe('import graph', () => {
  test('reads the whole tree, imports of every kind', () => {
    assert.ok(graph.size > 200, `only ${graph.size} files found`);
    // A dynamic import() and a type-only import are edges too.
    assert.ok(graph.get('shared/discovery/create-source.ts')?.includes('shared/aws/ecs-source.ts'));
    assert.ok(graph.get('shared/telemetry/telemetry.ts')?.includes('shared/core/dispatch-events.ts'));
  });

  test('the cycle finder finds a cycle, a self-import and nothing in a tree', () => {
    assert.deepEqual(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c']]);
    assert.deepEqual(cycles(new Map([['a', ['a']]])), [['a']]);
    assert.deepEqual(cycles(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]])), []);
  });

  test('no import cycle of any kind, type-only included', () => {
    assert.deepEqual(cycles(graph), []);
  });

  for (const rule of RULES) {
    test(`${rule.from} imports nothing from ${rule.to.join(', ')} (${rule.why})`, () => {
      assert.deepEqual(violations(rule), []);
    });
  }

  test('shared/core/ imports nothing outside itself: it owns the words every layer shares', () => {
    const rule = { from: 'shared/core/', to: [...SHARED_OUTSIDE_CORE, 'functions/', 'tools/', 'test/'], why: '' };
    assert.deepEqual(violations(rule), []);
    const packages = [...graph.keys()].filter((file) => file.startsWith('shared/core/')).flatMap((file) =>
      ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true).importedFiles
        .filter(({ fileName }) => !fileName.startsWith('.'))
        .map(({ fileName }) => `${file} -> ${fileName}`));
    assert.deepEqual(packages, []);
  });
});
