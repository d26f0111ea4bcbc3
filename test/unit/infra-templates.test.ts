/**
 * Structural checks of the DJL deployment templates under infra/. No cloud validator runs here
 * (cfn-lint, kubeconform and friends are not on npm), so this parses every file with `yaml` and
 * checks what a deploy would otherwise discover late: dangling CloudFormation references and
 * conditions, and that every orchestrator runs the same image, model, probes, sizes, scaling and
 * server-side batching.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { type CollectionTag, isMap, isScalar, isSeq, parse, parseAllDocuments, type ScalarTag } from 'yaml';

/** One value for every template: a change of image or model must be made everywhere. */
const DJL_CPU_IMAGE = 'deepjavalibrary/djl-serving:0.32.0-cpu-full';
const DJL_GPU_IMAGE = 'deepjavalibrary/djl-serving:0.32.0-pytorch-gpu';
const MODEL_URL = 'djl://ai.djl.huggingface.pytorch/sentence-transformers/all-MiniLM-L6-v2';
/** The name DJL gives the model above; the path in every backend URL. */
const MODEL_PATH = '/predictions/all_MiniLM_L6_v2';
const DJL_PORT = 8080;
/** Server-side batching on the CPU tier (see infra/README.md for the reasoning). */
const CPU_BATCHING = { SERVING_BATCH_SIZE: '8', SERVING_MAX_BATCH_DELAY: '20' } as const;

type Json = Record<string, unknown>;

function readInfra(relative: string): string {
  return readFileSync(new URL(`../../infra/${relative}`, import.meta.url), 'utf8');
}

