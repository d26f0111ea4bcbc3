/**
 * Parses a scenario file (JSON) into a `Scenario`, reporting every problem at once with the path
 * of the field and what to write instead. The schedule goes through the production
 * `parseSchedule`, so a schedule that works here works in WARMUP_SCHEDULE and the other way round.
 */
import { Tier } from '../../shared/core/tier';
import { DISPATCH_DEFAULTS } from '../../shared/config/dispatch-config';
import { OVERFLOW_DEFAULTS } from '../../shared/config/overflow-config';
import { parseSchedule } from '../../shared/warmup/schedule';
import {
  BACKLOG_DEFAULTS, CPU_INSTANCE_DEFAULTS, ECS_DEFAULTS, GPU_INSTANCE_DEFAULTS, HPA_DEFAULTS, type InstanceModel, LAMBDA_DEFAULTS,
  type LambdaModel,
} from './defaults';
import { FieldReader, type JsonObject } from './json-fields';
import {
  type LambdaSpec, type LoadComponent, LoadKind, type PolicySpec, type Scenario, ScalerKind, type ScalingSpec, type TextsPerRequest,
} from './scenario-types';

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(readonly problems: readonly string[]) {
    super(`the scenario has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n- ${problems.join('\n- ')}`);
  }
}

const HOUR_MS = 3_600_000;
const SECOND_MS = 1_000;
const MINUTE_MS = 60_000;
const DEFAULT_START = '2025-06-03T00:00:00Z';
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000; // the front door's REQUEST_TIMEOUT_MS default
const DEFAULT_SAMPLE_SECONDS = 60;
const MAX_HOURS = 24 * 31;
const MAX_INSTANCES = 1_000;
/** The key of the Lambda overflow tier in `tiers` and in a policy. */
const LAMBDA_TIER = 'lambda';
/** Lambda's most memory, and its highest reserved concurrency a scenario may ask (an account's default quota). */
const LAMBDA_MAX_MB = 10_240;
const LAMBDA_MIN_MB = 128;
const LAMBDA_MAX_CONCURRENCY = 10_000;
const TOP_FIELDS = ['name', 'description', 'start', 'hours', 'seed', 'slo', 'requestTimeoutMs', 'queueMaxTexts',
  'sampleSeconds', 'tiers', 'schedule', 'warmupLeadSeconds', 'load', 'policies'] as const;

/** Parses scenario JSON text; throws a ScenarioError listing every problem. */
export function parseScenario(text: string): Scenario {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError([`not valid JSON (${(error as Error).message})`]);
  }
  const read = new FieldReader();
  const root = read.object('scenario', json);
  read.onlyKnown('scenario', root, TOP_FIELDS);
  const startText = read.string('start', root['start'], DEFAULT_START);
  const startMs = Date.parse(startText);
  if (Number.isNaN(startMs)) read.problem('start', `${JSON.stringify(startText)} is not a date; use ISO 8601 such as "${DEFAULT_START}"`);
  const sloObject = read.object('slo', root['slo']);
  read.onlyKnown('slo', sloObject, ['latencyMs', 'maxShareOver']);
  const tiers = read.object('tiers', root['tiers']);
  read.onlyKnown('tiers', tiers, [...Object.values(Tier), LAMBDA_TIER]);

  const scheduleJson = root['schedule'] ?? [];
  const schedule = parseSchedule(JSON.stringify(scheduleJson));
  for (const problem of schedule.problems) read.problem('schedule', problem);
  const burstNames = schedule.bursts.map((burst) => burst.name);

  const scenario: Scenario = {
    name: read.string('name', root['name'], undefined),
    description: typeof root['description'] === 'string' ? root['description'] : '',
    startMs: Number.isNaN(startMs) ? 0 : startMs,
    durationMs: read.number('hours', root['hours'], 24, { min: 0.01, max: MAX_HOURS }) * HOUR_MS,
    seed: read.number('seed', root['seed'], 1, { min: 0, max: 2 ** 32 - 1, integer: true }),
    slo: {
      latencyMs: read.number('slo.latencyMs', sloObject['latencyMs'], undefined, { min: 1 }),
      maxShareOver: read.number('slo.maxShareOver', sloObject['maxShareOver'], undefined, { min: 0, max: 1 }),
    },
    requestTimeoutMs: read.number('requestTimeoutMs', root['requestTimeoutMs'], DEFAULT_REQUEST_TIMEOUT_MS, { min: 1 }),
    queueMaxTexts: read.number('queueMaxTexts', root['queueMaxTexts'], DISPATCH_DEFAULTS.queueMaxTexts, { min: 1, integer: true }),
    sampleMs: read.number('sampleSeconds', root['sampleSeconds'], DEFAULT_SAMPLE_SECONDS, { min: 1 }) * SECOND_MS,
    instances: {
      cpu: readInstance(read, 'tiers.cpu', tiers['cpu'], CPU_INSTANCE_DEFAULTS),
      gpu: readInstance(read, 'tiers.gpu', tiers['gpu'], GPU_INSTANCE_DEFAULTS),
    },
    lambda: readLambdaModel(read, 'tiers.lambda', tiers[LAMBDA_TIER]),
    schedule: schedule.bursts,
    warmupLeadSeconds: root['warmupLeadSeconds'] === undefined ? undefined
      : read.number('warmupLeadSeconds', root['warmupLeadSeconds'], 0, { min: 0 }),
    load: read.list('load', root['load']).map((item, index) => readLoad(read, `load[${index}]`, item, burstNames)),
    policies: read.list('policies', root['policies']).map((item, index) => readPolicy(read, `policies[${index}]`, item)),
  };
  if (scenario.load.length === 0) read.problem('load', 'is empty; give at least one load component (see docs/capacity-planning.md for the kinds)');
  if (scenario.policies.length === 0) read.problem('policies', 'is empty; give at least one policy to simulate');
  const names = scenario.policies.map((policy) => policy.name);
  names.forEach((name, index) => {
    if (names.indexOf(name) !== index) read.problem(`policies[${index}].name`, `"${name}" is used twice; give every policy its own name`);
  });
  if (read.problems.length > 0) throw new ScenarioError(read.problems);
  return scenario;
}

