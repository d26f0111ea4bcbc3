/** What the Hono app's handlers share per request, and the dependencies the app is built from. */
import type { Clock } from '../clock';
import type { Config } from '../config/config';
import type { Dialect } from '../dialects/dialect';
import type { ModelNames } from '../dialects/model-names';
import type { CancelSignal, EmbedResult, Embedder } from '../embed/embedder';
import type { Logger } from '../logger';
import type { WarmupRunner } from '../warmup/run-warmup';
import type { FrontDoorColdStart, Telemetry } from '../telemetry/telemetry';
import type { KeyCaller } from '../security/key-guard';
import type { BodyLease } from '../security/body-budget';

export interface AppDependencies {
  readonly config: Config;
  readonly embedder: Embedder;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where the app runs (`node`, `aws-lambda`, ...), reported by /info. */
  readonly runtime: string;
  /** Largest answer the runtime can return (Lambda: 6 MB buffered); undefined on a server. */
  readonly maxResponseBytes?: number;
  /** Told of every request, to report the front door's own cold start at the first; `figures` for the status page. */
  readonly coldStart?: { onRequest(): void; figures?(): FrontDoorColdStart | undefined };
  /** Where request and dispatch events go (metrics); none when absent. */
  readonly telemetry?: Telemetry;
  /** Runs the scheduled warm-up for POST /warmup; absent where the warm-up is its own function (Lambda). */
  readonly warmup?: WarmupRunner;
  /** Where the warm-up runs instead, for POST /warmup's 404 when `warmup` is absent (Lambda: its own function). */
  readonly warmupElsewhere?: string;
  /**
   * Check `Host` in open mode (no keys) against ALLOWED_HOSTS, the DNS-rebinding guard: set by
   * the Node server entries, which may listen on a laptop or a LAN. Lambda and Cloud Functions
   * leave it off: their front ends route by Host and never pass a stranger's name through.
   */
  readonly checkHost?: boolean;
  /** The Prometheus exposition behind GET /metrics; absent where metrics leave as EMF log lines (Lambda). */
  readonly metrics?: { readonly contentType: string; render(): Promise<string> };
}

/** Built once per app from the dependencies. */
export interface AppContext extends AppDependencies {
  readonly models: ModelNames;
}

/**
 * What a runtime adapter may tell the app about the client's connection, passed as Hono's env.
 * The Node server does (it owns the socket); on Lambda and Cloud Functions the platform has read
 * the whole request before the app runs, so there is nothing to tell.
 */
export interface ConnectionFacts {
  /** True once the server cut the client off for not sending its request within CLIENT_BODY_TIMEOUT_MS. */
  readonly clientTimedOut?: () => boolean;
  /** Aborted when the client leaves before its answer: cheaper than the web Request's signal. */
  readonly clientSignal?: () => CancelSignal;
}

export interface AppEnv {
  Bindings: ConnectionFacts | undefined;
  Variables: {
    requestId: string;
    dialect: Dialect;
    /** The caller's API key, when keys are configured (set by the key guard). */
    caller: KeyCaller | undefined;
    /** When the request reached the app (monotonic ms), for Server-Timing's total. */
    startedAt: number | undefined;
    /** The body's share of MAX_INFLIGHT_BODY_BYTES (set by the body limit on embed routes). */
    bodyLease: BodyLease | undefined;
    /** The answer's share of MAX_INFLIGHT_ANSWER_BYTES, held until the request ends. */
    answerLease: BodyLease | undefined;
    /** Texts in the request, once parsed. */
    items: number | undefined;
    /** How the embedder served the request, for the tier and timing headers and the access log. */
    embedResult: EmbedResult | undefined;
  };
}
