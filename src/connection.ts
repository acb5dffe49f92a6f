import { FixedDeque, Queue } from 'mnemonist';
import { Outcome } from './metrics/request-metrics.js';
import { type ListenerCode, LISTENER_NAMES, type ListenerName } from './records.js';

/** How a listener turns bytes into frames and answers into bytes. */
export interface Framing {
  readonly listener: ListenerName;
  /** Seed: one message per connection, answer then half-close. */
  readonly oneShot: boolean;
  /**
   * Feeds `chunk[from..]`; frames come back through conn.submit(). Returns
   * where it stopped: chunk.length, or earlier when conn.inputFull said
   * stop after a frame (the connection keeps the rest for later).
   */
  onData(conn: Connection, chunk: Buffer, from: number): number;
  /**
   * The bytes that carry the answer `src[start, end)` on the wire, built with
   * one allocation and one copy (the source may be the completion ring).
   */
  frameAnswer(src: Uint8Array, start: number, end: number): Buffer;
}

/**
 * Where a connection's answers go and whose input pauses: a net.Socket (it
 * fits as it is), or the HTTP front's adapter that turns each answer into a
 * response.
 */
export interface AnswerSink {
  /** False when the peer is not reading: wait for writable(). */
  write(bytes: Buffer): boolean;
  end(): void;
  // Two overloads, not `end(bytes?)`: net.Socket's end() overloads take a
  // callback first, and only separate signatures let a Socket be a sink.
  // eslint-disable-next-line @typescript-eslint/unified-signatures
  end(bytes: Buffer): void;
  cork(): void;
  uncork(): void;
  pause(): void;
  resume(): void;
  destroySoon(): void;
  destroy(): void;
}

/** What a connection needs from the server (kept narrow for testability). */
export interface ConnectionHost {
  /** Encodes a frame into the job ring; false when the ring is full. */
  tryEnqueue(conn: Connection, seq: number, buf: Buffer, start: number, end: number): boolean;
  /** Makes what tryEnqueue wrote visible to the workers (once per batch of frames). */
  publishJobs(): void;
  /** Called when this connection cannot enqueue until ring space frees. */
  waitForRingSpace(conn: Connection): void;
  isDurable(ticket: number): boolean;
  readonly writerFailed: boolean;
  readonly maxInflight: number;
  /** One answer went out; `startedAt` is performance.now() when its frame was complete. */
  answered(listener: ListenerCode, outcome: Outcome, startedAt: number, now: number): void;
  closed(conn: Connection, unanswered: number): void;
}

/** One request's place in the per-connection reorder window. */
export class Pending {
  done = false;
  answer: Buffer | null = null;
  /** Log ring position its log record ends at; -1: nothing to wait for. */
  ticket = -1;
  closeAfter = false;
  outcome: Outcome = Outcome.Ok;
  constructor(readonly seq: number, readonly startedAt: number) {}
}

interface Frame { readonly buf: Buffer; readonly start: number; readonly end: number; readonly at: number }

export type Retry = 'done' | 'window-full' | 'ring-full';

// Reasons not to read a socket; reading resumes when none is left.
const PAUSE_RING_FULL = 1;
const PAUSE_INFLIGHT = 2;
const PAUSE_WRITES = 4;
const PAUSE_STOPPED = 8;
/** Part of a read is not parsed yet (see onInput). */
const PAUSE_HELD_INPUT = 16;

/**
 * Frames one connection may submit in one turn of the event loop. A
 * pipelining client's 64 KiB read holds thousands of small frames; parsed in
 * one go they would hold the main thread for milliseconds while every other
 * connection waits. Past this many, the rest of the read is parsed in a later
 * turn (setImmediate), after the other connections' pending reads: a
 * round-robin between connections, 64 frames at a time. Reads of a client
 * waiting for its answers are smaller than this and never split.
 */
export const FRAMES_PER_TURN = 64;

const ERR_LOG_UNAVAILABLE = Buffer.from('ERR log unavailable, request not processed\n');

/**
 * One client connection on the main thread: the reorder window that keeps
 * answers in request order, the overflow of frames that found the job ring
 * full, and every reason to stop reading (backpressure).
 */
