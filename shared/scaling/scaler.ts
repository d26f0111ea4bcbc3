/**
 * Raising and lowering the minimum number of instances of one backend service (an ECS service
 * through Application Auto Scaling, a Cloud Run service), for the warm-up planner. The planner is
 * stateless between runs, so what it needs to restore later is kept on the service itself as a
 * marker (an ECS service tag, a Cloud Run annotation).
 */

/** What the warm-up raised, remembered on the service. */
export interface WarmupMarker {
  /** The minimum before the warm-up raised it: restored after the burst. */
  readonly restingMin: number;
  /** The minimum the warm-up set: if the service's minimum is no longer this, someone else changed it. */
  readonly raisedTo: number;
}

export interface ServiceCapacity {
  readonly minInstances: number;
  /** The ceiling, when the service has one (a minimum is never raised past it). */
  readonly maxInstances: number | undefined;
  /** Present while a warm-up's raise is in force. */
  readonly marker: WarmupMarker | undefined;
}

export interface Scaler {
  /** For plans and logs, e.g. `ecs:service/cluster/service`, `cloudrun:projects/p/locations/l/services/s`. */
  readonly target: string;
  current(): Promise<ServiceCapacity>;
  /**
   * Sets the minimum and the marker (undefined clears it). Idempotent: setting what is already
   * set changes nothing. Rejects with a ScalingError.
   */
  setMinimum(minInstances: number, marker: WarmupMarker | undefined): Promise<void>;
}

export class ScalingError extends Error {
  override readonly name = 'ScalingError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
