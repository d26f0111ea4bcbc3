/**
 * A UDP DNS server on 127.0.0.1, port 0, answering A and SRV questions from a table the test
 * edits, the way ECS service discovery / Cloud Map keep one record per task. Point a real
 * `dns.promises.Resolver` at it with `setServers([fake.address])`.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';
import dnsPacket, { type Answer, type Packet } from 'dns-packet';

export interface FakeSrvRecord {
  readonly target: string;
  readonly port: number;
  readonly priority?: number;
  readonly weight?: number;
}

interface NameRecords {
  a?: readonly string[];
  srv?: readonly FakeSrvRecord[];
}

/** DNS response codes, RFC 1035 section 4.1.1 (the low four bits of the header flags). */
const Rcode = { noError: 0, serverFailure: 2, nameError: 3 } as const;
/**
 * TTL 0 so that a resolver which caches answers (c-ares has a query cache) asks again on the next
 * discover: tests change records between calls.
 */
const ANSWER_TTL_SECONDS = 0;

export class FakeDns {
  /** When true, every question is answered SERVFAIL. */
  serverFailure = false;
  /** Questions received, in order (`{ name, type }`, name lower-cased without the trailing dot). */
  readonly queries: { name: string; type: string }[] = [];
  private readonly records = new Map<string, NameRecords>();

  private constructor(private readonly socket: Socket) {}

  static async start(): Promise<FakeDns> {
    const socket = createSocket('udp4');
    const fake = new FakeDns(socket);
    socket.on('message', (message, remote) => fake.answer(message, remote));
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    return fake;
  }

  /** `127.0.0.1:PORT`, for `Resolver.setServers`. */
  get address(): string {
    return `127.0.0.1:${this.socket.address().port}`;
  }

  /** Sets the A records of a name (an empty list leaves the name existing with no A records: NODATA). */
  setA(name: string, addresses: readonly string[]): void {
    this.entry(name).a = [...addresses];
  }

  setSrv(name: string, records: readonly FakeSrvRecord[]): void {
    this.entry(name).srv = [...records];
  }

  /** Forgets a name: it answers NXDOMAIN from now on. */
  remove(name: string): void {
    this.records.delete(normalise(name));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private entry(name: string): NameRecords {
    const key = normalise(name);
    const existing = this.records.get(key);
    if (existing !== undefined) return existing;
    const created: NameRecords = {};
    this.records.set(key, created);
    return created;
  }

  private answer(message: Buffer, remote: RemoteInfo): void {
    let query: Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return; // not DNS: a real server drops it too
    }
    const questions = query.questions ?? [];
    const answers: Answer[] = [];
    let rcode: number = Rcode.noError;
    for (const question of questions) {
      const name = normalise(question.name);
      this.queries.push({ name, type: question.type });
      const records = this.records.get(name);
      if (this.serverFailure) rcode = Rcode.serverFailure;
      else if (records === undefined) rcode = Rcode.nameError;
      else if (question.type === 'A') {
        for (const data of records.a ?? []) answers.push({ type: 'A', name: question.name, ttl: ANSWER_TTL_SECONDS, data });
      } else if (question.type === 'SRV') {
        for (const srv of records.srv ?? []) {
          const data = { target: srv.target, port: srv.port, priority: srv.priority ?? 0, weight: srv.weight ?? 0 };
          answers.push({ type: 'SRV', name: question.name, ttl: ANSWER_TTL_SECONDS, data });
        }
      }
    }
    const flags = dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | rcode;
    const response = dnsPacket.encode({ type: 'response', id: query.id ?? 0, flags, questions, answers });
    this.socket.send(response, remote.port, remote.address);
  }
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
