/**
 * Command-line flags of `npm run deploy:aws`, checked in one place, every problem at once, before
 * anything is deployed: a deploy that would be refused at its last step (an open endpoint on a
 * stage other than dev, no image source for the DJL tasks) is refused here, not after the
 * network and the DJL services already exist.
 */
import { type CommandLine, parseCommandLine, valueFlags } from '../../shared/cli/command-line';

export const AWS_DEPLOY_USAGE = `Usage: npm run deploy:aws -- --stage S --region R (--docker-hub-secret ARN | --image-registry URI) [options]

Deploys the whole AWS stack in order, reading each stack's outputs for the next: the network
(infra/aws/network.yaml), the DJL services (infra/aws/djl-ecs.yaml), then the Lambda functions
(serverless deploy, in the VPC, with the DJL services' dns:// names as backends). Every step is
idempotent: run it again after a failure or a change. Needs the AWS CLI v2 and credentials
(aws sts get-caller-identity must work), and npx serverless (this repository's osls).

  --stage S                 stage name (a-z, 0-9, -): stacks embed-S-network, embed-S-djl and
                            embed-front-door-S
  --region R                AWS region, e.g. eu-west-1
  --docker-hub-secret ARN   Secrets Manager secret (name ecr-pullthroughcache/...) with Docker Hub
                            credentials: the DJL stack creates an ECR pull-through cache
  --image-registry URI      or: an ECR registry holding copies of the DJL images under their
                            Docker Hub names (copy step in docs/deploy-aws.md)
  --api-keys ENTRIES        API_KEYS for the front door (npm run key:new; default: $API_KEYS).
                            Required on every stage but dev, unless --allow-public
  --allow-public            deploy without API keys on a stage other than dev, on purpose
  --egress nat|endpoints    the network's way to AWS APIs (default nat; endpoints has no
                            internet, so the DJL image must carry its model: see the docs)
  --vpc-cidr CIDR           the new VPC's /16 (default 10.40.0.0/16)
  --existing-vpc VPC_ID     use this VPC instead of creating one (DNS support and hostnames on,
                            a route to the AWS APIs and the model zoo); needs --subnets
  --subnets IDS             with --existing-vpc: private subnets, comma-separated, two AZs
  --security-group SG_ID    with --existing-vpc: the front door's group (default: the DJL stack
                            creates one)
  --gpu                     add the GPU overflow tier (EC2 g4dn; check the account's G quota)
  --lambda-tier N           add the Lambda burst tier: the embed-worker function (its model
                            fetched into its package first) as lambda://...?concurrency=N in
                            the overflow tier, after the GPU tier when --gpu, with N reserved
  --param KEY=VALUE         passed to serverless deploy as --param (repeatable), e.g.
                            httpApiThrottleRate=200 or embedReservedConcurrency=50
  --dry-run                 print every command and parameter, outputs as <stack.Output>,
                            and run nothing
  --help                    this text

Exits 0 when every step succeeded, 1 when one failed (the rest is not run), 2 on bad arguments.
See docs/deploy-aws.md.`;

export type Egress = 'nat' | 'endpoints';

export interface AwsDeployOptions {
  readonly stage: string;
  readonly region: string;
  readonly dryRun: boolean;
  /** Exactly one of the two image sources. */
  readonly image: { readonly kind: 'pull-through-cache'; readonly secretArn: string } | { readonly kind: 'registry'; readonly registry: string };
  readonly apiKeys: string;
  readonly allowPublic: boolean;
  readonly network:
    | { readonly kind: 'new'; readonly egress: Egress; readonly cidr: string }
    | { readonly kind: 'existing'; readonly vpcId: string; readonly subnetIds: readonly string[]; readonly securityGroupId: string | undefined };
  readonly gpu: boolean;
  /** The Lambda burst tier's concurrency (`--lambda-tier N`), or undefined without it. */
  readonly lambdaTier: number | undefined;
  /** Extra `--param KEY=VALUE` for serverless deploy, in order. */
  readonly params: readonly string[];
}

const FLAGS = {
  ...valueFlags('lambda-tier', 'stage', 'region', 'docker-hub-secret', 'image-registry', 'api-keys', 'egress', 'vpc-cidr', 'existing-vpc', 'subnets', 'security-group'),
  param: { type: 'string', multiple: true },
  'allow-public': { type: 'boolean' },
  gpu: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
} as const;

/** Stages that may deploy without API keys, as in infra/aws/serverless-deploy-guard.mjs. */
const OPEN_STAGES: readonly string[] = ['dev'];
const STAGE = /^[a-z][a-z0-9-]{0,15}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
const CIDR_16 = /^(?:\d{1,3}\.){3}\d{1,3}\/16$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:ecr-pullthroughcache\/.+$/;
const ECR_REGISTRY = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?(?:\/[a-z0-9._/-]+)?$/;
/** Params the tool sets itself from the stacks' outputs; given again they would disagree. */
const OWN_PARAMS: readonly string[] = ['vpcSubnetIds', 'vpcSecurityGroupIds', 'cpuBackends', 'gpuBackends', 'warmupCpuBackends', 'warmupGpuBackends', 'ecsCluster', 'apiKeys', 'allowPublic', 'workerReservedConcurrency'];
/** lambda:// entries' own limit (shared/config/lambda-backend.ts). */
const MAX_LAMBDA_TIER = 1000;

