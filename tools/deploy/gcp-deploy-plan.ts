/**
 * The Google Cloud deploy as a plan: every gcloud command `npm run deploy:gcp` runs, in order, as
 * argv lists, and the files it renders (the Cloud Run YAML with PROJECT and REGION filled in, the
 * function's environment file). Pure: options in, steps and files out; ./gcp-deploy.ts prints or
 * runs them.
 *
 * Order: the APIs; the Artifact Registry remote repository of Docker Hub the DJL image is pulled
 * through; the two service accounts (the front door's, and the DJL service's own runtime
 * identity); the DJL service; the front door's roles on it (run.invoker for calls, run.developer
 * for getService and updateService, and iam.serviceAccountUser on the DJL identity, which Cloud
 * Run requires of whoever updates a service that runs as it: the warm-up); the API keys secret
 * and the front door's access to it; then the front door, as a function built by the Node.js
 * buildpack (npm run gcp-build) or as the container. A `create` step carries the `describe` that
 * skips it when its resource exists, and IAM bindings and `services replace` are idempotent, so
 * running the plan again is safe.
 */

/** How the front door runs. */
export const GCP_TARGETS = ['function', 'run-function', 'container'] as const;
export type GcpTarget = (typeof GCP_TARGETS)[number];

export interface GcpDeployOptions {
  readonly project: string;
  readonly region: string;
  /** function: Cloud Functions gen2; run-function: Cloud Run from source with --function; container: the Dockerfile's image. */
  readonly target: GcpTarget;
  /** A local file of API_KEYS entries, uploaded as a new version of the secret. */
  readonly apiKeysFile: string | undefined;
  /** Image tag of the container target. */
  readonly imageTag: string;
  /** Where rendered files go, relative to the repository root. */
  readonly outDir: string;
}

export type GcpStep =
  /** Runs `argv`; a non-zero exit stops the deploy. With `skipIf`, runs only when `skipIf` fails (the resource is missing). */
  | { readonly kind: 'run'; readonly title: string; readonly argv: readonly string[]; readonly skipIf?: readonly string[] }
  /** Runs `argv` (a describe); a non-zero exit stops the deploy with `failure`. */
  | { readonly kind: 'require'; readonly title: string; readonly argv: readonly string[]; readonly failure: string };

/** A file the plan writes before running anything. */
export interface RenderedFile {
  readonly path: string;
  readonly content: string;
}

export interface GcpPlan {
  readonly files: readonly RenderedFile[];
  readonly steps: readonly GcpStep[];
}

/** Names the plan gives things; the templates in infra/gcp use the same. */
export const GCP_NAMES = {
  frontDoor: 'embed-front-door',
  frontDoorAccount: 'embed-front-door',
  djlService: 'djl-cpu',
  djlAccount: 'embed-djl',
  secret: 'embed-api-keys',
  /** Artifact Registry remote repository of Docker Hub, for the DJL image. */
  dockerHubRepository: 'dockerhub',
  /** Artifact Registry repository of the front door image (container target). */
  imageRepository: 'embed',
  /** Where the function and the container read the keys (API_KEYS_FILE). */
  keysPath: '/secrets/api-keys',
} as const;

const DJL_PATH = '/predictions/all_MiniLM_L6_v2';
const APIS = ['run.googleapis.com', 'cloudbuild.googleapis.com', 'artifactregistry.googleapis.com', 'secretmanager.googleapis.com', 'iam.googleapis.com'];

/** `name@project.iam.gserviceaccount.com`. */
export const serviceAccount = (name: string, project: string): string => `${name}@${project}.iam.gserviceaccount.com`;

/** A template with its PROJECT and REGION placeholders filled in. */
export function renderTemplate(template: string, project: string, region: string): string {
  return template.replace(/\bPROJECT\b/g, project).replace(/\bREGION\b/g, region);
}

