/**
 * The CloudWatch dashboard and alarms of the Lambda deployment, as `serverless package` writes
 * them (offline, real osls): they read the EMF metrics the front door writes, in the namespace the
 * functions are given; the dashboard body is valid JSON once CloudFormation substitutes it;
 * cloudwatchObservability=false leaves them out; cfn-lint finds no error in the template.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EmfDimension, EmfMetric } from '../../shared/telemetry/emf-telemetry';
import { assertCfnLintAccepts } from '../helpers/cfn-lint';
import { REPO, runInRepo, SERVERLESS_TIMEOUT_MS, serverlessEnv } from '../helpers/serverless-cli';

const NAMESPACE = 'EmbedFrontDoor/prod';
const CONDITION = 'CloudWatchObservability';
const OBSERVABILITY_TYPES = new Set(['AWS::CloudWatch::Dashboard', 'AWS::CloudWatch::Alarm']);
const EMF_METRICS = new Set<string>(Object.values(EmfMetric));
const EMF_DIMENSIONS = new Set<string>(Object.values(EmfDimension));
/** Pseudo parameters Fn::Sub may name besides the template's resources. */
const PSEUDO = { 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '123456789012', 'AWS::Partition': 'aws' };

type Resource = { Type: string; Condition?: string; Properties: Record<string, any> };
type Template = { Resources: Record<string, Resource>; Conditions?: Record<string, any> };

describe('serverless package: CloudWatch dashboard and alarms', { timeout: 3 * SERVERLESS_TIMEOUT_MS }, () => {
  let scratch: string;
  const workFolders: string[] = [];
  const files = { on: '', off: '' };
  const templates: Record<keyof typeof files, Template> = { on: { Resources: {} }, off: { Resources: {} } };

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'efd-sls-observability-'));
    const home = join(scratch, 'home');
    await mkdir(home);
    for (const [name, extra] of [['on', []], ['off', ['--param', 'cloudwatchObservability=false']]] as const) {
      const workFolder = join('.esbuild', `observability-test-${process.pid}-${name}`);
      workFolders.push(workFolder);
      const result = await runInRepo('npx', ['serverless', 'package', '--package', join(scratch, name), '--stage', 'prod',
        '--param', 'allowPublic=true', '--param', 'cpuBackends=https://embed.example.com/v1/embeddings', '--param', `metricsNamespace=${NAMESPACE}`,
        ...extra], serverlessEnv(home, workFolder));
      assert.equal(result.code, 0, `serverless package (${name}) failed:\n${result.output}`);
      files[name] = join(scratch, name, 'cloudformation-template-update-stack.json');
      templates[name] = JSON.parse(await readFile(files[name], 'utf8'));
    }
  });

  after(async () => {
    for (const folder of workFolders) await rm(join(REPO, folder), { recursive: true, force: true });
    await rmdir(join(REPO, '.esbuild')).catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
  });

  const observability = (template: Template) => Object.entries(template.Resources).filter(([, resource]) => OBSERVABILITY_TYPES.has(resource.Type));

  test('a dashboard and five alarms, all conditioned on cloudwatchObservability; false turns them off', () => {
    const resources = observability(templates.on);
    assert.deepEqual(resources.map(([name]) => name).sort(),
      ['BacklogAlarm', 'EmbedDashboard', 'ErrorRatioAlarm', 'LatencyAlarm', 'NoServingEndpointAlarm', 'OverflowAlarm']);
    for (const [name, resource] of resources) assert.equal(resource.Condition, CONDITION, `${name} is conditioned`);
    assert.deepEqual(templates.on.Conditions?.[CONDITION], { 'Fn::Equals': ['true', 'true'] });
    assert.deepEqual(templates.off.Conditions?.[CONDITION], { 'Fn::Equals': ['false', 'true'] });
    assert.equal(observability(templates.off).length, resources.length, 'the same resources, their condition false');
  });

  test('the functions write EMF in the namespace the alarms read, and every alarm reads a metric the front door writes', () => {
    const env = templates.on.Resources.EmbedLambdaFunction?.Properties.Environment.Variables as Record<string, string>;
    assert.equal(env.METRICS_NAMESPACE, NAMESPACE);
    for (const [name, alarm] of observability(templates.on).filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm')) {
      const metrics = alarm.Properties.Metrics === undefined
        ? [{ Namespace: alarm.Properties.Namespace, MetricName: alarm.Properties.MetricName, Dimensions: alarm.Properties.Dimensions }]
        : (alarm.Properties.Metrics as { MetricStat?: { Metric: Record<string, any> } }[]).flatMap((item) => (item.MetricStat ? [item.MetricStat.Metric] : []));
      assert.ok(metrics.length > 0, `${name} reads a metric`);
      for (const metric of metrics) {
        if (metric.Namespace === 'AWS/ApiGateway') continue;
        assert.equal(metric.Namespace, NAMESPACE, `${name}: namespace`);
        assert.ok(EMF_METRICS.has(metric.MetricName), `${name}: ${metric.MetricName} is an EMF metric`);
        for (const dimension of metric.Dimensions as { Name: string }[]) assert.ok(EMF_DIMENSIONS.has(dimension.Name), `${name}: dimension ${dimension.Name}`);
      }
      assert.ok(typeof alarm.Properties.EvaluationPeriods === 'number' && alarm.Properties.TreatMissingData === 'notBreaching', `${name}: periods, missing data`);
    }
  });

  test('the dashboard body is JSON once substituted, on the grid, reading EMF metrics the front door writes', () => {
    const body = templates.on.Resources.EmbedDashboard?.Properties.DashboardBody['Fn::Sub'] as string;
    const substituted = body.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      if (name in PSEUDO) return PSEUDO[name as keyof typeof PSEUDO];
      assert.ok(templates.on.Resources[name] !== undefined, `\${${name}} names a resource of the template`);
      return `ref-${name}`;
    });
    const { widgets } = JSON.parse(substituted) as { widgets: { x: number; width: number; properties: { metrics: unknown[][]; region: string } }[] };
    assert.ok(widgets.length >= 10);
    const named = new Set<string>();
    for (const widget of widgets) {
      assert.ok(widget.x + widget.width <= 24, 'on the 24-column grid');
      assert.equal(widget.properties.region, PSEUDO['AWS::Region']);
      for (const metric of widget.properties.metrics) {
        if (metric[0] !== NAMESPACE) continue;
        named.add(String(metric[1]));
        assert.ok(EMF_METRICS.has(String(metric[1])), `${String(metric[1])} is an EMF metric`);
      }
    }
    for (const signal of [EmfMetric.backlog, EmfMetric.servingEndpoints, EmfMetric.estimatedWait, EmfMetric.requestLatency]) {
      assert.ok(named.has(signal), `the dashboard shows ${signal}`);
    }
  });

  test('cfn-lint finds no error in the template', async (t) => {
    await assertCfnLintAccepts(t, [files.on]);
  });
});
