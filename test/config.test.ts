/**
 * Unit: flag parsing of the limits a hostile peer runs into.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Config, ConfigError, parseConfig } from '../src/config.js';

function config(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Config {
  const c = parseConfig(argv, env);
  assert.notEqual(c, 'help');
  return c as Config;
}

test('--send-buffer: 256 KiB by default, 0 for the kernel\'s autotuning, the flag over the environment', () => {
  assert.equal(config([]).sendBuffer, 262144);
  assert.equal(config(['--send-buffer', '0']).sendBuffer, 0);
  assert.equal(config([], { RINGPOOL_SEND_BUFFER: '65536' }).sendBuffer, 65536);
  assert.equal(config(['--send-buffer', '8192'], { RINGPOOL_SEND_BUFFER: '65536' }).sendBuffer, 8192);
});

test('--send-buffer below one page or not a whole number is refused with the reason', () => {
  assert.throws(() => config(['--send-buffer', '100']), (e: unknown) => e instanceof ConfigError && /--send-buffer must be 0 .* or at least 4096, got 100/u.test(e.message));
  assert.throws(() => config(['--send-buffer', '64k']), (e: unknown) => e instanceof ConfigError && /--send-buffer must be an integer/u.test(e.message));
});
