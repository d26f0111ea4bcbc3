/**
 * A loopback server speaking the Lambda Invoke API (REST JSON: `POST
 * /2015-03-31/functions/{name}/invocations?Qualifier=...`, the payload as the body; errors as a
 * status with `x-amzn-ErrorType` and a JSON body; a function's failure as a 200 with
 * `X-Amz-Function-Error`), so tests drive the real @aws-sdk/client-lambda. The test decides each
 * answer with `answer`; every invoke is logged.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Distinctive on purpose: tests assert that error messages never contain them. */
export const LAMBDA_TEST_CREDENTIALS = { accessKeyId: 'AKIDFAKELAMBDATEST', secretAccessKey: 'fake-lambda-secret-never-log' } as const;

export interface FakeInvoke {
  readonly functionName: string;
  readonly qualifier: string | null;
  readonly invocationType: string | undefined;
  readonly authorization: string | undefined;
  readonly payload: unknown;
  readonly bytes: number;
}

export interface FakeLambdaAnswer {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** Never answers (a hung invoke), until the server closes. */
  readonly hang?: boolean;
}

export interface FakeLambda {
  readonly endpoint: string;
  readonly invokes: FakeInvoke[];
  close(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/(?<name>[^/]+)\/invocations$/;

/** Starts the fake on 127.0.0.1, port 0; `answer` decides each invoke's answer. */
export async function startFakeLambda(answer: (invoke: FakeInvoke) => FakeLambdaAnswer | Promise<FakeLambdaAnswer>): Promise<FakeLambda> {
  const invokes: FakeInvoke[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const url = new URL(request.url ?? '/', 'http://fake');
        const match = INVOKE_PATH.exec(url.pathname);
        if (request.method !== 'POST' || match?.groups?.name === undefined) {
          response.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'UnknownOperationException' }).end('{}');
          return;
        }
        const body = Buffer.concat(chunks);
        const invoke: FakeInvoke = {
          functionName: decodeURIComponent(match.groups.name),
          qualifier: url.searchParams.get('Qualifier'),
          invocationType: request.headers['x-amz-invocation-type'] as string | undefined,
          authorization: request.headers.authorization,
          payload: JSON.parse(body.toString('utf8')) as unknown,
          bytes: body.byteLength,
        };
        invokes.push(invoke);
        const reply = await answer(invoke);
        if (reply.hang === true) return;
        const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        response.writeHead(reply.status ?? 200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST', ...reply.headers }).end(text);
      })();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    invokes,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
