#!/usr/bin/env python3
"""The ORIGINAL design, kept as a peer to measure ringpool against.

A blocking accept loop hands every connection to a ThreadPoolExecutor of
10 threads. Each connection gets exactly one recv(1024): decode UTF-8, strip
whitespace, take the last character, count its occurrences, answer
"<n> sí\n" when n is prime and "<n> no\n" otherwise, close. Every request is
appended to a log file under a threading.Lock, one line each:

    YYYY-MM-DD HH:MM:SS | ip | message | count | sí

Only what ringpool's tooling needs was added around it: command-line flags,
port 0 (ephemeral), the JSON ready line on stderr, a clean exit on SIGTERM,
and --job-work N, the benchmark's CPU-bound job: the same N rounds of
xorshift32 as ringpool's src/job/cpu-work.ts (0, the default, is the
original). Python 3 standard library only.

    python3 profiling/peers/python-threadpool.py --port 0 --log-file /tmp/log.txt
"""
import argparse
import json
import signal
import socket
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

log_lock = threading.Lock()


def is_prime(n):
    if n < 2:
        return False
    i = 2
    while i * i <= n:
        if n % i == 0:
            return False
        i += 1
    return True


def cpu_work(units):
    # src/job/cpu-work.ts on 32-bit unsigned integers.
    x = 0x9e3779b9
    for _ in range(units):
        x ^= (x << 13) & 0xffffffff
        x ^= x >> 17
        x ^= (x << 5) & 0xffffffff
    return x


def handle(conn, addr, log_file, job_work):
    # The original had no error handling at all. A message that is not valid
    # UTF-8 raises UnicodeDecodeError, an empty or all-whitespace one raises
    # IndexError at message[-1]. The exception ends the task inside the pool
    # thread and is stored in a Future nobody reads: the client receives
    # NOTHING (no "ERR" line, ringpool's addition) and nothing is logged.
    # Kept as is; the only difference is that `with conn` closes the socket,
    # where the original leaked it until garbage collection.
    with conn:
        data = conn.recv(1024)
        message = data.decode('utf-8').strip()
        last = message[-1]
        if job_work:
            cpu_work(job_work)
        count = message.count(last)
        verdict = 'sí' if is_prime(count) else 'no'
        conn.sendall(f'{count} {verdict}\n'.encode('utf-8'))
        stamp = datetime.now().strftime('%Y-%m-%d %H:%M:%S')
        with log_lock:
            with open(log_file, 'a', encoding='utf-8') as f:
                f.write(f'{stamp} | {addr[0]} | {message} | {count} | {verdict}\n')


class Terminated(Exception):
    pass


def on_sigterm(signum, frame):
    # Raised in the main thread, which is blocked in accept(): that call is
    # interrupted and the loop below ends.
    raise Terminated()


def main():
    parser = argparse.ArgumentParser(description='Original ThreadPoolExecutor server (peer).')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=5050, help='0 = ephemeral')
    parser.add_argument('--log-file', default='server_log.txt')
    parser.add_argument('--workers', type=int, default=10)
    parser.add_argument('--job-work', type=int, default=0, help='extra CPU work per message (the benchmark)')
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, on_sigterm)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((args.host, args.port))
    server.listen(128)
    # SIGTERM may be delivered to a pool thread: the C-level handler then only
    # sets a flag, and Python runs on_sigterm when the main thread next runs
    # bytecode. Blocked in accept() with no connection coming, it never would
    # (a CI run hung there). A timeout on accept bounds that wait.
    server.settimeout(0.5)
    port = server.getsockname()[1]
    print(json.dumps({'msg': 'ready', 'ports': {'seed': port}}, separators=(',', ':')), file=sys.stderr, flush=True)

    pool = ThreadPoolExecutor(max_workers=args.workers)
    try:
        while True:
            try:
                conn, addr = server.accept()
            except socket.timeout:
                continue
            pool.submit(handle, conn, addr, args.log_file, args.job_work)
    except (Terminated, KeyboardInterrupt):
        pass
    finally:
        server.close()
        # Finish the connections already accepted, so their log lines exist.
        pool.shutdown(wait=True)
    print(json.dumps({'msg': 'stopped'}, separators=(',', ':')), file=sys.stderr, flush=True)


if __name__ == '__main__':
    main()
