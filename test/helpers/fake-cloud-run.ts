/**
 * A loopback Cloud Run Admin API v2 (REST) that the real `v2.ServicesClient` talks to in fallback
 * mode: `GET .../services/S` and `PATCH .../services/S?updateMask=...` (answered with an operation
 * that is already done, so `operation.promise()` resolves without polling). The test owns the
 * services map, reads the call log to check idempotence, and queues faults with `failNext`.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { v2 } from '@google-cloud/run';
import { OAuth2Client } from 'google-auth-library';

/** A Cloud Run service as the REST API spells it (camelCase JSON); only the fields we use. */
export interface FakeService {
  name: string;
  /** Changes with every update; an update carrying another etag is refused (409 ABORTED), as Cloud Run does. */
  etag?: string;
  uri?: string;
  annotations?: Record<string, string>;
  scaling?: { minInstanceCount?: number };
  template?: {
    scaling?: { minInstanceCount?: number; maxInstanceCount?: number };
    maxInstanceRequestConcurrency?: number;
  };
}

export interface FakeCloudRunCall {
  readonly method: string;
  /** The URL path, e.g. `/v2/projects/p/locations/l/services/s`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The parsed JSON body, undefined when there was none. */
  readonly body: unknown;
}

/** An error answer: the HTTP status and the google.rpc status name in Google's error body. */
export interface FakeCloudRunFault {
  readonly httpStatus: number;
  readonly status: string;
  readonly message?: string;
}

export const CloudRunFault = {
  notFound: { httpStatus: 404, status: 'NOT_FOUND' },
  throttled: { httpStatus: 429, status: 'RESOURCE_EXHAUSTED' },
  internal: { httpStatus: 500, status: 'INTERNAL' },
  permissionDenied: { httpStatus: 403, status: 'PERMISSION_DENIED' },
} as const satisfies Record<string, FakeCloudRunFault>;

const SERVICE_PATH = /^\/v2\/(projects\/[^/]+\/locations\/[^/]+\/services\/[^/]+)$/;
const OPERATION_PATH = /^\/v2\/(projects\/[^/]+\/locations\/[^/]+\/operations\/[^/]+)$/;
const SERVICE_TYPE_URL = 'type.googleapis.com/google.cloud.run.v2.Service';
/** Far enough ahead that google-auth-library never tries to refresh the test token. */
const TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000;
/** Retry delays for the test client: the shipped config waits 1 s before retrying UNAVAILABLE. */
const TEST_RETRY_DELAY_MS = 5;
const TEST_RETRY_TOTAL_MS = 2_000;

export class FakeCloudRun {
  /** Services by full name (`projects/p/locations/l/services/s`); the test edits them freely. */
  readonly services = new Map<string, FakeService>();
  readonly calls: FakeCloudRunCall[] = [];
  /**
   * How many polls (`GET .../operations/ID`) an update's operation takes: 0 answers the PATCH with
   * a done operation (what `operation.promise()` resolves at once); N answers it running, and the
   * Nth poll answers done.
   */
  pollsUntilDone = 0;
  /** When set, the next PATCH finds the service changed since the client read it (its etag moved). */
  changeBeforeNextPatch = false;
  private readonly faults: { fault: FakeCloudRunFault; method: string | undefined }[] = [];
  private readonly operationFailures: { code: number; message: string }[] = [];
  private readonly operations = new Map<string, { pollsLeft: number; result: Record<string, unknown> }>();
  private operationCount = 0;

  private constructor(private readonly server: Server) {}