export class Connection {
  readonly window: FixedDeque<Pending>;
  readonly #overflow = new Queue<Frame>();
  #nextSeq = 0;
  #paused = 0;
  /** Input read but not parsed yet: #held[#heldAt..]. */
  #held: Buffer | null = null;
  #heldAt = 0;
  #parseScheduled = false;
  #framesThisTurn = 0;
  #readEnded = false;
  #ending = false;
  #closed = false;
  /** Set by the seed framing once its one message is taken. */
  ignoreInput = false;
  readonly ipBytes: Buffer;
  /** The framing's listener as the job record encodes it. */
  readonly listenerCode: ListenerCode;
  /**
   * performance.now() when the input being framed arrived (set by the
   * listener once per read): a frame is complete when its last byte is read.
   */
  receivedAt = 0;

  constructor(
    readonly id: number,
    readonly sink: AnswerSink,
    readonly framing: Framing,
    readonly host: ConnectionHost,
    readonly ip: string,
    readonly port: number,
  ) {
    // FixedDeque throws rather than overwrite when full: a bug here must be loud.
    this.window = new FixedDeque<Pending>(Array, framing.oneShot ? 2 : host.maxInflight + 1);
    this.ipBytes = Buffer.from(ip, 'latin1');
    this.listenerCode = LISTENER_NAMES.indexOf(framing.listener) as ListenerCode;
  }

  get unanswered(): number {
    return this.window.size + this.#overflow.size;
  }

