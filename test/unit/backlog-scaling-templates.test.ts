/**
 * Scaling DJL on the front door's backlog (issue 18 part 2): the ECS backlog target-tracking policy
 * and the KEDA ScaledObject read the metric names the code writes, sit beside CPU as a floor, agree
 * with the simulator's backlog scaler, and leave the warm-up's raised minimum in force. cfn-lint
 * checks the CloudFormation template as a whole; KEDA's CRD has no npm schema, so the fields this
 * repository relies on are checked against KEDA's documented ScaledObject spec
 * (keda.sh/docs/latest/reference/scaledobject-spec, the prometheus, cpu and cron scalers).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { type CollectionTag, type ScalarTag, isMap, isScalar, isSeq, parse } from 'yaml';
import { createEcsScaler } from '../../shared/aws/ecs-scaler';
import { DISPATCH_DEFAULTS } from '../../shared/config/dispatch-config';
import { serviceCapacity } from '../../shared/gcp/cloud-run-source';
import { RUNTIME_DEFAULTS } from '../../shared/config/runtime-config';
import { Tier } from '../../shared/core/tier';
import { EmfDimension, EmfMetric } from '../../shared/telemetry/emf-telemetry';
import { BACKLOG_DEFAULTS } from '../../tools/simulate/defaults';
import { assertCfnLintAccepts } from '../helpers/cfn-lint';
import { FakeAws } from '../helpers/fake-aws';

type Json = Record<string, any>;

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
/** A DJL CPU task's throughput the defaults are derived from (docs/benchmarks.md, the seed: ~600 chunks/s). */
const TASK_CHUNKS_PER_SECOND = 600;
const CPU_TARGET_SHARE = 0.7;

/** CloudFormation's short-form tags as plain objects (`!Ref X` -> `{Ref: X}`). */
function cfnTags(): (ScalarTag | CollectionTag)[] {
  const plain = (node: unknown): unknown => {
    if (isScalar(node)) return node.value;
    if (isSeq(node)) return node.items.map(plain);
    if (isMap(node)) return Object.fromEntries(node.items.map((pair) => [String(plain(pair.key)), plain(pair.value)]));
    return node;
  };
  return ['Ref', 'Sub', 'GetAtt', 'If', 'Not', 'Equals', 'And', 'Condition', 'Base64', 'Select', 'Join'].flatMap((name) => {
    const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
    return [
      { tag: `!${name}`, resolve: (value: string) => ({ [key]: value }) },
      { tag: `!${name}`, collection: 'seq', resolve: (seq: unknown) => ({ [key]: plain(seq) }) },
      { tag: `!${name}`, collection: 'map', resolve: (map: unknown) => ({ [key]: plain(map) }) },
    ] as (ScalarTag | CollectionTag)[];
  });
}

/** The value of `node` when every Fn::If takes the branch `conditions` says and every Ref takes its parameter's default. */
function resolve(template: Json, node: unknown, conditions: Record<string, boolean>): unknown {
  if (Array.isArray(node)) return node.map((item) => resolve(template, item, conditions));
  if (node === null || typeof node !== 'object') return node;
  const entries = node as Json;
  if ('Fn::If' in entries) {
    const [name, yes, no] = entries['Fn::If'] as [string, unknown, unknown];
    assert.ok(name in conditions, `condition ${name} is given`);
    return resolve(template, conditions[name] ? yes : no, conditions);
  }
  if ('Ref' in entries && typeof entries.Ref === 'string' && entries.Ref in template.Parameters) {
    return template.Parameters[entries.Ref].Default;
  }
  return Object.fromEntries(Object.entries(entries).map(([key, value]) => [key, resolve(template, value, conditions)]));
}

