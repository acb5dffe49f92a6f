/**
 * RefusalGate in isolation, with a fake clock and mocked timers: when a
 * spent refusal budget closes the listeners, and when they reopen.
 */
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { RefusalGate } from '../src/listeners/refusal-gate.js';

/** A gate of `perSecond` over 100 ms windows, whose listeners record what happened to them, on a clock the test moves. */
function gate(perSecond: number): { gate: RefusalGate; events: string[]; advance: (ms: number) => void } {
  let now = 1000;
  const events: string[] = [];
  const g = new RefusalGate(perSecond, 100, { close: () => events.push(`close@${now}`), reopen: () => events.push(`reopen@${now}`) }, () => now);
  return { gate: g, events, advance: (ms) => { now += ms; mock.timers.tick(ms); } };
}

test('refusals within the window budget leave the listeners open', (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const { gate: g, events, advance } = gate(50); // 5 per 100 ms
  for (let i = 0; i < 4; i++) { g.refused(); advance(10); }
  advance(100); // a new window
  for (let i = 0; i < 4; i++) { g.refused(); advance(10); }
  assert.deepEqual(events, []);
  assert.equal(g.pauses, 0);
  assert.equal(g.paused, false);
});

test('the refusal that spends the budget closes the listeners until its window ends', (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const { gate: g, events, advance } = gate(50);
  for (let i = 0; i < 5; i++) { g.refused(); advance(10); } // the window began at 1000; the 5th refusal is at 1040
  assert.deepEqual(events, ['close@1040']);
  assert.equal(g.paused, true);
  advance(49); // 1099
  assert.deepEqual(events, ['close@1040']);
  advance(1); // 1100: the window is over
  assert.deepEqual(events, ['close@1040', 'reopen@1100']);
  assert.equal(g.paused, false);
  assert.equal(g.pauses, 1);
});

test('after a reopen the next window has a whole budget again', (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const { gate: g, events, advance } = gate(20); // 2 per 100 ms
  g.refused();
  g.refused(); // spent at 1000
  advance(100); // reopened at 1100
  g.refused(); // a new window: 1 of 2
  assert.deepEqual(events, ['close@1000', 'reopen@1100']);
  g.refused(); // spent at 1100
  advance(100);
  assert.deepEqual(events, ['close@1000', 'reopen@1100', 'close@1100', 'reopen@1200']);
  assert.equal(g.pauses, 2);
});

test('a budget under one refusal per window still answers the first, then pauses', (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const { gate: g, events } = gate(0);
  g.refused();
  assert.deepEqual(events, ['close@1000']);
});

test('stop cancels a pending reopen and keeps the listeners closed', (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const { gate: g, events, advance } = gate(0);
  g.refused();
  g.stop();
  advance(1000);
  g.refused();
  assert.deepEqual(events, ['close@1000']);
  assert.equal(g.paused, false);
});

test('a connection that closes during a pause reopens the listeners at once; the spent budget pauses again at the next refusal', (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const { gate: g, events, advance } = gate(10); // 1 per 100 ms
  g.refused(); // spent at 1000
  advance(30);
  g.roomFreed(); // 1030
  assert.deepEqual(events, ['close@1000', 'reopen@1030']);
  assert.equal(g.paused, false);
  advance(10);
  g.refused(); // 1040, the same window: its budget is still spent
  assert.deepEqual(events, ['close@1000', 'reopen@1030', 'close@1040']);
  advance(60); // the window began at 1000: the pause ends at 1100, once
  advance(100);
  assert.deepEqual(events, ['close@1000', 'reopen@1030', 'close@1040', 'reopen@1100']);
  g.roomFreed(); // not paused: nothing to do
  assert.equal(events.length, 4);
});