  /**
   * Asked by the decoder after each frame: stop parsing when this connection
   * cannot take a frame now (full window, full job ring, a peer that does not
   * read its answers) or has had its share of this turn.
   */
  get inputFull(): boolean {
    return this.#paused !== 0 || this.#framesThisTurn >= FRAMES_PER_TURN;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  // ── input ─────────────────────────────────────────────────────────────────

  /**
   * A read from the socket. Parsing stops where the connection is full (see
   * inputFull); the unparsed rest is kept, by reference, with the socket
   * paused, and parsed when the reason to stop is gone: no frame is copied
   * aside, and a connection's backlog never costs the main thread more than
   * one turn's share at a time.
   */
  onInput(chunk: Buffer): void {
    if (this.#ending && this.ignoreInput) return; // after the last answer: read only to see the peer's end
    if (this.#held !== null) {
      // A read that was already under way when the socket was paused.
      this.#held = Buffer.concat([this.#held.subarray(this.#heldAt), chunk]);
      this.#heldAt = 0;
      return;
    }
    this.receivedAt = performance.now(); // one clock read per read, shared by its frames
    this.#parse(chunk, 0);
  }

  #parse(chunk: Buffer, from: number): void {
    this.#framesThisTurn = 0;
    // Full already (a read that was under way when the socket was paused):
    // keep all of it.
    const stop = this.#paused === 0 ? this.framing.onData(this, chunk, from) : from;
    if (stop >= chunk.length || this.ignoreInput || this.#closed) return;
    this.#held = chunk;
    this.#heldAt = stop;
    this.#pause(PAUSE_HELD_INPUT);
    if (this.#paused === PAUSE_HELD_INPUT) this.#scheduleParse(); // only its turn share ran out
  }

  #scheduleParse(): void {
    if (this.#parseScheduled) return;
    this.#parseScheduled = true;
    setImmediate(this.#parseHeld);
  }

  /** Bound once: a continuation allocates no closure. */
  readonly #parseHeld = (): void => {
    this.#parseScheduled = false;
    const held = this.#held;
    // Still full for another reason: #resume() schedules again when it clears.
    if (held === null || this.#closed || this.#paused !== PAUSE_HELD_INPUT) return;
    this.#held = null;
    // Not full any more; the socket itself stays paused until the rest is parsed.
    this.#paused = 0;
    this.#parse(held, this.#heldAt);
    this.host.publishJobs();
    if (this.#held === null) {
      if (this.#paused === 0 && !this.#closed) this.sink.resume();
      this.#maybeEnd();
    }
  };

  /**
   * A complete frame arrived. `buf` is valid only during this call (it may be
   * the decoder's partial-line buffer, reused for the next line of the same
   * chunk), so a frame that has to wait for room is copied.
   */
  submit(buf: Buffer, start: number, end: number): void {
    this.#framesThisTurn++;
    const at = this.receivedAt;
    if (this.#overflow.size > 0 || this.#enqueue(buf, start, end, at) !== 'done') {
      const copy = Buffer.from(buf.subarray(start, end)); // Buffer.from(buffer) copies
      this.#overflow.enqueue({ buf: copy, start: 0, end: copy.length, at });
    }
  }

  /**
   * Into the job ring, if the window and the ring have room. A full window
   * pauses reading until answers go out; a full ring pauses it until the
   * server sees ring space again (it calls retryOverflow).
   */
  #enqueue(buf: Buffer, start: number, end: number, at: number): Retry {
    if (this.window.size >= this.host.maxInflight) {
      this.#pause(PAUSE_INFLIGHT);
      return 'window-full';
    }
    const seq = this.#nextSeq;
    if (!this.host.tryEnqueue(this, seq, buf, start, end)) {
      this.#pause(PAUSE_RING_FULL);
      if (!this.#waitingForRing) {
        this.#waitingForRing = true;
        this.host.waitForRingSpace(this);
      }
      return 'ring-full';
    }
    this.#nextSeq = (seq + 1) >>> 0;
    this.window.push(new Pending(seq, at));
    if (this.window.size >= this.host.maxInflight) this.#pause(PAUSE_INFLIGHT);
    return 'done';
  }
  #waitingForRing = false;

  /**
   * Moves waiting frames into the ring. Called by the server when ring space
   * freed (this connection asked for it) and after answers left the window.
   */
  retryOverflow(fromRingWait = false): Retry {
    if (fromRingWait) this.#waitingForRing = false;
    while (this.#overflow.size > 0) {
      const f = this.#overflow.peek()!;
      const r = this.#enqueue(f.buf, f.start, f.end, f.at);
      if (r !== 'done') return r;
      this.#overflow.dequeue();
    }
    this.#resume(PAUSE_RING_FULL);
    if (this.#pendingError !== null) {
      const e = this.#pendingError;
      this.#pendingError = null;
      this.window.push(e);
    }
    return 'done';
  }

  /**
   * The stream is unusable (oversize frame, bad prefix): answer everything
   * before it, then this error, then close.
   */
  protocolError(reason: string): void {
    this.stopReading();
    const p = new Pending(this.#nextSeq, this.receivedAt);
    p.done = true;
    p.outcome = Outcome.Rejected;
    const text = Buffer.from(`ERR ${reason}\n`);
    p.answer = this.framing.frameAnswer(text, 0, text.length);
    p.closeAfter = true;
    if (this.#overflow.size > 0) {
      // Keep order: the error goes after the frames still waiting for room.
      this.#pendingError = p;
      return;
    }
    this.window.push(p);
    this.flush();
  }
  #pendingError: Pending | null = null;

  /** The peer half-closed: answer what is in flight, then end our side. */
  readEnded(): void {
    this.#readEnded = true;
    if (this.framing.oneShot && !this.ignoreInput) {
      // A seed client that closed before sending its message: the original's
      // recv() returns b'' and it closes without an answer. So do we, now,
      // rather than holding the slot until --seed-timeout-ms.
      this.#ending = true;
      this.sink.end();
      return;
    }
    this.#maybeEnd();
  }

  stopReading(): void {
    this.ignoreInput = true;
    this.#held = null;
    this.#pause(PAUSE_STOPPED);
  }

  // ── output ────────────────────────────────────────────────────────────────

  /**
   * A worker finished request `seq`; its answer is `src[start, end)`, read
   * (and framed) only if the request is still waiting for it.
   */
  complete(seq: number, src: Uint8Array, start: number, end: number, ticket: number, outcome: Outcome): void {
    const front = this.window.peekFirst();
    if (front === undefined) return;
    const offset = (seq - front.seq) >>> 0;
    const p = offset < this.window.size ? this.window.get(offset) : undefined;
    if (p === undefined || p.seq !== seq || p.done) return; // already answered (e.g. after a worker death)
    p.done = true;
    p.answer = this.framing.frameAnswer(src, start, end);
    p.ticket = ticket;
    p.outcome = outcome;
  }

  /**
   * Writes every answer at the front of the window that is complete and, in
   * the written/fsync ack modes, whose log record the writer has covered.
   * Returns true when the front is blocked on the log watermark.
   */
  flush(): boolean {
    if (this.#closed) return false;
    let count = 0;
    let waitingForLog = false;
    let corked = false;
    let now = 0; // read once per flush: one clock read for a batch of answers
    for (let p = this.window.peekFirst(); p !== undefined && p.done; p = this.window.peekFirst()) {
      let bytes = p.answer!;
      let outcome = p.outcome;
      if (p.ticket !== -1 && !this.host.isDurable(p.ticket)) {
        if (!this.host.writerFailed) { waitingForLog = true; break; }
        // The writer died: this record may not be in the log, so it must not
        // be acknowledged.
        bytes = this.framing.frameAnswer(ERR_LOG_UNAVAILABLE, 0, ERR_LOG_UNAVAILABLE.length);
        outcome = Outcome.LogUnavailable;
      }
      this.window.shift();
      count++;
      if (now === 0) now = performance.now();
      this.host.answered(this.listenerCode, outcome, p.startedAt, now);
      if (this.framing.oneShot || p.closeAfter) {
        if (corked) this.sink.uncork();
        this.#ending = true;
        this.sink.end(bytes);
        if (p.closeAfter) this.#discardUntilPeerEnds();
        return false;
      }
      if (!corked) { this.sink.cork(); corked = true; }
      if (!this.sink.write(bytes)) this.#pause(PAUSE_WRITES);
    }
    if (corked) this.sink.uncork();
    if (count > 0) {
      if (this.#overflow.size > 0 && !this.#waitingForRing) this.retryOverflow();
      if (this.window.size < this.host.maxInflight) this.#resume(PAUSE_INFLIGHT);
      if (this.window.peekFirst()?.done === true) return this.flush(); // the error that waited for the overflow
    }
    this.#maybeEnd();
    return waitingForLog;
  }

  /** 'drain' on the socket: the peer reads again. */
  writable(): void {
    this.#resume(PAUSE_WRITES);
  }

  #maybeEnd(): void {
    if ((this.#readEnded || this.ignoreInput) && this.unanswered === 0 && this.#held === null && !this.#ending
      && this.#pendingError === null && !this.framing.oneShot) {
      this.#ending = true;
      this.sink.end();
    }
  }

  /** Idle timeout: close if nothing is in flight. */
  idle(): void {
    if (this.unanswered === 0 && this.#held === null) {
      this.#ending = true;
      this.sink.end();
      this.sink.destroySoon();
    }
  }

  /** The socket is gone: forget everything still pending. */
  onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    const unanswered = this.unanswered;
    this.window.clear();
    this.#overflow.clear();
    this.#held = null;
    this.host.closed(this, unanswered);
  }

  /**
   * After a protocol error's answer and our half-close: read again, dropping
   * everything, so that the peer's own close is seen and the socket goes.
   * Left paused, a socket never sees it (the kernel tells only a reader),
   * and held its slot until the idle timeout. Read rather than destroyed:
   * closing with unread input sends a reset, which can destroy the error
   * answer still on its way to the client.
   */
  #discardUntilPeerEnds(): void {
    this.#held = null;
    this.#overflow.clear();
    this.#paused = 0;
    if (!this.#closed) this.sink.resume();
  }

  #pause(reason: number): void {
    if (this.#paused === 0) this.sink.pause();
    this.#paused |= reason;
  }

  #resume(reason: number): void {
    if ((this.#paused & reason) === 0) return;
    this.#paused &= ~reason;
    if (this.#closed) return;
    if (this.#paused === 0) this.sink.resume();
    else if (this.#paused === PAUSE_HELD_INPUT) this.#scheduleParse(); // parse the rest first
  }
}
