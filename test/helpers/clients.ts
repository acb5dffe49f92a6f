/**
 * Raw-socket clients for the integration tests: every protocol, byte for
 * byte, with answers collected through events (no sleeps).
 */
import net from 'node:net';

const HOST = '127.0.0.1';

export interface SeedReply {
  readonly answer: string;
  /** The server half-closed after answering (we saw 'end'). */
  readonly halfClosed: boolean;
}

/** One seed request: connect, send, read until the server closes its side. */
export function seedRequest(port: number, message: string | Buffer): Promise<SeedReply> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ host: HOST, port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.on('connect', () => socket.write(message));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => {
      socket.end();
      resolve({ answer: Buffer.concat(chunks).toString('utf8'), halfClosed: true });
    });
    socket.on('error', reject);
  });
}

/**
 * A persistent line or binary connection. `send` pipelines any number of
 * requests in one write; `next(n)` resolves with the next n answers.
 */
export class PipelinedClient {
  readonly socket: net.Socket;
  readonly #answers: Buffer[] = [];
  #pending: Buffer = Buffer.alloc(0);
  #waiter: { n: number; resolve: (a: Buffer[]) => void } | null = null;
  readonly closed: Promise<void>;
  #ended = false;

  private constructor(socket: net.Socket, readonly framing: 'line' | 'binary', readonly prefix: 2 | 4) {
    this.socket = socket;
    socket.on('data', (c: Buffer) => this.#onData(c));
    this.closed = new Promise((resolve) => socket.on('close', () => {
      // A reset (no FIN) ends the stream too: nothing more will arrive.
      this.#ended = true;
      this.#wake();
      resolve();
    }));
    // A polite client: when the server ends its side, end ours, so the socket closes.
    socket.on('end', () => { this.#ended = true; socket.end(); this.#wake(); });
    socket.on('error', () => undefined);
  }

  static connect(port: number, framing: 'line' | 'binary', prefix: 2 | 4 = 2): Promise<PipelinedClient> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ host: HOST, port, allowHalfOpen: true }, () => {
        socket.off('error', reject);
        resolve(new PipelinedClient(socket, framing, prefix));
      });
      socket.once('error', reject);
    });
  }

  /** Encodes messages the way this connection's protocol frames them. */
  encode(messages: readonly (string | Buffer)[]): Buffer {
    const parts: Buffer[] = [];
    for (const m of messages) {
      const body = typeof m === 'string' ? Buffer.from(m) : m;
      if (this.framing === 'line') {
        parts.push(body, Buffer.from('\n'));
      } else {
        const prefix = Buffer.alloc(this.prefix);
        if (this.prefix === 2) prefix.writeInt16BE(body.length); else prefix.writeInt32BE(body.length);
        parts.push(prefix, body);
      }
    }
    return Buffer.concat(parts);
  }

  send(messages: readonly (string | Buffer)[]): void {
    this.socket.write(this.encode(messages));
  }

  /** The next n answers, as raw payloads (binary prefix removed). Rejects on close. */
  next(n: number): Promise<string[]> {
    return new Promise((resolve, reject) => {
      this.#waiter = { n, resolve: (a) => resolve(a.map((b) => b.toString('utf8'))) };
      this.#wake();
      if (this.#waiter !== null && this.#ended) reject(new Error(`connection ended with ${this.#answers.length} of ${n} answers`));
    });
  }

  get ended(): boolean {
    return this.#ended;
  }

  close(): void {
    this.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    for (;;) {
      if (this.framing === 'line') {
        const nl = this.#pending.indexOf(10);
        if (nl < 0) break;
        this.#answers.push(this.#pending.subarray(0, nl + 1));
        this.#pending = this.#pending.subarray(nl + 1);
      } else {
        if (this.#pending.length < this.prefix) break;
        const n = this.prefix === 2 ? this.#pending.readInt16BE(0) : this.#pending.readInt32BE(0);
        if (this.#pending.length < this.prefix + n) break;
        this.#answers.push(this.#pending.subarray(this.prefix, this.prefix + n));
        this.#pending = this.#pending.subarray(this.prefix + n);
      }
    }
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiter;
    if (w === null) return;
    if (this.#answers.length >= w.n) {
      this.#waiter = null;
      w.resolve(this.#answers.splice(0, w.n));
    } else if (this.#ended) {
      // Resolve with what came: callers compare, so a short answer fails loudly.
      this.#waiter = null;
      w.resolve(this.#answers.splice(0));
    }
  }
}

/**
 * Expected answer of the prime-count job, written out independently of
 * src/job for the test messages (Python's whitespace, code points).
 */
const PY_SPACE = new Set([...'\t\n\v\f\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000']);

export function expectedAnswer(message: string): string {
  const chars = [...message];
  while (chars.length > 0 && PY_SPACE.has(chars[0]!)) chars.shift();
  while (chars.length > 0 && PY_SPACE.has(chars[chars.length - 1]!)) chars.pop();
  const last = chars[chars.length - 1]!;
  const count = chars.filter((c) => c === last).length;
  let prime = count >= 2;
  for (let d = 2; d * d <= count; d++) if (count % d === 0) prime = false;
  return `${count} ${prime ? 'sí' : 'no'}\n`;
}
