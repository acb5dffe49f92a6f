/**
 * `npm run load:http`: autocannon against POST /jobs, its own table printed.
 *
 * Without --url it starts ringpool itself (every TCP listener off, the HTTP
 * front on an ephemeral port, the log in a temporary directory), loads it,
 * stops it with SIGTERM and checks the drain exited 0. With --url it loads a
 * server you started (`npm start`, default http://127.0.0.1:8080/jobs).
 * Arguments after `--` go to the server it starts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startServer } from './server-process.js';

const USAGE = `Usage: npm run load:http -- [options] [-- server flags]
  --url <url>            load this server's /jobs instead of starting one
  --connections <n>      default 16
  --pipelining <n>       requests in flight per connection, default 8
  --duration <s>         default 10
  --rate <n>             fixed total requests/s (autocannon -R: coordinated omission corrected); default closed loop
  --body <text>          the message, default "abc1a" (the JMeter plan's shape)
  --workers <n>          worker threads of the server it starts (default: the server's default)`;

function number(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${raw}"`);
  return n;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      url: { type: 'string' }, connections: { type: 'string' }, pipelining: { type: 'string' },
      duration: { type: 'string' }, rate: { type: 'string' }, body: { type: 'string' }, workers: { type: 'string' },
      help: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (values.help === true) { process.stdout.write(`${USAGE}\n`); return; }
  const connections = number('connections', values.connections, 16);
  const pipelining = number('pipelining', values.pipelining, 8);
  const duration = number('duration', values.duration, 10);
  const rate = values.rate === undefined ? undefined : number('rate', values.rate, 0);
  const body = values.body ?? 'abc1a';

  let url = values.url;
  let stop = async (): Promise<void> => undefined;
  if (url === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringpool-load-http-'));
    const main = fileURLToPath(new URL('../src/main.js', import.meta.url));
    const server = await startServer(['node', main, '--seed-port', 'off', '--line-port', 'off', '--binary-port', 'off',
      '--http-port', '0', '--log-file', path.join(dir, 'log.txt'),
      ...(values.workers === undefined ? [] : ['--workers', values.workers]), ...positionals]);
    url = `http://127.0.0.1:${server.ports['http']!}/jobs`;
    process.stderr.write(`ringpool started (pid ${server.pid}), log in ${dir}\n`);
    stop = async () => {
      const { code, signal } = await server.stop('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
      if (code !== 0) throw new Error(`the server's drain ended with code ${code} signal ${signal}`);
      process.stderr.write('ringpool drained and exited 0\n');
    };
  }

  process.stderr.write(`autocannon: POST ${url} body ${JSON.stringify(body)}, ${connections} connections x ${pipelining} pipelined, `
    + `${duration} s${rate === undefined ? '' : `, ${rate} req/s`} (${os.cpus().length} cores, node ${process.version})\n`);
  let result: autocannon.Result;
  try {
    result = await autocannon({
      url, method: 'POST', body, headers: { 'content-type': 'text/plain; charset=utf-8' },
      connections, pipelining, duration, ...(rate === undefined ? {} : { overallRate: rate }),
    });
  } finally {
    await stop();
  }
  process.stdout.write(autocannon.printResult(result, { renderResultsTable: true, renderLatencyTable: false }));
  if (result.errors > 0 || result.non2xx > 0) {
    process.stderr.write(`${result.errors} errors, ${result.non2xx} non-2xx answers\n`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`load:http: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
