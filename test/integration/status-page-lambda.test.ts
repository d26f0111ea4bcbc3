/**
 * The status page on Lambda: the deployable handler (functions/embed/handler.ts), configured from
 * the environment as on AWS with an operator key, fed API Gateway v2 events in front of a simulated
 * DJL instance. The shell is served with its own CSP; the data needs the operator key and says it
 * is one execution environment's view, with the endpoints probed on demand and the environment's
 * own cold start.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashApiKey } from '../../shared/security/api-keys';
import { apiGatewayV2Event, lambdaContext } from '../../tools/fixtures/lambda-events';
import { DJL_PROFILES, type DjlSimulator, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

interface LambdaResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}
type Handler = (event: unknown, context: unknown) => Promise<LambdaResult>;

const OPERATOR_KEY = 'efd_lambda-status-operator';

describe('GET /status on Lambda', () => {
  let sim: DjlSimulator;
  let handler: Handler;

  before(async () => {
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    // Each test file runs in its own process, so the environment is ours to set, as Lambda sets it.
    process.env.CPU_BACKENDS = sim.predictionsUrl;
    process.env.LOG_LEVEL = 'silent';
    process.env.EMF_METRICS = 'false';
    process.env.API_KEYS = `ops:${hashApiKey(OPERATOR_KEY)}:role=operator`;
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'embed-status-test';
    ({ handler } = (await import('../../functions/embed/handler')) as unknown as { handler: Handler });
  });
  after(() => sim.close());

  const get = async (path: string, headers: Record<string, string> = {}): Promise<LambdaResult & { text: string }> => {
    const result = await handler(apiGatewayV2Event({ method: 'GET', path, headers }), lambdaContext());
    return { ...result, text: result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString() : result.body };
  };

  test('the shell with its own CSP; the data only with the operator key, as one environment\'s view', async () => {
    // Without the key, /info's 401, with the shell (the sign-in form) as its body.
    const shell = await get('/status');
    assert.equal(shell.statusCode, 401);
    assert.match(shell.headers['www-authenticate'] ?? '', /^Bearer /);
    assert.equal((await get('/status', { authorization: `Bearer ${OPERATOR_KEY}` })).statusCode, 200);
    assert.match(shell.headers['content-type'] ?? '', /^text\/html/);
    assert.match(shell.headers['content-security-policy'] ?? '', /script-src 'sha256-/);
    assert.ok(!shell.text.includes('cpu-0') && !shell.text.includes('127.0.0.1'), 'the shell holds no data');

    assert.equal((await get('/status.json')).statusCode, 401);
    const data = await get('/status.json', { authorization: `Bearer ${OPERATOR_KEY}` });
    assert.equal(data.statusCode, 200, data.text);
    const model = JSON.parse(data.text) as {
      runtime: string; scope: string; scopeNote: string;
      tiers: { tier: string; endpoints: { id: string; warmth: string }[] }[];
      frontDoor: { coldStart: { initializationType: string | null } | null };
    };
    assert.equal(model.runtime, 'aws-lambda');
    assert.equal(model.scope, 'environment');
    assert.match(model.scopeNote, /One Lambda execution environment's view/);
    // Probed on demand (Lambda runs no background checks), so the instance is known warm.
    assert.deepEqual(model.tiers[0]?.endpoints.map(({ id, warmth }) => [id, warmth]), [['cpu-0', 'warm']]);
    assert.equal(model.frontDoor.coldStart?.initializationType, 'on-demand');
    assert.ok(!data.text.includes('127.0.0.1') && !data.text.includes(OPERATOR_KEY), 'no address or key in the data');
  });
});
