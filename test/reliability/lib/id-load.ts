/**
 * A load whose every request carries a unique id, for the durability checks:
 * a request is *attempted* when its bytes are handed to the socket and
 * *acknowledged* only when its own, correct answer arrives. The log is then
 * compared with both sets (log-audit.ts).
 *
 * A message is `<tag>.<connection>.<n>:` followed by 1 + n % 31 letters z, so
 * its prime-count answer is the number of z: an answer delivered to the wrong
 * request of a pipelined connection shows up as a wrong count, not only a
 * wrong id.
 */
import net from 'node:net';
import { encodeLengthPrefixed } from '../../../src/framing/length-prefix-decoder.js';
import { expectedAnswer, seedRequest } from '../../helpers/clients.js';

export type IdProtocol = 'line' | 'binary' | 'seed';

const HOST = '127.0.0.1';
const ID_MESSAGE = /^([a-y0-9.-]+):z{1,31}$/u;

/** Milliseconds since the epoch with sub-millisecond resolution (comparable with a kill time). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function idMessage(tag: string, connection: string, n: number): { readonly id: string; readonly message: string } {
  const id = `${tag}.${connection}.${n}`;
  return { id, message: `${id}:${'z'.repeat(1 + (n % 31))}` };
}

/** The id of a message this load sent, or null for any other message. */
export function idOf(message: string): string | null {
  return ID_MESSAGE.exec(message)?.[1] ?? null;
}

export interface IdLoadOptions {
  readonly ports: Readonly<Record<string, number>>;
  /** Sets these ids apart from every other load's in the same log: letters a-y, digits, '-' only. */
  readonly tag: string;
  readonly protocols: readonly IdProtocol[];
  /** Persistent connections per line/binary protocol; concurrent requests for seed. */
  readonly connections: number;
  /** Requests in flight per persistent connection. */
  readonly depth: number;
  /**
   * Every `every`-th request of a persistent connection is `message` instead,
   * answered `answer` (fault injection), until `limit` of them were sent.
   */
  readonly fault?: { readonly every: number; readonly message: string; readonly answer: string; readonly limit: number };
  /** Error answers the scenario allows instead of the right answer: such a request is refused, not acknowledged. */
  readonly refusals?: readonly string[];
}

interface Sent {
  readonly id: string | null;
  readonly expected: string;
}

export interface WrongAnswer {
  readonly id: string | null;
  readonly expected: string;
  readonly got: string;
}

export class IdLoad {
  /** id -> when its bytes were handed to the socket (epoch ms). */
  readonly attempted = new Map<string, number>();
  /** id -> when its correct answer arrived (epoch ms). */
  readonly acked = new Map<string, number>();
  /** id -> the allowed error answer it got instead. */
  readonly refused = new Map<string, string>();
  readonly wrong: WrongAnswer[] = [];
  faultsSent = 0;
  faultsAnswered = 0;
  /** Requests still unanswered when stop() gave up waiting. */
  abandoned = 0;
  sending = true;
  readonly #pipes: Pipe[] = [];
  readonly #seedLoops: Promise<void>[] = [];
  readonly #waiters: { condition: () => boolean; resolve: () => void }[] = [];

  constructor(readonly options: IdLoadOptions) {
    if (!/^[a-y0-9-]+$/u.test(options.tag)) throw new Error(`tag must be [a-y0-9-]+, got ${JSON.stringify(options.tag)}`);
  }

