/**
 * The Dockerfile without Docker (no engine on this machine or CI): each stage is played in a
 * folder of its own, the way `docker build` would, from the file itself: COPY from the build
 * context (checked against .dockerignore) or from an earlier stage, RUN with the stage's ARGs
 * and ENVs, `npm ci` stood in for by this checkout's installed tree. Then the runtime stage's CMD
 * is started there, with its ENV and nothing else of this process, and serves an embed; its
 * HEALTHCHECK command runs against it; SIGTERM stops it cleanly. Once as built by default (a
 * simulated DJL instance behind it) and once with WITH_LOCAL_ENGINE=true (the in-process engine on
 * the tiny test model, its worker thread started from the bundle).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ChildServer, platformEnv, startChildServer } from '../helpers/child-server';
import { argDefault, envPairs, execForm, isIgnored, parseDockerfile, splitFlags, type Stage } from '../helpers/dockerfile';
import { post } from '../helpers/front-door';
import { expectedVector, TINY_DIMENSION, writeTinyModel } from '../../tools/fixtures/tiny-model';
import { DJL_PROFILES, type DjlSimulator, simulatedEmbedding, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const ROOT = new URL('../../', import.meta.url).pathname;
const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');

/** A stage as played here: its folder, the container path it stands for, what it declared. */
interface PlayedStage {
  readonly name: string;
  readonly dir: string;
  readonly workdir: string;
  readonly env: Record<string, string>;
  user: string | undefined;
  cmd: string[] | undefined;
  healthcheck: string[] | undefined;
}

/** Every file under `dir`, relative, `/`-separated. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((path) => statSync(join(dir, path)).isFile()).map((path) => path.split('\\').join('/'));
}

/** `${NAME}` / `$NAME` from the ARGs in scope. */
function expand(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced: string | undefined, bare: string | undefined) => vars[braced ?? bare ?? ''] ?? '');
}

/** Plays every stage of the Dockerfile under `root` with these build args; returns the last. */
function playDockerfile(root: string, buildArgs: Record<string, string>): PlayedStage {
  const played = new Map<string, PlayedStage>();
  let last: PlayedStage | undefined;
  dockerfile.stages.forEach((stage: Stage, index) => {
    const name = stage.name ?? String(index);
    const current: PlayedStage = { name, dir: join(root, name), workdir: '/', env: {}, user: undefined, cmd: undefined, healthcheck: undefined };
    mkdirSync(current.dir, { recursive: true });
    const args: Record<string, string> = {};
    const local = (path: string) => join(current.dir, posix.relative(current.workdir, posix.resolve(current.workdir, path)));
    for (const { keyword, args: text } of stage.instructions) {
      switch (keyword) {
        case 'WORKDIR':
          (current as { workdir: string }).workdir = posix.resolve(current.workdir, text);
          break;
        case 'ARG': {
          const [arg, value] = argDefault(text);
          args[arg] = buildArgs[arg] ?? (value || (dockerfile.globalArgs[arg] ?? ''));
          break;
        }
        case 'ENV':
          Object.assign(current.env, envPairs(text));
          break;
        case 'COPY': {
          const { flags, rest } = splitFlags(text);
          const words = rest.split(/\s+/);
          const destination = local(words.pop()!);
          for (const source of words) {
            if (flags.from !== undefined) {
              const from = played.get(flags.from);
              assert.ok(from, `COPY --from=${flags.from}: no such earlier stage`);
              const path = join(from.dir, posix.relative(from.workdir, posix.resolve(from.workdir, source)));
              assert.ok(existsSync(path), `COPY --from=${flags.from} ${source}: the stage has no such file`);
              cpSync(path, source.endsWith('/') ? destination : join(destination, posix.basename(source)), { recursive: true });
            } else {
              const path = join(ROOT, source);
              assert.ok(existsSync(path), `COPY ${source}: not in the repository`);
              assert.ok(!isIgnored(dockerignore, source.replace(/\/$/, '')), `COPY ${source}: .dockerignore leaves it out of the context`);
              const target = destination.endsWith('/') || words.length > 1 || rest.trim().endsWith('./') ? join(destination, posix.basename(source)) : destination;
              mkdirSync(dirname(target), { recursive: true });
              cpSync(path, target, { recursive: true, filter: (from) => !isIgnored(dockerignore, relative(ROOT, from)) || from === path });
            }
          }
          break;
        }
        case 'RUN':
          if (/^npm ci\b/.test(text)) {
            // The install: this checkout's tree (installed from the same lockfile) stands in.
            symlinkSync(join(ROOT, 'node_modules'), join(current.dir, 'node_modules'), 'dir');
          } else {
            execFileSync('/bin/sh', ['-c', text], { cwd: current.dir, env: platformEnv({ ...args, ...current.env }), stdio: 'pipe' });
          }
          break;
        case 'USER':
          current.user = text;
          break;
        case 'CMD':
          current.cmd = execForm(text, 'CMD');
          break;
        case 'HEALTHCHECK': {
          const match = /\bCMD\s+(\[.*\])$/.exec(text);
          assert.ok(match, 'HEALTHCHECK ... CMD ["..."]');
          current.healthcheck = execForm(match[1]!, 'HEALTHCHECK CMD');
          break;
        }
        case 'EXPOSE':
          break;
        default:
          assert.fail(`${keyword}: not played by this test; teach it`);
      }
    }
    assert.ok(expand(stage.image, { ...dockerfile.globalArgs, ...buildArgs }).length > 0, `stage ${name} has an image`);
    played.set(name, current);
    last = current;
  });
  assert.ok(last);
  return last;
}

