import { test } from 'node:test';
import type { RingImplementation } from '../src/index.js';
import { ROUNDS, STRESS_RECORDS, mainThreadConsumer, mpscStress, spmcStress, wakeHunt } from './fixtures/ring-scenarios.js';

// Every thread runs the JavaScript rings here; native-threads.test.ts runs
// the same scenarios with C++ rings in some of the threads.

for (const consumers of [1, 3]) {
  test(`SPMC stress: 1 producer to ${consumers} consumers, ${STRESS_RECORDS} self-checking records through a 16 KiB ring, each exactly once and in order`, async () => {
    await spmcStress('js', new Array<RingImplementation>(consumers).fill('js'));
  });
}

for (const producers of [2, 3]) {
  test(`MPSC stress: ${producers} producers to 1 consumer, ${STRESS_RECORDS} self-checking records through a 16 KiB ring, each exactly once and FIFO per producer`, async () => {
    await mpscStress(new Array<RingImplementation>(producers).fill('js'), 'js');
  });
}

for (const [kind, producers, consumers] of [['spmc', 1, 2], ['mpsc', 2, 1]] as const) {
  test(`${kind.toUpperCase()} lost wake-up hunt: ${ROUNDS} rounds of publish-one-then-pause with ${consumers} consumer(s) that sleep on every empty`, async () => {
    await wakeHunt(kind, new Array<RingImplementation>(producers).fill('js'), new Array<RingImplementation>(consumers).fill('js'));
  });
}

test('main-thread consumer drains through waitAsync while its timer keeps firing', async () => {
  await mainThreadConsumer('js', 'js');
});
