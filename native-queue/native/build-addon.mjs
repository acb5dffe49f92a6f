#!/usr/bin/env node
// Builds the optional C++ addon (native-queue/native) with node-gyp, offline
// when it can: the Node-API headers come from this Node installation
// (--nodedir) when it ships them, as Debian's and the official tarballs do.
//
//   node native-queue/native/build-addon.mjs                  build, or fail saying what is missing
//   node native-queue/native/build-addon.mjs --if-possible    no usable toolchain: say so and exit 0
//
// --if-possible is for `npm test`: the addon is optional, so a machine without
// a compiler must still pass the JavaScript suites (the native tests then say
// they did not run, and fail instead when RINGPOOL_REQUIRE_NATIVE=1, as in CI).
// A toolchain that is there but fails to build is an error either way: the
// tests would otherwise run a stale addon, or none, and look fine.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const optional = process.argv.includes('--if-possible');

function giveUp(reason, allowed) {
  console.error(`native queue: addon not built: ${reason}`);
  process.exit(allowed ? 0 : 1);
}

const onPath = (command) => spawnSync('sh', ['-c', `command -v "${command}"`], { stdio: 'ignore' }).status === 0;
const compiler = process.env.CXX ?? ['c++', 'g++', 'clang++'].find(onPath);
const missing = [];
if (compiler === undefined || !onPath(compiler.split(' ')[0])) missing.push('a C++20 compiler (g++ 10+ or clang++ 11+: apt-get install g++)');
if (!onPath('make')) missing.push('make');
if (!onPath('python3')) missing.push('python3');
if (missing.length === 0) {
  // std::atomic_ref is the C++20 feature the rings need (g++ 10+, clang++ 11+).
  const probe = spawnSync('sh', ['-c', `${compiler} -std=c++20 -x c++ -fsyntax-only -`], {
    input: '#include <atomic>\nint main() { int x = 0; return std::atomic_ref<int>(x).load(); }\n', stdio: ['pipe', 'ignore', 'ignore'],
  });
  if (probe.status !== 0) missing.push(`a C++20 compiler with std::atomic_ref (${compiler} is older: g++ 10+ or clang++ 11+)`);
}
if (missing.length > 0) giveUp(`missing ${missing.join(', ')}`, optional);

let nodeGyp;
try {
  nodeGyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
} catch {
  giveUp('node-gyp is not installed (it is a devDependency: run npm ci first)', optional);
}

// Configure once, then build incrementally (make recompiles what changed):
// `npm test` runs this every time. Delete native-queue/native/build to start over.
const configured = existsSync(path.join(here, 'build', 'Makefile'));
const args = [nodeGyp, configured ? 'build' : 'rebuild'];
const prefix = path.resolve(process.execPath, '..', '..');
const headersHere = existsSync(path.join(prefix, 'include', 'node', 'node_api.h'));
if (!configured && headersHere) args.push(`--nodedir=${prefix}`);
// Without local headers node-gyp downloads them, which needs the network:
// --if-possible does not try (unless an earlier download is in its cache).
const cached = existsSync(path.join(os.homedir(), '.cache', 'node-gyp', process.versions.node, 'include', 'node', 'node_api.h'));
if (!configured && !headersHere && !cached && optional) {
  giveUp(`no Node-API headers under ${prefix}/include/node (run npm run build:native to let node-gyp download them)`, true);
}
// The compiler found above, also when it is not make's default (g++).
const run = spawnSync(process.execPath, args, { cwd: here, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, CXX: compiler } });
if (run.status !== 0) giveUp(`node-gyp failed (exit ${run.status ?? run.signal}); see its output above`, false);
console.error(`native queue: built ${path.join(here, 'build', 'Release', 'ringpool_native.node')}`);
