/**
 * The HTTP front, on the main thread: `POST /jobs` (body = one message) feeds
 * the same job pipeline, reorder window and ack mode as the TCP listeners;
 * `GET /metrics` is the Prometheus scrape; `GET /healthz` says whether the
 * server accepts work.
 *
 * Each HTTP socket is one Connection whose answers become responses: node's
 * HTTP server already sends pipelined responses in request order, and the
 * Connection answers in request order too, so the n-th answer belongs to the
 * n-th POST /jobs still waiting on that socket.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { Queue } from 'mnemonist';
import type { AnswerSink, Connection, Framing } from '../connection.js';
import { copyAnswer } from '../framing/copy-answer.js';
import { ListenerCode } from '../records.js';

export interface HttpFrontHost {
  /** A Connection for this socket, or null when --max-connections are open. */
  openConnection(sink: AnswerSink, framing: Framing, socket: Socket): Connection | null;
  /** Counts a POST /jobs refused before it became a job (413, draining, too many connections). */
  rejected(listener: ListenerCode): void;
  /** Makes the jobs submitted so far visible to the workers. */
  publishJobs(): void;
  readonly draining: boolean;
  readonly writerFailed: boolean;
  /** The Prometheus text of every metric. */
  metrics(): Promise<{ readonly contentType: string; readonly body: string }>;
}

export interface HttpFrontOptions {
  readonly host: string;
  readonly port: number;
  readonly maxFrame: number;
  readonly idleTimeoutMs: number;
}

const TEXT = 'text/plain; charset=utf-8';

/** Answers are sent as they are: the same bytes the line protocol sends. */
const HTTP_FRAMING: Framing = {
  listener: 'http',
  oneShot: false,
  onData(): number {
    throw new Error('this should not happen: the HTTP front parses its own input');
  },
  frameAnswer: copyAnswer,
};

const ERR = Buffer.from('ERR ');
const ERR_INTERNAL = Buffer.from('ERR internal');
const ERR_LOG = Buffer.from('ERR log unavailable');

/** The status code that carries a job's answer. */
function statusOf(answer: Buffer): number {
  if (!answer.subarray(0, ERR.length).equals(ERR)) return 200;
  if (answer.subarray(0, ERR_INTERNAL.length).equals(ERR_INTERNAL)) return 500;
  if (answer.subarray(0, ERR_LOG.length).equals(ERR_LOG)) return 503;
  return 400; // the message itself was refused: empty, invalid UTF-8
}

function send(res: http.ServerResponse, status: number, body: Buffer | string, close: boolean,
  extra: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, {
    'content-type': TEXT,
    'content-length': Buffer.byteLength(body),
    ...(close ? { connection: 'close' } : {}),
    ...extra,
  });
  res.end(body);
}

/** Turns a Connection's answers into responses, in order, on one socket. */
class ResponseSink implements AnswerSink {
  readonly #waiting = new Queue<http.ServerResponse>();
  #last: http.ServerResponse | null = null;

  constructor(readonly socket: Socket, private readonly front: HttpFront) {}

  /** A POST /jobs was submitted: its answer is the next one after those already waiting. */
  expect(res: http.ServerResponse): void {
    this.#waiting.enqueue(res);
  }

  write(bytes: Buffer): boolean {
    const res = this.#waiting.dequeue();
    if (res === undefined) throw new Error('this should not happen: an HTTP answer with no request waiting for it');
    send(res, statusOf(bytes), bytes, this.front.closing);
    this.#last = res;
    return !this.socket.writableNeedDrain;
  }

  end(bytes?: Buffer): void {
    if (bytes !== undefined) this.write(bytes);
    // Pipelined responses may still sit in node's queue: end after the last.
    const last = this.#last;
    if (last !== null && !last.writableFinished) last.once('finish', () => this.socket.end());
    else this.socket.end();
  }

  cork(): void { this.socket.cork(); }
  uncork(): void { this.socket.uncork(); }
  pause(): void { this.socket.pause(); }
  resume(): void { this.socket.resume(); }
  destroySoon(): void { this.socket.destroySoon(); }
  destroy(): void { this.socket.destroy(); }
}

