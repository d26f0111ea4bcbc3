/**
 * A DJL Serving stand-in for tests and benchmarks: the real HTTP behaviour
 * (shared/reference/djl-serving.md), a worker pool that costs what a CPU or GPU instance costs,
 * cold starts, and faults that can be switched on while it runs.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { HTTP_STATUS } from './djl-responses';
import { writeMalformed } from './http-io';
import { faultProblems, resolveDjlOptions, type DjlFaults, type DjlSimulatorOptions } from './options';
import { DjlRequestHandler, type Prediction } from './request-handler';
import { StatsRecorder, type DjlSimulatorStats } from './stats';
import { WorkerPool } from './worker-pool';

export {
  DJL_PROFILES,
  DEFAULT_DJL_OPTIONS,
  type DjlCostModel,
  type DjlFaults,
  type DjlProfileName,
  type DjlSimulatorOptions,
} from './options';
export type { DjlSimulatorStats, Histogram } from './stats';
export { simulatedEmbedding, formatFloat32Java, FLOAT_FORMATS, type FloatFormat } from './vectors';

/** A running simulator. */
export interface DjlSimulator {
  /** `http://127.0.0.1:PORT`, known at once even while a cold start keeps the port closed. */
  readonly url: string;
  /** `${url}/predictions/${modelName}`: what goes into CPU_BACKENDS. */
  readonly predictionsUrl: string;
  readonly port: number;
  /** The options in force, defaults filled in (faults as at start; see `faults`). */
  readonly options: DjlSimulatorOptions;
  /** The faults in force now. */
  readonly faults: DjlFaults;
  /** A snapshot of the counters. */
  readonly stats: DjlSimulatorStats;
  /** Zeroes the counters (gauges such as inFlight keep their current values). */
  resetStats(): void;
  /** Changes faults from now on; throws a RangeError listing every bad value. */
  setFaults(faults: Partial<DjlFaults>): void;
  /** Resolves once the model is loaded and predictions are served; rejects on crash or close. */
  whenReady(): Promise<void>;
  /** Ends a cold start now instead of at `coldStartMs`, so a test decides when it ends; resolves when ready. */
  endColdStart(): Promise<void>;
  /** A killed container: every socket destroyed at once, the port closed, queued work dropped. */
  crash(): void;
  /** Starts again on the same port, cold start included, like a restarted container. */
  restart(): Promise<void>;
  /** Closes the port and every socket; safe to call more than once. */
  close(): Promise<void>;
}

type Phase = 'loading' | 'ready' | 'down' | 'closed';

interface Readiness {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}


function createReadiness(): Readiness {
  let resolve = (): void => undefined;
  let reject = (_error: Error): void => undefined;
  const promise = new Promise<void>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  // Nobody has to wait for readiness; a crash must not become an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** Binds and releases an ephemeral port so a cold-starting simulator can announce it early. */
async function reservePort(host: string): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, host, resolve);
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

class SimulatedDjlServer implements DjlSimulator {
  readonly options: DjlSimulatorOptions;
  private currentFaults: DjlFaults;
  private readonly recorder = new StatsRecorder();
  private readonly handler: DjlRequestHandler;
  private readonly sockets = new Set<Socket>();
  private phase: Phase = 'down';
  private server: Server | undefined;
  private pool: WorkerPool<Prediction>;
  private readiness = createReadiness();
  private bootTimer: NodeJS.Timeout | undefined;
  /** What the boot timer will do when it fires, while a cold start is under way. */
  private bootEnd: (() => void) | undefined;
  /** Bumped by every crash, so callbacks of an earlier life do nothing. */
  private generation = 0;
  private closing: Promise<void> | undefined;

  constructor(
    options: DjlSimulatorOptions,
    /** 0 until the first bind picks a port; every restart binds the same one. */
    private boundPort: number,
  ) {
    this.options = options;
    this.currentFaults = options;
    this.handler = new DjlRequestHandler({
      options,
      recorder: this.recorder,
      faults: () => this.currentFaults,
      isReady: () => this.phase === 'ready',
      submit: (prediction) => this.pool.submit(prediction),
      queueDepth: () => this.pool.queueDepth,
    });
    this.pool = this.createPool();
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `http://${this.options.host}:${this.port}`;
  }

  get predictionsUrl(): string {
    return `${this.url}/predictions/${this.options.modelName}`;
  }

  get faults(): DjlFaults {
    const { errorRate, hangRate, badTextMarker, unhealthy } = this.currentFaults;
    return { errorRate, hangRate, badTextMarker, unhealthy };
  }

  get stats(): DjlSimulatorStats {
    return this.recorder.snapshot({ queued: this.pool.queueDepth, busyWorkers: this.pool.busyWorkers });
  }

  resetStats(): void {
    this.recorder.reset();
  }