function readInstance(read: FieldReader, path: string, value: unknown, defaults: InstanceModel): InstanceModel {
  const object = read.object(path, value);
  read.onlyKnown(path, object, ['workers', 'batchSize', 'baseMs', 'perTextMs', 'coldStartSeconds', 'dollarsPerHour']);
  const cold = read.object(`${path}.coldStartSeconds`, object['coldStartSeconds']);
  read.onlyKnown(`${path}.coldStartSeconds`, cold, ['min', 'max']);
  const coldMin = read.number(`${path}.coldStartSeconds.min`, cold['min'], defaults.coldStartSeconds.min, { min: 0 });
  const coldMax = read.number(`${path}.coldStartSeconds.max`, cold['max'], defaults.coldStartSeconds.max, { min: 0 });
  if (coldMax < coldMin) read.problem(`${path}.coldStartSeconds`, `max ${coldMax} is below min ${coldMin}`);
  return {
    workers: read.number(`${path}.workers`, object['workers'], defaults.workers, { min: 1, max: 1024, integer: true }),
    batchSize: read.number(`${path}.batchSize`, object['batchSize'], defaults.batchSize, { min: 1, max: 4096, integer: true }),
    baseMs: read.number(`${path}.baseMs`, object['baseMs'], defaults.baseMs, { min: 0 }),
    perTextMs: read.number(`${path}.perTextMs`, object['perTextMs'], defaults.perTextMs, { min: 0.001 }),
    coldStartSeconds: { min: coldMin, max: coldMax },
    dollarsPerHour: read.number(`${path}.dollarsPerHour`, object['dollarsPerHour'], defaults.dollarsPerHour, { min: 0 }),
  };
}

function readLambdaModel(read: FieldReader, path: string, value: unknown): LambdaModel {
  const object = read.object(path, value);
  read.onlyKnown(path, object, Object.keys(LAMBDA_DEFAULTS));
  const init = read.object(`${path}.initSeconds`, object['initSeconds']);
  read.onlyKnown(`${path}.initSeconds`, init, ['min', 'max']);
  const initMin = read.number(`${path}.initSeconds.min`, init['min'], LAMBDA_DEFAULTS.initSeconds.min, { min: 0 });
  const initMax = read.number(`${path}.initSeconds.max`, init['max'], LAMBDA_DEFAULTS.initSeconds.max, { min: 0 });
  if (initMax < initMin) read.problem(`${path}.initSeconds`, `max ${initMax} is below min ${initMin}`);
  const number = (key: Exclude<keyof typeof LAMBDA_DEFAULTS, 'initSeconds'>, min: number, extra: { max?: number; integer?: boolean } = {}) =>
    read.number(`${path}.${key}`, object[key], LAMBDA_DEFAULTS[key], { min, ...extra });
  return {
    memoryMb: number('memoryMb', LAMBDA_MIN_MB, { max: LAMBDA_MAX_MB, integer: true }),
    chunksPerSecondPerVcpu: number('chunksPerSecondPerVcpu', 0.001),
    invokeOverheadMs: number('invokeOverheadMs', 0),
    handlerOverheadMs: number('handlerOverheadMs', 0),
    batchSize: number('batchSize', 1, { max: 4096, integer: true }),
    initSeconds: { min: initMin, max: Math.max(initMin, initMax) },
    idleMinutes: number('idleMinutes', 0),
    scalingPer10Seconds: number('scalingPer10Seconds', 1, { integer: true }),
    dollarsPerGbSecond: number('dollarsPerGbSecond', 0),
    dollarsPerMillionRequests: number('dollarsPerMillionRequests', 0),
  };
}

