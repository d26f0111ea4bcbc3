/**
 * `serverless package` (osls + serverless-esbuild, as serverless.yml configures them) offline,
 * with no AWS credentials and a throwaway HOME: the artifacts exist, stay small, hold only their
 * own function's bundle (no onnxruntime, no tokenizer library, no tests), and the embed artifact's
 * handler, unzipped and imported as Lambda imports it, serves API Gateway v2 events end to end,
 * including discovery through the AWS SDK and Cloud Run client bundled into its lazy chunks.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, readdir, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { apiGatewayV2Event, lambdaContext } from '../../tools/fixtures/lambda-events';
import { FakeAws, TEST_CREDENTIALS } from '../helpers/fake-aws';
import { FakeCloudRun } from '../helpers/fake-cloud-run';
import { withPackageLock } from '../helpers/serverless-cli';
import { DJL_PROFILES, type DjlSimulator, simulatedEmbedding, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';
import { expectedVector, TINY_CASES, TINY_DIMENSION, writeTinyModel } from '../../tools/fixtures/tiny-model';
import { decodeVectors, type WorkerAnswer } from '../../shared/worker/worker-payload';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** Packaging took about 8 s on this project's 2-core machine; the rest is headroom for a busy CI. */
const PACKAGE_TIMEOUT_MS = 90_000;
/**
 * Zipped size budgets. Measured: embed 1.8 MB, warmup 2.2 MB, of which the lazily loaded Cloud Run
 * client (google-gax, gRPC, protos) is most; onnxruntime-node alone would add tens of MB.
 */
const MAX_ZIP_BYTES = { embed: 4_000_000, warmup: 4_500_000 } as const;
/** Below this, a bundle would be missing the app itself. */
const MIN_ZIP_BYTES = 100_000;
/** Strings only the in-process engine's packages contain (onnxruntime-node, @huggingface/tokenizers). */
const ENGINE_MARKERS = ['onnxruntime', 'InferenceSession', 'BertPreTokenizer', 'WordPieceDecoder'];
const PATH_TO_DJL = '/predictions/all_MiniLM_L6_v2';
/** Lambda's limit on a function's unzipped zip package (layers included). */
const LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024;
/** Where the worker's native binaries may be: Lambda's platform, and nowhere else. */
const WORKER_BINARIES_DIR = 'node_modules/onnxruntime-node/bin/napi-v6/linux/arm64/';
const NATIVE_BINARY = /\.(node|so(\.\d+)*|dll|dylib)$/;

interface LambdaResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}
type Handler = (event: unknown, context: unknown) => Promise<LambdaResult>;

/** The child's environment: no AWS credentials or profile, a HOME with nothing in it, no telemetry. */
function packagingEnv(home: string, workFolder: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_') && !key.startsWith('SLS_')) env[key] = value;
  }
  return {
    ...env,
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    // npm's own update check would reach for the registry from the empty HOME.
    npm_config_update_notifier: 'false',
    EFD_ESBUILD_WORK_FOLDER: workFolder,
  };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), PACKAGE_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

interface ZipEntry {
  readonly name: string;
  readonly data: Buffer;
}

/**
 * Reads a zip archive (stored or deflated entries, no zip64): enough for the framework's
 * artifacts, with no dependency on an `unzip` binary.
 */
