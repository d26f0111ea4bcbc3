/**
 * `serverless package` with and without the VPC parameters, as `npm run deploy:aws` and users run
 * it (offline, real osls, real serverless-esbuild, infra/aws/serverless-deploy-guard.mjs): the VPC
 * lands on both functions only when given; private backends without it, half a VPC and an open
 * endpoint on a stage other than dev are refused before anything is built, saying which parameter
 * to set; the rest of the hardening (Node 24, throttle, metrics, access logs, the scheduler's role,
 * the conditioned RegisterScalableTarget) is in the template; cfn-lint finds no error in either
 * template nor in the hand-written ones under infra/aws.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertCfnLintAccepts } from '../helpers/cfn-lint';
import { REPO, runInRepo, SERVERLESS_TIMEOUT_MS, serverlessEnv } from '../helpers/serverless-cli';

const SUBNETS = ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'];
const SECURITY_GROUP = 'sg-0a1b2c3d4e5f60003';
const KEY_ENTRY = `ci:${'ab'.repeat(32)}`;
const DNS_BACKEND = 'dns://djl-cpu.embed.internal:8080?path=/predictions/all_MiniLM_L6_v2';
const ECS_BACKEND = 'ecs://embed-prod/djl-cpu?port=8080&path=/predictions/all_MiniLM_L6_v2';
const VPC_POLICY = 'AWSLambdaVPCAccessExecutionRole';

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: unknown };
type Template = { Resources: Record<string, Resource> };

describe('serverless package: network and deploy guards', { timeout: 3 * SERVERLESS_TIMEOUT_MS }, () => {
  let scratch: string;
  let home: string;
  const workFolders: string[] = [];
  const artifacts = { plain: '', vpc: '' };
  const templates: Record<keyof typeof artifacts, Template> = { plain: { Resources: {} }, vpc: { Resources: {} } };

  /** `serverless package` into its own folder; the params as `--param` pairs. */
  const packageWith = (name: string, args: string[]) => {
    const workFolder = join('.esbuild', `network-test-${process.pid}-${name}`);
    workFolders.push(workFolder);
    return runInRepo('npx', ['serverless', 'package', '--package', join(scratch, name), ...args], serverlessEnv(home, workFolder));
  };
  const params = (values: Record<string, string>) => Object.entries(values).flatMap(([key, value]) => ['--param', `${key}=${value}`]);

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'efd-sls-network-'));
    home = join(scratch, 'home');
    await mkdir(home);
    for (const [name, args] of [
      // Open on purpose, on a stage that needs the switch for it, with a backend outside any VPC.
      ['plain', ['--stage', 'prod', ...params({ allowPublic: 'true', cpuBackends: 'https://embed.example.com/v1/embeddings' })]],
      ['vpc', ['--stage', 'prod', ...params({
        cpuBackends: DNS_BACKEND, warmupCpuBackends: ECS_BACKEND, apiKeys: KEY_ENTRY, vpcSubnetIds: SUBNETS.join(','), vpcSecurityGroupIds: SECURITY_GROUP, embedReservedConcurrency: '20',
        workerReservedConcurrency: '8',
      })]],
    ] as const) {
      const result = await packageWith(name, [...args]);
      assert.equal(result.code, 0, `serverless package (${name}) failed:\n${result.output}`);
      artifacts[name] = join(scratch, name, 'cloudformation-template-update-stack.json');
      templates[name] = JSON.parse(await readFile(artifacts[name], 'utf8'));
    }
  });

  after(async () => {
    for (const folder of workFolders) await rm(join(REPO, folder), { recursive: true, force: true });
    await rmdir(join(REPO, '.esbuild')).catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
  });

  const functionsOf = (template: Template) => Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::Lambda::Function');
  const managedPolicies = (role: Resource | undefined) => JSON.stringify(role?.Properties.ManagedPolicyArns ?? []);

  test('without the VPC parameters (a public backend, open by allowPublic=true): no VpcConfig, no ENI policy, no reserved concurrency', () => {
    const functions = functionsOf(templates.plain);
    assert.equal(functions.length, 3);
    for (const [name, fn] of functions) {
      assert.equal(fn.Properties.VpcConfig, undefined, `${name} has a VpcConfig`);
      assert.equal(fn.Properties.ReservedConcurrentExecutions, undefined, `${name} reserves concurrency`);
    }
    assert.doesNotMatch(managedPolicies(templates.plain.Resources.IamRoleLambdaExecution), new RegExp(VPC_POLICY));
    assert.doesNotMatch(managedPolicies(templates.plain.Resources.WarmupRole), new RegExp(VPC_POLICY));
    assert.doesNotMatch(managedPolicies(templates.plain.Resources.EmbedWorkerRole), new RegExp(VPC_POLICY));
  });

  test('with them: VpcConfig on every function, the ENI policy on every role, reserved concurrency on embed and the worker', () => {
    const resources = templates.vpc.Resources;
    for (const name of ['EmbedLambdaFunction', 'WarmupLambdaFunction', 'EmbedDashworkerLambdaFunction']) {
      assert.deepEqual(resources[name]?.Properties.VpcConfig, { SubnetIds: SUBNETS, SecurityGroupIds: [SECURITY_GROUP] }, name);
    }
    assert.match(managedPolicies(resources.IamRoleLambdaExecution), new RegExp(VPC_POLICY));
    assert.match(managedPolicies(resources.WarmupRole), new RegExp(VPC_POLICY));
    assert.match(managedPolicies(resources.EmbedWorkerRole), new RegExp(VPC_POLICY));
    assert.equal(resources.EmbedLambdaFunction?.Properties.ReservedConcurrentExecutions, 20);
    assert.equal(resources.EmbedDashworkerLambdaFunction?.Properties.ReservedConcurrentExecutions, 8);
    assert.equal(resources.WarmupLambdaFunction?.Properties.ReservedConcurrentExecutions, undefined);
    // Embed resolves Cloud Map names; the warm-up reads the services it raises from the ECS API.
    assert.equal(resources.EmbedLambdaFunction?.Properties.Environment.Variables.CPU_BACKENDS, DNS_BACKEND);
    assert.equal(resources.WarmupLambdaFunction?.Properties.Environment.Variables.CPU_BACKENDS, ECS_BACKEND);
  });

  test('Node 24, HTTP API throttle, detailed metrics and access logs', () => {
    for (const template of Object.values(templates)) {
      for (const [name, fn] of functionsOf(template)) assert.equal(fn.Properties.Runtime, 'nodejs24.x', name);
      const stage = template.Resources.HttpApiStage?.Properties;
      assert.deepEqual(stage?.DefaultRouteSettings, { DetailedMetricsEnabled: true, ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 });
      assert.deepEqual(stage?.AccessLogSettings.DestinationArn, { 'Fn::GetAtt': ['HttpApiLogGroup', 'Arn'] });
      assert.match(stage?.AccessLogSettings.Format, /\$context\.status/);
      assert.equal(template.Resources.HttpApiLogGroup?.Type, 'AWS::Logs::LogGroup');
    }
  });

  test('RegisterScalableTarget only on ECS desired counts; the scheduler role trusts Scheduler and invokes the warm-up only', () => {
    const statements: any[] = templates.plain.Resources.WarmupRole?.Properties.Policies[0].PolicyDocument.Statement;
    const register = statements.find((statement) => statement.Action === 'application-autoscaling:RegisterScalableTarget');
    assert.deepEqual(register?.Condition, {
      StringEquals: { 'application-autoscaling:service-namespace': 'ecs', 'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount' },
    });
    const role = templates.plain.Resources.WarmupSchedulerRole?.Properties;
    const trust = role?.AssumeRolePolicyDocument.Statement;
    assert.deepEqual(trust.map((statement: any) => statement.Principal.Service), ['scheduler.amazonaws.com']);
    const allowed = role?.Policies.flatMap((policy: any) => policy.PolicyDocument.Statement);
    assert.deepEqual(allowed.map((statement: any) => statement.Action), ['lambda:InvokeFunction']);
    assert.deepEqual(allowed[0].Resource[0], { 'Fn::GetAtt': ['WarmupLambdaFunction', 'Arn'] });
  });

  test('the per-burst Scheduler example in serverless.yml, uncommented, invokes the warm-up through WarmupSchedulerRole', async () => {
    const source = await readFile(join(REPO, 'serverless.yml'), 'utf8');
    const example = /^( +)# - schedule:\n(?:\1# {5}.*\n)+/m.exec(source)?.[0];
    assert.ok(example !== undefined && example.includes('method: scheduler') && example.includes('roleArn: !GetAtt WarmupSchedulerRole.Arn'),
      `no scheduler example with its role in serverless.yml:\n${example ?? ''}`);
    // Next to serverless.yml, so its relative plugin path and handlers resolve the same way.
    const config = `.efd-test-scheduler-${process.pid}.yml`;
    await writeFile(join(REPO, config), source.replace(example, example.replace(/^( +)# /gm, '$1')));
    try {
      const result = await packageWith('scheduler', ['--config', config]);
      assert.equal(result.code, 0, result.output);
      const resources: Record<string, Resource> = JSON.parse(await readFile(join(scratch, 'scheduler', 'cloudformation-template-update-stack.json'), 'utf8')).Resources;
      const schedules = Object.values(resources).filter((resource) => resource.Type === 'AWS::Scheduler::Schedule');
      assert.equal(schedules.length, 1);
      assert.deepEqual(schedules[0]?.Properties.Target.RoleArn, { 'Fn::GetAtt': ['WarmupSchedulerRole', 'Arn'] });
      assert.deepEqual(schedules[0]?.Properties.Target.Arn, { 'Fn::GetAtt': ['WarmupLambdaFunction', 'Arn'] });
      assert.equal(schedules[0]?.Properties.ScheduleExpressionTimezone, 'Europe/Berlin');
    } finally {
      await rm(join(REPO, config), { force: true });
    }
  });

  test('cfn-lint: no error in either generated template nor in infra/aws', async (t) => {
    const handWritten = (await readdir(join(REPO, 'infra/aws'))).filter((file) => /\.ya?ml$/.test(file)).map((file) => join(REPO, 'infra/aws', file));
    assert.ok(handWritten.length >= 2, `templates in infra/aws: ${handWritten.join(', ')}`);
    await assertCfnLintAccepts(t, [artifacts.plain, artifacts.vpc, ...handWritten]);
  });

  test('refused before building, saying which parameter to set', async () => {
    const cases: [string, string[], RegExp][] = [
      ['dns:// without a VPC', params({ cpuBackends: DNS_BACKEND }), /dns:\/\/djl-cpu\.embed\.internal.*only be reached from inside the VPC.*--param "vpcSubnetIds=/],
      ['ecs:// for the warm-up and a private IP without a VPC', params({ warmupCpuBackends: 'ecs://embed/djl-cpu?port=8080&path=/predictions/m', gpuBackends: 'http://10.0.3.7:8080/predictions/m' }),
        /http:\/\/10\.0\.3\.7.*ecs:\/\/embed\/djl-cpu.*vpcSecurityGroupIds=|ecs:\/\/embed\/djl-cpu.*http:\/\/10\.0\.3\.7.*vpcSecurityGroupIds=/],
      ['half a VPC', params({ vpcSubnetIds: SUBNETS.join(',') }), /vpcSubnetIds is set but vpcSecurityGroupIds is not/],
      ['no keys on prod', ['--stage', 'prod'], /stage prod would deploy a public endpoint with no API keys.*--param "apiKeys=.*allowPublic=true/],
    ];
    for (const [what, args, message] of cases) {
      const result = await packageWith(what.replace(/\W+/g, '-'), args);
      assert.notEqual(result.code, 0, `${what}: packaged anyway`);
      assert.match(result.output.replace(/\s+/g, ' '), message, what);
      assert.doesNotMatch(result.output, /Packaging service|Compiling with esbuild/, `${what}: built before refusing`);
    }
  });
});
