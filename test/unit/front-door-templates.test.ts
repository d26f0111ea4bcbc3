/**
 * The front door's own service definitions beside the DJL ones (ECS Fargate behind an ALB, Cloud
 * Run, Swarm; Kubernetes is checked against its schemas in k8s-manifests.test.ts): the facts that
 * make them work with the image the Dockerfile builds and with each platform, and the Cloud Run
 * containers and volumes against the Kubernetes schemas (Knative's revision spec reuses them). cfn-lint checks the
 * CloudFormation template as a whole (`cfn-lint infra/aws/front-door-ecs.yaml`, in .ci/run).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Container } from 'kubernetes-models/v1/Container';
import { Volume } from 'kubernetes-models/v1/Volume';
import { type CollectionTag, isMap, isScalar, isSeq, parse, type ScalarTag } from 'yaml';
import { parseDockerfile } from '../helpers/dockerfile';

type Json = Record<string, any>;

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** The port the image listens on (Dockerfile EXPOSE, which matches its PORT). */
const IMAGE_PORT = Number(parseDockerfile(read('Dockerfile')).stages.at(-1)!.instructions.find((i) => i.keyword === 'EXPOSE')!.args);

/** CloudFormation's short tags as `{ "Fn::X": value }` / `{ Ref: value }`. */
function cfnTags(): (ScalarTag | CollectionTag)[] {
  const plain = (node: unknown): unknown => {
    if (isScalar(node)) return node.value;
    if (isSeq(node)) return node.items.map(plain);
    if (isMap(node)) return Object.fromEntries(node.items.map((pair) => [String(plain(pair.key)), plain(pair.value)]));
    return node;
  };
  return ['Ref', 'Sub', 'GetAtt', 'If', 'Not', 'Equals', 'Select', 'Join'].flatMap((name) => {
    const key = name === 'Ref' ? 'Ref' : `Fn::${name}`;
    return [
      { tag: `!${name}`, resolve: (value: string) => ({ [key]: value }) },
      { tag: `!${name}`, collection: 'seq', resolve: (seq: unknown) => ({ [key]: plain(seq) }) },
      { tag: `!${name}`, collection: 'map', resolve: (map: unknown) => ({ [key]: plain(map) }) },
    ] as (ScalarTag | CollectionTag)[];
  });
}

describe('infra/aws/front-door-ecs.yaml (ECS Fargate behind an ALB)', () => {
  const template = parse(read('infra/aws/front-door-ecs.yaml'), { customTags: cfnTags() }) as Json;
  const resources = template.Resources as Json;
  const container = resources.TaskDefinition.Properties.ContainerDefinitions[0] as Json;
  const env = Object.fromEntries((container.Environment as Json[]).filter((e) => e.Name).map((e) => [e.Name, e.Value]));

  test('the tasks keep connections open longer than the ALB, so it never reuses a closing one', () => {
    const attributes = Object.fromEntries((resources.LoadBalancer.Properties.LoadBalancerAttributes as Json[]).map((a) => [a.Key, a.Value]));
    const albIdleMs = Number(attributes['idle_timeout.timeout_seconds']) * 1000;
    assert.ok(Number(env.CLIENT_IDLE_TIMEOUT_MS) > albIdleMs, `${env.CLIENT_IDLE_TIMEOUT_MS} > ${albIdleMs}`);
  });

  test('health on /ping (liveness), the image port, keys from Secrets Manager, no DesiredCount against the scaler', () => {
    assert.equal(resources.TargetGroup.Properties.HealthCheckPath, '/ping');
    assert.equal(resources.TargetGroup.Properties.Port, IMAGE_PORT);
    assert.deepEqual(container.PortMappings.map((p: Json) => p.ContainerPort), [IMAGE_PORT]);
    assert.match(container.HealthCheck.Command.join(' '), new RegExp(`127\\.0\\.0\\.1:${IMAGE_PORT}/ping`));
    assert.deepEqual(container.Secrets, [{ Name: 'API_KEYS', ValueFrom: { Ref: 'ApiKeysSecretArn' } }]);
    assert.equal(resources.Service.Properties.DesiredCount, undefined);
    assert.equal(resources.ScalableTarget.Properties.ScalableDimension, 'ecs:service:DesiredCount');
    assert.equal(resources.Service.Properties.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp, 'DISABLED');
    // A service can register in a target group only once a listener attaches it to the ALB.
    assert.deepEqual([resources.Service.DependsOn].flat(), ['Listener']);
    assert.equal(resources.Listener.Condition, undefined, 'the listener always exists');
  });

  test('the image is a parameter with a registry host and no default: never an implicit Docker Hub pull', () => {
    const image = template.Parameters.Image as Json;
    assert.equal(image.Default, undefined);
    const pattern = new RegExp(String(image.AllowedPattern));
    assert.ok(pattern.test('123456789012.dkr.ecr.eu-west-1.amazonaws.com/embed-front-door:0.1.0'));
    assert.ok(!pattern.test('embed-front-door:0.1.0'));
    assert.ok(!pattern.test('someone/embed-front-door:0.1.0'));
    assert.deepEqual(container.Image, { Ref: 'Image' });
  });

  test('the task role reads tasks of its own cluster only and registers only ECS service counts', () => {
    const statements = resources.TaskRole.Properties.Policies[0].PolicyDocument.Statement as Json[];
    const ecs = statements.find((s) => [s.Action].flat().includes('ecs:ListTasks'))!;
    assert.ok(ecs.Condition.ArnEquals['ecs:cluster']);
    const register = statements.find((s) => [s.Action].flat().includes('application-autoscaling:RegisterScalableTarget'))!;
    assert.deepEqual(register.Condition.StringEquals, {
      'application-autoscaling:service-namespace': 'ecs',
      'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount',
    });
  });
});

