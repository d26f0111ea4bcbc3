/**
 * Client behaviour is not a server error: a client that drops mid-body, one cut off by
 * CLIENT_BODY_TIMEOUT_MS, one that leaves while its texts are being embedded, and a client
 * deadline that cannot be met. Each is a 4xx (or no answer at all) in the access log at info,
 * never an error line or a stack, and never a 5xx in efd_requests_total.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../shared/logger';
import { eventually } from '../helpers/eventually';
import { post, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { parseExposition } from '../helpers/prometheus-text';
import { DJL_PROFILES, type DjlSimulator, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const SLOW_CLIENT_TIMEOUT_MS = 300;
const DECLARED_BODY_BYTES = 1_000;

interface LogLine { readonly level: string; readonly event: string; readonly status?: number; readonly route?: string; readonly error?: unknown }

/** The statuses efd_requests_total has counted for a route, with their counts. */
async function requestStatuses(door: TestFrontDoor, route: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${door.url}/metrics`)).text();
  const statuses = new Map<string, number>();
  for (const sample of parseExposition(text).samples) {
    if (sample.name === 'efd_requests_total' && sample.labels.route === route) statuses.set(sample.labels.status!, sample.value);
  }
  return statuses;
}

/** Opens a raw connection and sends the head of a POST whose body will not all come. */
function startUpload(door: TestFrontDoor, path: string, bodyStart: string, headers: Record<string, string> = {}): { socket: Socket; received: () => string; closed: Promise<void> } {
  const socket = connect(Number(new URL(door.url).port), '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => { received += chunk.toString(); });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write(`POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${DECLARED_BODY_BYTES}\r\n` +
    `${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n${bodyStart}`);
  return { socket, received: () => received, closed };
}

function assertNoServerErrorLogged(lines: readonly LogLine[]): void {
  for (const line of lines) {
    assert.ok(line.level === 'info' || line.level === 'debug', `logged at ${line.level}: ${JSON.stringify(line)}`);
    assert.ok(!JSON.stringify(line).includes('stack'), `a stack in the logs: ${JSON.stringify(line)}`);
  }
}

describe('client faults during the upload', () => {
  let sim: DjlSimulator;
  let door: TestFrontDoor;
  const lines: LogLine[] = [];

  before(async () => {
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    door = await startFrontDoor({ CPU_BACKENDS: sim.predictionsUrl, CLIENT_BODY_TIMEOUT_MS: String(SLOW_CLIENT_TIMEOUT_MS) },
      createLogger('debug', (line) => lines.push(JSON.parse(line) as LogLine)));
  });
  after(async () => {
    await door.close();
    await sim.close();
  });

  test('a client that drops mid-body gets no answer, is logged at info as 499, and counts as 499, never 5xx', async () => {
    lines.length = 0;
    const upload = startUpload(door, '/embed', '{"inputs": ["half', { 'expect': '100-continue' });
    // Node answers `100 Continue` once it has parsed the head and handed the request on.
    await eventually(() => upload.received().startsWith('HTTP/1.1 100'), { message: 'the request head to be read' });
    upload.socket.destroy();
    const statuses = await eventually(async () => {
      const counted = await requestStatuses(door, '/embed');
      assert.equal(counted.get('499'), 1, JSON.stringify([...counted]));
      return counted;
    }, { message: 'the dropped upload to be counted' });
    assert.deepEqual([...statuses.keys()].filter((status) => status.startsWith('5')), []);
    const access = lines.find((line) => line.event === 'request' && line.route === '/embed');
    assert.equal(access?.status, 499);
    assert.equal(access?.level, 'info');
    assertNoServerErrorLogged(lines);
  });

  test('a client cut off by CLIENT_BODY_TIMEOUT_MS gets 408, logged at info and counted as 408', async () => {
    lines.length = 0;
    const upload = startUpload(door, '/v1/embeddings', '{"input": "slow');
    await upload.closed;
    assert.ok(upload.received().startsWith('HTTP/1.1 408'), upload.received().slice(0, 40));
    const statuses = await eventually(async () => {
      const counted = await requestStatuses(door, '/v1/embeddings');
      assert.equal(counted.get('408'), 1, JSON.stringify([...counted]));
      return counted;
    }, { message: 'the timed-out upload to be counted' });
    assert.deepEqual([...statuses.keys()].filter((status) => status.startsWith('5')), []);
    const access = lines.find((line) => line.event === 'request' && line.route === '/v1/embeddings');
    assert.deepEqual([access?.level, access?.status], ['info', 408]);
    assertNoServerErrorLogged(lines);
    assert.equal((await post(`${door.url}/v1/embeddings`, { input: 'after', model: 'm' })).status, 200);
  });
});

describe('client faults after admission', () => {
  let sim: DjlSimulator;
  let door: TestFrontDoor;
  const lines: LogLine[] = [];

  before(async () => {
    // A backend that never answers: whatever ends a request is the client or its deadline.
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero, hangRate: 1 });
    door = await startFrontDoor({ CPU_BACKENDS: sim.predictionsUrl, MAX_ATTEMPTS: '1', EJECT_AFTER_FAILURES: '100', REQUEST_TIMEOUT_MS: '30000' },
      createLogger('debug', (line) => lines.push(JSON.parse(line) as LogLine)));
  });
  after(async () => {
    await door.close();
    await sim.close();
  });

  test('a client gone while its texts are at the backend is counted as 499, not 503', async () => {
    lines.length = 0;
    const body = '{"inputs": ["left early"]}';
    const socket = connect(Number(new URL(door.url).port), '127.0.0.1');
    socket.on('error', () => {});
    socket.write(`POST /embed HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    await eventually(() => sim.stats.inFlight >= 1, { message: 'the texts to reach the backend' });
    socket.destroy();
    const statuses = await eventually(async () => {
      const counted = await requestStatuses(door, '/embed');
      assert.equal(counted.get('499'), 1, JSON.stringify([...counted]));
      return counted;
    }, { message: 'the abandoned request to be counted' });
    assert.deepEqual([...statuses.keys()].filter((status) => status.startsWith('5')), []);
    assertNoServerErrorLogged(lines);
  });

  test('x-request-timeout-ms that cannot be met is a 429 with Retry-After, in each dialect', async () => {
    const deadline = { 'x-request-timeout-ms': '1' };
    const openai = await post(`${door.url}/v1/embeddings`, { input: 'a', model: 'm' }, deadline);
    assert.equal(openai.status, 429);
    assert.equal(openai.headers.get('retry-after'), '1');
    assert.deepEqual([openai.body.error.type, openai.body.error.code, openai.body.error.param], ['rate_limit_error', 'overloaded', 'x-request-timeout-ms']);
    assert.match(openai.body.error.message, /could not be finished within its x-request-timeout-ms deadline/);
    const tei = await post(`${door.url}/embed`, { inputs: ['a'] }, deadline);
    assert.deepEqual([tei.status, tei.body.error_type, tei.headers.get('retry-after')], [429, 'Overloaded', '1']);
    const djl = await post(`${door.url}/predictions/all_MiniLM_L6_v2`, 'a', { ...deadline, 'content-type': 'text/plain' });
    assert.deepEqual([djl.status, djl.body.code, djl.body.type, djl.headers.get('retry-after')], [429, 429, 'WlmCapacityException', '1']);
  });
});