interface Client { readonly conn: Connection; readonly sink: ResponseSink }

export class HttpFront {
  readonly #host: HttpFrontHost;
  readonly #options: HttpFrontOptions;
  readonly #server: http.Server;
  readonly #clients = new WeakMap<Socket, Client>();

  constructor(host: HttpFrontHost, options: HttpFrontOptions) {
    this.#host = host;
    this.#options = options;
    this.#server = http.createServer({
      noDelay: true,
      // Slow or stalled senders are bounded like the TCP listeners' idle timeout.
      requestTimeout: options.idleTimeoutMs,
      headersTimeout: Math.min(options.idleTimeoutMs, 60_000),
    }, (req, res) => this.#route(req, res));
    this.#server.keepAliveTimeout = options.idleTimeoutMs;
    // node's own 'connection' listener (the HTTP parser) runs first; this adds ours.
    this.#server.on('connection', (socket: Socket) => this.#accept(socket));
  }

  /** Once draining: every response asks the client to close. */
  get closing(): boolean {
    return this.#host.draining;
  }

  listen(): Promise<number> {
    const server = this.#server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port, this.#options.host, () => {
        server.off('error', reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  }

  /** After the drain: stop listening and close every socket (all answered by then). */
  close(): void {
    this.#server.close();
    this.#server.closeAllConnections();
  }

  #accept(socket: Socket): void {
    const sink = new ResponseSink(socket, this);
    const conn = this.#host.openConnection(sink, HTTP_FRAMING, socket);
    if (conn === null) return; // its requests are answered 503 by #route
    this.#clients.set(socket, { conn, sink });
    socket.on('drain', () => conn.writable());
    socket.on('close', () => conn.onClose());
  }

  #route(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?', 1)[0];
    const read = req.method === 'GET' || req.method === 'HEAD';
    switch (path) {
      case '/jobs':
        if (req.method === 'POST') this.#job(req, res);
        else send(res, 405, 'ERR method not allowed: POST /jobs\n', this.closing, { allow: 'POST' });
        return;
      case '/metrics':
        if (read) this.#metrics(res);
        else send(res, 405, 'ERR method not allowed: GET /metrics\n', this.closing, { allow: 'GET, HEAD' });
        return;
      case '/healthz':
        if (!read) send(res, 405, 'ERR method not allowed: GET /healthz\n', this.closing, { allow: 'GET, HEAD' });
        else if (this.#host.draining || this.#host.writerFailed) send(res, 503, 'draining\n', true);
        else send(res, 200, 'ok\n', false);
        return;
      default:
        send(res, 404, 'ERR not found: POST /jobs, GET /metrics, GET /healthz\n', this.closing);
    }
  }

  #metrics(res: http.ServerResponse): void {
    this.#host.metrics().then(
      ({ contentType, body }) => send(res, 200, body, this.closing, { 'content-type': contentType }),
      (err: unknown) => send(res, 500, `ERR metrics: ${String(err)}\n`, this.closing),
    );
  }

  #job(req: http.IncomingMessage, res: http.ServerResponse): void {
    const client = this.#clients.get(req.socket);
    if (client === undefined) return this.#refuse(res, 503, 'ERR too many connections\n');
    if (this.#host.draining) return this.#refuse(res, 503, 'ERR draining, request not accepted\n');
    const limit = this.#options.maxFrame;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return this.#refuse(res, 413, `ERR message too large (${declared} bytes, limit ${limit})\n`);
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      // Chunked bodies declare no length: count as they come.
      if (size > limit) {
        refused = true;
        this.#refuse(res, 413, `ERR message too large (over ${limit} bytes)\n`);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      // The drain may have begun while the body arrived: it is not accepted.
      if (this.#host.draining) return this.#refuse(res, 503, 'ERR draining, request not accepted\n');
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      client.sink.expect(res);
      client.conn.receivedAt = performance.now();
      client.conn.submit(body, 0, size);
      this.#host.publishJobs();
    });
  }

  /** Refused before it became a job; the connection closes after this answer. */
  #refuse(res: http.ServerResponse, status: number, text: string): void {
    this.#host.rejected(ListenerCode.Http);
    send(res, status, text, true);
  }
}
