/**
 * The AWS deploy as a plan: every command `npm run deploy:aws` runs, in order, as argv lists.
 * Values that only exist once an earlier stack is deployed are placeholders `<stack.Output>`
 * (`<network.VpcId>`), filled in by {@link ./aws-deploy-apply.ts} from that stack's outputs and
 * printed as they are by --dry-run. Pure: options in, steps out.
 *
 * Order: who deploys (fails early without credentials), the network (or checks of the existing
 * VPC's DNS settings, which Cloud Map's private names need), the DJL services in it, then the
 * functions in the same subnets with the DJL stack's front door security group and dns:// names
 * (the warm-up gets the ecs:// names: it raises services, which DNS does not name).
 * `aws cloudformation deploy --no-fail-on-empty-changeset` and `serverless deploy` change only
 * what differs, so running the plan again is safe.
 */
import type { AwsDeployOptions } from './aws-deploy-options';

/** The stacks whose outputs later steps read. */
export type StackKey = 'network' | 'djl' | 'functions';

export type PlanStep =
  /** A command whose output goes to the terminal; a non-zero exit stops the deploy. */
  | { readonly kind: 'run'; readonly title: string; readonly argv: readonly string[] }
  /** `describe-stacks`: its outputs become `<as.OutputKey>` for the steps after it; `uses` must exist. */
  | { readonly kind: 'outputs'; readonly title: string; readonly as: StackKey; readonly uses: readonly string[]; readonly argv: readonly string[] }
  /** A command whose trimmed output must equal `expected`, else the deploy stops with `failure`. */
  | { readonly kind: 'expect'; readonly title: string; readonly argv: readonly string[]; readonly expected: string; readonly failure: string };

/** `<network.VpcId>`: an output of an earlier step's stack. */
export const PLACEHOLDER = /<(network|djl|functions)\.([A-Za-z0-9]+)>/g;
const out = (stack: StackKey, key: string): string => `<${stack}.${key}>`;
/** serverless.yml's default workerModelDir: the embed-worker zip carries this folder. */
export const WORKER_MODEL_DIR = 'dist/embed-worker-model';

/** The stack names of a stage (the functions' is osls's `<service>-<stage>`). */
export function stackNames(stage: string): Record<StackKey, string> {
  return { network: `embed-${stage}-network`, djl: `embed-${stage}-djl`, functions: `embed-front-door-${stage}` };
}

const describeOutputs = (region: string, stack: string): string[] => [
  'aws', 'cloudformation', 'describe-stacks', '--region', region, '--stack-name', stack, '--query', 'Stacks[0].Outputs', '--output', 'json',
];