  /** Listens on 127.0.0.1, port 0. */
  static async start(): Promise<FakeCloudRun> {
    const server = createServer((req, res) => {
      fake.handle(req, res).catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
    });
    const fake = new FakeCloudRun(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Adds or replaces a service (a copy, so later test edits go through `services`). */
  put(service: FakeService): void {
    this.services.set(service.name, structuredClone(service));
  }

  /** The next `count` calls (of `method` only, when given) answer `fault` instead of doing anything. */
  failNext(count: number, fault: FakeCloudRunFault, method?: 'GET' | 'PATCH'): void {
    for (let i = 0; i < count; i += 1) this.faults.push({ fault, method });
  }

  /** Back to no services, no calls, no pending faults, operations done at once. */
  reset(): void {
    this.services.clear();
    this.calls.length = 0;
    this.faults.length = 0;
    this.operationFailures.length = 0;
    this.pollsUntilDone = 0;
  }

  /**
   * The next update is accepted (HTTP 200) but its operation ends in this google.rpc error
   * (e.g. code 9 FAILED_PRECONDITION) and the service is left unchanged.
   */
  failNextOperation(code: number, message: string): void {
    this.operationFailures.push({ code, message });
  }

  /** Calls with this HTTP method, e.g. `PATCH`. */
  callsOf(method: string): FakeCloudRunCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** The real client in REST fallback mode, pointed here, with a static test token and fast retries. */
  createClient(): v2.ServicesClient {
    const authClient = new OAuth2Client();
    authClient.setCredentials({ access_token: 'test', expiry_date: Date.now() + TOKEN_LIFETIME_MS });
    const fastRetries = {
      initial_retry_delay_millis: TEST_RETRY_DELAY_MS,
      retry_delay_multiplier: 1,
      max_retry_delay_millis: TEST_RETRY_DELAY_MS,
      initial_rpc_timeout_millis: TEST_RETRY_TOTAL_MS,
      rpc_timeout_multiplier: 1,
      max_rpc_timeout_millis: TEST_RETRY_TOTAL_MS,
      total_timeout_millis: TEST_RETRY_TOTAL_MS,
    };
    return new v2.ServicesClient({
      fallback: true,
      apiEndpoint: '127.0.0.1',
      port: this.port,
      protocol: 'http',
      authClient,
      clientConfig: {
        interfaces: {
          'google.cloud.run.v2.Services': {
            // Only GetService retries (UNAVAILABLE); updates are non-idempotent and never retried.
            retry_codes: { unavailable: ['UNAVAILABLE'] },
            retry_params: { fast: fastRetries },
            methods: { GetService: { retry_codes_name: 'unavailable', retry_params_name: 'fast' } },
          },
        },
      },
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const text = await readBody(req);
    const body: unknown = text === '' ? undefined : JSON.parse(text);
    const method = req.method ?? 'GET';
    this.calls.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), body });

    const faultAt = this.faults.findIndex((entry) => entry.method === undefined || entry.method === method);
    const [fault] = faultAt < 0 ? [] : this.faults.splice(faultAt, 1);
    if (fault !== undefined) return sendError(res, fault.fault);

    const operationName = OPERATION_PATH.exec(url.pathname)?.[1];
    if (method === 'GET' && operationName !== undefined) return this.poll(res, operationName);

    const name = SERVICE_PATH.exec(url.pathname)?.[1];
    const service = name === undefined ? undefined : this.services.get(name);
    if (name === undefined || service === undefined) {
      return sendError(res, { ...CloudRunFault.notFound, message: `Service ${name ?? url.pathname} not found.` });
    }
    if (method === 'GET') return sendJson(res, 200, service);
    if (method === 'PATCH') {
      if (this.changeBeforeNextPatch) {
        // Someone else's update lands between the client's read and its write.
        this.changeBeforeNextPatch = false;
        service.etag = `"changed-${this.operationCount}"`;
      }
      const sentEtag = isRecord(body) && typeof body['etag'] === 'string' ? body['etag'] : undefined;
      if (sentEtag !== undefined && service.etag !== undefined && sentEtag !== service.etag) {
        return sendError(res, { httpStatus: 409, status: 'ABORTED', message: 'The service was modified concurrently: the etag does not match.' });
      }
      this.operationCount += 1;
      const location = name.split('/services/')[0] ?? name;
      const opName = `${location}/operations/op-${this.operationCount}`;
      const failure = this.operationFailures.shift();
      let result: Record<string, unknown>;
      if (failure === undefined) {
        const paths = (url.searchParams.get('updateMask') ?? '').split(',').filter((path) => path !== '');
        for (const path of paths) applyMaskedField(service, body, path);
        if (service.etag !== undefined) service.etag = `"v${this.operationCount}"`;
        result = { response: { '@type': SERVICE_TYPE_URL, ...structuredClone(service) } };
      } else {
        result = { error: failure };
      }
      this.operations.set(opName, { pollsLeft: this.pollsUntilDone, result });
      return this.poll(res, opName, false);
    }
    return sendError(res, { httpStatus: 501, status: 'UNIMPLEMENTED', message: `${method} not supported by the fake` });
  }

  /** Answers an operation: done with its result, or still running (each poll counts down). */
  private poll(res: ServerResponse, opName: string, isPoll = true): void {
    const operation = this.operations.get(opName);
    if (operation === undefined) return sendError(res, { ...CloudRunFault.notFound, message: `Operation ${opName} not found.` });
    if (isPoll) operation.pollsLeft -= 1;
    if (operation.pollsLeft > 0) return sendJson(res, 200, { name: opName, done: false });
    return sendJson(res, 200, { name: opName, done: true, ...operation.result });
  }
}

/** `scaling.min_instance_count` (the mask's proto spelling) to the JSON path `scaling.minInstanceCount`. */
function jsonPath(maskPath: string): string[] {
  return maskPath.split('.').map((part) => part.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase()));
}

/** Field-mask semantics: a masked field absent from the body is cleared. */
function applyMaskedField(service: FakeService, body: unknown, maskPath: string): void {
  const parts = jsonPath(maskPath);
  const last = parts.pop();
  if (last === undefined) return;
  let source: unknown = body;
  let target = service as unknown as Record<string, unknown>;
  for (const part of parts) {
    source = isRecord(source) ? source[part] : undefined;
    const next = target[part];
    if (!isRecord(next)) target[part] = {};
    target = target[part] as Record<string, unknown>;
  }
  const value = isRecord(source) ? source[last] : undefined;
  if (value === undefined) delete target[last];
  else target[last] = structuredClone(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
}

function sendError(res: ServerResponse, fault: FakeCloudRunFault): void {
  const message = fault.message ?? `fake ${fault.status}`;
  sendJson(res, fault.httpStatus, { error: { code: fault.httpStatus, message, status: fault.status } });
}
