import type net from 'node:net';
import { createRequire } from 'node:module';

/*
 * Why the server sets SO_SNDBUF on each accepted connection.
 *
 * A connection stops being read when its answers cannot be written
 * (Connection: PAUSE_WRITES), but "cannot be written" means the kernel's send
 * buffer is full, and Linux grows that buffer by itself up to
 * net.ipv4.tcp_wmem's maximum (4 MiB by default). A client that pipelines and
 * never reads therefore gets the server's full speed until megabytes of
 * answers sit in the kernel: measured on loopback, ~700,000 answers and 5 s of
 * a saturated server before it was paused, while every other connection
 * shared the cores with that work. With the buffer fixed at 256 KiB it is
 * paused after ~110,000 answers, within 2 s. A fixed size also
 * turns off the kernel's send-buffer autotuning for that socket: 256 KiB
 * still covers a 10 Gbit/s link at 0.2 ms of round trip, far more than a
 * request/answer protocol of small messages needs.
 *
 * Node has no API for it on TCP sockets (only on UDP ones), hence the
 * sockopt package (a small N-API addon: getsockopt/setsockopt on a socket's
 * file descriptor).
 */

const SOL_SOCKET = 1;
const SO_SNDBUF = 7;

interface SockoptModule {
  setsockopt(socket: net.Socket, level: number, option: number, value: number): void;
}

let loaded: SockoptModule | Error | null = null;

/** The addon, or why it could not load (it is only loaded when a size is asked for). */
function sockopt(): SockoptModule | Error {
  if (loaded === null) {
    try {
      loaded = createRequire(import.meta.url)('sockopt') as SockoptModule;
    } catch (err) {
      loaded = err instanceof Error ? err : new Error(String(err));
    }
  }
  return loaded;
}

/** Null when send buffers can be set here; otherwise why not (checked at start, for a clear refusal). */
export function sendBufferUnavailable(): string | null {
  const m = sockopt();
  return m instanceof Error ? `the sockopt addon did not load: ${m.message}` : null;
}

/**
 * Fixes the kernel's send buffer of `socket` at `bytes` (Linux allots twice
 * that, half of it for its own bookkeeping). Returns why it could not, if
 * it could not: the caller logs it, and the connection goes on with the
 * kernel's autotuning rather than failing.
 */
export function limitSendBuffer(socket: net.Socket, bytes: number): Error | null {
  if (socket.destroyed) return null; // closed between accept and here: nothing to limit
  const m = sockopt();
  if (m instanceof Error) return m; // refused at start by sendBufferUnavailable()
  try {
    m.setsockopt(socket, SOL_SOCKET, SO_SNDBUF, bytes);
    return null;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

