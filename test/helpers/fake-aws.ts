/**
 * A loopback server speaking AWS JSON 1.1 for the slice of ECS and Application Auto Scaling the
 * front door uses, so tests drive the real SDK v3 clients (request serialisation, signing, error
 * mapping, retries) instead of mocking them. The test owns the in-memory state, reads the call log
 * to check idempotence, and queues faults with `failNext`.
 *
 * ECS: ListTasks, DescribeTasks, DescribeServices, UpdateService, ListTagsForResource,
 * TagResource, UntagResource. Application Auto Scaling: DescribeScalableTargets,
 * RegisterScalableTarget. Anything else answers `UnknownOperationException`.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { ECSClient } from '@aws-sdk/client-ecs';

const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
const AUTO_SCALING_TARGET_PREFIX = 'AnyScaleFrontendService.';
const REGION = 'us-east-1';
const ARN_PREFIX = `arn:aws:ecs:${REGION}:123456789012`;
/** AWS's own ceiling, both for ListTasks `maxResults` and for task ids per DescribeTasks call. */
const AWS_ID_LIMIT = 100;
/** Small by default so every discovery test crosses a page boundary. */
const DEFAULT_LIST_TASKS_PAGE_SIZE = 3;
const MS_PER_SECOND = 1_000;
const SERVICE_LINKED_ROLE_ARN =
  'arn:aws:iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService';

/** Distinctive on purpose: tests assert that error messages never contain them. */
export const TEST_CREDENTIALS = { accessKeyId: 'AKIDFAKEAWSTEST', secretAccessKey: 'fake-aws-secret-never-log' } as const;

export interface FakeTask {
  taskArn: string;
  cluster: string;
  /** The service that started it (`group: service:<name>`), undefined for a standalone task. */
  serviceName: string | undefined;
  lastStatus: string;
  desiredStatus: string;
  /** Epoch ms; sent as epoch seconds like the real API. */
  createdAt: number;
  startedAt: number | undefined;
  /** Undefined while the task is provisioning: its ENI attachment has no address yet. */
  privateIp: string | undefined;
}

export interface FakeService {
  cluster: string;
  serviceName: string;
  serviceArn: string;
  desiredCount: number;
  tags: Map<string, string>;
}

export interface FakeScalableTarget {
  resourceId: string;
  scalableDimension: string;
  minCapacity: number;
  maxCapacity: number;
}

export interface FakeAwsState {
  clusters: Set<string>;
  services: FakeService[];
  tasks: FakeTask[];
  scalableTargets: FakeScalableTarget[];
  /** The most ListTasks returns per page, whatever `maxResults` asks for. */
  listTasksPageSize: number;
}

export interface FakeAwsCall {
  readonly api: 'ecs' | 'application-autoscaling';
  readonly operation: string;
  /** The parsed JSON body exactly as the SDK serialised it. */
  readonly body: Record<string, unknown>;
}

interface Fault {
  readonly operation: string;
  readonly errorType: string;
  readonly status: number;
}

/** An error answer: `status {"__type": type, "message": ...}`. */
class AwsFault extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
  }
}

type Handler = (state: FakeAwsState, body: Record<string, unknown>) => unknown;

export class FakeAws {
  readonly state: FakeAwsState = {
    clusters: new Set(),
    services: [],
    tasks: [],
    scalableTargets: [],
    listTasksPageSize: DEFAULT_LIST_TASKS_PAGE_SIZE,
  };
  readonly calls: FakeAwsCall[] = [];
  private faults: Fault[] = [];
  private taskCount = 0;

  private constructor(private readonly server: Server) {}