  /** Opens the connections and starts sending; resolves once every persistent connection is open. */
  async start(): Promise<void> {
    const o = this.options;
    for (const protocol of o.protocols) {
      for (let i = 0; i < o.connections; i++) {
        if (protocol === 'seed') this.#seedLoops.push(this.#seedLoop(`s${i}`));
        else this.#pipes.push(new Pipe(this, protocol, `${protocol[0]!}${i}`));
      }
    }
    await Promise.all(this.#pipes.map((p) => p.connected));
  }

  /** Resolves once `n` requests are acknowledged, or (false) when every connection is gone first. */
  whenAcked(n: number): Promise<boolean> {
    return this.until(() => this.acked.size >= n);
  }

  /** Resolves (true) once `condition` holds after an answer, or (false) when every connection is gone first. */
  until(condition: () => boolean): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    return Promise.race([
      new Promise<boolean>((resolve) => this.#waiters.push({ condition, resolve: () => resolve(true) })),
      this.finished.then(condition),
    ]);
  }

  /** Every connection closed (by us after stop(), or by the server). */
  get finished(): Promise<void> {
    return Promise.all([...this.#pipes.map((p) => p.closed), ...this.#seedLoops]).then(() => undefined);
  }

  /**
   * Stops sending; resolves when every request in flight is answered or its
   * connection closed. After `patienceMs` the rest is abandoned (counted) and
   * the sockets destroyed, so a hung server cannot hang the caller.
   */
  async stop(patienceMs = 10_000): Promise<void> {
    this.sending = false;
    for (const p of this.#pipes) p.endIfIdle();
    let timer: NodeJS.Timeout | undefined;
    const patience = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), patienceMs); });
    const outcome = await Promise.race([this.finished, patience]);
    clearTimeout(timer);
    if (outcome === 'late') {
      for (const p of this.#pipes) this.abandoned += p.abandon();
      await this.finished;
    }
  }

  /** Requests sent and not (yet) answered at all. */
  get inFlight(): number {
    return this.#pipes.reduce((n, p) => n + p.inFlight, 0);
  }

  answered(sent: Sent, got: string): void {
    if (got === sent.expected) {
      if (sent.id === null) this.faultsAnswered++;
      else this.acked.set(sent.id, nowMs());
    } else if (sent.id !== null && (this.options.refusals ?? []).includes(got)) {
      this.refused.set(sent.id, got);
    } else {
      this.wrong.push({ id: sent.id, expected: sent.expected, got });
    }
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      if (this.#waiters[i]!.condition()) { this.#waiters[i]!.resolve(); this.#waiters.splice(i, 1); }
    }
  }

  /** The next request of a connection. */
  next(connection: string, n: number): { readonly sent: Sent; readonly message: string } {
    const f = this.options.fault;
    if (f !== undefined && (n + 1) % f.every === 0 && this.faultsSent < f.limit) {
      this.faultsSent++;
      return { sent: { id: null, expected: f.answer }, message: f.message };
    }
    const { id, message } = idMessage(this.options.tag, connection, n);
    this.attempted.set(id, nowMs());
    return { sent: { id, expected: expectedAnswer(message) }, message };
  }

  /** A seed "connection": one request per connection, one at a time, until sending stops or the server is gone. */
  async #seedLoop(connection: string): Promise<void> {
    const port = this.options.ports['seed'];
    if (port === undefined) throw new Error('IdLoad: no seed port');
    for (let n = 0; this.sending; n++) {
      const { sent, message } = this.next(connection, n);
      let answer: string;
      try {
        answer = (await seedRequest(port, message)).answer;
      } catch {
        return; // refused or reset: the server is gone or not accepting
      }
      if (answer === '') return; // closed without an answer: not accepted (draining)
      this.answered(sent, answer);
    }
  }
}

/** A persistent line or binary connection keeping `depth` requests in flight. */
class Pipe {
  readonly #socket: net.Socket;
  readonly #inflight: Sent[] = [];
  #carry: Buffer = Buffer.alloc(0);
  #n = 0;
  readonly connected: Promise<void>;
  readonly closed: Promise<void>;

  constructor(readonly load: IdLoad, readonly protocol: 'line' | 'binary', readonly name: string) {
    const port = load.options.ports[protocol];
    if (port === undefined) throw new Error(`IdLoad: no ${protocol} port`);
    this.#socket = net.createConnection({ host: HOST, port });
    this.connected = new Promise((resolve) => this.#socket.once('connect', () => { this.#refill(); resolve(); }));
    this.closed = new Promise((resolve) => this.#socket.once('close', () => resolve()));
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#socket.on('error', () => undefined); // a reset is a close: what was in flight stays unacknowledged
  }

  get inFlight(): number {
    return this.#inflight.length;
  }

  endIfIdle(): void {
    if (this.#inflight.length === 0) this.#socket.end();
  }

  /** Gives up on what is in flight; returns how many requests that was. */
  abandon(): number {
    const n = this.#inflight.length;
    this.#inflight.length = 0;
    this.#socket.destroy();
    return n;
  }

  #refill(): void {
    if (!this.load.sending || this.#socket.destroyed) return;
    const parts: Buffer[] = [];
    while (this.#inflight.length < this.load.options.depth) {
      const { sent, message } = this.load.next(this.name, this.#n++);
      this.#inflight.push(sent);
      const body = Buffer.from(message);
      parts.push(this.protocol === 'line' ? Buffer.concat([body, Buffer.from('\n')]) : encodeLengthPrefixed(body, 2));
    }
    if (parts.length > 0) this.#socket.write(Buffer.concat(parts));
  }

  #onData(chunk: Buffer): void {
    let buf = this.#carry.length === 0 ? chunk : Buffer.concat([this.#carry, chunk]);
    for (;;) {
      let answer: Buffer;
      if (this.protocol === 'line') {
        const nl = buf.indexOf(0x0a);
        if (nl < 0) break;
        answer = buf.subarray(0, nl + 1);
        buf = buf.subarray(nl + 1);
      } else {
        if (buf.length < 2) break;
        const n = buf.readInt16BE(0);
        if (buf.length < 2 + n) break;
        answer = buf.subarray(2, 2 + n);
        buf = buf.subarray(2 + n);
      }
      const sent = this.#inflight.shift();
      const got = answer.toString('utf8');
      if (sent === undefined) this.load.wrong.push({ id: null, expected: '(no request in flight)', got });
      else this.load.answered(sent, got);
    }
    this.#carry = Buffer.from(buf);
    if (this.load.sending) this.#refill();
    else this.endIfIdle();
  }
}