function readTexts(read: FieldReader, path: string, value: unknown): TextsPerRequest {
  if (typeof value === 'number') {
    const texts = read.number(path, value, 1, { min: 1, integer: true });
    return { min: texts, max: texts };
  }
  const object = read.object(path, value);
  if (value === undefined) read.problem(path, 'is missing; expected a whole number or {"min": 1, "max": 64}');
  read.onlyKnown(path, object, ['min', 'max']);
  const min = read.number(`${path}.min`, object['min'], value === undefined ? 1 : undefined, { min: 1, integer: true });
  const max = read.number(`${path}.max`, object['max'], value === undefined ? 1 : undefined, { min: 1, integer: true });
  if (max < min) read.problem(path, `max ${max} is below min ${min}`);
  return { min, max: Math.max(min, max) };
}

function readLoad(read: FieldReader, path: string, value: unknown, burstNames: readonly string[]): LoadComponent {
  const object: JsonObject = read.object(path, value);
  const kind = read.oneOf(`${path}.kind`, object['kind'], Object.values(LoadKind));
  const rate = (key: string) => read.number(`${path}.${key}`, object[key], undefined, { min: 0 });
  const texts = () => readTexts(read, `${path}.textsPerRequest`, object['textsPerRequest']);
  const known = (keys: readonly string[]) => read.onlyKnown(path, object, ['kind', ...keys]);
  switch (kind) {
    case LoadKind.daily:
      known(['minChunksPerSecond', 'maxChunksPerSecond', 'peakHourUtc', 'textsPerRequest']);
      return { kind, minChunksPerSecond: rate('minChunksPerSecond'), maxChunksPerSecond: rate('maxChunksPerSecond'),
        peakHourUtc: read.number(`${path}.peakHourUtc`, object['peakHourUtc'], undefined, { min: 0, max: 24 }), textsPerRequest: texts() };
    case LoadKind.scheduled: {
      known(['burst', 'chunksPerSecond', 'textsPerRequest']);
      const burst = read.string(`${path}.burst`, object['burst'], undefined);
      if (burst !== '' && !burstNames.includes(burst)) {
        read.problem(`${path}.burst`, `"${burst}" is not a burst of the schedule; the bursts are ${burstNames.join(', ') || '(none)'}`);
      }
      return { kind, burst, chunksPerSecond: rate('chunksPerSecond'), textsPerRequest: texts() };
    }
    case LoadKind.spikes:
      known(['perDay', 'durationMinutes', 'chunksPerSecond', 'textsPerRequest']);
      return { kind, perDay: rate('perDay'), chunksPerSecond: rate('chunksPerSecond'), textsPerRequest: texts(),
        durationMinutes: read.number(`${path}.durationMinutes`, object['durationMinutes'], undefined, { min: 0.1 }) };
    case LoadKind.trace: {
      known(['requests']);
      const requests = read.list(`${path}.requests`, object['requests']).map((item, index) => {
        const pair = Array.isArray(item) ? item : [];
        if (pair.length !== 2) read.problem(`${path}.requests[${index}]`, 'expected [atSeconds, texts]');
        return {
          atSeconds: read.number(`${path}.requests[${index}][0]`, pair[0], 0, { min: 0 }),
          texts: read.number(`${path}.requests[${index}][1]`, pair[1], 1, { min: 1, integer: true }),
        };
      });
      return { kind, requests };
    }
    default:
      known(['chunksPerSecond', 'textsPerRequest']);
      return { kind: LoadKind.steady, chunksPerSecond: kind === LoadKind.steady ? rate('chunksPerSecond') : 0, textsPerRequest: texts() };
  }
}