  /** Listens on 127.0.0.1, port 0. */
  static async start(): Promise<FakeAws> {
    const server = createServer((req, res) => {
      fake.handle(req, res).catch((error: unknown) => send(res, 500, { __type: 'InternalFailure', message: String(error) }));
    });
    const fake = new FakeAws(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Adds a service (and its cluster) with no tasks and no scalable target. */
  addService(cluster: string, serviceName: string, desiredCount = 1): FakeService {
    this.state.clusters.add(cluster);
    const service = { cluster, serviceName, serviceArn: `${ARN_PREFIX}:service/${cluster}/${serviceName}`, desiredCount, tags: new Map() };
    this.state.services.push(service);
    return service;
  }

  /** Adds a task: RUNNING/RUNNING with an address unless `fields` say otherwise. */
  addTask(cluster: string, serviceName: string | undefined, fields: Partial<Omit<FakeTask, 'cluster' | 'serviceName'>> = {}): FakeTask {
    this.taskCount += 1;
    const n = this.taskCount;
    const task: FakeTask = {
      taskArn: `${ARN_PREFIX}:task/${cluster}/${n.toString(16).padStart(32, '0')}`,
      cluster,
      serviceName,
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      createdAt: 1_700_000_000_000 + n * MS_PER_SECOND,
      startedAt: 1_700_000_030_000 + n * MS_PER_SECOND,
      privateIp: `10.0.${Math.floor(n / 250)}.${(n % 250) + 1}`,
      ...fields,
    };
    this.state.tasks.push(task);
    return task;
  }

  /** Registers (or replaces) the scalable target of `service/<cluster>/<service>`. */
  addScalableTarget(cluster: string, serviceName: string, minCapacity: number, maxCapacity: number): FakeScalableTarget {
    const resourceId = `service/${cluster}/${serviceName}`;
    this.state.scalableTargets = this.state.scalableTargets.filter((t) => t.resourceId !== resourceId);
    const target = { resourceId, scalableDimension: 'ecs:service:DesiredCount', minCapacity, maxCapacity };
    this.state.scalableTargets.push(target);
    return target;
  }

  /** The next `count` calls of `operation` answer `status {"__type": errorType}` and change nothing. */
  failNext(operation: string, errorType: string, count = 1, status = 400): void {
    for (let i = 0; i < count; i += 1) this.faults.push({ operation, errorType, status });
  }

  /** Received calls of one operation, in order. */
  callsOf(operation: string): FakeAwsCall[] {
    return this.calls.filter((call) => call.operation === operation);
  }

  /** A real ECS client pointed here; `maxAttempts` defaults to 1 so fault tests stay fast. */
  createEcsClient(maxAttempts = 1): ECSClient {
    return new ECSClient({ endpoint: this.url, region: REGION, credentials: TEST_CREDENTIALS, maxAttempts });
  }

  /** A real Application Auto Scaling client pointed here. */
  createAutoScalingClient(maxAttempts = 1): ApplicationAutoScalingClient {
    return new ApplicationAutoScalingClient({ endpoint: this.url, region: REGION, credentials: TEST_CREDENTIALS, maxAttempts });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = String(req.headers['x-amz-target'] ?? '');
    const text = await readBody(req);
    const api = target.startsWith(ECS_TARGET_PREFIX) ? 'ecs' : 'application-autoscaling';
    const operation = target.slice(target.indexOf('.') + 1);
    const body = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
    this.calls.push({ api, operation, body });

    try {
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/x-amz-json-1.1') {
        throw new AwsFault('SerializationException', 'expected POST with application/x-amz-json-1.1');
      }
      if (!String(req.headers.authorization ?? '').startsWith(`AWS4-HMAC-SHA256 Credential=${TEST_CREDENTIALS.accessKeyId}/`)) {
        throw new AwsFault('UnrecognizedClientException', 'The security token included in the request is invalid.');
      }
      const faultIndex = this.faults.findIndex((fault) => fault.operation === operation);
      const fault = this.faults[faultIndex];
      if (fault !== undefined) {
        this.faults.splice(faultIndex, 1);
        throw new AwsFault(fault.errorType, `fake ${fault.errorType}`, fault.status);
      }
      const handlers = api === 'ecs' ? ecsHandlers : autoScalingHandlers;
      const known = target.startsWith(ECS_TARGET_PREFIX) || target.startsWith(AUTO_SCALING_TARGET_PREFIX);
      const handler = known ? handlers[operation] : undefined;
      if (handler === undefined) throw new AwsFault('UnknownOperationException', `${target} is not supported by the fake`);
      send(res, 200, handler(this.state, body));
    } catch (error) {
      if (!(error instanceof AwsFault)) throw error;
      send(res, error.status, { __type: error.type, message: error.message });
    }
  }
}

const ecsHandlers: Record<string, Handler> = {
  ListTasks(state, body) {
    const cluster = requireCluster(state, body.cluster);
    const matching = state.tasks.filter(
      (task) =>
        task.cluster === cluster &&
        (body.serviceName === undefined || task.serviceName === body.serviceName) &&
        (body.desiredStatus === undefined || task.desiredStatus === body.desiredStatus),
    );
    const asked = typeof body.maxResults === 'number' ? body.maxResults : AWS_ID_LIMIT;
    if (asked < 1 || asked > AWS_ID_LIMIT) throw new AwsFault('InvalidParameterException', 'maxResults must be 1..100');
    const start = typeof body.nextToken === 'string' ? Number(Buffer.from(body.nextToken, 'base64url').toString()) : 0;
    const end = start + Math.min(asked, state.listTasksPageSize);
    const nextToken = end < matching.length ? Buffer.from(String(end)).toString('base64url') : undefined;
    return { taskArns: matching.slice(start, end).map((task) => task.taskArn), nextToken };
  },

  DescribeTasks(state, body) {
    const cluster = requireCluster(state, body.cluster);
    const ids = Array.isArray(body.tasks) ? (body.tasks as string[]) : [];
    if (ids.length > AWS_ID_LIMIT) throw new AwsFault('InvalidParameterException', 'Tasks cannot be longer than 100.');
    const named = (task: FakeTask, id: string) => task.taskArn === id || task.taskArn.endsWith(`/${id}`);
    const found = ids.map((id) => state.tasks.find((task) => task.cluster === cluster && named(task, id)));
    return {
      tasks: found.filter((task) => task !== undefined).map(taskJson),
      failures: ids.filter((_, i) => found[i] === undefined).map((arn) => ({ arn, reason: 'MISSING' })),
    };
  },

  DescribeServices(state, body) {
    const cluster = requireCluster(state, body.cluster);
    const names = Array.isArray(body.services) ? (body.services as string[]) : [];
    const found = names.map((name) => findService(state, cluster, name));
    return {
      services: found.filter((service) => service !== undefined).map(serviceJson),
      failures: names.filter((_, i) => found[i] === undefined).map((arn) => ({ arn, reason: 'MISSING' })),
    };
  },

  UpdateService(state, body) {
    const cluster = requireCluster(state, body.cluster);
    const service = findService(state, cluster, String(body.service));
    if (service === undefined) throw new AwsFault('ServiceNotFoundException', 'Service not found.');
    if (typeof body.desiredCount === 'number') service.desiredCount = body.desiredCount;
    return { service: serviceJson(service) };
  },

  ListTagsForResource(state, body) {
    return { tags: [...serviceByArn(state, body.resourceArn).tags].map(([key, value]) => ({ key, value })) };
  },

  TagResource(state, body) {
    const service = serviceByArn(state, body.resourceArn);
    for (const tag of (body.tags ?? []) as { key: string; value: string }[]) service.tags.set(tag.key, tag.value);
    return {};
  },

  UntagResource(state, body) {
    const service = serviceByArn(state, body.resourceArn);
    for (const key of (body.tagKeys ?? []) as string[]) service.tags.delete(key);
    return {};
  },
};

const autoScalingHandlers: Record<string, Handler> = {
  DescribeScalableTargets(state, body) {
    requireNamespace(body);
    const ids = Array.isArray(body.ResourceIds) ? (body.ResourceIds as string[]) : undefined;
    const targets = state.scalableTargets.filter(
      (t) =>
        (ids === undefined || ids.includes(t.resourceId)) &&
        (body.ScalableDimension === undefined || t.scalableDimension === body.ScalableDimension),
    );
    return {
      ScalableTargets: targets.map((t) => ({
        ServiceNamespace: 'ecs',
        ResourceId: t.resourceId,
        ScalableDimension: t.scalableDimension,
        MinCapacity: t.minCapacity,
        MaxCapacity: t.maxCapacity,
        RoleARN: SERVICE_LINKED_ROLE_ARN,
        CreationTime: 1_700_000_000,
        SuspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false },
      })),
    };
  },