describe('ECS: target tracking on the front doors\' backlog beside CPU (infra/aws/djl-ecs.yaml)', () => {
  const template = parse(read('infra/aws/djl-ecs.yaml'), { customTags: cfnTags() }) as Json;
  const resources = template.Resources as Json;
  const policy = resources.CpuBacklogScalingPolicy as Json;

  test('cfn-lint accepts the template', async (t) => {
    await assertCfnLintAccepts(t, ['infra/aws/djl-ecs.yaml']);
  });

  test('both policies track the one scalable target the warm-up raises; neither may skip scale-in alone', () => {
    assert.equal(policy.Type, 'AWS::ApplicationAutoScaling::ScalingPolicy');
    assert.equal(policy.Condition, 'UseBacklogScaling');
    for (const name of ['CpuScalingPolicy', 'CpuBacklogScalingPolicy']) {
      const properties = resources[name].Properties as Json;
      assert.equal(properties.PolicyType, 'TargetTrackingScaling', name);
      assert.deepEqual(properties.ScalingTargetId, { Ref: 'CpuScalableTarget' }, name);
      assert.equal(properties.TargetTrackingScalingPolicyConfiguration.DisableScaleIn, undefined, `${name}: scales in only when both agree`);
    }
    assert.equal(template.Parameters.BacklogScaling.Default, 'lambda', 'on by default, for the Lambda front door of npm run deploy:aws');
    assert.deepEqual(template.Parameters.BacklogScaling.AllowedValues, ['lambda', 'server', 'none']);
  });

  const metricsOf = (fromLambda: boolean) => {
    const tracking = resolve(template, policy.Properties.TargetTrackingScalingPolicyConfiguration, { BacklogFromLambda: fromLambda }) as Json;
    return { tracking, queries: tracking.CustomizedMetricSpecification.Metrics as Json[] };
  };

  test('Lambda front doors: the EMF metrics the code writes, by Tier=cpu, as texts per second per serving task', () => {
    const { tracking, queries } = metricsOf(true);
    const byId = Object.fromEntries(queries.map((query) => [query.Id, query]));
    assert.deepEqual(queries.filter((query) => query.ReturnData === true).map((query) => query.Id), ['perTask'], 'one series returned');
    for (const [id, name, stat] of [['backlog', EmfMetric.backlog, 'Sum'], ['serving', EmfMetric.servingEndpoints, 'Maximum']] as const) {
      const { Metric, Stat } = byId[id].MetricStat as Json;
      assert.deepEqual(Metric, { Namespace: RUNTIME_DEFAULTS.metricsNamespace, MetricName: name, Dimensions: [{ Name: EmfDimension.tier, Value: Tier.cpu }] });
      assert.equal(Stat, stat, `${id}: ${stat} (docs/operate.md)`);
    }
    assert.equal(byId.demand.Expression, 'FILL(backlog, 0) / 60', 'per second, no data read as 0');
    assert.equal(byId.tasks.Expression, 'IF(FILL(serving, 0) < 1, 1, FILL(serving, 0))', 'never divided by 0');
    assert.equal(byId.perTask.Expression, 'demand / tasks');
    assert.equal(tracking.TargetValue, TASK_CHUNKS_PER_SECOND * CPU_TARGET_SHARE, '70% of a task, as the CPU target');
  });

  test('server front doors: the Prometheus gauges as the CloudWatch agent publishes them, texts held per serving task', () => {
    const { tracking, queries } = metricsOf(false);
    const gauges = read('shared/telemetry/prometheus-snapshot-gauges.ts');
    const names = queries.filter((query) => query.MetricStat).map((query) => query.MetricStat.Metric as Json);
    assert.deepEqual(names.map((metric) => metric.MetricName), ['efd_backlog_texts', 'efd_serving_endpoints']);
    for (const metric of names) {
      assert.ok(gauges.includes(`'${String(metric.MetricName).replace(/^efd_/, '')}'`), `${String(metric.MetricName)} is a gauge the front door exposes`);
      assert.deepEqual(metric.Dimensions, [{ Name: 'tier', Value: Tier.cpu }], 'the Prometheus label as a dimension');
    }
    assert.equal(queries.find((query) => query.Id === 'demand')?.Expression, 'FILL(backlog, 0)');
    assert.equal(tracking.TargetValue, BACKLOG_DEFAULTS.targetBacklogPerInstance, 'the simulator\'s backlog target');
    assert.ok(tracking.TargetValue / TASK_CHUNKS_PER_SECOND <= 0.5, 'at most 0.5 s of wait per task');
  });

  test('the warm-up raises only MinCapacity, which bounds both policies, and leaves the policies alone', async () => {
    const aws = await FakeAws.start();
    const ecs = aws.createEcsClient();
    const autoScaling = aws.createAutoScalingClient();
    try {
      aws.addService('embed', 'djl-cpu', 2);
      const target = aws.addScalableTarget('embed', 'djl-cpu', 2, 10);
      const scaler = createEcsScaler({ ecs, autoScaling, cluster: 'embed', service: 'djl-cpu' });
      await scaler.setMinimum(8, { restingMin: 2, raisedTo: 8 });
      assert.equal(target.minCapacity, 8);
      assert.equal(target.maxCapacity, 10, 'the ceiling both policies scale within is unchanged');
      const operations = new Set(aws.calls.map((call) => call.operation));
      for (const operation of ['PutScalingPolicy', 'DeleteScalingPolicy', 'DeregisterScalableTarget']) {
        assert.ok(!operations.has(operation), `the warm-up never calls ${operation}`);
      }
      const registered = aws.callsOf('RegisterScalableTarget');
      assert.equal(registered.length, 1);
      assert.equal(registered[0]?.body.MaxCapacity, undefined, 'MaxCapacity is not rewritten');
      assert.equal(registered[0]?.body.SuspendedState, undefined, 'scaling is never suspended');
    } finally {
      ecs.destroy();
      autoScaling.destroy();
      await aws.close();
    }
  });
});

