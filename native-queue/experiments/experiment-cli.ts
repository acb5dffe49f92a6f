/**
 * The command line every ring experiment shares:
 *
 *   node native-queue/dist/experiments/<name>.js [--reps N] [--quick]
 *
 * It prints one JSON object on stdout: the raw figures of every repetition.
 * Medians, charts and findings are made from that JSON by the runner,
 * `npm run experiment -- <name>` (profiling/experiments/), which can import
 * the chart module; this package cannot (see docs/study-guide.md, "Layout").
 */
import { parseArgs } from 'node:util';

export interface CommonOptions {
  readonly reps: number;
  /** Fewer, shorter trials: for trying the command, not for figures. */
  readonly quick: boolean;
}

export async function experimentMain<R>(name: string, defaultReps: number, run: (o: CommonOptions) => Promise<R>): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: { reps: { type: 'string' }, quick: { type: 'boolean', default: false } },
  });
  const reps = Number(values.reps ?? (values.quick ? 1 : defaultReps));
  if (!Number.isInteger(reps) || reps < 1) {
    process.stderr.write(`${name}: --reps must be a positive whole number, got "${values.reps}"\n`);
    process.exitCode = 64;
    return;
  }
  const result = await run({ reps, quick: values.quick });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
