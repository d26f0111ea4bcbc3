/**
 * `npm run deploy:gcp -- --project P --region R [--target function|run-function|container]
 * [--api-keys-file FILE] [--dry-run]`: the DJL service and the front door on Google Cloud with
 * gcloud, from an empty project (./gcp-deploy-plan.ts says what and why). --dry-run writes the
 * rendered files, prints every command and runs none. Running it again is safe.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitUnlessRun, parseCommandLine, valueFlags } from '../../shared/cli/command-line';
import { formatSteps, formatStep, GCP_TARGETS, type GcpDeployOptions, type GcpPlan, planGcpDeploy } from './gcp-deploy-plan';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROJECT_PATTERN = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const REGION_PATTERN = /^[a-z]+-[a-z]+[0-9]+$/;
const TAG_PATTERN = /^[\w][\w.-]{0,127}$/;
const DEFAULT_OUT_DIR = 'dist/deploy-gcp';

const USAGE = `Usage: npm run deploy:gcp -- --project PROJECT --region REGION [options]

Deploys DJL Serving (infra/gcp/djl-cloud-run.yaml) and the front door on Google Cloud with gcloud,
from an empty project: APIs, an Artifact Registry remote repository of Docker Hub, service
accounts, IAM (run.invoker, run.developer, iam.serviceAccountUser on the DJL identity), the API
keys secret, then the front door. Safe to run again. Details: docs/deploy-gcp.md

  --project P         Google Cloud project id
  --region R          region, e.g. europe-west1
  --target T          function (default): Cloud Functions gen2 from source (npm run gcp-build);
                      run-function: Cloud Run from source with the Functions Framework;
                      container: the Dockerfile's image on Cloud Run (infra/gcp/front-door-cloud-run.yaml)
  --api-keys-file F   a file of API_KEYS entries (npm run key:new), added as the secret's latest
                      version (without it the secret embed-api-keys must exist)
  --image-tag TAG     the container target's image tag (default: package.json version)
  --out-dir DIR       where the rendered YAML and env file go (default ${DEFAULT_OUT_DIR})
  --dry-run           write the files, print every command, run none
  --help              this text`;

const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const options = exitUnlessRun(parseCommandLine({ flags: { ...valueFlags('project', 'region', 'target', 'api-keys-file', 'image-tag', 'out-dir'), 'dry-run': { type: 'boolean' } } },
  process.argv.slice(2), (flags) => {
    const project = flags.string('project');
    const region = flags.string('region');
    if (project === undefined) flags.problems.push('--project: required');
    else if (!PROJECT_PATTERN.test(project)) flags.problems.push(`--project: expected a project id (6-30 lowercase letters, digits, "-"), got ${JSON.stringify(project)}`);
    if (region === undefined) flags.problems.push('--region: required');
    else if (!REGION_PATTERN.test(region)) flags.problems.push(`--region: expected a region such as europe-west1, got ${JSON.stringify(region)}`);
    const imageTag = flags.string('image-tag') ?? version;
    if (!TAG_PATTERN.test(imageTag)) flags.problems.push(`--image-tag: expected an image tag, got ${JSON.stringify(imageTag)}`);
    // npm run starts scripts in the package root; a relative path is the caller's (INIT_CWD).
    const keysFlag = flags.string('api-keys-file');
    const apiKeysFile = keysFlag === undefined ? undefined : resolve(process.env.INIT_CWD ?? process.cwd(), keysFlag);
    if (apiKeysFile !== undefined && !existsSync(apiKeysFile)) flags.problems.push(`--api-keys-file: ${apiKeysFile} does not exist`);
    const deploy: GcpDeployOptions = {
      project: project ?? '',
      region: region ?? '',
      target: flags.choice('target', GCP_TARGETS) ?? 'function',
      apiKeysFile,
      imageTag,
      outDir: flags.string('out-dir') ?? DEFAULT_OUT_DIR,
    };
    return { deploy, dryRun: flags.flag('dry-run') };
  }), USAGE);

const templateDir = join(ROOT, 'infra/gcp');
const templates = Object.fromEntries(readdirSync(templateDir).filter((file) => file.endsWith('.yaml')).map((file) => [file, readFileSync(join(templateDir, file), 'utf8')]));
const plan: GcpPlan = planGcpDeploy(options.deploy, templates);

for (const file of plan.files) {
  const path = resolve(ROOT, file.path);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, file.content);
}

/** Runs a command from the repository root; `quiet` hides its output (a describe that only tells whether something exists). */
function run(argv: readonly string[], quiet: boolean): number {
  const [command = '', ...args] = argv;
  const result = spawnSync(command, args, { cwd: ROOT, stdio: quiet ? 'ignore' : 'inherit' });
  if (result.error !== undefined) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    process.stderr.write(missing ? `${command}: not found on PATH (install the Google Cloud CLI: https://cloud.google.com/sdk/docs/install)\n` : `${command}: ${result.error.message}\n`);
    process.exit(1);
  }
  return result.status ?? 1;
}

process.stdout.write(`${options.dryRun ? 'Dry run: nothing is run. ' : ''}Wrote ${plan.files.map((file) => file.path).join(', ')}\n\n`);
if (options.dryRun) {
  process.stdout.write(`${formatSteps(plan.steps)}\n`);
} else {
  for (const [index, step] of plan.steps.entries()) {
    process.stdout.write(`${formatStep(step, index)}\n`);
    if (step.kind === 'run' && step.skipIf && run(step.skipIf, true) === 0) {
      process.stdout.write('# exists: skipped\n\n');
      continue;
    }
    const code = run(step.argv, step.kind === 'require');
    if (code !== 0) {
      process.stderr.write(`Step ${index + 1} failed (exit ${code}): ${step.kind === 'require' ? step.failure : step.title}\n`);
      process.exit(1);
    }
    process.stdout.write('\n');
  }
}
