/**
 * `npm run deploy:gcp`: the plan for each target, its --dry-run (prints every command, runs
 * none), the rendered files, and a real run against a stand-in `gcloud` on PATH that records every
 * call and says which resources exist: a first run on an empty project creates everything, a
 * second skips every create and repeats only the idempotent steps.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { formatSteps, GCP_NAMES, type GcpDeployOptions, planGcpDeploy } from '../../tools/deploy/gcp-deploy-plan';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = join(ROOT, 'tools/deploy/gcp-deploy.ts');
const TEMPLATES = {
  'djl-cloud-run.yaml': readFileSync(join(ROOT, 'infra/gcp/djl-cloud-run.yaml'), 'utf8'),
  'front-door-cloud-run.yaml': readFileSync(join(ROOT, 'infra/gcp/front-door-cloud-run.yaml'), 'utf8'),
};
const BASE: GcpDeployOptions = { project: 'my-proj', region: 'europe-west1', target: 'function', apiKeysFile: '/keys', imageTag: '0.1.0', outDir: 'out' };
const FRONT_DOOR_SA = 'embed-front-door@my-proj.iam.gserviceaccount.com';

const work = mkdtempSync(join(tmpdir(), 'deploy-gcp-'));
after(() => rmSync(work, { recursive: true, force: true }));

/**
 * A `gcloud` that appends its arguments to $GCLOUD_LOG, one JSON line a call, and exits 0 except
 * for a `describe` of something not listed in $GCLOUD_EXISTING (newline-separated names); a
 * `--format=` query (the address) prints a URL.
 */
const FAKE_GCLOUD = `#!${process.execPath}
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.appendFileSync(process.env.GCLOUD_LOG, JSON.stringify(args) + '\\n');
const at = args.indexOf('describe');
if (args.some((arg) => arg.startsWith('--format='))) {
  process.stdout.write('https://embed-front-door.example.invalid\\n');
} else if (at >= 0) {
  const existing = (process.env.GCLOUD_EXISTING || '').split('\\n').filter(Boolean);
  process.exit(existing.includes(args[at + 1]) ? 0 : 1);
}
`;
// A folder of its own on PATH holding only the stand-in.
const fakeBin = mkdtempSync(join(work, 'bin-'));
writeFileSync(join(fakeBin, 'gcloud'), FAKE_GCLOUD);
chmodSync(join(fakeBin, 'gcloud'), 0o755);

interface Outcome { readonly code: number | null; readonly stdout: string; readonly stderr: string; readonly calls: string[][] }

/** Runs the deploy as its script does, with the stand-in gcloud first on PATH. */
function deploy(args: readonly string[], existing: readonly string[] = []): Promise<Outcome> {
  const log = join(work, `calls-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(log, '');
  const env = { PATH: `${fakeBin}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? work, GCLOUD_LOG: log, GCLOUD_EXISTING: existing.join('\n'), INIT_CWD: work };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: ROOT, env, timeout: 60_000 }, (error, stdout, stderr) => {
      const calls = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as string[]);
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr, calls });
    });
  });
}

/** The function target's env file for a project and region. */
function renderedEnv(project: string, region: string): string {
  return planGcpDeploy({ ...BASE, project, region }, TEMPLATES).files.find((file) => file.path === 'out/env.yaml')!.content;
}

/** The commands a dry run printed (the lines that are not comments). */
const printed = (stdout: string): string[] => stdout.split('\n').filter((line) => line.startsWith('gcloud '));