/**
 * The deploy's flags; `environmentApiKeys` is $API_KEYS, the fallback of --api-keys (as
 * serverless.yml's apiKeys falls back to it). Pure: argv in, outcome out.
 */
export function parseAwsDeployArgs(argv: readonly string[], environmentApiKeys = ''): CommandLine<AwsDeployOptions> {
  return parseCommandLine({ flags: FLAGS }, argv, (flags) => {
    const required = (name: 'stage' | 'region', pattern: RegExp, example: string): string => {
      const value = flags.string(name);
      if (value === undefined) {
        if (!flags.has(name)) flags.problems.push(`--${name}: required (e.g. --${name} ${example})`);
        return '';
      }
      if (!pattern.test(value)) flags.problems.push(`--${name}: expected something like ${example}, got ${JSON.stringify(value)}`);
      return value;
    };
    const matching = (name: keyof typeof FLAGS, pattern: RegExp, what: string): string | undefined => {
      const value = flags.string(name);
      if (value !== undefined && !pattern.test(value)) flags.problems.push(`--${name}: expected ${what}, got ${JSON.stringify(value)}`);
      return value;
    };
    const stage = required('stage', STAGE, 'prod');
    const region = required('region', REGION, 'eu-west-1');

    const secretArn = matching('docker-hub-secret', SECRET_ARN, 'a Secrets Manager ARN whose name starts with ecr-pullthroughcache/');
    const registry = matching('image-registry', ECR_REGISTRY, 'an ECR registry, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com');
    if (flags.has('docker-hub-secret') && flags.has('image-registry')) flags.problems.push('--docker-hub-secret and --image-registry: choose one image source');
    else if (!flags.has('docker-hub-secret') && !flags.has('image-registry')) {
      flags.problems.push('--docker-hub-secret or --image-registry: required; the DJL images come from ECR, never anonymously from Docker Hub (rate-limited per IP; see docs/deploy-aws.md)');
    }
    const image = registry !== undefined ? { kind: 'registry' as const, registry } : { kind: 'pull-through-cache' as const, secretArn: secretArn ?? '' };

    const apiKeys = flags.string('api-keys') ?? environmentApiKeys;
    const allowPublic = flags.flag('allow-public');
    if (stage !== '' && apiKeys.trim() === '' && !allowPublic && !OPEN_STAGES.includes(stage)) {
      flags.problems.push(`--api-keys: required on stage ${stage} (a public endpoint in front of paid compute otherwise; npm run key:new prints an entry), or --allow-public to deploy it open on purpose`);
    }

    const existingVpc = matching('existing-vpc', VPC_ID, 'a VPC id (vpc-...)');
    const subnetText = flags.string('subnets');
    const securityGroupId = matching('security-group', SECURITY_GROUP_ID, 'a security group id (sg-...)');
    let network: AwsDeployOptions['network'];
    if (flags.has('existing-vpc')) {
      const subnetIds = (subnetText ?? '').split(',').map((id) => id.trim()).filter((id) => id !== '');
      if (subnetIds.length < 2) flags.problems.push('--subnets: with --existing-vpc, give two or more private subnets in different AZs (subnet-a,subnet-b)');
      for (const id of subnetIds.filter((item) => !SUBNET_ID.test(item))) flags.problems.push(`--subnets: ${JSON.stringify(id)} is not a subnet id (subnet-...)`);
      for (const name of ['egress', 'vpc-cidr'] as const) if (flags.has(name)) flags.problems.push(`--${name}: only for a new network, not with --existing-vpc`);
      network = { kind: 'existing', vpcId: existingVpc ?? '', subnetIds, securityGroupId };
    } else {
      for (const name of ['subnets', 'security-group'] as const) if (flags.has(name)) flags.problems.push(`--${name}: only with --existing-vpc`);
      const egress = flags.choice('egress', ['nat', 'endpoints'] as const) ?? 'nat';
      const cidr = matching('vpc-cidr', CIDR_16, 'a /16 block, e.g. 10.40.0.0/16') ?? '10.40.0.0/16';
      network = { kind: 'new', egress, cidr };
    }

    const params = flags.strings('param');
    for (const param of params) {
      const key = /^([A-Za-z][\w]*)=/.exec(param)?.[1];
      if (key === undefined) flags.problems.push(`--param: expected KEY=VALUE, got ${JSON.stringify(param)}`);
      else if (OWN_PARAMS.includes(key)) flags.problems.push(`--param ${key}: set by this tool from the stacks' outputs or its own flags`);
    }
    const lambdaTier = flags.number('lambda-tier', { integer: true, min: 1, max: MAX_LAMBDA_TIER });
    return { stage, region, dryRun: flags.flag('dry-run'), image, apiKeys, allowPublic, network, gpu: flags.flag('gpu'), lambdaTier, params };
  });
}