function obj(value: unknown, what: string): Json {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${what} should be a mapping`);
  return value as Json;
}

function arr(value: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(value), `${what} should be a list`);
  return value;
}

function str(value: unknown, what: string): string {
  assert.equal(typeof value, 'string', `${what} should be a string`);
  return value as string;
}

/**
 * A DJL image as the templates other than ECS name it: a copy of {@link DJL_CPU_IMAGE} in a
 * registry of the operator's (a placeholder to fill, or a Swarm variable that must be set), never
 * an anonymous Docker Hub pull (rate-limited per source IP).
 */
function assertRegistryCopy(image: string, where: string): void {
  assert.ok(!/^(docker\.io\/)?deepjavalibrary\//.test(image), `${where}: ${image} pulls from Docker Hub`);
  const tag = DJL_CPU_IMAGE.slice(DJL_CPU_IMAGE.indexOf('/') + 1);
  assert.ok(image.endsWith(`/${tag}`) || image.endsWith(`/${DJL_CPU_IMAGE}`) || (image.startsWith('${') && image.includes(DJL_CPU_IMAGE)),
    `${where}: ${image} is a registry copy of ${DJL_CPU_IMAGE}`);
}

/** `[{name, value}]` (k8s, Knative, ACI) or `[{Name, Value}]` (ECS) as a plain map. */
function envMap(list: unknown, what: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of arr(list, what)) {
    const item = obj(entry, `${what} entry`);
    const name = str(item.name ?? item.Name, `${what} name`);
    env[name] = str(item.value ?? item.Value, `${what} ${name}`);
  }
  return env;
}

/** The DJL settings every CPU container must carry. */
function assertCpuEnv(env: Record<string, string>, cpus: number, where: string): void {
  assert.equal(env.SERVING_LOAD_MODELS, MODEL_URL, `${where}: SERVING_LOAD_MODELS`);
  // One worker using every core: DJL starts cores / OMP_NUM_THREADS workers.
  assert.equal(env.OMP_NUM_THREADS, String(cpus), `${where}: OMP_NUM_THREADS equals the vCPUs`);
  assert.equal(env.SERVING_BATCH_SIZE, CPU_BATCHING.SERVING_BATCH_SIZE, `${where}: SERVING_BATCH_SIZE`);
  assert.equal(env.SERVING_MAX_BATCH_DELAY, CPU_BATCHING.SERVING_MAX_BATCH_DELAY, `${where}: SERVING_MAX_BATCH_DELAY`);
}

/** A k8s-style probe (k8s, Knative, ACI) that asks DJL's /ping. */
function assertPingProbe(probe: unknown, namedPorts: Record<string, number>, where: string): void {
  const httpGet = obj(obj(probe, where).httpGet, `${where}.httpGet`);
  assert.equal(httpGet.path, '/ping', `${where}: path`);
  const port = typeof httpGet.port === 'string' ? namedPorts[httpGet.port] : httpGet.port;
  assert.equal(port, DJL_PORT, `${where}: port`);
}

// ---- CloudFormation ---------------------------------------------------------------------------

/** Short-form intrinsic functions and the long form (`Fn::X`) each parses into. */
const CFN_FUNCTIONS = {
  '!Ref': 'Ref',
  '!Condition': 'Condition',
  '!Sub': 'Fn::Sub',
  '!GetAtt': 'Fn::GetAtt',
  '!If': 'Fn::If',
  '!Equals': 'Fn::Equals',
  '!Not': 'Fn::Not',
  '!And': 'Fn::And',
  '!Or': 'Fn::Or',
  '!Select': 'Fn::Select',
  '!Join': 'Fn::Join',
  '!Split': 'Fn::Split',
  '!GetAZs': 'Fn::GetAZs',
  '!FindInMap': 'Fn::FindInMap',
  '!ImportValue': 'Fn::ImportValue',
  '!Base64': 'Fn::Base64',
} as const;

/** A parsed YAML node as plain JS, keeping what the custom tags produced. */
function plain(node: unknown): unknown {
  if (isScalar(node)) return node.value;
  if (isSeq(node)) return node.items.map(plain);
  if (isMap(node)) {
    return Object.fromEntries(node.items.map((pair) => [String(plain(pair.key)), plain(pair.value)]));
  }
  return node;
}

/** Tags that turn `!Fn value` into `{ "Fn::Fn": value }`, the JSON form, in all three YAML shapes. */
function cloudFormationTags(): (ScalarTag | CollectionTag)[] {
  const tags: (ScalarTag | CollectionTag)[] = [];
  for (const [tag, name] of Object.entries(CFN_FUNCTIONS)) {
    tags.push({
      tag,
      // `!GetAtt A.B` is the short spelling of `[A, B]` (the attribute may contain dots).
      resolve: (value: string) =>
        name === 'Fn::GetAtt' ? { [name]: [value.slice(0, value.indexOf('.')), value.slice(value.indexOf('.') + 1)] } : { [name]: value },
    });
    tags.push({ tag, collection: 'seq', resolve: (seq) => ({ [name]: plain(seq) }) });
    tags.push({ tag, collection: 'map', resolve: (map) => ({ [name]: plain(map) }) });
  }
  return tags;
}

const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

/** Every resource type the template may use; anything else is a typo or needs adding here. */
const KNOWN_RESOURCE_TYPES = new Set([
  'AWS::ApplicationAutoScaling::ScalableTarget',
  'AWS::ApplicationAutoScaling::ScalingPolicy',
  'AWS::AutoScaling::AutoScalingGroup',
  'AWS::EC2::LaunchTemplate',
  'AWS::EC2::SecurityGroup',
  'AWS::EC2::SecurityGroupIngress',
  'AWS::ECR::PullThroughCacheRule',
  'AWS::ECS::CapacityProvider',
  'AWS::ECS::Cluster',
  'AWS::ECS::ClusterCapacityProviderAssociations',
  'AWS::ECS::Service',
  'AWS::ECS::TaskDefinition',
  'AWS::IAM::InstanceProfile',
  'AWS::IAM::Role',
  'AWS::Logs::LogGroup',
  'AWS::ServiceDiscovery::PrivateDnsNamespace',
  'AWS::ServiceDiscovery::Service',
]);

interface CfnTemplate {
  readonly Parameters: Record<string, Json>;
  readonly Conditions: Record<string, unknown>;
  readonly Resources: Record<string, Json>;
  readonly Outputs: Record<string, Json>;
}

function loadCfn(): CfnTemplate {
  const template = obj(parse(readInfra('aws/djl-ecs.yaml'), { customTags: cloudFormationTags() }), 'template');
  return {
    Parameters: obj(template.Parameters, 'Parameters') as Record<string, Json>,
    Conditions: obj(template.Conditions, 'Conditions'),
    Resources: obj(template.Resources, 'Resources') as Record<string, Json>,
    Outputs: obj(template.Outputs, 'Outputs') as Record<string, Json>,
  };
}

/** `${Name}` and `${Resource.Attr}` in a Fn::Sub string; `${!Literal}` is not a reference. */
function subReferences(text: string): string[] {
  return [...text.matchAll(/\$\{([^}]+)\}/g)].map((match) => match[1] ?? '').filter((name) => !name.startsWith('!'));
}

/** A condition and every condition it implies through Fn::And. */
function impliedConditions(template: CfnTemplate, name: string): Set<string> {
  const implied = new Set([name]);
  const definition = template.Conditions[name];
  if (definition && typeof definition === 'object' && 'Fn::And' in definition) {
    for (const part of arr((definition as Json)['Fn::And'], `${name} Fn::And`)) {
      const inner = (part as Json | null)?.Condition;
      if (typeof inner === 'string') for (const c of impliedConditions(template, inner)) implied.add(c);
    }
  }
  return implied;
}

/**
 * Every reference problem under `node`: unknown Ref/GetAtt/Sub targets and conditions, and a
 * reference to a conditional resource from where that condition does not hold (it would fail
 * whenever the condition is false). `scope` holds the conditions known true at this point.
 */
function referenceProblems(template: CfnTemplate, node: unknown, scope: Set<string>, where: string): string[] {
  const problems: string[] = [];
  const isResource = (name: string) => name in template.Resources;
  const checkResourceCondition = (name: string) => {
    const condition = template.Resources[name]?.Condition;
    if (typeof condition === 'string' && !scope.has(condition)) {
      problems.push(`${where}: ${name} exists only when ${condition}, which does not hold here`);
    }
  };
  const checkName = (name: string, allowResourceAttribute: boolean) => {
    const [head = '', attribute] = name.split(/\.(.*)/s);
    if (attribute !== undefined && allowResourceAttribute) {
      if (!isResource(head)) problems.push(`${where}: \${${name}} names no resource`);
      else checkResourceCondition(head);
      return;
    }
    if (PSEUDO_PARAMETERS.has(name) || name in template.Parameters) return;
    if (isResource(name)) checkResourceCondition(name);
    else problems.push(`${where}: ${name} is no parameter, resource or pseudo parameter`);
  };
  const checkCondition = (name: unknown) => {
    if (typeof name !== 'string' || !(name in template.Conditions)) problems.push(`${where}: unknown condition ${String(name)}`);
  };

  if (Array.isArray(node)) {
    node.forEach((item, index) => problems.push(...referenceProblems(template, item, scope, `${where}[${index}]`)));
    return problems;
  }
  if (node === null || typeof node !== 'object') return problems;
  const json = node as Json;
  if ('Ref' in json) checkName(str(json.Ref, `${where} Ref`), false);
  if ('Condition' in json) checkCondition(json.Condition);
  if ('Fn::GetAtt' in json) {
    const [resource] = arr(json['Fn::GetAtt'], `${where} Fn::GetAtt`);
    if (typeof resource !== 'string' || !isResource(resource)) problems.push(`${where}: GetAtt of unknown ${String(resource)}`);
    else checkResourceCondition(resource);
  }
  if ('Fn::Sub' in json) {
    const sub = json['Fn::Sub'];
    const [text, variables] = Array.isArray(sub) ? sub : [sub, {}];
    const local = new Set(Object.keys(obj(variables, `${where} Fn::Sub variables`)));
    for (const name of subReferences(str(text, `${where} Fn::Sub`))) if (!local.has(name)) checkName(name, true);
    if (Array.isArray(sub)) problems.push(...referenceProblems(template, variables, scope, `${where} Fn::Sub`));
  }
  if ('Fn::If' in json) {
    const [condition, whenTrue, whenFalse] = arr(json['Fn::If'], `${where} Fn::If`);
    checkCondition(condition);
    const trueScope = new Set([...scope, ...impliedConditions(template, String(condition))]);
    problems.push(...referenceProblems(template, whenTrue, trueScope, `${where} Fn::If true`));
    problems.push(...referenceProblems(template, whenFalse, scope, `${where} Fn::If false`));
  }
  for (const [key, value] of Object.entries(json)) {
    if (['Ref', 'Condition', 'Fn::GetAtt', 'Fn::Sub', 'Fn::If'].includes(key)) continue;
    problems.push(...referenceProblems(template, value, scope, `${where}.${key}`));
  }
  return problems;
}

/** A parameter's default, following one `!Ref`; literals pass through. */
function resolveDefault(template: CfnTemplate, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && 'Ref' in value) {
    const name = String((value as Json).Ref);
    const parameter = template.Parameters[name];
    assert.ok(parameter, `parameter ${name} exists`);
    return parameter.Default;
  }
  return value;
}

/**
 * The Docker Hub name an ECS container runs (the default of its image parameter), after checking
 * the image is `<registry>/<name>` with the registry from ECR: ImageRegistry, or the pull-through
 * cache's prefix in this account and region. Never Docker Hub itself.
 */
function ecsImageName(template: CfnTemplate, container: Json, parameter: string): unknown {
  assert.deepEqual(container.Image, {
    'Fn::Sub': [`\${Registry}/\${${parameter}}`, {
      Registry: {
        'Fn::If': ['UsePullThroughCache',
          { 'Fn::Sub': '${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/${PullThroughCachePrefix}' },
          { Ref: 'ImageRegistry' }],
      },
    }],
  });
  return resolveDefault(template, { Ref: parameter });
}

function firstContainer(taskDefinition: Json | undefined, what: string): Json {
  const properties = obj(obj(taskDefinition, what).Properties, `${what}.Properties`);
  return obj(arr(properties.ContainerDefinitions, `${what} containers`)[0], `${what} container`);
}

describe('infra/aws/djl-ecs.yaml (CloudFormation)', () => {
  const template = loadCfn();
  const resources = template.Resources;

  test('every resource has a known AWS type and an existing condition', () => {
    for (const [name, resource] of Object.entries(resources)) {
      const type = str(resource.Type, `${name}.Type`);
      assert.match(type, /^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$/, `${name}.Type`);
      assert.ok(KNOWN_RESOURCE_TYPES.has(type), `${name}: unexpected type ${type}`);
      if (resource.Condition !== undefined) assert.ok(str(resource.Condition, name) in template.Conditions, `${name}.Condition`);
      for (const dependency of [resource.DependsOn ?? []].flat()) {
        assert.ok(str(dependency, `${name}.DependsOn`) in resources, `${name} depends on unknown ${JSON.stringify(dependency)}`);
      }
    }
    for (const [name, output] of Object.entries(template.Outputs)) {
      if (output.Condition !== undefined) assert.ok(str(output.Condition, name) in template.Conditions, `output ${name}.Condition`);
    }
  });

  test('every Ref, GetAtt, Sub variable and condition resolves, under the right condition', () => {
    const problems: string[] = [];
    for (const [name, definition] of Object.entries(template.Conditions)) {
      problems.push(...referenceProblems(template, definition, new Set(), `Conditions.${name}`));
    }
    const sections: [string, Record<string, Json>][] = [
      ['Resources', resources],
      ['Outputs', template.Outputs],
    ];
    for (const [section, entries] of sections) {
      for (const [name, entry] of Object.entries(entries)) {
        const scope = typeof entry.Condition === 'string' ? impliedConditions(template, entry.Condition) : new Set<string>();
        const { Condition: _condition, DependsOn: _dependsOn, ...rest } = entry;
        problems.push(...referenceProblems(template, rest, scope, `${section}.${name}`));
      }
    }
    assert.deepEqual(problems, []);
  });

  test('the reference checker catches what it claims to', () => {
    // Guards the check above against passing vacuously.
    const broken: CfnTemplate = {
      ...template,
      Resources: { ...resources, Broken: { Type: 'AWS::Logs::LogGroup', Properties: { A: { Ref: 'Nope' }, B: { 'Fn::Sub': '${GpuService.Name}' } } } },
    };
    const problems = referenceProblems(broken, broken.Resources.Broken, new Set(), 'Broken');
    assert.equal(problems.length, 2, problems.join('\n'));
  });

  test('CPU task definition: Fargate, 2 vCPU / 4 GiB, image, env, /ping health check, logs', () => {
    const properties = obj(resources.CpuTaskDefinition?.Properties, 'CpuTaskDefinition.Properties');
    assert.equal(resources.CpuTaskDefinition?.Type, 'AWS::ECS::TaskDefinition');
    assert.deepEqual(properties.RequiresCompatibilities, ['FARGATE']);
    assert.equal(properties.NetworkMode, 'awsvpc');
    assert.equal(properties.Cpu, '2048');
    assert.equal(properties.Memory, '4096');
    const container = firstContainer(resources.CpuTaskDefinition, 'CpuTaskDefinition');
    assert.equal(ecsImageName(template, container, 'CpuImage'), DJL_CPU_IMAGE);
    assertCpuEnv(envMap(container.Environment, 'CPU Environment'), 2, 'ECS CPU task');
    const ports = arr(container.PortMappings, 'PortMappings').map((p) => obj(p, 'port mapping').ContainerPort);
    assert.deepEqual(ports, [DJL_PORT]);
    const healthCheck = obj(container.HealthCheck, 'HealthCheck');
    const command = arr(healthCheck.Command, 'HealthCheck.Command');
    assert.equal(command[0], 'CMD-SHELL');
    assert.match(str(command[1], 'health command'), new RegExp(`localhost:${DJL_PORT}/ping`));
    // /ping is 200 even when Unhealthy: the check must read the body for the exact state.
    assert.match(str(command[1], 'health command'), /grep -q Healthy/);
    assert.ok(Number(healthCheck.StartPeriod) >= 60, 'StartPeriod covers model loading');
    const logOptions = obj(obj(container.LogConfiguration, 'LogConfiguration').Options, 'log options');
    assert.deepEqual(logOptions['awslogs-group'], { Ref: 'LogGroup' });
    assert.equal(resources.LogGroup?.Type, 'AWS::Logs::LogGroup');
  });

  test('CPU service: Fargate in private subnets, reachable on 8080 from the front door only', () => {
    const service = obj(resources.CpuService?.Properties, 'CpuService.Properties');
    assert.equal(service.LaunchType, 'FARGATE');
    assert.deepEqual(service.TaskDefinition, { Ref: 'CpuTaskDefinition' });
    const network = obj(obj(service.NetworkConfiguration, 'NetworkConfiguration').AwsvpcConfiguration, 'awsvpc');
    assert.equal(network.AssignPublicIp, 'DISABLED');
    assert.deepEqual(network.Subnets, { Ref: 'PrivateSubnetIds' });
    assert.deepEqual(network.SecurityGroups, [{ Ref: 'DjlSecurityGroup' }]);
    assert.equal(template.Parameters.PrivateSubnetIds?.Type, 'List<AWS::EC2::Subnet::Id>');

    const ingress = arr(obj(resources.DjlSecurityGroup?.Properties, 'DjlSecurityGroup').SecurityGroupIngress, 'ingress');
    assert.equal(ingress.length, 1, 'one ingress rule');
    const rule = obj(ingress[0], 'ingress rule');
    assert.equal(rule.FromPort, DJL_PORT);
    assert.equal(rule.ToPort, DJL_PORT);
    assert.equal(rule.CidrIp, undefined, 'no CIDR ingress');
    assert.deepEqual(rule.SourceSecurityGroupId, {
      'Fn::If': ['CreateFrontDoorSecurityGroup', { Ref: 'FrontDoorSecurityGroup' }, { Ref: 'FrontDoorSecurityGroupId' }],
    });
  });

  test('autoscaling: 2 to 10 tasks, target tracking on average CPU at 70%', () => {
    const target = obj(resources.CpuScalableTarget?.Properties, 'CpuScalableTarget');
    assert.equal(target.ServiceNamespace, 'ecs');
    assert.equal(target.ScalableDimension, 'ecs:service:DesiredCount');
    assert.deepEqual(target.ResourceId, { 'Fn::Sub': 'service/${Cluster}/${CpuService.Name}' });
    assert.equal(resolveDefault(template, target.MinCapacity), 2);
    assert.equal(resolveDefault(template, target.MaxCapacity), 10);
    const policy = obj(resources.CpuScalingPolicy?.Properties, 'CpuScalingPolicy');
    assert.equal(policy.PolicyType, 'TargetTrackingScaling');
    assert.deepEqual(policy.ScalingTargetId, { Ref: 'CpuScalableTarget' });
    const tracking = obj(policy.TargetTrackingScalingPolicyConfiguration, 'tracking');
    assert.equal(resolveDefault(template, tracking.TargetValue), 70);
    assert.equal(obj(tracking.PredefinedMetricSpecification, 'metric').PredefinedMetricType, 'ECSServiceAverageCPUUtilization');
  });

  test('Cloud Map names exist only with the service-discovery condition', () => {
    for (const name of ['ServiceDiscoveryNamespace', 'CpuDiscoveryService']) {
      assert.equal(resources[name]?.Condition, 'UseServiceDiscovery', name);
    }
    const dns = obj(obj(resources.CpuDiscoveryService?.Properties, 'CpuDiscoveryService').DnsConfig, 'DnsConfig');
    assert.deepEqual(
      arr(dns.DnsRecords, 'DnsRecords').map((r) => obj(r, 'record').Type),
      ['A'],
      'A records: what dns:// discovery resolves',
    );
  });

  test('GPU overflow tier: conditional, GPU AMI from SSM, GPU image, one GPU per task, batching', () => {
    for (const name of ['GpuLaunchTemplate', 'GpuAutoScalingGroup', 'GpuCapacityProvider', 'GpuTaskDefinition', 'GpuService']) {
      assert.equal(resources[name]?.Condition, 'UseGpu', `${name} is behind UseGpu`);
    }
    const launchData = obj(obj(resources.GpuLaunchTemplate?.Properties, 'GpuLaunchTemplate').LaunchTemplateData, 'data');
    assert.deepEqual(launchData.ImageId, { 'Fn::Sub': '{{resolve:ssm:${GpuAmiParameter}}}' });
    assert.match(str(template.Parameters.GpuAmiParameter?.Default, 'GpuAmiParameter'), /^\/aws\/service\/ecs\/optimized-ami\/.*\/gpu\//);
    const provider = obj(obj(resources.GpuCapacityProvider?.Properties, 'GpuCapacityProvider').AutoScalingGroupProvider, 'asg provider');
    assert.deepEqual(provider.AutoScalingGroupArn, { Ref: 'GpuAutoScalingGroup' });

    const container = firstContainer(resources.GpuTaskDefinition, 'GpuTaskDefinition');
    assert.equal(ecsImageName(template, container, 'GpuImage'), DJL_GPU_IMAGE);
    assert.deepEqual(container.ResourceRequirements, [{ Type: 'GPU', Value: '1' }]);
    const env = envMap(container.Environment, 'GPU Environment');
    assert.equal(env.SERVING_LOAD_MODELS, MODEL_URL);
    assert.ok(Number(env.SERVING_BATCH_SIZE) > 1, 'GPU SERVING_BATCH_SIZE enables batching');
    assert.ok(Number(env.SERVING_MAX_BATCH_DELAY) > 0, 'GPU SERVING_MAX_BATCH_DELAY');
    const strategy = arr(obj(resources.GpuService?.Properties, 'GpuService').CapacityProviderStrategy, 'strategy');
    assert.deepEqual(obj(strategy[0], 'strategy entry').CapacityProvider, { Ref: 'GpuCapacityProvider' });
  });

  test('images from ECR only: a rule asks for a registry or Docker Hub credentials for the cache', () => {
    const parsed = obj(parse(readInfra('aws/djl-ecs.yaml'), { customTags: cloudFormationTags() }), 'template');
    const assertions = arr(obj(obj(parsed.Rules, 'Rules').ImageSourceGiven, 'ImageSourceGiven').Assertions, 'Assertions');
    assert.deepEqual(obj(assertions[0], 'assertion').Assert, {
      'Fn::Or': [{ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ImageRegistry' }, ''] }] }, { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'DockerHubCredentialsArn' }, ''] }] }],
    });
    const cache = obj(resources.DockerHubPullThroughCache?.Properties, 'DockerHubPullThroughCache');
    assert.equal(resources.DockerHubPullThroughCache?.Condition, 'UsePullThroughCache');
    assert.equal(cache.UpstreamRegistryUrl, 'registry-1.docker.io');
  });

  test('no DesiredCount for CloudFormation to reset; the GPU service has a scalable target capped at GpuMaxInstances', () => {
    for (const name of ['CpuService', 'GpuService']) {
      assert.equal(obj(resources[name]?.Properties, name).DesiredCount, undefined, `${name} sets DesiredCount`);
    }
    const target = obj(resources.GpuScalableTarget?.Properties, 'GpuScalableTarget');
    assert.equal(resources.GpuScalableTarget?.Condition, 'UseGpu');
    assert.deepEqual(target.ResourceId, { 'Fn::Sub': 'service/${Cluster}/${GpuService.Name}' });
    assert.deepEqual(target.MinCapacity, { Ref: 'GpuMinTasks' });
    assert.deepEqual(target.MaxCapacity, { Ref: 'GpuMaxInstances' });
    assert.deepEqual(obj(resources.GpuAutoScalingGroup?.Properties, 'GpuAutoScalingGroup').MaxSize, { Ref: 'GpuMaxInstances' });
  });

  test('outputs: cluster, services, ready-to-paste backends and the front door security group', () => {
    const outputs = template.Outputs;
    assert.deepEqual(outputs.ClusterName?.Value, { Ref: 'Cluster' });
    assert.deepEqual(outputs.CpuServiceName?.Value, { 'Fn::GetAtt': ['CpuService', 'Name'] });
    assert.deepEqual(outputs.CpuBackends?.Value, {
      'Fn::Sub': `ecs://\${Cluster}/\${CpuService.Name}?port=${DJL_PORT}&path=${MODEL_PATH}`,
    });
    assert.deepEqual(outputs.GpuBackends?.Value, {
      'Fn::Sub': `ecs://\${Cluster}/\${GpuService.Name}?port=${DJL_PORT}&path=${MODEL_PATH}`,
    });
    assert.equal(outputs.GpuBackends?.Condition, 'UseGpu');
    assert.match(str(obj(outputs.CpuBackendsDns?.Value, 'CpuBackendsDns')['Fn::Sub'], 'dns output'), /^dns:\/\/.*:8080\?path=\/predictions\/all_MiniLM_L6_v2$/);
    assert.ok(outputs.FrontDoorSecurityGroupId, 'front door security group output');
  });
});