describe('the Google Cloud deploy plan', () => {
  test('the front door gets its service account, the keys as a mounted secret, and the bundle as main (no GOOGLE_FUNCTION_SOURCE)', () => {
    const { steps, files } = planGcpDeploy(BASE, TEMPLATES);
    const deployStep = steps.find((step) => step.argv.includes('deploy'))!;
    assert.deepEqual(deployStep.argv.slice(0, 4), ['gcloud', 'functions', 'deploy', GCP_NAMES.frontDoor]);
    assert.ok(deployStep.argv.includes(`--service-account=${FRONT_DOOR_SA}`));
    assert.ok(deployStep.argv.includes(`--set-secrets=${GCP_NAMES.keysPath}=${GCP_NAMES.secret}:latest`));
    assert.ok(deployStep.argv.includes('--entry-point=embed'));
    assert.ok(!deployStep.argv.some((word) => word.includes('GOOGLE_FUNCTION_SOURCE') || word.includes('tsx')));
    const env = parse(files.find((file) => file.path === 'out/env.yaml')!.content) as Record<string, string>;
    assert.equal(env.API_KEYS_FILE, GCP_NAMES.keysPath);
    assert.equal(env.CPU_BACKENDS, 'cloudrun://projects/my-proj/locations/europe-west1/services/djl-cpu?path=/predictions/all_MiniLM_L6_v2');
    assert.equal(env.NODE_OPTIONS, undefined, 'no tsx at run time');
    assert.equal(env.HEALTH_INTERVAL_MS, '0', 'passive health: a function has CPU only while it serves');
    const docs = readFileSync(join(ROOT, 'docs/deploy-gcp.md'), 'utf8');
    const documented = /holds the function's settings[^`]*```yaml\n([\s\S]*?)```/.exec(docs)?.[1];
    assert.equal(documented, renderedEnv('my-proj', 'europe-west1'), 'docs/deploy-gcp.md shows the env file as written');
  });

  test('the warm-up\'s rights: run.invoker and run.developer on the DJL service, iam.serviceAccountUser on its identity', () => {
    const argvs = planGcpDeploy(BASE, TEMPLATES).steps.map((step) => step.argv.join(' '));
    const member = `--member=serviceAccount:${FRONT_DOOR_SA}`;
    for (const role of ['roles/run.invoker', 'roles/run.developer']) {
      assert.ok(argvs.some((argv) => argv.startsWith('gcloud run services add-iam-policy-binding djl-cpu') && argv.includes(member) && argv.includes(`--role=${role}`)), role);
    }
    assert.ok(argvs.some((argv) => argv.startsWith('gcloud iam service-accounts add-iam-policy-binding embed-djl@my-proj.iam.gserviceaccount.com')
      && argv.includes(member) && argv.includes('--role=roles/iam.serviceAccountUser')));
    assert.ok(argvs.some((argv) => argv.startsWith('gcloud secrets add-iam-policy-binding embed-api-keys') && argv.includes('--role=roles/secretmanager.secretAccessor')));
  });

  test('the rendered DJL service: no placeholder left, its identity, its image through the Artifact Registry remote repository', () => {
    const djl = planGcpDeploy(BASE, TEMPLATES).files.find((file) => file.path === 'out/djl-cloud-run.yaml')!.content;
    assert.doesNotMatch(djl, /\bPROJECT\b|\bREGION\b/);
    const spec = (parse(djl) as { spec: { template: { spec: { serviceAccountName: string; containers: { image: string }[] } } } }).spec.template.spec;
    assert.equal(spec.serviceAccountName, 'embed-djl@my-proj.iam.gserviceaccount.com');
    assert.equal(spec.containers[0]!.image, 'europe-west1-docker.pkg.dev/my-proj/dockerhub/deepjavalibrary/djl-serving:0.32.0-cpu-full');
  });

  test('the container target builds the Dockerfile, pushes to Artifact Registry and replaces the rendered front door service', () => {
    const { steps, files } = planGcpDeploy({ ...BASE, target: 'container', imageTag: '1.2.3' }, TEMPLATES);
    const image = 'europe-west1-docker.pkg.dev/my-proj/embed/embed-front-door:1.2.3';
    assert.ok(steps.some((step) => step.argv.join(' ') === `gcloud builds submit --tag=${image} --project my-proj .`));
    const frontDoor = files.find((file) => file.path === 'out/front-door-cloud-run.yaml')!.content;
    assert.doesNotMatch(frontDoor, /\bPROJECT\b|\bREGION\b/);
    const spec = (parse(frontDoor) as { spec: { template: { spec: { serviceAccountName: string; containers: { image: string }[] } } } }).spec.template.spec;
    assert.equal(spec.containers[0]!.image, image);
    assert.equal(spec.serviceAccountName, FRONT_DOOR_SA);
    assert.ok(steps.some((step) => step.argv.join(' ').startsWith('gcloud run services replace out/front-door-cloud-run.yaml')));
  });

  test('run-function: Cloud Run from source with the Functions Framework, CPU outside requests', () => {
    const plan = planGcpDeploy({ ...BASE, target: 'run-function' }, TEMPLATES);
    assert.doesNotMatch(plan.files.find((file) => file.path === 'out/env.yaml')!.content, /HEALTH_INTERVAL_MS/, 'CPU always allocated: active probes');
    const deployStep = plan.steps.find((step) => step.argv.includes('deploy'))!;
    assert.deepEqual(deployStep.argv.slice(0, 4), ['gcloud', 'run', 'deploy', GCP_NAMES.frontDoor]);
    for (const flag of ['--function=embed', '--source=.', '--no-cpu-throttling', `--service-account=${FRONT_DOOR_SA}`]) assert.ok(deployStep.argv.includes(flag), flag);
  });
});

