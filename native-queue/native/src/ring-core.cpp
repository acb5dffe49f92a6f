#include "ring-core.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ringpool {

using namespace layout;

AttachError RingCore::check(const void* base, size_t bytes, int32_t kind) {
  // float64 counters need 8-byte alignment; V8 allocates backing stores at
  // least 16-byte aligned, so this only fails on a bad view.
  if (reinterpret_cast<uintptr_t>(base) % 8 != 0) return AttachError::kMisaligned;
  if (bytes < static_cast<size_t>(kDataOffset)) return AttachError::kTooSmall;
  int32_t* words = static_cast<int32_t*>(const_cast<void*>(base));
  // MAGIC is stored last by create(): seq_cst load, as attach() in JavaScript.
  if (load_seq_cst(words[kMagic]) != kMagicValue || load_relaxed(words[kVersion]) != kLayoutVersion) {
    return AttachError::kBadMagic;
  }
  if (load_relaxed(words[kKind]) != kind) return AttachError::kWrongKind;
  const int32_t capacity = load_relaxed(words[kCapacity]);
  if (capacity < kMinCapacity || capacity > kMaxCapacity || (capacity & (capacity - 1)) != 0) {
    return AttachError::kBadCapacity;
  }
  if (bytes < static_cast<size_t>(kDataOffset) + static_cast<size_t>(capacity)) return AttachError::kTooSmall;
  const int32_t max_payload = load_relaxed(words[kMaxPayload]);
  if (max_payload < 0 || max_payload > capacity / 2 - kHeaderBytes) return AttachError::kBadMaxPayload;
  return AttachError::kNone;
}

namespace {

double* stats_slot(void* base, int32_t offset, int32_t slot) {
  return reinterpret_cast<double*>(static_cast<uint8_t*>(base) + offset + (slot % kStatsSlots) * kStatsSlotBytes);
}

int32_t take_slot(int32_t* words, int32_t counter, int32_t wanted) {
  return wanted >= 0 ? wanted : fetch_add_seq_cst(words[counter], 1) & 0x7fffffff;
}

}  // namespace

RingCore::RingCore(void* base, WaitQueue* queue, int32_t producer_slot, int32_t consumer_slot, int32_t spin)
    : words_(static_cast<int32_t*>(base)),
      data_(static_cast<uint8_t*>(base) + kDataOffset),
      capacity_(load_relaxed(words_[kCapacity])),
      mask_(capacity_ - 1),
      max_payload_(load_relaxed(words_[kMaxPayload])),
      data_word_(kDataOffset / 4),
      spin_(spin),
      pstats_(stats_slot(base, kProducerStatsOffset, take_slot(words_, kNextProducerSlot, producer_slot))),
      cstats_(stats_slot(base, kConsumerStatsOffset, take_slot(words_, kNextConsumerSlot, consumer_slot))),
      queue_(queue) {}

void RingCore::corrupted(const char* what, int32_t position, int32_t value) {
  std::fprintf(stderr, "native-queue: ring memory corrupted: %s at position %d (value %d)\n", what, position, value);
  std::abort();
}

// ── close ─────────────────────────────────────────────────────────────────────

void RingCore::close() {
  store_seq_cst(words_[kClosed], 1);
  fetch_add_seq_cst(words_[kDataSignal], 1);
  queue_->notify(kDataSignal, -1);
  fetch_add_seq_cst(words_[kSpaceSignal], 1);
  queue_->notify(kSpaceSignal, -1);
}

// ── the sleeping side ─────────────────────────────────────────────────────────

void RingCore::announce_sleeper(int32_t waiters) {
  fetch_add_seq_cst(words_[waiters], 1);
  store_seq_cst(words_[waiters + kPendingAfterWaiters], 0);
}

void RingCore::retire_sleeper(int32_t waiters) {
  store_seq_cst(words_[waiters + kPendingAfterWaiters], 0);
  fetch_add_seq_cst(words_[waiters], -1);
}