describe('Kubernetes: KEDA ScaledObject on the backlog (infra/k8s/keda-scaledobject.yaml)', () => {
  const scaledObject = parse(read('infra/k8s/keda-scaledobject.yaml')) as Json;
  const spec = scaledObject.spec as Json;
  const deployment = parse(read('infra/k8s/djl.yaml').split('\n---\n')[0] ?? '') as Json;
  const cpuHpa = parse(read('infra/k8s/djl-hpa.yaml')) as Json;
  const trigger = (type: string): Json => {
    const found = (spec.triggers as Json[]).filter((item) => item.type === type);
    assert.equal(found.length, 1, `one ${type} trigger`);
    return found[0] as Json;
  };

  test('the fields KEDA\'s ScaledObject spec defines, and nothing it does not', () => {
    assert.equal(scaledObject.apiVersion, 'keda.sh/v1alpha1');
    assert.equal(scaledObject.kind, 'ScaledObject');
    const known = ['scaleTargetRef', 'pollingInterval', 'cooldownPeriod', 'initialCooldownPeriod', 'idleReplicaCount',
      'minReplicaCount', 'maxReplicaCount', 'fallback', 'advanced', 'triggers'];
    for (const key of Object.keys(spec)) assert.ok(known.includes(key), `spec.${key} is a ScaledObject field`);
    for (const key of Object.keys(spec.advanced)) assert.ok(['restoreToOriginalReplicaCount', 'horizontalPodAutoscalerConfig', 'scalingModifiers'].includes(key), `advanced.${key}`);
    for (const key of Object.keys(spec.advanced.horizontalPodAutoscalerConfig)) assert.ok(['name', 'behavior'].includes(key), `horizontalPodAutoscalerConfig.${key}`);
    for (const item of spec.triggers as Json[]) {
      for (const key of Object.keys(item)) assert.ok(['type', 'name', 'metadata', 'metricType', 'authenticationRef', 'useCachedMetrics'].includes(key), `trigger.${key}`);
      assert.ok(Object.values(item.metadata as Json).every((value) => typeof value === 'string'), `${String(item.type)}: trigger metadata values are strings`);
    }
    const prometheus = trigger('prometheus');
    assert.deepEqual(Object.keys(prometheus.metadata).sort(), ['ignoreNullValues', 'query', 'serverAddress', 'threshold']);
    assert.deepEqual(Object.keys(trigger('cpu').metadata), ['value']);
    assert.deepEqual(Object.keys(trigger('cron').metadata).sort(), ['desiredReplicas', 'end', 'start', 'timezone']);
  });

  test('it scales the DJL Deployment, in the CPU HPA\'s place and range', () => {
    assert.deepEqual(spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
    assert.deepEqual(cpuHpa.spec.scaleTargetRef, spec.scaleTargetRef, 'the same Deployment: hence one or the other');
    assert.equal(spec.minReplicaCount, cpuHpa.spec.minReplicas);
    assert.equal(spec.maxReplicaCount, cpuHpa.spec.maxReplicas);
    assert.ok(spec.minReplicaCount >= 1, 'never to zero: a pod from zero is a model load');
    const kustomization = parse(read('infra/k8s/kustomization.yaml')) as Json;
    const listed = kustomization.resources as string[];
    assert.ok(listed.includes('djl-hpa.yaml') !== listed.includes('keda-scaledobject.yaml'), 'kustomization.yaml applies exactly one of the two');
  });

  test('the backlog trigger sums the gauge over every front door at the simulator\'s target; CPU stays the floor', () => {
    const prometheus = trigger('prometheus');
    assert.equal(prometheus.metricType, 'AverageValue', 'divided by the replicas: desired = ceil(backlog / threshold)');
    assert.equal(prometheus.metadata.query, `sum(efd_backlog_texts{tier="${Tier.cpu}"})`);
    assert.equal(Number(prometheus.metadata.threshold), BACKLOG_DEFAULTS.targetBacklogPerInstance);
    const cpu = trigger('cpu');
    assert.equal(cpu.metricType, 'Utilization');
    assert.equal(Number(cpu.metadata.value), cpuHpa.spec.metrics[0].resource.target.averageUtilization);
  });

  test('the behaviour is the simulator\'s backlog scaler: out at once, in as the seed', () => {
    const { scaleUp, scaleDown } = spec.advanced.horizontalPodAutoscalerConfig.behavior as Json;
    assert.equal(scaleUp.stabilizationWindowSeconds, BACKLOG_DEFAULTS.scaleUpStabilizationSeconds);
    assert.equal(scaleUp.selectPolicy, 'Max');
    assert.deepEqual(scaleUp.policies, [
      { type: 'Percent', value: BACKLOG_DEFAULTS.scaleUpPercent, periodSeconds: BACKLOG_DEFAULTS.scaleUpPeriodSeconds },
      { type: 'Pods', value: BACKLOG_DEFAULTS.scaleUpPods, periodSeconds: BACKLOG_DEFAULTS.scaleUpPeriodSeconds },
    ]);
    assert.equal(scaleDown.stabilizationWindowSeconds, BACKLOG_DEFAULTS.scaleDownStabilizationSeconds);
    assert.deepEqual(scaleDown.policies, [{ type: 'Pods', value: BACKLOG_DEFAULTS.scaleDownPods, periodSeconds: BACKLOG_DEFAULTS.scaleDownPeriodSeconds }]);
    assert.equal(spec.pollingInterval, BACKLOG_DEFAULTS.syncSeconds);
  });

  test('the warm-up is a cron trigger that asks for the burst\'s minimum ahead of it, which the other triggers can only exceed', () => {
    const cron = trigger('cron').metadata as Json;
    assert.equal(cron.timezone, 'UTC');
    const [startMinute, startHour] = String(cron.start).split(' ').map(Number);
    const [endMinute, endHour] = String(cron.end).split(' ').map(Number);
    const start = (startHour ?? 0) * 60 + (startMinute ?? 0);
    const end = (endHour ?? 0) * 60 + (endMinute ?? 0);
    // The nightly re-index of the committed scenario and docs/warmup.md: 02:00 UTC for an hour, 8 instances.
    assert.ok(start < 2 * 60 && 2 * 60 - start >= 1.5, `starts a lead before 02:00 (${String(cron.start)})`);
    assert.equal(end, 3 * 60);
    assert.ok(Number(cron.desiredReplicas) <= spec.maxReplicaCount);
  });
});

describe('Cloud Run: concurrency-based autoscaling and DJL\'s settings (infra/gcp/djl-cloud-run.yaml)', () => {
  const service = parse(read('infra/gcp/djl-cloud-run.yaml')) as Json;
  const template = service.spec.template as Json;
  const annotations = template.metadata.annotations as Json;
  const env = Object.fromEntries((template.spec.containers[0].env as Json[]).map((item) => [item.name, item.value]));

  test('concurrency is one DJL server batch running and one filling; the front door holds at most max instances x that', () => {
    assert.equal(template.spec.containerConcurrency, 2 * Number(env.SERVING_BATCH_SIZE));
    const maxInstances = Number(annotations['autoscaling.knative.dev/maxScale']);
    // What cloudrun:// discovery reads from the same settings through the Admin API.
    const capacity = serviceCapacity({ template: { scaling: { maxInstanceCount: maxInstances }, maxInstanceRequestConcurrency: template.spec.containerConcurrency } });
    assert.equal(capacity, 160);
    assert.ok((capacity ?? 0) > DISPATCH_DEFAULTS.cpuMaxInFlight, 'a service is one endpoint with many more slots than a task');
  });

  test('request-based billing, a warm minimum the warm-up raises, extra CPU at start', () => {
    assert.equal(annotations['run.googleapis.com/cpu-throttling'], 'true');
    assert.ok(Number(annotations['autoscaling.knative.dev/minScale']) >= 1);
    assert.equal(annotations['run.googleapis.com/startup-cpu-boost'], 'true');
  });
});
