/**
 * The one place the Lambda SDK is called: a synchronous (RequestResponse) Invoke of the worker.
 * `@aws-sdk/client-lambda` is loaded with import() on the first invoke, so no runtime pays for it
 * unless a `lambda://` entry is configured (`npm run bench:bundle`, test/unit/lambda-bundle.test.ts).
 * One client per entry, for the process: its keep-alive sockets are the invokes' connections.
 */
import type { LambdaBackendSpec } from '../config/backends';

/** What an invoke answered: Lambda's status, the function error kind if any, the payload. */
export interface InvokeResult {
  readonly statusCode: number | undefined;
  /** `Unhandled` or `Handled` when the function failed (X-Amz-Function-Error). */
  readonly functionError: string | undefined;
  readonly payload: Uint8Array | undefined;
}

/** Invokes the worker with a JSON payload; rejects with the SDK's error. */
export type LambdaInvoke = (payload: string, signal: AbortSignal) => Promise<InvokeResult>;

/** What tests set explicitly instead of through the SDK's environment chain. */
export interface LambdaClientOverrides {
  readonly endpoint?: string;
  readonly region?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * A LambdaInvoke over the real SDK. The SDK's own retries are off (maxAttempts 1): the dispatcher
 * retries, within its budget and on another endpoint when it can. The region and credentials
 * come from the SDK's chain (AWS_REGION, the role), the endpoint from AWS_ENDPOINT_URL_LAMBDA when
 * set (serverless-offline in the tests); an ARN's region wins over AWS_REGION.
 */
export function createSdkLambdaInvoke(spec: LambdaBackendSpec, overrides: LambdaClientOverrides = {}): LambdaInvoke {
  let client: Promise<{ send: (payload: string, signal: AbortSignal) => Promise<InvokeResult> }> | undefined;
  const load = async () => {
    const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda');
    // As many sockets as invokes in flight: a synchronous invoke holds its connection throughout.
    const agent = { keepAlive: true, maxSockets: spec.concurrency };
    const lambda = new LambdaClient({
      maxAttempts: 1,
      ...(spec.region === undefined ? {} : { region: spec.region }),
      ...overrides,
      requestHandler: { httpAgent: agent, httpsAgent: agent },
    });
    return {
      send: async (payload: string, signal: AbortSignal): Promise<InvokeResult> => {
        const output = await lambda.send(new InvokeCommand({
          FunctionName: spec.functionName,
          ...(spec.qualifier === undefined ? {} : { Qualifier: spec.qualifier }),
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(payload),
        }), { abortSignal: signal });
        return { statusCode: output.StatusCode, functionError: output.FunctionError, payload: output.Payload };
      },
    };
  };
  return async (payload, signal) => {
    client ??= load();
    // A failed load (the SDK missing from the artifact) is tried again on the next invoke.
    client.catch(() => { client = undefined; });
    return (await client).send(payload, signal);
  };
}
