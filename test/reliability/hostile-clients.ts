/**
 * The hostile clients of hostile-input.ts, in a process of their own so that
 * their work does not run on the well-behaved client's event loop. Started
 * with an IPC channel: it opens everything, says {type:'ready'}, keeps
 * attacking until {type:'stop'}, then answers {type:'stats'} and exits.
 *
 * Every attack targets 127.0.0.1 only, and is bounded (connection counts,
 * rates) so that it is hostile input, not a CPU flood of two shared cores.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { expectedAnswer } from '../helpers/clients.js';

export const ATTACKS = ['random-bytes', 'oversize', 'truncated', 'invalid-utf8', 'slow-senders', 'flood', 'half-open', 'never-reads'] as const;
export type Attack = (typeof ATTACKS)[number];

export interface HostileOptions {
  readonly attacks: readonly Attack[];
  readonly ports: Readonly<Record<string, number>>;
  readonly maxFrame: number;
  /** Connections that each send one byte per second. */
  readonly slowSenders: number;
  /** Connections opened at once, twice a second, past --max-connections. */
  readonly floodSize: number;
  /** Connections holding a truncated frame (each of line, binary; plus silent seed ones). */
  readonly truncated: number;
  /** Half-closed connections opened per second. */
  readonly halfOpenPerSecond: number;
  /** Connections that pipeline and never read. */
  readonly neverReaders: number;
  /** The built flood-attacker.c to run the flood, or null to run it in this process. */
  readonly floodAttacker: string | null;
}

export type HostileMessage =
  | { readonly type: 'ready'; readonly openConnections: number }
  /** With a flood, after ready: it has filled --max-connections, in floodFillMs (null: not within FLOOD_FILL_LIMIT_MS). */
  | { readonly type: 'full'; readonly floodFillMs: number | null }
  | { readonly type: 'stats'; readonly stats: Record<string, number> };

const HOST = '127.0.0.1';
const stats: Record<string, number> = {};
const count = (key: string, n = 1): void => { stats[key] = (stats[key] ?? 0) + n; };
let stopping = false;
const sockets = new Set<net.Socket>();
const timers: NodeJS.Timeout[] = [];
/** The error each socket ended with, if any: how a connection was turned away when it got no answer. */
const errors = new WeakMap<net.Socket, string>();

/** Only the flood can spend the server's refusal budget and pause its listeners. */
let listenersMayPause = false;

/**
 * A connection that got no answer at all (`got` empty) was turned away by
 * the kernel if the server had paused its listeners (a flood past
 * --max-connections spent the refusal budget): refused outright, or reset
 * while queued, unaccepted. Without a flood in the phase, the same is a
 * server fault: null, and the caller counts it as OTHER.
 */
function turnedAwayByKernel(s: net.Socket, got: string): string | null {
  if (!listenersMayPause || got !== '') return null;
  const code = errors.get(s);
  return code === 'ECONNREFUSED' ? 'refused by the kernel (listeners paused)'
    : code === 'ECONNRESET' ? 'reset unanswered (queued when the listeners paused)' : null;
}

function connect(port: number, onConnect?: (s: net.Socket) => void, allowHalfOpen = false): net.Socket {
  const s = net.createConnection({ host: HOST, port, allowHalfOpen });
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
  s.on('error', (err: NodeJS.ErrnoException) => {
    errors.set(s, err.code ?? err.message);
    count(`socket error ${err.code ?? err.message}`);
  });
  if (onConnect !== undefined) s.once('connect', () => onConnect(s));
  return s;
}

/** Runs `open` now and again `delayMs` after each of its sockets closes, until stopping. */
function reconnecting(delayMs: number, open: () => net.Socket): void {
  const again = (): void => {
    if (stopping) return;
    open().once('close', () => { if (!stopping) timers.push(setTimeout(again, delayMs)); });
  };
  again();
}

