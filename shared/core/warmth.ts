/** How ready an endpoint is to take client traffic. */
export const Warmth = {
  /** Refusing connections, or up with its model still loading (DJL PENDING, 503 not ready): no traffic, probed. */
  cold: 'cold',
  /** Back from cold or ejection, ramping up to its full share (slow start). */
  warming: 'warming',
  /** Serving its full share (or not yet known to be otherwise). */
  warm: 'warm',
  /** Taken out after failures, until its back-off ends or a probe finds it healthy. */
  ejected: 'ejected',
  /** Answering, but reports it cannot serve (DJL Unhealthy or FAILED). */
  unhealthy: 'unhealthy',
} as const;
export type Warmth = (typeof Warmth)[keyof typeof Warmth];