/** Every step of the deploy, in order. */
export function planAwsDeploy(options: AwsDeployOptions): PlanStep[] {
  const { stage, region, network } = options;
  const stacks = stackNames(stage);
  const tags = ['--tags', 'project=embed-front-door', `stage=${stage}`];
  const steps: PlanStep[] = [{
    kind: 'run',
    title: 'Who deploys: the account and identity of the AWS CLI\'s credentials',
    argv: ['aws', 'sts', 'get-caller-identity', '--region', region, '--output', 'json'],
  }];

  let subnets: string;
  let vpcId: string;
  let frontDoorGroup: string;
  if (network.kind === 'new') {
    steps.push({
      kind: 'run',
      title: network.egress === 'nat'
        ? 'Network: VPC with DNS, private subnets in two AZs, one NAT gateway'
        : 'Network: VPC with DNS, private subnets in two AZs, interface endpoints, no internet',
      argv: ['aws', 'cloudformation', 'deploy', '--region', region, '--stack-name', stacks.network,
        '--template-file', 'infra/aws/network.yaml', '--no-fail-on-empty-changeset',
        '--parameter-overrides', `Egress=${network.egress}`, `VpcCidr=${network.cidr}`,
        // The Lambda API's endpoint, needed without internet only, billed only when asked for.
        `LambdaEndpoint=${network.egress === 'endpoints' && options.lambdaTier !== undefined}`, ...tags],
    }, {
      kind: 'outputs',
      title: 'Network outputs',
      as: 'network',
      uses: ['VpcId', 'PrivateSubnetIds', 'FrontDoorSecurityGroupId'],
      argv: describeOutputs(region, stacks.network),
    });
    vpcId = out('network', 'VpcId');
    subnets = out('network', 'PrivateSubnetIds');
    frontDoorGroup = out('network', 'FrontDoorSecurityGroupId');
  } else {
    // Cloud Map's private zone (dns:// on Lambda) resolves only with both attributes on.
    for (const attribute of ['enableDnsSupport', 'enableDnsHostnames'] as const) {
      const field = `${attribute[0]!.toUpperCase()}${attribute.slice(1)}`;
      steps.push({
        kind: 'expect',
        title: `Existing VPC ${network.vpcId}: ${attribute} is on`,
        argv: ['aws', 'ec2', 'describe-vpc-attribute', '--region', region, '--vpc-id', network.vpcId, '--attribute', attribute,
          '--query', `${field}.Value`, '--output', 'text'],
        expected: 'True',
        failure: `VPC ${network.vpcId} has ${attribute} off: Cloud Map's private DNS names would not resolve. `
          + `Turn it on (aws ec2 modify-vpc-attribute --vpc-id ${network.vpcId} --${attribute.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}) or deploy a new network`,
      });
    }
    vpcId = network.vpcId;
    subnets = network.subnetIds.join(',');
    frontDoorGroup = network.securityGroupId ?? '';
  }

  steps.push({
    kind: 'run',
    title: `DJL Serving on ECS: Fargate CPU service, Cloud Map names${options.gpu ? ', GPU overflow tier' : ''}, images from ECR`,
    argv: ['aws', 'cloudformation', 'deploy', '--region', region, '--stack-name', stacks.djl,
      '--template-file', 'infra/aws/djl-ecs.yaml', '--capabilities', 'CAPABILITY_IAM', '--no-fail-on-empty-changeset',
      // Every parameter, empty ones too: `deploy` keeps an omitted parameter's previous value.
      '--parameter-overrides', `VpcId=${vpcId}`, `PrivateSubnetIds=${subnets}`, `FrontDoorSecurityGroupId=${frontDoorGroup}`,
      `ClusterName=embed-${stage}`, `NamespaceName=${stage}.embed.internal`, 'EnableServiceDiscovery=true', `EnableGpu=${options.gpu}`,
      `ImageRegistry=${options.image.kind === 'registry' ? options.image.registry : ''}`,
      `DockerHubCredentialsArn=${options.image.kind === 'pull-through-cache' ? options.image.secretArn : ''}`,
      ...tags],
  }, {
    kind: 'outputs',
    title: 'DJL outputs',
    as: 'djl',
    uses: ['ClusterName', 'CpuBackendsDns', 'CpuBackends', 'FrontDoorSecurityGroupId', ...(options.gpu ? ['GpuBackendsDns', 'GpuBackends'] : [])],
    argv: describeOutputs(region, stacks.djl),
  });

  const param = (key: string, value: string): string[] => ['--param', `${key}=${value}`];
  // The Lambda tier spills after the GPU tier: the GPU is paid for all day, the worker per call
  // (pay-per-call endpoints only take what the tier's always-on ones cannot).
  const lambdaEntry = options.lambdaTier === undefined ? undefined
    : `lambda://${stacks.functions}-embed-worker?concurrency=${options.lambdaTier}`;
  const gpuBackends = [...(options.gpu ? [out('djl', 'GpuBackendsDns')] : []), ...(lambdaEntry === undefined ? [] : [lambdaEntry])].join(',');
  if (options.lambdaTier !== undefined) {
    steps.push({
      kind: 'run',
      title: 'The embedding worker\'s model (all-MiniLM-L6-v2, pinned and checksummed) into the folder its package carries',
      argv: ['env', `EMBED_MODEL_DIR=${WORKER_MODEL_DIR}`, 'npm', 'run', 'model:fetch'],
    });
  }
  steps.push({
    kind: 'run',
    title: 'The front door: Lambda functions in the VPC (serverless deploy), backends by Cloud Map DNS',
    argv: ['npx', 'serverless', 'deploy', '--stage', stage, '--region', region,
      ...param('vpcSubnetIds', subnets),
      ...param('vpcSecurityGroupIds', out('djl', 'FrontDoorSecurityGroupId')),
      ...param('cpuBackends', out('djl', 'CpuBackendsDns')),
      ...(gpuBackends === '' ? [] : param('gpuBackends', gpuBackends)),
      ...(options.lambdaTier === undefined ? [] : param('workerReservedConcurrency', String(options.lambdaTier))),
      // The warm-up raises services, which only ecs:// names (one scheduled call every 5 minutes).
      ...param('warmupCpuBackends', out('djl', 'CpuBackends')),
      ...(options.gpu ? param('warmupGpuBackends', out('djl', 'GpuBackends')) : []),
      ...param('ecsCluster', out('djl', 'ClusterName')),
      ...param('apiKeys', options.apiKeys),
      ...(options.allowPublic ? param('allowPublic', 'true') : []),
      ...options.params.flatMap((pair) => ['--param', pair])],
  }, {
    kind: 'outputs',
    title: 'The front door\'s URL',
    as: 'functions',
    uses: ['HttpApiUrl'],
    argv: describeOutputs(region, stacks.functions),
  });
  return steps;
}

/** A word as a POSIX shell reads it back: quoted only when it has to be; placeholders left bare. */
export function shellWord(word: string): string {
  if (word === '') return "''";
  if (/^[\w@%+=:,./<>-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command for people: one flag per line, each parameter override on its own line. */
export function formatCommand(argv: readonly string[]): string {
  const lines: string[] = [];
  let listFlag = false;
  for (const word of argv) {
    const quoted = shellWord(word);
    if (word.startsWith('--')) {
      lines.push(`  ${quoted}`);
      listFlag = word === '--parameter-overrides' || word === '--tags';
    } else if (lines.length === 0) lines.push(quoted);
    else if (listFlag) lines.push(`    ${quoted}`);
    else lines[lines.length - 1] += ` ${quoted}`;
  }
  const [first = '', ...rest] = lines;
  // The program and its subcommands stay on the first line.
  return [first.trimStart(), ...rest].join(' \\\n');
}
