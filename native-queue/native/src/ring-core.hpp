// What both ring algorithms share, as in native-queue/src/ring-core.ts:
// checking a buffer, the close flag, the statistics slots, and the sleep/wake
// protocol. The comments of ring-core.ts hold the argument for the protocol;
// this file says where the C++ differs and why.
//
// The sleep/wake protocol, step for step the JavaScript one. A sleeper:
//   1. samples SIGNAL                 load_seq_cst
//   2. announces itself in WAITERS    fetch_add_seq_cst (a count), or a flag store
//   3. re-checks the condition        seq_cst loads (has_data / has_space_for)
//   4. sleeps unless SIGNAL moved     WaitQueue::wait (V8's Atomics.wait)
// A waker, after its seq_cst publishing store:
//   a. loads WAITERS; zero: done      load_seq_cst: no call at all
//   b. bumps SIGNAL and notifies      fetch_add_seq_cst, WaitQueue::notify
// Steps 2-3 against the publish-then-(a) are a store-buffering pair: each
// side stores, then loads what the other stored. Only seq_cst on both sides
// (or a seq_cst fence between the store and the load) rules out both loads
// missing both stores; that is why these are never weakened, in either language.
#pragma once

#include <cstddef>
#include <cstdint>

#include "layout.hpp"
#include "shared-words.hpp"
#include "wait-queue.hpp"

namespace ringpool {

/** What a blocking wait ended with; kFailed: the wait queue refused, an error is pending. */
enum class WaitResult : int32_t { kOk = 0, kTimedOut = 1, kClosed = 2, kFailed = 3 };

/** Which condition a thread sleeps on: records to take, or room to write. */
enum class Side : int32_t { kData = 0, kSpace = 1 };

/** begin_async_sleep(): arm a wait on `seq`, or do not sleep and why. */
enum class AsyncStep : int32_t { kSleep = 0, kReady = 1, kClosed = 2, kAgain = 3 };

/** Why a buffer cannot be attached (the binding turns each into the JavaScript message). */
enum class AttachError : int32_t { kNone, kMisaligned, kTooSmall, kBadMagic, kWrongKind, kBadCapacity, kBadMaxPayload };

class RingCore {
 public:
  static constexpr int32_t kFreshSlot = -1;

  /**
   * Checks that `bytes` bytes at `base` hold an initialised ring of `kind`
   * whose record area lies inside them. JavaScript's typed arrays check
   * every index; C++ does not, so a buffer is validated once, here.
   */
  static AttachError check(const void* base, size_t bytes, int32_t kind);

  virtual ~RingCore() = default;
  RingCore(const RingCore&) = delete;
  RingCore& operator=(const RingCore&) = delete;

  int32_t capacity() const { return capacity_; }
  int32_t max_payload() const { return max_payload_; }
  /** The record area (capacity bytes). */
  uint8_t* data() const { return data_; }
  int32_t kind() const { return load_relaxed(words_[layout::kKind]); }

  bool closed() const { return load_seq_cst(words_[layout::kClosed]) != 0; }
  /** Marks the ring closed and wakes every sleeper of both sides. */
  void close();
  int32_t queued_bytes() const {
    return distance(load_seq_cst(words_[layout::kWrite]), load_seq_cst(words_[layout::kRead]));
  }

  virtual bool has_data() = 0;
  virtual bool is_drained() = 0;
  virtual bool has_space_for(int32_t payload) = 0;

  /** Blocks (spin, then WaitQueue::wait) until a record is there, closed and drained, or timeout. */
  WaitResult wait_for_data(double timeout_ms) { return wait(Side::kData, -1, timeout_ms); }
  /** Blocks until `payload` bytes fit, closed, or timeout. `payload` must be 0..max_payload. */
  WaitResult wait_for_space(int32_t payload, double timeout_ms) { return wait(Side::kSpace, payload, timeout_ms); }

  /**
   * The non-blocking wait (whenData / whenSpace) in two halves, because the
   * sleeping itself must be JavaScript's Atomics.waitAsync. kSleep: the
   * caller is announced and must waitAsync(SIGNAL, *seq), then call
   * end_async_sleep(). Any other step: not announced (any more).
   */
  AsyncStep begin_async_sleep(Side side, int32_t payload, int32_t* seq);
  void end_async_sleep(Side side, bool slept);

 protected:
  RingCore(void* base, WaitQueue* queue, int32_t producer_slot, int32_t consumer_slot, int32_t spin);

  /** The header word (SIZE) of the record at `position`, and its LENGTH word. */
  int32_t& size_word(int32_t position) { return words_[data_word_ + ((position & mask_) >> 2)]; }
  int32_t& length_word(int32_t position) { return words_[data_word_ + ((position & mask_) >> 2) + 1]; }
  uint8_t* payload_at(int32_t position) { return data_ + (position & mask_) + layout::kHeaderBytes; }
  int32_t index_of(int32_t position) const { return position & mask_; }

  /** Bytes a record of `size` takes at `position`: itself, plus the padding before a wrap. */
  int32_t space_needed(int32_t position, int32_t size) const {
    const int32_t tail = capacity_ - (position & mask_);
    return size <= tail ? size : tail + size;
  }

  /** Steps 2 (and its undoing) of the protocol; the MPSC consumer's word is a flag. */
  virtual void announce_sleeper(int32_t waiters);
  virtual void retire_sleeper(int32_t waiters);
  /** Steps a-b with WAKE_PENDING (ring-core.ts, wake()). */
  void wake(int32_t waiters, int32_t count, double* stats);
  virtual void wake_consumers(int32_t count, double* stats) { wake(layout::kDataWaiters, count, stats); }
  void wake_producers(double* stats) { wake(layout::kSpaceWaiters, -1, stats); }

  /** A ring whose headers contradict the protocol: memory was corrupted. Crashes loudly. */
  [[noreturn]] static void corrupted(const char* what, int32_t position, int32_t value);

  int32_t* const words_;
  uint8_t* const data_;
  const int32_t capacity_;
  const int32_t mask_;
  const int32_t max_payload_;
  const int32_t data_word_;
  const int32_t spin_;
  double* const pstats_;
  double* const cstats_;
  WaitQueue* const queue_;

 private:
  WaitResult wait(Side side, int32_t payload, double timeout_ms);
  bool ready(int32_t payload) { return payload < 0 ? has_data() : has_space_for(payload); }
};

}  // namespace ringpool