  setFaults(faults: Partial<DjlFaults>): void {
    const problems = faultProblems(faults);
    if (problems.length > 0) throw new RangeError(`Invalid faults:\n  ${problems.join('\n  ')}`);
    const defined = Object.entries(faults).filter(([, value]) => value !== undefined);
    this.currentFaults = { ...this.currentFaults, ...Object.fromEntries(defined) };
  }

  whenReady(): Promise<void> {
    return this.readiness.promise;
  }

  /** Cold start: with waitModelLoading the port stays closed; without, /ping says PENDING. */
  async boot(): Promise<void> {
    const generation = this.generation;
    this.phase = 'loading';
    this.readiness = createReadiness();
    this.pool = this.createPool();
    const { coldStartMs, waitModelLoading } = this.options;
    if (coldStartMs > 0 && waitModelLoading) {
      this.bootEnd = () => {
        this.listen(generation).then(
          () => this.markReady(generation),
          (error: Error) => this.readiness.reject(error),
        );
      };
      this.bootTimer = setTimeout(() => this.finishBoot(), coldStartMs);
      return;
    }
    await this.listen(generation);
    if (coldStartMs > 0) {
      this.bootEnd = () => this.markReady(generation);
      this.bootTimer = setTimeout(() => this.finishBoot(), coldStartMs);
    } else {
      this.markReady(generation);
    }
  }

  endColdStart(): Promise<void> {
    this.finishBoot();
    return this.whenReady();
  }

  /** Ends the cold start now (its timer, or a test): the model is loaded. */
  private finishBoot(): void {
    clearTimeout(this.bootTimer);
    const end = this.bootEnd;
    this.bootEnd = undefined;
    end?.();
  }

  crash(): void {
    if (this.phase === 'closed') return;
    void this.teardown('down');
  }

  async restart(): Promise<void> {
    if (this.phase === 'closed') throw new Error('the simulator is closed; start a new one');
    if (this.phase !== 'down') await this.teardown('down');
    await this.boot();
  }

  close(): Promise<void> {
    this.closing ??= this.teardown('closed');
    return this.closing;
  }

  private markReady(generation: number): void {
    if (generation !== this.generation) return;
    this.phase = 'ready';
    this.readiness.resolve();
  }

  private async teardown(phase: Phase): Promise<void> {
    this.generation++;
    this.phase = phase;
    clearTimeout(this.bootTimer);
    this.bootEnd = undefined;
    this.pool.stop();
    this.readiness.reject(new Error(`DJL simulator on port ${this.port} ${phase === 'closed' ? 'closed' : 'crashed'}`));
    const server = this.server;
    this.server = undefined;
    // Wait for every socket's close so the stats (inFlight) are settled when close() resolves.
    const closed: Promise<unknown>[] = [...this.sockets].map((socket) => once(socket, 'close'));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server?.listening) closed.push(new Promise<void>((resolve) => server.close(() => resolve())));
    await Promise.all(closed);
  }

  private createPool(): WorkerPool<Prediction> {
    const { workers, jobQueueSize, serverBatchSize, maxBatchDelayMs } = this.options;
    return new WorkerPool<Prediction>(
      { workers, queueCapacity: jobQueueSize, batchSize: serverBatchSize, maxBatchDelayMs },
      { startJob: (batch) => this.handler.startJob(batch) },
    );
  }

  private async listen(generation: number): Promise<void> {
    const server = createServer((req, res) => this.handler.handle(req, res));
    // Netty keeps idle keep-alive connections open; Node's 5 s default would reset pooled ones.
    server.keepAliveTimeout = 0;
    server.requestTimeout = 0;
    server.on('connection', (socket: Socket) => {
      this.recorder.connections++;
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('clientError', (_error, socket: Socket) => {
      this.recorder.recordError(HTTP_STATUS.badRequest);
      writeMalformed(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (server.address() as AddressInfo).port;
    if (generation !== this.generation) {
      server.close();
      return;
    }
    this.server = server;
  }

}

/**
 * Starts a DJL Serving simulator on its loopback `host` (127.0.0.1 by default). Resolves once the port is bound, or at once when a
 * cold start keeps it closed (`url` is already valid then; see `whenReady()`). Throws a RangeError
 * listing every bad option.
 */
export async function startDjlSimulator(options: Partial<DjlSimulatorOptions> = {}): Promise<DjlSimulator> {
  const resolved = resolveDjlOptions(options);
  const delaysBinding = resolved.coldStartMs > 0 && resolved.waitModelLoading;
  // A port must be known before it is bound, so reserve one (bind, then release) for a cold start.
  const port = resolved.port === 0 && delaysBinding ? await reservePort(resolved.host) : resolved.port;
  const simulator = new SimulatedDjlServer(resolved, port);
  await simulator.boot();
  return simulator;
}
