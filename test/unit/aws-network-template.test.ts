/**
 * infra/aws/network.yaml, and the contract between the AWS templates and `npm run deploy:aws`:
 * the VPC resolves Cloud Map names (DNS support and hostnames), the no-NAT path has an endpoint
 * for every AWS API the functions and tasks call, and every parameter the deploy plan passes and
 * every output it reads exists in the template it names (cfn-lint checks the rest, in the
 * serverless-package-network test).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { expectRun } from '../../shared/cli/command-line';
import { parseAwsDeployArgs } from '../../tools/deploy/aws-deploy-options';
import { planAwsDeploy } from '../../tools/deploy/aws-deploy-plan';

type Json = Record<string, any>;

/** A template with its short-form intrinsics (`!Ref`, `!Sub`...) read as their plain values. */
function readTemplate(path: string): Json {
  const text = readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
  // The yaml library keeps an unknown tag's value and only warns: enough to read names and flags.
  return parse(text, { logLevel: 'silent' }) as Json;
}

const network = readTemplate('infra/aws/network.yaml');
const djl = readTemplate('infra/aws/djl-ecs.yaml');

describe('infra/aws/network.yaml', () => {
  test('a VPC with DNS support and hostnames, two private subnets in different AZs', () => {
    assert.equal(network.Resources.Vpc.Properties.EnableDnsSupport, true);
    assert.equal(network.Resources.Vpc.Properties.EnableDnsHostnames, true);
    const azs = ['PrivateSubnetA', 'PrivateSubnetB'].map((name) => network.Resources[name].Properties.AvailabilityZone);
    assert.deepEqual(azs.map((az) => az[0]), [0, 1], 'the first and second AZ of the region');
  });

  test('Egress=nat: an internet gateway and a NAT gateway routed from the private subnets; none with endpoints', () => {
    for (const name of ['InternetGateway', 'NatGateway', 'PublicSubnetA', 'PublicSubnetB', 'PrivateDefaultRoute']) {
      assert.equal(network.Resources[name]?.Condition, 'UseNat', name);
    }
    assert.equal(network.Resources.PrivateDefaultRoute.Properties.DestinationCidrBlock, '0.0.0.0/0');
  });

  test('Egress=endpoints: an interface endpoint for every API the functions and tasks call, and S3 through the gateway in both modes', () => {
    const endpoints = Object.values(network.Resources as Record<string, Json>).filter((resource) => resource.Type === 'AWS::EC2::VPCEndpoint');
    const interfaces = endpoints.filter((endpoint) => endpoint.Properties.VpcEndpointType === 'Interface');
    const services = interfaces.map((endpoint) => String(endpoint.Properties.ServiceName).replace('com.amazonaws.${AWS::Region}.', '')).sort();
    assert.deepEqual(services, ['application-autoscaling', 'ecr.api', 'ecr.dkr', 'ecs', 'ecs-agent', 'ecs-telemetry', 'lambda', 'logs']);
    for (const endpoint of interfaces) {
      // The Lambda API's only with the Lambda tier (LambdaEndpoint=true, npm run deploy:aws --lambda-tier).
      assert.equal(endpoint.Condition, String(endpoint.Properties.ServiceName).endsWith('.lambda') ? 'UseLambdaEndpoint' : 'UseEndpoints');
      assert.equal(endpoint.Properties.PrivateDnsEnabled, true, 'the SDKs reach the endpoint by the API\'s own name');
    }
    const gateways = endpoints.filter((endpoint) => endpoint.Properties.VpcEndpointType === 'Gateway');
    assert.deepEqual(gateways.map((endpoint) => [endpoint.Properties.ServiceName, endpoint.Condition]), [['com.amazonaws.${AWS::Region}.s3', undefined]]);
  });
});

describe('npm run deploy:aws and the templates it deploys', () => {
  const plan = (extra: string[]) => planAwsDeploy(expectRun(parseAwsDeployArgs(['--stage', 'dev', '--region', 'eu-west-1',
    '--docker-hub-secret', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-pullthroughcache/x', '--gpu', ...extra])));
  const overrides = (argv: readonly string[]) => argv.slice(argv.indexOf('--parameter-overrides') + 1, argv.indexOf('--tags')).map((pair) => pair.split('=')[0] ?? pair);

  test('every parameter it passes is one the template declares, and every output it reads one the template writes', () => {
    for (const steps of [plan([]), plan(['--lambda-tier', '4']), plan(['--existing-vpc', 'vpc-0a1b2c3d4e5f60001', '--subnets', 'subnet-0a1b2c3d4e5f60002,subnet-0a1b2c3d4e5f60003'])]) {
      for (const step of steps) {
        const template = step.argv.includes('infra/aws/network.yaml') ? network : step.argv.includes('infra/aws/djl-ecs.yaml') ? djl : undefined;
        if (step.kind === 'run' && template !== undefined) {
          const declared = Object.keys(template.Parameters);
          assert.deepEqual(overrides(step.argv).filter((key) => !declared.includes(key)), [], step.title);
        }
        if (step.kind === 'outputs' && step.as !== 'functions') {
          const written = Object.keys((step.as === 'network' ? network : djl).Outputs);
          assert.deepEqual(step.uses.filter((key) => !written.includes(key)), [], step.title);
        }
      }
    }
  });
});
