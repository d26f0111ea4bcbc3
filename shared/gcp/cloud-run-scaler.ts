/**
 * The warm-up's Scaler for a Cloud Run service. It changes the service-level minimum
 * (`scaling.minInstanceCount`), which takes effect without deploying a new revision, and keeps the
 * warm-up marker in two service annotations so a later, stateless run knows what to restore.
 */
import type { ServicesClient } from '@google-cloud/run';
import type { CloudRunService } from './cloud-run-source';
import { describeCloudRunError } from './cloud-run-error';
import { type Scaler, type ServiceCapacity, ScalingError, type WarmupMarker } from '../scaling/scaler';

/** Annotation keys for the marker; the domain prefix keeps them apart from Google's `run.googleapis.com/*`. */
export const WarmupAnnotation = {
  restingMin: 'embed-front-door.dev/warmup-resting-min',
  raisedTo: 'embed-front-door.dev/warmup-raised-to',
} as const;

/**
 * Only these two fields change: the service-level minimum and the annotations. Updating anything
 * under `template` would roll out a new revision.
 */
const UPDATE_MASK_PATHS = ['scaling.min_instance_count', 'annotations'];

export interface CloudRunScalerOptions {
  readonly client: ServicesClient;
  /** `projects/p/locations/l/services/s`. */
  readonly name: string;
}

/**
 * A Scaler for one Cloud Run service (target `cloudrun:projects/p/locations/l/services/s`).
 * `setMinimum` never raises the minimum past the revision template's maxInstanceCount: it clamps
 * to it (and clamps the marker's `raisedTo` the same way, so the marker records what was really
 * set). It reads the service first and sends no update when the minimum and marker already match;
 * otherwise it patches both fields, keeps every other annotation, and waits for the operation.
 * Failures reject with a ScalingError naming the service.
 */
export function createCloudRunScaler(options: CloudRunScalerOptions): Scaler {
  const { client, name } = options;
  const target = `cloudrun:${name}`;

  const fail = (action: string, error: unknown): ScalingError =>
    new ScalingError(`${target}: ${action} failed (${describeCloudRunError(error).summary})`, { cause: error });

  const read = async (): Promise<CloudRunService> => {
    try {
      const [service] = await client.getService({ name });
      return service;
    } catch (error) {
      throw fail('getService', error);
    }
  };

  return {
    target,
    async current() {
      return capacityOf(await read());
    },
    async setMinimum(minInstances, marker) {
      if (!Number.isInteger(minInstances) || minInstances < 0) {
        throw new ScalingError(`${target}: minimum must be a whole number >= 0, got ${minInstances}`);
      }
      const service = await read();
      const now = capacityOf(service);
      const clamp = (count: number): number => (now.maxInstances === undefined ? count : Math.min(count, now.maxInstances));
      const min = clamp(minInstances);
      const wanted = marker === undefined ? undefined : { restingMin: marker.restingMin, raisedTo: clamp(marker.raisedTo) };
      if (now.minInstances === min && sameMarker(now.marker, wanted)) return;

      try {
        const [operation] = await client.updateService({
          // The etag read above: if anyone updated the service since, Cloud Run refuses (ABORTED)
          // instead of this write silently undoing their annotations; the next run reads again.
          service: {
            name,
            scaling: { minInstanceCount: min },
            annotations: withMarker(service.annotations, wanted),
            ...(service.etag ? { etag: service.etag } : {}),
          },
          updateMask: { paths: UPDATE_MASK_PATHS },
        });
        await operation.promise();
      } catch (error) {
        throw fail(`updateService to minimum ${min}`, error);
      }
    },
  };
}

/** The service's scaling as the planner sees it; proto3 decodes unset numbers as 0 (so max 0 = no ceiling). */
function capacityOf(service: CloudRunService): ServiceCapacity {
  const maxInstances = service.template?.scaling?.maxInstanceCount ?? 0;
  return {
    minInstances: service.scaling?.minInstanceCount ?? 0,
    maxInstances: maxInstances > 0 ? maxInstances : undefined,
    marker: readMarker(service.annotations ?? {}),
  };
}

/** Both annotations, each a whole number, or no marker at all (a half-written marker is ignored). */
function readMarker(annotations: Readonly<Record<string, string>>): WarmupMarker | undefined {
  const restingMin = parseCount(annotations[WarmupAnnotation.restingMin]);
  const raisedTo = parseCount(annotations[WarmupAnnotation.raisedTo]);
  return restingMin === undefined || raisedTo === undefined ? undefined : { restingMin, raisedTo };
}

function parseCount(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

function sameMarker(a: WarmupMarker | undefined, b: WarmupMarker | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.restingMin === b.restingMin && a.raisedTo === b.raisedTo;
}

/**
 * The service's annotations with ours set or removed. The mask covers the whole `annotations`
 * map, so whatever is left out here would be deleted: every other annotation is copied over.
 */
function withMarker(
  annotations: Readonly<Record<string, string>> | null | undefined,
  marker: WarmupMarker | undefined,
): Record<string, string> {
  const next: Record<string, string> = { ...annotations };
  delete next[WarmupAnnotation.restingMin];
  delete next[WarmupAnnotation.raisedTo];
  if (marker !== undefined) {
    next[WarmupAnnotation.restingMin] = String(marker.restingMin);
    next[WarmupAnnotation.raisedTo] = String(marker.raisedTo);
  }
  return next;
}
