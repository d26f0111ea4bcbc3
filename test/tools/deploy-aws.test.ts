/**
 * `npm run deploy:aws`, run as its script runs it: --dry-run prints every command in order with
 * the outputs of earlier stacks as placeholders and runs nothing; a real run, against stand-in
 * `aws` and `npx` executables first on PATH (no cloud is reachable here), chains each stack's
 * outputs into the next command and stops at the first failing step; bad or dangerous flag
 * combinations are refused before any command runs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EXIT_USAGE } from '../../shared/cli/command-line';
import { applyPlan, type CommandRunner, DeployStepError } from '../../tools/deploy/aws-deploy-apply';
import { expectRun } from '../../shared/cli/command-line';
import { parseAwsDeployArgs } from '../../tools/deploy/aws-deploy-options';
import { planAwsDeploy } from '../../tools/deploy/aws-deploy-plan';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOOL = 'tools/deploy/aws-deploy.ts';
const RUN_LIMIT_MS = 30_000;
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf';
const KEYS = `ci:${'ab'.repeat(32)}`;
const BASE = ['--stage', 'prod', '--region', 'eu-west-1', '--docker-hub-secret', SECRET, '--api-keys', KEYS];
const DNS_CPU = 'dns://djl-cpu.prod.embed.internal:8080?path=/predictions/all_MiniLM_L6_v2';
const ECS_CPU = 'ecs://embed-prod/djl-cpu?port=8080&path=/predictions/all_MiniLM_L6_v2';
const OUTPUTS: Record<string, Record<string, string>> = {
  'embed-prod-network': { VpcId: 'vpc-0a1b2c3d4e5f60001', PrivateSubnetIds: 'subnet-0a1b2c3d4e5f60002,subnet-0a1b2c3d4e5f60003', FrontDoorSecurityGroupId: 'sg-0a1b2c3d4e5f60004' },
  'embed-prod-djl': { ClusterName: 'embed-prod', CpuBackendsDns: DNS_CPU, CpuBackends: ECS_CPU, FrontDoorSecurityGroupId: 'sg-0a1b2c3d4e5f60004' },
  'embed-front-door-prod': { HttpApiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com' },
};

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The tool as `npm run deploy:aws` runs it, with `path` first on PATH. */
function runTool(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', TOOL, ...args], {
      cwd: ROOT, env: { ...process.env, API_KEYS: '', ...env }, timeout: RUN_LIMIT_MS, killSignal: 'SIGKILL',
    }, (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }));
  });
}

/** Every command line of the dry run, continuation lines joined. */
const commandsOf = (stdout: string): string[] => stdout.replace(/ \\\n\s*/g, ' ').split('\n').filter((line) => /^(aws|npx) /.test(line));