/** Random bytes at a bounded rate to every listener; reconnect when closed. */
function randomBytesAttack(o: HostileOptions): void {
  for (const name of ['seed', 'line', 'binary', 'http']) {
    for (let i = 0; i < 2; i++) {
      reconnecting(50, () => connect(o.ports[name]!, (s) => {
        const tick = setInterval(() => {
          if (s.destroyed || s.writableEnded) { clearInterval(tick); return; }
          s.write(randomBytes(512));
          count('random bytes sent', 512);
        }, 20);
        timers.push(tick);
        s.on('data', () => count('random: answers read'));
        s.on('close', () => { clearInterval(tick); count(`random ${name}: closed by server`); });
      }));
    }
  }
}

/** Frames over --max-frame on every framing; each should get a clear refusal and a close. */
function oversizeAttack(o: HostileOptions): void {
  const answers = (name: string, s: net.Socket): void => {
    let got = '';
    s.on('data', (c: Buffer) => { got += c.toString('latin1'); });
    s.on('close', () => count(`oversize ${name}: ${/ERR (frame too large|negative frame length)|HTTP\/1\.1 413/u.test(got) ? 'refused clearly'
      : /ERR too many connections|HTTP\/1\.1 503/u.test(got) ? 'turned away (too many connections)'
        : turnedAwayByKernel(s, got) ?? `OTHER (${got.slice(0, 40)})`}`));
  };
  reconnecting(100, () => connect(o.ports['line']!, (s) => { answers('line', s); s.write(Buffer.alloc(o.maxFrame + 1000, 0x78)); }));
  reconnecting(100, () => connect(o.ports['binary']!, (s) => { answers('binary', s); s.write(Buffer.from([0xff, 0xff, 0x41])); }));
  reconnecting(100, () => connect(o.ports['http']!, (s) => {
    answers('http', s);
    s.write(`POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Length: ${o.maxFrame + 1}\r\n\r\n`);
  }));
}

/** Frames that never complete: a prefix announcing more than is sent, a line with no end, a seed connection that says nothing. */
function truncatedAttack(o: HostileOptions): void {
  for (let i = 0; i < o.truncated; i++) {
    connect(o.ports['binary']!, (s) => { const b = Buffer.alloc(1002, 0x61); b.writeInt16BE(30000); s.write(b); });
    connect(o.ports['line']!, (s) => s.write(Buffer.alloc(1000, 0x62)));
    connect(o.ports['seed']!).on('close', () => count('silent seed: closed by server'));
  }
}

/** Pipelined invalid UTF-8, read and checked: every answer must be ERR invalid UTF-8. */
function invalidUtf8Attack(o: HostileOptions): void {
  const bad = [Buffer.from([0x61, 0xff, 0x62]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0x61, 0xc3])];
  const batch = Buffer.concat(bad.flatMap((b) => [b, Buffer.from('\n')]));
  reconnecting(100, () => connect(o.ports['line']!, (s) => {
    let carry = '';
    s.on('data', (c: Buffer) => {
      const lines = (carry + c.toString('utf8')).split('\n');
      carry = lines.pop()!;
      for (const l of lines) count(l === 'ERR invalid UTF-8' ? 'invalid UTF-8: answered ERR invalid UTF-8' : 'invalid UTF-8: OTHER ANSWER');
    });
    const tick = setInterval(() => { if (!s.destroyed) s.write(batch); }, 20);
    timers.push(tick);
    s.on('close', () => clearInterval(tick));
  }));
}

