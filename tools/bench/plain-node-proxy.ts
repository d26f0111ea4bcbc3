/**
 * The floor under any Node.js hop: a reverse proxy in a few lines (a node:http server, one undici
 * keep-alive pool per instance, the instances in turn) doing none of the front door's work: no
 * parsing, checks, batching, cache or metrics. The benchmark runs it under the zero-cost workloads
 * (d) beside the front door, so what the front door adds can be told from what one more Node
 * process on the path costs on this machine, whatever it does (the event loop's wake-ups, two
 * loopback sockets, HTTP parsing twice).
 *
 * Run from its bundle (buildPlainNodeProxy in plain-node-proxy-process.ts), as the front door runs
 * from its own: `node plain-node-proxy.cjs URL,URL,...`; prints `{"event":"listening","url":...}`.
 * An instance that fails is a 502; the proxy keeps serving.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent, request } from 'undici';

const BAD_GATEWAY = 502;

async function forward(target: string, agent: Agent, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const answer = await request(target, {
    method: 'POST',
    headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
    body: Buffer.concat(chunks),
    dispatcher: agent,
  });
  const body = Buffer.from(await answer.body.arrayBuffer());
  res.writeHead(answer.statusCode, { 'content-type': String(answer.headers['content-type'] ?? 'application/json'), 'content-length': body.length });
  res.end(body);
}

function main(): void {
  const targets = (process.argv[2] ?? '').split(',').filter((url) => url !== '');
  if (targets.length === 0) throw new Error('usage: plain-node-proxy URL[,URL...]');
  // As many connections per instance as the front door opens by default (UPSTREAM_CONNECTIONS).
  const agent = new Agent({ connections: 32 });
  let next = 0;
  const server = createServer((req, res) => {
    const target = targets[next++ % targets.length] as string;
    forward(target, agent, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(BAD_GATEWAY);
      res.end();
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    console.log(JSON.stringify({ event: 'listening', url: `http://127.0.0.1:${port}` }));
  });
}

main();