describe('npm run deploy:aws --dry-run', () => {
  test('a new network: every command in order, later stacks fed by <stack.Output> placeholders', async () => {
    const { code, stdout, stderr } = await runTool([...BASE, '--dry-run']);
    assert.equal(code, 0, stderr);
    const commands = commandsOf(stdout);
    assert.deepEqual(commands.map((line) => line.split(' --')[0]), [
      'aws sts get-caller-identity',
      'aws cloudformation deploy',
      'aws cloudformation describe-stacks',
      'aws cloudformation deploy',
      'aws cloudformation describe-stacks',
      'npx serverless deploy',
      'aws cloudformation describe-stacks',
    ]);
    const [, network, , djl, , functions] = commands as [string, string, string, string, string, string];
    assert.match(network, /--stack-name embed-prod-network --template-file infra\/aws\/network\.yaml --no-fail-on-empty-changeset --parameter-overrides Egress=nat VpcCidr=10\.40\.0\.0\/16/);
    assert.match(djl, /--template-file infra\/aws\/djl-ecs\.yaml --capabilities CAPABILITY_IAM/);
    for (const pair of ['VpcId=<network.VpcId>', 'PrivateSubnetIds=<network.PrivateSubnetIds>', 'FrontDoorSecurityGroupId=<network.FrontDoorSecurityGroupId>',
      'ClusterName=embed-prod', 'EnableGpu=false', 'ImageRegistry= ', `DockerHubCredentialsArn=${SECRET}`]) {
      assert.ok(djl.includes(pair), `the DJL deploy lacks ${pair}: ${djl}`);
    }
    for (const pair of ['--stage prod', '--region eu-west-1', '--param vpcSubnetIds=<network.PrivateSubnetIds>', '--param vpcSecurityGroupIds=<djl.FrontDoorSecurityGroupId>',
      '--param cpuBackends=<djl.CpuBackendsDns>', '--param warmupCpuBackends=<djl.CpuBackends>', '--param ecsCluster=<djl.ClusterName>', `--param apiKeys=${KEYS}`]) {
      assert.ok(functions.includes(pair), `serverless deploy lacks ${pair}: ${functions}`);
    }
    assert.doesNotMatch(functions, /gpuBackends|allowPublic/);
    assert.match(stdout, /-> <network\.VpcId> <network\.PrivateSubnetIds> <network\.FrontDoorSecurityGroupId>/);
    assert.match(stdout, /-> <functions\.HttpApiUrl>/);
  });

  test('docs/deploy-aws.md shows the dry run of its one command, word for word', async () => {
    const doc = await readFile(join(ROOT, 'docs/deploy-aws.md'), 'utf8');
    const command = /```sh\nnpm run deploy:aws -- (.*?)\n```/s.exec(doc)?.[1];
    assert.ok(command, 'no npm run deploy:aws command block in docs/deploy-aws.md');
    const args = command.replace(/\\\n/g, ' ').trim().split(/\s+/);
    const { code, stdout, stderr } = await runTool([...args, '--dry-run']);
    assert.equal(code, 0, stderr);
    assert.ok(doc.includes(`\`\`\`text\n${stdout.trimEnd()}\n\`\`\``), 'the dry run in docs/deploy-aws.md differs from the tool\'s: paste it again');
  });

  test('an existing VPC: its DNS settings checked, no network stack, the given subnets throughout; the GPU tier and extra params passed on', async () => {
    const args = ['--stage', 'dev', '--region', 'us-east-1', '--image-registry', '123456789012.dkr.ecr.us-east-1.amazonaws.com',
      '--existing-vpc', 'vpc-0a1b2c3d4e5f60001', '--subnets', 'subnet-0a1b2c3d4e5f60002,subnet-0a1b2c3d4e5f60003', '--gpu',
      '--param', 'httpApiThrottleRate=500', '--dry-run'];
    const { code, stdout, stderr } = await runTool(args);
    assert.equal(code, 0, stderr);
    const commands = commandsOf(stdout);
    assert.ok(!commands.some((line) => line.includes('network.yaml') || line.includes('embed-dev-network')), 'no network stack');
    const checks = commands.filter((line) => line.startsWith('aws ec2 describe-vpc-attribute'));
    assert.deepEqual(checks.map((line) => /--attribute (\w+)/.exec(line)?.[1]), ['enableDnsSupport', 'enableDnsHostnames']);
    const djl = commands.find((line) => line.includes('djl-ecs.yaml')) ?? '';
    for (const pair of ['VpcId=vpc-0a1b2c3d4e5f60001', 'PrivateSubnetIds=subnet-0a1b2c3d4e5f60002,subnet-0a1b2c3d4e5f60003',
      'FrontDoorSecurityGroupId= ', 'EnableGpu=true', 'ImageRegistry=123456789012.dkr.ecr.us-east-1.amazonaws.com', 'DockerHubCredentialsArn= ']) {
      assert.ok(djl.includes(pair), `the DJL deploy lacks ${pair}: ${djl}`);
    }
    const functions = commands.find((line) => line.startsWith('npx serverless deploy')) ?? '';
    for (const pair of ['--param vpcSubnetIds=subnet-0a1b2c3d4e5f60002,subnet-0a1b2c3d4e5f60003', '--param gpuBackends=<djl.GpuBackendsDns>', '--param warmupGpuBackends=<djl.GpuBackends>',
      '--param apiKeys= ', '--param httpApiThrottleRate=500']) {
      assert.ok(functions.includes(pair), `serverless deploy lacks ${pair}: ${functions}`);
    }
  });

  test('--lambda-tier with --gpu: the worker\'s model fetched before the deploy, the Lambda entry after the GPU tier, its concurrency reserved', async () => {
    const { code, stdout, stderr } = await runTool([...BASE, '--gpu', '--lambda-tier', '12', '--dry-run']);
    assert.equal(code, 0, stderr);
    const commands = commandsOf(stdout);
    const fetchAt = stdout.indexOf('\nenv EMBED_MODEL_DIR=dist/embed-worker-model npm run model:fetch\n');
    assert.ok(fetchAt >= 0 && fetchAt < stdout.indexOf('\nnpx serverless deploy'), stdout);
    const deployAt = commands.findIndex((line) => line.startsWith('npx serverless deploy'));
    for (const pair of ["--param 'gpuBackends=<djl.GpuBackendsDns>,lambda://embed-front-door-prod-embed-worker?concurrency=12'", '--param workerReservedConcurrency=12']) {
      assert.ok(commands[deployAt]!.includes(pair), `serverless deploy lacks ${pair}: ${commands[deployAt]}`);
    }
    const refused = await runTool([...BASE, '--lambda-tier', '0', '--param', 'workerReservedConcurrency=3', '--dry-run']);
    assert.equal(refused.code, EXIT_USAGE);
    assert.match(refused.stderr, /--lambda-tier/);
    assert.match(refused.stderr, /--param workerReservedConcurrency: set by this tool/);
  });

  test('refused before anything runs, every problem named: no keys on prod, two image sources, flags of the other network kind, a param the tool owns', async () => {
    const { code, stdout, stderr } = await runTool(['--stage', 'prod', '--region', 'eu-west-1', '--docker-hub-secret', SECRET,
      '--image-registry', '123456789012.dkr.ecr.eu-west-1.amazonaws.com', '--subnets', 'subnet-0a1b2c3d4e5f60002', '--param', 'vpcSubnetIds=subnet-1', '--dry-run']);
    assert.equal(code, EXIT_USAGE);
    assert.equal(stdout, '');
    assert.match(stderr, /--api-keys: required on stage prod .*or --allow-public/);
    assert.match(stderr, /--docker-hub-secret and --image-registry: choose one image source/);
    assert.match(stderr, /--subnets: only with --existing-vpc/);
    assert.match(stderr, /--param vpcSubnetIds: set by this tool/);
  });

  test('no image source is refused with the reason; --allow-public and $API_KEYS satisfy the key check', async () => {
    const noImage = await runTool(['--stage', 'dev', '--region', 'eu-west-1', '--dry-run']);
    assert.equal(noImage.code, EXIT_USAGE);
    assert.match(noImage.stderr, /--docker-hub-secret or --image-registry: required; .*never anonymously from Docker Hub/);
    const open = await runTool(['--stage', 'prod', '--region', 'eu-west-1', '--docker-hub-secret', SECRET, '--allow-public', '--dry-run']);
    assert.equal(open.code, 0, open.stderr);
    assert.match(open.stdout, /--param allowPublic=true/);
    const fromEnv = await runTool(['--stage', 'prod', '--region', 'eu-west-1', '--docker-hub-secret', SECRET, '--dry-run'], { API_KEYS: KEYS });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.ok(fromEnv.stdout.includes(`--param apiKeys=${KEYS}`));
  });
});

