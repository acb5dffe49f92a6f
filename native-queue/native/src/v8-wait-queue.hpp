// The WaitQueue of the addon: sleeps in, and wakes through, V8's own
// Atomics.wait and Atomics.notify, called from C++ through Node-API.
//
// Why not the futex syscall: V8 keeps its own waiter list for Atomics (see
// wait-queue.hpp), so a raw futex sleeper and a JavaScript sleeper never see
// each other's wake-ups. Calling the very functions JavaScript calls puts a
// C++ sleeper on V8's list, where a JavaScript Atomics.notify finds it, and
// makes a C++ wake-up reach JavaScript sleepers, including the main thread's
// Atomics.waitAsync. No protocol word changes and the JavaScript rings need
// no knowledge of the addon. The cost is one call into JavaScript per sleep
// and per notify; the protocol keeps both off the fast path.
//
// A V8WaitQueue belongs to one thread (one napi_env): the thread that
// attached the handle, as every ring handle does.
#pragma once

#include <node_api.h>

#include "wait-queue.hpp"

namespace ringpool {

class V8WaitQueue final : public WaitQueue {
 public:
  /** `words`: an Int32Array over the whole SharedArrayBuffer of the ring. */
  V8WaitQueue(napi_env env, napi_value words);
  ~V8WaitQueue() override;
  V8WaitQueue(const V8WaitQueue&) = delete;
  V8WaitQueue& operator=(const V8WaitQueue&) = delete;

  WaitOutcome wait(int32_t index, int32_t expected, double timeout_ms) override;
  bool notify(int32_t index, int32_t count) override;

  /** Looks up Atomics.wait and Atomics.notify once per thread (module init). */
  static napi_status capture_atomics(napi_env env);

 private:
  napi_env env_;
  napi_ref words_;
};

}  // namespace ringpool
