/**
 * Lambda's real 6 MB response limit, through the deployable handler (functions/embed/handler.ts)
 * fed API Gateway v2 events, in front of a simulated DJL instance: the 413's advised count is
 * right for the encoding asked for. A request of the advised size fits; a clearly larger one is
 * refused. The simulator prints vectors as JavaScript does (17 significant digits), the longest
 * a float32 backend sends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LAMBDA_RESPONSE_LIMIT_BYTES } from '../../shared/http/response-limit';
import { apiGatewayV2Event, lambdaContext } from '../../tools/fixtures/lambda-events';
import { DJL_PROFILES, type DjlSimulator, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

interface LambdaResult {
  statusCode: number;
  body: string;
  isBase64Encoded: boolean;
}
type Handler = (event: unknown, context: unknown) => Promise<LambdaResult>;

/** Room for base64's largest advised request and more. */
const MAX_ITEMS = 5_000;
/** "Clearly larger" than an advised count. */
const LARGER = 1.2;
/** The count the 413 used to advise for base64 at 384 dimensions, which did not fit. */
const OLD_BASE64_ADVICE = 3_040;

const texts = (count: number) => Array.from({ length: count }, (_, i) => `text ${i}`);

describe('Lambda response limit: the advised count fits', () => {
  let sim: DjlSimulator;
  let handler: Handler;

  before(async () => {
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    // Each test file runs in its own process, so the environment is ours to set, as Lambda sets it.
    process.env.CPU_BACKENDS = sim.predictionsUrl;
    process.env.LOG_LEVEL = 'silent';
    process.env.EMF_METRICS = 'false';
    process.env.MAX_ITEMS_PER_REQUEST = String(MAX_ITEMS);
    ({ handler } = (await import('../../functions/embed/handler')) as unknown as { handler: Handler });
  });
  after(() => sim.close());

  const invoke = async (path: string, body: unknown) => {
    const result = await handler(apiGatewayV2Event({
      method: 'POST', path, body: JSON.stringify(body), headers: { 'content-type': 'application/json' },
    }), lambdaContext());
    const text = result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString() : result.body;
    return { status: result.statusCode, text };
  };

  /** The 413's message, in the route's dialect, and the first count it advises. */
  const refusal = (text: string): { message: string; advised: number } => {
    const body = JSON.parse(text) as { error?: string | { message: string }; message?: string };
    const message = typeof body.error === 'string' ? body.error : body.error?.message ?? body.message ?? '';
    const advised = Number(/send at most about (\d+) texts per request/.exec(message)?.[1]);
    assert.ok(Number.isInteger(advised), message);
    return { message, advised };
  };

  /** Asks with `tooMany` texts, then with the advised count (fits) and a clearly larger one (413). */
  async function checkAdvice(path: string, body: (count: number) => unknown, tooMany: number): Promise<{ message: string; advised: number }> {
    const refused = await invoke(path, body(tooMany));
    assert.equal(refused.status, 413, refused.text.slice(0, 200));
    const advice = refusal(refused.text);
    const fits = await invoke(path, body(advice.advised));
    assert.equal(fits.status, 200, fits.text.slice(0, 300));
    assert.ok(fits.text.length <= LAMBDA_RESPONSE_LIMIT_BYTES);
    const larger = await invoke(path, body(Math.ceil(advice.advised * LARGER)));
    assert.equal(larger.status, 413);
    return advice;
  }

  test('OpenAI float: 1,000 texts get a 413 advising the float count (not base64\'s), which fits', async () => {
    const { message, advised } = await checkAdvice('/v1/embeddings', (count) => ({ input: texts(count), model: 'm', encoding_format: 'float' }), 1_000);
    // About 8 KB per float text at 384 dimensions: some 700, nowhere near base64's 2,900.
    assert.ok(advised > 600 && advised < 1_000, message);
    assert.match(message, /or ask for "encoding_format": "base64" \(about 2 KB per text: at most about \d+ texts per request\)/);
  });

  test('OpenAI base64: the advised count fits; the old advice (3,040) and more are refused', async () => {
    const body = (count: number) => ({ input: texts(count), model: 'm', encoding_format: 'base64' });
    const { message, advised } = await checkAdvice('/v1/embeddings', body, 4_000);
    assert.ok(advised > 2_500 && advised < OLD_BASE64_ADVICE, message);
    assert.doesNotMatch(message, /ask for "encoding_format"/, 'base64 was asked for already');
    const old = await invoke('/v1/embeddings', body(OLD_BASE64_ADVICE));
    assert.equal(old.status, 413, 'caught once formatted: the envelope around each vector counts');
    assert.equal(refusal(old.text).advised, advised);
  });

  test('TEI and DJL (float only): the advised count fits, and base64 is offered on /v1/embeddings', async () => {
    const tei = await checkAdvice('/embed', (count) => ({ inputs: texts(count) }), 1_000);
    assert.match(tei.message, /or use \/v1\/embeddings with "encoding_format": "base64"/);
    const djl = await checkAdvice('/predictions/all_MiniLM_L6_v2', (count) => texts(count), 1_000);
    assert.ok(djl.advised > 600 && djl.advised < 1_000, djl.message);
  });
});
