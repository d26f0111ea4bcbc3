/**
 * One HTTP request to the simulator, start to finish: body under the size limit, DJL routing,
 * readiness and fault checks, the job queue, and the reply. The simulator owns the lifecycle
 * (port, cold start, crash); this owns what a live server does with a request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  DJL_ERROR_TYPES,
  DJL_MESSAGES,
  DJL_MODEL_STATES,
  DJL_PING_STATES,
  FIRST_ERROR_STATUS,
  HTTP_STATUS,
  djlErrorReply,
  embeddingReply,
  pingReply,
  prettyJsonReply,
  type DjlReply,
} from './djl-responses';
import { runEmbedJob } from './embed-job';
import { firstHeader, readBody, requestIdOf, writeReply, writeTooLarge } from './http-io';
import type { DjlFaults, DjlSimulatorOptions } from './options';
import { parseEmbedRequest, type ParsedEmbedRequest } from './request-body';
import { resolveDjlRoute, type ServedModel } from './routes';
import type { StatsRecorder } from './stats';

/** A prediction request waiting for, or in, a job. */
export interface Prediction {
  readonly parsed: ParsedEmbedRequest;
  readonly res: ServerResponse;
  readonly requestId: string;
}

/** What the handler needs from the simulator that owns it. */
export interface RequestHandlerContext {
  readonly options: DjlSimulatorOptions;
  readonly recorder: StatsRecorder;
  /** The faults in force now. */
  faults(): DjlFaults;
  /** True once the model has loaded. */
  isReady(): boolean;
  /** Offers a prediction to the job queue; false when it is full. */
  submit(prediction: Prediction): boolean;
  /** Requests waiting in the job queue. */
  queueDepth(): number;
}

/** Handles requests and runs jobs for one simulator. */
export class DjlRequestHandler {
  private readonly model: ServedModel;

  constructor(private readonly context: RequestHandlerContext) {
    this.model = { name: context.options.modelName, version: context.options.modelVersion };
  }

  /** The node:http request listener. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const requestId = requestIdOf(req);
    readBody(
      req,
      this.context.options.maxRequestSize,
      (body) => this.route(req, res, requestId, body),
      () => {
        this.context.recorder.recordError(HTTP_STATUS.payloadTooLarge);
        writeTooLarge(res);
      },
    );
  }

  /** One job: the whole server batch is read, embedded and timed together. */
  startJob(batch: readonly Prediction[]): { durationMs: number; finish: () => void } {
    const result = runEmbedJob(
      batch.map(({ parsed }) => parsed),
      { ...this.context.options, badTextMarker: this.context.faults().badTextMarker },
    );
    return {
      durationMs: result.durationMs,
      finish: () => {
        this.context.recorder.recordJob(result.textCount, result.ok);
        if (!result.ok) {
          const reply = djlErrorReply(HTTP_STATUS.badRequest, DJL_ERROR_TYPES.translate, result.message);
          for (const { res, requestId } of batch) this.reply(res, requestId, reply);
          return;
        }
        batch.forEach(({ res, requestId }, index) => {
          this.reply(res, requestId, embeddingReply(result.bodies[index] ?? ''));
        });
      },
    };
  }

  private route(req: IncomingMessage, res: ServerResponse, requestId: string, body: Buffer): void {
    const route = resolveDjlRoute(this.model, req.method ?? 'GET', req.url ?? '/');
    switch (route.kind) {
      case 'ping':
        this.context.recorder.pings++;
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
    const { options, recorder } = this.context;
    recorder.requests++;
    recorder.openRequest();
    res.once('close', () => recorder.closeRequest());
    if (!this.context.isReady()) {
      const message = DJL_MESSAGES.notReady(options.modelName);
      this.reply(res, requestId, djlErrorReply(HTTP_STATUS.serviceUnavailable, DJL_ERROR_TYPES.wlm, message));
      return;
    }
    // Parsed now only for the stats; DJL reads the body on the worker, and so does runEmbedJob.
    const parsed = parseEmbedRequest(contentType, body);
    if (parsed.ok) recorder.recordRequestSize(parsed.texts.length);
    const { errorRate, hangRate } = this.context.faults();
    if (errorRate > 0 && options.random() < errorRate) {
      this.reply(res, requestId, this.capacityError());
      return;
    }
    if (hangRate > 0 && options.random() < hangRate) {
      recorder.hung++;
      return;
    }
    if (!this.context.submit({ parsed, res, requestId })) {
      this.reply(res, requestId, this.capacityError());
      return;
    }
    recorder.recordQueueDepth(this.context.queueDepth());
  }

  private capacityError(): DjlReply {
    const message = DJL_MESSAGES.capacity(this.context.options.modelName);
    return djlErrorReply(HTTP_STATUS.serviceUnavailable, DJL_ERROR_TYPES.wlmCapacity, message);
  }

  private pingReply(): DjlReply {
    const { modelName, allowMultiStatus } = this.context.options;
    if (!this.context.isReady()) {
      const status = allowMultiStatus ? HTTP_STATUS.multiStatus : HTTP_STATUS.ok;
      return pingReply(status, modelName, DJL_PING_STATES.pending);
    }
    const state = this.context.faults().unhealthy ? DJL_PING_STATES.unhealthy : DJL_PING_STATES.healthy;
    return pingReply(HTTP_STATUS.ok, modelName, state);
  }

  private modelItem(): Record<string, string> {
    const { modelName, modelVersion, modelUrl } = this.context.options;
    const status = this.context.isReady() ? DJL_MODEL_STATES.ready : DJL_MODEL_STATES.pending;
    return { modelName, ...(modelVersion === undefined ? {} : { version: modelVersion }), modelUrl, status };
  }

  private reply(res: ServerResponse, requestId: string, reply: DjlReply): void {
    if (writeReply(res, requestId, reply) && reply.status >= FIRST_ERROR_STATUS) {
      this.context.recorder.recordError(reply.status);
    }
  }
}