function readZip(zip: Buffer): ZipEntry[] {
  const END_OF_DIRECTORY = 0x06054b50;
  const DIRECTORY_ENTRY = 0x02014b50;
  const LOCAL_HEADER = 0x04034b50;
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== END_OF_DIRECTORY) end -= 1;
  assert.ok(end >= 0, 'not a zip archive: no end-of-central-directory record');
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i += 1) {
    assert.equal(zip.readUInt32LE(offset), DIRECTORY_ENTRY, 'corrupt central directory');
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localOffset = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    assert.equal(zip.readUInt32LE(localOffset), LOCAL_HEADER, `corrupt local header for ${name}`);
    const dataStart = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const raw = zip.subarray(dataStart, dataStart + compressedSize);
    assert.ok(method === 0 || method === 8, `${name}: unsupported compression method ${method}`);
    if (!name.endsWith('/')) entries.push({ name, data: method === 8 ? inflateRawSync(raw) : Buffer.from(raw) });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

describe('serverless package', { timeout: PACKAGE_TIMEOUT_MS + 60_000 }, () => {
  let scratch: string;
  let artifacts: string;
  let workFolder: string;
  let packagingMs: number;
  let template: { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
  let embedEntries: ZipEntry[];
  let unpacked: string;
  let sim: DjlSimulator;
  let workerModelDir: string;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'efd-sls-package-'));
    artifacts = join(scratch, 'artifacts');
    const home = join(scratch, 'home');
    await mkdir(home);
    // The plugin builds here and deletes it afterwards; its own folder, so parallel runs don't collide.
    workFolder = join('.esbuild', `package-test-${process.pid}`);
    // The worker's model, packaged from a folder relative to serverless.yml as a deploy does.
    workerModelDir = join('dist', `package-test-model-${process.pid}`);
    const tiny = await writeTinyModel();
    await mkdir(join(REPO, workerModelDir), { recursive: true });
    for (const file of await readdir(tiny.dir)) await writeFile(join(REPO, workerModelDir, file), await readFile(join(tiny.dir, file)));
    await tiny.remove();
    const started = performance.now();
    // One packaging at a time across test files: osls builds in the repository's .serverless.
    const result = await withPackageLock(() => run('npx', ['serverless', 'package', '--package', artifacts], { ...packagingEnv(home, workFolder), WORKER_MODEL_DIR: workerModelDir }));
    packagingMs = performance.now() - started;
    assert.equal(result.code, 0, `serverless package failed:\n${result.output}`);
    template = JSON.parse(await readFile(join(artifacts, 'cloudformation-template-update-stack.json'), 'utf8'));
    embedEntries = readZip(await readFile(join(artifacts, 'embed.zip')));
    unpacked = join(scratch, 'embed');
    for (const entry of embedEntries) {
      const target = join(unpacked, entry.name);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, entry.data);
    }
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
  });

  after(async () => {
    await sim?.close();
    await rm(join(REPO, workFolder), { recursive: true, force: true });
    if (workerModelDir !== undefined) await rm(join(REPO, workerModelDir), { recursive: true, force: true });
    // Remove .esbuild/ only if this run left it empty (another run may be using it).
    await rmdir(join(REPO, '.esbuild')).catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
  });

  test('packages both functions offline, each artifact within its size budget', async (t) => {
    const sizes = {
      embed: (await stat(join(artifacts, 'embed.zip'))).size,
      warmup: (await stat(join(artifacts, 'warmup.zip'))).size,
    };
    t.diagnostic(`packaging took ${Math.round(packagingMs)} ms; embed.zip ${sizes.embed} bytes, warmup.zip ${sizes.warmup} bytes`);
    for (const name of ['embed', 'warmup'] as const) {
      assert.ok(sizes[name] >= MIN_ZIP_BYTES, `${name}.zip is only ${sizes[name]} bytes`);
      assert.ok(sizes[name] <= MAX_ZIP_BYTES[name], `${name}.zip is ${sizes[name]} bytes, over its ${MAX_ZIP_BYTES[name]} budget`);
    }
  });

  test('the template: nodejs24.x on arm64, every public route, the warm-up on its own role', () => {
    const resources = Object.values(template.Resources);
    const functions = resources.filter((resource) => resource.Type === 'AWS::Lambda::Function');
    assert.equal(functions.length, 3);
    for (const fn of functions) {
      assert.equal(fn.Properties.Runtime, 'nodejs24.x');
      assert.deepEqual(fn.Properties.Architectures, ['arm64']);
    }
    const routes = resources.filter((resource) => resource.Type === 'AWS::ApiGatewayV2::Route').map((route) => route.Properties.RouteKey as string);
    for (const route of ['POST /v1/embeddings', 'POST /embed', 'POST /predictions/{model}', 'POST /predictions/{model}/{version}',
      'POST /models/{model}/invoke', 'POST /invocations', 'GET /ping', 'GET /health', 'GET /info', 'GET /v1/models', '$default']) {
      assert.ok(routes.includes(route), `route ${route} is missing`);
    }
    const warmup = template.Resources.WarmupLambdaFunction;
    assert.deepEqual(warmup?.Properties.Role, { 'Fn::GetAtt': ['WarmupRole', 'Arn'] });
    const actionsOf = (statements: { Action: string | string[] }[]) => statements.flatMap((statement) => [statement.Action].flat());
    const embedActions = actionsOf(template.Resources.IamRoleLambdaExecution?.Properties.Policies[0].PolicyDocument.Statement);
    const warmupActions = actionsOf(template.Resources.WarmupRole?.Properties.Policies[0].PolicyDocument.Statement);
    // The embed function only reads which tasks run; changing capacity is the warm-up's alone.
    for (const action of ['ecs:UpdateService', 'ecs:TagResource', 'application-autoscaling:RegisterScalableTarget']) {
      assert.ok(!embedActions.includes(action), `the embed function's role allows ${action}`);
      assert.ok(warmupActions.includes(action), `the warm-up role lacks ${action}`);
    }
    assert.ok(embedActions.includes('ecs:ListTasks') && embedActions.includes('ecs:DescribeTasks'));
    assert.ok(![...embedActions, ...warmupActions].some((action) => action === '*' || action.endsWith(':*')), 'no wildcard actions');
  });

  test('the embedding worker: its own role, memory and timeout, and only embed may invoke it, only it', () => {
    const worker = template.Resources.EmbedDashworkerLambdaFunction;
    assert.ok(worker, `no EmbedDashworkerLambdaFunction in ${Object.keys(template.Resources).join(', ')}`);
    assert.equal(worker.Properties.FunctionName, 'embed-front-door-dev-embed-worker');
    assert.deepEqual(worker.Properties.Role, { 'Fn::GetAtt': ['EmbedWorkerRole', 'Arn'] });
    assert.equal(worker.Properties.MemorySize, 3008);
    assert.equal(worker.Properties.Timeout, 30);
    assert.equal(worker.Properties.Environment.Variables.EMBED_MODEL_DIR, workerModelDir);
    const workerActions = template.Resources.EmbedWorkerRole?.Properties.Policies[0].PolicyDocument.Statement.flatMap((statement: { Action: string[] }) => statement.Action);
    assert.deepEqual(workerActions, ['logs:CreateLogStream', 'logs:PutLogEvents']);
    const invoke = template.Resources.IamRoleLambdaExecution?.Properties.Policies[0].PolicyDocument.Statement
      .filter((statement: { Action: string | string[] }) => [statement.Action].flat().includes('lambda:InvokeFunction'));
    assert.equal(invoke.length, 1);
    assert.deepEqual(invoke[0].Resource.map((resource: { 'Fn::Sub': string }) => resource['Fn::Sub'].split(':function:')[1]),
      ['embed-front-door-dev-embed-worker', 'embed-front-door-dev-embed-worker:*']);
  });

  test('the worker artifact: within Lambda\'s 250 MB unzipped, Linux arm64 binaries only, its model, and it embeds', async () => {
    const entries = readZip(await readFile(join(artifacts, 'embed-worker.zip')));
    const names = entries.map((entry) => entry.name);
    const unzipped = entries.reduce((sum, entry) => sum + entry.data.byteLength, 0);
    assert.ok(unzipped <= LAMBDA_UNZIPPED_LIMIT_BYTES, `${unzipped} bytes unzipped`);
    const binaries = names.filter((name) => NATIVE_BINARY.test(name));
    assert.deepEqual(binaries.sort(), [`${WORKER_BINARIES_DIR}libonnxruntime.so.1`, `${WORKER_BINARIES_DIR}onnxruntime_binding.node`]);
    for (const name of ['functions/embed-worker/handler.mjs', 'node_modules/onnxruntime-node/dist/index.js', 'node_modules/onnxruntime-common/dist/cjs/index.js',
      `${workerModelDir}/model.onnx`, `${workerModelDir}/tokenizer.json`]) {
      assert.ok(names.includes(name), `${name} is missing from embed-worker.zip`);
    }
    assert.ok(!names.some((name) => name.startsWith('functions/embed/') || name.startsWith('functions/warmup/')));
    // The unzipped artifact run as Lambda runs it (cwd the task root, EMBED_MODEL_DIR relative to
    // it), with this machine's own binary put where Lambda's is, since this machine is not arm64.
    const root = join(scratch, 'embed-worker');
    for (const entry of entries) {
      await mkdir(dirname(join(root, entry.name)), { recursive: true });
      await writeFile(join(root, entry.name), entry.data);
    }
    const local = `node_modules/onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}`;
    await mkdir(join(root, local), { recursive: true });
    for (const file of await readdir(join(REPO, local))) await writeFile(join(root, local, file), await readFile(join(REPO, local, file)));
    const child = spawn(process.execPath, ['--input-type=module', '-e',
      'const { handler } = await import("./functions/embed-worker/handler.mjs"); process.stdout.write("ANSWER " + JSON.stringify(await handler(JSON.parse(process.env.EVENT))) + "\\n");'],
    { cwd: root, env: { PATH: process.env.PATH, EMBED_MODEL_DIR: workerModelDir, EMF_METRICS: 'false', EVENT: JSON.stringify({ v: 1, texts: TINY_CASES.map((entry) => entry.text) }) } });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    const [code] = await once(child, 'close') as [number | null];
    assert.equal(code, 0, out);
    const answer = JSON.parse(out.split('\n').find((line) => line.startsWith('ANSWER '))!.slice('ANSWER '.length)) as WorkerAnswer;
    assert.ok(answer.ok, out);
    const floats = decodeVectors(answer.vectors, TINY_CASES.length, TINY_DIMENSION)!;
    TINY_CASES.forEach((entry, row) => expectedVector(entry.ids).forEach((x, d) => assert.ok(Math.abs(floats[row * TINY_DIMENSION + d]! - x) < 1e-5, entry.why)));
  });

  test('the embed artifact holds its own bundle only: no engine packages, no node_modules, no tests', () => {
    const names = embedEntries.map((entry) => entry.name);
    assert.ok(names.includes('functions/embed/handler.mjs'), `no handler.mjs in ${names.join(', ')}`);
    for (const name of names) {
      assert.ok(name.startsWith('functions/embed/'), `${name} does not belong in the embed artifact`);
      assert.doesNotMatch(name, /node_modules|onnxruntime|tokenizers|\.node$|(^|\/)test\/|\.test\./);
    }
    for (const entry of embedEntries.filter((item) => item.name.endsWith('.mjs'))) {
      const text = entry.data.toString('utf8');
      for (const marker of ENGINE_MARKERS) assert.ok(!text.includes(marker), `${entry.name} contains ${marker}`);
    }
    // Discovery and the cloud SDKs are in lazy chunks: the entry loads discovery with import() only
    // when an ecs://, cloudrun:// or dns:// entry is configured, and discovery loads each SDK the same way.
    const text = (name: RegExp): string => embedEntries.find((item) => name.test(item.name))?.data.toString('utf8') ?? '';
    const entry = text(/^functions\/embed\/handler\.mjs$/);
    assert.match(entry, /import\("\.\/tier-discovery-[\w-]+\.mjs"\)/);
    assert.doesNotMatch(entry, /from"\.\/(ecs-source|cloud-run-source|tier-discovery)-/);
    assert.match(text(/^functions\/embed\/tier-discovery-[\w-]+\.mjs$/), /import\("\.\/ecs-source-[\w-]+\.mjs"\)/);
  });

  /** Imports a fresh copy of the artifact's handler (its module scope reads process.env once). */
  const importHandler = async (variant: string): Promise<Handler> => {
    const url = pathToFileURL(join(unpacked, 'functions/embed/handler.mjs'));
    url.search = variant;
    return ((await import(url.href)) as { handler: Handler }).handler;
  };
  const embed = async (handler: Handler, texts: string[]) => {
    const result = await handler(apiGatewayV2Event({
      method: 'POST', path: '/embed', body: JSON.stringify({ inputs: texts }), headers: { 'content-type': 'application/json' },
    }), lambdaContext());
    return { ...result, json: JSON.parse(result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString() : result.body) as unknown };
  };

  test('the unzipped handler serves an API Gateway v2 event against a DJL backend', async () => {
    // As Lambda sets it: the function's configuration is the process environment.
    Object.assign(process.env, { CPU_BACKENDS: sim.predictionsUrl, LOG_LEVEL: 'silent', EMF_METRICS: 'false' });
    const handler = await importHandler('?static');
    const result = await embed(handler, ['first chunk', 'second chunk']);
    assert.equal(result.statusCode, 200, result.body);
    assert.deepEqual(result.json, [simulatedEmbedding('first chunk', 384), simulatedEmbedding('second chunk', 384)]);
  });

  test('ecs:// discovery works from the bundled AWS SDK chunk', async () => {
    const aws = await FakeAws.start();
    try {
      aws.addService('embed', 'djl-cpu', 1);
      aws.addTask('embed', 'djl-cpu', { privateIp: '127.0.0.1' });
      Object.assign(process.env, {
        CPU_BACKENDS: `ecs://embed/djl-cpu?port=${sim.port}&path=${PATH_TO_DJL}`,
        AWS_ENDPOINT_URL_ECS: aws.url,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      });
      const result = await embed(await importHandler('?ecs'), ['found through ECS']);
      assert.equal(result.statusCode, 200, result.body);
      assert.deepEqual(result.json, [simulatedEmbedding('found through ECS', 384)]);
      assert.ok(aws.calls.some((call) => call.operation === 'ListTasks'), 'the bundled ECS client called ListTasks');
    } finally {
      await aws.close();
    }
  });

  test('cloudrun:// discovery works from the bundled Cloud Run client chunk', async () => {
    const run = await FakeCloudRun.start();
    try {
      const name = 'projects/p/locations/europe-west1/services/djl-gpu';
      run.put({ name, uri: sim.url });
      Object.assign(process.env, {
        CPU_BACKENDS: `cloudrun://${name}?path=${PATH_TO_DJL}`,
        CLOUD_RUN_API_ENDPOINT: `http://127.0.0.1:${run.port}`,
      });
      const result = await embed(await importHandler('?cloudrun'), ['found through Cloud Run']);
      assert.equal(result.statusCode, 200, result.body);
      assert.deepEqual(result.json, [simulatedEmbedding('found through Cloud Run', 384)]);
      assert.ok(run.calls.some((call) => call.method === 'GET' && call.path.endsWith(name)), 'the bundled client called getService');
    } finally {
      await run.close();
    }
  });

  test('the warm-up artifact holds its own bundle only', async () => {
    const names = readZip(await readFile(join(artifacts, 'warmup.zip'))).map((entry) => entry.name);
    assert.ok(names.includes('functions/warmup/handler.mjs'));
    assert.deepEqual(names.filter((name) => !name.startsWith('functions/warmup/')), []);
    assert.ok((await readdir(artifacts)).includes('embed.zip'));
  });
});
