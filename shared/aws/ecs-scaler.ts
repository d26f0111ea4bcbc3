/**
 * The minimum task count of one ECS service, for the warm-up planner. With a scalable target
 * (Application Auto Scaling) the minimum is its MinCapacity; without one it is the service's
 * desiredCount. The warm-up marker lives as two tags on the service, so a later, stateless run
 * knows what to restore.
 */
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  DescribeServicesCommand,
  type ECSClient,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { type Scaler, ScalingError, type ServiceCapacity, type WarmupMarker } from '../scaling/scaler';
import { describeAwsError } from './aws-error';

/** Tag keys of the warm-up marker; both must be present and numeric to count as a marker. */
export const WARMUP_TAG = {
  restingMin: 'embed-front-door:warmup-resting-min',
  raisedTo: 'embed-front-door:warmup-raised-to',
} as const;

const SERVICE_NAMESPACE = 'ecs';
const SCALABLE_DIMENSION = 'ecs:service:DesiredCount';
const NON_NEGATIVE_INTEGER = /^\d+$/;

export interface AutoScalingClientOptions {
  readonly region?: string;
  readonly endpoint?: string;
}

export interface EcsScalerOptions {
  /** Clients are passed in (one per process), Powertools-style. */
  readonly ecs: ECSClient;
  readonly autoScaling: ApplicationAutoScalingClient;
  readonly cluster: string;
  readonly service: string;
}

/** What one read of the service found: enough to answer `current()` and to skip needless writes. */
interface Observed {
  readonly serviceArn: string;
  readonly scalableTarget: { readonly min: number; readonly max: number } | undefined;
  readonly desiredCount: number;
  readonly marker: WarmupMarker | undefined;
  /** Either marker tag is present, even if the pair is unusable (half-written, not a number). */
  readonly hasMarkerTags: boolean;
}

/**
 * A Scaler for `ecs:service/<cluster>/<service>`.
 *
 * `setMinimum` raises the scalable target's MinCapacity (not desiredCount), so target tracking
 * stays in charge above the floor. MaxCapacity is left as it is: a minimum above it is clamped to
 * it, and the marker then records the clamped value as `raisedTo`, so the next run still sees
 * the raise as its own. Only when the service has no scalable target is desiredCount set
 * (UpdateService). Nothing is written when the minimum and the marker already are as asked.
 *
 * Write order keeps the marker alive as long as a raise may be in force: a new marker is tagged
 * before the minimum changes, and a marker is untagged only after the minimum was restored. A
 * failure half-way then leaves at worst a marker whose `raisedTo` no longer matches, never a
 * raised minimum that nobody will lower. Errors reject with a ScalingError naming the target,
 * the operation and the AWS error.
 */
