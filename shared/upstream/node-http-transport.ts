/**
 * HttpTransport over `node:http` / `node:https` with keep-alive agents: the Lambda handlers'
 * transport. Nothing is bundled (the modules are Node's own, compiled into its binary) and the
 * first request is cheap: `npm run bench:bundle` times import plus first request, where Node's
 * built-in `fetch` spends about 30 ms loading its internal undici on first use. Long-lived
 * servers keep undici's pools (undici-transport.ts), which are faster under many concurrent calls.
 *
 * The modules are fetched on the first request, not imported: an ESM import of a built-in builds
 * a facade over all its exports at init, and a handler whose first request fails validation never
 * needs them.
 */
import type { Agent, AgentOptions, ClientRequest, IncomingHttpHeaders, IncomingMessage, RequestOptions } from 'node:http';
import { BoundedBody } from './bounded-body';
import { withinCallBudget } from './call-budget';
import type { HttpTransport, TransportRequest, TransportResponse } from './transport';

/** What {@link createNodeHttpTransport} accepts. */
export interface NodeHttpTransportOptions {
  /**
   * How long an idle keep-alive socket is kept. A frozen Lambda environment may find its sockets
   * closed by the backend when it thaws; such a reused socket fails as `reset`, which the
   * dispatcher retries on a fresh one.
   */
  readonly keepAliveTimeoutMs?: number;
}

// DJL (Netty) keeps idle connections open; 30 s matches undici-transport's default.
const DEFAULT_KEEP_ALIVE_MS = 30_000;

type Scheme = 'http:' | 'https:';

/** What this transport uses of node:http and node:https alike. */
interface HttpModule {
  readonly request: (url: URL, options: RequestOptions) => ClientRequest;
  readonly Agent: new (options: AgentOptions) => Agent;
}

/** Creates an HttpTransport over node:http and node:https, one keep-alive agent per scheme. */
export function createNodeHttpTransport(options: NodeHttpTransportOptions = {}): HttpTransport {
  const agents = new Map<Scheme, Agent>();
  const keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_MS;
  const clientFor = (scheme: Scheme): { module: HttpModule; agent: Agent } => {
    const module: HttpModule = scheme === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http');
    let agent = agents.get(scheme);
    if (agent === undefined) {
      // `timeout` closes sockets idle that long, whether they wait in the pool or not.
      agent = new module.Agent({ keepAlive: true, timeout: keepAliveTimeoutMs });
      agents.set(scheme, agent);
    }
    return { module, agent };
  };

  function request(req: TransportRequest): Promise<TransportResponse> {
    let call: ClientRequest | undefined;
    const cancel = (): void => void call?.destroy(new Error('the call was cancelled'));
    return withinCallBudget(req, cancel, () => new Promise<TransportResponse>((resolve, reject) => {
      // Backend URLs come from configuration and discovery, never from clients.
      const url = new URL(req.url);
      const { module, agent } = clientFor(url.protocol === 'https:' ? 'https:' : 'http:');
      const headers = { ...req.headers, ...(req.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(req.body)) }) };
      call = module.request(url, { method: req.method, headers, agent });
      call.on('error', reject);
      call.on('response', (response: IncomingMessage) => {
        const status = response.statusCode ?? 0;
        const body = new BoundedBody(status, req.maxResponseBytes);
        const settle = (): void => {
          const failure = body.failure();
          if (failure === undefined) resolve({ status, headers: flattenHeaders(response.headers), body: body.text() });
          else reject(failure);
        };
        response.on('data', (chunk: Buffer) => {
          if (body.add(chunk)) return;
          // Past the cap: settle with what the cap allows and close the socket, reading no further.
          settle();
          response.destroy();
        });
        response.on('end', settle);
        response.on('error', reject);
        // A socket lost mid-body closes the response without `end`.
        response.on('close', () => {
          if (!response.complete) reject(Object.assign(new Error('the backend closed the connection mid-answer'), { code: 'ECONNRESET' }));
        });
      });
      call.end(req.body);
    }));
  }

  return {
    request,
    close: async () => {
      for (const agent of agents.values()) agent.destroy();
      agents.clear();
    },
  };
}

/** Headers as a plain object with lower-case names (Node's already are); repeats joined as fetch joins them. */
function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}
