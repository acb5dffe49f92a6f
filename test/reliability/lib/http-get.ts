/**
 * GET against the HTTP front (/healthz, /metrics), one connection per
 * request, and the Prometheus text read back into numbers.
 */
import http from 'node:http';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface Reply {
  readonly status: number;
  readonly body: string;
}

export function httpGet(port: number, urlPath: string, timeoutMs = 5000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${urlPath}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** Metric name -> the sum of its samples (one sample for an unlabelled gauge). */
export type MetricValues = ReadonlyMap<string, number>;

/**
 * An event-loop delay statistic from a scrape, in ms, beyond the monitor's
 * own period. monitorEventLoopDelay records the time between ticks of its
 * timer, so every value includes that period: the smallest value since the
 * last scrape (which reset the histogram) stands for it, the rest is delay.
 */
export function loopDelayMs(m: MetricValues, stat: 'p99' | 'max'): number {
  return ((m.get(`nodejs_eventloop_lag_${stat}_seconds`) ?? NaN) - (m.get('nodejs_eventloop_lag_min_seconds') ?? NaN)) * 1000;
}

export async function scrapeMetrics(port: number): Promise<MetricValues> {
  const reply = await httpGet(port, '/metrics');
  if (reply.status !== 200) throw new Error(`GET /metrics: status ${reply.status}`);
  const values = new Map<string, number>();
  for (const family of parsePrometheusTextFormat(reply.body)) {
    if (family.type !== 'GAUGE' && family.type !== 'COUNTER') continue;
    values.set(family.name, family.metrics.reduce((sum, m) => sum + Number(m.value), 0));
  }
  return values;
}