export function createEcsScaler(options: EcsScalerOptions): Scaler {
  const { ecs, autoScaling, cluster, service } = options;
  const resourceId = `service/${cluster}/${service}`;
  const target = `ecs:${resourceId}`;

  async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new ScalingError(`${target}: ${operation} failed: ${describeAwsError(error)}`, { cause: error });
    }
  }

  async function observe(): Promise<Observed> {
    const [targets, services] = await Promise.all([
      call('DescribeScalableTargets', () =>
        autoScaling.send(
          new DescribeScalableTargetsCommand({
            ServiceNamespace: SERVICE_NAMESPACE,
            ResourceIds: [resourceId],
            ScalableDimension: SCALABLE_DIMENSION,
          }),
        ),
      ),
      call('DescribeServices', () => ecs.send(new DescribeServicesCommand({ cluster, services: [service] }))),
    ]);
    const found = services.services?.find((s) => s.serviceName === service || s.serviceArn === service);
    if (found?.serviceArn === undefined) {
      const reason = services.failures?.[0]?.reason ?? 'not returned';
      throw new ScalingError(`${target}: DescribeServices found no such service (${reason})`);
    }
    const serviceArn = found.serviceArn;
    const tagged = await call('ListTagsForResource', () => ecs.send(new ListTagsForResourceCommand({ resourceArn: serviceArn })));
    const tags = new Map((tagged.tags ?? []).map((tag) => [tag.key, tag.value] as const));
    const scalable = targets.ScalableTargets?.find((t) => t.ResourceId === resourceId);
    return {
      serviceArn,
      scalableTarget:
        scalable?.MinCapacity === undefined || scalable.MaxCapacity === undefined
          ? undefined
          : { min: scalable.MinCapacity, max: scalable.MaxCapacity },
      desiredCount: found.desiredCount ?? 0,
      marker: parseMarker(tags.get(WARMUP_TAG.restingMin), tags.get(WARMUP_TAG.raisedTo)),
      hasMarkerTags: tags.has(WARMUP_TAG.restingMin) || tags.has(WARMUP_TAG.raisedTo),
    };
  }

  async function writeMinimum(observed: Observed, minInstances: number): Promise<void> {
    if (observed.scalableTarget !== undefined) {
      if (observed.scalableTarget.min === minInstances) return;
      // MaxCapacity is left out on purpose: an update changes only what it names.
      await call('RegisterScalableTarget', () =>
        autoScaling.send(
          new RegisterScalableTargetCommand({
            ServiceNamespace: SERVICE_NAMESPACE,
            ResourceId: resourceId,
            ScalableDimension: SCALABLE_DIMENSION,
            MinCapacity: minInstances,
          }),
        ),
      );
      return;
    }
    if (observed.desiredCount === minInstances) return;
    await call('UpdateService', () => ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount: minInstances })));
  }

  async function writeMarker(observed: Observed, marker: WarmupMarker): Promise<void> {
    if (observed.marker?.restingMin === marker.restingMin && observed.marker.raisedTo === marker.raisedTo) return;
    const tags = [
      { key: WARMUP_TAG.restingMin, value: String(marker.restingMin) },
      { key: WARMUP_TAG.raisedTo, value: String(marker.raisedTo) },
    ];
    await call('TagResource', () => ecs.send(new TagResourceCommand({ resourceArn: observed.serviceArn, tags })));
  }

  async function clearMarker(observed: Observed): Promise<void> {
    if (!observed.hasMarkerTags) return;
    const tagKeys = [WARMUP_TAG.restingMin, WARMUP_TAG.raisedTo];
    await call('UntagResource', () => ecs.send(new UntagResourceCommand({ resourceArn: observed.serviceArn, tagKeys })));
  }

  return {
    target,

    async current(): Promise<ServiceCapacity> {
      const observed = await observe();
      return {
        minInstances: observed.scalableTarget?.min ?? observed.desiredCount,
        maxInstances: observed.scalableTarget?.max,
        marker: observed.marker,
      };
    },

    async setMinimum(minInstances: number, marker: WarmupMarker | undefined): Promise<void> {
      if (!isCount(minInstances) || (marker !== undefined && !(isCount(marker.restingMin) && isCount(marker.raisedTo)))) {
        const got = `${minInstances}, ${JSON.stringify(marker)}`;
        throw new ScalingError(`${target}: minimum and marker must be non-negative integers (got ${got})`);
      }
      const observed = await observe();
      const ceiling = observed.scalableTarget?.max;
      const min = ceiling === undefined ? minInstances : Math.min(minInstances, ceiling);
      if (marker === undefined) {
        await writeMinimum(observed, min);
        await clearMarker(observed);
        return;
      }
      await writeMarker(observed, min === minInstances ? marker : { ...marker, raisedTo: min });
      await writeMinimum(observed, min);
    },
  };
}

/**
 * An Application Auto Scaling client for one process. Only what is given is passed: otherwise
 * the SDK reads region, credentials and `AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING` itself.
 */
export function createAutoScalingClient(options: AutoScalingClientOptions = {}): ApplicationAutoScalingClient {
  return new ApplicationAutoScalingClient({
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
  });
}

function parseMarker(restingMin: string | undefined, raisedTo: string | undefined): WarmupMarker | undefined {
  if (restingMin === undefined || raisedTo === undefined) return undefined;
  if (!NON_NEGATIVE_INTEGER.test(restingMin) || !NON_NEGATIVE_INTEGER.test(raisedTo)) return undefined;
  const marker = { restingMin: Number(restingMin), raisedTo: Number(raisedTo) };
  return isCount(marker.restingMin) && isCount(marker.raisedTo) ? marker : undefined;
}

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}
