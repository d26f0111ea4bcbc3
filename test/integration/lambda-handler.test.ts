/**
 * The deployable Lambda handler module (functions/embed/handler.ts), configured from the
 * environment like on AWS, fed real-shaped API Gateway v2, Function URL and v1 events, in front of
 * a simulated DJL instance.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeFloat32Base64 } from '../../shared/dialects/vector-encoding';
import { apiGatewayV1Event, apiGatewayV2Event, type EventOptions, functionUrlEvent, lambdaContext } from '../../tools/fixtures/lambda-events';
import { DJL_PROFILES, type DjlSimulator, simulatedEmbedding, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

interface LambdaResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}
type Handler = (event: unknown, context: unknown) => Promise<LambdaResult>;

describe('Lambda handler', () => {
  let sim: DjlSimulator;
  let handler: Handler;
  /** The EMF lines the handler wrote to stdout (CloudWatch reads them from there). */
  const emfLines: Record<string, unknown>[] = [];
  let invocations = 0;
  const stdoutWrite = process.stdout.write.bind(process.stdout);

  before(async () => {
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    // Each test file runs in its own process, so the environment is ours to set, as Lambda sets it.
    process.env.CPU_BACKENDS = sim.predictionsUrl;
    process.env.LOG_LEVEL = 'silent';
    process.env.MAX_BODY_BYTES = '4096';
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'embed-test';
    // Keep EMF lines apart from the test runner's own output on stdout.
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = chunk.toString();
      if (text.startsWith('{"_aws"')) {
        emfLines.push(JSON.parse(text) as Record<string, unknown>);
        return true;
      }
      return (stdoutWrite as (...args: unknown[]) => boolean)(chunk, ...rest);
    });
    ({ handler } = (await import('../../functions/embed/handler')) as unknown as { handler: Handler });
  });
  after(() => {
    process.stdout.write = stdoutWrite;
    return sim.close();
  });

  const invoke = async (event: Record<string, unknown>) => {
    invocations++;
    const result = await handler(event, lambdaContext());
    const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString() : result.body;
    return { ...result, json: body === '' ? undefined : JSON.parse(body) };
  };
  const jsonPost = (path: string, body: unknown, extra: Partial<EventOptions> = {}): EventOptions => ({
    method: 'POST', path, body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, ...extra,
  });

  test('API Gateway v2: POST /v1/embeddings with base64 encoding', async () => {
    const result = await invoke(apiGatewayV2Event(jsonPost('/v1/embeddings', { input: ['a', 'b'], model: 'm', encoding_format: 'base64' })));
    assert.equal(result.statusCode, 200);
    assert.equal(result.headers['content-type'], 'application/json');
    assert.deepEqual(decodeFloat32Base64(result.json.data[1].embedding), simulatedEmbedding('b', 384));
    assert.ok(result.headers['x-request-id']);
  });

  test('API Gateway v2: a base64-encoded plain-text DJL body gets a flat vector', async () => {
    const result = await invoke(apiGatewayV2Event({
      method: 'POST', path: '/predictions/all-MiniLM-L6-v2', body: 'plain text', base64: true,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    }));
    assert.equal(result.statusCode, 200);
    assert.deepEqual(result.json, simulatedEmbedding('plain text', 384));
  });

  test('API Gateway v2: query strings reach the app (/invocations?model_name=)', async () => {
    const ok = await invoke(apiGatewayV2Event(jsonPost('/invocations', ['q'], { query: 'model_name=all_MiniLM_L6_v2' })));
    assert.equal(ok.statusCode, 200);
    const unknown = await invoke(apiGatewayV2Event(jsonPost('/invocations', ['q'], { query: 'model_name=other' })));
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json.type, 'ModelNotFoundException');
  });

  test('Function URL: POST /embed', async () => {
    const result = await invoke(functionUrlEvent(jsonPost('/embed', { inputs: 'x' })));
    assert.equal(result.statusCode, 200);
    assert.deepEqual(result.json, [simulatedEmbedding('x', 384)]);
  });

  test('REST API v1: POST /embed', async () => {
    const result = await invoke(apiGatewayV1Event(jsonPost('/embed', { inputs: ['y'] })));
    assert.equal(result.statusCode, 200);
    assert.deepEqual(result.json, [simulatedEmbedding('y', 384)]);
  });

  test('bad input and oversized bodies get dialect errors, not crashes', async () => {
    const bad = await invoke(apiGatewayV2Event(jsonPost('/v1/embeddings', { input: [], model: 'm' })));
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json.error.code, 'empty_input');
    const big = await invoke(apiGatewayV2Event(jsonPost('/embed', { inputs: 'x'.repeat(5000) })));
    assert.equal(big.statusCode, 413);
    assert.equal(big.json.error_type, 'Validation');
  });

  test('GET /ping and /health (which tiers can serve, probed on demand: no background probes here)', async () => {
    const ping = await invoke(apiGatewayV2Event({ method: 'GET', path: '/ping' }));
    assert.equal(ping.statusCode, 200);
    assert.deepEqual(ping.json, { all_MiniLM_L6_v2: { status: 'Healthy' } });
    const health = await invoke(apiGatewayV2Event({ method: 'GET', path: '/health' }));
    assert.equal(health.statusCode, 200);
    assert.equal(health.headers['content-type'], 'application/json');
    assert.deepEqual(health.json, { status: 'ok', tiers: { cpu: { ready: 1, endpoints: 1 }, gpu: { ready: 0, endpoints: 0 } } });
  });

  test('POST /warmup says the warm-up is its own function on Lambda', async () => {
    const result = await invoke(apiGatewayV2Event(jsonPost('/warmup', { dry_run: true })));
    assert.equal(result.statusCode, 404);
    assert.match(result.json.error, /no POST \/warmup on this runtime \(aws-lambda\): on AWS Lambda the warm-up is its own function \(functions\/warmup\/handler\.ts\)/);
  });

  test('metrics leave as CloudWatch EMF lines: one per invocation, and the cold start once per environment', async () => {
    // Texts no earlier test sent: the environment's in-process cache (on by default) would answer those.
    const result = await invoke(apiGatewayV2Event(jsonPost('/embed', { inputs: ['emf x', 'emf y'] })));
    assert.equal(result.statusCode, 200);
    assert.equal(result.headers['x-embed-tier'], 'cpu');
    assert.equal(result.headers['x-embed-cache'], 'miss');
    assert.match(result.headers['server-timing'] ?? '', /queue;dur=/);
    const coldStarts = emfLines.filter((line) => 'ColdStart' in line);
    assert.equal(coldStarts.length, 1);
    assert.equal(coldStarts[0]?.ColdStart, 1);
    assert.equal(coldStarts[0]?.InitializationType, 'on-demand');
    assert.equal(coldStarts[0]?.FunctionName, 'embed-test');
    assert.ok(typeof coldStarts[0]?.InitDuration === 'number');
    const requests = emfLines.filter((line) => 'RequestLatency' in line);
    assert.equal(requests.length, invocations);
    const last = requests.at(-1) as Record<string, unknown>;
    assert.equal(last.Tier, 'cpu');
    assert.equal(last.UpstreamCalls, 1);
    assert.equal(last.Route, '/embed');
    assert.equal(last.CacheMisses, 2);
    assert.equal(last.CacheHits, 0);
    // A repeat is answered by the environment's cache, with no upstream call.
    const again = await invoke(apiGatewayV2Event(jsonPost('/embed', { inputs: ['emf y', 'emf x'] })));
    assert.equal(again.headers['x-embed-cache'], 'hit');
    const repeat = emfLines.filter((line) => 'RequestLatency' in line).at(-1) as Record<string, unknown>;
    assert.equal(repeat.CacheHits, 2);
    assert.equal(repeat.UpstreamCalls, 0);
    // Never a text or a request id.
    assert.ok(!JSON.stringify(emfLines).includes(result.headers['x-request-id'] as string));
  });

  test('GET /metrics explains that metrics are EMF lines on Lambda', async () => {
    const result = await invoke(apiGatewayV2Event({ method: 'GET', path: '/metrics' }));
    assert.equal(result.statusCode, 404);
    assert.match(JSON.stringify(result.json), /Embedded Metric Format/);
  });
});
