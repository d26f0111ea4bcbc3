/**
 * The Cloud Run endpoint source and scaler, driven through the real `v2.ServicesClient` (REST
 * fallback) against a loopback server speaking the Admin API v2.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ServicesClient } from '@google-cloud/run';
import { OAuth2Client } from 'google-auth-library';
import { createCloudRunClient, createCloudRunSource } from '../../shared/gcp/cloud-run-source';
import { DiscoveryError } from '../../shared/discovery/endpoint-source';
import { createCloudRunScaler, WarmupAnnotation } from '../../shared/gcp/cloud-run-scaler';
import { ScalingError } from '../../shared/scaling/scaler';
import { CloudRunFault, FakeCloudRun, type FakeService } from '../helpers/fake-cloud-run';

const NAME = 'projects/p/locations/europe-west1/services/embed';
const PATH = '/predictions/all_MiniLM_L6_v2';
const URI = 'https://embed-abc123-ew.a.run.app';
/** google.rpc.Code FAILED_PRECONDITION, for an operation that ends in an error. */
const GRPC_FAILED_PRECONDITION = 9;

function readyService(overrides: Partial<FakeService> = {}): FakeService {
  return {
    name: NAME,
    uri: URI,
    annotations: { 'team.example/owner': 'search' },
    template: { scaling: { maxInstanceCount: 10 }, maxInstanceRequestConcurrency: 4 },
    ...overrides,
  };
}