// ---- Cloud Run (Knative) ----------------------------------------------------------------------

describe('infra/gcp/djl-cloud-run.yaml (Cloud Run)', () => {
  const service = obj(parse(readInfra('gcp/djl-cloud-run.yaml')), 'service');
  const template = obj(obj(service.spec, 'spec').template, 'template');
  const revision = obj(template.spec, 'template.spec');
  const container = obj(arr(revision.containers, 'containers')[0], 'container');

  test('a Knative Service as gcloud run services replace takes it', () => {
    assert.equal(service.apiVersion, 'serving.knative.dev/v1');
    assert.equal(service.kind, 'Service');
    assert.equal(obj(service.metadata, 'metadata').name, 'djl-cpu');
  });

  test('4 vCPU / 4Gi, 1 to 10 instances, concurrency for one batch running and one filling', () => {
    const limits = obj(obj(container.resources, 'resources').limits, 'limits');
    assert.equal(limits.cpu, '4');
    assert.equal(limits.memory, '4Gi');
    const annotations = obj(obj(template.metadata, 'template.metadata').annotations, 'annotations');
    assert.equal(annotations['autoscaling.knative.dev/minScale'], '1');
    assert.equal(annotations['autoscaling.knative.dev/maxScale'], '10');
    assert.equal(revision.containerConcurrency, 2 * Number(CPU_BATCHING.SERVING_BATCH_SIZE));
  });

  test('image (through Artifact Registry), its own identity, env and /ping probes', () => {
    assertRegistryCopy(str(container.image, 'image'), 'Cloud Run');
    assert.match(str(container.image, 'image'), /^REGION-docker\.pkg\.dev\/PROJECT\/dockerhub\//);
    assert.equal(revision.serviceAccountName, 'embed-djl@PROJECT.iam.gserviceaccount.com');
    assertCpuEnv(envMap(container.env, 'env'), 4, 'Cloud Run');
    const ports = arr(container.ports, 'ports').map((p) => obj(p, 'port').containerPort);
    assert.deepEqual(ports, [DJL_PORT]);
    assertPingProbe(container.startupProbe, {}, 'startupProbe');
    assertPingProbe(container.livenessProbe, {}, 'livenessProbe');
  });
});

// ---- Kubernetes -------------------------------------------------------------------------------

describe('infra/k8s/djl.yaml and djl-hpa.yaml (Kubernetes)', () => {
  const documents = parseAllDocuments(readInfra('k8s/djl.yaml') + '\n---\n' + readInfra('k8s/djl-hpa.yaml')).map((doc, index) => {
    assert.deepEqual(doc.errors, [], `document ${index} parses`);
    return obj(doc.toJS(), `document ${index}`);
  });
  const byKind = (kind: string) => {
    const found = documents.filter((doc) => doc.kind === kind);
    assert.equal(found.length, 1, `one ${kind}`);
    return found[0] as Json;
  };

  test('three documents: Deployment, Service, HorizontalPodAutoscaler', () => {
    assert.deepEqual(
      documents.map((doc) => `${String(doc.apiVersion)}/${String(doc.kind)}`),
      ['apps/v1/Deployment', 'v1/Service', 'autoscaling/v2/HorizontalPodAutoscaler'],
    );
  });

  const deployment = byKind('Deployment');
  const deploymentSpec = obj(deployment.spec, 'Deployment.spec');
  const podTemplate = obj(deploymentSpec.template, 'pod template');
  const podLabels = obj(obj(podTemplate.metadata, 'pod metadata').labels, 'pod labels');
  const container = obj(arr(obj(podTemplate.spec, 'pod spec').containers, 'containers')[0], 'container');
  const namedPorts = Object.fromEntries(
    arr(container.ports, 'ports').map((p) => [String(obj(p, 'port').name), Number(obj(p, 'port').containerPort)]),
  );

  test('selectors match the pod template labels', () => {
    const matchLabels = obj(obj(deploymentSpec.selector, 'selector').matchLabels, 'matchLabels');
    for (const [key, value] of Object.entries(matchLabels)) assert.equal(podLabels[key], value, `Deployment selector ${key}`);
    const serviceSelector = obj(obj(byKind('Service').spec, 'Service.spec').selector, 'Service selector');
    assert.ok(Object.keys(serviceSelector).length > 0, 'Service has a selector');
    for (const [key, value] of Object.entries(serviceSelector)) assert.equal(podLabels[key], value, `Service selector ${key}`);
  });

  test('container: image, env, 2 CPU / 4Gi requests and limits, probes on /ping', () => {
    assertRegistryCopy(str(container.image, 'image'), 'k8s');
    assertCpuEnv(envMap(container.env, 'env'), 2, 'k8s');
    const resources = obj(container.resources, 'resources');
    for (const kind of ['requests', 'limits']) {
      const values = obj(resources[kind], kind);
      assert.equal(String(values.cpu), '2', `${kind}.cpu`);
      assert.equal(values.memory, '4Gi', `${kind}.memory`);
    }
    assertPingProbe(container.readinessProbe, namedPorts, 'readinessProbe');
    assertPingProbe(container.livenessProbe, namedPorts, 'livenessProbe');
    assertPingProbe(container.startupProbe, namedPorts, 'startupProbe');
  });

  test('Service targets the container port', () => {
    const ports = arr(obj(byKind('Service').spec, 'Service.spec').ports, 'Service ports');
    const port = obj(ports[0], 'Service port');
    const target = typeof port.targetPort === 'string' ? namedPorts[port.targetPort] : port.targetPort;
    assert.equal(target, DJL_PORT);
    assert.equal(port.port, DJL_PORT);
  });

  test('HPA scales the Deployment by name on CPU 70%, 2 to 10, with the seed behaviour', () => {
    const spec = obj(byKind('HorizontalPodAutoscaler').spec, 'HPA spec');
    const ref = obj(spec.scaleTargetRef, 'scaleTargetRef');
    assert.equal(ref.kind, 'Deployment');
    assert.equal(ref.apiVersion, 'apps/v1');
    assert.equal(ref.name, obj(deployment.metadata, 'Deployment metadata').name);
    assert.equal(spec.minReplicas, 2);
    assert.equal(spec.maxReplicas, 10);
    const metric = obj(arr(spec.metrics, 'metrics')[0], 'metric');
    const resource = obj(metric.resource, 'metric.resource');
    assert.equal(metric.type, 'Resource');
    assert.equal(resource.name, 'cpu');
    assert.deepEqual(resource.target, { type: 'Utilization', averageUtilization: 70 });
    const behavior = obj(spec.behavior, 'behavior');
    assert.equal(obj(behavior.scaleUp, 'scaleUp').stabilizationWindowSeconds, 60);
    assert.equal(obj(behavior.scaleDown, 'scaleDown').stabilizationWindowSeconds, 300);
    assert.deepEqual(obj(behavior.scaleDown, 'scaleDown').policies, [{ type: 'Pods', value: 1, periodSeconds: 60 }]);
  });
});

// ---- Docker Swarm -----------------------------------------------------------------------------

describe('infra/swarm/docker-compose.cpu.yml (Swarm)', () => {
  const compose = obj(parse(readInfra('swarm/docker-compose.cpu.yml')), 'compose file');
  const service = obj(obj(compose.services, 'services')['djl-cpu'], 'djl-cpu service');
  const deploy = obj(service.deploy, 'deploy');

  test('3 replicas of 2 CPU / 4G with a rolling update config', () => {
    assert.equal(deploy.replicas, 3);
    const limits = obj(obj(deploy.resources, 'resources').limits, 'limits');
    assert.equal(limits.cpus, '2');
    assert.equal(limits.memory, '4G');
    assert.equal(obj(deploy.update_config, 'update_config').order, 'start-first');
  });

  test('image, env, health check on /ping that reads the body', () => {
    // Required: docker stack deploy stops with the message when DJL_IMAGE is unset.
    assert.match(str(service.image, 'image'), /^\$\{DJL_IMAGE:\?[^}]+\}$/);
    assertRegistryCopy(str(service.image, 'image'), 'Swarm');
    const env = Object.fromEntries(Object.entries(obj(service.environment, 'environment')).map(([k, v]) => [k, String(v)]));
    assertCpuEnv(env, 2, 'Swarm');
    const check = arr(obj(service.healthcheck, 'healthcheck').test, 'healthcheck.test');
    assert.equal(check[0], 'CMD-SHELL');
    assert.match(str(check[1], 'healthcheck command'), new RegExp(`localhost:${DJL_PORT}/ping .*grep -q Healthy`));
  });

  test('on an attachable overlay network, discovery documented as dns://tasks.<service>', () => {
    const networks = obj(compose.networks, 'networks');
    for (const name of arr(service.networks, 'service networks')) {
      const network = obj(networks[str(name, 'network name')], `network ${String(name)}`);
      assert.equal(network.driver, 'overlay');
      assert.equal(network.attachable, true);
    }
    assert.match(readInfra('swarm/docker-compose.cpu.yml'), /dns:\/\/tasks\.djl-cpu:8080\?path=\/predictions\/all_MiniLM_L6_v2/);
  });
});

