/**
 * Endpoints from the running tasks of one ECS service: ListTasks (every page), then DescribeTasks
 * for their addresses. Only the SDK calls live here; caching, refresh and keeping the last known
 * endpoints on errors belong to the discovery refresher. The caller loads this module with a
 * lazy `import()`, so the SDK is never loaded unless an ECS source is configured.
 */
import { DescribeTasksCommand, ECSClient, paginateListTasks, type Task } from '@aws-sdk/client-ecs';
import { type DiscoveredEndpoint, DiscoveryError, type EndpointSource } from '../discovery/endpoint-source';
import { awsErrorName, awsHttpStatus, describeAwsError } from './aws-error';

/** AWS rejects a DescribeTasks call naming more task ids than this. */
export const DESCRIBE_TASKS_MAX_IDS = 100;

/** The ECS task status at which the container is up; earlier ones have no server to call yet. */
const RUNNING = 'RUNNING';
const ENI_ATTACHMENT = 'ElasticNetworkInterface';
const ENI_PRIVATE_IP = 'privateIPv4Address';
/** Error names the SDK uses for rate limiting across AWS APIs; the refresher backs off harder. */
const THROTTLING_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'Throttling',
]);
const HTTP_TOO_MANY_REQUESTS = 429;

export interface EcsSourceOptions {
  /** One client per process (passed in, Powertools-style), reused by every refresh. */
  readonly client: ECSClient;
  /** Cluster name or ARN. */
  readonly cluster: string;
  /** Service name. */
  readonly service: string;
  /** The container port the inference server listens on. */
  readonly port: number;
  /** The inference path, with its leading slash (`/predictions/all_MiniLM_L6_v2`). */
  readonly path: string;
  readonly scheme: 'http' | 'https';
}

/**
 * An EndpointSource over the RUNNING tasks of an ECS service (awsvpc networking: each task has its
 * own private IP). Tasks still provisioning (no address yet) and tasks on their way out are left
 * out. Each endpoint's key is the task ARN and its `startedAt` the task's `createdAt`, so cold
 * starts are timed from the task's creation, not from when the front door first saw it.
 * An API failure rejects with a DiscoveryError (`throttled` for rate limiting).
 */
export function createEcsSource(options: EcsSourceOptions): EndpointSource {
  const { client, cluster, service } = options;
  const description = `ecs://${cluster}/${service}`;

  return {
    description,
    async discover(): Promise<DiscoveredEndpoint[]> {
      try {
        const taskArns = await listRunningTaskArns(client, cluster, service);
        const tasks = await describeTasks(client, cluster, taskArns);
        return tasks.flatMap((task) => {
          const endpoint = toEndpoint(task, options);
          return endpoint === undefined ? [] : [endpoint];
        });
      } catch (error) {
        throw toDiscoveryError(error, description);
      }
    },
  };
}

export interface EcsClientOptions {
  readonly region?: string;
  readonly endpoint?: string;
}

/**
 * An ECSClient for one process. Only what is given is passed: otherwise the SDK reads region,
 * credentials and `AWS_ENDPOINT_URL_ECS` from the environment itself, as everywhere else in AWS.
 */
export function createEcsClient(options: EcsClientOptions = {}): ECSClient {
  return new ECSClient({
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
  });
}

async function listRunningTaskArns(client: ECSClient, cluster: string, serviceName: string): Promise<string[]> {
  const arns: string[] = [];
  // desiredStatus RUNNING drops tasks ECS is already stopping, before we pay to describe them.
  for await (const page of paginateListTasks({ client }, { cluster, serviceName, desiredStatus: RUNNING })) {
    arns.push(...(page.taskArns ?? []));
  }
  return arns;
}

async function describeTasks(client: ECSClient, cluster: string, taskArns: readonly string[]): Promise<Task[]> {
  const tasks: Task[] = [];
  // One chunk at a time rather than all at once: a big service should not spend the account's
  // shared DescribeTasks rate in a burst. Ids that vanished in between come back as `failures`
  // (the task is gone), which is simply not an endpoint.
  for (let start = 0; start < taskArns.length; start += DESCRIBE_TASKS_MAX_IDS) {
    const ids = taskArns.slice(start, start + DESCRIBE_TASKS_MAX_IDS);
    const answer = await client.send(new DescribeTasksCommand({ cluster, tasks: ids }));
    tasks.push(...(answer.tasks ?? []));
  }
  return tasks;
}

function toEndpoint(task: Task, options: EcsSourceOptions): DiscoveredEndpoint | undefined {
  const ip = privateIp(task);
  if (task.taskArn === undefined || task.lastStatus !== RUNNING || ip === undefined) return undefined;
  return {
    key: task.taskArn,
    url: `${options.scheme}://${ip}:${options.port}${options.path}`,
    ...(task.createdAt === undefined ? {} : { startedAt: task.createdAt.getTime() }),
  };
}

/** The ENI attachment's address (awsvpc); some task shapes carry it only on the containers. */
function privateIp(task: Task): string | undefined {
  const eni = task.attachments?.find((attachment) => attachment.type === ENI_ATTACHMENT);
  const fromAttachment = eni?.details?.find((detail) => detail.name === ENI_PRIVATE_IP)?.value;
  if (fromAttachment) return fromAttachment;
  for (const container of task.containers ?? []) {
    const fromContainer = container.networkInterfaces?.find((ni) => ni.privateIpv4Address)?.privateIpv4Address;
    if (fromContainer) return fromContainer;
  }
  return undefined;
}

/** Names the source and the AWS error only: AWS messages can echo request details, never worth the risk. */
function toDiscoveryError(error: unknown, description: string): DiscoveryError {
  const throttled = THROTTLING_ERROR_NAMES.has(awsErrorName(error)) || awsHttpStatus(error) === HTTP_TOO_MANY_REQUESTS;
  return new DiscoveryError(`ECS discovery for ${description} failed: ${describeAwsError(error)}`, throttled, { cause: error });
}
