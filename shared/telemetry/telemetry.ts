/**
 * What the front door reports about its work, as events. The dispatch engine and the HTTP layer
 * call these; each runtime plugs in its sinks (Prometheus on a long-lived server, CloudWatch EMF
 * lines on Lambda). Sinks only count and never see texts, keys or request ids, so label
 * cardinality stays bounded by the configured routes, tiers and endpoints.
 */
import { type CacheEvents, type CacheResult, noCacheEvents } from '../core/cache-events';
import { type ControlEvents, noControlEvents } from '../core/control-events';
import { type DispatchEvents, noDispatchEvents } from '../core/dispatch-events';
import type { Tier } from '../core/tier';

/** One finished HTTP request, as the access log and the request metrics see it. */
export interface RequestRecord {
  /** The route pattern (`/predictions/:model`), never the raw path. */
  readonly route: string;
  readonly method: string;
  readonly status: number;
  /** The tier that served it; undefined when none did. */
  readonly tier: Tier | undefined;
  readonly durationMs: number;
  /** Texts in the request (0 when it was refused before parsing). */
  readonly items: number;
  /** How the embedding cache served it, when a cache is configured and the request reached it. */
  readonly cache?: CacheResult;
}

/** The front door's own cold start: once per process (per Lambda execution environment). */
export interface FrontDoorColdStart {
  /** Process start to the end of initialisation (module load, dependencies built). */
  readonly initMs: number;
  /** Process start to the first request. */
  readonly firstRequestMs: number;
  /** Lambda's AWS_LAMBDA_INITIALIZATION_TYPE (`on-demand`, `provisioned-concurrency`, `snap-start`). */
  readonly initializationType: string | undefined;
}

export interface Telemetry extends DispatchEvents, CacheEvents, ControlEvents {
  requestDone(record: RequestRecord): void;
  frontDoorColdStart(coldStart: FrontDoorColdStart): void;
}

const ignore = (): void => {};

/** Reports nothing (tests, tools). */
export const noTelemetry: Telemetry = { ...noDispatchEvents, ...noCacheEvents, ...noControlEvents, requestDone: ignore, frontDoorColdStart: ignore };