// ---- Azure Container Instances ----------------------------------------------------------------

describe('infra/azure/djl-aci.yaml (Azure Container Instances)', () => {
  const group = obj(parse(readInfra('azure/djl-aci.yaml')), 'container group');
  const properties = obj(group.properties, 'properties');
  const container = obj(obj(arr(properties.containers, 'containers')[0], 'container').properties, 'container properties');

  test('a Linux container group with 2 CPU / 4 GB and port 8080 on a private IP', () => {
    assert.equal(group.type, 'Microsoft.ContainerInstance/containerGroups');
    assert.equal(properties.osType, 'Linux');
    assert.deepEqual(obj(container.resources, 'resources').requests, { cpu: 2, memoryInGB: 4 });
    assert.deepEqual(container.ports, [{ port: DJL_PORT, protocol: 'TCP' }]);
    const ipAddress = obj(properties.ipAddress, 'ipAddress');
    assert.equal(ipAddress.type, 'Private');
    assert.deepEqual(ipAddress.ports, [{ port: DJL_PORT, protocol: 'TCP' }]);
  });

  test('image, env and /ping probes', () => {
    assertRegistryCopy(str(container.image, 'image'), 'ACI');
    const credentials = arr(properties.imageRegistryCredentials, 'imageRegistryCredentials').map((c) => obj(c, 'credential'));
    assert.ok(credentials.some((c) => str(container.image, 'image').startsWith(`${str(c.server, 'server')}/`) && c.identity !== undefined),
      'pulled from its registry with a managed identity');
    assertCpuEnv(envMap(container.environmentVariables, 'environmentVariables'), 2, 'ACI');
    assertPingProbe(container.readinessProbe, {}, 'readinessProbe');
    assertPingProbe(container.livenessProbe, {}, 'livenessProbe');
  });
});

// ---- Across templates -------------------------------------------------------------------------

test('every template names the same image tag and model URL, and no other DJL image', () => {
  const files = ['aws/djl-ecs.yaml', 'gcp/djl-cloud-run.yaml', 'k8s/djl.yaml', 'swarm/docker-compose.cpu.yml', 'azure/djl-aci.yaml'];
  for (const file of files) {
    const text = readInfra(file);
    assert.ok(text.includes(DJL_CPU_IMAGE), `${file} uses ${DJL_CPU_IMAGE}`);
    assert.ok(text.includes(MODEL_URL), `${file} loads ${MODEL_URL}`);
    const images = new Set(text.match(/deepjavalibrary\/djl-serving:[\w.-]+/g) ?? []);
    images.delete(DJL_CPU_IMAGE);
    images.delete(DJL_GPU_IMAGE);
    assert.deepEqual([...images], [], `${file} has no other DJL image`);
  }
});