describe('Cloud Run against a local Admin API', () => {
  let fake: FakeCloudRun;
  let client: ServicesClient;

  before(async () => {
    fake = await FakeCloudRun.start();
    client = fake.createClient();
  });
  after(async () => {
    await client.close();
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
  });

  describe('endpoint source', () => {
    it('returns the service uri plus the path, keyed by the service name, with its capacity', async () => {
      fake.put(readyService());
      const source = createCloudRunSource({ client, name: NAME, path: PATH });

      const endpoints = await source.discover();

      assert.equal(source.description, `cloudrun://${NAME}`);
      assert.deepEqual(endpoints, [{ key: NAME, url: `${URI}${PATH}`, capacity: 40 }]);
      assert.deepEqual(fake.calls.map((call) => [call.method, call.path]), [['GET', `/v2/${NAME}`]]);
    });

    it('leaves capacity undefined when the template has no max instances or concurrency', async () => {
      fake.put(readyService({ template: {} }));
      const [endpoint] = await createCloudRunSource({ client, name: NAME, path: PATH }).discover();
      assert.equal(endpoint?.capacity, undefined);
    });

    it('returns no endpoints while the service has no uri', async () => {
      fake.put(readyService({ uri: undefined }));
      assert.deepEqual(await createCloudRunSource({ client, name: NAME, path: PATH }).discover(), []);
    });

    it('rejects with a DiscoveryError when the service does not exist', async () => {
      const source = createCloudRunSource({ client, name: NAME, path: PATH });
      await assert.rejects(source.discover(), (error: unknown) => {
        assert.ok(error instanceof DiscoveryError);
        assert.equal(error.throttled, false);
        assert.match(error.message, new RegExp(`cloudrun://${NAME}`));
        assert.match(error.message, /NOT_FOUND/);
        return true;
      });
    });

    it('rejects with a throttled DiscoveryError on 429 RESOURCE_EXHAUSTED', async () => {
      fake.put(readyService());
      fake.failNext(1, CloudRunFault.throttled);
      const source = createCloudRunSource({ client, name: NAME, path: PATH });

      await assert.rejects(source.discover(), (error: unknown) => error instanceof DiscoveryError && error.throttled);
      // The fault is spent: the next refresh succeeds.
      assert.equal((await source.discover()).length, 1);
    });

    it('rejects with an unthrottled DiscoveryError on 500', async () => {
      fake.put(readyService());
      fake.failNext(1, CloudRunFault.internal);
      await assert.rejects(
        createCloudRunSource({ client, name: NAME, path: PATH }).discover(),
        (error: unknown) => error instanceof DiscoveryError && !error.throttled,
      );
    });

    it('createCloudRunClient reaches a URL endpoint over REST with the given credentials', async () => {
      fake.put(readyService());
      const authClient = new OAuth2Client();
      authClient.setCredentials({ access_token: 'test', expiry_date: Date.now() + 60 * 60 * 1000 });
      const own = await createCloudRunClient({ apiEndpoint: `http://127.0.0.1:${fake.port}`, authClient });
      try {
        const endpoints = await createCloudRunSource({ client: own, name: NAME, path: PATH }).discover();
        assert.equal(endpoints[0]?.url, `${URI}${PATH}`);
      } finally {
        await own.close();
      }
    });
  });

  describe('scaler', () => {
    it('reads min, max and no marker from a service without them', async () => {
      fake.put(readyService());
      const scaler = createCloudRunScaler({ client, name: NAME });

      assert.equal(scaler.target, `cloudrun:${NAME}`);
      assert.deepEqual(await scaler.current(), { minInstances: 0, maxInstances: 10, marker: undefined });
    });

    it('reads the service-level min and the marker annotations', async () => {
      fake.put(
        readyService({
          scaling: { minInstanceCount: 3 },
          template: { scaling: { minInstanceCount: 1 } },
          annotations: { [WarmupAnnotation.restingMin]: '1', [WarmupAnnotation.raisedTo]: '3' },
        }),
      );
      // The template's own min (1) is a revision setting: the service-level one (3) is what the warm-up moves.
      assert.deepEqual(await createCloudRunScaler({ client, name: NAME }).current(), {
        minInstances: 3,
        maxInstances: undefined,
        marker: { restingMin: 1, raisedTo: 3 },
      });
    });

    it('sends the etag it read, so an update made meanwhile by someone else is never overwritten', async () => {
      fake.put(readyService({ etag: '"v0"' }));
      const scaler = createCloudRunScaler({ client, name: NAME });
      await scaler.setMinimum(2, { restingMin: 0, raisedTo: 2 });
      assert.equal((fake.callsOf('PATCH')[0]?.body as { etag?: string }).etag, '"v0"');

      fake.changeBeforeNextPatch = true;
      await assert.rejects(scaler.setMinimum(5, { restingMin: 0, raisedTo: 5 }), (error: unknown) =>
        error instanceof ScalingError && /409|ABORTED|modified concurrently/.test(error.message));
      assert.deepEqual(fake.services.get(NAME)?.scaling, { minInstanceCount: 2 }, 'the refused write changed nothing');
      // The next run reads the new etag and succeeds.
      await scaler.setMinimum(5, { restingMin: 0, raisedTo: 5 });
      assert.deepEqual(fake.services.get(NAME)?.scaling, { minInstanceCount: 5 });
    });

    it('raises the service-level min and writes the marker, keeping other annotations', async () => {
      fake.put(readyService());
      const scaler = createCloudRunScaler({ client, name: NAME });

      await scaler.setMinimum(4, { restingMin: 0, raisedTo: 4 });

      const [patch, ...others] = fake.callsOf('PATCH');
      assert.equal(others.length, 0);
      assert.equal(patch?.path, `/v2/${NAME}`);
      assert.equal(patch?.query['updateMask'], 'scaling.min_instance_count,annotations');
      const stored = fake.services.get(NAME);
      assert.deepEqual(stored?.scaling, { minInstanceCount: 4 });
      assert.deepEqual(stored?.annotations, {
        'team.example/owner': 'search',
        [WarmupAnnotation.restingMin]: '0',
        [WarmupAnnotation.raisedTo]: '4',
      });
      // The revision template is not part of the mask, so no new revision is rolled out.
      assert.deepEqual(stored?.template, readyService().template);
      assert.deepEqual(await scaler.current(), { minInstances: 4, maxInstances: 10, marker: { restingMin: 0, raisedTo: 4 } });
    });

    it('sends no second PATCH when the same minimum and marker are set again', async () => {
      fake.put(readyService());
      const scaler = createCloudRunScaler({ client, name: NAME });

      await scaler.setMinimum(4, { restingMin: 0, raisedTo: 4 });
      await scaler.setMinimum(4, { restingMin: 0, raisedTo: 4 });

      assert.equal(fake.callsOf('PATCH').length, 1);
      assert.equal(fake.callsOf('GET').length, 2);
    });

    it('clearing the marker removes only our annotations', async () => {
      fake.put(
        readyService({
          scaling: { minInstanceCount: 4 },
          annotations: {
            'team.example/owner': 'search',
            [WarmupAnnotation.restingMin]: '1',
            [WarmupAnnotation.raisedTo]: '4',
          },
        }),
      );

      await createCloudRunScaler({ client, name: NAME }).setMinimum(1, undefined);

      const stored = fake.services.get(NAME);
      assert.deepEqual(stored?.annotations, { 'team.example/owner': 'search' });
      assert.deepEqual(stored?.scaling, { minInstanceCount: 1 });
    });

    it('never raises the minimum past the max, and records the clamped value in the marker', async () => {
      fake.put(readyService());
      await createCloudRunScaler({ client, name: NAME }).setMinimum(25, { restingMin: 0, raisedTo: 25 });

      const stored = fake.services.get(NAME);
      assert.deepEqual(stored?.scaling, { minInstanceCount: 10 });
      assert.equal(stored?.annotations?.[WarmupAnnotation.raisedTo], '10');
    });

    it('waits for an operation that is still running', async () => {
      fake.put(readyService());
      fake.pollsUntilDone = 2;

      await createCloudRunScaler({ client, name: NAME }).setMinimum(2, undefined);

      const polls = fake.calls.filter((call) => call.method === 'GET' && call.path.includes('/operations/'));
      assert.equal(polls.length, 2);
      assert.deepEqual(fake.services.get(NAME)?.scaling, { minInstanceCount: 2 });
    });

    it('rejects with a ScalingError naming the service when the update is refused', async () => {
      fake.put(readyService());
      const scaler = createCloudRunScaler({ client, name: NAME });
      fake.failNext(1, CloudRunFault.throttled);
      await assert.rejects(scaler.current(), (error: unknown) => error instanceof ScalingError && error.message.includes(NAME));

      fake.failNext(1, CloudRunFault.permissionDenied, 'PATCH');
      await assert.rejects(scaler.setMinimum(3, undefined), (error: unknown) => {
        assert.ok(error instanceof ScalingError);
        assert.match(error.message, new RegExp(`cloudrun:${NAME}`));
        assert.match(error.message, /PERMISSION_DENIED/);
        return true;
      });
      assert.equal(fake.services.get(NAME)?.scaling, undefined);
    });

    it('rejects with a ScalingError when the operation ends in an error', async () => {
      fake.put(readyService());
      fake.failNextOperation(GRPC_FAILED_PRECONDITION, 'revision is not ready');

      await assert.rejects(createCloudRunScaler({ client, name: NAME }).setMinimum(3, undefined), (error: unknown) => {
        assert.ok(error instanceof ScalingError);
        assert.match(error.message, /revision is not ready/);
        return true;
      });
      assert.equal(fake.services.get(NAME)?.scaling, undefined);
    });
  });
});