describe('infra/gcp/front-door-cloud-run.yaml (Cloud Run)', () => {
  const service = parse(read('infra/gcp/front-door-cloud-run.yaml')) as Json;
  const revision = service.spec.template.spec as Json;
  const container = revision.containers[0] as Json;
  const env = Object.fromEntries((container.env as Json[]).map((e) => [e.name, e.value]));

  test('its own identity, the image from Artifact Registry, the keys file from a Secret Manager volume', () => {
    assert.equal(revision.serviceAccountName, 'embed-front-door@PROJECT.iam.gserviceaccount.com');
    assert.match(container.image, /^REGION-docker\.pkg\.dev\/PROJECT\//);
    const mount = (container.volumeMounts as Json[]).find((m) => String(env.API_KEYS_FILE).startsWith(`${m.mountPath}/`))!;
    const volume = (revision.volumes as Json[]).find((v) => v.name === mount.name)!;
    assert.equal(`${mount.mountPath}/${volume.secret.items[0].path}`, env.API_KEYS_FILE);
    assert.match(env.CPU_BACKENDS, /^cloudrun:\/\/projects\/PROJECT\/locations\/REGION\/services\/djl-cpu\?path=/);
  });

  test('the image port, probes on /ping, CPU always allocated for background probes, a timeout for /warmup', () => {
    assert.deepEqual(container.ports.map((p: Json) => p.containerPort), [IMAGE_PORT]);
    assert.equal(container.startupProbe.httpGet.path, '/ping');
    assert.equal(container.livenessProbe.httpGet.path, '/ping');
    assert.equal(service.spec.template.metadata.annotations['run.googleapis.com/cpu-throttling'], 'false');
    assert.ok(revision.timeoutSeconds >= 90);
  });
});

test('both Cloud Run services\' containers and volumes validate against the Kubernetes schemas Knative reuses', () => {
  for (const file of ['infra/gcp/front-door-cloud-run.yaml', 'infra/gcp/djl-cloud-run.yaml']) {
    const revision = (parse(read(file)) as Json).spec.template.spec as Json;
    for (const container of revision.containers as Json[]) assert.doesNotThrow(() => new Container(container as never).validate(), file);
    for (const volume of (revision.volumes as Json[] | undefined) ?? []) assert.doesNotThrow(() => new Volume(volume as never).validate(), file);
  }
  assert.throws(() => new Container({ name: 'x', ports: [{ containerPort: 'http' }] } as never).validate(), /containerPort/);
});

describe('infra/swarm/docker-compose.front-door.yml (Swarm)', () => {
  const compose = parse(read('infra/swarm/docker-compose.front-door.yml')) as Json;
  const djl = parse(read('infra/swarm/docker-compose.cpu.yml')) as Json;
  const service = compose.services['front-door'] as Json;

  test('on the DJL stack\'s network, finding its tasks by DNS, the image a required variable', () => {
    for (const network of service.networks as string[]) assert.ok(network in djl.networks, `${network} is the DJL file's network`);
    assert.equal(service.environment.CPU_BACKENDS, 'dns://tasks.djl-cpu:8080?path=/predictions/all_MiniLM_L6_v2');
    assert.ok('djl-cpu' in djl.services);
    assert.match(service.image, /^\$\{FRONT_DOOR_IMAGE:\?[^}]+\}$/);
  });

  test('keys from a Swarm secret, the image port published, start-first updates', () => {
    assert.equal(service.environment.API_KEYS_FILE, `/run/secrets/${service.secrets[0]}`);
    assert.equal(compose.secrets[service.secrets[0]].external, true);
    assert.equal(service.ports[0].target, IMAGE_PORT);
    assert.equal(service.deploy.update_config.order, 'start-first');
  });
});
