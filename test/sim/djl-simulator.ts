/**
 * A DJL Serving stand-in for tests and benchmarks: the real HTTP behaviour
 * (shared/reference/djl-serving.md), a worker pool that costs what a CPU or GPU instance costs,
 * cold starts, and faults that can be switched on while it runs.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import {
  DJL_ERROR_TYPES,
  DJL_MESSAGES,
  DJL_MODEL_STATES,
  DJL_PING_STATES,
  FIRST_ERROR_STATUS,
  HTTP_STATUS,
  TOO_LARGE_HEADERS,
  djlErrorReply,
  embeddingReply,
  pingReply,
  prettyJsonReply,
  type DjlReply,
} from './djl-responses';
import { faultProblems, resolveDjlOptions, type DjlFaults, type DjlSimulatorOptions } from './options';
import { parseEmbedRequest, type ParsedEmbedRequest } from './request-body';
import { resolveDjlRoute, type ServedModel } from './routes';
import { StatsRecorder, type DjlSimulatorStats } from './stats';
import { simulatedEmbedding, vectorJson } from './vectors';
import { WorkerPool } from './worker-pool';

export { DJL_PROFILES, DEFAULT_DJL_OPTIONS, type DjlCostModel, type DjlFaults, type DjlProfileName, type DjlSimulatorOptions } from './options';
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
  /** A killed container: every socket destroyed at once, the port closed, queued work dropped. */
  crash(): void;
  /** Starts again on the same port, cold start included, like a restarted container. */
  restart(): Promise<void>;
  /** Closes the port and every socket; safe to call more than once. */
  close(): Promise<void>;
}

type Phase = 'loading' | 'ready' | 'down' | 'closed';

interface Prediction {
  readonly parsed: ParsedEmbedRequest;
  readonly res: ServerResponse;
  readonly requestId: string;
}

interface Readiness {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

const LOOPBACK = '127.0.0.1';
const REQUEST_ID_HEADER = 'x-request-id';

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
async function reservePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, LOOPBACK, resolve);
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

