// Where a sleeping thread waits, and how it is woken. The ring algorithms only
// say *when* to sleep and wake (the waiter words and SIGNAL, ring-core.hpp);
// this interface says *how*.
//
// It is an interface because the obvious implementation, the futex syscall
// on the SIGNAL word, does not interoperate with JavaScript: V8 implements
// Atomics.wait / Atomics.notify with its own process-wide waiter list (a
// mutex and one condition variable per sleeper, src/execution/futex-emulation.cc),
// not with a futex on the shared word. A C++ thread in FUTEX_WAIT is not
// woken by Atomics.notify, and FUTEX_WAKE does not wake a JavaScript thread in
// Atomics.wait (measured: README.md, "Waking across languages"). The addon's
// implementation, v8-wait-queue.hpp, therefore sleeps and wakes through V8's
// own Atomics.wait / Atomics.notify, so every sleeper of either language is
// on the one list every waker of either language notifies.
#pragma once

#include <cstdint>

namespace ringpool {

enum class WaitOutcome { kWoken, kNotEqual, kTimedOut, kFailed };

class WaitQueue {
 public:
  virtual ~WaitQueue() = default;

  /**
   * Sleeps while words[index] still holds `expected`, for at most
   * `timeout_ms` (infinity: no limit). kFailed: the mechanism refused (for
   * example Atomics.wait on a thread that may not block); an error is pending.
   */
  virtual WaitOutcome wait(int32_t index, int32_t expected, double timeout_ms) = 0;

  /** Wakes up to `count` sleepers on words[index]; count < 0 wakes all. False when it failed. */
  virtual bool notify(int32_t index, int32_t count) = 0;
};

}  // namespace ringpool
