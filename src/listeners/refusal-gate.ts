/**
 * Bounds what refusing connections can cost the event loop.
 *
 * Over --max-connections a new connection is answered `ERR too many
 * connections` and closed. By then Node has accepted it and built a Socket,
 * and the answer and the close follow: about 340 µs of the process's CPU
 * per connection, most of it on the main thread (250 µs when only
 * destroyed; measured on the 2-core VM), at a rate the client chooses. A
 * flood of 3,000 connections a second past the limit would take the whole
 * event loop from the clients already connected.
 *
 * So refusals have a budget per window (100 ms by default). The refusal that
 * spends it closes the listening sockets until the window ends: meanwhile the kernel
 * refuses new connections itself (RST, the client sees ECONNREFUSED) at no
 * cost to the event loop, and connections that were queued, not yet
 * accepted, are reset. Open connections are untouched. A mild overload still
 * gets the clear ERR line; a flood gets refused connections.
 *
 * A pause ends when its window does (windows are short, so soon after the
 * flood), or as soon as a connection closes: a server with room accepts.
 */

export interface GateListeners {
  /** Stop accepting: close every listening socket (open connections stay). */
  close(): void;
  /** Accept again, on the same ports. */
  reopen(): void;
}

export class RefusalGate {
  readonly #perWindow: number;
  readonly #windowMs: number;
  readonly #listeners: GateListeners;
  readonly #now: () => number;
  #windowStart = -Infinity;
  #refused = 0;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  /** How many times a spent budget closed the listeners. */
  pauses = 0;

  /**
   * `perSecond` ERR refusals a second, as a budget of perSecond × windowMs
   * / 1000 per window (at least one: the connection that finds the server
   * full has been accepted already, and gets its answer).
   */
  constructor(perSecond: number, windowMs: number, listeners: GateListeners, now: () => number = () => performance.now()) {
    this.#perWindow = Math.max(1, Math.round((perSecond * windowMs) / 1000));
    this.#windowMs = windowMs;
    this.#listeners = listeners;
    this.#now = now;
  }

  get paused(): boolean {
    return this.#timer !== null;
  }

  /** One connection was refused (and answered): closes the listeners when that spent the window's budget. */
  refused(): void {
    const now = this.#now();
    if (now - this.#windowStart >= this.#windowMs) {
      this.#windowStart = now;
      this.#refused = 0;
    }
    this.#refused++;
    if (this.#refused < this.#perWindow || this.#timer !== null || this.#stopped) return;
    this.pauses++;
    this.#listeners.close();
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (!this.#stopped) this.#listeners.reopen();
    }, this.#windowStart + this.#windowMs - now);
  }

  /**
   * A connection closed: the next one will find room, so a pause ends now
   * rather than at the end of its window. The window's budget stays spent:
   * if the room is taken again, the next refusal pauses at once.
   */
  roomFreed(): void {
    if (this.#timer === null || this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = null;
    this.#listeners.reopen();
  }

  /** The server drains: the listeners stay closed, and no timer keeps the process alive. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