describe('npm run deploy:aws against stand-in aws and npx', () => {
  let bin: string;
  let log: string;

  before(async () => {
    bin = await mkdtemp(join(tmpdir(), 'efd-deploy-aws-'));
    log = join(bin, 'calls.log');
    for (const [stack, outputs] of Object.entries(OUTPUTS)) {
      const json = Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue }));
      await writeFile(join(bin, `${stack}.json`), JSON.stringify(json));
    }
    // Each logs its arguments, one call per line; describe-stacks prints the stack's outputs;
    // FAIL_ON makes the call whose arguments contain it exit 255, as the CLI does on an API error.
    const script = (name: string) => `#!/bin/sh
printf '%s\\n' "${name} $*" >> "${log}"
case "$*" in *"$FAIL_ON"*) [ -n "$FAIL_ON" ] && exit 255 ;; esac
if [ "$1 $2" = "cloudformation describe-stacks" ]; then
  while [ $# -gt 0 ]; do [ "$1" = "--stack-name" ] && cat "${bin}/$2.json"; shift; done
fi
exit 0
`;
    for (const name of ['aws', 'npx']) {
      await writeFile(join(bin, name), script(name));
      await chmod(join(bin, name), 0o755);
    }
  });

  after(async () => {
    await rm(bin, { recursive: true, force: true });
  });

  const calls = async (): Promise<string[]> => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter((line) => line !== '');
  const withStandIns = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ PATH: `${bin}:${process.env.PATH ?? ''}`, FAIL_ON: '', ...extra });

  test('--dry-run runs nothing', async () => {
    await rm(log, { force: true });
    const { code } = await runTool([...BASE, '--dry-run'], withStandIns());
    assert.equal(code, 0);
    assert.deepEqual(await calls(), []);
  });

  test('a run chains each stack\'s outputs into the next command and prints the URL', async () => {
    await rm(log, { force: true });
    const { code, stdout, stderr } = await runTool(BASE, withStandIns());
    assert.equal(code, 0, stderr);
    const made = await calls();
    assert.equal(made.length, 7, made.join('\n'));
    const djl = made[3] ?? '';
    assert.match(djl, /^aws cloudformation deploy .*VpcId=vpc-0a1b2c3d4e5f60001 PrivateSubnetIds=subnet-0a1b2c3d4e5f60002,subnet-0a1b2c3d4e5f60003 FrontDoorSecurityGroupId=sg-0a1b2c3d4e5f60004 /);
    const functions = made[5] ?? '';
    assert.ok(functions.startsWith('npx serverless deploy --stage prod --region eu-west-1'), functions);
    for (const pair of ['vpcSubnetIds=subnet-0a1b2c3d4e5f60002,subnet-0a1b2c3d4e5f60003', 'vpcSecurityGroupIds=sg-0a1b2c3d4e5f60004',
      `cpuBackends=${DNS_CPU}`, `warmupCpuBackends=${ECS_CPU}`, 'ecsCluster=embed-prod']) {
      assert.ok(functions.includes(`--param ${pair}`), `serverless deploy lacks ${pair}: ${functions}`);
    }
    assert.match(stdout, /Done\. The front door: https:\/\/abc123\.execute-api\.eu-west-1\.amazonaws\.com/);
    // Running it again is the same commands: nothing in the plan depends on what exists.
    await rm(log, { force: true });
    assert.equal((await runTool(BASE, withStandIns())).code, 0);
    assert.deepEqual(await calls(), made);
  });

  test('a failing step stops the run with exit 1, naming the step; nothing after it runs', async () => {
    await rm(log, { force: true });
    const { code, stderr } = await runTool(BASE, withStandIns({ FAIL_ON: 'djl-ecs.yaml' }));
    assert.equal(code, 1);
    assert.match(stderr, /deploy:aws stopped: step 4 \(DJL Serving on ECS.*\) failed with exit code 255; fix the cause and run the same command again/);
    const made = await calls();
    assert.equal(made.length, 4);
    assert.ok(!made.some((line) => line.startsWith('npx')));
  });

  test('without the AWS CLI: says so and how to get it', async () => {
    const { code, stderr } = await runTool(BASE, { PATH: '/nonexistent', FAIL_ON: '' });
    // node itself is found by execFile's absolute path; aws is not on this PATH.
    assert.equal(code, 1, stderr);
    assert.match(stderr, /aws: not found on PATH \(install the AWS CLI v2/);
  });
});