/** Every file and step of the deploy, in order. `templates` holds infra/gcp's YAML by file name. */
export function planGcpDeploy(options: GcpDeployOptions, templates: Readonly<Record<string, string>>): GcpPlan {
  const { project, region, target, outDir } = options;
  const scope = ['--project', project];
  const regional = [...scope, '--region', region];
  const frontDoorSa = serviceAccount(GCP_NAMES.frontDoorAccount, project);
  const djlSa = serviceAccount(GCP_NAMES.djlAccount, project);
  const member = `serviceAccount:${frontDoorSa}`;
  const template = (name: string): string => {
    const text = templates[name];
    if (text === undefined) throw new Error(`infra/gcp/${name} is missing`);
    return renderTemplate(text, project, region);
  };
  const files: RenderedFile[] = [{ path: `${outDir}/djl-cloud-run.yaml`, content: template('djl-cloud-run.yaml') }];
  const steps: GcpStep[] = [
    { kind: 'run', title: 'Enable the APIs the deploy uses', argv: ['gcloud', 'services', 'enable', ...APIS, ...(target === 'function' ? ['cloudfunctions.googleapis.com'] : []), ...scope] },
    {
      kind: 'run',
      title: 'Artifact Registry remote repository of Docker Hub: the DJL image is pulled through it, never anonymously from Docker Hub',
      skipIf: ['gcloud', 'artifacts', 'repositories', 'describe', GCP_NAMES.dockerHubRepository, '--location', region, ...scope],
      argv: ['gcloud', 'artifacts', 'repositories', 'create', GCP_NAMES.dockerHubRepository, '--repository-format=docker',
        '--mode=remote-repository', '--remote-docker-repo=DOCKER-HUB', '--location', region, ...scope],
    },
    {
      kind: 'run',
      title: 'Service account of the front door',
      skipIf: ['gcloud', 'iam', 'service-accounts', 'describe', frontDoorSa, ...scope],
      argv: ['gcloud', 'iam', 'service-accounts', 'create', GCP_NAMES.frontDoorAccount, '--display-name=embed front door', ...scope],
    },
    {
      kind: 'run',
      title: 'Service account the DJL service runs as (no roles of its own)',
      skipIf: ['gcloud', 'iam', 'service-accounts', 'describe', djlSa, ...scope],
      argv: ['gcloud', 'iam', 'service-accounts', 'create', GCP_NAMES.djlAccount, '--display-name=embed DJL Serving', ...scope],
    },
    { kind: 'run', title: 'The DJL service (infra/gcp/djl-cloud-run.yaml, rendered)', argv: ['gcloud', 'run', 'services', 'replace', `${outDir}/djl-cloud-run.yaml`, ...regional] },
    {
      kind: 'run',
      title: 'The front door may call the DJL service (ID tokens for run.invoker)',
      argv: ['gcloud', 'run', 'services', 'add-iam-policy-binding', GCP_NAMES.djlService, `--member=${member}`, '--role=roles/run.invoker', ...regional],
    },
    {
      kind: 'run',
      title: 'The front door may read the DJL service (cloudrun:// discovery) and change its minimum instances (warm-up)',
      argv: ['gcloud', 'run', 'services', 'add-iam-policy-binding', GCP_NAMES.djlService, `--member=${member}`, '--role=roles/run.developer', ...regional],
    },
    {
      kind: 'run',
      title: 'The front door may act as the DJL service\'s identity: updateService (the warm-up) requires it',
      argv: ['gcloud', 'iam', 'service-accounts', 'add-iam-policy-binding', djlSa, `--member=${member}`, '--role=roles/iam.serviceAccountUser', ...scope],
    },
  ];

  if (options.apiKeysFile === undefined) {
    steps.push({
      kind: 'require',
      title: `The API keys secret ${GCP_NAMES.secret} exists`,
      argv: ['gcloud', 'secrets', 'describe', GCP_NAMES.secret, ...scope],
      failure: `secret ${GCP_NAMES.secret} does not exist: pass --api-keys-file FILE (lines from npm run key:new) to create it`,
    });
  } else {
    steps.push(
      {
        kind: 'run',
        title: `The API keys secret ${GCP_NAMES.secret}`,
        skipIf: ['gcloud', 'secrets', 'describe', GCP_NAMES.secret, ...scope],
        argv: ['gcloud', 'secrets', 'create', GCP_NAMES.secret, '--replication-policy=automatic', ...scope],
      },
      {
        kind: 'run',
        title: `The keys of ${options.apiKeysFile} as the secret's latest version`,
        argv: ['gcloud', 'secrets', 'versions', 'add', GCP_NAMES.secret, `--data-file=${options.apiKeysFile}`, ...scope],
      },
    );
  }
  steps.push({
    kind: 'run',
    title: 'The front door may read the keys',
    argv: ['gcloud', 'secrets', 'add-iam-policy-binding', GCP_NAMES.secret, `--member=${member}`, '--role=roles/secretmanager.secretAccessor', ...scope],
  });

  const cpuBackends = `cloudrun://projects/${project}/locations/${region}/services/${GCP_NAMES.djlService}?path=${DJL_PATH}`;
  // The function's settings as a file: CPU_BACKENDS lists can hold commas, which --set-env-vars splits on.
  const envFile = `${outDir}/env.yaml`;
  const secretMount = `--set-secrets=${GCP_NAMES.keysPath}=${GCP_NAMES.secret}:latest`;
  // 1 vCPU for concurrency above 1; 120 s covers POST /warmup (up to 90 s).
  const sizing = ['--memory=1Gi', '--cpu=1', '--concurrency=80', '--timeout=120s'];
  if (target === 'container') {
    const image = `${region}-docker.pkg.dev/${project}/${GCP_NAMES.imageRepository}/${GCP_NAMES.frontDoor}:${options.imageTag}`;
    files.push({ path: `${outDir}/front-door-cloud-run.yaml`, content: template('front-door-cloud-run.yaml').replace(/(\/embed-front-door:)[\w.-]+$/m, `$1${options.imageTag}`) });
    steps.push(
      {
        kind: 'run',
        title: 'Artifact Registry repository of the front door image',
        skipIf: ['gcloud', 'artifacts', 'repositories', 'describe', GCP_NAMES.imageRepository, '--location', region, ...scope],
        argv: ['gcloud', 'artifacts', 'repositories', 'create', GCP_NAMES.imageRepository, '--repository-format=docker', '--location', region, ...scope],
      },
      { kind: 'run', title: 'Build the Dockerfile with Cloud Build and push the image', argv: ['gcloud', 'builds', 'submit', `--tag=${image}`, ...scope, '.'] },
      { kind: 'run', title: 'The front door service (infra/gcp/front-door-cloud-run.yaml, rendered)', argv: ['gcloud', 'run', 'services', 'replace', `${outDir}/front-door-cloud-run.yaml`, ...regional] },
      {
        kind: 'run',
        title: 'Anyone may reach the front door: its API keys decide who is served',
        argv: ['gcloud', 'run', 'services', 'add-iam-policy-binding', GCP_NAMES.frontDoor, '--member=allUsers', '--role=roles/run.invoker', ...regional],
      },
      { kind: 'run', title: 'Its address', argv: ['gcloud', 'run', 'services', 'describe', GCP_NAMES.frontDoor, '--format=value(status.url)', ...regional] },
    );
    return { files, steps };
  }

  // A Cloud Function gets CPU only while it serves a request (there is no --no-cpu-throttling for
  // it): background health probes would stall and time out between requests, so it probes
  // passively, as on Lambda. Cloud Run from source keeps CPU and its probes.
  const passive = target === 'function' ? 'HEALTH_INTERVAL_MS: "0"\n' : '';
  files.push({ path: envFile, content: `CPU_BACKENDS: ${cpuBackends}\nAPI_KEYS_FILE: ${GCP_NAMES.keysPath}\n${passive}` });
  const common = ['--allow-unauthenticated', `--service-account=${frontDoorSa}`, secretMount, `--env-vars-file=${envFile}`, ...sizing];
  if (target === 'function') {
    steps.push(
      {
        kind: 'run',
        title: 'The front door as a Cloud Function (gen2): the Node.js buildpack runs npm run gcp-build and serves package.json main',
        argv: ['gcloud', 'functions', 'deploy', GCP_NAMES.frontDoor, '--gen2', '--runtime=nodejs22', '--source=.', '--entry-point=embed', '--trigger-http', ...common, ...regional],
      },
      { kind: 'run', title: 'Its address', argv: ['gcloud', 'functions', 'describe', GCP_NAMES.frontDoor, '--gen2', '--format=value(serviceConfig.uri)', ...regional] },
    );
  } else {
    steps.push(
      {
        kind: 'run',
        title: 'The front door on Cloud Run from source: the Node.js buildpack runs npm run gcp-build, the Functions Framework serves package.json main',
        // CPU outside requests: background health probes and discovery refreshes.
        argv: ['gcloud', 'run', 'deploy', GCP_NAMES.frontDoor, '--source=.', '--function=embed', '--base-image=nodejs22', '--no-cpu-throttling', ...common, ...regional],
      },
      { kind: 'run', title: 'Its address', argv: ['gcloud', 'run', 'services', 'describe', GCP_NAMES.frontDoor, '--format=value(status.url)', ...regional] },
    );
  }
  return { files, steps };
}

/** A command as one shell line, quoting what the shell would split or expand. */
export function formatCommand(argv: readonly string[]): string {
  return argv.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`)).join(' ');
}

/** One step as printed: its title, what skips or stops it, then the command. */
export function formatStep(step: GcpStep, index: number): string {
  const lines = [`# ${index + 1}. ${step.title}`];
  if (step.kind === 'run' && step.skipIf) lines.push(`# (skipped when this succeeds: ${formatCommand(step.skipIf)})`);
  if (step.kind === 'require') lines.push(`# (stops the deploy when it fails: ${step.failure})`);
  lines.push(formatCommand(step.argv));
  return lines.join('\n');
}

/** What --dry-run prints after its first line: every step, a blank line between. */
export function formatSteps(steps: readonly GcpStep[]): string {
  return steps.map(formatStep).join('\n\n');
}
