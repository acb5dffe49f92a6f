import { type TransferListItem, Worker } from 'node:worker_threads';
import type { FromWorker, Role, ToWorker, WorkerSetup } from './messages.js';

type Kind = FromWorker['kind'];
type MessageOf<K extends Kind> = Extract<FromWorker, { kind: K }>;

/**
 * The main thread's side of one benchmark worker: a typed mailbox. Messages
 * are queued as they arrive, so none is lost between two awaits, and a
 * worker error or unexpected exit rejects whoever waits next.
 */
export class WorkerHandle {
  readonly role: Role;
  readonly #worker: Worker;
  readonly #inbox: FromWorker[] = [];
  #waiter: { resolve: (m: FromWorker) => void; reject: (e: Error) => void } | null = null;
  #failure: Error | null = null;
  #exiting = false;

  constructor(role: Role) {
    this.role = role;
    const workerData: WorkerSetup = { role };
    this.#worker = new Worker(new URL('./bench-worker.js', import.meta.url), { workerData });
    this.#worker.on('message', (msg: FromWorker) => {
      const waiter = this.#waiter;
      if (waiter === null) {
        this.#inbox.push(msg);
      } else {
        this.#waiter = null;
        waiter.resolve(msg);
      }
    });
    this.#worker.on('error', (err: Error) => this.#fail(new Error(`${role} worker failed: ${err.message}`, { cause: err })));
    this.#worker.on('exit', (code) => {
      if (!this.#exiting) this.#fail(new Error(`${role} worker exited unexpectedly with code ${code}`));
    });
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.reject(err);
  }

  send(msg: ToWorker, transfer: readonly TransferListItem[] = []): void {
    this.#worker.postMessage(msg, transfer);
  }

  /** The next message, which must be of `kind` (anything else is a protocol error). */
  async receive<K extends Kind>(kind: K): Promise<MessageOf<K>> {
    const msg = await this.#next();
    if (msg.kind !== kind) throw new Error(`${this.role} worker sent '${msg.kind}', expected '${kind}'`);
    return msg as MessageOf<K>;
  }

  #next(): Promise<FromWorker> {
    const queued = this.#inbox.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#failure !== null) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => { this.#waiter = { resolve, reject }; });
  }

  /** Asks the worker to end and waits until its thread is gone. */
  async exit(): Promise<void> {
    this.#exiting = true;
    const gone = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.send({ kind: 'exit' });
    await gone;
  }

  /** For the failure path only: a worker stuck in Atomics.wait never reads 'exit'. */
  async terminate(): Promise<void> {
    this.#exiting = true;
    await this.#worker.terminate();
  }
}