  RegisterScalableTarget(state, body) {
    requireNamespace(body);
    const resourceId = String(body.ResourceId);
    const min = typeof body.MinCapacity === 'number' ? body.MinCapacity : undefined;
    const max = typeof body.MaxCapacity === 'number' ? body.MaxCapacity : undefined;
    let target = state.scalableTargets.find((t) => t.resourceId === resourceId && t.scalableDimension === body.ScalableDimension);
    if (target === undefined) {
      // Like AWS: creating a target needs both bounds; updating one keeps the other.
      if (min === undefined || max === undefined) throw new AwsFault('ValidationException', 'MinCapacity and MaxCapacity are required.');
      target = { resourceId, scalableDimension: String(body.ScalableDimension), minCapacity: min, maxCapacity: max };
      state.scalableTargets.push(target);
    }
    if ((min ?? target.minCapacity) > (max ?? target.maxCapacity)) {
      throw new AwsFault('ValidationException', 'Minimum capacity cannot be greater than maximum capacity');
    }
    target.minCapacity = min ?? target.minCapacity;
    target.maxCapacity = max ?? target.maxCapacity;
    return { ScalableTargetARN: `arn:aws:application-autoscaling:${REGION}:123456789012:scalable-target/fake` };
  },
};

/** A cluster name or ARN (`...:cluster/<name>`); ECS falls back to `default` when none is given. */
function requireCluster(state: FakeAwsState, value: unknown): string {
  const name = typeof value === 'string' ? value.slice(value.lastIndexOf('/') + 1) : 'default';
  if (!state.clusters.has(name)) throw new AwsFault('ClusterNotFoundException', 'Cluster not found.');
  return name;
}