WaitResult RingCore::wait(Side side, int32_t payload, double timeout_ms) {
  const int32_t waiters = side == Side::kData ? kDataWaiters : kSpaceWaiters;
  const int32_t signal = waiters + kSignalAfterWaiters;
  double* stats = side == Side::kData ? cstats_ : pstats_;
  // The spin re-checks exactly as often as JavaScript's (no PAUSE): the
  // budget means "re-checks", whichever language runs it.
  for (int32_t i = 0; i < spin_; i++) {
    if (ready(payload)) return WaitResult::kOk;
  }
  using Clock = std::chrono::steady_clock;
  const bool forever = std::isinf(timeout_ms) || std::isnan(timeout_ms);
  const Clock::time_point deadline =
      forever ? Clock::time_point::max()
              : Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(timeout_ms));
  for (;;) {
    // Sample SIGNAL before announcing (ring-core.ts explains the hang the
    // other order caused in the server's integration tests).
    const int32_t seq = load_seq_cst(words_[signal]);
    announce_sleeper(waiters);
    WaitOutcome woke;
    {
      if (ready(payload)) {
        retire_sleeper(waiters);
        return WaitResult::kOk;
      }
      // Producers see 'closed' at once; a consumer once every claim is taken.
      if (closed() && (payload >= 0 || is_drained())) {
        retire_sleeper(waiters);
        return WaitResult::kClosed;
      }
      double left = INFINITY;
      if (!forever) {
        left = std::chrono::duration<double, std::milli>(deadline - Clock::now()).count();
        if (left <= 0) {
          retire_sleeper(waiters);
          return WaitResult::kTimedOut;
        }
      }
      bump(stats, kStatSleeps);
      woke = queue_->wait(signal, seq, left);
      retire_sleeper(waiters);
      if (woke == WaitOutcome::kFailed) return WaitResult::kFailed;
    }
    if (ready(payload)) return WaitResult::kOk;
    if (woke == WaitOutcome::kWoken && !closed()) bump(stats, kStatSpurious);
  }
}

AsyncStep RingCore::begin_async_sleep(Side side, int32_t payload, int32_t* seq) {
  const int32_t waiters = side == Side::kData ? kDataWaiters : kSpaceWaiters;
  if (side == Side::kData) {
    if (has_data()) return AsyncStep::kReady;
    if (closed() && is_drained()) return has_data() ? AsyncStep::kReady : AsyncStep::kClosed;
  } else {
    if (has_space_for(payload)) return AsyncStep::kReady;
    if (closed()) return AsyncStep::kClosed;
  }
  *seq = load_seq_cst(words_[waiters + kSignalAfterWaiters]);  // before announcing, as in wait()
  announce_sleeper(waiters);
  const bool not_now = side == Side::kData ? has_data() || (closed() && is_drained())
                                           : has_space_for(payload) || closed();
  if (not_now) {
    retire_sleeper(waiters);
    return AsyncStep::kAgain;
  }
  return AsyncStep::kSleep;
}

void RingCore::end_async_sleep(Side side, bool slept) {
  if (side == Side::kData) {
    if (slept) {
      bump(cstats_, kStatSleeps);
      if (!has_data() && !closed()) bump(cstats_, kStatSpurious);
    }
    retire_sleeper(kDataWaiters);
  } else {
    if (slept) bump(pstats_, kStatSleeps);
    retire_sleeper(kSpaceWaiters);
  }
}

// ── the waking side ───────────────────────────────────────────────────────────

void RingCore::wake(int32_t waiters, int32_t count, double* stats) {
  if (load_seq_cst(words_[waiters]) == 0) return;  // nobody sleeps: no call, no syscall
  if (compare_exchange_seq_cst(words_[waiters + kPendingAfterWaiters], 0, 1) != 0) return;
  fetch_add_seq_cst(words_[waiters + kSignalAfterWaiters], 1);
  queue_->notify(waiters + kSignalAfterWaiters, count);
  bump(stats, kStatNotifies);
}

}  // namespace ringpool