/** Connections sending one byte a second; their messages, once complete, must be answered right. */
function slowSendersAttack(o: HostileOptions, opened: () => void): void {
  if (o.slowSenders === 0) { opened(); return; }
  const slow: { s: net.Socket; message: Buffer; at: number; carry: string; pending: string[] }[] = [];
  let connected = 0;
  for (let i = 0; i < o.slowSenders; i++) {
    const text = 'z'.repeat(1 + (i % 3)); // a message every 2 to 4 seconds
    const entry = { s: connect(o.ports['line']!, () => { if (++connected === o.slowSenders) opened(); }), message: Buffer.from(`${text}\n`), at: 0, carry: '', pending: [] as string[] };
    entry.s.on('data', (c: Buffer) => {
      const lines = (entry.carry + c.toString('utf8')).split('\n');
      entry.carry = lines.pop()!;
      for (const l of lines) count(`${l}\n` === entry.pending.shift() ? 'slow sender: right answer' : 'slow sender: WRONG ANSWER');
    });
    entry.s.on('close', () => { if (!stopping) count('slow sender: CLOSED BY SERVER'); });
    slow.push(entry);
  }
  // One byte per sender per second, spread over the second in 10 ms ticks.
  let next = 0;
  const perTick = Math.max(1, Math.ceil(o.slowSenders / 100));
  timers.push(setInterval(() => {
    for (let k = 0; k < perTick && slow.length > 0; k++, next = (next + 1) % slow.length) {
      const e = slow[next]!;
      if (e.s.destroyed || e.s.connecting) continue;
      const byte = e.message[e.at]!;
      e.s.write(Buffer.from([byte]));
      count('slow sender: bytes sent');
      if (byte === 0x0a) e.pending.push(expectedAnswer(e.message.subarray(0, -1).toString('utf8')));
      e.at = (e.at + 1) % e.message.length;
    }
  }, 10));
}

/** How long the flood may take to fill --max-connections before the phase is measured anyway (and its evidence found missing). */
const FLOOD_FILL_LIMIT_MS = 30_000;

/**
 * Twice a second, floodSize connections at once, each kept open and silent:
 * within seconds they fill --max-connections, and every one past it must be
 * told so and closed, or (past the refusal budget) refused by the kernel.
 *
 * `full` is called at the first connection turned away, once: the
 * connections before it were within --max-connections, accepted as any
 * server accepts its clients, and the phase is measured from there on, as
 * it is once the slow senders are connected. What is measured is the flood
 * past the limit; how long filling took is reported beside it.
 */
function floodAttack(o: HostileOptions, full: (fillMs: number | null) => void): void {
  const startedAt = performance.now();
  let filled = false;
  const settle = (fillMs: number | null): void => {
    if (filled) return;
    filled = true;
    full(fillMs);
  };
  const fill = (): void => settle(Math.round(performance.now() - startedAt));
  timers.push(setTimeout(() => {
    if (!filled) count(`flood: NOT FULL after ${FLOOD_FILL_LIMIT_MS} ms`);
    settle(null);
  }, FLOOD_FILL_LIMIT_MS));
  if (o.floodAttacker !== null) {
    cFlood(o.floodAttacker, o.ports['line']!, o.floodSize, fill);
    return;
  }
  timers.push(setInterval(() => {
    for (let i = 0; i < o.floodSize; i++) {
      let got = '';
      const s = connect(o.ports['line']!);
      s.on('data', (c: Buffer) => { got += c.toString('utf8'); });
      s.on('close', () => {
        const kernel = turnedAwayByKernel(s, got);
        const turnedAway = got === 'ERR too many connections\n' ? 'ERR too many connections' : kernel;
        if (turnedAway !== null) {
          count(`flood: ${turnedAway}`);
          fill();
        } else if (got !== '' || !stopping) {
          count(`flood: OTHER (${JSON.stringify(got.slice(0, 40))})`);
        }
      });
      s.once('connect', () => count('flood: connected'));
    }
  }, 500));
}

/** The C flood attacker (flood-attacker.c), and its counts once it has stopped. */
let flooder: { readonly child: ChildProcess; readonly counts: Promise<Record<string, number>> } | null = null;

/** The same flood from flood-attacker.c: it says "full", and its counts (JSON) when stopped with SIGTERM. */
function cFlood(binary: string, port: number, size: number, fill: () => void): void {
  const child = spawn(binary, [String(port), String(size)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const counts = new Promise<Record<string, number>>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      for (let i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n')) {
        const line = out.slice(0, i);
        out = out.slice(i + 1);
        if (line === 'full') fill();
        else resolve(JSON.parse(line) as Record<string, number>);
      }
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => reject(new Error(`the flood attacker exited (${signal ?? code}) without its counts`)));
  });
  counts.catch(() => undefined); // read at stop
  flooder = { child, counts };
}