describe('applying the plan', () => {
  const options = expectRun(parseAwsDeployArgs(['--stage', 'dev', '--region', 'eu-west-1', '--image-registry', '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
    '--existing-vpc', 'vpc-0a1b2c3d4e5f60001', '--subnets', 'subnet-0a1b2c3d4e5f60002,subnet-0a1b2c3d4e5f60003']));

  test('an existing VPC without DNS hostnames stops before any stack, saying how to turn them on', async () => {
    const ran: string[] = [];
    const runner: CommandRunner = async (argv) => {
      ran.push(argv.join(' '));
      return { code: 0, stdout: argv.includes('enableDnsHostnames') ? 'False\n' : 'True\n' };
    };
    await assert.rejects(applyPlan(planAwsDeploy(options), runner, () => undefined),
      (error: unknown) => error instanceof DeployStepError && /enableDnsHostnames off: Cloud Map's private DNS names would not resolve.*--enable-dns-hostnames/.test(error.message));
    assert.equal(ran.length, 3);
    assert.ok(!ran.some((line) => line.includes('cloudformation deploy')));
  });

  test('a stack without an output the next step needs stops the run, naming it', async () => {
    const runner: CommandRunner = async (argv) => ({
      code: 0,
      stdout: argv.includes('describe-stacks') ? JSON.stringify([{ OutputKey: 'ClusterName', OutputValue: 'embed-dev' }]) : 'True',
    });
    await assert.rejects(applyPlan(planAwsDeploy(options), runner, () => undefined),
      /stack embed-dev-djl has no output CpuBackendsDns, CpuBackends, FrontDoorSecurityGroupId/);
  });
});
