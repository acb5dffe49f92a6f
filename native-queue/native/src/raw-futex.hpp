// The futex syscall on a SharedArrayBuffer word, for one experiment only
// (bench/futex-vs-atomics.ts): it shows that a raw futex and V8's Atomics
// never wake each other, which is why the rings do not use it (wait-queue.hpp).
#pragma once

#include <node_api.h>

namespace ringpool {

/** An object with wait(i32, index, expected, ms) and wake(i32, index, count); Linux only. */
napi_value raw_futex(napi_env env);

}  // namespace ringpool