/** Stops the C flood attacker, if any, and adds its counts to `into`. */
async function stopFlooder(into: Record<string, number>): Promise<void> {
  if (flooder === null) return;
  flooder.child.kill('SIGTERM');
  const add = (key: string, n: number): void => { into[key] = (into[key] ?? 0) + n; };
  try {
    for (const [key, n] of Object.entries(await flooder.counts)) add(key, n);
  } catch (err) {
    add(`flood: OTHER (${(err as Error).message})`, 1);
  }
}

/** Half-open: send a request, then half-close and wait for the server to answer and close. */
function halfOpenAttack(o: HostileOptions): void {
  timers.push(setInterval(() => {
    for (let i = 0; i < o.halfOpenPerSecond; i++) {
      let got = '';
      const withRequest = i % 2 === 0;
      const s = connect(o.ports['line']!, (sock) => { if (withRequest) sock.write('abc1a\n'); sock.end(); }, true);
      s.on('data', (c: Buffer) => { got += c.toString('utf8'); });
      // Refused or reset by the kernel there is no 'end': counted at the close.
      s.on('close', () => {
        const kernel = turnedAwayByKernel(s, got);
        if (kernel !== null) count(`half-open ${withRequest ? 'with a request' : 'empty'}: ${kernel}`);
      });
      s.on('end', () => count(`half-open ${withRequest ? 'with a request' : 'empty'}: ${got === (withRequest ? '2 sí\n' : '') ? 'answered and closed by server'
        : got === 'ERR too many connections\n' ? 'turned away (too many connections)' : `OTHER (${JSON.stringify(got.slice(0, 40))})`}`));
    }
  }, 1000));
}

/** Pipelines forever and never reads. */
function neverReadsAttack(o: HostileOptions): void {
  const chunk = Buffer.from(Array.from({ length: 2000 }, (_, i) => `never-read-${i}a\n`).join(''));
  for (let i = 0; i < o.neverReaders; i++) {
    connect(o.ports['line']!, (s) => {
      s.pause();
      const pump = (): void => {
        while (!stopping && !s.destroyed && s.write(chunk)) count('never-reads: bytes written', chunk.length);
      };
      s.on('drain', () => { count('never-reads: bytes written', chunk.length); pump(); });
      pump();
    });
  }
}

const LAUNCH: Record<Exclude<Attack, 'slow-senders' | 'flood'>, (o: HostileOptions) => void> = {
  'random-bytes': randomBytesAttack,
  oversize: oversizeAttack,
  truncated: truncatedAttack,
  'invalid-utf8': invalidUtf8Attack,
  'half-open': halfOpenAttack,
  'never-reads': neverReadsAttack,
};

/**
 * The slow senders first (they take a while to connect), then the rest at
 * once; ready then, and full when the flood, if any, has filled
 * --max-connections (its first burst comes 500 ms after ready: the
 * well-behaved client connects before it).
 */
function start(o: HostileOptions): void {
  listenersMayPause = o.attacks.includes('flood');
  const rest = (): void => {
    for (const a of o.attacks) if (a !== 'slow-senders' && a !== 'flood') LAUNCH[a](o);
    if (o.attacks.includes('flood')) floodAttack(o, (floodFillMs) => void process.send!({ type: 'full', floodFillMs } satisfies HostileMessage));
    process.send!({ type: 'ready', openConnections: sockets.size } satisfies HostileMessage);
  };
  if (o.attacks.includes('slow-senders')) slowSendersAttack(o, rest);
  else rest();
}

process.on('message', (m: { type: 'start'; options: HostileOptions } | { type: 'stop' }) => {
  switch (m.type) {
    case 'start': start(m.options); break;
    case 'stop': {
      stopping = true;
      for (const t of timers) clearTimeout(t);
      stats['open connections at stop'] = sockets.size;
      // What the attacks saw until now: the closes of our own sockets below
      // are not the server's doing, and must not be counted while the C
      // attacker's counts are awaited.
      const final = { ...stats };
      for (const s of sockets) s.destroy();
      void stopFlooder(final).then(() => process.send!({ type: 'stats', stats: final } satisfies HostileMessage, () => process.disconnect()));
      break;
    }
    default: {
      const never: never = m;
      throw new Error(`this should not happen: ${JSON.stringify(never)}`);
    }
  }
});