class SimulatedDjlServer implements DjlSimulator {
  readonly options: DjlSimulatorOptions;
  private currentFaults: DjlFaults;
  private readonly model: ServedModel;
  private readonly recorder = new StatsRecorder();
  private readonly sockets = new Set<Socket>();
  private phase: Phase = 'down';
  private server: Server | undefined;
  private pool: WorkerPool<Prediction>;
  private readiness = createReadiness();
  private bootTimer: NodeJS.Timeout | undefined;
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
    this.model = { name: options.modelName, version: options.modelVersion };
    this.pool = this.createPool();
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `http://${LOOPBACK}:${this.port}`;
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
      this.bootTimer = setTimeout(() => {
        this.listen(generation).then(
          () => this.markReady(generation),
          (error: Error) => this.readiness.reject(error),
        );
      }, coldStartMs);
      return;
    }
    await this.listen(generation);
    if (coldStartMs > 0) this.bootTimer = setTimeout(() => this.markReady(generation), coldStartMs);
    else this.markReady(generation);
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
    this.pool.stop();
    this.readiness.reject(new Error(`DJL simulator on port ${this.port} ${phase === 'closed' ? 'closed' : 'crashed'}`));
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private createPool(): WorkerPool<Prediction> {
    const { workers, jobQueueSize, serverBatchSize, maxBatchDelayMs } = this.options;
    return new WorkerPool<Prediction>(
      { workers, queueCapacity: jobQueueSize, batchSize: serverBatchSize, maxBatchDelayMs },
      { startJob: (batch) => this.startJob(batch) },
    );
  }

  private async listen(generation: number): Promise<void> {
    const server = createServer((req, res) => this.onRequest(req, res));
    // Netty keeps idle keep-alive connections open; Node's 5 s default would reset pooled ones.
    server.keepAliveTimeout = 0;
    server.requestTimeout = 0;
    server.on('connection', (socket: Socket) => {
      this.recorder.connections++;
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('clientError', (_error, socket: Socket) => this.rejectMalformed(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, LOOPBACK, () => {
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

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    res.sendDate = false;
    const requestId = firstHeader(req.headers[REQUEST_ID_HEADER]) ?? randomUUID();
    const limit = this.options.maxRequestSize;
    if (Number(req.headers['content-length']) > limit) {
      this.rejectTooLarge(res);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.removeAllListeners('end');
        this.rejectTooLarge(res);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => this.route(req, res, requestId, Buffer.concat(chunks, size)));
  }

  private route(req: IncomingMessage, res: ServerResponse, requestId: string, body: Buffer): void {
    const route = resolveDjlRoute(this.model, req.method ?? 'GET', req.url ?? '/');
    switch (route.kind) {
      case 'ping':
        this.recorder.pings++;
        this.reply(res, requestId, this.pingReply());
        return;
      case 'listModels':
        this.reply(res, requestId, prettyJsonReply(HTTP_STATUS.ok, { models: [this.modelItem()] }));
        return;
      case 'options':
        this.reply(res, requestId, prettyJsonReply(HTTP_STATUS.ok, {}));
        return;
      case 'error':
        this.reply(res, requestId, djlErrorReply(route.status, route.type, route.message));
        return;
      case 'predict':
        this.predict(res, requestId, firstHeader(req.headers['content-type']), body);
        return;
    }
  }

  private predict(res: ServerResponse, requestId: string, contentType: string | undefined, body: Buffer): void {
    const { modelName } = this.options;
    this.recorder.requests++;
    this.recorder.openRequest();
    res.once('close', () => this.recorder.closeRequest());
    if (this.phase !== 'ready') {
      this.reply(res, requestId, djlErrorReply(HTTP_STATUS.serviceUnavailable, DJL_ERROR_TYPES.wlm, DJL_MESSAGES.notReady(modelName)));
      return;
    }
    const parsed = parseEmbedRequest(contentType, body);
    if (parsed.ok) this.recorder.recordRequestSize(parsed.texts.length);
    const { errorRate, hangRate } = this.currentFaults;
    const capacityError = djlErrorReply(HTTP_STATUS.serviceUnavailable, DJL_ERROR_TYPES.wlmCapacity, DJL_MESSAGES.capacity(modelName));
    if (errorRate > 0 && this.options.random() < errorRate) {
      this.reply(res, requestId, capacityError);
      return;
    }
    if (hangRate > 0 && this.options.random() < hangRate) {
      this.recorder.hung++;
      return;
    }
    if (!this.pool.submit({ parsed, res, requestId })) {
      this.reply(res, requestId, capacityError);
      return;
    }
    this.recorder.recordQueueDepth(this.pool.queueDepth);
  }

  /** One job: validate the whole batch like DJL's translator, then embed and time it. */
  private startJob(batch: readonly Prediction[]): { durationMs: number; finish: () => void } {
    let textCount = 0;
    for (const { parsed } of batch) if (parsed.ok) textCount += parsed.texts.length;
    const failure = this.batchFailure(batch);
    if (failure !== undefined) {
      // The translator throws before the forward pass, and the one exception fails every request.
      const reply = djlErrorReply(HTTP_STATUS.badRequest, DJL_ERROR_TYPES.translate, failure);
      return {
        durationMs: 0,
        finish: () => {
          this.recorder.recordJob(textCount, false);
          for (const { res, requestId } of batch) this.reply(res, requestId, reply);
        },
      };
    }
    const bodies = batch.map(({ parsed }) => (parsed.ok ? this.embeddingBody(parsed.texts, parsed.batch) : ''));
    const { baseMs, perItemMs } = this.options;
    return {
      durationMs: baseMs + perItemMs * textCount,
      finish: () => {
        this.recorder.recordJob(textCount, true);
        batch.forEach(({ res, requestId }, index) => this.reply(res, requestId, embeddingReply(bodies[index] ?? '')));
      },
    };
  }

  private batchFailure(batch: readonly Prediction[]): string | undefined {
    const marker = this.currentFaults.badTextMarker;
    for (const { parsed } of batch) {
      if (!parsed.ok) return parsed.message;
      if (marker !== '' && parsed.texts.some((text) => text.includes(marker))) return DJL_MESSAGES.badText(marker);
    }
    return undefined;
  }

  private embeddingBody(texts: readonly string[], batch: boolean): string {
    const { dimension, floatFormat } = this.options;
    const vectors = texts.map((text) => vectorJson(simulatedEmbedding(text, dimension), floatFormat));
    return batch ? `[${vectors.join(',')}]` : (vectors[0] ?? '[]');
  }

  private pingReply(): DjlReply {
    const { modelName, allowMultiStatus } = this.options;
    if (this.phase !== 'ready') {
      const status = allowMultiStatus ? HTTP_STATUS.multiStatus : HTTP_STATUS.ok;
      return pingReply(status, modelName, DJL_PING_STATES.pending);
    }
    const state = this.currentFaults.unhealthy ? DJL_PING_STATES.unhealthy : DJL_PING_STATES.healthy;
    return pingReply(HTTP_STATUS.ok, modelName, state);
  }

  private modelItem(): Record<string, string> {
    const { modelName, modelVersion, modelUrl } = this.options;
    const status = this.phase === 'ready' ? DJL_MODEL_STATES.ready : DJL_MODEL_STATES.pending;
    return { modelName, ...(modelVersion === undefined ? {} : { version: modelVersion }), modelUrl, status };
  }

  /** Writes a response unless the client is gone; DJL closes the connection after any error. */
  private reply(res: ServerResponse, requestId: string, reply: DjlReply): void {
    if (res.destroyed || res.writableEnded) return;
    const closes = reply.status >= FIRST_ERROR_STATUS;
    if (closes) this.recorder.recordError(reply.status);
    res.writeHead(reply.status, {
      ...reply.headers,
      'content-length': String(Buffer.byteLength(reply.body)),
      [REQUEST_ID_HEADER]: requestId,
      ...(closes ? { connection: 'close' } : {}),
    });
    res.end(reply.body);
  }

  /** Netty's HttpObjectAggregator answers before DJL sees the request: empty 413, then close. */
  private rejectTooLarge(res: ServerResponse): void {
    this.recorder.recordError(HTTP_STATUS.payloadTooLarge);
    res.writeHead(HTTP_STATUS.payloadTooLarge, TOO_LARGE_HEADERS);
    res.end();
  }

  private rejectMalformed(socket: Socket): void {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    this.recorder.recordError(HTTP_STATUS.badRequest);
    const body = djlErrorReply(HTTP_STATUS.badRequest, DJL_ERROR_TYPES.badRequest, DJL_MESSAGES.invalidHttp).body;
    socket.end(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `${REQUEST_ID_HEADER}: ${randomUUID()}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
}

/**
 * Starts a DJL Serving simulator on 127.0.0.1. Resolves once the port is bound, or at once when a
 * cold start keeps it closed (`url` is already valid then; see `whenReady()`). Throws a RangeError
 * listing every bad option.
 */
export async function startDjlSimulator(options: Partial<DjlSimulatorOptions> = {}): Promise<DjlSimulator> {
  const resolved = resolveDjlOptions(options);
  const delaysBinding = resolved.coldStartMs > 0 && resolved.waitModelLoading;
  // A port must be known before it is bound, so reserve one (bind, then release) for a cold start.
  const port = resolved.port === 0 && delaysBinding ? await reservePort() : resolved.port;
  const simulator = new SimulatedDjlServer(resolved, port);
  await simulator.boot();
  return simulator;
}