function requireNamespace(body: Record<string, unknown>): void {
  if (body.ServiceNamespace !== 'ecs') throw new AwsFault('ValidationException', 'the fake only knows ServiceNamespace ecs');
}

function findService(state: FakeAwsState, cluster: string, nameOrArn: string): FakeService | undefined {
  return state.services.find((s) => s.cluster === cluster && (s.serviceName === nameOrArn || s.serviceArn === nameOrArn));
}

function serviceByArn(state: FakeAwsState, arn: unknown): FakeService {
  const service = state.services.find((s) => s.serviceArn === arn);
  if (service === undefined) throw new AwsFault('InvalidParameterException', 'The specified resource is not found.');
  return service;
}

function taskJson(task: FakeTask): Record<string, unknown> {
  const eniDetails = task.privateIp === undefined ? [] : [
    { name: 'subnetId', value: 'subnet-0fake' },
    { name: 'networkInterfaceId', value: 'eni-0fake' },
    { name: 'privateIPv4Address', value: task.privateIp },
  ];
  return {
    taskArn: task.taskArn,
    clusterArn: `${ARN_PREFIX}:cluster/${task.cluster}`,
    group: task.serviceName === undefined ? 'family:embed' : `service:${task.serviceName}`,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    launchType: 'FARGATE',
    createdAt: task.createdAt / MS_PER_SECOND,
    ...(task.startedAt === undefined ? {} : { startedAt: task.startedAt / MS_PER_SECOND }),
    attachments: [
      {
        id: 'attachment-fake',
        type: 'ElasticNetworkInterface',
        status: task.privateIp === undefined ? 'PRECREATED' : 'ATTACHED',
        details: eniDetails,
      },
    ],
  };
}

function serviceJson(service: FakeService): Record<string, unknown> {
  return {
    serviceArn: service.serviceArn,
    serviceName: service.serviceName,
    clusterArn: `${ARN_PREFIX}:cluster/${service.cluster}`,
    status: 'ACTIVE',
    desiredCount: service.desiredCount,
    runningCount: service.desiredCount,
    pendingCount: 0,
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, value: unknown): void {
  const json = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'fake-request-id' }).end(json);
}
