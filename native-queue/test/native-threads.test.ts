import type { RingImplementation } from '../src/index.js';
import { ROUNDS, STRESS_RECORDS, mainThreadConsumer, mpscStress, spmcStress, wakeHunt } from './fixtures/ring-scenarios.js';
import { nativeTests } from './fixtures/native-gate.js';

// The scenarios of ring-threads.test.ts with the C++ rings (NativeSpmcRing,
// NativeMpscRing) in some threads and the JavaScript rings in the others, on
// one buffer: the two implementations must interoperate in both directions,
// including waking each other (README.md of native/, "Waking across languages").

const LANGUAGE: Record<RingImplementation, string> = { js: 'JS', native: 'C++' };

/** "2 C++", "JS + C++" ... for test names. */
function who(impls: readonly RingImplementation[]): string {
  const first = impls[0]!;
  if (impls.every((i) => i === first)) return `${impls.length > 1 ? `${impls.length} ` : ''}${LANGUAGE[first]}`;
  return impls.map((i) => LANGUAGE[i]).join(' + ');
}

const plural = (n: number, word: string): string => `${word}${n > 1 ? 's' : ''}`;

nativeTests('native-threads', (nativeTest) => {
  const spmc: readonly [RingImplementation, readonly RingImplementation[]][] = [
    ['js', ['native', 'native']],
    ['native', ['js', 'js']],
    ['native', ['native', 'js', 'native']],
  ];
  for (const [producer, consumers] of spmc) {
    nativeTest(`SPMC stress, mixed: ${who([producer])} producer to ${who(consumers)} ${plural(consumers.length, 'consumer')}, ${STRESS_RECORDS} self-checking records (1 B to 4 KiB) through a 16 KiB ring, each exactly once and in order`, async () => {
      await spmcStress(producer, consumers);
    });
  }

  const mpsc: readonly [readonly RingImplementation[], RingImplementation][] = [
    [['js', 'js'], 'native'],
    [['native', 'native'], 'js'],
    [['js', 'native', 'js'], 'native'],
  ];
  for (const [producers, consumer] of mpsc) {
    nativeTest(`MPSC stress, mixed: ${who(producers)} producers to a ${who([consumer])} consumer, ${STRESS_RECORDS} self-checking records through a 16 KiB ring, each exactly once and FIFO per producer`, async () => {
      await mpscStress(producers, consumer);
    });
  }

  const hunts: readonly ['spmc' | 'mpsc', readonly RingImplementation[], readonly RingImplementation[]][] = [
    ['spmc', ['js'], ['native', 'native']],
    ['spmc', ['native'], ['js', 'js']],
    ['spmc', ['native'], ['js', 'native']],
    ['mpsc', ['js', 'js'], ['native']],
    ['mpsc', ['native', 'native'], ['js']],
    ['mpsc', ['js', 'native'], ['native']],
  ];
  for (const [kind, producers, consumers] of hunts) {
    nativeTest(`${kind.toUpperCase()} lost wake-up hunt, mixed: ${who(producers)} ${plural(producers.length, 'producer')} to ${who(consumers)} ${plural(consumers.length, 'consumer')}, ${ROUNDS} rounds, consumers asleep on every empty`, async () => {
      await wakeHunt(kind, producers, consumers);
    });
  }

  for (const [consumer, producer] of [['native', 'js'], ['js', 'native'], ['native', 'native']] as const) {
    nativeTest(`main-thread ${LANGUAGE[consumer]} consumer drains through waitAsync, woken by a ${LANGUAGE[producer]} producer thread, while its timer keeps firing`, async () => {
      await mainThreadConsumer(consumer, producer);
    });
  }
});