function readPolicy(read: FieldReader, path: string, value: unknown): PolicySpec {
  const object = read.object(path, value);
  read.onlyKnown(path, object, ['name', 'cpu', 'gpu', LAMBDA_TIER, 'overflow', 'warmup', 'overflowWaitMs', 'overflowResumeWaitMs']);
  const scaling: Partial<Record<Tier, ScalingSpec>> = {};
  for (const tier of Object.values(Tier)) {
    if (object[tier] !== undefined) scaling[tier] = readScaling(read, `${path}.${tier}`, object[tier]);
  }
  const lambda = object[LAMBDA_TIER] === undefined ? undefined : readLambdaSpec(read, `${path}.${LAMBDA_TIER}`, object[LAMBDA_TIER]);
  const policy: PolicySpec = {
    name: read.string(`${path}.name`, object['name'], undefined),
    scaling,
    lambda,
    overflow: read.boolean(`${path}.overflow`, object['overflow'], false),
    warmup: read.boolean(`${path}.warmup`, object['warmup'], false),
    overflowWaitMs: read.number(`${path}.overflowWaitMs`, object['overflowWaitMs'], OVERFLOW_DEFAULTS.spillWaitMs, { min: 0, max: MINUTE_MS }),
    overflowResumeWaitMs: 0,
  };
  const resumeDefault = Math.min(OVERFLOW_DEFAULTS.resumeWaitMs, policy.overflowWaitMs);
  const resume = read.number(`${path}.overflowResumeWaitMs`, object['overflowResumeWaitMs'], resumeDefault, { min: 0, max: MINUTE_MS });
  if (resume > policy.overflowWaitMs) read.problem(`${path}.overflowResumeWaitMs`, `${resume} is above overflowWaitMs ${policy.overflowWaitMs}`);
  if (scaling.cpu === undefined && scaling.gpu === undefined) read.problem(path, 'deploys no tier; give "cpu", "gpu" or both');
  if (lambda !== undefined && scaling.gpu !== undefined) {
    read.problem(`${path}.${LAMBDA_TIER}`, 'takes the overflow tier\'s place; give "gpu" or "lambda", not both');
  }
  if (lambda !== undefined && !policy.overflow) read.problem(`${path}.${LAMBDA_TIER}`, 'is an overflow tier; set "overflow": true');
  if (policy.overflow && (scaling.cpu === undefined || (scaling.gpu === undefined && lambda === undefined))) {
    read.problem(`${path}.overflow`, 'needs both a "cpu" and a "gpu" tier (or a "lambda" function)');
  }
  return { ...policy, overflowResumeWaitMs: resume };
}

function readLambdaSpec(read: FieldReader, path: string, value: unknown): LambdaSpec {
  const object = read.object(path, value);
  read.onlyKnown(path, object, ['reservedConcurrency']);
  return {
    reservedConcurrency: read.number(`${path}.reservedConcurrency`, object['reservedConcurrency'], undefined,
      { min: 1, max: LAMBDA_MAX_CONCURRENCY, integer: true }),
  };
}

function readScaling(read: FieldReader, path: string, value: unknown): ScalingSpec {
  const object = read.object(path, value);
  const kind = read.oneOf(`${path}.kind`, object['kind'], Object.values(ScalerKind));
  const count = (key: string, fallback?: number) =>
    read.number(`${path}.${key}`, object[key], fallback, { min: 0, max: MAX_INSTANCES, integer: true });
  const option = (key: string, fallback: number) => read.number(`${path}.${key}`, object[key], fallback, { min: 0 });
  if (kind === ScalerKind.fixed || kind === undefined) {
    read.onlyKnown(path, object, ['kind', 'instances']);
    return { kind: ScalerKind.fixed, instances: count('instances') };
  }
  const defaults: Record<string, number> = kind === ScalerKind.ecs ? ECS_DEFAULTS
    : kind === ScalerKind.backlog ? BACKLOG_DEFAULTS : HPA_DEFAULTS;
  read.onlyKnown(path, object, ['kind', 'min', 'max', ...Object.keys(defaults)]);
  const min = count('min');
  const max = count('max');
  if (max < min) read.problem(`${path}.max`, `${max} is below min ${min}`);
  const settings: Record<string, number> = {};
  for (const [key, fallback] of Object.entries(defaults)) settings[key] = option(key, fallback);
  if (kind === ScalerKind.backlog && !((settings['targetBacklogPerInstance'] ?? 0) > 0)) {
    read.problem(`${path}.targetBacklogPerInstance`, 'must be above 0 (queued texts per instance the scaler aims at)');
  }
  return { ...settings, kind, min, max: Math.max(min, max) } as ScalingSpec;
}
