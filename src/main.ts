/**
 * Entry point: configuration, the server, and process signals.
 * Operational messages go to stderr (pino), never into the request log.
 */
import { pino } from 'pino';
import { ConfigError, parseConfig, usage } from './config.js';
import { Server } from './server.js';

const log = pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 2, sync: true }));

async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError || (err instanceof Error && 'code' in err)) {
      process.stderr.write(`ringpool: ${err.message}\n\n${usage()}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  if (config === 'help') {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  log.info({ config }, 'configuration');
  const server = new Server(config, log);
  await server.start();
  log.info({ ports: server.ports, workers: config.workers, logFile: config.logFile, ack: config.ack }, 'ready');

  let signals = 0;
  const stop = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      log.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    log.info({ signal }, 'draining: no new connections; answering what was accepted');
    const deadline = setTimeout(() => {
      log.error({ drainTimeoutMs: config.drainTimeoutMs }, 'drain deadline passed; exiting');
      process.exit(1);
    }, config.drainTimeoutMs);
    deadline.unref();
    void server.shutdown().then(() => clearTimeout(deadline));
  };
  const reopen = (): void => server.reopenLog();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', reopen);
  // Also reached without a signal, when the log writer fails.
  void server.stopped.then((summary) => {
    log.info(summary, `stopped: answered ${summary.answered} requests, wrote ${summary.records} log records`);
    process.off('SIGHUP', reopen);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (server.writerFailed) {
      log.fatal('exiting with status 3: the request log could not be written');
      process.exitCode = 3;
    }
    // No process.exit(): the loop empties and Node exits normally, which
    // is what lets `node --cpu-prof` write its profiles.
  });
}

main().catch((err: unknown) => {
  log.fatal({ err }, 'failed to start');
  process.exitCode = 1;
});