/** Runs an exec-form command as the image would: `node` is this Node. */
function resolveCommand(command: readonly string[]): [string, string[]] {
  const [program = '', ...rest] = command;
  return [program === 'node' ? process.execPath : program, rest];
}

describe('Dockerfile, played without Docker', () => {
  let root: string;
  let sim: DjlSimulator;
  const servers: ChildServer[] = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'dockerfile-'));
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
  });

  after(async () => {
    for (const server of servers) await server.stop();
    await sim.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('two stages: a build stage and a runtime stage that runs bundled JavaScript as a non-root user', () => {
    assert.equal(dockerfile.stages.length, 2);
    const runtime = dockerfile.stages[1]!;
    const keywords = runtime.instructions.map((instruction) => instruction.keyword);
    assert.ok(!keywords.includes('RUN'), 'the runtime stage installs nothing: no dev dependencies, no build tools');
    const user = runtime.instructions.find((instruction) => instruction.keyword === 'USER')?.args;
    assert.ok(user !== undefined && user !== 'root' && user !== '0', `a non-root USER (${user})`);
    const cmd = execForm(runtime.instructions.find((instruction) => instruction.keyword === 'CMD')!.args, 'CMD');
    assert.equal(cmd[0], 'node');
    assert.match(cmd[cmd.length - 1]!, /^dist\/.*\.mjs$/);
    assert.ok(!cmd.some((word) => /tsx|\.ts$/.test(word)), 'no tsx, no TypeScript');
    assert.ok(keywords.includes('HEALTHCHECK'));
    assert.match(dockerfile.globalArgs.NODE_IMAGE ?? '', /^node:\d+-slim$/);
  });

  test('default build: only the bundle in the image; it serves POST /embed and its health check passes', async () => {
    const runtime = playDockerfile(join(root, 'default'), {});
    const files = filesUnder(runtime.dir);
    assert.ok(files.length > 0);
    assert.deepEqual(files.filter((file) => !/^dist\/server\/[\w.-]+\.mjs(\.map)?$/.test(file)), [], 'nothing but the server bundle');
    assert.ok(runtime.cmd && runtime.healthcheck && runtime.user);

    const [program, args] = resolveCommand(runtime.cmd);
    const server = await startChildServer(program, args, {
      cwd: runtime.dir,
      env: platformEnv({ ...runtime.env, HOST: '127.0.0.1', PORT: '0', CPU_BACKENDS: sim.predictionsUrl }),
      ready: /"event":"listening"/,
    });
    servers.push(server);
    const { url } = JSON.parse(server.readyLine) as { url: string };
    const { status, body, text } = await post(`${url}/embed`, { inputs: ['in a container'] });
    assert.equal(status, 200, text);
    assert.deepEqual(body, [simulatedEmbedding('in a container', 384)]);

    const [checkProgram, checkArgs] = resolveCommand(runtime.healthcheck);
    const port = new URL(url).port;
    execFileSync(checkProgram, checkArgs, { env: platformEnv({ ...runtime.env, PORT: port }), stdio: 'pipe' });
    assert.throws(() => execFileSync(checkProgram, checkArgs, { env: platformEnv({ PORT: String(Number(port) === 1 ? 2 : 1) }), stdio: 'pipe' }),
      'the health check fails where nothing answers');
    assert.deepEqual(await server.stop(), [0, null], 'SIGTERM drains and exits 0');
  });

  test('WITH_LOCAL_ENGINE=true: onnxruntime-node for Linux only, and the in-process engine serves from the bundle', async () => {
    const runtime = playDockerfile(join(root, 'engine'), { WITH_LOCAL_ENGINE: 'true' });
    const packages = readdirSync(join(runtime.dir, 'node_modules')).sort();
    assert.deepEqual(packages, ['onnxruntime-common', 'onnxruntime-node']);
    const platforms = readdirSync(join(runtime.dir, 'node_modules/onnxruntime-node/bin'))
      .flatMap((napi) => readdirSync(join(runtime.dir, 'node_modules/onnxruntime-node/bin', napi)));
    assert.deepEqual([...new Set(platforms)], ['linux']);
    assert.ok(runtime.cmd);

    const model = await writeTinyModel();
    const [program, args] = resolveCommand(runtime.cmd);
    const server = await startChildServer(program, args, {
      cwd: runtime.dir,
      env: platformEnv({ ...runtime.env, HOST: '127.0.0.1', PORT: '0', EMBED_MODEL_DIR: model.dir, MODEL_DIMENSION: String(TINY_DIMENSION) }),
      ready: /"event":"listening"/,
    });
    servers.push(server);
    const { url } = JSON.parse(server.readyLine) as { url: string };
    const { status, body, text } = await post(`${url}/v1/embeddings`, { input: ['zebra'], model: 'all-MiniLM-L6-v2', encoding_format: 'float' });
    assert.equal(status, 200, `${text}\n${server.output()}`);
    const vector = body.data[0].embedding as number[];
    expectedVector([2, 1, 3]).forEach((x, index) => assert.ok(Math.abs(x - vector[index]!) < 1e-6));
    assert.deepEqual(await server.stop(), [0, null]);
  });
});