test('docs/deploy-gcp.md shows the dry run as the tool prints it', () => {
  const docs = readFileSync(join(ROOT, 'docs/deploy-gcp.md'), 'utf8');
  const block = /## What it runs\n[\s\S]*?```text\n([\s\S]*?)\n```/.exec(docs)?.[1];
  assert.ok(block, 'a text block under "What it runs"');
  const documented = { ...BASE, apiKeysFile: '/home/me/embed-front-door/api-keys', outDir: 'dist/deploy-gcp' };
  assert.equal(block, formatSteps(planGcpDeploy(documented, TEMPLATES).steps));
});

describe('npm run deploy:gcp', { concurrency: 2 }, () => {
  test('--dry-run prints every command of the plan and runs none', async () => {
    const keys = join(work, 'keys.txt');
    writeFileSync(keys, 'client:' + '0'.repeat(64) + '\n');
    const outDir = join(work, 'dry');
    const { code, stdout, stderr, calls } = await deploy(['--project', 'my-proj', '--region', 'europe-west1', '--api-keys-file', 'keys.txt', '--out-dir', outDir, '--dry-run']);
    assert.equal(code, 0, stderr);
    assert.deepEqual(calls, [], 'gcloud was not called');
    const plan = planGcpDeploy({ ...BASE, apiKeysFile: keys, outDir }, TEMPLATES);
    assert.equal(printed(stdout).length, plan.steps.length);
    assert.match(stdout, /--data-file=\S*keys\.txt/, 'the keys file is read from where npm run was started');
    assert.ok(readFileSync(join(outDir, 'env.yaml'), 'utf8').includes('API_KEYS_FILE: /secrets/api-keys'));
  });

  test('an empty project: every resource created, in order, ending with the function deploy', async () => {
    writeFileSync(join(work, 'keys.txt'), 'client:' + '0'.repeat(64) + '\n');
    const { code, stderr, calls } = await deploy(['--project', 'my-proj', '--region', 'europe-west1', '--api-keys-file', 'keys.txt', '--out-dir', join(work, 'first')]);
    assert.equal(code, 0, stderr);
    const commands = calls.filter((call) => !call.includes('describe') || call.includes('--format=value(serviceConfig.uri)')).map((call) => call.slice(0, 3).join(' '));
    assert.deepEqual(commands, [
      'services enable run.googleapis.com',
      'artifacts repositories create',
      'iam service-accounts create',
      'iam service-accounts create',
      'run services replace',
      'run services add-iam-policy-binding',
      'run services add-iam-policy-binding',
      'iam service-accounts add-iam-policy-binding',
      'secrets create embed-api-keys',
      'secrets versions add',
      'secrets add-iam-policy-binding embed-api-keys',
      'functions deploy embed-front-door',
      'functions describe embed-front-door',
    ]);
  });

  test('run again: every create is skipped, the idempotent steps repeat', async () => {
    const existing = ['dockerhub', FRONT_DOOR_SA, 'embed-djl@my-proj.iam.gserviceaccount.com', GCP_NAMES.secret];
    const { code, stdout, stderr, calls } = await deploy(['--project', 'my-proj', '--region', 'europe-west1', '--out-dir', join(work, 'again')], existing);
    assert.equal(code, 0, stderr);
    assert.ok(!calls.some((call) => call.includes('create')), JSON.stringify(calls));
    assert.equal((stdout.match(/# exists: skipped/g) ?? []).length, 3);
    assert.ok(calls.some((call) => call.slice(0, 2).join(' ') === 'functions deploy'));
  });

  test('no keys file and no secret: stops before the deploy and says what to pass', async () => {
    const { code, stderr, calls } = await deploy(['--project', 'my-proj', '--region', 'europe-west1', '--out-dir', join(work, 'nokeys')]);
    assert.equal(code, 1);
    assert.match(stderr, /secret embed-api-keys does not exist: pass --api-keys-file FILE/);
    assert.ok(!calls.some((call) => call.includes('deploy')));
  });

  test('bad values are named together, exit 2', async () => {
    const { code, stderr, calls } = await deploy(['--project', 'X', '--region', 'mars', '--target', 'lambda', '--api-keys-file', 'missing.txt']);
    assert.equal(code, 2);
    for (const flag of ['--project', '--region', '--target', '--api-keys-file']) assert.match(stderr, new RegExp(`${flag}: `));
    assert.deepEqual(calls, []);
  });
});
