import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { createSocket } from 'node:dgram';
import { promises as dnsPromises } from 'node:dns';
import { once } from 'node:events';
import { createDnsSource, createSystemResolver, type DnsResolver } from '../../shared/discovery/dns-source';
import { DiscoveryError } from '../../shared/discovery/endpoint-source';
import { FakeDns } from '../helpers/fake-dns';

const PATH = '/predictions/all_MiniLM_L6_v2';

describe('DNS endpoint source against a local DNS server', () => {
  let fake: FakeDns;
  let resolver: dnsPromises.Resolver;

  before(async () => {
    fake = await FakeDns.start();
  });
  after(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.serverFailure = false;
    resolver = createSystemResolver();
    resolver.setServers([fake.address]);
  });
  afterEach(() => {
    resolver.cancel();
  });

  it('turns each A record into one endpoint on the given port', async () => {
    fake.setA('djl.embed.local', ['10.0.1.7', '10.0.2.9']);
    const source = createDnsSource({ resolver, name: 'djl.embed.local', port: 8080, path: PATH, scheme: 'http' });

    const endpoints = await source.discover();

    assert.equal(source.description, 'dns://djl.embed.local:8080');
    assert.deepEqual(
      endpoints.map((endpoint) => ({ ...endpoint })).sort((x, y) => x.key.localeCompare(y.key)),
      [
        { key: '10.0.1.7:8080', url: `http://10.0.1.7:8080${PATH}` },
        { key: '10.0.2.9:8080', url: `http://10.0.2.9:8080${PATH}` },
      ],
    );
  });

  it('reflects changed records on the next discover', async () => {
    fake.setA('moving.embed.local', ['10.0.1.7', '10.0.2.9']);
    const source = createDnsSource({ resolver, name: 'moving.embed.local', port: 8080, path: PATH, scheme: 'https' });
    assert.equal((await source.discover()).length, 2);

    fake.setA('moving.embed.local', ['10.0.3.3']);

    assert.deepEqual(await source.discover(), [{ key: '10.0.3.3:8080', url: `https://10.0.3.3:8080${PATH}` }]);
  });

  it('uses SRV ports and resolves SRV targets through A records', async () => {
    fake.setSrv('_djl._tcp.embed.local', [
      { target: 'task-a.djl.embed.local', port: 8080 },
      { target: 'task-b.djl.embed.local', port: 8081 },
      { target: 'task-gone.djl.embed.local', port: 8082 },
    ]);
    fake.setA('task-a.djl.embed.local', ['10.0.1.7']);
    fake.setA('task-b.djl.embed.local', ['10.0.2.9']);
    const source = createDnsSource({ resolver, name: '_djl._tcp.embed.local', port: undefined, path: 'ping', scheme: 'http' });

    const endpoints = await source.discover();

    assert.equal(source.description, 'dns://_djl._tcp.embed.local');
    // The stopped task (its A record already removed: NXDOMAIN) is skipped, not an error.
    assert.deepEqual(
      endpoints.map((endpoint) => endpoint.url).sort(),
      ['http://10.0.1.7:8080/ping', 'http://10.0.2.9:8081/ping'],
    );
    assert.deepEqual(
      fake.queries.filter((query) => query.type === 'SRV').map((query) => query.name),
      ['_djl._tcp.embed.local'],
    );
  });

  it('answers an empty list for NXDOMAIN and for a name without A records', async () => {
    const missing = createDnsSource({ resolver, name: 'nothing.embed.local', port: 8080, path: PATH, scheme: 'http' });
    assert.deepEqual(await missing.discover(), []);

    fake.setA('empty.embed.local', []);
    const empty = createDnsSource({ resolver, name: 'empty.embed.local', port: 8080, path: PATH, scheme: 'http' });
    assert.deepEqual(await empty.discover(), []);
  });

  it('rejects with a DiscoveryError on SERVFAIL', async () => {
    fake.setA('broken.embed.local', ['10.0.1.7']);
    fake.serverFailure = true;
    const source = createDnsSource({ resolver, name: 'broken.embed.local', port: 8080, path: PATH, scheme: 'http' });

    await assert.rejects(source.discover(), (error: unknown) => {
      assert.ok(error instanceof DiscoveryError);
      assert.equal(error.throttled, false);
      assert.match(error.message, /dns:\/\/broken\.embed\.local:8080/);
      assert.match(error.message, /ESERVFAIL/);
      return true;
    });
  });

  it('rejects with a DiscoveryError when a SRV target lookup times out', async () => {
    // The real SRV answer from the fake, then an A lookup that fails the way c-ares reports a timeout.
    fake.setSrv('_fail._tcp.embed.local', [{ target: 'task-a.fail.embed.local', port: 8080 }]);
    const stub = createDnsSource({
      resolver: {
        resolveSrv: (name) => resolver.resolveSrv(name),
        // The cast picks one of resolve4's overloads: this stub only ever answers the plain form.
        resolve4: (() => Promise.reject(Object.assign(new Error('queryA ETIMEOUT'), { code: dnsPromises.TIMEOUT }))) as DnsResolver['resolve4'],
      },
      name: '_fail._tcp.embed.local',
      port: undefined,
      path: PATH,
      scheme: 'http',
    });

    await assert.rejects(stub.discover(), (error: unknown) => error instanceof DiscoveryError && /ETIMEOUT/.test(error.message));
  });

  it('rejects with a DiscoveryError when no DNS server answers', async () => {
    const deadServer = await deadUdpAddress();
    // A short timeout of its own: this test is about the error, not about c-ares' patience.
    const dead = new dnsPromises.Resolver({ timeout: DEAD_SERVER_TIMEOUT_MS, tries: 1 });
    dead.setServers([deadServer]);
    const source = createDnsSource({ resolver: dead, name: 'djl.embed.local', port: 8080, path: PATH, scheme: 'http' });

    await assert.rejects(source.discover(), (error: unknown) => {
      assert.ok(error instanceof DiscoveryError);
      assert.match(error.message, /ECONNREFUSED|ETIMEOUT/);
      return true;
    });
  });
});

const DEAD_SERVER_TIMEOUT_MS = 200;

/** A loopback UDP address nothing listens on (bound, then released). */
async function deadUdpAddress(): Promise<string> {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return `127.0.0.1:${port}`;
}
